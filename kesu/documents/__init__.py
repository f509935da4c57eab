"""Word documents: six templates filled from records in a sandbox, numbered, stored and registered.

- :mod:`~kesu.documents.types` — the registry of document types (what, from which record, when, what it needs)
- :mod:`~kesu.documents.schemas` — the templates' vocabulary (marshmallow schemas dumping records to text)
- :mod:`~kesu.documents.rendering` — docxtpl in a sandboxed, autoescaping Jinja environment, cached
- :mod:`~kesu.documents.limits` — what one render may cost (time, characters, loop iterations)
- :mod:`~kesu.documents.templates` — template versions and the upload check
- :mod:`~kesu.documents.package` — the parts a template's .docx package may hold
- :mod:`~kesu.documents.register` — ``render`` (pure) and ``issue`` (number, store, register, audit)
- :mod:`~kesu.documents.pdf` — PDF copies through LibreOffice when it is installed
"""
from kesu.documents.capitals import amount_in_chinese
from kesu.documents.errors import DocumentError
from kesu.documents.register import issue, render
from kesu.documents.types import DOCUMENT_TYPES, DocumentType, types_for

__all__ = ["DOCUMENT_TYPES", "DocumentError", "DocumentType", "amount_in_chinese", "issue", "render",
           "types_for"]
