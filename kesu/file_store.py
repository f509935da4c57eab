"""Where files live: attachments and generated documents, in a local folder (the default) or an S3-compatible
object store (``KESU_S3_BUCKET`` set), behind one small interface.

A file is named by a key, ``<area>/<stored name>`` (``documents/3f2a….docx``, ``attachments/9c1e…``); the database
row keeps the stored name. :func:`write` puts a file before the commit that registers it and removes it again if
that transaction ends any other way (rolled back, or closed by an error), so the store never holds a file the
database does not know, and no row is committed without its file.

The store is chosen from the configuration each time it is asked for (and the S3 client kept per configuration),
so a test that points ``FILE_STORE`` elsewhere gets a store there.
"""
from __future__ import annotations

import os
import tempfile
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

#: Generated documents, uploaded evidence, and the results of background jobs (zips, large exports).
AREAS = ("documents", "attachments", "results")
PENDING = "kesu_pending_files"


class FileStoreError(RuntimeError):
    """A file could not be written or read; the message names the key, never a credential."""


def key_for(area: str, stored_name: str) -> str:
    if area not in AREAS or not stored_name or "/" in stored_name or stored_name.startswith("."):
        raise ValueError(f"not a stored file: {area}/{stored_name}")
    return f"{area}/{stored_name}"


class FileStore(ABC):
    """The operations kesu needs of a store; every key is ``<area>/<stored name>``."""

    #: Shown in /healthz and in a backup's manifest.
    kind: str

    @abstractmethod
    def put(self, key: str, content: bytes) -> None: ...

    @abstractmethod
    def get(self, key: str) -> bytes: ...

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key``; a key that is not there is no error."""

    @abstractmethod
    def keys(self) -> Iterator[str]:
        """Every key in the store, in no particular order (for backups)."""

    @abstractmethod
    def check(self) -> None:
        """Raise if the store cannot be read and written now."""


class LocalFileStore(FileStore):
    """A folder (``FILE_STORE``): ``<folder>/<area>/<stored name>``. Each file is written whole under a temporary
    name and renamed, so a reader never sees half a file."""

    kind = "local"

    def __init__(self, root: str) -> None:
        self.root = root

    def _path(self, key: str) -> str:
        area, _slash, name = key.partition("/")
        return os.path.join(self.root, *key_for(area, name).split("/"))

    def put(self, key: str, content: bytes) -> None:
        path = self._path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".writing-")
        try:
            with os.fdopen(handle, "wb") as fh:
                fh.write(content)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.remove(temporary)
            raise

    def get(self, key: str) -> bytes:
        try:
            with open(self._path(key), "rb") as fh:
                return fh.read()
        except FileNotFoundError as missing:
            raise FileStoreError(f"{key} is missing from the file store") from missing

    def delete(self, key: str) -> None:
        try:
            os.remove(self._path(key))
        except FileNotFoundError:
            pass

    def keys(self) -> Iterator[str]:
        for area in AREAS:
            folder = os.path.join(self.root, area)
            if os.path.isdir(folder):
                for name in sorted(os.listdir(folder)):
                    if not name.startswith(".") and os.path.isfile(os.path.join(folder, name)):
                        yield f"{area}/{name}"

    def check(self) -> None:
        os.makedirs(self.root, exist_ok=True)
        if not os.access(self.root, os.R_OK | os.W_OK | os.X_OK):
            raise FileStoreError("the file store folder is not readable and writable by this process")


class S3FileStore(FileStore):
    """A bucket of an S3-compatible store (AWS, MinIO, Ceph, Aliyun OSS…), keys under ``prefix``."""

    kind = "s3"

    def __init__(self, client, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix.strip("/")

    def _object(self, key: str) -> str:
        area, _slash, name = key.partition("/")
        key = key_for(area, name)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, content: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._object(key), Body=content)

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._object(key))["Body"].read()
        except ClientError as error:
            raise FileStoreError(f"{key} could not be read from the object store "
                                 f"({error.response.get('Error', {}).get('Code', 'error')})") from error

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._object(key))

    def keys(self) -> Iterator[str]:
        start = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start)
        for page in pages:
            for item in page.get("Contents", ()):
                key = item["Key"][len(start):]
                if key.split("/", 1)[0] in AREAS:
                    yield key

    def check(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)


def _s3_client(config):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=config.get("S3_ENDPOINT_URL"), region_name=config.get("S3_REGION") or "us-east-1",
        aws_access_key_id=config.get("S3_ACCESS_KEY_ID"), aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY"),
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30,
                      s3={"addressing_style": "path"}))


def file_store() -> FileStore:
    """The store the current configuration names."""
    config = current_app.config
    stores = current_app.extensions.setdefault("kesu_file_stores", {})
    if config.get("S3_BUCKET"):
        settings = tuple(config.get(k) for k in ("S3_BUCKET", "S3_PREFIX", "S3_ENDPOINT_URL", "S3_REGION",
                                                 "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"))
        if settings not in stores:
            stores[settings] = S3FileStore(_s3_client(config), config["S3_BUCKET"], config.get("S3_PREFIX") or "")
        return stores[settings]
    return LocalFileStore(config["FILE_STORE"])


# --- written with the transaction -----------------------------------------------------------------------------
def new_name(extension: str | None = None) -> str:
    """A stored name no other file has."""
    return uuid.uuid4().hex + (f".{extension}" if extension else "")


def write(session: Session, area: str, content: bytes, stored_name: str | None = None) -> str:
    """Store ``content`` in ``area`` under ``stored_name`` (a :func:`new_name`, made here when not given) and return
    the name; the file goes again unless ``session``'s transaction commits."""
    stored_name = stored_name or new_name()
    key = key_for(area, stored_name)
    store = file_store()
    store.put(key, content)
    session.info.setdefault(PENDING, []).append((store, key))
    return stored_name


def read(area: str, stored_name: str) -> bytes:
    return file_store().get(key_for(area, stored_name))


def _keep(session: Session) -> None:
    session.info.pop(PENDING, None)


def _discard_uncommitted(session: Session, transaction) -> None:
    """The outermost transaction ended without a commit (rolled back, or closed): remove its files."""
    if transaction.parent is not None:
        return
    for store, key in session.info.pop(PENDING, []):
        store.delete(key)


def install(session_class: type[Session]) -> None:
    if not event.contains(session_class, "after_commit", _keep):
        event.listen(session_class, "after_commit", _keep)
        event.listen(session_class, "after_transaction_end", _discard_uncommitted)
