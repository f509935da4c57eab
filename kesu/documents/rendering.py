"""Filling a .docx template: docxtpl inside a Jinja sandbox with autoescape, compiled templates cached, every
render within its limits.

docxtpl's default is plain Jinja without escaping: ``A&B <公司>`` would break the XML and be lost, and a
template could reach Python internals (``{{ ''.__class__.__mro__ }}``). Here every template runs in an
immutable :class:`~jinja2.sandbox.SandboxedEnvironment` with autoescape (which a template cannot turn off),
and ``None`` prints as nothing.

The sandbox stops a template reaching Python; :mod:`kesu.documents.limits` stops it working too long. This
environment is where its hooks sit: loops and ``~`` are rewritten at compile time to pass through the
environment, calls, filters, tests, attribute lookups, ``* ** + %`` and all joined output are charged
before they run. Filters that can multiply their input without a useful purpose in a Word document
(``indent``, ``wordwrap``, ``urlize``, ``xmlattr``, ``pprint``, ``tojson``, ``urlencode``), ``random``,
``safe`` and ``lipsum`` are not available; string methods are limited to those that read or reshape text.

docxtpl re-cleans and recompiles the document XML on every render; both depend only on the template, so
they are cached by the XML text (a new template version is new text, so nothing goes stale).
"""
from __future__ import annotations

import inspect
import io
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache, wraps
from numbers import Number
from typing import Any

from docxtpl import DocxTemplate
from flask_babel import gettext as _
from jinja2 import TemplateSyntaxError, nodes
from jinja2.compiler import CodeGenerator
from jinja2.runtime import LoopContext, markup_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from kesu.documents.limits import COLLECTIONS, Budget, Limits, RenderRefused, current, limited

COMPILED_CACHE_SIZE = 128


FILTERS = ("abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
           "filesizeformat", "first", "float", "forceescape", "format", "groupby", "int", "items", "join", "last",
           "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace", "reverse", "round",
           "select", "selectattr", "slice", "sort", "string", "striptags", "sum", "title", "trim", "truncate",
           "unique", "upper", "wordcount")
STRING_METHODS = frozenset({
    "capitalize", "casefold", "center", "count", "endswith", "escape", "find", "format", "index", "isalnum",
    "isalpha", "isdecimal", "isdigit", "islower", "isnumeric", "isspace", "istitle", "isupper", "join", "ljust",
    "lower", "lstrip", "partition", "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust",
    "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "striptags", "swapcase",
    "title", "unescape", "upper", "zfill"})


def _blank_none(value: Any) -> Any:
    return "" if value is None else value


def _check_join(budget: Budget, arguments: dict[str, Any]) -> None:
    arguments["value"] = items = list(arguments["value"])
    budget.joining(items, str(arguments.get("d", "")))


def _check_sum(budget: Budget, arguments: dict[str, Any]) -> None:
    if not isinstance(arguments.get("start", 0), Number):
        raise RenderRefused(_("模板中的 sum 只能累加数字。"))


#: Checks before a filter runs, on its arguments by name (they may replace one, as join materialises its list).
FILTER_CHECKS: dict[str, Callable[[Budget, dict[str, Any]], None]] = {
    "join": _check_join,
    "sum": _check_sum,
    "replace": lambda budget, a: budget.replacing(a["s"], a["old"], a["new"],
                                                  -1 if a.get("count") is None else a["count"]),
    "format": lambda budget, a: budget.formatting(str(a["value"]), [*a.get("args", ()),
                                                                    *a.get("kwargs", {}).values()]),
    "center": lambda budget, a: budget.width(a.get("width", 0)),
    "batch": lambda budget, a: budget.width(a["linecount"]),
    "slice": lambda budget, a: budget.width(a["slices"]),
}


#: Filters that go through their value item by item: a text for them is a list of its characters.
ITERATING_FILTERS = frozenset({"batch", "dictsort", "groupby", "join", "list", "map", "max", "min", "reject",
                               "rejectattr", "select", "selectattr", "slice", "sort", "sum", "unique"})


def _guarded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(function)
    check = FILTER_CHECKS.get(name)
    iterates = name in ITERATING_FILTERS

    @wraps(function)  # keeps ``jinja_pass_arg``: Jinja still passes the context the filter asks for
    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget = current()
        budget.tick()
        if iterates:
            value = args[1 if getattr(function, "jinja_pass_arg", None) else 0] if args else None
            if isinstance(value, (str, *COLLECTIONS)):
                budget.items(len(value))
        if check is not None:
            bound = signature.bind(*args, **kwargs)
            check(budget, bound.arguments)
            args, kwargs = bound.args, bound.kwargs
        return budget.measure(function(*args, **kwargs))
    return guarded


def _guarded_test(function: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        current().tick()
        return function(*args, **kwargs)
    return guarded


class _Guards(NodeTransformer):
    """Rewrites a parsed template so loops and ``~`` pass through the environment's budget."""

    def __init__(self, environment: DocumentEnvironment) -> None:
        self.environment = environment

    def _call(self, method: str, args: list[nodes.Expr], lineno: int) -> nodes.Call:
        call = nodes.Call(nodes.EnvironmentAttribute(method), args, [], None, None, lineno=lineno)
        return call.set_environment(self.environment)

    def visit_For(self, node: nodes.For) -> nodes.For:
        node = self.generic_visit(node)
        node.iter = self._call("counted", [node.iter], node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Call:
        node = self.generic_visit(node)
        return self._call("joined", list(node.nodes), node.lineno)

    def _refuse_autoescape_change(self, node: nodes.Node) -> None:
        raise TemplateSyntaxError(_("模板不能关闭或改变自动转义（autoescape）。"), node.lineno)

    visit_EvalContextModifier = _refuse_autoescape_change
    visit_ScopedEvalContextModifier = _refuse_autoescape_change


class GuardedCodeGenerator(CodeGenerator):
    def visit_Template(self, node: nodes.Template, frame: Any = None) -> None:
        super().visit_Template(_Guards(self.environment).visit(node), frame)


class DocumentEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox templates run in: limited by the current render's budget; ``from_string`` keeps the last
    compiled templates."""

    code_generator_class = GuardedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self) -> None:
        super().__init__(autoescape=True, finalize=_blank_none)
        self.filters = {name: _guarded_filter(name, self.filters[name]) for name in FILTERS}
        self.tests = {name: _guarded_test(test) for name, test in self.tests.items()}
        del self.globals["lipsum"]
        # not ``_compile``: Jinja's Environment has a method of that name
        self._cached_from_string = lru_cache(maxsize=COMPILED_CACHE_SIZE)(super().from_string)

    def from_string(self, source, globals=None, template_class=None):  # type: ignore[override]
        if globals is None and template_class is None and isinstance(source, str):
            return self._cached_from_string(source)
        return super().from_string(source, globals, template_class)

    # --- the hooks templates run through ---------------------------------------------------------------
    def concat(self, pieces: Iterable[str]) -> str:  # type: ignore[override]  # Jinja's ``"".join`` for all output
        budget, collected = current(), []
        for piece in pieces:
            budget.emit(len(piece))
            collected.append(piece)
        return "".join(collected)

    def counted(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """What every ``{% for %}`` iterates: the items of ``iterable``, each one charged."""
        budget = current()
        for item in iterable:
            budget.iteration()
            yield item

    def joined(self, *values: Any) -> str:
        """``a ~ b``: measured before it is joined."""
        current().size(sum(len(str(value)) for value in values))
        return markup_join(values)

    def call(__self, __context, __obj, *args, **kwargs):  # type: ignore[override]  # noqa: N805
        budget = current()
        budget.tick()
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's next level
            args = (__self.counted(args[0]), *args[1:])
        # the sandbox hands out ``str.format`` wrapped; the method is its ``__wrapped__``
        owner = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)
        if isinstance(owner, str):
            args = __self._check_string_method(budget, owner, getattr(__obj, "__name__", ""), args, kwargs)
        return budget.measure(super().call(__context, __obj, *args, **kwargs))

    @staticmethod
    def _check_string_method(budget: Budget, text: str, name: str, args: tuple, kwargs: dict) -> tuple:
        if name not in STRING_METHODS:
            raise RenderRefused(_("模板调用了不允许的方法：%(name)s。", name=name))
        if name == "format":
            budget.formatting(text, [*args, *kwargs.values()])
        elif name == "join" and args:
            items = list(args[0])
            budget.joining(items, text)
            return (items, *args[1:])
        elif name == "replace" and len(args) >= 2:
            budget.replacing(text, *args[:3])
        elif name in ("center", "ljust", "rjust", "zfill") and args:
            budget.width(args[0])
        return args

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        current().binop(operator, left, right)
        return current().measure(super().call_binop(context, operator, left, right))

    def getattr(self, obj: Any, attribute: str) -> Any:
        current().tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        current().tick()
        return super().getitem(obj, argument)


@lru_cache(maxsize=COMPILED_CACHE_SIZE)
def _patched(xml: str) -> str:
    return DocxTemplate.patch_xml(None, xml)  # type: ignore[arg-type]  # uses nothing of the instance


class CachedDocxTemplate(DocxTemplate):
    """docxtpl's template with its XML clean-up memoised."""

    def patch_xml(self, src_xml: str) -> str:
        return _patched(src_xml)


_environment: DocumentEnvironment | None = None


def environment() -> DocumentEnvironment:
    """One environment per process, so its compiled templates are reused across requests."""
    global _environment
    if _environment is None:
        _environment = DocumentEnvironment()
    return _environment


def fill(template_content: bytes, context: dict[str, Any], limits: Limits | None = None) -> bytes:
    """The .docx ``template_content`` rendered with ``context`` within ``limits`` (the configured ones by
    default); raises :class:`~kesu.documents.limits.RenderRefused` over a limit, Jinja's errors as they come."""
    with limited(limits or Limits.from_config()) as budget:
        template = CachedDocxTemplate(io.BytesIO(template_content))
        template.render(context, environment())
        budget.tick()
        out = io.BytesIO()
        template.save(out)
        budget.tick()
    return out.getvalue()


def template_source(template_content: bytes) -> str:
    """The Jinja source docxtpl makes of a template: body, headers and footers, cleaned as for rendering."""
    template = CachedDocxTemplate(io.BytesIO(template_content))
    template.init_docx()
    parts = [template.get_xml()]
    for uri in (template.HEADER_URI, template.FOOTER_URI):
        parts += [template.get_part_xml(part) for _key, part in template.get_headers_footers(uri)]
    return "".join(template.patch_xml(part) for part in parts)


def undeclared_variables(template_content: bytes) -> set[str]:
    """The top-level names the template uses (docxtpl's ``get_undeclared_template_variables``)."""
    return DocxTemplate(io.BytesIO(template_content)).get_undeclared_template_variables(environment())
