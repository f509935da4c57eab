"""The file store of generated documents (``FILE_STORE/documents``), written with the transaction.

A file is written before the commit that registers it; if that transaction ends any other way (rolled back,
or closed by an error), the file is removed, so the store never holds a document the register does not know.
"""
from __future__ import annotations

import os
import uuid

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

PENDING = "kesu_pending_files"


def _directory() -> str:
    path = os.path.join(current_app.config["FILE_STORE"], "documents")
    os.makedirs(path, exist_ok=True)
    return path


def path_of(stored_name: str) -> str:
    return os.path.join(_directory(), stored_name)


def write(session: Session, content: bytes, extension: str = "docx") -> str:
    """Store ``content`` under a new name; it goes again if ``session``'s transaction rolls back."""
    stored_name = f"{uuid.uuid4().hex}.{extension}"
    path = path_of(stored_name)
    with open(path, "wb") as fh:
        fh.write(content)
    session.info.setdefault(PENDING, []).append(path)
    return stored_name


def read(stored_name: str) -> bytes:
    with open(path_of(stored_name), "rb") as fh:
        return fh.read()


def _keep(session: Session) -> None:
    session.info.pop(PENDING, None)


def _discard_uncommitted(session: Session, transaction) -> None:
    """The outermost transaction ended without a commit (rolled back, or closed): remove its files."""
    if transaction.parent is not None:
        return
    for path in session.info.pop(PENDING, []):
        if os.path.exists(path):
            os.remove(path)


def install(session_class: type[Session]) -> None:
    if not event.contains(session_class, "after_commit", _keep):
        event.listen(session_class, "after_commit", _keep)
        event.listen(session_class, "after_transaction_end", _discard_uncommitted)
