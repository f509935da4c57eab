"""The audit trail, written from one place, and its hash chain.

Every flush that inserts, updates or deletes an :class:`~kesu.models.base.Audited` record adds one
``audit_event`` row per record, through the flush's own connection, so the event commits or rolls
back with the change it describes. Events that are not row changes (logins, viewing personal
data, exports) go through :func:`record_event`.

Tamper evidence: each event stores the previous event's hash and SHA-256 of that hash plus its own canonical
content, so changing or removing any row breaks the chain there (:mod:`kesu.audit_verification`). The chain's tip is
read under a lock (PostgreSQL: a transaction-level advisory lock; SQLite: its single writer), so concurrent
writers queue instead of forking it.
"""
from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event, insert, inspect, select, text
from sqlalchemy.orm import Session

from kesu.models import AuditEvent
from kesu.models.base import Audited
from kesu.timeutil import utcnow

SECRET = "******"

_cli_actor: contextvars.ContextVar[tuple[int | None, str] | None] = contextvars.ContextVar("kesu_actor", default=None)


@contextlib.contextmanager
def acting_as(user_id: int | None, username: str) -> Iterator[None]:
    """Name the actor for changes made outside a request (CLI, scripts, tests)."""
    token = _cli_actor.set((user_id, username))
    try:
        yield
    finally:
        _cli_actor.reset(token)


def current_actor() -> tuple[int | None, str]:
    actor = _cli_actor.get()
    if actor is not None:
        return actor
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id, current_user.username
    return None, "system"


def _client_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _snapshot(record: Audited) -> dict[str, Any]:
    mapper = inspect(record).mapper
    values = {}
    for attr in mapper.column_attrs:
        if attr.key in record.audit_exclude:
            continue
        value = getattr(record, attr.key)
        if value is not None:
            values[attr.key] = [None, SECRET if attr.key in record.audit_secret else _plain(value)]
    return values


def _diff(record: Audited) -> dict[str, Any]:
    state = inspect(record)
    changes: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        if attr.key in record.audit_exclude:
            continue
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        if attr.key in record.audit_secret:
            changes[attr.key] = [SECRET, SECRET]
        else:
            changes[attr.key] = [_plain(old), _plain(new)]
    for rel in state.mapper.relationships:
        if rel.direction.name != "MANYTOONE":
            continue
        history = state.attrs[rel.key].history
        if history.has_changes() and history.deleted:
            old = history.deleted[0]
            new = history.added[0] if history.added else None
            if old is not new:
                changes[rel.key] = [_plain(old), _plain(new)]
    return changes


def _event_row(action: str, record: Audited, changes: dict[str, Any] | None) -> dict[str, Any]:
    user_id, username = current_actor()
    return {
        "at": utcnow(),
        "user_id": user_id,
        "username": username,
        "action": action,
        "record_type": type(record).__tablename__,
        "record_id": inspect(record).mapper.primary_key_from_instance(record)[0],
        "changes": changes,
        "comment": getattr(record, "_audit_comment", None),
        "ip": _client_ip(),
    }


def _write_row_changes(session: Session, _flush_context) -> None:
    rows = [_event_row("insert", r, _snapshot(r)) for r in session.new if isinstance(r, Audited)]
    for record in session.dirty:
        if isinstance(record, Audited) and session.is_modified(record, include_collections=False):
            changes = _diff(record)
            action = record.__dict__.pop("_audit_action", "update")  # "transition" when kesu.workflow set it
            if changes or action != "update":
                rows.append(_event_row(action, record, changes))
            record.__dict__.pop("_audit_comment", None)
    rows += [_event_row("delete", r, {key: [new, None] for key, (_old, new) in _snapshot(r).items()})
             for r in session.deleted if isinstance(r, Audited)]
    if rows:
        connection = session.connection()
        for row in rows:
            _link(session, connection, row)
        connection.execute(insert(AuditEvent), rows)
    session.info.pop(CHAIN_TIP, None)  # the next flush reads the tip again (a savepoint may have rolled back)


# --- the hash chain -------------------------------------------------------------------------------------
GENESIS = "0" * 64
CHAIN_TIP = "kesu_audit_chain_tip"
CHAIN_LOCK_KEY = 72_557_001  # pg_advisory_xact_lock key of the audit chain
CONTENT_FIELDS = ("at", "user_id", "username", "action", "record_type", "record_id", "changes", "comment", "ip")


def canonical(values: dict[str, Any]) -> bytes:
    """An event's content as bytes that read the same before the insert and after reading the row back."""
    at = values["at"]
    content = {name: values.get(name) for name in CONTENT_FIELDS}
    content["at"] = at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") if at else None
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def chain_hash(prev_hash: str, values: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(values)).hexdigest()


def _tip(session: Session, connection) -> str:
    """The hash the next event links to: read once per flush, under the chain's lock."""
    if CHAIN_TIP not in session.info:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
        last = connection.execute(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
        session.info[CHAIN_TIP] = last or GENESIS
    return session.info[CHAIN_TIP]


def _link(session: Session, connection, values: dict[str, Any]) -> None:
    values["prev_hash"] = _tip(session, connection)
    values["hash"] = chain_hash(values["prev_hash"], values)
    session.info[CHAIN_TIP] = values["hash"]


def _link_orm_event(_mapper, connection, target: AuditEvent) -> None:
    """``before_insert`` of an event added with :func:`record_event`."""
    from sqlalchemy.orm import object_session

    values = {name: getattr(target, name) for name in CONTENT_FIELDS}
    _link(object_session(target), connection, values)
    target.prev_hash, target.hash = values["prev_hash"], values["hash"]


def _refuse_change(_mapper, _connection, _target) -> None:
    raise PermissionError("audit events are append-only")


def _keep_old_value(target, value, oldvalue, initiator):
    return value


def _load_old_values_on_set(mapper, class_) -> None:
    """Assigning to an expired attribute (e.g. after a commit) would lose the old value; load it first."""
    many_to_one = [rel for rel in mapper.relationships if rel.direction.name == "MANYTOONE"]
    for attr in [*mapper.column_attrs, *many_to_one]:
        event.listen(getattr(class_, attr.key), "set", _keep_old_value, active_history=True, retval=True)


def install(session_class: type[Session]) -> None:
    if not event.contains(session_class, "after_flush", _write_row_changes):
        event.listen(session_class, "after_flush", _write_row_changes)
        event.listen(AuditEvent, "before_insert", _link_orm_event)
        event.listen(AuditEvent, "before_update", _refuse_change)
        event.listen(AuditEvent, "before_delete", _refuse_change)


@event.listens_for(Audited, "mapper_configured", propagate=True)
def _on_mapper_configured(mapper, class_) -> None:
    _load_old_values_on_set(mapper, class_)


def record_event(
    session: Session,
    action: str,
    record: Any = None,
    *,
    record_type: str | None = None,
    record_id: int | None = None,
    changes: dict[str, Any] | None = None,
    comment: str | None = None,
    user_id: int | None = None,
    username: str | None = None,
) -> AuditEvent:
    """Add a non-row-change event (login, export, viewing personal data) to the caller's transaction."""
    actor_id, actor_name = current_actor()
    event_ = AuditEvent(
        at=utcnow(),
        user_id=user_id if username is not None else actor_id,
        username=username if username is not None else actor_name,
        action=action,
        record_type=record_type or (type(record).__tablename__ if record is not None else None),
        record_id=record_id if record_id is not None else getattr(record, "id", None),
        changes=changes,
        comment=comment,
        ip=_client_ip(),
    )
    session.add(event_)
    return event_


def record_event_apart(action: str, record: Any = None, **details: Any) -> int:
    """Write one event in a transaction of its own and commit it; return its id. For events of a request that
    otherwise only reads (viewing personal data, an export): its read transaction ends first, because on SQLite a
    deferred transaction that has read cannot become a writer once another connection has committed (it fails at
    once with "database is locked"); the event's transaction begins as a writer and queues on the busy timeout."""
    from kesu.extensions import db
    from kesu.sqlite import writing

    session = db.session
    session.rollback()
    with writing():
        event_ = record_event(session, action, record, **details)
        session.flush()
        event_id = event_.id
        session.commit()
    return event_id


def last_editor(session: Session, record: Any) -> str | None:
    """Username of whoever last inserted or updated ``record`` (for the edit-conflict message)."""
    from sqlalchemy import select

    return session.scalar(
        select(AuditEvent.username)
        .where(
            AuditEvent.record_type == type(record).__tablename__,
            AuditEvent.record_id == record.id,
            AuditEvent.action.in_(("insert", "update", "transition")),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
