"""CSV and XLSX from rows of plain values, safe to open in Excel and WPS.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'`` so a
spreadsheet shows it as text instead of running it as a formula (OWASP CSV Injection); numbers stay numbers.
CSV is UTF-8 with a BOM (Excel reads Chinese then) and is produced in chunks as rows arrive; XLSX goes
through xlsxwriter's constant-memory mode into a temporary file.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

import xlsxwriter

from kesu.exports.columns import ExportColumn

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
CSV_CHUNK_ROWS = 500
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _converters(columns: list[ExportColumn]) -> list:
    """Per column, raw value → cell, neutralising the text people typed."""
    def typed(convert):
        def cell(raw):
            value = convert(raw)
            return neutralise(value) if isinstance(value, str) else value
        return cell
    return [typed(column.convert) if column.typed else column.convert for column in columns]


def _cells(converters: list, row: tuple) -> list[Any]:
    return [convert(raw) for convert, raw in zip(converters, row)]


def csv_chunks(columns: list[ExportColumn], rows: Iterable[tuple], counter: list[int]) -> Iterator[str]:
    """The CSV as text chunks: BOM and header first, then a chunk every few hundred rows.
    ``counter[0]`` holds the rows written so far (read when the stream ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([neutralise(column.header) for column in columns])
    pending, converters = 0, _converters(columns)
    for row in rows:
        writer.writerow(_cells(converters, row))
        counter[0] += 1
        pending += 1
        if pending == CSV_CHUNK_ROWS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()


def write_xlsx(columns: list[ExportColumn], rows: Iterable[tuple], out: IO[bytes], sheet_name: str) -> int:
    """Write the rows as one sheet into ``out``; return how many rows were written."""
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_numbers": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet(sheet_name[:31])
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    money = workbook.add_format({"num_format": "#,##0.00"})
    for index, column in enumerate(columns):
        sheet.set_column(index, index, 14 if column.kind == "text" else 12)
        sheet.write_string(0, index, neutralise(column.header), header)
    sheet.freeze_panes(1, 0)
    count, converters = 0, _converters(columns)
    for count, row in enumerate(rows, start=1):
        for index, (column, value) in enumerate(zip(columns, _cells(converters, row))):
            if value is None:
                continue
            if isinstance(value, (Decimal, int, float)) and not isinstance(value, bool):
                sheet.write_number(count, index, float(value), money if column.kind == "money" else None)
            else:
                sheet.write_string(count, index, str(value))
    workbook.close()
    return count
