"""The three state machines and the one function that changes a status: ``perform``.

    from kesu.workflow import perform, WorkflowError
    perform(case, "accept", clerk, reason="投诉属实")   # flushes; the caller commits (one transaction per action)
"""
from __future__ import annotations

from typing import Any

from kesu.models import Accountability, Case, Claim
from kesu.workflow.accountability import ACCOUNTABILITY
from kesu.workflow.case import CASE
from kesu.workflow.claim import CLAIM
from kesu.workflow.core import Machine, Transition, WorkflowError, available, run

MACHINES: dict[type, Machine] = {Case: CASE, Claim: CLAIM, Accountability: ACCOUNTABILITY}

__all__ = ["MACHINES", "Transition", "WorkflowError", "allowed_actions", "perform"]


def machine_for(record: Any) -> Machine:
    return MACHINES[type(record)]


def perform(record: Any, action: str, actor: Any, **fields: Any) -> str:
    """Perform ``action`` on ``record`` as ``actor``; returns the new status or raises :class:`WorkflowError`."""
    return run(machine_for(record), record, action, actor, fields)


def allowed_actions(record: Any, actor: Any) -> list[Transition]:
    """The actions to offer ``actor`` on ``record`` now."""
    return available(machine_for(record), record, actor)
