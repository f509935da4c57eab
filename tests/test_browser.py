"""A real browser (Debian's chromium through Playwright): log in, open the list, and walk a case and its claim
through every state by clicking the action buttons and filling their dialogs, as each role would.

Screenshots go to ``$KESU_TEST_SCREENSHOTS`` when set (to look at them), else to the test's temporary folder."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from kesu.timeutil import local_today

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"]
pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"), pytest.mark.engine_independent]


@contextlib.contextmanager
def clerk_page(base_url: str):
    """A Chinese browser page signed in as ``clerk``, and the Content-Security-Policy refusals it logs (the test
    asserts there are none once the block ends)."""
    from playwright.sync_api import sync_playwright

    from tests.factories import PASSWORD

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = browser.new_page(locale="zh-CN")
        refused: list[str] = []
        page.on("console", lambda message: refused.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.goto(base_url + "/login")
        page.fill("input[name=username]", "clerk")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        yield page, refused
        browser.close()


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
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
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


class Desk:
    """One logged-in browser page per role; ``click`` presses an action button and submits its dialog."""

    def __init__(self, browser, base: str, shots: Path) -> None:
        self.browser, self.base, self.shots, self.pages, self.step = browser, base, shots, {}, 0

    def page(self, role: str):
        from tests.factories import PASSWORD

        if role not in self.pages:
            page = self.browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN").new_page()
            page.goto(self.base + "/login")
            page.fill("input[name=username]", role)
            page.fill("input[name=password]", PASSWORD if role != "legal" else "long-enough-pw")
            page.click("button[type=submit]")
            self.pages[role] = page
        return self.pages[role]

    def open(self, role: str, path: str):
        page = self.page(role)
        page.goto(self.base + path)
        return page

    def click(self, role: str, path: str, action: str, fields: dict | None = None, expect: str = "",
              message: str | None = None) -> str:
        """Take ``action`` on ``path`` as ``role``; the page then says the new status ``expect`` (or ``message``)."""
        page = self.open(role, path)
        page.click(f'button[data-target="#wf-{action}"]')
        dialog = page.locator(f"#wf-{action}")
        dialog.wait_for(state="visible")
        for name, value in (fields or {}).items():
            field = dialog.locator(f'[name="{name}"]')
            if field.first.get_attribute("type") == "radio":
                dialog.locator(f'input[name="{name}"][value="{value}"]').check()
            elif field.first.evaluate("e => e.tagName") == "SELECT":
                field.select_option(str(value))
            else:
                field.fill(str(value))
        self.step += 1
        dialog.screenshot(path=str(self.shots / f"{self.step:02d}-{action}-dialog.png"))
        dialog.locator("button[type=submit]").click()
        page.wait_for_load_state()
        text = page.locator("body").inner_text()
        page.screenshot(path=str(self.shots / f"{self.step:02d}-{action}-done.png"), full_page=True)
        assert (message or f"当前状态：{expect}。") in text, text[:600]  # the flash (the status bar names every status)
        return text


def test_a_case_and_its_claim_go_through_every_state_in_the_browser(app, staff, live_server, tmp_path):
    from playwright.sync_api import sync_playwright

    from kesu.extensions import db
    from kesu.models import Case, Claim
    from tests.factories import department, make_claim, user
    from tests.test_workflow import _make_legal_reviewer

    shots = Path(os.environ.get("KESU_TEST_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        _make_legal_reviewer()
        case = db.session.scalar(db.select(Case).order_by(Case.id))
        claim = make_claim(case, amount="60000")
        case_url, claim_url = f"/admin/case/details/?id={case.id}", f"/admin/claim/details/?id={claim.id}"
        quality, handler = str(department("质量管理部").id), str(user("handler").id)
        case_id = case.id

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        desk = Desk(browser, live_server, shots)
        desk.click("clerk", case_url, "accept", {"reason": "产品在保修期内，投诉属实"}, expect="已受理")
        desk.click("clerk", case_url, "assign", {"department": quality, "handler": handler}, expect="调查中")
        edit = desk.open("handler", f"/admin/case/edit/?id={case_id}")
        edit.fill("textarea[name=containment]", "库存 200 台已隔离")
        edit.fill("textarea[name=root_cause]", "来料电容批次失效")
        edit.fill("textarea[name=corrective_action]", "更换供应商批次并加严来料检验")
        edit.screenshot(path=str(shots / "00-investigation-form.png"), full_page=True)
        edit.click("input[type=submit][value='保存']")
        desk.click("handler", case_url, "propose", {"resolution_type": "compensation", "amount": "50000",
                                                     "comment": "赔偿损失 5 万元"}, expect="方案已拟定")
        desk.click("manager", case_url, "approve", {"comment": "同意"}, expect="已审批")
        desk.click("clerk", case_url, "notify", {"channel": "phone"}, expect="已通知客户")
        desk.click("clerk", case_url, "customer_agree", {"channel": "phone", "opinion": "同意赔偿方案"},
                   expect="客户已确认")

        desk.click("clerk", claim_url, "review", expect="初审")
        desk.click("handler", claim_url, "investigate", expect="调查核实")
        desk.click("handler", claim_url, "assess", {"verified_loss": "55000", "compensation_form": "cash"},
                   expect="已核定")
        desk.click("clerk", claim_url, "submit_for_approval", {"amount": "52000"}, expect="待审批")
        desk.click("legal", claim_url, "countersign", {"comment": "协议条款无异议"}, expect="待审批")
        desk.click("finance", claim_url, "countersign", {"comment": "预算可列支"}, expect="待审批")
        desk.click("approver", claim_url, "approve", {"comment": "超出本人额度，上报"},
                   message="已上报上一级主管（授权额度 ¥200,000.00）审批。")
        desk.click("manager", claim_url, "approve", {"comment": "同意"}, expect="已批准")
        desk.click("clerk", claim_url, "confirm", {"payment_method": "bank_transfer", "instalments": "2",
                                                    "payment_plan": "签约后 7 日内支付 ¥20,000.00，30 日内支付 ¥32,000.00"},
                   expect="客户已确认")
        today = local_today().isoformat()
        desk.click("finance", claim_url, "pay", {"method": "bank_transfer", "amount": "20000",
                                                  "voucher_no": "PZ-2026-001", "paid_on": today}, expect="客户已确认")
        desk.click("finance", claim_url, "pay", {"method": "bank_transfer", "amount": "32000",
                                                  "voucher_no": "PZ-2026-002", "paid_on": today}, expect="已支付")
        desk.click("clerk", claim_url, "close", expect="已结案")

        desk.click("handler", case_url, "implement", expect="执行中")
        desk.click("clerk", case_url, "confirm_signed", {"signed_on": local_today().isoformat()}, expect="执行中")
        desk.click("clerk", case_url, "follow_up", {"content": "赔款已到账，客户表示满意"}, expect="回访中")
        desk.click("clerk", case_url, "close", {"satisfaction": 5, "feedback": "处理及时"}, expect="已结案")
        desk.click("clerk", case_url, "archive", expect="已归档")
        final = desk.open("clerk", case_url)
        final.screenshot(path=str(shots / "99-case-archived.png"), full_page=True)
        assert final.locator(".kesu-actions").count() == 0  # nothing left to do on an archived case
        browser.close()
    with app.app_context():
        assert db.session.get(Case, case_id).status == "archived"
        assert db.session.scalar(db.select(Claim.status)) == "closed"


def test_clerk_downloads_an_acknowledgement_with_one_click(app, staff, live_server, tmp_path):
    from playwright.sync_api import sync_playwright

    from kesu.extensions import db
    from kesu.models import Case
    from tests.docx_text import all_text

    with app.app_context():
        case = db.session.scalar(db.select(Case).order_by(Case.id))
        case.status = "accepted"
        db.session.commit()
        case_id, case_no = case.id, case.case_no
    shots = Path(os.environ.get("KESU_TEST_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        desk = Desk(browser, live_server, shots)
        page = desk.open("clerk", f"/admin/case/details/?id={case_id}")
        with page.expect_download() as download:
            page.click(".kesu-doc-acknowledgement button[type=submit]:not([formaction])")
        assert download.value.suggested_filename == f"{case_no}_受理回执.docx"
        saved = tmp_path / "ack.docx"
        download.value.save_as(saved)
        page.goto(live_server + f"/admin/case/details/?id={case_id}")
        assert "客诉回执〔" in page.locator(".kesu-record-documents").inner_text()
        page.screenshot(path=str(shots / "documents-on-case-page.png"))
        browser.close()
    assert case_no in all_text(saved.read_bytes())


def test_auditor_saves_a_filter_reruns_it_from_the_menu_and_sees_the_chain_status(app, live_server, tmp_path):
    from playwright.sync_api import sync_playwright

    from kesu.extensions import db
    from kesu.models import Case
    from tests.test_exports import status_equals

    shots = Path(os.environ.get("KESU_TEST_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        first = db.session.scalar(db.select(Case).order_by(Case.id))
        first.status = "investigating"
        db.session.commit()
        wanted = first.case_no
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        desk = Desk(browser, live_server, shots)
        page = desk.open("auditor", f"/admin/case/?{status_equals(app)}=investigating")
        assert page.locator("table.model-list tbody tr").count() == 1
        page.click("a.kesu-saved-filters")
        page.fill(".kesu-save-filter input[name=name]", "调查中的案件")
        page.screenshot(path=str(shots / "saved-filter-menu.png"), full_page=True)
        page.click(".kesu-save-filter button[type=submit]")
        page.wait_for_load_state()
        assert "已保存筛选「调查中的案件」" in page.locator("body").inner_text()

        page.goto(live_server + "/admin/case/")
        assert page.locator("table.model-list tbody tr").count() == 3
        page.click("a.kesu-saved-filters")
        page.click(".kesu-saved-filter a:has-text('调查中的案件')")
        page.wait_for_load_state()
        rows = page.locator("table.model-list tbody tr")
        assert rows.count() == 1 and wanted in rows.first.inner_text()
        page.screenshot(path=str(shots / "saved-filter-rerun.png"), full_page=True)

        trail = desk.open("auditor", "/admin/auditevent/")
        assert "哈希链尚未核验过" in trail.locator(".kesu-chain-status").inner_text()
        trail.click("button.kesu-verify-chain")
        trail.wait_for_load_state()
        status = trail.locator(".kesu-chain-status")
        assert "alert-success" in status.get_attribute("class") and "最近一次全量核验" in status.inner_text()
        trail.screenshot(path=str(shots / "audit-chain-status.png"), full_page=True)
        browser.close()


WATCH_CSP = """window.__csp = [];
document.addEventListener("securitypolicyviolation", e => window.__csp.push(
    e.violatedDirective + " " + e.blockedURI + " " + (e.target.outerHTML || "").slice(0, 120)));"""


def test_every_page_kind_runs_under_the_content_security_policy(app, staff, live_server, tmp_path):
    """Nothing on the panel's pages is refused by the policy, and what runs scripts still works: the filter menu
    and a filter row, the select2 search box, the date picker, a workflow dialog, the list actions, a delete
    confirmation."""
    from playwright.sync_api import sync_playwright

    from kesu.extensions import db
    from kesu.models import Case
    from tests.factories import PASSWORD

    with app.app_context():
        case_id, investigated = db.session.scalars(db.select(Case.id).order_by(Case.id)).all()[:2]
        db.session.get(Case, investigated).status = "investigating"  # its goods on hold are open to edit
        db.session.commit()
    refused: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        context.add_init_script(WATCH_CSP)
        page = context.new_page()
        page.on("console", lambda message: refused.append(message.text)
                if "Refused to" in message.text or "Content Security Policy" in message.text else None)
        questions: list[str] = []
        page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))

        def visit(path: str):
            page.goto(live_server + path)
            page.wait_for_load_state("networkidle")
            assert page.evaluate("window.__csp") == [], path
            return page

        visit("/login")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")

        visit("/admin/case/")
        page.click("a.nav-link.dropdown-toggle:has-text('添加筛选')")
        assert page.locator(".field-filters").is_visible()
        page.locator(".field-filters a.filter").first.click()
        assert page.locator("#filter-form .filter-val").count() >= 1 or page.locator("#filter_form tr").count() >= 1
        page.locator("input.action-checkbox").first.check()
        page.click("li.dropdown:has([data-kesu-action]) > a.dropdown-toggle")
        page.locator("[data-kesu-action^='workflow_']").first.click()
        page.wait_for_url("**/workflow-bulk/**")
        visit("/admin/department/")
        page.locator("form.icon button[data-kesu-confirm]").first.click()
        assert questions, "the delete button asks before deleting"
        assert page.url.endswith("/admin/department/")  # dismissed: nothing was posted

        visit("/admin/case/new/")
        page.click("#s2id_customer a.select2-choice")  # the customer search box: select2 asking the server
        page.keyboard.type("张")
        page.locator("#select2-drop .select2-result-label:has-text('张伟')").first.wait_for(state="visible")
        page.keyboard.press("Escape")
        page.locator("input[data-role=datetimepicker]").first.click()
        assert page.locator(".daterangepicker").first.is_visible()

        visit(f"/admin/case/edit/?id={investigated}")
        rows = page.locator("#goods_holds .inline-field-list > .inline-field")
        before = rows.count()
        page.click("#goods_holds-button")
        assert rows.count() == before + 1  # an inline row added

        visit(f"/admin/case/details/?id={case_id}")
        page.click('button[data-target="#wf-accept"]')
        page.locator("#wf-accept").wait_for(state="visible")
        for path in (f"/admin/case/workflow/accept/?id={case_id}", "/admin/documenttemplate/",
                     "/admin/generateddocument/", "/admin/auditevent/", "/admin/customer/new/", "/admin/",
                     "/admin/nothing-here/"):
            visit(path)
        page.screenshot(path=str(tmp_path / "csp-error-page.png"), full_page=True)
        browser.close()
    assert refused == []


AXE_CORE = Path(__file__).parents[1] / ".venv" / "node" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = "r => r.violations.filter(v => ['serious', 'critical'].includes(v.impact))" \
          ".map(v => v.id + ' ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))"


@pytest.mark.skipif(not AXE_CORE.exists(), reason="axe-core is not installed: `make test` installs it with npm "
                                                  "(npm install --prefix .venv/node axe-core), npm was missing")
def test_axe_finds_no_serious_violation_in_chinese_or_english(app, staff, live_server, tmp_path):
    """The login page, the home page, a list, a case's page and its edit form, in both languages, against
    WCAG 2 A/AA and axe's best practices. The context bypasses the CSP only so axe's script can be injected."""
    from playwright.sync_api import sync_playwright

    from kesu.extensions import db
    from kesu.models import Case
    from kesu.timeutil import utcnow
    from tests.factories import PASSWORD

    with app.app_context():
        case = db.session.scalar(db.select(Case).order_by(Case.id))
        # the handler's edit form (the 8D fields), and a row of the inbox, overdue
        case.status, case.next_due_at = "investigating", utcnow() - timedelta(hours=1)
        db.session.commit()
        case_id = case.id
    axe, found = AXE_CORE.read_text(), {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                   bypass_csp=True).new_page()

        def check(path: str, language: str) -> None:
            page.goto(live_server + path)
            page.add_script_tag(content=axe)
            run = "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']})"
            found[language, path] = page.evaluate(f"{run}.then({SERIOUS})")

        for language in ("zh_Hans_CN", "en"):
            page.goto(live_server + f"/lang/{language}")
            check("/login", language)
            page.fill("input[name=username]", "handler")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            for path in ("/admin/", "/admin/case/", f"/admin/case/details/?id={case_id}",
                         f"/admin/case/edit/?id={case_id}"):
                check(path, language)
            page.click("form[action='/logout'] button[type=submit]")
        browser.close()
    assert len(found) == 10 and not any(found.values()), found


def test_keyboard_slash_focuses_the_search_and_j_k_enter_open_a_row(app, staff, live_server, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        desk = Desk(browser, live_server, tmp_path)
        page = desk.open("clerk", "/admin/case/")
        page.keyboard.press("/")
        assert page.evaluate("document.activeElement.name") == "search"
        page.keyboard.type("j")  # typed into the search box, not a move
        assert page.input_value("form[role=search] input[name=search]") == "j"
        page.locator("h4").first.click()  # out of the box
        page.keyboard.press("ArrowDown")  # no row chosen yet: the page scrolls, no row is chosen
        assert page.locator("tr.kesu-current").count() == 0
        page.keyboard.press("j")
        page.keyboard.press("j")
        page.keyboard.press("k")
        page.keyboard.press("ArrowDown")
        second = page.locator("table.model-list tbody tr").nth(1)
        assert "kesu-current" in second.get_attribute("class")
        assert page.evaluate("document.activeElement.classList.contains('kesu-current')")
        wanted = second.locator("[data-kesu-open]").first.get_attribute("href")
        page.screenshot(path=str(tmp_path / "row-chosen.png"))
        page.keyboard.press("Enter")
        page.wait_for_url("**/admin/case/details/**")
        assert page.url.endswith(wanted)
        browser.close()


def test_the_inbox_is_worked_from_the_keyboard(app, staff, live_server, tmp_path):
    """j / k move through the inbox's rows and Enter opens the chosen record; its next step is one click."""
    from playwright.sync_api import sync_playwright

    from kesu.extensions import db
    from kesu.models import Case

    with app.app_context():
        ids = db.session.scalars(db.select(Case.id).order_by(Case.id)).all()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = Desk(browser, live_server, tmp_path).open("clerk", "/admin/")
        rows = page.locator("table.kesu-inbox tbody tr")
        assert rows.count() == len(ids) and page.locator(".kesu-inbox-count").inner_text() == str(len(ids))
        page.keyboard.press("j")
        page.keyboard.press("j")
        page.keyboard.press("k")
        page.keyboard.press("j")
        assert "kesu-current" in rows.nth(1).get_attribute("class")
        wanted = rows.nth(1).locator("[data-kesu-open]").get_attribute("href")
        page.screenshot(path=str(tmp_path / "inbox.png"), full_page=True)
        page.keyboard.press("Enter")
        page.wait_for_url("**/admin/case/details/**")
        assert page.url.endswith(wanted)
        page.go_back()
        page.locator("table.kesu-inbox tbody tr").first.locator("a.btn-primary").click()
        page.wait_for_url("**/admin/case/workflow/accept/**")
        browser.close()


@pytest.mark.parametrize(("width", "language"), [(390, "zh_Hans_CN"), (1366, "en")])
def test_the_case_list_stays_readable_on_a_phone_and_a_laptop(app, staff, live_server, tmp_path, width, language):
    """The page never scrolls sideways (the table scrolls inside its frame on a phone), at 1366 px the English
    list fits, each row is one line high, and a long summary is cut with an ellipsis, its whole text in the title."""
    from playwright.sync_api import sync_playwright

    from tests.factories import PASSWORD, make_case

    long_title = "洗衣机脱水时剧烈晃动并发出异响，客户要求上门检修或者退货"
    with app.app_context():
        make_case(title=long_title)
    shots = Path(os.environ.get("KESU_TEST_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
        page.goto(live_server + f"/lang/{language}")
        page.goto(live_server + "/login")
        page.fill("input[name=username]", "clerk")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(live_server + "/admin/case/")
        page.screenshot(path=str(shots / f"case-list-{width}-{language}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        frame = page.locator(".table-responsive")
        if width >= 1366:
            assert frame.evaluate("f => f.scrollWidth <= f.clientWidth")
            heights = page.locator("table.model-list tbody tr").evaluate_all("rows => rows.map(r => r.offsetHeight)")
            assert max(heights) < 2 * min(heights), heights
        clipped = page.locator(f"td.col-title .kesu-clip[title='{long_title}']")
        assert clipped.evaluate("e => e.scrollWidth > e.clientWidth")  # shown shortened
        browser.close()


def test_a_record_page_is_readable_on_a_phone(app, staff, live_server, tmp_path):
    """At 390 px the page never scrolls sideways: the status bar wraps, fields stack under their labels, the
    related tables scroll inside their frame; the current step is on screen and says it is the current one."""
    from playwright.sync_api import sync_playwright

    from kesu.extensions import db
    from kesu.models import Case
    from tests.factories import PASSWORD

    with app.app_context():
        case = db.session.scalar(db.select(Case).order_by(Case.id))
        case.status, case.root_cause = "investigating", "来料电容批次失效，" * 30
        db.session.commit()
        case_id = case.id
    shots = Path(os.environ.get("KESU_TEST_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
        page.goto(live_server + "/login")
        page.fill("input[name=username]", "clerk")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(live_server + f"/admin/case/details/?id={case_id}")
        page.screenshot(path=str(shots / "case-page-390.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        current = page.locator(".kesu-statusbar [aria-current=step]")
        assert current.inner_text().startswith("调查中") and current.bounding_box()["x"] + 10 < 390
        bar = page.locator(".kesu-statusbar").bounding_box()
        assert bar["height"] > 2 * current.bounding_box()["height"]  # wrapped onto several lines
        browser.close()
