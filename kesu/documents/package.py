"""What a Word template's package may hold: the parts a .docx normally has, links to web pages, nothing else.

Each part's content type (from ``[Content_Types].xml``) must be on :data:`ALLOWED_CONTENT_TYPES`. Refused,
each with what was found named (nothing is stripped: the stored template is the file the administrator
checked in Word, byte for byte):

- VBA, whatever the part is called: a macro-enabled or VBA content type, a ``vbaProject.bin``/``vbaData.xml``
  name, or any part whose bytes are an OLE compound file (how VBA projects and embedded objects are stored);
- ActiveX controls (``activeX`` content types or parts) and embedded objects (``oleObject``, packages,
  anything under ``embeddings/``);
- external relationships (``TargetMode="External"``): an attached template, a remote image, a linked frame or
  sub-document would be fetched by Word when the document opens. Hyperlinks to ``http``, ``https`` and
  ``mailto`` addresses stay: Word follows them only when a reader clicks.
"""
from __future__ import annotations

import posixpath
import zipfile

from flask_babel import gettext as _
from lxml import etree

from kesu.documents.errors import DocumentError
from kesu.uploads import OLE_MAGIC, MACRO_PART_NAMES, is_macro_content_type

WML = "application/vnd.openxmlformats-officedocument.wordprocessingml."
ALLOWED_CONTENT_TYPES = frozenset({
    *(WML + part for part in ("document.main+xml", "document.glossary+xml", "styles+xml", "settings+xml",
                              "fontTable+xml", "webSettings+xml", "numbering+xml", "header+xml", "footer+xml",
                              "footnotes+xml", "endnotes+xml", "comments+xml", "people+xml")),
    "application/vnd.ms-word.stylesWithEffects+xml",
    "application/vnd.ms-word.commentsExtended+xml",
    "application/vnd.ms-word.commentsIds+xml",
    "application/vnd.ms-word.commentsExtensible+xml",
    "application/vnd.openxmlformats-officedocument.theme+xml",
    "application/vnd.openxmlformats-officedocument.obfuscatedFont",
    "application/vnd.openxmlformats-package.core-properties+xml",
    "application/vnd.openxmlformats-officedocument.extended-properties+xml",
    "application/vnd.openxmlformats-officedocument.custom-properties+xml",
    "application/vnd.openxmlformats-officedocument.customXmlProperties+xml",
    "application/vnd.openxmlformats-package.relationships+xml",
    "application/xml",  # customXml items
    "image/png", "image/jpeg", "image/gif", "image/bmp", "image/tiff", "image/x-emf", "image/emf", "image/x-wmf",
    "image/wmf",
})
CONTENT_TYPES_PART = "[Content_Types].xml"
NS_CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
NS_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
LINK_SCHEMES = ("http://", "https://", "mailto:")
#: No entities, no network, no huge trees: these parts are read before anything else trusts the file.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _xml(package: zipfile.ZipFile, name: str) -> etree._Element:
    try:
        return etree.fromstring(package.read(name), PARSER)
    except etree.XMLSyntaxError as exc:
        raise DocumentError(_("文件已损坏，无法作为 Word 文档打开。")) from exc


def _content_types(package: zipfile.ZipFile) -> tuple[dict[str, str], dict[str, str]]:
    """(by extension, by part name) as ``[Content_Types].xml`` declares them."""
    root = _xml(package, CONTENT_TYPES_PART)
    defaults = {item.get("Extension", "").lower(): item.get("ContentType", "")
                for item in root.iter(NS_CONTENT_TYPES + "Default")}
    overrides = {item.get("PartName", "").lstrip("/").lower(): item.get("ContentType", "")
                 for item in root.iter(NS_CONTENT_TYPES + "Override")}
    return defaults, overrides


def _forbidden(name: str, content_type: str, head: bytes) -> str | None:
    """Why the part ``name`` may not be in a template (what it is, as a message), or None."""
    lowered, kind = name.lower(), content_type.lower()
    if (is_macro_content_type(kind) or posixpath.basename(lowered) in MACRO_PART_NAMES
            or (head == OLE_MAGIC and "/embeddings/" not in "/" + lowered)):
        return _("模板含有宏（VBA）：%(part)s。出于安全原因不能使用，请另存为不含宏的 .docx 后再上传。", part=name)
    if "activex" in kind or "/activex/" in "/" + lowered:
        return _("模板含有 ActiveX 控件：%(part)s。出于安全原因不能使用，请在 Word 中删除控件后再上传。", part=name)
    if ("oleobject" in kind or kind == "application/vnd.openxmlformats-officedocument.package"
            or "/embeddings/" in "/" + lowered):
        return _("模板含有嵌入对象：%(part)s。出于安全原因不能使用，请在 Word 中删除嵌入的对象后再上传。", part=name)
    return None


def _check_relationships(package: zipfile.ZipFile, name: str) -> None:
    for relationship in _xml(package, name).iter(NS_RELATIONSHIPS + "Relationship"):
        if relationship.get("TargetMode") != "External":
            continue
        target, kind = relationship.get("Target", ""), relationship.get("Type", "")
        if kind == HYPERLINK and target.lower().startswith(LINK_SCHEMES):
            continue
        raise DocumentError(_("模板引用了外部资源（%(kind)s：%(target)s），Word 打开文书时会访问这个地址，出于安全原因"
                              "不能使用。请在 Word 中去掉后再上传。", kind=kind.rsplit("/", 1)[-1] or "?",
                              target=target[:120]))


def check_parts(package: zipfile.ZipFile) -> None:
    """Raise :class:`DocumentError` naming the first part or relationship a template may not have."""
    defaults, overrides = _content_types(package)
    for member in package.infolist():
        name = member.filename
        if member.is_dir() or name == CONTENT_TYPES_PART:
            continue
        extension = posixpath.basename(name).rpartition(".")[2].lower()
        content_type = overrides.get(name.lower()) or defaults.get(extension, "")
        with package.open(member) as part:
            head = part.read(len(OLE_MAGIC))
        if reason := _forbidden(name, content_type, head):
            raise DocumentError(reason)
        if content_type not in ALLOWED_CONTENT_TYPES:
            raise DocumentError(_("模板含有 Word 文档通常没有的部件：%(part)s（%(type)s），不能作为文书模板。",
                                  part=name, type=content_type or _("未声明类型")))
        if name.endswith(".rels"):
            _check_relationships(package, name)
