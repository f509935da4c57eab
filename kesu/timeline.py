"""A record's story as plain entries, newest first: its workflow steps with actor and comment, its field changes,
contacts with the customer, approvals and countersigns, payments, documents generated and files attached, and the
views of its personal data folded into one entry.

An entry is plain data (time, kind, actor, title, body, details, links), written in the reader's language with the
values as :mod:`kesu.readable` writes them, so the record page shows it and the customer portal and the API can
reuse it. The steps and changes come from the audit trail; contacts, approvals, payments, documents and attachments
from their own rows (records loaded without the trail, as the demo's, still tell them). Names are loaded in one
query per table, whatever the number of entries.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from kesu import readable
from kesu.choices import (
    APPROVAL_DECISION,
    APPROVAL_KIND,
    CHANNEL,
    CONTACT_DIRECTION,
    DOCUMENT_TYPE,
    RECORD_TYPE,
    Choices,
)
from kesu.extensions import db
from kesu.models import Accountability, Approval, Attachment, AuditEvent, Case, Claim, ContactLog, GeneratedDocument
from kesu.models import Payment
from kesu.permissions import can, scope_query

#: What an entry tells, shown as a word beside its title (not by colour alone).
TIMELINE_KIND = Choices(
    ("created", _l("新建")),
    ("step", _l("流程")),
    ("change", _l("修改")),
    ("contact", _l("沟通")),
    ("approval", _l("审批")),
    ("countersign", _l("会签")),
    ("payment", _l("支付")),
    ("document", _l("文书")),
    ("attachment", _l("附件")),
    ("personal_view", _l("个人信息")),
)


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True)
class Entry:
    at: datetime
    #: A :data:`TIMELINE_KIND` key.
    kind: str
    #: Who did it, by name ("" when nobody in particular).
    actor: str
    title: str
    #: What someone wrote: a comment, a reason, what the customer said.
    body: str = ""
    #: Readable facts: ``状态：调查中 → 方案已拟定``, ``文号：…``, ``金额（元）：¥1,200.00``.
    details: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    #: Entries shown collapsed under this one (the views of personal data).
    folded: tuple[Entry, ...] = ()

    @property
    def kind_label(self) -> str:
        return TIMELINE_KIND.label(self.kind)


class Links(Protocol):
    """Where an entry links to, for one reader: the panel's pages, or the portal's, or none."""

    def record(self, record_type: str, record_id: int) -> str | None: ...

    def document(self, document: GeneratedDocument) -> tuple[Link, ...]: ...

    def attachment(self, attachment: Attachment) -> tuple[Link, ...]: ...


class NoLinks:
    def record(self, record_type: str, record_id: int) -> str | None:
        return None

    def document(self, document: GeneratedDocument) -> tuple[Link, ...]:
        return ()

    def attachment(self, attachment: Attachment) -> tuple[Link, ...]:
        return ()


@dataclass
class Story:
    """What the entries of one record are made with: the reader, the names, the links."""

    viewer: Any
    links: Links
    names: readable.Names = field(default_factory=readable.Names)

    def person(self, user_id: int | None, fallback: str = "") -> str:
        return self.names.name("user", user_id) if user_id is not None else fallback

    def facts(self, table: str, row: Any, *columns: str) -> tuple[str, ...]:
        """``label：value`` for each column of ``row`` that holds something."""
        return tuple(readable.fact(table, name, getattr(row, name), self.viewer, self.names) for name in columns
                     if getattr(row, name) not in (None, ""))


# --- the record's own rows --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Part:
    """One kind of row a record's story tells: whom the reader must be allowed to read, how the rows are found,
    the users they name, and the entry each makes."""

    model: type
    rows: Callable[[Any, Any], Sequence[Any]]
    people: Callable[[Any], Iterable[int | None]]
    entry: Callable[[Any, Story], Entry]


def _contact(log: ContactLog, story: Story) -> Entry:
    title = f"{CHANNEL.label(log.channel)} · {CONTACT_DIRECTION.label(log.direction)}"
    return Entry(log.contacted_at, "contact", story.person(log.staff_id), title, log.content,
                 story.facts("contact_log", log, "outcome", "opinion"))


def _approval(approval: Approval, story: Story) -> Entry:
    kind = "approval" if approval.kind == "approval" else "countersign"
    title = f"{APPROVAL_KIND.label(approval.kind)}：{APPROVAL_DECISION.label(approval.decision)}"
    return Entry(approval.decided_at, kind, story.person(approval.user_id), title, approval.comment or "",
                 story.facts("approval", approval, "amount"))


def _payment(payment: Payment, story: Story) -> Entry:
    return Entry(payment.paid_at, "payment", story.person(payment.recorded_by_id),
                 _("支付 %(amount)s", amount=readable.shown(readable.meaning("payment", "amount"), payment.amount,
                                                           story.viewer, story.names)),
                 details=story.facts("payment", payment, "method", "voucher_no"))


def _document(document: GeneratedDocument, story: Story) -> Entry:
    return Entry(document.created_at, "document", story.person(document.generated_by_id),
                 _("生成%(document)s", document=DOCUMENT_TYPE.label(document.doc_type)),
                 details=story.facts("generated_document", document, "doc_no"), links=story.links.document(document))


def _attachment(attachment: Attachment, story: Story) -> Entry:
    return Entry(attachment.created_at, "attachment", story.person(attachment.uploaded_by_id),
                 _("上传附件：%(name)s", name=attachment.filename), attachment.description or "",
                 story.facts("attachment", attachment, "content_type", "size"), story.links.attachment(attachment))


def _documents_of(record: Any, viewer: Any) -> Sequence[GeneratedDocument]:
    query = scope_query(db.session.query(GeneratedDocument), GeneratedDocument, viewer).filter(
        GeneratedDocument.record_type == type(record).__tablename__, GeneratedDocument.record_id == record.id)
    return query.order_by(GeneratedDocument.id).all()


CONTACTS = Part(ContactLog, lambda case, _viewer: case.contact_logs, lambda log: (log.staff_id,), _contact)
APPROVALS = Part(Approval, lambda claim, _viewer: claim.approvals, lambda a: (a.user_id,), _approval)
PAYMENTS = Part(Payment, lambda claim, _viewer: claim.payments, lambda p: (p.recorded_by_id,), _payment)
DOCUMENTS = Part(GeneratedDocument, _documents_of, lambda d: (d.generated_by_id,), _document)
ATTACHMENTS = Part(Attachment, lambda record, _viewer: record.attachments, lambda a: (a.uploaded_by_id,),
                   _attachment)

#: The rows each record's story tells besides its audit events.
PARTS: dict[type, tuple[Part, ...]] = {
    Case: (CONTACTS, DOCUMENTS, ATTACHMENTS),
    Claim: (APPROVALS, PAYMENTS, DOCUMENTS, ATTACHMENTS),
    Accountability: (DOCUMENTS,),
}

#: Records whose main steps (their creation and the steps that moved their status) a record's story tells too:
#: a case's claims.
RELATED_STEPS: dict[type, Callable[[Any], Sequence[Any]]] = {Case: lambda case: case.claims}

#: The audit events of a record that are part of its story (documents are told from their register).
OWN_ACTIONS = ("insert", "update", "transition", "view_personal_info")
RELATED_ACTIONS = ("insert", "transition")
#: How many views of personal data the folded entry lists (it counts them all).
FOLDED_VIEWS = 50


# --- the audit trail --------------------------------------------------------------------------------------
def _main_step(event: AuditEvent) -> bool:
    """A related record's creation or a step that moved its status (not a countersign, not a part payment)."""
    return event.action == "insert" or "status" in (event.changes or {})


def _events(record: Any, related: Sequence[Any]) -> list[AuditEvent]:
    own_type = type(record).__tablename__
    conditions = [and_(AuditEvent.record_type == own_type, AuditEvent.record_id == record.id,
                       AuditEvent.action.in_(OWN_ACTIONS))]
    if related:
        conditions.append(and_(AuditEvent.record_type == type(related[0]).__tablename__,
                               AuditEvent.record_id.in_([r.id for r in related]),
                               AuditEvent.action.in_(RELATED_ACTIONS)))
    events = db.session.scalars(select(AuditEvent).where(or_(*conditions)).order_by(AuditEvent.id))
    return [event for event in events if event.record_type == own_type or _main_step(event)]


def _event_entry(event: AuditEvent, story: Story) -> Entry | None:
    """A workflow step, a creation or a change of fields; None for an edit that changed nothing readable."""
    actor = story.person(event.user_id, event.username or "")
    record_label = RECORD_TYPE.label(event.record_type)
    if event.action == "insert":
        return Entry(event.at, "created", actor, _("新建%(record)s", record=record_label))
    details = tuple(readable.change_lines(event.record_type, event.changes, story.viewer, story.names,
                                          event.action))
    if event.action == "transition":
        step, _colon, said = (event.comment or "").partition("：")
        return Entry(event.at, "step", actor, step or _("流程操作"), said, details)
    if not details:
        return None
    return Entry(event.at, "change", actor, _("修改%(record)s", record=record_label), details=details)


def _related_entry(entry: Entry, event: AuditEvent, related: Any, story: Story) -> Entry:
    """A related record's step, titled with its number and linking to it."""
    number = str(related)
    url = story.links.record(event.record_type, event.record_id)
    return Entry(entry.at, entry.kind, entry.actor, f"{RECORD_TYPE.label(event.record_type)} {number}：{entry.title}",
                 entry.body, entry.details, (Link(number, url),) if url else ())


def _step_entries(record: Any, events: list[AuditEvent], related: Sequence[Any], story: Story) -> list[Entry]:
    own_type, by_id = type(record).__tablename__, {r.id: r for r in related}
    entries = []
    for event in events:
        entry = _event_entry(event, story)
        if entry is not None and event.record_type != own_type:
            entry = _related_entry(entry, event, by_id[event.record_id], story)
        if entry is not None:
            entries.append(entry)
    return entries


def _personal_views(events: list[AuditEvent], story: Story) -> list[Entry]:
    """The views of the record's personal data, folded into one entry at the latest view (the latest
    :data:`FOLDED_VIEWS` of them listed)."""
    if not events:
        return []
    views = tuple(
        Entry(e.at, "personal_view", story.person(e.user_id, e.username or ""),
              _("查看了%(what)s", what=readable.viewed_fields(e.comment)))
        for e in reversed(events[-FOLDED_VIEWS:]))
    title = _("个人信息被查看 %(n)s 次", n=len(events))
    if len(events) > FOLDED_VIEWS:
        title += _("（列出最近 %(n)s 次）", n=FOLDED_VIEWS)
    return [Entry(views[0].at, "personal_view", "", title, folded=views)]


# --- the story ----------------------------------------------------------------------------------------------
def _want_names(story: Story, events: list[AuditEvent], parts: list[tuple[Part, Sequence[Any]]]) -> None:
    """Every user and every referenced row the entries will name, loaded at once."""
    for event in events:
        story.names.want("user", event.user_id)
        story.names.want_changes(event.record_type, event.changes)
    for part, rows in parts:
        for row in rows:
            for user_id in part.people(row):
                story.names.want("user", user_id)
    story.names.load()


def timeline(record: Any, viewer: Any, links: Links | None = None) -> list[Entry]:
    """``record``'s story as ``viewer`` may read it, newest first."""
    story = Story(viewer, links or NoLinks())
    related = list(RELATED_STEPS.get(type(record), lambda _record: ())(record))
    events = _events(record, related)
    parts = [(part, part.rows(record, viewer)) for part in PARTS.get(type(record), ())
             if can(viewer, "read", part.model)]
    _want_names(story, events, parts)
    views = [event for event in events if event.action == "view_personal_info"]
    steps = [event for event in events if event.action != "view_personal_info"]
    entries = _step_entries(record, steps, related, story) + _personal_views(views, story)
    entries += [part.entry(row, story) for part, rows in parts for row in rows]
    return sorted(entries, key=lambda entry: entry.at, reverse=True)
