"""What each status of the three machines means, declared once: kind, clock, documents, editable fields, words for
customers, colour.

The key and its Chinese label are the stored vocabulary of :mod:`kesu.choices` (the database CHECK constraints are
made from it); everything else a status means is declared here, and the home page, the documents, the SLA clocks,
the demo data and the edit forms read it from here. The transitions between statuses are in the machine modules
(:mod:`kesu.workflow.case`, ``claim``, ``accountability``).

This module imports no model and no other part of the workflow, so :mod:`kesu.sla` can read the clocks from it
while the machines import :mod:`kesu.sla`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l

from kesu.choices import ACCOUNTABILITY_STATUS, CASE_STATUS, CLAIM_STATUS, REGULATOR_CHANNEL, Choices


class Kind(StrEnum):
    """Where a status stands: work still runs (open), the outcome is reached and only record-keeping steps or
    re-open paths remain (closed), or nothing can happen any more (final)."""

    OPEN = "open"
    CLOSED = "closed"
    FINAL = "final"


@dataclass(frozen=True)
class FieldGroup:
    """Fields of the edit form that are edited together, shown under one heading."""

    key: str
    label: Any
    fields: tuple[str, ...]
    #: Shown in place of the group when none of its fields is editable for the user, saying why.
    locked_note: Any = None


@dataclass(frozen=True)
class ClockRule:
    """The SLA clock (a :data:`kesu.choices.SLA_CLOCK` key) a status starts, if ``when`` holds for the record.

    ``when`` may look at what has been written in the status (the 8D milestones): the record then moves on to
    the next rule that applies, counted from the same start (:func:`kesu.sla.follow_clock`). ``since`` gives
    the moment the limit counts from when that is not the moment the status's clock started (the regulator's
    limit runs from the complaint's receipt, whatever the status)."""

    clock: str
    when: Callable[[Any], bool] | None = None
    since: Callable[[Any], Any] | None = None

    def applies_to(self, record: Any) -> bool:
        return self.when is None or bool(self.when(record))


@dataclass(frozen=True)
class Status:
    key: str
    kind: Kind
    #: What the status means, in plain Chinese for the customer (the public progress page shows it).
    description: Any
    #: A Bootstrap contextual name (``primary``, ``info``, ``warning``…) for badges and the status bar.
    colour: str
    #: Clocks started on entering the status: the first rule that applies to the record wins; none, no clock.
    clocks: tuple[ClockRule, ...] = ()
    #: Document types (:data:`kesu.choices.DOCUMENT_TYPE` keys) that can be issued in this status.
    documents: frozenset[str] = frozenset()
    #: Field group key → the roles that may edit it in this status (a group not named is editable by nobody,
    #: admin included: it changes only through the transitions). A handler edits only their department's
    #: records (:mod:`kesu.permissions`).
    editable: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: On the main path (the status bar's steps); side statuses (rejected, reopened, appealed) are off it.
    on_path: bool = True
    #: The label, from the machine's :class:`~kesu.choices.Choices`; filled in by :class:`Statuses`.
    label: Any = None

    @property
    def is_open(self) -> bool:
        return self.kind is Kind.OPEN

    def clock_rule_for(self, record: Any) -> ClockRule | None:
        return next((rule for rule in self.clocks if rule.applies_to(record)), None)

    def clock_for(self, record: Any) -> str | None:
        rule = self.clock_rule_for(record)
        return rule.clock if rule else None


class Statuses:
    """One machine's statuses in workflow order, and its field groups."""

    def __init__(self, name: str, choices: Choices, groups: tuple[FieldGroup, ...], *statuses: Status) -> None:
        self.name, self.choices, self.groups = name, choices, groups
        self._statuses = {s.key: replace(s, label=choices.lazy_label(s.key)) for s in statuses}
        unknown = set(self._statuses) ^ set(choices)
        if unknown:
            raise ValueError(f"{name}: statuses {sorted(unknown)} are declared in only one of the choices and here")
        self._groups = {g.key: g for g in groups}
        for status in statuses:
            strangers = set(status.editable) - set(self._groups)
            if strangers:
                raise ValueError(f"{name}.{status.key}: unknown field groups {sorted(strangers)}")

    def __iter__(self) -> Iterator[Status]:
        return iter(self._statuses.values())

    def __getitem__(self, key: str) -> Status:
        return self._statuses[key]

    def __contains__(self, key: object) -> bool:
        return key in self._statuses

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self._statuses)

    @property
    def initial(self) -> str:
        return next(iter(self._statuses))

    @property
    def path(self) -> tuple[str, ...]:
        """The main path, in order: the steps of the status bar."""
        return tuple(s.key for s in self if s.on_path)

    def of_kind(self, *kinds: Kind) -> tuple[str, ...]:
        return tuple(s.key for s in self if s.kind in kinds)

    @property
    def open(self) -> tuple[str, ...]:
        return self.of_kind(Kind.OPEN)

    def with_document(self, doc_type: str) -> frozenset[str]:
        """The statuses in which ``doc_type`` can be issued."""
        return frozenset(s.key for s in self if doc_type in s.documents)

    @property
    def form_fields(self) -> tuple[str, ...]:
        """Every field of every group, in order: the record's edit form."""
        return tuple(name for g in self.groups for name in g.fields)

    def group(self, key: str) -> FieldGroup:
        return self._groups[key]

    def group_of(self, field_name: str) -> FieldGroup | None:
        """The group a form field belongs to (None for a field of no group)."""
        return next((g for g in self.groups if field_name in g.fields), None)

    def may_edit(self, status: str, group: str, role: str) -> bool:
        return role in self[status].editable.get(group, frozenset())

    def editors(self, status: str, group: str | None = None) -> frozenset[str]:
        """The roles that may edit ``group`` (or any group) in ``status``."""
        editable = self[status].editable
        groups = [group] if group is not None else list(editable)
        return frozenset(role for key in groups for role in editable.get(key, ()))

    def locked_fields(self, status: str, role: str) -> tuple[str, ...]:
        """The form fields of the groups ``role`` may not edit in ``status``."""
        return tuple(name for g in self.groups if not self.may_edit(status, g.key, role) for name in g.fields)


# --- who edits ------------------------------------------------------------------------------------------
#: The clerk who registers a case or a claim (and the admin).
REGISTRARS = frozenset({"admin", "clerk"})
#: The responsible department's handler (and the admin).
INVESTIGATORS = frozenset({"admin", "handler"})
#: The approver who proposes an accountability measure (and the admin).
PROPOSERS = frozenset({"admin", "approver"})

#: Severities that make a case an 8D case (as does a batch complaint).
EIGHT_D_SEVERITIES = ("major", "critical")


def is_eight_d(case: Any) -> bool:
    """Serious or batch complaints are 8D cases: their investigation starts with the containment clock."""
    return bool(case.is_batch) or case.severity in EIGHT_D_SEVERITIES


def _written(*texts: str | None) -> bool:
    return all((text or "").strip() for text in texts)


# The 8D milestones (003 篇三: containment and first cause in 4 hours, an interim report in 8, the final report in
# 48, all counted from when the department took the case): each clock runs until its part of the 8D is written.
def awaits_containment(case: Any) -> bool:
    return is_eight_d(case) and not _written(case.containment)


def awaits_interim_report(case: Any) -> bool:
    """The interim report names the root cause."""
    return is_eight_d(case) and not _written(case.root_cause)


def awaits_final_report(case: Any) -> bool:
    """The final report adds the corrective and preventive actions."""
    return is_eight_d(case) and not _written(case.corrective_action, case.preventive_action)


def is_regulator_case(case: Any) -> bool:
    """Forwarded by the market regulator (12315): the company answers within the regulator's limit."""
    return case.channel == REGULATOR_CHANNEL


def received(case: Any) -> Any:
    return case.received_at


#: The regulator's limit counts from the complaint's receipt until the company gives its answer (notifies the
#: customer of its decision); it comes before the company's own clocks, but after the 8D hours.
REGULATOR_CLOCK = ClockRule("regulator_case", when=is_regulator_case, since=received)


# --- the complaint case ---------------------------------------------------------------------------------
CASE_GROUPS = (
    # A customer not yet on file is typed in with the case (new_customer_*) and registered with it.
    FieldGroup("registration", _l("投诉登记"), ("received_at", "channel", "market", "customer", "new_customer_name",
                                            "new_customer_phone", "category", "severity", "is_batch", "title",
                                            "description", "customer_demand"),
               locked_note=_l("投诉登记信息只能在受理前（“已登记”）或申诉后重新处理时由客服专员修改。")),
    FieldGroup("product", _l("产品信息"), ("product", "model_no", "part_no", "lot_no", "quantity", "defect_rate"),
               locked_note=_l("产品信息只能在受理前（“已登记”）或申诉后重新处理时由客服专员修改。")),
    FieldGroup("assignment", _l("责任部门"), ("department", "handler"),
               locked_note=_l("责任部门和处理人只能通过“分派责任部门”等流程操作改变。")),
    FieldGroup("investigation", _l("调查（8D）"),
               ("containment", "root_cause", "corrective_action", "preventive_action", "goods_holds"),
               locked_note=_l("调查（8D）和受影响货物只能在“调查中”状态由责任部门的处理人填写。")),
    FieldGroup("case_library", _l("案例库"), ("is_typical", "lessons_learned"),
               locked_note=_l("案例库信息在结案前由客服专员填写，结案后不能修改。")),
)

#: Who edits each case group while it is open to editing; department and handler change only through the
#: assign (and transfer) steps, never in the form.
CASE_EDITORS = {"registration": REGISTRARS, "product": REGISTRARS, "investigation": INVESTIGATORS,
                "case_library": REGISTRARS}


def _case_editing(*groups: str) -> dict[str, frozenset[str]]:
    """The case groups open to editing in a status, each to its editors."""
    return {group: CASE_EDITORS[group] for group in groups}


#: Registration and product belong to the clerk until the case is accepted (and again when an appeal reopens it);
#: the case-library notes stay open until the case is closed. After that a case changes only through its steps.
REGISTERING = _case_editing("registration", "product", "case_library")
LIBRARY_ONLY = _case_editing("case_library")


ACCEPTED_DOCUMENTS = frozenset({"acknowledgement"})
INVESTIGATED_DOCUMENTS = ACCEPTED_DOCUMENTS | {"investigation_report", "transfer_slip"}
DECIDED_DOCUMENTS = INVESTIGATED_DOCUMENTS | {"result_notice"}

CASE_STATUSES = Statuses(
    "case", CASE_STATUS, CASE_GROUPS,
    Status("registered", Kind.OPEN, _l("您的投诉已登记，我们将尽快核实并答复您。"), "secondary",
           clocks=(ClockRule("first_response"),), editable=REGISTERING),
    Status("accepted", Kind.OPEN, _l("您的投诉已受理，正在安排责任部门处理。"), "info",
           clocks=(REGULATOR_CLOCK, ClockRule("internal_check")), documents=ACCEPTED_DOCUMENTS,
           editable=LIBRARY_ONLY),
    Status("investigating", Kind.OPEN, _l("责任部门正在调查问题原因。"), "primary",
           clocks=(ClockRule("containment", when=awaits_containment),
                   ClockRule("interim_report", when=awaits_interim_report),
                   ClockRule("final_report", when=awaits_final_report),
                   REGULATOR_CLOCK, ClockRule("department_reply")),
           documents=INVESTIGATED_DOCUMENTS, editable=_case_editing("investigation", "case_library")),
    Status("solution_proposed", Kind.OPEN, _l("处理方案已拟定，正在内部审核。"), "primary",
           clocks=(REGULATOR_CLOCK,), documents=INVESTIGATED_DOCUMENTS, editable=LIBRARY_ONLY),
    Status("approved", Kind.OPEN, _l("处理方案已审批通过，我们将尽快与您联系。"), "primary",
           clocks=(REGULATOR_CLOCK,), documents=DECIDED_DOCUMENTS, editable=LIBRARY_ONLY),
    Status("customer_notified", Kind.OPEN, _l("我们已将处理方案告知您，等待您的意见。"), "warning",
           documents=DECIDED_DOCUMENTS, editable=LIBRARY_ONLY),
    Status("customer_confirmed", Kind.OPEN, _l("您已同意处理方案，我们将安排执行。"), "primary",
           documents=DECIDED_DOCUMENTS, editable=LIBRARY_ONLY),
    Status("implementing", Kind.OPEN, _l("处理方案正在执行。"), "primary",
           documents=DECIDED_DOCUMENTS, editable=LIBRARY_ONLY),
    Status("follow_up", Kind.OPEN, _l("处理已完成，我们正在回访，了解您是否满意。"), "info",
           documents=DECIDED_DOCUMENTS, editable=LIBRARY_ONLY),
    Status("closed", Kind.CLOSED, _l("您的投诉已处理完毕。如对处理结果有异议，可在申诉期限内提出申诉。"), "success",
           documents=DECIDED_DOCUMENTS),
    Status("archived", Kind.FINAL, _l("您的投诉已处理完毕并归档。"), "dark",
           documents=DECIDED_DOCUMENTS),
    Status("rejected", Kind.CLOSED, _l("经核实，您的投诉不予受理，理由见处理结果通知书。如有异议，可在申诉期限内提出申诉。"),
           "danger", documents=frozenset({"result_notice"}), on_path=False),
    Status("reopened", Kind.OPEN, _l("我们已收到您的申诉，正在重新处理。"), "warning",
           clocks=(ClockRule("internal_check"),), documents=DECIDED_DOCUMENTS, editable=REGISTERING,
           on_path=False),
)

# --- the claim ------------------------------------------------------------------------------------------
CLAIM_GROUPS = (
    FieldGroup("claim", _l("索赔申请"),
               ("case", "claimed_amount", "reason", "compensation_form", "payment_deadline", "loss_items"),
               locked_note=_l("索赔申请和损失明细只能在提交审批前由客服专员修改，此后只能通过流程操作改变。")),
)
#: The claim and its loss items are the clerk's until they go to approval.
CLAIM_EDITING = {"claim": REGISTRARS}
SETTLED = frozenset({"settlement_agreement"})

CLAIM_STATUSES = Statuses(
    "claim", CLAIM_STATUS, CLAIM_GROUPS,
    Status("submitted", Kind.OPEN, _l("您的索赔申请已提交，等待初审。"), "secondary",
           clocks=(ClockRule("claim_review"),), editable=CLAIM_EDITING),
    Status("preliminary_review", Kind.OPEN, _l("您的索赔申请正在初审。"), "info",
           clocks=(ClockRule("claim_review"),), editable=CLAIM_EDITING),
    Status("investigating", Kind.OPEN, _l("我们正在调查核实您的损失。"), "primary",
           clocks=(ClockRule("claim_investigation"),), editable=CLAIM_EDITING),
    Status("assessed", Kind.OPEN, _l("您的损失已核定，正在拟定赔偿方案。"), "primary", editable=CLAIM_EDITING),
    Status("pending_approval", Kind.OPEN, _l("赔偿方案正在审批。"), "warning"),
    Status("approved", Kind.OPEN, _l("赔偿方案已批准，我们将与您确认。"), "primary", documents=SETTLED),
    Status("rejected", Kind.CLOSED, _l("经审核，您的索赔申请未获批准。"), "danger", on_path=False),
    Status("customer_confirmed", Kind.OPEN, _l("您已确认赔偿方案，我们将按约定支付。"), "primary", documents=SETTLED),
    Status("paid", Kind.CLOSED, _l("赔偿款已全部支付。"), "success", documents=SETTLED),
    Status("closed", Kind.FINAL, _l("您的索赔已办结。"), "dark", documents=SETTLED),
)

# --- accountability -------------------------------------------------------------------------------------
ACCOUNTABILITY_GROUPS = (
    FieldGroup("decision", _l("责任与处理措施"),
               ("case", "person", "department", "cause", "facts", "measure", "fine_amount", "improvement"),
               locked_note=_l("责任与处理措施只能在批准前由主管修改，此后只能通过流程操作改变。")),
)
#: The proposal is the approver's until it is approved.
ACCOUNTABILITY_EDITING = {"decision": PROPOSERS}
DECIDED = frozenset({"accountability_decision"})

ACCOUNTABILITY_STATUSES = Statuses(
    "accountability", ACCOUNTABILITY_STATUS, ACCOUNTABILITY_GROUPS,
    Status("proposed", Kind.OPEN, _l("责任追究意见已拟定，等待审批。"), "secondary", editable=ACCOUNTABILITY_EDITING),
    Status("approved", Kind.OPEN, _l("责任追究决定已批准，将告知当事人。"), "primary", documents=DECIDED),
    Status("notified", Kind.OPEN, _l("决定已告知当事人，当事人可提出申诉。"), "info", documents=DECIDED),
    Status("appealed", Kind.OPEN, _l("当事人已申诉，等待处理。"), "warning", documents=DECIDED, on_path=False),
    Status("executed", Kind.FINAL, _l("决定已执行。"), "dark", documents=DECIDED),
    Status("revoked", Kind.FINAL, _l("申诉成立，原决定已撤销。"), "secondary", on_path=False),
)

STATUSES: dict[str, Statuses] = {s.name: s for s in (CASE_STATUSES, CLAIM_STATUSES, ACCOUNTABILITY_STATUSES)}
