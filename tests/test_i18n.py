"""Simplified Chinese by default, English selectable; every Chinese msgid has an English translation."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

pytestmark = pytest.mark.engine_independent

ROOT = Path(__file__).resolve().parent.parent


def test_panel_is_chinese_by_default(login_as):
    page = login_as("clerk").get("/admin/case/").get_data(as_text=True)
    for text in ("投诉案件", "案件编号", "受理时间", "状态", "客户", "创建", "筛选器"):
        assert text in page, text


def test_english_is_selectable(login_as):
    client = login_as("clerk")
    client.get("/lang/en", headers={"Referer": "http://localhost/admin/case/"})
    page = client.get("/admin/case/").get_data(as_text=True)
    assert "Case number" in page
    assert "Accepted at" in page
    assert "Create" in page
    assert "案件编号" not in page
    assert "Saved filters" in page and "Save current filter" in page and "已保存的筛选" not in page


def test_flask_admin_messages_are_chinese(login_as, staff):
    page = login_as("clerk").get("/admin/customer/new/").get_data(as_text=True)
    assert "保存" in page and "取消" in page


def test_unknown_language_code_is_ignored(login_as):
    client = login_as("clerk")
    client.get("/lang/xx")
    assert "案件编号" in client.get("/admin/case/").get_data(as_text=True)


def test_every_message_has_an_english_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
                    "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), str(ROOT)],
                   check=True, capture_output=True, cwd=ROOT)
    with open(pot, "rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    with open(ROOT / "kesu/translations/en/LC_MESSAGES/messages.po", "rb") as fh:
        catalogue = read_po(fh)
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    assert wanted - translated == set()


def test_audit_chain_status_reads_in_english(login_as):
    client = login_as("auditor")
    client.get("/lang/en", headers={"Referer": "http://localhost/admin/auditevent/"})
    assert "The hash chain has never been verified" in client.get("/admin/auditevent/").get_data(as_text=True)
    client.post_form("/admin/auditevent/verify/", {})
    page = client.get("/admin/auditevent/").get_data(as_text=True)
    assert "Last full verification:" in page and "link correctly" in page
