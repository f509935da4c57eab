"""CSV and XLSX from rows of plain values, safe to open in Excel and WPS.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'`` so a
spreadsheet shows it as text instead of running it as a formula (OWASP CSV Injection); numbers stay numbers.
CSV is UTF-8 with a BOM (Excel reads Chinese then) and is produced in chunks as rows arrive; XLSX is
written into a temporary file row by row (:mod:`kesu.exports.xlsx`).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import IO, Any

from kesu.exports.columns import ExportColumn
from kesu.exports.sql import FORMULA_STARTS
from kesu.exports.xlsx import write_workbook

BOM = "\ufeff"
CSV_CHUNK_ROWS = 500
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _row_function(columns: list[ExportColumn]):
    """Database row → cells. Most columns arrive as their cells (the database labels, formats and neutralises
    them); only the rest are converted, and a list needing none passes its rows through untouched."""
    steps = []
    for index, column in enumerate(columns):
        if column.convert is not None:
            steps.append((index, _made_safe(column.convert) if column.typed else column.convert))
    if not steps:
        return None

    def cells(row) -> list[Any]:
        values = list(row)
        for index, convert in steps:
            values[index] = convert(values[index])
        return values
    return cells


def _made_safe(convert):
    def cell(raw: Any) -> Any:
        value = convert(raw)
        return neutralise(value) if isinstance(value, str) else value
    return cell


def _cells_of(columns: list[ExportColumn], rows: Iterable[tuple]) -> Iterable:
    convert = _row_function(columns)
    return rows if convert is None else map(convert, rows)


def csv_chunks(columns: list[ExportColumn], rows: Iterable[tuple], counter: list[int]) -> Iterator[str]:
    """The CSV as text chunks: BOM and header first, then a chunk every few hundred rows.
    ``counter[0]`` holds the rows written so far (read when the stream ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([neutralise(column.header) for column in columns])
    yield buffer.getvalue()
    cells = iter(_cells_of(columns, rows))
    while batch := list(islice(cells, CSV_CHUNK_ROWS)):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(batch)
        counter[0] += len(batch)
        yield buffer.getvalue()


def write_xlsx(columns: list[ExportColumn], rows: Iterable[tuple], out: IO[bytes], sheet_name: str) -> int:
    """Write the rows as one sheet into ``out``; return how many rows were written."""
    return write_workbook([neutralise(column.header) for column in columns], [column.kind for column in columns],
                          [column.width for column in columns], _cells_of(columns, rows), out, sheet_name)
