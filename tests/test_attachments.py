"""Evidence files: checked on upload, stored outside static, served only to those who may see the case."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from kesu.extensions import db
from kesu.models import Attachment
from tests.factories import make_case

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def case_ids(app, staff):
    with app.app_context():
        return make_case("质量管理部").id, make_case("生产部").id


def upload(client, case_id, content=PNG, filename="现场照片.png"):
    return client.post_form("/admin/attachment/new/", {"case": str(case_id), "description": "破损照片",
                                                       "file": (io.BytesIO(content), filename)},
                            content_type="multipart/form-data")


def test_clerk_uploads_a_photo_and_downloads_it_back(login_as, case_ids, app):
    client = login_as("clerk")
    assert upload(client, case_ids[0]).status_code == 302
    with app.app_context():
        attachment = db.session.scalar(select(Attachment))
        assert attachment.content_type == "image/png" and attachment.size == len(PNG)
        attachment_id = attachment.id
    response = client.get(f"/admin/attachment/download/?id={attachment_id}")
    assert response.status_code == 200 and response.data == PNG
    assert "attachment" in response.headers["Content-Disposition"]


def test_files_are_not_under_static(login_as, case_ids, app, tmp_path):
    upload(login_as("clerk"), case_ids[0])
    stored = list((tmp_path / "files" / "attachments").iterdir())
    assert len(stored) == 1 and stored[0].read_bytes() == PNG


def test_handler_of_another_department_cannot_download(login_as, case_ids, app):
    upload(login_as("clerk"), case_ids[1])
    with app.app_context():
        attachment_id = db.session.scalar(select(Attachment.id))
    assert login_as("handler").get(f"/admin/attachment/download/?id={attachment_id}").status_code == 404
    assert login_as("other_handler").get(f"/admin/attachment/download/?id={attachment_id}").status_code == 200


def test_anonymous_download_goes_to_login(client, login_as, case_ids, app):
    upload(login_as("clerk"), case_ids[0])
    assert "/login" in client.get("/admin/attachment/download/?id=1").location


@pytest.mark.parametrize("content,filename,message", [
    (b"MZ\x90\x00" + b"\x00" * 100, "setup.exe", "不支持的文件类型"),
    (b"#!/bin/sh\nrm -rf /\n", "photo.png", "不支持的文件类型"),
    (b"", "empty.png", "上传的文件是空的"),
])
def test_unsupported_or_empty_files_are_refused(login_as, case_ids, app, content, filename, message):
    response = upload(login_as("clerk"), case_ids[0], content, filename)
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_file_over_the_limit_is_refused(login_as, case_ids, app):
    app.config["ATTACHMENT_MAX_BYTES"] = 1024
    response = upload(login_as("clerk"), case_ids[0], PNG + b"\x00" * 2048)
    assert "文件超过大小上限" in response.get_data(as_text=True)
