"""Native and accessible pages: every page declares its language, loads kesu's stylesheet (contrast, focus outlines)
and shortcuts, and a list shortens long texts that the record page shows whole.

The browser half (axe-core's check, the keyboard shortcuts, phone and desktop widths) is in tests/test_browser.py."""
from __future__ import annotations

import html
import re
from pathlib import Path

import flask_admin
import pytest

pytestmark = pytest.mark.engine_independent

LONG_TITLE = "空气净化器开机后持续异响并伴有焦糊味，客户要求上门检测并更换整机"

#: One page of each kind: (path, whether it needs a login). "{case}" is a case's id.
PAGE_KINDS = [
    ("/login", False),
    ("/no-such-page", False),
    ("/admin/", True),
    ("/admin/case/", True),
    ("/admin/case/details/?id={case}", True),
    ("/admin/case/edit/?id={case}", True),
    ("/admin/case/new/", True),
    ("/admin/case/workflow/accept/?id={case}", True),
    ("/admin/auditevent/", True),
    ("/admin/account/password/", True),
    ("/admin/no-such-page/", True),
]
HTML_LANG = re.compile(r"<html lang=\"([^\"]+)\">")


@pytest.fixture
def case_id(app, staff) -> int:
    from tests.factories import make_case

    with app.app_context():
        return make_case(title=LONG_TITLE).id


@pytest.mark.parametrize(("path", "logged_in"), PAGE_KINDS)
def test_every_page_kind_declares_chinese_and_english_after_the_switch(app, login_as, client, case_id, path,
                                                                        logged_in):
    browser = login_as("admin") if logged_in else client
    url = path.format(case=case_id)
    chinese = browser.get(url).get_data(as_text=True)
    browser.get("/lang/en")
    english = browser.get(url).get_data(as_text=True)
    assert HTML_LANG.findall(chinese) == ["zh-CN"], chinese[:300]
    assert HTML_LANG.findall(english) == ["en"], english[:300]


def test_the_language_link_is_marked_in_the_language_it_is_written_in(login_as):
    clerk = login_as("clerk")
    assert 'lang="en">English</a>' in clerk.get("/admin/").get_data(as_text=True)
    clerk.get("/lang/en")
    assert 'lang="zh-CN">简体中文</a>' in clerk.get("/admin/").get_data(as_text=True)


def test_flask_admins_base_template_is_copied_with_only_the_language_added():
    """kesu/templates/admin/base.html replaces Flask-Admin's, whose <html> tag has no block: when Flask-Admin
    changes its copy, this fails and ours is copied again."""
    theirs = Path(flask_admin.__file__).parent / "templates" / "bootstrap4" / "admin" / "base.html"
    ours = Path(__file__).parents[1] / "kesu" / "templates" / "admin" / "base.html"
    ours_without_comment = re.sub(r"\A\{#-.*?-#\}\n", "", ours.read_text(), flags=re.S)
    expected = theirs.read_text().replace("<html>\n", '<html lang="{{ html_lang(current_language) }}">\n', 1)
    assert ours_without_comment == expected


@pytest.mark.parametrize(("path", "logged_in"), [("/login", False), ("/no-such-page", False), ("/admin/", True),
                                                 ("/admin/case/", True)])
def test_every_page_loads_the_contrast_stylesheet(login_as, client, path, logged_in):
    page = (login_as("clerk") if logged_in else client).get(path).get_data(as_text=True)
    assert '<link href="/static/kesu/kesu.css" rel="stylesheet">' in page


def test_panel_pages_load_the_keyboard_shortcuts(login_as, case_id):
    page = login_as("clerk").get("/admin/case/").get_data(as_text=True)
    assert 'src="/static/kesu/shortcuts.js"' in page
    assert "data-kesu-open" in page  # Enter on a row follows its first such link


def test_a_long_text_is_shortened_in_the_list_with_the_whole_text_in_its_title(login_as, case_id):
    clerk = login_as("clerk")
    listed = clerk.get("/admin/case/").get_data(as_text=True)
    clipped = re.search(r'<td class="col-title">\s*<span class="kesu-clip" title="([^"]+)">', listed)
    assert clipped and html.unescape(clipped.group(1)) == LONG_TITLE
    details = clerk.get(f"/admin/case/details/?id={case_id}").get_data(as_text=True)
    assert LONG_TITLE in details and "kesu-clip" not in details


def test_a_short_text_is_listed_as_it_is(app, login_as, staff):
    from tests.factories import make_case

    with app.app_context():
        make_case(title="开机无反应")
    listed = login_as("clerk").get("/admin/case/").get_data(as_text=True)
    assert re.search(r'<td class="col-title">\s*开机无反应\s*</td>', listed)


def test_list_select_boxes_are_labelled_for_screen_readers(login_as, case_id):
    listed = login_as("clerk").get("/admin/case/").get_data(as_text=True)
    assert re.search(r'class="action-rowtoggle"[^>]*aria-label="[^"]+"', listed)
    assert re.search(r'class="action-checkbox" value="%d"[^>]*aria-label="[^"]+"' % case_id, listed)
