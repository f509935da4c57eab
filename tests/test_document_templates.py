"""Template versions: what an upload must pass, activation, and the sandbox templates run in."""
from __future__ import annotations

import io
import time
import zipfile
from decimal import Decimal

import pytest
from docx import Document
from jinja2.exceptions import SecurityError
from sqlalchemy import func, select

from kesu.documents import DOCUMENT_TYPES, amount_in_chinese, render
from kesu.documents.limits import Limits, RenderRefused
from kesu.documents.rendering import fill
from kesu.documents.templates import DEFAULTS_DIR, unknown_variables
from kesu.extensions import db
from kesu.models import DocumentTemplate, GeneratedDocument
from tests.docx_text import all_text
from tests.factories import make_case

ACKNOWLEDGEMENT = DOCUMENT_TYPES["acknowledgement"]


def docx_with(*paragraphs: str) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def with_member(content: bytes, name: str, data: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    return zipped({**{n: source.read(n) for n in source.namelist()}, name: data})


def upload(client, content: bytes, doc_type: str = "acknowledgement", filename: str = "回执.docx", **fields):
    data = {"doc_type": doc_type, "file": (io.BytesIO(content), filename), "note": fields.get("note", ""),
            **({"activate": "y"} if fields.get("activate", True) else {})}
    return client.post_form("/admin/documenttemplate/new/", data, content_type="multipart/form-data",
                            follow_redirects=True)


def versions(app, doc_type: str = "acknowledgement") -> list[tuple[int, bool]]:
    with app.app_context():
        return list(db.session.execute(select(DocumentTemplate.version, DocumentTemplate.active)
                                       .where(DocumentTemplate.doc_type == doc_type)
                                       .order_by(DocumentTemplate.version)).tuples())


# --- amounts in words ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("amount, words", [
    ("0.05", "人民币伍分"),
    ("10", "人民币壹拾元整"),
    ("1002.30", "人民币壹仟零贰元叁角整"),
    ("12345678.90", "人民币壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角整"),
    ("100000000", "人民币壹亿元整"),
    ("12300", "人民币壹万贰仟叁佰元整"),
    ("1.05", "人民币壹元零伍分"),
    ("0", "人民币零元整"),
    ("0.005", "人民币壹分"),  # rounded half-up to 分
    ("1680.325", "人民币壹仟陆佰捌拾元叁角叁分"),
])
def test_amount_in_chinese_capitals(amount, words):
    assert amount_in_chinese(Decimal(amount)) == words


def test_negative_amount_has_no_capitals():
    with pytest.raises(ValueError):
        amount_in_chinese(Decimal("-1"))


# --- the defaults -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("doc_key", list(DOCUMENT_TYPES))
def test_default_template_uses_only_its_types_vocabulary(ctx, doc_key):
    content = (DEFAULTS_DIR / f"{doc_key}.docx").read_bytes()
    assert unknown_variables(DOCUMENT_TYPES[doc_key], content) == []


def test_every_type_starts_with_its_default_as_active_version_1(app):
    for doc_key in DOCUMENT_TYPES:
        assert versions(app, doc_key) == [(1, True)]


# --- the sandbox --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("expression", ["{{ ''.__class__.__mro__ }}", "{{ case_no.__class__.__base__.__subclasses__() }}",
                                        "{{ cycler.__init__.__globals__ }}"])
def test_template_code_cannot_reach_python_internals(ctx, expression):
    with pytest.raises(SecurityError):
        fill(docx_with(expression), {"case_no": "KS-1"})


def test_values_are_escaped_not_interpreted(ctx):
    text = all_text(fill(docx_with("{{ name }}"), {"name": "A&B <w:t>公司</w:t> {{ 7*7 }}"}))
    assert "A&B <w:t>公司</w:t> {{ 7*7 }}" in text


# --- limits on the work a template does -----------------------------------------------------------------------
#: The size limits under test; the time limit generous, so a loaded machine does not stop the work first.
SMALL = Limits(seconds=5, max_chars=100_000, max_iterations=1_000)
TOO_LONG, TOO_MANY, TOO_BIG_A_LIST = "超过 100000 个字符的上限", "循环共超过 1000 次的上限", "列表超过 1000 项的上限"
OVER_A_LIMIT = {
    "nested loops": ("{% for i in range(100) %}{% for j in range(100) %}{% endfor %}{% endfor %}", TOO_MANY),
    "loop over a stored range": ("{% set r = range(900) %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}",
                                 TOO_MANY),
    "recursive loop": ("{% for x in [1, 2] recursive %}{{ loop(range(900)) if loop.depth == 1 }}{% endfor %}",
                       TOO_MANY),
    "string times a big number": ("{{ 'x' * 50000000 }}", TOO_LONG),
    "string formatting": ("{{ '%s' * 100 % (('x' * 90000,) * 100) }}", TOO_LONG),
    "formatting width": ("{{ '%999999999s' % 1 }}", TOO_LONG),
    "format method width": ("{{ '{:>999999999}'.format(1) }}", TOO_LONG),
    "padding": ("{{ 'x'.ljust(999999999) }}", TOO_LONG),
    "center filter": ("{{ 'x'|center(999999999) }}", TOO_LONG),
    "join of a huge list": ("{{ (['x' * 90000] * 100)|join }}", TOO_LONG),
    "string join": ("{{ ''.join(['x' * 90000] * 2) }}", TOO_LONG),
    "replace": ("{{ ('x' * 1000)|replace('x', 'y' * 1000) }}", TOO_LONG),
    "doubling with ~": ("{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
                        "{% endfor %}", TOO_LONG),
    "doubling with +": ("{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}"
                        "{% endfor %}", TOO_LONG),
    "output of a loop": ("{% for i in range(900) %}{{ 'x' * 900 }}{% endfor %}", TOO_LONG),
    "captured output": ("{% for i in range(900) %}{% set t %}{{ 'x' * 900 }}{% endset %}{% endfor %}", TOO_LONG),
    "list times a big number": ("{{ ([1] * 10 ** 9)|length }}", TOO_BIG_A_LIST),
    "text taken apart": ("{{ ('x' * 90000)|sort|length }}", TOO_BIG_A_LIST),
    "batch filler": ("{{ [1]|batch(999999999, 'x')|list }}", TOO_LONG),
    "power": ("{{ 3 ** 100000000 }}", "数字计算结果过大"),
    "squaring": ("{% set ns = namespace(n=3) %}{% for i in range(64) %}{% set ns.n = ns.n * ns.n %}{% endfor %}",
                 "数字计算结果过大"),
    "sum of lists": ("{{ [[1], [2]]|sum(start=[]) }}", "sum 只能累加数字"),
    "a method that maps characters": ("{{ 'x'.translate({120: 'y'}) }}", "不允许的方法：translate"),
}


@pytest.mark.parametrize("kind", list(OVER_A_LIMIT))
def test_template_work_over_a_limit_is_stopped_in_time(ctx, kind):
    source, message = OVER_A_LIMIT[kind]
    started = time.monotonic()
    with pytest.raises(RenderRefused, match=message):
        fill(docx_with(source), {}, SMALL)
    assert time.monotonic() - started < 15


def test_template_busy_within_the_size_limits_stops_at_its_deadline(ctx):
    busy = "{% for i in range(90000) %}{{ range(90000)|sort|length }}{% endfor %}"
    started = time.monotonic()
    with pytest.raises(RenderRefused, match="模板填充超过 0.5 秒的时限"):
        fill(docx_with(busy), {}, Limits(seconds=0.5, max_chars=5_000_000, max_iterations=100_000))
    assert time.monotonic() - started < 5


def test_template_within_the_limits_renders_as_before(ctx):
    source = ("{% for item in items %}{{ loop.index }}.{{ item|upper }}{{ '、' if not loop.last }}{% endfor %} "
              "{{ items|join('/') }} {{ '%s-%s' % ('A', 'B') }} {{ '{}号'.format(7) }} {{ 'ab'|replace('a', 'c') }}")
    text = all_text(fill(docx_with(source), {"items": ["a", "b", "c"]}, SMALL))
    assert "1.A、2.B、3.C a/b/c A-B 7号 cb" in text


def test_templates_cannot_switch_autoescape_off(app, staff, login_as):
    page = upload(login_as("admin"), docx_with("{% autoescape false %}{{ case_no }}{% endautoescape %}"))
    assert "模板不能关闭或改变自动转义" in page.get_data(as_text=True)
    assert versions(app) == [(1, True)]


def test_upload_check_renders_the_sample_within_the_same_limits(app, staff, login_as):
    app.config["TEMPLATE_RENDER_MAX_ITERATIONS"] = 1_000
    nested = "{{ case_no }}{% for i in range(100) %}{% for j in range(100) %}{% endfor %}{% endfor %}"
    page = upload(login_as("admin"), docx_with(nested)).get_data(as_text=True)
    assert "模板未上传：模板中的循环共超过 1000 次的上限" in page
    assert versions(app) == [(1, True)]


# --- uploads ------------------------------------------------------------------------------------------------
def test_admin_uploads_a_new_version_which_becomes_active_and_is_used(app, staff, login_as):
    admin = login_as("admin")
    page = upload(admin, docx_with("新版回执 {{ case_no }} {{ customer.name }}"), note="简化版").get_data(as_text=True)
    assert "已上传「投诉受理回执」模板第 2 版，并已启用" in page
    assert versions(app) == [(1, False), (2, True)]
    with app.app_context():
        case = make_case(status="accepted")
        text = all_text(render("acknowledgement", case))
        assert f"新版回执 {case.case_no} 张伟" in text


def test_an_older_version_can_be_made_active_again(app, staff, login_as):
    admin = login_as("admin")
    upload(admin, docx_with("{{ case_no }}"))
    with app.app_context():
        first = db.session.scalar(select(DocumentTemplate.id).where(DocumentTemplate.version == 1,
                                                                    DocumentTemplate.doc_type == "acknowledgement"))
    admin.post_form("/admin/documenttemplate/activate/", {"id": str(first)})
    assert versions(app) == [(1, True), (2, False)]


def test_upload_without_activation_keeps_the_current_version(app, staff, login_as):
    upload(login_as("admin"), docx_with("{{ case_no }}"), activate=False)
    assert versions(app) == [(1, True), (2, False)]


BAD_UPLOADS = {
    "not a zip": (b"just some text, not Word", "这不是 Word 文档（.docx）"),
    "zip without the Word parts": (zipped({"hello.txt": b"hi"}), "缺少正文部分 word/document.xml"),
    "macros": ("macro", "模板含有宏（VBA）"),
    "zip bomb": ("bomb", "可能是压缩炸弹"),
    "syntax error": ("syntax", "模板语法错误"),
    "unknown variables": ("unknown", "没有的变量：customer.wechat、secret_field"),
    "python internals": ("internals", "模板含有不允许的表达式"),
}


def bad_upload(kind: str) -> bytes:
    content, _message = BAD_UPLOADS[kind]
    if isinstance(content, bytes):
        return content
    if content == "macro":
        return with_member(docx_with("{{ case_no }}"), "word/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro")
    if content == "bomb":
        return with_member(docx_with("{{ case_no }}"), "word/media/zeros.bin", b"\0" * (60 * 1024 * 1024))
    if content == "syntax":
        return docx_with("{{ case_no }", "{% if %}")
    if content == "unknown":
        return docx_with("{{ case_no }} {{ secret_field }} {{ customer.wechat }}")
    return docx_with("{{ ''.__class__.__mro__ }}")


@pytest.mark.parametrize("kind", list(BAD_UPLOADS))
def test_bad_upload_is_refused_with_its_reason_and_nothing_is_added(app, staff, login_as, kind):
    page = upload(login_as("admin"), bad_upload(kind)).get_data(as_text=True)
    assert "模板未上传" in page and BAD_UPLOADS[kind][1] in page, page[page.find("alert"):][:600]
    assert versions(app) == [(1, True)]


# --- what a template package may hold ------------------------------------------------------------------------
OLE_WITH_VBA = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "_VBA_PROJECT".encode("utf-16-le") + b"\0" * 64
OLE_OBJECT = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def with_part(content: bytes, name: str, data: bytes, content_type: str | None = None) -> bytes:
    """``content`` with the part ``name`` added, declared as ``content_type`` in [Content_Types].xml."""
    package = with_member(content, name, data)
    if content_type is None:
        return package
    declared = zipfile.ZipFile(io.BytesIO(package)).read("[Content_Types].xml").decode("utf-8")
    declared = declared.replace("</Types>", f'<Override PartName="/{name}" ContentType="{content_type}"/></Types>')
    return with_member(package, "[Content_Types].xml", declared.encode("utf-8"))


def with_external(content: bytes, rels_part: str, kind: str, target: str) -> bytes:
    """``content`` with an external relationship of type ``kind`` in ``rels_part`` (created if missing)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    existing = (source.read(rels_part).decode("utf-8") if rels_part in source.namelist() else
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>')
    relationship = f'<Relationship Id="rIdX9" Type="{RELS}{kind}" Target="{target}" TargetMode="External"/>'
    return with_member(content, rels_part, existing.replace("</Relationships>",
                                                            relationship + "</Relationships>").encode("utf-8"))


TEMPLATE = docx_with("{{ case_no }}")
FORBIDDEN_PARTS = {
    "attached template on the web": (
        lambda: with_external(TEMPLATE, "word/_rels/settings.xml.rels", "attachedTemplate", "http://x.example/t.dotm"),
        "模板引用了外部资源（attachedTemplate：http://x.example/t.dotm）"),
    "remote image": (lambda: with_external(TEMPLATE, "word/_rels/document.xml.rels", "image",
                                           "https://x.example/pixel.png"),
                     "模板引用了外部资源（image：https://x.example/pixel.png）"),
    "link to a local file": (lambda: with_external(TEMPLATE, "word/_rels/document.xml.rels", "hyperlink",
                                                   "file:///C:/Windows/system32/calc.exe"),
                             "模板引用了外部资源（hyperlink：file:///C:/Windows/system32/calc.exe）"),
    "VBA project declared under another name": (
        lambda: with_part(TEMPLATE, "word/extra.dat", b"x", "application/vnd.ms-office.vbaProject"),
        "模板含有宏（VBA）：word/extra.dat"),
    "VBA project hidden as an image": (
        lambda: with_part(TEMPLATE, "word/media/image9.png", OLE_WITH_VBA, "image/png"),
        "模板含有宏（VBA）：word/media/image9.png"),
    "macro-enabled main part": (
        lambda: with_part(TEMPLATE, "word/document.xml",
                          zipfile.ZipFile(io.BytesIO(TEMPLATE)).read("word/document.xml"),
                          "application/vnd.ms-word.document.macroEnabled.main+xml"),
        "模板含有宏（VBA）：word/document.xml"),
    "ActiveX control": (lambda: with_part(TEMPLATE, "word/activeX/activeX1.xml", b"<ax/>",
                                          "application/vnd.ms-office.activeX+xml"),
                        "模板含有 ActiveX 控件：word/activeX/activeX1.xml"),
    "embedded OLE object": (lambda: with_part(TEMPLATE, "word/embeddings/oleObject1.bin", OLE_OBJECT,
                                              "application/vnd.openxmlformats-officedocument.oleObject"),
                            "模板含有嵌入对象：word/embeddings/oleObject1.bin"),
    "a part no Word document has": (lambda: with_part(TEMPLATE, "word/media/drawing.svg", b"<svg/>",
                                                      "image/svg+xml"),
                                    "模板含有 Word 文档通常没有的部件：word/media/drawing.svg（image/svg+xml）"),
}


@pytest.mark.parametrize("kind", list(FORBIDDEN_PARTS))
def test_forbidden_package_part_is_refused_naming_what_was_found(app, staff, login_as, kind):
    build, message = FORBIDDEN_PARTS[kind]
    page = upload(login_as("admin"), build()).get_data(as_text=True)
    assert "模板未上传：" + message in page, page[page.find("alert"):][:600]
    assert versions(app) == [(1, True)]


def test_links_to_web_pages_and_pictures_inside_the_package_are_fine(app, staff, login_as):
    with_link = with_external(TEMPLATE, "word/_rels/document.xml.rels", "hyperlink", "https://kesu.example/查询")
    with_picture = with_part(with_link, "word/media/logo.png", bytes(range(256)), "image/png")
    page = upload(login_as("admin"), with_picture).get_data(as_text=True)
    assert "已上传「投诉受理回执」模板第 2 版" in page
    assert versions(app) == [(1, False), (2, True)]


def test_oversized_upload_is_refused(app, staff, login_as):
    app.config["TEMPLATE_MAX_BYTES"] = 20 * 1024
    page = upload(login_as("admin"), with_member(docx_with("{{ case_no }}"), "word/media/photo.jpg",
                                                 bytes(range(256)) * 200)).get_data(as_text=True)
    assert "模板文件超过大小上限" in page
    assert versions(app) == [(1, True)]


def test_only_admins_upload_templates(app, staff, login_as):
    response = login_as("clerk").post_form("/admin/documenttemplate/new/",
                                           {"doc_type": "acknowledgement",
                                            "file": (io.BytesIO(docx_with("{{ case_no }}")), "x.docx")},
                                           content_type="multipart/form-data")
    assert response.status_code == 403
    assert versions(app) == [(1, True)]


def test_loop_variables_are_checked_against_the_lists_items(ctx):
    good = docx_with("{% for item in goods_holds %}{{ item.location }}{{ loop.index }}{% endfor %}")
    bad = docx_with("{% for item in goods_holds %}{{ item.colour }}{% endfor %}")
    assert unknown_variables(ACKNOWLEDGEMENT, good) == []
    assert unknown_variables(ACKNOWLEDGEMENT, bad) == ["goods_holds[].colour"]


def test_register_keeps_the_template_version_a_document_was_made_with(app, staff, login_as):
    with app.app_context():
        case_id = make_case(status="accepted").id
    clerk, admin = login_as("clerk"), login_as("admin")
    clerk.post_form(f"/admin/case/document/acknowledgement/?id={case_id}", {})
    upload(admin, docx_with("{{ case_no }} v{{ template_version }}"))
    second = clerk.post_form(f"/admin/case/document/acknowledgement/?id={case_id}", {}).get_data()
    assert "v2" in all_text(second)
    with app.app_context():
        used = list(db.session.scalars(select(DocumentTemplate.version).join(GeneratedDocument.template)
                                       .order_by(GeneratedDocument.id)))
        assert used == [1, 2]
        assert db.session.scalar(select(func.count()).select_from(DocumentTemplate)) == len(DOCUMENT_TYPES) + 1


def test_a_changed_default_becomes_the_next_version_unless_an_admin_uploaded_one(app, staff, login_as, monkeypatch,
                                                                                  tmp_path):
    from kesu.documents import templates
    from kesu.seed import load_defaults

    upload(login_as("admin"), docx_with("{{ case_no }}"), doc_type="result_notice")
    changed = tmp_path / "defaults"
    changed.mkdir()
    for key in DOCUMENT_TYPES:
        (changed / f"{key}.docx").write_bytes(docx_with("新默认 {{ case_no }}") if key in ("acknowledgement",
                                                                                            "result_notice")
                                              else (DEFAULTS_DIR / f"{key}.docx").read_bytes())
    monkeypatch.setattr(templates, "DEFAULTS_DIR", changed)
    with app.app_context():
        assert load_defaults(db.session)["templates"] == 1
        db.session.commit()
        assert load_defaults(db.session)["templates"] == 0
    assert versions(app, "acknowledgement") == [(1, False), (2, True)]
    assert versions(app, "result_notice") == [(1, False), (2, True)]  # the admin's upload stays active
