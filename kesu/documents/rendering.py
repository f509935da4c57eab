"""Filling a .docx template: docxtpl inside a Jinja sandbox with autoescape, compiled templates cached.

docxtpl's default is plain Jinja without escaping: ``A&B <公司>`` would break the XML and be lost, and a
template could reach Python internals (``{{ ''.__class__.__mro__ }}``). Here every template runs in a
:class:`~jinja2.sandbox.SandboxedEnvironment` with autoescape, and ``None`` prints as nothing.

docxtpl re-cleans and recompiles the document XML on every render; both depend only on the template, so
they are cached by the XML text (a new template version is new text, so nothing goes stale).
"""
from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment

COMPILED_CACHE_SIZE = 128


def _blank_none(value: Any) -> Any:
    return "" if value is None else value


class DocumentEnvironment(SandboxedEnvironment):
    """The sandbox templates run in; ``from_string`` keeps the last compiled templates."""

    def __init__(self) -> None:
        super().__init__(autoescape=True, finalize=_blank_none)
        # not ``_compile``: Jinja's Environment has a method of that name
        self._cached_from_string = lru_cache(maxsize=COMPILED_CACHE_SIZE)(super().from_string)

    def from_string(self, source, globals=None, template_class=None):  # type: ignore[override]
        if globals is None and template_class is None and isinstance(source, str):
            return self._cached_from_string(source)
        return super().from_string(source, globals, template_class)


@lru_cache(maxsize=COMPILED_CACHE_SIZE)
def _patched(xml: str) -> str:
    return DocxTemplate.patch_xml(None, xml)  # type: ignore[arg-type]  # uses nothing of the instance


class CachedDocxTemplate(DocxTemplate):
    """docxtpl's template with its XML clean-up memoised."""

    def patch_xml(self, src_xml: str) -> str:
        return _patched(src_xml)


_environment: DocumentEnvironment | None = None


def environment() -> DocumentEnvironment:
    """One environment per process, so its compiled templates are reused across requests."""
    global _environment
    if _environment is None:
        _environment = DocumentEnvironment()
    return _environment


def fill(template_content: bytes, context: dict[str, Any]) -> bytes:
    """The .docx ``template_content`` rendered with ``context``; raises Jinja's errors as they come."""
    template = CachedDocxTemplate(io.BytesIO(template_content))
    template.render(context, environment())
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def template_source(template_content: bytes) -> str:
    """The Jinja source docxtpl makes of a template: body, headers and footers, cleaned as for rendering."""
    template = CachedDocxTemplate(io.BytesIO(template_content))
    template.init_docx()
    parts = [template.get_xml()]
    for uri in (template.HEADER_URI, template.FOOTER_URI):
        parts += [template.get_part_xml(part) for _key, part in template.get_headers_footers(uri)]
    return "".join(template.patch_xml(part) for part in parts)


def undeclared_variables(template_content: bytes) -> set[str]:
    """The top-level names the template uses (docxtpl's ``get_undeclared_template_variables``)."""
    return DocxTemplate(io.BytesIO(template_content)).get_undeclared_template_variables(environment())
