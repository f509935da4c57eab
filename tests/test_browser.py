"""A real browser: log in and open the case list (Debian's chromium through Playwright)."""
from __future__ import annotations

import shutil
import socket
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


@pytest.fixture
def live_server(app, staff):
    from tests.factories import make_case

    with app.app_context():
        for _ in range(3):
            make_case()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


def test_clerk_logs_in_and_sees_the_case_list(live_server, tmp_path):
    from playwright.sync_api import sync_playwright

    from tests.factories import PASSWORD

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        page.goto(live_server + "/admin/case/")
        assert "/login" in page.url
        page.fill("input[name=username]", "clerk")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(live_server + "/admin/case/")
        assert page.locator("table.model-list tbody tr").count() == 3
        assert "案件编号" in page.content()
        page.screenshot(path=str(tmp_path / "case_list.png"), full_page=True)
        browser.close()
