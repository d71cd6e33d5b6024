"""The disputes' workflow as a table: every action, the statuses it is taken from, where it
leads, and who takes it under the default policy. The workflow service
(backend/disputes/workflow.py) runs it, the policy's vocabulary lists its names, and tests hold
the default policy (rbac/policy.csv) to its `who`.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.disputes.models import DisputeStatus
from backend.identity.models import Role

S = DisputeStatus


@dataclass(frozen=True)
class DisputeAction:
    name: str
    label: str
    from_statuses: tuple[DisputeStatus, ...]
    to_status: DisputeStatus
    # Who takes it under the default policy, besides the admin.
    who: tuple[Role, ...]
    # Taken only by who works at the dispute's level or above it; an office's answer to a
    # dispute handed to it is not a level's.
    at_level: bool = True


CHIEF, SECRETARY, DISPATCHER, DEPARTMENT = (Role.grid_chief, Role.secretary, Role.dispatcher,
                                            Role.department)
WORKING = (S.registered, S.mediating)

DISPUTE_ACTIONS: dict[str, DisputeAction] = {a.name: a for a in (
    DisputeAction("mediate", "调解", WORKING, S.mediating, (CHIEF, SECRETARY, DISPATCHER)),
    DisputeAction("settle", "化解", WORKING, S.settled, (CHIEF, SECRETARY, DISPATCHER)),
    # Up a level, where it waits to be taken up again: registered.
    DisputeAction("escalate", "上报", WORKING, S.registered, (CHIEF, SECRETARY)),
    DisputeAction("hand-over", "移交", WORKING, S.handed_over, (SECRETARY, DISPATCHER)),
    DisputeAction("conclude", "办结", (S.handed_over,), S.settled,
                  (SECRETARY, DISPATCHER, DEPARTMENT), at_level=False),
    DisputeAction("reopen", "重新启动", (S.settled,), S.registered, (SECRETARY, DISPATCHER)),
)}


def allowed_actions(status: DisputeStatus) -> list[str]:
    """The actions a dispute in `status` can take, in the table's order."""
    return [name for name, action in DISPUTE_ACTIONS.items() if status in action.from_statuses]
