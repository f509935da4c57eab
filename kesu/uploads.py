"""Checks for files users upload: what a file is (by its content, never its name), whether it carries macros
whatever it is called, and a file name that is safe to store and to send back.

A ``.docm`` renamed ``.docx``, ``.zip`` or ``.pdf`` is still a zip with a VBA project inside, and an old
``.doc``/``.xls`` keeps its macros in an OLE storage: both are found by looking inside, not at the name.
"""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile

import filetype
from filetype.types.base import Type
from flask_babel import gettext as _

#: What evidence may be: photos, video, recordings, PDF and Office documents without macros.
ATTACHMENT_TYPES = frozenset({
    "image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/quicktime", "audio/mpeg",
    "audio/x-wav", "audio/mp4", "audio/amr", "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
})
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Every VBA project has a ``_VBA_PROJECT`` stream (MS-OVBA 2.3.4.1); OLE directory names are UTF-16LE.
#: Excel's ``_VBA_PROJECT_CUR`` storage starts with the same name.
VBA_STREAM = "_VBA_PROJECT".encode("utf-16-le")
#: Content types (lower case) of macro-enabled main parts and of VBA parts, as [Content_Types].xml names them.
MACRO_CONTENT_TYPE_MARKS = ("macroenabled", "vbaproject", "vbadata")
MACRO_PART_NAMES = ("vbaproject.bin", "vbadata.xml")
#: Characters a file name loses: controls (CR, LF, NUL…), invisible format characters (bidi overrides and
#: isolates U+202A–U+202E, U+2066–U+2069, marks U+200E/U+200F/U+061C, zero-width characters), line and
#: paragraph separators, surrogates.
DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
#: Path separators and what Windows refuses in a name become ``_``.
UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|]')
MAX_NAME_LENGTH = 200
#: Extensions that name the same content as the one :mod:`filetype` gives.
EQUIVALENT_EXTENSIONS = {"jpg": {"jpg", "jpeg", "jpe", "jfif"}, "mp4": {"mp4", "m4v"}, "m4a": {"m4a", "mp4"},
                         "mov": {"mov", "qt"}, "tif": {"tif", "tiff"}}
#: How much of a package's OLE part is searched for a VBA project (a zip bomb unpacks no further).
MAX_OLE_SCAN = 64 * 1024 * 1024
MAX_EXTENSION_LENGTH = 10


def is_ole(content: bytes) -> bool:
    return content.startswith(OLE_MAGIC)


def ole_has_vba(content: bytes) -> bool:
    """An OLE compound file (.doc, .xls, vbaProject.bin) holding a VBA project."""
    return is_ole(content) and VBA_STREAM in content


def is_macro_content_type(content_type: str) -> bool:
    lowered = content_type.lower()
    return any(mark in lowered for mark in MACRO_CONTENT_TYPE_MARKS)


def zip_macro(package: zipfile.ZipFile) -> str | None:
    """The part of an Office package (whatever its name) that is or declares a VBA project, or None."""
    names = package.namelist()
    for name in names:
        if name.lower().rsplit("/", 1)[-1] in MACRO_PART_NAMES:
            return name
    if "[Content_Types].xml" in names:
        declared = package.read("[Content_Types].xml").decode("utf-8", "replace")
        for content_type in re.findall(r'ContentType\s*=\s*"([^"]*)"', declared):
            if is_macro_content_type(content_type):
                return content_type
    for member in package.infolist():
        with package.open(member) as part:
            if part.read(len(OLE_MAGIC)) == OLE_MAGIC and ole_has_vba(OLE_MAGIC + part.read(MAX_OLE_SCAN)):
                return member.filename
    return None


def macro_in(content: bytes) -> str | None:
    """What in ``content`` is a macro (a part name or content type), for a message; None without macros."""
    if ole_has_vba(content):
        return "VBA (OLE)"
    if not zipfile.is_zipfile(io.BytesIO(content)):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            return zip_macro(package)
    except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, NotImplementedError):
        return None  # not a readable package: its type check refuses it


class UploadRefused(ValueError):
    """An uploaded file that may not be kept; the message is a Chinese sentence for the user."""


def attachment_type(content: bytes, max_bytes: int) -> Type:
    """The type of an attachment, from its content; :class:`UploadRefused` when it may not be kept."""
    if not content:
        raise UploadRefused(_("上传的文件是空的。"))
    if len(content) > max_bytes:
        raise UploadRefused(_("文件超过大小上限 %(mb)s MB。", mb=round(max_bytes / (1024 * 1024), 2)))
    if found := macro_in(content):
        raise UploadRefused(_("文件含有宏（%(what)s），出于安全原因不能上传，与文件名无关。请另存为不含宏的格式"
                              "（.docx、.xlsx、.pptx 或 PDF）后再上传。", what=found))
    kind = filetype.guess(content)
    if kind is None or kind.mime not in ATTACHMENT_TYPES:
        raise UploadRefused(_("不支持的文件类型：只接受图片、视频、录音、PDF 和 Office 文档。"))
    return kind


def clean_filename(name: str | None, extension: str | None = None) -> str:
    """``name`` without its directories, controls, bidi overrides and characters downloads cannot carry.

    ``extension`` is what the content is (``png``): a name that does not end in it (or an equivalent, ``jpeg``
    for ``jpg``) gets it added, so ``photo\u202egnp.exe`` cannot pass for a picture; ``附件.<extension>`` when
    nothing is left of the name."""
    text = unicodedata.normalize("NFC", name or "")
    text = "".join(" " if char.isspace() else char for char in text
                   if unicodedata.category(char) not in DROPPED_CATEGORIES)
    text = re.sub(r"[\\/]", "/", text).rsplit("/", 1)[-1]
    text = re.sub(r" +", " ", UNSAFE_IN_NAME.sub("_", text)).strip(" ").rstrip(". ")
    stem, dot, own = text.rpartition(".")
    if not dot or len(own) > MAX_EXTENSION_LENGTH:
        stem, own = text, ""
    wanted = (extension or "").lower().lstrip(".")
    if wanted and own.lower() not in EQUIVALENT_EXTENSIONS.get(wanted, {wanted}):
        stem, own = text, wanted
    stem = stem.strip(" .")
    if not stem.strip("_"):
        stem = _("附件")
    stem = stem[:MAX_NAME_LENGTH - len(own) - 1]
    return f"{stem}.{own}" if own else stem
