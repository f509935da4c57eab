"""Departments and the staff who log in."""
from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from decimal import Decimal

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from kesu.choices import DEPARTMENT_KIND, ROLE
from kesu.models.base import Audited, Base, Money, Timestamped, UTCDateTime


class Department(Audited, Timestamped, Base):
    __tablename__ = "department"
    __table_args__ = (CheckConstraint(DEPARTMENT_KIND.check_sql("kind"), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    code: Mapped[str | None] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="business", index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    users: Mapped[list[User]] = relationship(back_populates="department")

    def __str__(self) -> str:
        return self.name


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, Audited, Timestamped, Base):
    """A staff account. Its ``session_token`` is part of every session cookie's user id and is replaced when the
    user logs out or their password, role, department or active flag changes: every session of the old token ends
    on its next request, however the cookie was copied."""

    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint(ROLE.check_sql("role"), name="role"),
        CheckConstraint("approval_limit >= 0", name="approval_limit"),
    )
    audit_secret = frozenset({"password_hash"})
    audit_exclude = Audited.audit_exclude | {"session_token"}  # a logout is its own event
    #: A change to one of these ends the account's sessions.
    SESSION_BOUND = ("password_hash", "role", "department_id", "active")

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    full_name: Mapped[str] = mapped_column(String(50), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    approval_limit: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    email: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20), info={"kind": "phone"})
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)

    department: Mapped[Department | None] = relationship(back_populates="users")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot log in
        return bool(self.active)

    @validates("username")
    def _normalise_username(self, _key: str, value: str) -> str:
        from kesu.usernames import normalise_username

        return normalise_username(value)

    def get_id(self) -> str:
        """Flask-Login's alternative token: the session names the account and its current session token."""
        return f"{self.id}:{self.session_token}"

    def holds_session(self, token: str) -> bool:
        return hmac.compare_digest(token.encode(), (self.session_token or "").encode())

    def end_sessions(self) -> None:
        self.session_token = new_session_token()

    def set_password(self, password: str) -> None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


@event.listens_for(User, "before_update")
def _end_sessions_on_account_change(_mapper, _connection, user: User) -> None:
    state = inspect(user)
    if state.attrs.session_token.history.has_changes():
        return
    if any(state.attrs[name].history.has_changes() for name in User.SESSION_BOUND):
        user.end_sessions()
