"""Exports of any list: exactly the rows of the list view (scope, filters, search, sort), all of them,
streamed as CSV (UTF-8 with BOM) or written as XLSX with a constant-memory writer; safe in Excel; audited.

- :mod:`~kesu.exports.columns` — which columns a list exports and how each value is written
- :mod:`~kesu.exports.writers` — CSV and XLSX writers, formula neutralisation
"""
from kesu.exports.columns import ExportColumn, export_columns
from kesu.exports.writers import FORMATS, neutralise

__all__ = ["FORMATS", "ExportColumn", "export_columns", "neutralise"]
