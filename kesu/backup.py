"""Backup and restore: one archive holding the database, every stored file and a manifest of SHA-256 sums.

    flask --app app kesu backup /backups/kesu-2026-12-02.tar
    flask --app app kesu restore /backups/kesu-2026-12-02.tar     # into an empty database and an empty store

The archive is a tar file (readable with any tar) of

- ``database.sqlite3`` — SQLite's online backup API, a consistent copy taken while the app keeps writing; or
  ``database.pgdump`` — ``pg_dump --format=custom``, one consistent snapshot of PostgreSQL;
- ``files/<area>/<name>`` — every file of the store (local folder or S3 bucket), taken after the database, so every
  file the copied database names is there (files are written before the commit that registers them);
- ``manifest.json`` — what the archive holds: the database engine, the schema revision, and each part's size and
  SHA-256.

A restore reads the manifest, checks every part's SHA-256 before it writes anything and refuses an archive with a
missing, extra or altered part, naming it; then loads the database (``pg_restore``, or the SQLite file put in
place) and puts the files back into the configured store. It restores into an empty database and an empty store
only, so it cannot mix two installations or overwrite one by mistake.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from kesu.extensions import db
from kesu.file_store import file_store

FORMAT = "kesu-backup/1"
MANIFEST = "manifest.json"
FILES = "files/"
SQLITE_PART, POSTGRES_PART = "database.sqlite3", "database.pgdump"
CHUNK = 1024 * 1024


class BackupError(RuntimeError):
    """The backup or restore could not be done; the message says why, in words for the operator."""


@dataclass
class Summary:
    """What a backup wrote or a restore read."""

    engine: str
    revision: str | None
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    parts: dict[str, dict] = field(default_factory=dict)


# --- reading the configured database ---------------------------------------------------------------------------
def _engine_name() -> str:
    return db.engine.dialect.name


def _sqlite_path() -> str:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database


def _libpq_url() -> str:
    """The SQLAlchemy URL as libpq reads it (no ``+psycopg``), password included, for pg_dump and pg_restore."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _revision() -> str | None:
    if "alembic_version" not in inspect(db.engine).get_table_names():
        return None
    with db.engine.connect() as connection:
        return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def _run(command: list[str], what: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError as missing:
        raise BackupError(f"{command[0]} 未安装，无法{what}（PostgreSQL 的客户端工具须与服务器同一主版本）") from missing
    if done.returncode != 0:
        raise BackupError(f"{command[0]} 失败，无法{what}：{done.stderr.strip()[-500:]}")


# --- writing -----------------------------------------------------------------------------------------------------
def _sha256_of(path: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _dump_database(folder: str) -> tuple[str, str]:
    """The database copied into ``folder``; returns (part name, path)."""
    engine = _engine_name()
    if engine == "sqlite":
        path = os.path.join(folder, SQLITE_PART)
        source = sqlite3.connect(_sqlite_path())
        target = sqlite3.connect(path)
        try:
            with target:
                source.backup(target, pages=4096, sleep=0.005)  # yields to writers between steps
        finally:
            target.close()
            source.close()
        return SQLITE_PART, path
    if engine == "postgresql":
        path = os.path.join(folder, POSTGRES_PART)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={path}",
              f"--dbname={_libpq_url()}"], "备份数据库")
        return POSTGRES_PART, path
    raise BackupError(f"不支持备份 {engine} 数据库")


def _add_bytes(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(content), int(time.time()), 0o600
    archive.addfile(info, io.BytesIO(content))


def write_backup(path: str | os.PathLike) -> Summary:
    """Write the archive to ``path`` (through a temporary name, so a failed backup leaves no half archive)."""
    started = time.perf_counter()
    target = Path(path)
    if target.exists():
        raise BackupError(f"{target} 已存在，不会覆盖；请换一个文件名")
    target.parent.mkdir(parents=True, exist_ok=True)
    summary = Summary(engine=_engine_name(), revision=_revision())
    partial = target.with_name(target.name + ".partial")
    try:
        with tempfile.TemporaryDirectory(prefix="kesu-backup-") as folder, tarfile.open(partial, "w") as archive:
            part, dump = _dump_database(folder)
            digest, size = _sha256_of(dump)
            archive.add(dump, arcname=part)
            summary.parts[part] = {"sha256": digest, "size": size}
            store = file_store()
            for key in sorted(store.keys()):
                content = store.get(key)
                _add_bytes(archive, FILES + key, content)
                summary.parts[FILES + key] = {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
                summary.files += 1
            manifest = {"format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        "engine": summary.engine, "revision": summary.revision, "file_store": store.kind,
                        "parts": summary.parts}
            _add_bytes(archive, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    summary.bytes = target.stat().st_size
    summary.seconds = time.perf_counter() - started
    return summary


# --- checking and reading ----------------------------------------------------------------------------------------
def _open(path: str | os.PathLike) -> tarfile.TarFile:
    try:
        return tarfile.open(path, "r:")
    except FileNotFoundError as missing:
        raise BackupError(f"找不到备份文件 {path}") from missing
    except tarfile.TarError as broken:
        raise BackupError(f"{path} 不是完整的 kesu 备份（无法作为 tar 读取：{broken}）") from broken


def _members(archive: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    try:
        members = {member.name: member for member in archive.getmembers()}
    except tarfile.TarError as broken:
        raise BackupError(f"备份文件已损坏或不完整（{broken}）") from broken
    for name, member in members.items():
        if not member.isfile() or name.startswith("/") or ".." in name.split("/"):
            raise BackupError(f"备份中有不应出现的部分：{name}")
    return members


def read_manifest(archive: tarfile.TarFile, members: dict[str, tarfile.TarInfo]) -> dict:
    if MANIFEST not in members:
        raise BackupError(f"备份中没有 {MANIFEST}，不是完整的 kesu 备份")
    try:
        manifest = json.loads(archive.extractfile(members[MANIFEST]).read())
    except (ValueError, tarfile.TarError) as broken:
        raise BackupError(f"{MANIFEST} 已损坏，无法读取") from broken
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("parts"), dict):
        raise BackupError(f"{MANIFEST} 不是本版本 kesu 的备份清单（应为 {FORMAT}）")
    return manifest


def _stream(archive: tarfile.TarFile, member: tarfile.TarInfo) -> Iterator[bytes]:
    source = archive.extractfile(member)
    while chunk := source.read(CHUNK):
        yield chunk


def verify(path: str | os.PathLike) -> dict:
    """Check every part against the manifest; returns the manifest, or raises naming the first bad part."""
    with _open(path) as archive:
        members = _members(archive)
        manifest = read_manifest(archive, members)
        parts = manifest["parts"]
        extra = sorted(set(members) - set(parts) - {MANIFEST})
        if extra:
            raise BackupError(f"备份中有清单未列出的部分：{extra[0]}")
        for name, expected in parts.items():
            if name not in members:
                raise BackupError(f"备份缺少部分 {name}")
            digest = hashlib.sha256()
            try:
                for chunk in _stream(archive, members[name]):
                    digest.update(chunk)
            except (tarfile.TarError, OSError) as broken:
                raise BackupError(f"部分 {name} 无法读取（{broken}）") from broken
            if digest.hexdigest() != expected.get("sha256") or members[name].size != expected.get("size"):
                raise BackupError(f"部分 {name} 的 SHA-256 与清单不符：备份已损坏，没有恢复任何内容")
        database_parts = [name for name in parts if name in (SQLITE_PART, POSTGRES_PART)]
        if len(database_parts) != 1:
            raise BackupError("备份中应有且只有一个数据库部分")
    return manifest


# --- restoring ---------------------------------------------------------------------------------------------------
def _database_is_empty() -> bool:
    return not inspect(db.engine).get_table_names()


def _restore_database(archive: tarfile.TarFile, member: tarfile.TarInfo, engine: str) -> None:
    if engine != _engine_name():
        raise BackupError(f"备份来自 {member.name}（{engine}），不能恢复到 {_engine_name()} 数据库")
    db.session.remove()
    db.engine.dispose()
    if engine == "sqlite":
        target = _sqlite_path()
        partial = target + ".restoring"
        with open(partial, "wb") as out:
            shutil.copyfileobj(archive.extractfile(member), out, CHUNK)
        for leftover in (target, target + "-wal", target + "-shm"):
            if os.path.exists(leftover):
                os.remove(leftover)
        os.replace(partial, target)
        return
    with tempfile.TemporaryDirectory(prefix="kesu-restore-") as folder:
        dump = os.path.join(folder, POSTGRES_PART)
        with open(dump, "wb") as out:
            shutil.copyfileobj(archive.extractfile(member), out, CHUNK)
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
              f"--dbname={_libpq_url()}", dump], "恢复数据库")


def restore_backup(path: str | os.PathLike) -> Summary:
    """Restore ``path`` into the configured database and store, both of which must be empty."""
    started = time.perf_counter()
    manifest = verify(path)
    if not _database_is_empty():
        raise BackupError("目标数据库不是空的：恢复只写入空数据库（请新建一个数据库，或换一个 SQLite 文件路径）")
    store = file_store()
    if next(iter(store.keys()), None) is not None:
        raise BackupError("目标文件存储不是空的：恢复只写入空的目录或存储桶")
    summary = Summary(engine=manifest["engine"], revision=manifest.get("revision"), parts=manifest["parts"])
    with _open(path) as archive:
        members = _members(archive)
        database_part = SQLITE_PART if SQLITE_PART in manifest["parts"] else POSTGRES_PART
        _restore_database(archive, members[database_part], manifest["engine"])
        for name in manifest["parts"]:
            if name.startswith(FILES):
                content = archive.extractfile(members[name]).read()
                store.put(name[len(FILES):], content)
                summary.files += 1
                summary.bytes += len(content)
    summary.seconds = time.perf_counter() - started
    return summary
