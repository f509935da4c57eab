"""Evidence files: checked on upload, stored outside static, served only to those who may see the case."""
from __future__ import annotations

import io
import zipfile
from urllib.parse import quote

import pytest
from docx import Document
from sqlalchemy import func, select

from kesu.extensions import db
from kesu.models import Attachment
from kesu.uploads import clean_filename
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


# --- macros, whatever the file is called ----------------------------------------------------------------------
OLE_WITH_VBA = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "_VBA_PROJECT".encode("utf-16-le") + b"\0" * 64
MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def word_document(vba: bytes | None = None, main_type: str | None = None, vba_name: str = "word/vbaProject.bin"):
    """A .docx from python-docx; with ``vba`` it is what Word saves as .docm (a VBA project, a macro main part)."""
    document = Document()
    document.add_paragraph("调查记录")
    out = io.BytesIO()
    document.save(out)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    members = {name: source.read(name) for name in source.namelist()}
    if main_type:
        members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
            b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", main_type.encode())
    if vba is not None:
        members[vba_name] = vba
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return packed.getvalue()


def attachment_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Attachment))


@pytest.mark.parametrize("filename", ["报告.docx", "报告.zip", "报告.pdf", "报告.png"])
def test_attachment_renamed_from_docm_is_refused(login_as, case_ids, app, filename):
    docm = word_document(OLE_WITH_VBA, MACRO_MAIN)
    page = upload(login_as("clerk"), case_ids[0], docm, filename).get_data(as_text=True)
    assert "文件含有宏" in page and "不能上传" in page
    assert attachment_count(app) == 0


@pytest.mark.parametrize("content", [
    pytest.param(lambda: word_document(OLE_WITH_VBA, vba_name="word/media/image1.png"), id="VBA project as an image"),
    pytest.param(lambda: word_document(main_type=MACRO_MAIN), id="macro-enabled main part only"),
    pytest.param(lambda: OLE_WITH_VBA + b"\0" * 512, id="old .doc with a VBA storage"),
])
def test_macros_are_found_inside_whatever_they_are_called(login_as, case_ids, app, content):
    page = upload(login_as("clerk"), case_ids[0], content(), "记录.pdf").get_data(as_text=True)
    assert "文件含有宏" in page
    assert attachment_count(app) == 0


def test_word_document_without_macros_is_accepted(login_as, case_ids, app):
    assert upload(login_as("clerk"), case_ids[0], word_document(), "调查记录.docx").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Attachment.content_type)).endswith("wordprocessingml.document")


# --- file names -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, extension, cleaned", [
    ("现场照片\r\n第1张.png", "png", "现场照片第1张.png"),
    ("照片\u202egnp.exe", "png", "照片gnp.exe.png"),  # shown as 照片exe.png before: now it says what it is
    ("\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u202a\u202b\u202c\u202d合同.pdf", "pdf", "合同.pdf"),
    ("..\\..\\windows\\system32/驱动.png", "png", "驱动.png"),
    ("a:b*c?\"<>|.pdf", "pdf", "a_b_c_____.pdf"),
    ("\u202e\r\n.png", "png", "附件.png"),
    ("\x07\x1b", "png", "附件.png"),
    ("照片.JPEG", "jpg", "照片.JPEG"),
    ("x" * 300 + ".pdf", "pdf", "x" * 196 + ".pdf"),
])
def test_file_names_are_cleaned(ctx, name, extension, cleaned):
    assert clean_filename(name, extension) == cleaned


def upload_named(client, case_id: int, filename: str, content: bytes = PNG):
    """A multipart upload naming the file as RFC 5987 allows (``filename*``): any character, CR and LF too,
    which a plain ``filename="…"`` cannot carry."""
    boundary = "kesu-boundary"
    fields = {"csrf_token": client.csrf_token or client.fetch_csrf(), "case": str(case_id), "description": "照片"}
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                    for name, value in fields.items())
    body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''{quote(filename)}\r\n"
             f"Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return client.post("/admin/attachment/new/", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_attachment_with_control_and_bidi_characters_uploads_and_downloads_with_a_clean_name(login_as, case_ids,
                                                                                              app):
    client = login_as("clerk")
    assert upload_named(client, case_ids[0], "现场\r\n照片\u202e\x1b.png").status_code == 302
    with app.app_context():
        attachment = db.session.scalar(select(Attachment))
        assert attachment.filename == "现场照片.png"
        attachment_id = attachment.id
    response = client.get(f"/admin/attachment/download/?id={attachment_id}")
    assert response.status_code == 200 and response.data == PNG
    assert f"filename*=UTF-8''{quote('现场照片.png')}" in response.headers["Content-Disposition"]


def test_attachment_stored_with_an_uncleaned_name_still_downloads(login_as, case_ids, app, tmp_path):
    store = tmp_path / "files" / "attachments"
    store.mkdir(parents=True)
    (store / "old-row").write_bytes(PNG)
    with app.app_context():
        attachment = Attachment(case_id=case_ids[0], filename="旧\r\n文件\u202egnp.exe", stored_name="old-row",
                                content_type="image/png", size=len(PNG), sha256="0" * 64)
        db.session.add(attachment)
        db.session.commit()
        attachment_id = attachment.id
    response = login_as("clerk").get(f"/admin/attachment/download/?id={attachment_id}")
    assert response.status_code == 200 and response.data == PNG
    disposition = response.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition and "%E2%80%AE" not in disposition
    assert f"filename*=UTF-8''{quote('旧文件gnp.exe')}" in disposition
