"""Who may do what, in one module: per-record access by role, row-level scope, masking of personal data.

Confidentiality (DESIGN.md, 000 总则): a handler sees only the cases of their own department and what
hangs off them. Every list, detail, form lookup and export query goes through :func:`scope_query`.
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
    LossItem,
    Payment,
    Setting,
    SlaRule,
    User,
)
from kesu.validators import normal_phone, phone_digits

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
    # Whoever may edit a case edits its goods on hold inline, removing rows entered by mistake too.
    GoodsHold: Access(read=STAFF, create=frozenset({"admin", "clerk", "handler"}),
                      edit=frozenset({"admin", "clerk", "handler"}), delete=frozenset({"admin", "clerk", "handler"}),
                      export=EXPORTERS),
    Attachment: Access(read=STAFF, create=frozenset({"admin", "clerk", "handler"}), delete=ADMIN, export=EXPORTERS),
    Claim: Access(read=STAFF, create=frozenset({"admin", "clerk"}), edit=frozenset({"admin", "clerk"}),
                  export=EXPORTERS),
    LossItem: Access(read=STAFF, create=frozenset({"admin", "clerk", "handler"}),
                     edit=frozenset({"admin", "clerk", "handler"}), delete=frozenset({"admin", "clerk"}),
                     export=EXPORTERS),
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
}


def can(user: Any, operation: str, model: type) -> bool:
    """``operation`` is one of read, create, edit, delete, export."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role in getattr(ACCESS[model], operation)


def _department_case_ids(department_id: int):
    return select(Case.id).where(Case.department_id == department_id)


def _department_claim_ids(department_id: int):
    return select(Claim.id).join(Case, Claim.case_id == Case.id).where(Case.department_id == department_id)


def _handler_condition(model: type, department_id: int):
    """The SQL condition limiting ``model`` to what a handler of ``department_id`` may see."""
    case_ids = _department_case_ids(department_id)
    claim_ids = _department_claim_ids(department_id)
    conditions = {
        Case: lambda: Case.department_id == department_id,
        ContactLog: lambda: ContactLog.case_id.in_(case_ids),
        GoodsHold: lambda: GoodsHold.case_id.in_(case_ids),
        Claim: lambda: Claim.case_id.in_(case_ids),
        Accountability: lambda: Accountability.case_id.in_(case_ids),
        GeneratedDocument: lambda: GeneratedDocument.case_id.in_(case_ids),
        LossItem: lambda: LossItem.claim_id.in_(claim_ids),
        Approval: lambda: or_(Approval.claim_id.in_(claim_ids), Approval.case_id.in_(case_ids)),
        Payment: lambda: Payment.claim_id.in_(claim_ids),
        Attachment: lambda: or_(Attachment.case_id.in_(case_ids), Attachment.claim_id.in_(claim_ids)),
        Customer: lambda: Customer.id.in_(select(Case.customer_id).where(Case.department_id == department_id)),
        User: lambda: User.department_id == department_id,
    }
    condition = conditions.get(model)
    return condition() if condition else None


def row_condition(model: type, user: Any):
    """None when ``user`` sees every row of ``model``; else the SQL condition of the rows they see."""
    if user.role in SEES_EVERY_DEPARTMENT:
        return None
    if user.department_id is None:
        return false()
    return _handler_condition(model, user.department_id)


def scope_query(query: Query, model: type, user: Any) -> Query:
    condition = row_condition(model, user)
    return query if condition is None else query.filter(condition)


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
