"""Template versions: the defaults from ``doc_templates/``, the active version of each type, and the checks an
uploaded .docx must pass before it becomes a version.

An upload is accepted only if it is a real Word document (a zip with the Word parts, nothing but the parts
:mod:`~kesu.documents.package` allows), small, not a zip bomb, renders with a sample record within the render
limits, and uses no variable its type's schema does not provide.
"""
from __future__ import annotations

import hashlib
import io
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from jinja2 import TemplateError, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import MAX_RANGE
from marshmallow import fields
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kesu.documents.errors import DocumentError
from kesu.documents.package import check_parts
from kesu.documents.rendering import environment, fill, template_source, undeclared_variables
from kesu.documents.types import DOCUMENT_TYPES, DocumentType
from kesu.models import DocumentTemplate

DEFAULTS_DIR = Path(__file__).resolve().parents[2] / "doc_templates"
#: What every document gets besides its record's data (see :func:`kesu.documents.register.context_for`).
COMMON_VARIABLES = frozenset({"company_name", "company_phone", "company_address", "doc_no", "doc_date",
                              "template_version", "data_hash"})
#: Jinja's own names inside a loop.
JINJA_NAMES = frozenset({"loop"})
WORD_PARTS = ("[Content_Types].xml", "word/document.xml")


# --- versions -------------------------------------------------------------------------------------------
def active_template(session: Session, doc_type: str) -> DocumentTemplate | None:
    return session.scalar(select(DocumentTemplate).where(DocumentTemplate.doc_type == doc_type,
                                                         DocumentTemplate.active.is_(True)))


@lru_cache(maxsize=64)
def _content_of(template_id: int, sha256: str) -> bytes:
    from kesu.extensions import db

    return db.session.scalar(select(DocumentTemplate.content).where(DocumentTemplate.id == template_id))


def template_content(template: DocumentTemplate) -> bytes:
    """A version's file; kept in memory after the first read, since a version never changes."""
    return _content_of(template.id, template.sha256)


def add_version(session: Session, doc_type: str, content: bytes, filename: str, *, uploaded_by_id: int | None,
                note: str | None = None, activate: bool = True) -> DocumentTemplate:
    """A new version of ``doc_type`` (checked by the caller); the active one unless ``activate`` is False."""
    last = session.scalar(select(func.max(DocumentTemplate.version)).where(DocumentTemplate.doc_type == doc_type))
    template = DocumentTemplate(
        doc_type=doc_type, version=(last or 0) + 1, filename=filename[:200], content=content, size=len(content),
        sha256=hashlib.sha256(content).hexdigest(), variables=",".join(sorted(used_variables(content))),
        note=note, active=False, uploaded_by_id=uploaded_by_id)
    session.add(template)
    session.flush()
    if activate:
        make_active(session, template)
    return template


def make_active(session: Session, template: DocumentTemplate) -> None:
    """``template`` becomes its type's one active version (a unique index holds that: others go first)."""
    session.execute(update(DocumentTemplate)
                    .where(DocumentTemplate.doc_type == template.doc_type, DocumentTemplate.id != template.id,
                           DocumentTemplate.active.is_(True))
                    .values(active=False), execution_options={"synchronize_session": "fetch"})
    session.flush()
    template.active = True
    session.flush()


def seed_default_templates(session: Session) -> int:
    """Version 1 of each type from ``doc_templates/<type>.docx``; where the active version is an earlier
    default (nobody uploaded one since), a changed default file becomes the next version. Uploads stay."""
    added = 0
    for key in DOCUMENT_TYPES:
        path = DEFAULTS_DIR / f"{key}.docx"
        content = path.read_bytes()
        active = active_template(session, key)
        has_versions = active is not None or session.scalar(
            select(func.count()).select_from(DocumentTemplate).where(DocumentTemplate.doc_type == key))
        if not has_versions:
            note = _("默认模板")
        elif (active is not None and active.uploaded_by_id is None
              and active.sha256 != hashlib.sha256(content).hexdigest()):
            note = _("默认模板更新")
        else:
            continue
        add_version(session, key, content, path.name, uploaded_by_id=None, note=note)
        added += 1
    return added


# --- vocabulary -----------------------------------------------------------------------------------------
def _schema_paths(schema: Any, prefix: str = "") -> set[str]:
    paths = set()
    for name, field in schema.dump_fields.items():
        path = prefix + name
        paths.add(path)
        if isinstance(field, fields.Nested):
            if field.many:
                paths.add(path + "[]")
            paths |= _schema_paths(field.schema, path + ("[]." if field.many else "."))
    return paths


def vocabulary(doc_type: DocumentType) -> set[str]:
    """Every name and dotted path a template of this type may use (``customer.name``, ``loss_items[].amount``)."""
    return _schema_paths(doc_type.schema()) | COMMON_VARIABLES


def _path(node: nodes.Node) -> tuple[str, list[str]] | None:
    """``a.b.c`` → ("a", ["b", "c"]); None when the chain does not start at a plain name."""
    attributes = []
    while isinstance(node, (nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getitem):
            if not isinstance(node.arg, nodes.Const) or not isinstance(node.arg.value, str):
                return None
            attributes.append(node.arg.value)
        else:
            attributes.append(node.attr)
        node = node.node
    if not isinstance(node, nodes.Name):
        return None
    return node.name, list(reversed(attributes))


def _used_paths(node: nodes.Node, loops: dict[str, str] | None = None, used: set[str] | None = None) -> set[str]:
    """Names and attribute chains a template reads; a loop variable stands for an item of its list
    (``item.amount`` inside ``for item in payments`` → ``payments[].amount``)."""
    loops = loops or {}
    used = set() if used is None else used
    if isinstance(node, nodes.For):
        _used_paths(node.iter, loops, used)
        inner = dict(loops)
        if isinstance(node.target, nodes.Name) and (found := _path(node.iter)):
            root, attributes = found
            inner[node.target.name] = ".".join([loops.get(root, root), *attributes]) + "[]"
        for child in [*node.body, *node.else_, *([node.test] if node.test else [])]:
            _used_paths(child, inner, used)
        return used
    if isinstance(node, nodes.Call):
        method = node.node  # ``x.upper()``: the method is no variable, its object is
        _used_paths(method.node if isinstance(method, nodes.Getattr) else method, loops, used)
        for child in [*node.args, *node.kwargs, *([node.dyn_args] if node.dyn_args else []),
                      *([node.dyn_kwargs] if node.dyn_kwargs else [])]:
            _used_paths(child, loops, used)
        return used
    if isinstance(node, (nodes.Getattr, nodes.Getitem, nodes.Name)) and (found := _path(node)):
        root, attributes = found
        if root not in JINJA_NAMES and not (isinstance(node, nodes.Name) and node.ctx != "load"):
            used.add(".".join([loops.get(root, root), *attributes]))
        return used
    for child in node.iter_child_nodes():
        _used_paths(child, loops, used)
    return used


def used_variables(content: bytes) -> set[str]:
    return set(_used_variables_of(hashlib.sha256(content).hexdigest(), content))


@lru_cache(maxsize=64)
def _used_variables_of(_sha256: str, content: bytes) -> frozenset[str]:
    """Keyed by the hash: the same file (a default seeded again) is parsed once."""
    return frozenset(_used_paths(environment().parse(template_source(content))))


def unknown_variables(doc_type: DocumentType, content: bytes) -> list[str]:
    """The names and attribute paths the template reads that its type does not provide.

    Top-level names come from docxtpl's ``get_undeclared_template_variables`` (Jinja's scoping: loop
    targets and ``set`` names are not undeclared); attribute paths are checked where they start at such a
    name or at a loop over one of the type's lists."""
    known = vocabulary(doc_type)
    top = undeclared_variables(content)
    unknown = {name for name in top if name not in known and name not in JINJA_NAMES}
    for path in used_variables(content):
        root = path.split(".")[0]
        if (root in top or root.endswith("[]")) and path not in known:
            unknown.add(path)
    return sorted(unknown)


# --- the upload check -------------------------------------------------------------------------------------
def _sample(schema: Any) -> dict[str, Any]:
    """A stand-in record for the test render: every field filled, every list with one item."""
    data: dict[str, Any] = {}
    for name, field in schema.dump_fields.items():
        if isinstance(field, fields.Nested):
            nested = _sample(field.schema)
            data[name] = [nested] if field.many else nested
        else:
            data[name] = "示例"
    return data


def sample_context(doc_type: DocumentType) -> dict[str, Any]:
    return {**_sample(doc_type.schema()), **{name: "示例" for name in COMMON_VARIABLES}}


def _check_package(content: bytes) -> None:
    config = current_app.config
    if len(content) > config["TEMPLATE_MAX_BYTES"]:
        raise DocumentError(_("模板文件超过大小上限 %(mb)s MB。", mb=config["TEMPLATE_MAX_BYTES"] // (1024 * 1024)))
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise DocumentError(_("这不是 Word 文档（.docx）：请在 Word 或 WPS 中“另存为 .docx”后再上传。"))
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            members = package.infolist()
            if any(part not in package.namelist() for part in WORD_PARTS):
                raise DocumentError(_("这不是 Word 文档（.docx）：文件中缺少正文部分 word/document.xml。"))
            total = sum(member.file_size for member in members)
            packed = sum(member.compress_size for member in members) or 1
            if (len(members) > config["TEMPLATE_MAX_MEMBERS"] or total > config["TEMPLATE_MAX_UNCOMPRESSED"]
                    or total / packed > config["TEMPLATE_MAX_RATIO"]):
                raise DocumentError(_("模板解压后过大（%(mb)s MB，压缩比 %(ratio)s），可能是压缩炸弹，已拒绝。",
                                      mb=round(total / (1024 * 1024), 1), ratio=round(total / packed)))
            check_parts(package)
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, EOFError, NotImplementedError) as exc:
        raise DocumentError(_("文件已损坏，无法作为 Word 文档打开。")) from exc


def describe_template_error(exc: Exception) -> str:
    """A failure of a template's code as a sentence an administrator can act on."""
    if isinstance(exc, DocumentError):
        return str(exc)
    if isinstance(exc, SecurityError):
        return _("模板含有不允许的表达式（试图访问系统内部对象），已拒绝：%(detail)s", detail=str(exc))
    if isinstance(exc, TemplateSyntaxError):
        return _("模板语法错误（第 %(line)s 行附近）：%(detail)s。请检查 {{ }} 与 {%% %%} 是否成对。",
                 line=exc.lineno, detail=exc.message)
    if isinstance(exc, RecursionError):
        return _("模板中的宏或递归循环调用自身过深，已停止。")
    if isinstance(exc, OverflowError) and "MAX_RANGE" in str(exc):
        return _("模板中的 range 超过 %(n)s 项的上限。", n=MAX_RANGE)
    return _("模板无法填充：%(detail)s", detail=str(exc) or type(exc).__name__)


def check_upload(doc_type: DocumentType, content: bytes) -> None:
    """Raise :class:`DocumentError` with the reason when ``content`` may not become a template of ``doc_type``."""
    _check_package(content)
    try:
        unknown = unknown_variables(doc_type, content)
    except TemplateError as exc:
        raise DocumentError(describe_template_error(exc)) from exc
    except Exception as exc:  # python-docx refusing the package: a damaged or foreign file
        raise DocumentError(_("文件无法作为 Word 文档读取：%(detail)s", detail=str(exc) or type(exc).__name__)) from exc
    if unknown:
        raise DocumentError(_("模板使用了「%(type)s」没有的变量：%(names)s。可用的变量见 doc_templates/README.md。",
                              type=doc_type.label, names="、".join(unknown)))
    try:
        fill(content, sample_context(doc_type))
    except (TemplateError, DocumentError, RecursionError, OverflowError) as exc:
        raise DocumentError(describe_template_error(exc)) from exc
    except Exception as exc:
        raise DocumentError(_("模板用示例数据试填失败：%(detail)s", detail=str(exc) or type(exc).__name__)) from exc
