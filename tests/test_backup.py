"""Backup and restore: one archive of the database and every stored file with SHA-256 sums; a round trip gives
identical rows, identical files and an audit chain that still verifies; a damaged archive is refused naming the
part, and nothing is restored."""
from __future__ import annotations

import io
import json
import tarfile
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text

from kesu import create_app
from kesu.audit_verification import verify_chain
from kesu.backup import MANIFEST
from kesu.extensions import db
from kesu.file_store import file_store
from kesu.models import Case
from tests.conftest import PG_URL
from tests.factories import make_case
from tests.test_attachments import upload
from tests.test_documents import generate


def rows_of(url: str) -> dict[str, list[tuple]]:
    """Every row of every kesu table, in primary-key order."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = [t for t in db.metadata.sorted_tables if inspect(connection).has_table(t.name)]
            return {t.name: [tuple(row) for row in connection.execute(select(t).order_by(*t.primary_key.columns))]
                    for t in tables}
    finally:
        engine.dispose()


def files_of(app) -> dict[str, bytes]:
    with app.app_context():
        store = file_store()
        return {key: store.get(key) for key in store.keys()}


@pytest.fixture
def empty_target(tmp_path, app):
    """An empty database (a new SQLite file, or a new PostgreSQL database) and an empty file store, and the app
    that serves them."""
    config = {"TESTING": True, "SECRET_KEY": "x", "FILE_STORE": str(tmp_path / "restored-files"),
              "PASSWORD_HASH_METHOD": app.config["PASSWORD_HASH_METHOD"]}
    if PG_URL:
        import psycopg

        from sqlalchemy.engine import make_url

        source = make_url(PG_URL)
        name = f"{source.database}_restore"
        admin = source.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        config["SQLALCHEMY_DATABASE_URI"] = source.set(database=name).render_as_string(hide_password=False)
    else:
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    target = create_app(config)
    yield target
    with target.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def filled(demo, staff, login_as):
    """The demo data plus an issued document and an uploaded attachment (so the store holds both areas)."""
    with demo.app_context():
        case = make_case(status="accepted")
        case_id = case.id
    clerk = login_as("clerk")
    assert generate(clerk, "acknowledgement", case).status_code == 200
    assert upload(clerk, case_id).status_code == 302
    return demo


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["kesu", *args])
    return result.exit_code, result.output


def test_backup_and_restore_give_identical_rows_files_and_a_chain_that_verifies(filled, empty_target, tmp_path):
    archive = tmp_path / "kesu.tar"
    code, output = run(filled, "backup", str(archive))
    assert code == 0, output
    assert "文件 2 个" in output
    code, output = run(empty_target, "restore", str(archive))
    assert code == 0, output
    source_rows = rows_of(filled.config["SQLALCHEMY_DATABASE_URI"])
    assert source_rows["case"] and source_rows["audit_event"]
    assert rows_of(empty_target.config["SQLALCHEMY_DATABASE_URI"]) == source_rows
    assert files_of(empty_target) == files_of(filled) and len(files_of(filled)) == 2
    with empty_target.app_context():
        report = verify_chain(db.session)
        assert report.intact and report.checked == len(source_rows["audit_event"])


def test_the_restored_installation_serves_its_documents(filled, empty_target, tmp_path):
    from tests.conftest import KesuClient

    archive = tmp_path / "kesu.tar"
    assert run(filled, "backup", str(archive))[0] == 0
    assert run(empty_target, "restore", str(archive))[0] == 0
    empty_target.test_client_class = KesuClient
    client = empty_target.test_client()
    assert client.login("clerk").status_code == 302
    with empty_target.app_context():
        from kesu.models import GeneratedDocument

        document = db.session.scalar(select(GeneratedDocument))
    response = client.get(f"/admin/generateddocument/download/?id={document.id}")
    assert response.status_code == 200 and response.data == files_of(filled)[f"documents/{document.stored_name}"]


def test_manifest_lists_each_part_with_its_sha256(filled, tmp_path):
    archive = tmp_path / "kesu.tar"
    run(filled, "backup", str(archive))
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile(MANIFEST).read())
        names = set(tar.getnames())
    assert manifest["format"] == "kesu-backup/1" and manifest["engine"] == ("postgresql" if PG_URL else "sqlite")
    assert set(manifest["parts"]) == names - {MANIFEST}
    assert all(len(part["sha256"]) == 64 and part["size"] > 0 for part in manifest["parts"].values())
    assert run(filled, "restore", "--check-only", str(archive))[0] == 0


def _rewrite(archive: Path, damaged: Path, change) -> None:
    """A copy of ``archive`` with each member passed through ``change(name, content)`` (None drops it)."""
    with tarfile.open(archive) as source, tarfile.open(damaged, "w") as target:
        for member in source.getmembers():
            content = change(member.name, source.extractfile(member).read())
            if content is not None:
                member.size = len(content)
                target.addfile(member, io.BytesIO(content))


def _flip_a_byte(prefix: str):
    def change(name: str, content: bytes) -> bytes:
        if name.startswith(prefix):
            middle = len(content) // 2
            return content[:middle] + bytes([content[middle] ^ 0xFF]) + content[middle + 1:]
        return content
    return change


@pytest.mark.parametrize("part", ["files/documents/", "files/attachments/", "database."])
def test_a_corrupted_part_is_refused_by_name_and_nothing_is_restored(filled, empty_target, tmp_path, part):
    archive, damaged = tmp_path / "kesu.tar", tmp_path / "damaged.tar"
    run(filled, "backup", str(archive))
    _rewrite(archive, damaged, _flip_a_byte(part))
    code, output = run(empty_target, "restore", str(damaged))
    assert code != 0
    assert f"部分 {part}" in output and "SHA-256 与清单不符" in output
    with empty_target.app_context():
        assert inspect(db.engine).get_table_names() == []
    assert files_of(empty_target) == {}


def test_a_missing_part_an_extra_part_and_a_cut_archive_are_refused(filled, empty_target, tmp_path):
    archive = tmp_path / "kesu.tar"
    run(filled, "backup", str(archive))
    missing = tmp_path / "missing.tar"
    _rewrite(archive, missing, lambda name, content: None if name.startswith("files/attachments/") else content)
    assert "备份缺少部分 files/attachments/" in run(empty_target, "restore", str(missing))[1]
    extra = tmp_path / "extra.tar"
    with tarfile.open(archive) as source, tarfile.open(extra, "w") as target:
        for member in source.getmembers():
            target.addfile(member, source.extractfile(member))
        info = tarfile.TarInfo("files/documents/planted.docx")
        info.size = 4
        target.addfile(info, io.BytesIO(b"evil"))
    assert "清单未列出的部分：files/documents/planted.docx" in run(empty_target, "restore", str(extra))[1]
    cut = tmp_path / "cut.tar"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    code, output = run(empty_target, "restore", str(cut))
    assert code != 0 and "备份" in output
    assert files_of(empty_target) == {}


def test_restore_refuses_a_database_that_is_not_empty(filled, tmp_path):
    archive = tmp_path / "kesu.tar"
    run(filled, "backup", str(archive))
    code, output = run(filled, "restore", str(archive))
    assert code != 0 and "目标数据库不是空的" in output


def test_backup_never_overwrites_an_existing_file(filled, tmp_path):
    archive = tmp_path / "kesu.tar"
    archive.write_text("yesterday's backup")
    code, output = run(filled, "backup", str(archive))
    assert code != 0 and "已存在" in output and archive.read_text() == "yesterday's backup"


def test_files_in_an_s3_bucket_are_backed_up_and_restored_into_another_bucket(app, staff, login_as, s3_config,
                                                                              s3_endpoint, empty_target, tmp_path):
    from tests.s3_server import new_bucket

    app.config.update(s3_config)
    with app.app_context():
        case = make_case(status="accepted")
    assert generate(login_as("clerk"), "acknowledgement", case).status_code == 200
    archive = tmp_path / "kesu.tar"
    assert run(app, "backup", str(archive))[0] == 0
    empty_target.config.update(new_bucket(s3_endpoint))
    assert run(empty_target, "restore", str(archive))[0] == 0
    assert files_of(empty_target) == files_of(app) and len(files_of(app)) == 1


@pytest.mark.skipif(bool(PG_URL), reason="the online backup API is SQLite's; pg_dump takes a snapshot")
def test_sqlite_backup_while_the_app_keeps_writing_is_consistent(app, staff, empty_target, tmp_path):
    stop = threading.Event()
    written = []

    def keep_writing():
        with app.app_context():
            while not stop.is_set():
                written.append(make_case(title=f"并发写入 {len(written)}").id)

    with app.app_context():
        for _ in range(200):
            make_case()
    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        archive = tmp_path / "kesu.tar"
        code, output = run(app, "backup", str(archive))
    finally:
        stop.set()
        writer.join()
    assert code == 0, output and written
    assert run(empty_target, "restore", str(archive))[0] == 0
    with empty_target.app_context():
        assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        assert verify_chain(db.session).intact
        assert db.session.scalar(select(db.func.count()).select_from(Case)) >= 200
