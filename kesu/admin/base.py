"""The one base view: login, role access, row-level scope, edit conflicts, Chinese display.

Every admin view derives from :class:`KesuModelView` and only declares columns, labels and filters.
"""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext as admin_lazy_gettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.contrib.sqla.filters import FilterEqual, FilterNotEqual
from flask_admin.form import rules
from flask_admin.model.ajax import DEFAULT_PAGE_SIZE
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from wtforms.validators import ValidationError

from kesu.admin.exporting import ExportMixin
from kesu.admin.failures import FailureMessagesMixin
from kesu.admin.filters import KesuFilterConverter
from kesu.admin.filters_arguments import ListArgumentsMixin, clean_term
from kesu.admin.filters_related import LiveOptions, is_record_id
from kesu.admin.formatters import DETAIL_TYPE_FORMATTERS, TYPE_FORMATTERS, choice
from kesu.admin.forms import KesuBaseForm, KesuInlineModelConverter, KesuModelConverter, VersionField
from kesu.admin.row_actions import row_actions
from kesu.admin.saved_filters import SavedFiltersMixin
from kesu.admin.stage_locks import StageLocksMixin
from kesu.audit import last_editor, record_event_apart
from kesu.choices import Choices
from kesu.counting import list_count_query
from kesu.extensions import db
from kesu import policy
from kesu.permissions import (
    in_scope,
    personal_kind,
    scope_query,
    sees_personal_info,
    searches_whole_personal_values_only,
    whole_personal_value,
)
from kesu.policy import Act
from kesu.redirects import safe_return_url, without_return_parameter
from kesu.validators import is_id_of

WRITE_VIEWS = {
    "create_view": "create",
    "edit_view": "edit",
    "delete_view": "delete",
    "ajax_update": "edit",
}


def constraint_name(exc: IntegrityError) -> str:
    """The violated constraint's name from the driver's message, never the SQL (it may hold data)."""
    message = str(exc.orig)
    for marker in ("constraint failed: ", 'constraint "', "failed: "):
        if marker in message:
            return message.split(marker, 1)[1].split('"')[0].split("\n")[0].strip()
    return type(exc.orig).__name__


#: A foreign-key search box answers at most this many rows a request, from at most this far in.
MAX_LOOKUP_RESULTS = 50
MAX_LOOKUP_OFFSET = 10_000
#: From this many rows into a list, a page's rows are found by their ids first (see ``_apply_pagination``).
DEFERRED_JOIN_FROM = 1_000


def contains(column, term: str):
    """``LIKE '%term%'`` with ``%``, ``_`` and the escape character taken literally, ignoring case. SQLite's
    LIKE already ignores ASCII case; PostgreSQL's needs ILIKE, unless the term has no letter with a case (most
    Chinese searches, numbers): then LIKE matches the same rows four times faster (ILIKE lowers every value)."""
    if db.engine.dialect.name == "sqlite" or term.lower() == term.upper():
        return column.contains(term, autoescape=True)
    return column.icontains(term, autoescape=True)


def search_match(column, name: str, term: str):
    """How a search term matches the column ``name`` for the current user: any part of it, except a phone or
    e-mail this user sees masked, which matches only as a whole."""
    kind = personal_kind(name)
    if kind and searches_whole_personal_values_only(current_user):
        return whole_personal_value(kind, column, term)
    return contains(column, term)


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """Foreign-key search boxes offer only the rows the user may see, search like the list's search box, and
    answer a bounded page of rows whatever ``limit`` and ``offset`` the request asks for."""

    def get_query(self):
        return scope_query(super().get_query(), self.model, current_user)

    def get_list(self, term: str | None, offset: int | None = 0, limit: int | None = DEFAULT_PAGE_SIZE):
        term = clean_term(term)
        offset = min(max(offset or 0, 0), MAX_LOOKUP_OFFSET)
        limit = min(max(limit or DEFAULT_PAGE_SIZE, 1), MAX_LOOKUP_RESULTS)
        condition = or_(*(search_match(field, field.key, term) for field in self._cached_fields))
        order = self.order_by if self.order_by is not None else self.model.id  # stable pages
        return self.get_query().filter(condition).order_by(order).offset(offset).limit(limit).all()

    def get_one(self, pk):
        if not is_id_of(pk, self.model.__table__.c.id.type):
            return None
        record = super().get_one(pk)
        return record if record is not None and in_scope(current_user, record) else None


class CarriedField(rules.BaseRule):
    """A hidden field rendered with the other hidden fields; listed so Flask-Admin's rules keep it."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    @property
    def visible_fields(self) -> list[str]:
        return [self.name]

    def __call__(self, form, form_opts=None, field_args=None) -> str:
        return ""


class FieldIfPresent(rules.Field):
    """A field rule that renders nothing when the field was taken out of this user's form."""

    def __call__(self, form, form_opts=None, field_args=None):
        return "" if getattr(form, self.field_name, None) is None else super().__call__(form, form_opts, field_args)


class Section(rules.FieldSet):
    """A titled group of fields. Fields locked for this user are left out of the form; a group with none
    left shows ``locked_note`` (or nothing), so the page says why it cannot be edited."""

    def __init__(self, names: tuple[str, ...], header, locked_note=None) -> None:
        super().__init__([FieldIfPresent(name) for name in names], header)
        self.names, self.header, self.locked_note = names, header, locked_note

    def __call__(self, form, form_opts=None, field_args=None):
        if any(getattr(form, name, None) is not None for name in self.names):
            return super().__call__(form, form_opts, field_args)
        if self.locked_note is None:
            return ""
        return Markup('<h3 class="mt-3">{}</h3><p class="text-muted kesu-locked">{}</p>').format(
            self.header, self.locked_note)


class KesuModelView(ListArgumentsMixin, ExportMixin, SavedFiltersMixin, StageLocksMixin, FailureMessagesMixin,
                    ModelView):
    list_template = "admin/kesu_list.html"
    details_template = "admin/kesu_details.html"
    page_size = 50
    can_set_page_size = False
    can_view_details = True
    column_display_pk = False
    column_default_sort = ("id", True)
    form_base_class = KesuBaseForm
    model_form_converter = KesuModelConverter
    inline_model_form_converter = KesuInlineModelConverter
    filter_converter = KesuFilterConverter()
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_detail = DETAIL_TYPE_FORMATTERS
    form_excluded_columns = ("created_at", "updated_at", "version")

    #: ``{column: Choices}``: stored keys shown by label, offered as a select, filtered by label.
    choice_columns: dict[str, Choices] = {}
    #: Columns holding personal data; opening them unmasked is an audit event.
    personal_info_columns: tuple[str, ...] = ()

    def __init__(self, model: type, **kwargs: Any) -> None:
        choices = {name: c.pairs() for name, c in self.choice_columns.items()}
        self.column_choices = {**choices, **(self.column_choices or {})}
        labels = {name: choice(c, name) for name, c in self.choice_columns.items()}
        self.column_formatters = {**labels, **(self.column_formatters or {})}
        self.column_formatters_detail = {**labels, **(self.column_formatters_detail or self.column_formatters)}
        self.form_choices = {**choices, **(self.form_choices or {})}
        if self.column_select_related_list:
            self.column_select_related_list = [getattr(model, name) if isinstance(name, str) else name
                                               for name in self.column_select_related_list]
        if self.form_rules and model.__mapper__.version_id_col is not None:
            self.form_rules = (*self.form_rules, CarriedField("version"))
        #: ``{(language, group name): its filters}`` of the groups whose options are fixed (``_get_filter_groups``).
        self._fixed_filter_groups: dict = {}
        super().__init__(model, db, **kwargs)

    # --- access (kesu.policy) ----------------------------------------------------------------------
    def _can(self, operation: str) -> bool:
        """Whether ``current_user`` may ``operation`` (read, create, edit, delete) records of this view."""
        return policy.may(current_user, operation, self.model)

    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return self._can("create")

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return self._can("edit")

    @property
    def can_delete(self) -> bool:  # type: ignore[override]
        return self._can("delete")

    def is_accessible(self) -> bool:
        return self._can("read")

    def inaccessible_callback(self, name: str, **kwargs: Any):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)

    def _handle_view(self, name: str, **kwargs: Any):
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        target = request.values.get("url")
        if target is not None and safe_return_url(target) != target:  # Flask-Admin renders it as a link
            if request.method != "GET":
                abort(400)
            return redirect(without_return_parameter("url"))
        operation = WRITE_VIEWS.get(name)
        if operation and not self._can(operation):
            abort(403)
        if name == "action_view" and not any(self.is_action_allowed(action) for action, _text in self._actions):
            abort(403)
        return None

    def equals_filter_arg(self, column_name: str) -> str:
        """The URL argument (``flt0_<n>``) filtering this list by ``column_name == value``."""
        column = self.model.__table__.c[column_name]
        for arg, (_index, flt) in (self._filter_args or {}).items():
            if flt.column is column and isinstance(flt, FilterEqual) and not isinstance(flt, FilterNotEqual):
                return f"flt0_{arg}"
        raise KeyError(column_name)

    def history_url(self, record: Any) -> str | None:
        """The audit trail filtered to ``record``'s own events, for users who may read the trail."""
        from kesu.models import AuditEvent

        if not policy.may(current_user, Act.READ, AuditEvent):
            return None
        trail = next(view for view in self.admin._views if getattr(view, "model", None) is AuditEvent)
        arguments = {trail.equals_filter_arg("record_type"): self.model.__tablename__,
                     trail.equals_filter_arg("record_id"): record.id}
        return url_for(f"{trail.endpoint}.index_view", **arguments)

    def _get_filter_groups(self):
        """Flask-Admin's filter menu, with the groups of fixed options (statuses, channels…) translated once a
        language rather than once a page; options read from the database (:class:`LiveOptions`: departments,
        handlers…) are read each time, so a department added today appears in today's filter."""
        if not self._filter_groups:
            return None
        fixed = self._fixed_filter_groups
        language = str(get_locale())
        results = {}
        for name, group in self._filter_groups.items():
            if any(isinstance(item["options"], LiveOptions) for item in group):
                key, items = group.non_lazy()
            else:
                if (language, name) not in fixed:
                    fixed[language, name] = group.non_lazy()
                key, items = fixed[language, name]
            results[key] = items
        return results

    # --- search ---------------------------------------------------------------------------------------
    def _search_condition(self, name: str, term: str):
        """A related column (``customer.name``) is searched through ``customer_id IN (…)``, not a join:
        at 100,000 cases the join makes the page count three times slower."""
        if "." not in name:
            return search_match(getattr(self.model, name), name, term)
        relation_name, attribute = name.split(".", 1)
        relation = getattr(self.model, relation_name).property
        related = relation.mapper.class_
        (local_column,) = relation.local_columns
        return local_column.in_(select(related.id).where(search_match(getattr(related, attribute), name, term)))

    def _search_label(self, name: str) -> str:
        """A searched column's label; a phone or e-mail this user sees masked is marked as matched whole."""
        label = str(self.column_labels.get(name, name))
        if personal_kind(name) and searches_whole_personal_values_only(current_user):
            return label + _("（完整匹配）")
        return label

    def search_placeholder(self) -> str | None:
        return ", ".join(self._search_label(name) for name in self.column_searchable_list or ()) or None

    def _apply_search(self, query, count_query, joins, count_joins, search: str):
        """Every word must match one of the searchable columns, as in Flask-Admin (see :func:`search_match`)."""
        for term in search.split():
            condition = or_(*(self._search_condition(name, term) for name in self.column_searchable_list))
            query = query.filter(condition)
            if count_query is not None:
                count_query = count_query.filter(condition)
        return query, count_query, joins, count_joins

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        """The list's sort, then the id: rows that tie come in one fixed order, on the page and in an export."""
        query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
        return query.order_by(self.model.id.desc()), joins

    def _apply_pagination(self, query, page: int | None, page_size: int | None):
        """A deep page is found by ids alone, then read whole: ``… WHERE id IN (SELECT id … ORDER BY …
        OFFSET n LIMIT 50)`` (a "deferred join"), so the database steps over n narrow index entries rather
        than n whole rows with their customer, category and handler joined (page 2,000 of a million cases
        in tens of milliseconds instead of most of a second)."""
        page_size = self.page_size if page_size is None else page_size
        if not page or not page_size or page * page_size < DEFERRED_JOIN_FROM:
            return super()._apply_pagination(query, page, page_size)
        ids = query.with_entities(self.model.id).offset(page * page_size).limit(page_size)
        return query.filter(self.model.id.in_(ids.subquery().select())).limit(page_size)

    def get_list_row_actions(self):
        return row_actions(self)

    # --- row scope --------------------------------------------------------------------------------
    def get_query(self):
        return scope_query(super().get_query(), self.model, current_user)

    def get_count_query(self):
        return scope_query(list_count_query(db.session, self.model), self.model, current_user)

    def get_one(self, id: Any):
        """The record, if this user may read it; else 404 (a record out of sight is not said to exist)."""
        if not isinstance(id, str) or not is_record_id(id):
            abort(404)
        record = db.session.get(self.model, int(id))
        if record is None or not policy.may(current_user, Act.READ, record):
            abort(404)
        return record

    def _create_ajax_loader(self, name: str, options: dict[str, Any]):
        attr = getattr(self.model, name)
        remote_model = attr.property.mapper.class_
        return ScopedAjaxLoader(name, self.session, remote_model, **options)

    def on_model_change(self, form, model, is_created: bool) -> None:
        """The record as populated must still be one this user may create or edit: in their department (no
        moving it away) and, for rows edited as a field of a workflow record, open at that record's stage."""
        refused = policy.refusal(current_user, Act.CREATE if is_created else Act.EDIT, model)
        if refused:
            raise ValidationError(refused)

    def on_model_delete(self, model) -> None:
        refused = policy.refusal(current_user, Act.DELETE, model)
        if refused:
            raise ValidationError(refused)

    def prefill_case(self, form) -> None:
        """``?case_id=`` from a case page pre-fills the case field, if the user may see that case."""
        case_id = request.args.get("case_id", "")
        if is_record_id(case_id) and not form.case.data and request.method == "GET":
            form.case.data = form.case.loader.get_one(int(case_id))

    # --- edit conflicts (optimistic locking) ------------------------------------------------------
    @property
    def versioned(self) -> bool:
        return self.model.__mapper__.version_id_col is not None

    def scaffold_form(self):
        form_class = super().scaffold_form()
        if self.versioned:
            form_class.version = VersionField()
        return form_class

    def _conflict_message(self, model: Any) -> str:
        db.session.rollback()
        who = last_editor(db.session, model) or _("其他用户")
        return _("保存失败：在您打开后，此记录已被 %(who)s 修改并保存。为避免覆盖对方的修改，您的修改没有保存，"
                 "请刷新页面查看最新内容后重新修改。", who=who)

    def update_model(self, form, model) -> bool:
        if self.versioned and str(form.version.data) != str(model.version):
            flash(self._conflict_message(model), "error")
            return False
        return super().update_model(form, model)

    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, StaleDataError):
            flash(_("保存失败：此记录刚被其他用户修改，您的修改没有保存，请刷新后重试。"), "error")
            return True
        if isinstance(exc, IntegrityError):
            flash(_("保存失败：数据不符合规则（%(rule)s），没有做任何修改。请检查填写的内容。",
                    rule=constraint_name(exc)), "error")
            return True
        return super().handle_view_exception(exc)

    # --- bulk delete ------------------------------------------------------------------------------
    @action("delete", admin_lazy_gettext("Delete"),
            admin_lazy_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids: list[str]) -> None:
        """The list's "delete selected": the ids read as numbers (PostgreSQL compares no integer id with text),
        then the selected records this user may see deleted with their audit events in one transaction, or
        none of them with the reason."""
        invalid = {i for i in ids if not is_record_id(str(i))}
        if invalid:
            flash(_("已忽略 %(n)s 个无效的记录编号。", n=len(invalid)), "warning")
        numbers = {int(i) for i in ids if i not in invalid}
        try:
            records = self.get_query().filter(self.model.id.in_(numbers)).order_by(self.model.id).all()
            if not records:
                flash(_("没有删除任何记录：所选记录不存在或您无权查看。"), "error")
                return
            for record in records:
                self.on_model_delete(record)
                db.session.delete(record)
            db.session.commit()
        except ValidationError as refused:
            db.session.rollback()
            flash(_("没有删除任何记录：%(reason)s", reason=str(refused)), "error")
            return
        except IntegrityError as exc:
            db.session.rollback()
            flash(_("没有删除任何记录：所选记录仍被其他记录引用（%(rule)s），请先处理引用它们的记录。",
                    rule=constraint_name(exc)), "error")
            return
        except SQLAlchemyError as exc:  # logged, and a message without the SQL (FailureMessagesMixin)
            db.session.rollback()
            self.handle_view_exception(exc)
            return
        for record in records:
            self.after_model_delete(record)
        flash(_("已删除 %(n)s 条记录。", n=len(records)), "success")

    # --- personal information -------------------------------------------------------------------
    def _log_personal_info_view(self) -> None:
        if not self.personal_info_columns or not sees_personal_info(current_user):
            return
        record_event_apart("view_personal_info", record_type=self.model.__tablename__,
                           record_id=int(request.args.get("id", 0)) or None,
                           comment=",".join(self.personal_info_columns))

    @expose("/details/")
    def details_view(self):
        response = super().details_view()
        if isinstance(response, str):  # rendered, not redirected
            self._log_personal_info_view()
        return response
