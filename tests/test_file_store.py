"""One file store interface: a local folder by default, an S3-compatible store when KESU_S3_* is set; files written
with the transaction (no orphan file, no row without its file) on both."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kesu.extensions import db
from kesu.file_store import FileStoreError, LocalFileStore, file_store, key_for
from kesu.models import Attachment, GeneratedDocument
from tests.factories import make_case
from tests.s3_server import bucket_keys
from tests.test_attachments import PNG, upload
from tests.test_documents import generate

STORES = ["local", "s3"]


@pytest.fixture(params=STORES)
def store_app(request, app):
    """The app with its files in a folder, or in a new bucket of the local S3 API."""
    if request.param == "s3":
        app.config.update(request.getfixturevalue("s3_config"))
    return app


def stored_keys(app) -> list[str]:
    with app.app_context():
        return sorted(file_store().keys())


def test_the_configuration_chooses_the_store(app, s3_config):
    with app.app_context():
        assert isinstance(file_store(), LocalFileStore)
        app.config.update(s3_config)
        assert file_store().kind == "s3"
        assert file_store() is file_store()  # one client per configuration


def test_round_trip_of_bytes_listing_and_deletion(store_app):
    content = bytes(range(256)) * 1000
    with store_app.app_context():
        store = file_store()
        store.put("documents/a.docx", content)
        store.put("attachments/b", b"evidence")
        assert store.get("documents/a.docx") == content
        assert sorted(store.keys()) == ["attachments/b", "documents/a.docx"]
        store.delete("documents/a.docx")
        store.delete("documents/a.docx")  # already gone: no error
        assert list(store.keys()) == ["attachments/b"]
        with pytest.raises(FileStoreError, match="documents/a.docx"):
            store.get("documents/a.docx")
        store.check()


@pytest.mark.parametrize("area,name", [("documents", "../secret"), ("etc", "passwd"), ("documents", ""),
                                       ("attachments", ".hidden"), ("documents", "a/b")])
def test_a_key_outside_the_stores_areas_is_refused(area, name):
    with pytest.raises(ValueError):
        key_for(area, name)


def test_an_uploaded_attachment_downloads_byte_for_byte_from_the_store(store_app, login_as, staff):
    with store_app.app_context():
        case_id = make_case("质量管理部").id
    client = login_as("clerk")
    assert upload(client, case_id).status_code == 302
    with store_app.app_context():
        attachment = db.session.scalar(select(Attachment))
        assert stored_keys(store_app) == [f"attachments/{attachment.stored_name}"]
        attachment_id = attachment.id
    response = client.get(f"/admin/attachment/download/?id={attachment_id}")
    assert response.status_code == 200 and response.data == PNG


def test_a_refused_upload_leaves_no_file_in_the_store(store_app, login_as, staff):
    with store_app.app_context():
        case_id = make_case("质量管理部").id
    response = upload(login_as("clerk"), case_id, content=b"MZ\x90\x00 not a photo", filename="virus.exe")
    assert response.status_code == 200
    assert stored_keys(store_app) == []


def test_a_failed_commit_removes_the_file_it_wrote(store_app, staff, login_as, monkeypatch):
    from kesu.documents import register

    with store_app.app_context():
        case = make_case(status="accepted")

    def broken_event(*args, **kwargs):
        raise RuntimeError("the database went away")
    monkeypatch.setattr(register, "record_event", broken_event)
    with pytest.raises(RuntimeError):
        generate(login_as("clerk"), "acknowledgement", case)
    assert stored_keys(store_app) == []
    with store_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(GeneratedDocument)) == 0


def test_every_registered_document_has_its_file_and_a_zip_reads_them_from_the_store(store_app, staff, login_as):
    from kesu.documents.register import stored_content
    from tests.jobs import bulk_zip

    with store_app.app_context():
        ids = [make_case(status="accepted").id for _ in range(3)]
    job, archive = bulk_zip(store_app, login_as("clerk"), "case", "document_acknowledgement", ids)
    with store_app.app_context():
        documents = db.session.scalars(select(GeneratedDocument)).all()
        assert len(documents) == 3
        assert stored_keys(store_app) == sorted([f"documents/{d.stored_name}" for d in documents]
                                                + [f"results/{job.result_name}"])
        contents = sorted(archive.read(name) for name in archive.namelist())
        assert contents == sorted(stored_content(d) for d in documents)


def test_s3_store_keeps_keys_under_its_prefix(app, s3_config):
    app.config.update(s3_config, S3_PREFIX="company-a")
    with app.app_context():
        file_store().put("documents/x.docx", b"x")
        assert list(file_store().keys()) == ["documents/x.docx"]
    assert bucket_keys(s3_config) == ["company-a/documents/x.docx"]


def test_healthz_names_an_unreachable_object_store(app, client, s3_config):
    app.config.update(s3_config, S3_BUCKET="no-such-bucket")
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json["checks"]["file_store"].startswith("error: ")
