"""Saved filters on every list: a user names the list's current filters, search and sort, and reruns them from
the list's 已保存的筛选 menu. Each set belongs to its user and list; saving, renaming and deleting are audited."""
from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from forms.saved_filter import SaveFilterForm
from kesu.admin.filters import filter_sentence, is_usable_filter_value
from kesu.admin.filters_arguments import FILTER_ARG, clean_search
from kesu.extensions import db
from kesu.models import SavedFilter

MAX_PER_LIST = 50
SEARCH_LENGTH = 200


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdecimal() and len(text) < 6


def _nonzero(text: str) -> bool:
    """``desc=1`` (or any number but 0), as Flask-Admin reads it."""
    return _is_number(text) and int(text) != 0


class SavedFiltersMixin:
    """Mixed into :class:`~kesu.admin.base.KesuModelView`. A filter is saved by a key made of its column and
    its kind (``case.status|FilterEqual``), so it survives the list gaining a filter and a change of language."""

    def _filter_keys(self) -> dict[str, str]:
        """Saved key → the key Flask-Admin puts in the URL after ``flt<n>_``."""
        keys = self.__dict__.get("_saved_filter_keys")
        if keys is None:
            keys, seen = {}, Counter()
            for url_key, (_index, flt) in (self._filter_args or {}).items():
                base = f"{getattr(flt, 'column', '')}|{type(flt).__name__}"
                seen[base] += 1
                keys[base if seen[base] == 1 else f"{base}#{seen[base]}"] = url_key
            self._saved_filter_keys = keys
        return keys

    def _list_state(self, query_string: str) -> dict[str, Any]:
        """What the list page's query string means: its valid filters in order, search and sort."""
        by_url_key = {url_key: key for key, url_key in self._filter_keys().items()}
        first: dict[str, str] = {}
        for arg, value in parse_qsl(query_string or "", keep_blank_values=True):
            first.setdefault(arg, value)  # Flask-Admin reads an argument's first value
        filters = []
        for arg, value in first.items():
            match = FILTER_ARG.fullmatch(arg)
            if match and match.group(2) in by_url_key and is_usable_filter_value(self._filter_args[match.group(2)][1],
                                                                                 value):
                filters.append((int(match.group(1)), by_url_key[match.group(2)], value))
        search = (clean_search(first.get("search"))[0] or "")[:SEARCH_LENGTH] or None
        sort_column = self._sortable_name(first.get("sort", ""))
        return {"filters": [[key, value] for _pos, key, value in sorted(filters)], "search": search,
                "sort_column": sort_column, "sort_desc": bool(sort_column) and _nonzero(first.get("desc", ""))}

    def _sortable_name(self, sort: str) -> str | None:
        column = self._get_column_by_idx(int(sort)) if _is_number(sort) else None
        return column[0] if column and column[0] in self._sortable_columns else None

    def current_query(self) -> str:
        """The list page's query string as text (a stray non-UTF-8 byte replaced, not a server error)."""
        return request.query_string.decode("utf-8", "replace")

    def delete_question(self, saved: SavedFilter) -> str:
        return _("删除筛选「%(name)s」？", name=saved.name)

    def _mine(self):
        """The condition "saved by the current user on this list"."""
        return (SavedFilter.user_id == current_user.id) & (SavedFilter.list_endpoint == self.endpoint)

    def saved_filters(self) -> list[SavedFilter]:
        """The current user's saved sets on this list, by name."""
        return list(db.session.scalars(select(SavedFilter).where(self._mine()).order_by(SavedFilter.name)))

    def save_filter_form(self) -> SaveFilterForm:
        return SaveFilterForm(formdata=None, query=self.current_query())

    def _own_saved_filter(self, filter_id: int) -> SavedFilter:
        saved = db.session.get(SavedFilter, filter_id)
        if saved is None or saved.user_id != current_user.id or saved.list_endpoint != self.endpoint:
            abort(404)
        return saved

    def describe_saved_filter(self, saved: SavedFilter) -> str:
        """``状态 等于 调查中；搜索：张三；排序：受理时间（降序）`` for the menu's tooltip."""
        keys = self._filter_keys()
        parts = [filter_sentence(self, self._filter_args[keys[key]][1], value)
                 for key, value in saved.filters if key in keys]
        if saved.search:
            parts.append(_("搜索：%(terms)s", terms=saved.search))
        if saved.sort_column:
            label = self.column_labels.get(saved.sort_column, saved.sort_column)
            parts.append(_("排序：%(column)s（%(order)s）", column=label,
                           order=_("降序") if saved.sort_desc else _("升序")))
        return "；".join(str(part) for part in parts)

    def saved_filter_url(self, saved: SavedFilter) -> tuple[str, int]:
        """The list's URL with ``saved`` applied, and how many of its filters this list no longer has."""
        keys = self._filter_keys()
        args: dict[str, Any] = {}
        kept = [(key, value) for key, value in saved.filters if key in keys]
        for position, (key, value) in enumerate(kept):
            args[f"flt{position}_{keys[key]}"] = value
        if saved.search:
            args["search"] = saved.search
        names = [name for name, _label in self._list_columns]
        if saved.sort_column in names and saved.sort_column in self._sortable_columns:
            args["sort"] = names.index(saved.sort_column)
            if saved.sort_desc:
                args["desc"] = 1
        return self.get_url(".index_view", **args), len(saved.filters) - len(kept)

    def _back_to_list(self, query_string: str = ""):
        """The list again, with its filters: the query string re-encoded, so only its arguments travel."""
        url = self.get_url(".index_view")
        arguments = urlencode(parse_qsl(query_string or "", keep_blank_values=True))
        return redirect(f"{url}?{arguments}" if arguments else url)

    @expose("/saved-filters/", methods=("POST",))
    def save_filter_view(self):
        form = SaveFilterForm()
        query_string = form.query.data or ""
        if not form.validate():
            for message in (message for errors in form.errors.values() for message in errors):
                flash(_("筛选没有保存：%(reason)s", reason=message), "error")
            return self._back_to_list(query_string)
        state = self._list_state(query_string)
        if not state["filters"] and not state["search"] and not state["sort_column"]:
            flash(_("筛选没有保存：当前列表没有任何筛选条件、搜索或排序。请先筛选列表，再保存。"), "error")
            return self._back_to_list(query_string)
        saved = db.session.scalar(select(SavedFilter).where(self._mine(), SavedFilter.name == form.name.data))
        if saved is None:
            count = db.session.scalar(select(func.count()).select_from(SavedFilter).where(self._mine()))
            if count >= MAX_PER_LIST:
                flash(_("筛选没有保存：每个列表最多保存 %(n)s 组筛选，请先删除不再使用的。", n=MAX_PER_LIST), "error")
                return self._back_to_list(query_string)
            saved = SavedFilter(user_id=current_user.id, list_endpoint=self.endpoint, name=form.name.data)
            db.session.add(saved)
            message = _("已保存筛选「%(name)s」，可从“已保存的筛选”菜单重新打开。", name=saved.name)
        else:
            message = _("已用当前条件更新筛选「%(name)s」。", name=saved.name)
        for field, value in state.items():
            setattr(saved, field, value)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            flash(_("筛选没有保存：同名筛选刚刚被保存，请重试。"), "error")
            return self._back_to_list(query_string)
        flash(message, "success")
        return self._back_to_list(query_string)

    @expose("/saved-filters/<int:filter_id>/")
    def run_saved_filter_view(self, filter_id: int):
        saved = self._own_saved_filter(filter_id)
        url, dropped = self.saved_filter_url(saved)
        if dropped:
            flash(_("筛选「%(name)s」中有 %(n)s 个条件在此列表中已不存在，已忽略。", name=saved.name, n=dropped),
                  "warning")
        return redirect(url)

    @expose("/saved-filters/<int:filter_id>/delete/", methods=("POST",))
    def delete_saved_filter_view(self, filter_id: int):
        saved = self._own_saved_filter(filter_id)
        name = saved.name
        db.session.delete(saved)
        db.session.commit()
        flash(_("已删除筛选「%(name)s」。", name=name), "success")
        return self._back_to_list(request.form.get("query", ""))
