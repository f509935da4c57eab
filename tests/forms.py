"""Form data as the browser would post it for a record's edit page."""
from __future__ import annotations

from kesu.models import Case
from kesu.timeutil import format_local


def case_form(case: Case, **overrides) -> dict:
    data = {
        "received_at": format_local(case.received_at),
        "channel": case.channel,
        "market": case.market,
        "customer": str(case.customer_id),
        "category": str(case.category_id),
        "severity": case.severity,
        "title": case.title,
        "description": case.description,
        "department": str(case.department_id) if case.department_id else "__None",
        "version": str(case.version),
    }
    data.update(overrides)
    return data
