"""Who may see what: each role's rights on each table, the department scope, masking of personal data.

Confidentiality (DESIGN.md, 000 总则): a handler sees only the cases of their own department and what
hangs off them. Every list, form lookup and export query goes through :func:`scope_query`; a single record
is checked with :func:`in_scope`, made from the same declaration (:data:`DEPARTMENT_PATHS`). What a user may
do to a record now (its stage included) is :func:`kesu.policy.refusal`'s answer, made from these.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Query

from kesu.models import (
    Accountability,
    Approval,
    Attachment,
    AuditEvent,
    Case,
    Category,
    Claim,
    ContactLog,
    Customer,
    Department,
    DocumentTemplate,
    GeneratedDocument,
    GoodsHold,
    Holiday,
    Job,
    LossItem,
    Payment,
    Setting,
    SlaRule,
    User,
)
from kesu.validators import normal_phone, phone_digits
from kesu.workflow.statuses import INVESTIGATORS, REGISTRARS

STAFF = frozenset({"admin", "clerk", "handler", "approver", "finance", "auditor"})
ALL_BUT_HANDLER = STAFF - {"handler"}
ADMIN = frozenset({"admin"})
NOBODY: frozenset[str] = frozenset()
SEES_PERSONAL_INFO = frozenset({"admin", "clerk"})
SEES_EVERY_DEPARTMENT = frozenset({"admin", "clerk", "approver", "finance", "auditor"})
#: Who exports the business lists (a handler's export holds only their department's rows). Clerks work
#: record by record and do not export.
EXPORTERS = frozenset({"admin", "auditor", "approver", "finance", "handler"})
AUDITORS = frozenset({"admin", "auditor"})


@dataclass(frozen=True)
class Access:
    read: frozenset[str]
    create: frozenset[str] = NOBODY
    edit: frozenset[str] = NOBODY
    delete: frozenset[str] = NOBODY
    export: frozenset[str] = AUDITORS


# Workflow fields (status, approvals, payments) change only through kesu.workflow; these are
# the direct edits each role may make in the tables.
ACCESS: dict[type, Access] = {
    Case: Access(read=STAFF, create=frozenset({"admin", "clerk"}), edit=frozenset({"admin", "clerk", "handler"}),
                 export=EXPORTERS),
    ContactLog: Access(read=STAFF, create=frozenset({"admin", "clerk", "handler"}),
                       edit=frozenset({"admin", "clerk", "handler"}), export=EXPORTERS),
    # Goods on hold are part of the case's investigation, loss items part of the claim: who edits them (removing
    # rows entered by mistake too), and in which status, is the parent's field group's rule (kesu.policy).
    GoodsHold: Access(read=STAFF, create=INVESTIGATORS, edit=INVESTIGATORS, delete=INVESTIGATORS, export=EXPORTERS),
    Attachment: Access(read=STAFF, create=frozenset({"admin", "clerk", "handler"}), delete=ADMIN, export=EXPORTERS),
    Claim: Access(read=STAFF, create=frozenset({"admin", "clerk"}), edit=frozenset({"admin", "clerk"}),
                  export=EXPORTERS),
    LossItem: Access(read=STAFF, create=REGISTRARS, edit=REGISTRARS, delete=REGISTRARS, export=EXPORTERS),
    Approval: Access(read=ALL_BUT_HANDLER, export=EXPORTERS - {"handler"}),
    Payment: Access(read=ALL_BUT_HANDLER, export=EXPORTERS - {"handler"}),
    Accountability: Access(read=STAFF, create=frozenset({"admin", "approver"}),
                           edit=frozenset({"admin", "approver"}), export=EXPORTERS),
    Customer: Access(read=STAFF, create=frozenset({"admin", "clerk"}), edit=frozenset({"admin", "clerk"}),
                     export=EXPORTERS),
    Department: Access(read=STAFF, create=ADMIN, edit=ADMIN, delete=ADMIN),
    User: Access(read=ALL_BUT_HANDLER, create=ADMIN, edit=ADMIN),
    Category: Access(read=STAFF, create=ADMIN, edit=ADMIN, delete=ADMIN),
    SlaRule: Access(read=STAFF, create=ADMIN, edit=ADMIN, delete=ADMIN),
    Holiday: Access(read=STAFF, create=ADMIN, edit=ADMIN, delete=ADMIN),
    Setting: Access(read=ALL_BUT_HANDLER, edit=ADMIN),
    DocumentTemplate: Access(read=ALL_BUT_HANDLER, create=ADMIN),
    # Generated through the documents' buttons only; a handler reads those of their department's cases.
    GeneratedDocument: Access(read=STAFF, export=EXPORTERS),
    AuditEvent: Access(read=frozenset({"admin", "auditor"})),
    # Each user's own jobs (the view narrows the rows to the owner's, but for the administrator).
    Job: Access(read=STAFF, export=NOBODY),
}


def can(user: Any, operation: str, model: type) -> bool:
    """``operation`` is one of read, create, edit, delete, export."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role in getattr(ACCESS[model], operation)


#: Which records a handler sees, declared once: the relationships from a record to the row whose
#: ``department_id`` must be the handler's (its case, for all that hangs off a case; itself for a case or a
#: user). Several paths: any of them will do. Undeclared models are reference data every role sees whole.
#: The lists' SQL condition (:func:`row_condition`) and the per-record check (:func:`in_scope`) are both
#: read from here.
DEPARTMENT_PATHS: dict[type, tuple[str, ...]] = {
    Case: ("",),
    User: ("",),
    ContactLog: ("case",),
    GoodsHold: ("case",),
    Claim: ("case",),
    Accountability: ("case",),
    GeneratedDocument: ("case",),
    LossItem: ("claim.case",),
    Approval: ("claim.case", "case"),
    Payment: ("claim.case",),
    Attachment: ("case", "claim.case"),
    Customer: ("cases",),
}


#: Records that belong to the user who made them (a background job and its result): everyone but the
#: administrator sees only their own, whatever their department.
OWNER_COLUMNS: dict[type, str] = {Job: "owner_id"}


def _hops(path: str) -> list[str]:
    return path.split(".") if path else []


def _path_condition(model: type, hops: list[str], department_id: int):
    """SQL: ``model``'s rows whose path ``hops`` leads to a row of ``department_id``. Each hop is a
    ``column IN (SELECT …)`` on the relationship's columns (a join makes the list's count slower at 100,000
    cases), in either direction: ``claim.case_id IN (SELECT case.id …)``, ``customer.id IN (SELECT
    case.customer_id …)``."""
    if not hops:
        return model.department_id == department_id
    relationship = getattr(model, hops[0]).property
    ((local, remote),) = relationship.local_remote_pairs
    target = relationship.mapper.class_
    return local.in_(select(remote).where(_path_condition(target, hops[1:], department_id)))


def _reaches(record: Any, hops: list[str], department_id: int) -> bool:
    """Python: the same path followed on the record's objects (a collection: any of its members)."""
    if record is None:
        return False
    if not hops:
        return record.department_id is not None and record.department_id == department_id
    value = getattr(record, hops[0])
    members = value if isinstance(value, list) else [value]
    return any(_reaches(member, hops[1:], department_id) for member in members)


def _limited(user: Any) -> bool:
    """Whether ``user`` sees only their department's share of the records."""
    return getattr(user, "role", None) not in SEES_EVERY_DEPARTMENT


def row_condition(model: type, user: Any):
    """None when ``user`` sees every row of ``model``; else the SQL condition of the rows they see."""
    if model in OWNER_COLUMNS:
        return None if user.role == "admin" else getattr(model, OWNER_COLUMNS[model]) == user.id
    if not _limited(user) or model not in DEPARTMENT_PATHS:
        return None
    if user.department_id is None:
        return false()
    return or_(*(_path_condition(model, _hops(path), user.department_id) for path in DEPARTMENT_PATHS[model]))


def scope_query(query: Query, model: type, user: Any) -> Query:
    condition = row_condition(model, user)
    return query if condition is None else query.filter(condition)


def in_scope(user: Any, record: Any) -> bool:
    """Whether ``record`` is among the rows :func:`row_condition` lets ``user`` see, read from the record's
    objects as they are in memory (a record being saved counts with its new values)."""
    model = type(record)
    if model in OWNER_COLUMNS:
        return user.role == "admin" or getattr(record, OWNER_COLUMNS[model]) == user.id
    if not _limited(user) or model not in DEPARTMENT_PATHS:
        return True
    if user.department_id is None:
        return False
    return any(_reaches(record, _hops(path), user.department_id) for path in DEPARTMENT_PATHS[model])


def sees_personal_info(user: Any) -> bool:
    return getattr(user, "role", None) in SEES_PERSONAL_INFO


def mask_phone(value: str | None) -> str:
    """``13812345678`` → ``138****5678``; short numbers keep only their last two digits."""
    if not value:
        return ""
    if len(value) >= 7:
        return value[:3] + "****" + value[-4:]
    return "*" * (len(value) - 2) + value[-2:]


def mask_email(value: str | None) -> str:
    """``zhang.wei@example.com`` → ``z***@example.com``."""
    if not value:
        return ""
    local, _, domain = value.partition("@")
    return (local[:1] + "***@" + domain) if domain else local[:1] + "***"


PERSONAL_MASKS = {"phone": mask_phone, "email": mask_email}


def personal_value_for(user: Any, kind: str, value: Any) -> str:
    """A phone or e-mail (``kind``) as ``user`` may see it: whole for admin and clerk, masked for the rest."""
    if value is None:
        return ""
    return str(value) if sees_personal_info(user) else PERSONAL_MASKS[kind](str(value))


# --- searching personal data -----------------------------------------------------------------------------
def personal_kind(column_name: str) -> str | None:
    """``phone`` for a column named ``phone`` (``customer.phone`` too), ``email`` likewise, else None."""
    kind = column_name.rsplit(".", 1)[-1]
    return kind if kind in PERSONAL_MASKS else None


def searches_whole_personal_values_only(user: Any) -> bool:
    """Roles that see phones and e-mails masked find a record by its whole phone or e-mail only: matching a
    part would let them recover a hidden number digit by digit."""
    return not sees_personal_info(user)


def normalise_phone_for_search(term: str) -> str:
    """A phone as typed in a search box, as the digits of a stored number (read as the forms read it, see
    :func:`kesu.validators.normal_phone`): ``+86 138-1234-5678`` → ``13812345678``, ``(021) 1234 5678`` →
    ``02112345678``, ``+86 10 8888 6666`` → ``01088886666``; what is no phone number, without its separators."""
    normal = normal_phone(term)
    return normal.replace("-", "") if normal else phone_digits(term)


def whole_personal_value(kind: str, column, term: str):
    """SQL: the stored phone, its dashes and spaces ignored, or the stored e-mail, in any case, equals the
    whole of ``term``."""
    if kind == "phone":
        return func.replace(func.replace(column, "-", ""), " ", "") == normalise_phone_for_search(term)
    return func.lower(column) == term.lower()
