"""Reading generated .docx files back in tests: all text (body, tables, footers) and the fonts of its runs."""
from __future__ import annotations

import io
import re

from docx import Document
from docx.oxml.ns import qn

CJK = re.compile(r"[\u4e00-\u9fff]")


def open_docx(content: bytes):
    return Document(io.BytesIO(content))


def all_text(content: bytes) -> str:
    """Every ``w:t`` of the body, headers and footers, paragraphs on their own lines."""
    document = open_docx(content)
    parts = [document.element.body]
    for section in document.sections:
        parts += [section.footer._element, section.header._element]
    lines = []
    for part in parts:
        for paragraph in part.iter(qn("w:p")):
            lines.append("".join(t.text or "" for t in paragraph.iter(qn("w:t"))))
    return "\n".join(lines)


def chinese_runs_without_east_asian_font(content: bytes) -> list[str]:
    """Texts of runs holding Chinese whose East Asian font is set neither on the run nor by its style."""
    document = open_docx(content)
    styles = document.styles.element
    style_fonts = {}
    for style in styles.iter(qn("w:style")):
        fonts = style.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
        style_fonts[style.get(qn("w:styleId"))] = fonts is not None and fonts.get(qn("w:eastAsia"))
    bad = []
    parts = [document.element.body] + [s.footer._element for s in document.sections]
    for part in parts:
        for run in part.iter(qn("w:r")):
            text = "".join(t.text or "" for t in run.iter(qn("w:t")))
            if not CJK.search(text):
                continue
            fonts = run.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
            style = run.find(f"{qn('w:rPr')}/{qn('w:rStyle')}")
            if fonts is not None and fonts.get(qn("w:eastAsia")):
                continue
            if style is not None and style_fonts.get(style.get(qn("w:val"))):
                continue
            bad.append(text)
    return bad
