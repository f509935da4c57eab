"""What one document render may cost: wall time, characters produced, loop iterations.

The sandbox keeps a template away from Python's internals, not from work: ``{% for %}`` inside
``{% for %}``, ``'x' * 50000000`` or a join of a huge list hidden behind an ``{% if %}`` that is false for
the upload's sample record pass the upload check, then hang a worker on every real generation.

Every render runs inside a :class:`Budget` (a context variable, so threads never share one). The hooks the
sandboxed environment runs often — each loop step, call, filter, test, attribute lookup, intercepted
operator and each piece of output — charge it and look at the clock, so a CPU-bound template stops within
one hook's work of its deadline. Neither a signal (it reaches only the main thread, and gunicorn's sync
worker may not own it) nor a watchdog thread (a thread cannot be stopped) could do that. What could build
something huge in a single C call (``*``, ``+``, ``%``, ``~``, ``str.format``, ``join``, ``replace``,
padding widths, big powers) is measured *before* it runs, from the sizes of its operands.
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from kesu.documents.errors import DocumentError

#: Integers may grow to about 5,000 decimal digits (Python prints no more than 4,300 anyway).
MAX_INT_BITS = 16_384
SIZED = (str, bytes, list, tuple)
COLLECTIONS = (list, tuple, dict, set, frozenset)
NUMBER_IN_FORMAT = re.compile(r"\d+")


class RenderRefused(DocumentError):
    """A template stopped because it went over a limit or called what documents may not call."""


@dataclass(frozen=True)
class Limits:
    seconds: float
    max_chars: int
    max_iterations: int

    @classmethod
    def from_config(cls) -> Limits:
        config = current_app.config
        return cls(float(config["TEMPLATE_RENDER_SECONDS"]), int(config["TEMPLATE_RENDER_MAX_CHARS"]),
                   int(config["TEMPLATE_RENDER_MAX_ITERATIONS"]))


class Budget:
    """One render's allowance; every ``charge_*`` raises :class:`RenderRefused` when it is spent."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.seconds
        self.iterations = 0
        self.output = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise RenderRefused(_("模板填充超过 %(seconds)s 秒的时限，已停止：模板中的循环或计算过多。",
                                  seconds=f"{self.limits.seconds:g}"))

    def iteration(self) -> None:
        self.iterations += 1
        if self.iterations > self.limits.max_iterations:
            raise RenderRefused(_("模板中的循环共超过 %(n)s 次的上限，已停止。", n=self.limits.max_iterations))
        self.tick()

    def size(self, chars: int) -> None:
        """``chars`` is what something would measure; refused above the limit before it is built."""
        if chars > self.limits.max_chars:
            raise RenderRefused(_("模板生成的内容超过 %(n)s 个字符的上限，已停止：模板中有过长的文字或过多的重复。",
                                  n=self.limits.max_chars))

    def items(self, count: int) -> None:
        """A list (or a text taken apart) may hold no more items than all loops together may run."""
        if count > self.limits.max_iterations:
            raise RenderRefused(_("模板中的列表超过 %(n)s 项的上限，已停止。", n=self.limits.max_iterations))

    def measure(self, value: Any) -> Any:
        if isinstance(value, COLLECTIONS):
            self.items(len(value))
        if isinstance(value, SIZED):
            self.size(len(value))
        return value

    def measure_length(self, kind: Any, length: int) -> None:
        """What a sequence like ``kind`` of ``length`` would measure."""
        if isinstance(kind, COLLECTIONS):
            self.items(length)
        self.size(length)

    def emit(self, chars: int) -> None:
        """Output joined so far, all parts of the document together."""
        self.output += chars
        self.size(self.output)
        self.tick()

    def width(self, value: Any) -> None:
        """A padding width or a count of items to fill: as large as what it makes."""
        if isinstance(value, int) and not isinstance(value, bool):
            self.size(value)

    def int_bits(self, bits: int) -> None:
        if bits > MAX_INT_BITS:
            raise RenderRefused(_("模板中的数字计算结果过大，已停止。"))

    def formatting(self, template: str, args: Iterable[Any]) -> None:
        """``template % args`` or ``template.format(*args)``: each number in the template may be a width or a
        precision, each placeholder may print the longest argument padded to the widest of them."""
        args = list(args)
        widths = [int(number) if len(number) < 12 else 10 ** 12 for number in NUMBER_IN_FORMAT.findall(template)]
        widest = max(widths, default=0)
        self.size(widest)
        for arg in args:
            self.width(arg)
        longest = max((len(str(arg)) for arg in args), default=0)
        placeholders = template.count("%") + template.count("{")
        self.size(len(template) + placeholders * (longest + widest))

    def joining(self, items: list[Any], separator: str = "") -> None:
        self.items(len(items))
        self.size(sum(len(str(item)) for item in items) + len(separator) * len(items))

    def replacing(self, text: Any, old: Any, new: Any, count: Any = -1) -> None:
        if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
            found = text.count(old) if old else len(text) + 1
            if isinstance(count, int) and count >= 0:
                found = min(found, count)
            self.size(len(text) + found * len(new))

    def binop(self, operator: str, left: Any, right: Any) -> None:
        self.tick()
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, SIZED) and isinstance(times, int):
                    self.measure_length(sequence, len(sequence) * max(times, 0))
            if isinstance(left, int) and isinstance(right, int):
                self.int_bits(left.bit_length() + right.bit_length())
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0:
                self.int_bits(right * left.bit_length())
        elif operator == "+":
            if isinstance(left, SIZED) and isinstance(right, SIZED):
                self.measure_length(left, len(left) + len(right))
        elif operator == "%" and isinstance(left, str):
            values = right.values() if isinstance(right, Mapping) else right if isinstance(right, tuple) else (right,)
            self.formatting(left, values)


_current: ContextVar[Budget | None] = ContextVar("kesu_render_budget", default=None)


@contextmanager
def limited(limits: Limits) -> Iterator[Budget]:
    """Run a render under ``limits``."""
    token = _current.set(Budget(limits))
    try:
        yield _current.get()  # type: ignore[misc]
    finally:
        _current.reset(token)


def current() -> Budget:
    budget = _current.get()
    if budget is None:
        raise RuntimeError("template code ran outside kesu.documents.limits.limited()")
    return budget
