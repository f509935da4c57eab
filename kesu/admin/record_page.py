"""The record page as a workbench (case, claim, accountability): the status bar, the fields grouped by stage and
the timeline, added to what the detail template receives.

The sections are the machine's field groups (:mod:`kesu.workflow.statuses`) with the view's stage groups (what the
actions decide: approval, the customer's answer, closure) after the group they follow; a detail field in no group is
shown under 其他信息, so a field added to the model or a group added to the machine appears without a change here.
A section with nothing filled in is folded.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from kesu.documents import pdf
from kesu.models import Attachment, GeneratedDocument
from kesu.readable import model_of
from kesu.timeline import Link, timeline
from kesu.workflow import MACHINES
from kesu.workflow.progress import status_bar
from kesu.workflow.statuses import FieldGroup

OTHER = FieldGroup("other", _l("其他信息"), ())
#: Shown in the status bar, not among the fields.
IN_STATUS_BAR = frozenset({"status"})


@dataclass(frozen=True)
class Section:
    key: str
    label: Any
    #: ``(name, label)`` of each detail field, in the view's order.
    fields: tuple[tuple[str, Any], ...]
    #: Anything filled in: shown open; else folded.
    filled: bool


def _value(record: Any, name: str) -> Any:
    for part in name.split("."):
        record = getattr(record, part, None) if record is not None else None
    return record


def _empty(value: Any) -> bool:
    return value is None or value is False or value == "" or value == 0 or value == []


def ordered_groups(groups: Sequence[FieldGroup], stages: Sequence[tuple[str, FieldGroup]]) -> list[FieldGroup]:
    """The machine's groups, each followed by the stage groups declared after it (others at the end)."""
    keys = {group.key for group in groups}
    order = []
    for group in groups:
        order += [group, *(stage for after, stage in stages if after == group.key)]
    return order + [stage for after, stage in stages if after not in keys]


def record_sections(groups: Sequence[FieldGroup], details: Sequence[tuple[str, Any]], record: Any) -> list[Section]:
    """The detail fields (``(name, label)``, a related record's ``customer.phone`` with ``customer``) by group;
    groups with no detail field are left out."""
    home = {}
    for group in groups:
        for name in group.fields:
            home.setdefault(name, group.key)
    sections = []
    for group in [*groups, OTHER]:
        fields = tuple((name, label) for name, label in details if name not in IN_STATUS_BAR
                       and home.get(name.split(".", 1)[0], OTHER.key) == group.key)
        if fields:
            sections.append(Section(group.key, group.label, fields,
                                    any(not _empty(_value(record, name)) for name, _label in fields)))
    return sections


class PanelLinks:
    """The timeline's links into the panel: related records' pages and downloads."""

    def __init__(self) -> None:
        self.pdf = pdf.available()

    def record(self, record_type: str, record_id: int) -> str | None:
        return url_for(f"{model_of(record_type).__name__.lower()}.details_view", id=record_id)

    def document(self, document: GeneratedDocument) -> tuple[Link, ...]:
        word = Link("Word", url_for("generateddocument.download_view", id=document.id))
        if not self.pdf:
            return (word,)
        return word, Link("PDF", url_for("generateddocument.download_view", id=document.id, format="pdf"))

    def attachment(self, attachment: Attachment) -> tuple[Link, ...]:
        return (Link(attachment.filename, url_for("attachment.download_view", id=attachment.id)),)


class RecordPageMixin:
    """Mixed into the views of records with a state machine; ``stage_groups`` are ``(after group key, group)``."""

    stage_groups: tuple[tuple[str, FieldGroup], ...] = ()

    def render(self, template: str, **kwargs: Any):
        if template == self.details_template and "model" in kwargs:
            record = kwargs["model"]
            machine = MACHINES[self.model]
            groups = ordered_groups(machine.states.groups, self.stage_groups)
            kwargs["status_steps"] = status_bar(machine, record.status)
            kwargs["sections"] = record_sections(groups, kwargs.get("details_columns", ()), record)
            kwargs["timeline"] = timeline(record, current_user, PanelLinks())
        return super().render(template, **kwargs)
