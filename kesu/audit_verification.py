"""Proving the audit trail untouched: walk the hash chain, keep the result on the trail, and show it.

A full walk reads every event (seconds at a few hundred thousand), so it runs on request — 核验哈希链 on the
audit view, or ``flask kesu verify-audit`` from cron — and is itself recorded as a ``verify_chain`` event.
The audit view then says, without a click, what the last full walk found and checks the events written since
then, starting from the hash that walk ended on.
"""
from __future__ import annotations

from dataclasses import dataclass
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from kesu.audit import CONTENT_FIELDS, GENESIS, chain_hash, record_event
from kesu.models import AuditEvent
from kesu.sqlite import reading
from kesu.timeutil import format_local

#: At most this many events written since the last full walk are checked when the audit view opens.
TAIL_LIMIT = 5000


@dataclass
class ChainReport:
    checked: int
    broken_id: int | None = None
    reason: str | None = None
    last_id: int | None = None
    last_hash: str = GENESIS

    @property
    def intact(self) -> bool:
        return self.broken_id is None

    def sentence(self) -> str:
        """The result as the audit view and ``flask kesu verify-audit`` say it."""
        if self.intact:
            return _("审计日志哈希链完整：已核验 %(n)s 条事件，没有被改动或删除的记录。", n=self.checked)
        what = _("内容被改动") if self.reason == "content" else _("与前一条事件的链接断开（有事件被删除或插入）")
        return _("审计日志哈希链在事件 #%(id)s 处断开：%(what)s。此前 %(n)s 条完好。", id=self.broken_id, what=what,
                 n=self.checked)


def verify_chain(session: Session, *, after: tuple[int, str] | None = None, limit: int | None = None,
                 batch: int = 5000) -> ChainReport:
    """Walk the trail in id order; report the first event whose link or content does not match.

    ``after=(id, hash)`` starts behind an event already verified; ``limit`` stops after that many events.
    """
    columns = [getattr(AuditEvent, name) for name in ("id", "prev_hash", "hash", *CONTENT_FIELDS)]
    last_id, prev = after if after else (None, GENESIS)
    query = select(*columns).order_by(AuditEvent.id)
    if last_id is not None:
        query = query.where(AuditEvent.id > last_id)
    if limit is not None:
        query = query.limit(limit)
    checked = 0
    for row in session.execute(query, execution_options={"yield_per": batch}):
        values = row._asdict()
        if values["prev_hash"] != prev:
            return ChainReport(checked, values["id"], "link", last_id, prev)
        if values["hash"] != chain_hash(prev, values):
            return ChainReport(checked, values["id"], "content", last_id, prev)
        last_id, prev, checked = values["id"], values["hash"], checked + 1
    return ChainReport(checked, last_id=last_id, last_hash=prev)


def verify_and_record(session: Session) -> ChainReport:
    """A full walk, then a ``verify_chain`` event added to a new transaction for the caller to commit.

    The walk runs in a read transaction of its own (ended here, with anything the caller had pending): on
    SQLite a write transaction would hold every other writer for the seconds the walk takes."""
    session.rollback()
    with reading():
        report = verify_chain(session)
        session.rollback()
    record_event(session, "verify_chain", record_type="audit_event", record_id=report.broken_id or report.last_id,
                 changes={"checked": [None, report.checked], "intact": [None, report.intact],
                          "broken_id": [None, report.broken_id], "last_id": [None, report.last_id],
                          "last_hash": [None, report.last_hash]},
                 comment=report.sentence())
    return report


@dataclass
class ChainStatus:
    """What the audit view says above the list: ``level`` is a Bootstrap alert colour."""

    level: str
    sentence: str


def chain_status(session: Session) -> ChainStatus:
    """The last full walk's result, and the events written since it checked from where it ended."""
    last = session.execute(select(AuditEvent.id, AuditEvent.at, AuditEvent.username, AuditEvent.changes)
                           .where(AuditEvent.action == "verify_chain").order_by(AuditEvent.id.desc()).limit(1)).first()
    if last is None:
        return ChainStatus("secondary", _("哈希链尚未核验过。点击“核验哈希链”逐条核验全部事件。"))
    done = {key: new for key, (_old, new) in (last.changes or {}).items()}
    when = _("最近一次全量核验：%(at)s（%(who)s），", at=format_local(last.at), who=last.username)
    if not done.get("intact"):
        return ChainStatus("danger", when + _("哈希链在事件 #%(id)s 处断开。请立即核查，修复前请勿依赖此日志。",
                                              id=done.get("broken_id")))
    return _status_since(session, when, done, last.id)


def _status_since(session: Session, when: str, done: dict, verification_id: int) -> ChainStatus:
    """Check again, from its predecessor on, the last event the walk covered (its content and its hash as the
    walk recorded it), then everything after it — the verification event itself included, so its own
    record of the walk cannot be rewritten unnoticed."""
    last_id, last_hash = done.get("last_id"), done.get("last_hash") or GENESIS
    if last_id is not None and not (isinstance(last_id, int) and last_id < verification_id):
        return ChainStatus("danger", when + _("核验记录本身不可信（事件 #%(id)s）。请重新核验。", id=verification_id))
    last_changed = ChainStatus("danger", when + _("当时的最后一条事件 #%(id)s 此后被改动或删除。请重新核验。",
                                                  id=last_id))
    start = None
    if last_id is not None:
        if session.scalar(select(AuditEvent.hash).where(AuditEvent.id == last_id)) != last_hash:
            return last_changed
        before = session.execute(select(AuditEvent.id, AuditEvent.hash).where(AuditEvent.id < last_id)
                                 .order_by(AuditEvent.id.desc()).limit(1)).first()
        start = (before.id, before.hash) if before else (0, GENESIS)
    tail = verify_chain(session, after=start, limit=TAIL_LIMIT + 2)
    if not tail.intact:
        if tail.broken_id == last_id:
            return last_changed
        return ChainStatus("danger", when + _("之后新增的事件在 #%(id)s 处断开。请重新核验。", id=tail.broken_id))
    since = tail.checked - (1 if last_id is not None else 0)
    if since > TAIL_LIMIT:
        return ChainStatus("warning", when + _("当时完整（%(n)s 条）；此后新增的事件超过 %(limit)s 条，请重新核验。",
                                               n=done.get("checked"), limit=TAIL_LIMIT))
    return ChainStatus("success", when + _("当时完整（%(n)s 条）；此后新增的 %(m)s 条也已核验，链接完整。",
                                           n=done.get("checked"), m=since))
