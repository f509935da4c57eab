"""PDF copies of documents through LibreOffice (``soffice --headless --convert-to pdf``), when installed.

Without LibreOffice :func:`available` is False, the PDF buttons are not shown and nothing else changes.
Each conversion gets its own LibreOffice profile, so parallel requests do not block each other.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from kesu.documents.errors import DocumentError


def soffice() -> str | None:
    """The LibreOffice program: ``SOFFICE`` from the settings if it exists, else ``soffice`` on PATH."""
    configured = current_app.config.get("SOFFICE")
    if configured:
        return shutil.which(configured)
    return shutil.which("soffice") or shutil.which("libreoffice")


def available() -> bool:
    return soffice() is not None


def to_pdf(docx: bytes) -> bytes:
    program = soffice()
    if program is None:
        raise DocumentError(_("服务器未安装 LibreOffice，无法生成 PDF。"))
    with tempfile.TemporaryDirectory(prefix="kesu-pdf-") as work:
        folder = Path(work)
        source = folder / "document.docx"
        source.write_bytes(docx)
        command = [program, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless", "--norestore",
                   "--convert-to", "pdf", "--outdir", str(folder), str(source)]
        try:
            subprocess.run(command, capture_output=True, timeout=current_app.config["PDF_TIMEOUT_SECONDS"],
                           check=False)
        except subprocess.TimeoutExpired as exc:
            raise DocumentError(_("PDF 转换超时，请稍后重试或下载 Word 版本。")) from exc
        target = folder / "document.pdf"
        if not target.exists():
            raise DocumentError(_("PDF 转换失败，请下载 Word 版本。"))
        return target.read_bytes()
