"""The list's URL arguments read strictly: a page, sort, search or filter that makes no sense is left out and
named in one message, so a hand-edited or truncated address shows the list instead of an error page.

The list page and its export read their arguments here (:meth:`ListArgumentsMixin._get_list_extra_args`);
the saved filters and the foreign-key search boxes clean their search terms with :func:`clean_search` and
:func:`clean_term`.
"""
from __future__ import annotations

import re
import unicodedata
from flask import flash, request
from flask_admin.model.base import ViewArgs
from flask_babel import gettext as _

from kesu.admin.filters import is_usable_filter_value
from kesu.validators import has_control_characters

#: 50 rows a page, a million pages: far past any list, well inside a 64-bit OFFSET.
MAX_PAGE = 1_000_000
#: Each filter is one more condition; thousands of them would exceed SQLite's expression depth.
MAX_FILTERS = 20
MAX_SEARCH_TERMS = 10
MAX_TERM_LENGTH = 50
#: How much of a refused value a message quotes.
SHOWN_LENGTH = 30
#: ``flt<position>_<filter>``, the position at most four digits.
FILTER_ARG = re.compile(r"flt(\d{1,4})_(.+)")
_LIST_ARGS = ("page", "page_size", "sort", "desc", "search")


def _integer(text: str) -> int | None:
    """ASCII digits with an optional minus sign, at most 18 of them (within 64 bits); anything else is None."""
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdecimal() and len(digits) <= 18):
        return None
    return int(text)


def _without_controls(text: str) -> str:
    """Control characters (NUL, which PostgreSQL refuses, ESC, …) as spaces."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)


def shown(value: str) -> str:
    """A refused value as a message quotes it: visible characters only, cut short."""
    visible = _without_controls(value).strip()
    return visible if len(visible) <= SHOWN_LENGTH else visible[:SHOWN_LENGTH] + "…"


def clean_term(text: str | None) -> str:
    """One search box's text as it is searched: control characters gone, at most :data:`MAX_TERM_LENGTH`
    characters."""
    return " ".join(_without_controls(text or "").split())[:MAX_TERM_LENGTH]


def clean_search(text: str | None) -> tuple[str | None, list[str]]:
    """The list's search as it is run, and what was left out of it: control characters, the words after
    :data:`MAX_SEARCH_TERMS`, the end of words longer than :data:`MAX_TERM_LENGTH`."""
    if not text:
        return None, []
    ignored = []
    if has_control_characters(text):
        ignored.append(_("搜索中的不可见字符"))
    words = _without_controls(text).split()
    if len(words) > MAX_SEARCH_TERMS:
        ignored.append(_("第 %(n)s 个以后的搜索词", n=MAX_SEARCH_TERMS))
        words = words[:MAX_SEARCH_TERMS]
    if any(len(word) > MAX_TERM_LENGTH for word in words):
        ignored.append(_("搜索词第 %(n)s 个字以后的部分", n=MAX_TERM_LENGTH))
        words = [word[:MAX_TERM_LENGTH] for word in words]
    return " ".join(words) or None, ignored


class ListArgumentsMixin:
    """Mixed into :class:`~kesu.admin.base.KesuModelView`: Flask-Admin's reading of the list's arguments, with
    every value checked before it reaches the query."""

    def _page_argument(self, ignored: list[str]) -> int:
        text = request.args.get("page")
        if text is None:
            return 0
        page = _integer(text)
        if page is None or not 0 <= page <= MAX_PAGE:
            ignored.append(_("页码「%(value)s」", value=shown(text)))
            return 0
        return page

    def _page_size_argument(self, ignored: list[str]) -> int:
        """Flask-Admin writes ``page_size`` into every pager link; only a size this list offers is kept."""
        text = request.args.get("page_size")
        if text is None:
            return 0
        size = _integer(text)
        allowed = {self.page_size, *(self.page_size_options if self.can_set_page_size else ())}
        if size not in allowed:
            ignored.append(_("每页条数「%(value)s」", value=shown(text)))
            return 0
        return size

    def _sort_argument(self, ignored: list[str]) -> int | None:
        text = request.args.get("sort")
        if text is None:
            return None
        index = _integer(text)
        column = self._get_column_by_idx(index) if index is not None else None
        if column is None or column[0] not in self._sortable_columns:
            ignored.append(_("排序列「%(value)s」", value=shown(text)))
            return None
        return index

    def _desc_argument(self, ignored: list[str]) -> int | None:
        text = request.args.get("desc")
        if text is None:
            return None
        if text not in ("0", "1"):
            ignored.append(_("排序方向「%(value)s」", value=shown(text)))
            return None
        return int(text)

    def _filter_arguments(self, ignored: list[str]) -> list[tuple[int, str, str]] | None:
        """``flt<position>_<filter>=<value>`` in the order of their positions, as Flask-Admin applies them."""
        if not self._filters:
            return None
        found = []
        for arg, value in request.args.items():
            if not arg.startswith("flt"):
                continue
            match = FILTER_ARG.fullmatch(arg)
            if match is None or match.group(2) not in self._filter_args:
                ignored.append(_("不存在的筛选条件「%(value)s」", value=shown(arg)))
                continue
            index, flt = self._filter_args[match.group(2)]
            if not is_usable_filter_value(flt, value):
                ignored.append(_("筛选条件「%(filter)s %(operation)s」的值「%(value)s」", filter=flt.name,
                                 operation=flt.operation(), value=shown(value)))
                continue
            found.append(((int(match.group(1)), arg), (index, str(flt.name), value)))
        if len(found) > MAX_FILTERS:
            ignored.append(_("第 %(n)s 个以后的筛选条件", n=MAX_FILTERS))
        return [applied for _position, applied in sorted(found)[:MAX_FILTERS]]

    def _get_list_extra_args(self) -> ViewArgs:
        ignored: list[str] = []
        search, search_ignored = clean_search(request.args.get("search"))
        view_args = ViewArgs(
            page=self._page_argument(ignored),
            page_size=self._page_size_argument(ignored),
            sort=self._sort_argument(ignored),
            sort_desc=self._desc_argument(ignored),
            search=search,
            filters=self._filter_arguments(ignored),
            extra_args={k: v for k, v in request.args.items() if k not in _LIST_ARGS and not k.startswith("flt")},
        )
        ignored += search_ignored
        if ignored:
            flash(_("列表地址中有无法使用的参数，已忽略：%(items)s。", items="；".join(ignored)), "warning")
        return view_args
