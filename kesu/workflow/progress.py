"""Where a record stands on its machine's main path: the steps of the record page's status bar.

Read from the declarations only (:attr:`Statuses.path`, each status's colour, the transitions), so a status or a
transition added to a machine appears here without a change. A side status (rejected, reopened, appealed) is not on
the path: while the record is in it, it is shown after the last path status that leads into it, or before the first
path status it leads back to if that comes earlier (a reopened case goes back to the investigation), and only the
path statuses still reachable from it follow (a rejected claim goes on to "closed", not to "approved").
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kesu.workflow.core import Machine


class StepState(StrEnum):
    DONE = "done"
    CURRENT = "current"
    FUTURE = "future"


@dataclass(frozen=True)
class Step:
    key: str
    label: Any
    #: The status's Bootstrap contextual colour (``primary``, ``danger``…).
    colour: str
    state: StepState
    on_path: bool


def reachable(machine: Machine, status: str) -> set[str]:
    """The statuses ``status`` leads to by the machine's steps, not counting the appeals that reopen a decided
    record (they lead back to work already done, not forward)."""
    seen: set[str] = set()
    todo = [status]
    while todo:
        source = todo.pop()
        for transition in machine.transitions.values():
            if source in transition.sources and not transition.reopens:
                for target in transition.targets - seen - {status}:
                    seen.add(target)
                    todo.append(target)
    return seen


def _entry_point(machine: Machine, status: str) -> int:
    """The path index after which a side status is shown: that of the last path status leading into it."""
    path = machine.states.path
    sources = {source for t in machine.transitions.values() if status in t.targets for source in t.sources}
    return max((path.index(source) for source in sources if source in path), default=-1)


def status_bar(machine: Machine, status: str) -> list[Step]:
    """The steps of the status bar of a record of ``machine`` in ``status``, in order."""
    states, path = machine.states, machine.states.path

    def step(key: str, state: StepState) -> Step:
        declared = states[key]
        return Step(key, declared.label, declared.colour, state, declared.on_path)

    ahead = reachable(machine, status)
    if status in path:
        done_until, later_from = path.index(status), path.index(status) + 1
    else:
        first_ahead = min((path.index(key) for key in ahead if key in path), default=len(path))
        done_until = later_from = min(_entry_point(machine, status) + 1, first_ahead)
    return ([step(key, StepState.DONE) for key in path[:done_until]] + [step(status, StepState.CURRENT)]
            + [step(key, StepState.FUTURE) for key in path[later_from:] if key in ahead])
