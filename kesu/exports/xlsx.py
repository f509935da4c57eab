"""XLSX at export scale: xlsxwriter writes the package (styles, column widths, frozen header, workbook parts),
and the data rows are serialised here, straight into the worksheet part.

xlsxwriter's per-cell API costs about 15 µs a cell on a slow machine — 15 s for 100,000 cases of 11 columns —
while the cell XML itself is a few characters. The rows written here are the XML xlsxwriter's constant-memory
mode writes for the same cells (inline strings, ``_xHHHH_`` escapes, ``xml:space="preserve"``, numbers as
``%.16G``); tests/test_exports.py compares the two byte for byte.
"""
from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from typing import IO, Any

import xlsxwriter
from flask_babel import gettext as _
from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name
from xlsxwriter.xmlwriter import XMLwriter

SHEET_PART = "xl/worksheets/sheet1.xml"
MAX_TEXT = 32767  # Excel's limit on a cell's text (xlsxwriter would cut there silently)
#: Text that xlsxwriter's escaping would change; most cells have none and are written as they are.
_NEEDS_WORK = re.compile("[\x00-\x08\x0b-\x1f&<>\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_DIMENSION = re.compile(r'<dimension ref="([A-Z]+)1:([A-Z]+)1"/>')


def cell_text(value: str) -> str:
    """Text as it fits in one cell: longer than Excel's limit, it is cut and ends with a visible marker that
    says how long the whole text is (the CSV export keeps all of it)."""
    if len(value) <= MAX_TEXT:
        return value
    marker = _("…［已截断，全文共 %(n)s 字］", n=len(value))
    return value[:MAX_TEXT - len(marker)] + marker


def _text(value: str) -> str:
    """The ``<t>`` element of an inline string, escaped by xlsxwriter's own rules."""
    text = cell_text(value)
    if _NEEDS_WORK.search(text):
        text = XMLwriter._escape_control_characters(text)
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<t xml:space="preserve">{text}</t>' if _preserve_whitespace(text) else f"<t>{text}</t>"


def _rows_xml(rows: Iterable[Any], kinds: list[str], money_style: int, fh: IO[str]) -> tuple[int, int]:
    """Write ``<row>`` elements from the second row on; return (rows read, last row number written)."""
    letters = [xl_col_to_name(index) for index in range(len(kinds))]
    money = [kind == "money" for kind in kinds]
    count = last = 0
    write = fh.write
    for count, row in enumerate(rows, start=1):
        number = count + 1
        cells = []
        for letter, is_money, value in zip(letters, money, row):
            if value is None:
                continue
            if isinstance(value, (Decimal, int, float)) and not isinstance(value, bool):
                style = f' s="{money_style}"' if is_money else ""
                cells.append(f'<c r="{letter}{number}"{style}><v>{float(value):.16G}</v></c>')
            else:
                text = value if isinstance(value, str) else str(value)
                cells.append(f'<c r="{letter}{number}" t="inlineStr"><is>{_text(text)}</is></c>')
        if cells:
            write(f'<row r="{number}">{"".join(cells)}</row>')
            last = number
    return count, last


def start_sheet(workbook: xlsxwriter.Workbook, headers: list[str], kinds: list[str], widths: list[int],
                sheet_name: str):
    """The sheet with its column widths, money columns' format and a bold frozen header row; returns the
    sheet and the money format."""
    sheet = workbook.add_worksheet(sheet_name[:31])
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    money = workbook.add_format({"num_format": "#,##0.00"})
    for index, (title, kind, width) in enumerate(zip(headers, kinds, widths)):
        sheet.set_column(index, index, width, money if kind == "money" else None)
        sheet.write_string(0, index, title, header)
    sheet.freeze_panes(1, 0)
    return sheet, money


def new_workbook(out: IO[bytes]) -> xlsxwriter.Workbook:
    """Constant memory, and text kept as text (no formulas, numbers or links made of it)."""
    return xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                     "strings_to_numbers": False, "strings_to_urls": False})


def write_workbook(headers: list[str], kinds: list[str], widths: list[int], rows: Iterable[Any],
                   out: IO[bytes], sheet_name: str) -> int:
    """One sheet: a bold frozen header row, then ``rows`` (cells already converted and made safe)."""
    with tempfile.TemporaryFile() as package, tempfile.TemporaryFile("w+", encoding="utf-8") as body:
        workbook = new_workbook(package)
        _sheet, money = start_sheet(workbook, headers, kinds, widths, sheet_name)
        workbook.close()
        count, last = _rows_xml(rows, kinds, money._get_xf_index(), body)
        body.seek(0)
        package.seek(0)
        _assemble(package, body, last, out)
    return count


def _assemble(package: IO[bytes], body: IO[str], last_row: int, out: IO[bytes]) -> None:
    """xlsxwriter's package with the data rows put into the worksheet part and its dimension widened."""
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != SHEET_PART:
                target.writestr(info, source.read(info))
                continue
            xml = source.read(info).decode("utf-8")
            if last_row:
                xml = _DIMENSION.sub(lambda m: f'<dimension ref="{m.group(1)}1:{m.group(2)}{last_row}"/>', xml, 1)
            head, tail = xml.split("</sheetData>", 1)
            with target.open(info, "w", force_zip64=True) as part:
                part.write(head.encode("utf-8"))
                while chunk := body.read(1 << 20):
                    part.write(chunk.encode("utf-8"))
                part.write(("</sheetData>" + tail).encode("utf-8"))
