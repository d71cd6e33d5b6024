"""The case workflow as a table: every action, the statuses it is taken from, where it leads,
and who takes it under the default policy. The one place these are written: the workflow
service (backend/cases/workflow.py) runs it, the policy's vocabulary and the permission matrix
list its names, the panel shows its labels, the README's workflow table is generated from it,
and tests hold the default policy (rbac/policy.csv) to its `who`.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.cases.models import OPEN_STATUSES, CaseStatus
from backend.identity.models import Role

S = CaseStatus


@dataclass(frozen=True)
class CaseAction:
    name: str
    label: str
    from_statuses: tuple[CaseStatus, ...]
    # Where it may lead. One status: always there. Several: the action's handler decides.
    # The handler may also keep the case where it is (e.g. a summoned department's feedback
    # while others still work); none: it never changes the status.
    to_statuses: tuple[CaseStatus, ...]
    # Who takes it under the default policy, besides the admin.
    who: tuple[Role, ...]


DISPATCHER, SECRETARY, CHIEF, DEPARTMENT = (Role.dispatcher, Role.secretary, Role.grid_chief,
                                            Role.department)
RUNNING = (S.dispatched, S.processing)

CASE_ACTIONS: dict[str, CaseAction] = {a.name: a for a in (
    CaseAction("file", "立案", (S.reported,), (S.filed,), (DISPATCHER, SECRETARY)),
    CaseAction("cancel", "作废", (S.reported, S.filed), (S.cancelled,), (DISPATCHER, SECRETARY)),
    CaseAction("dispatch", "派遣", (S.filed,), (S.dispatched,), (DISPATCHER,)),
    CaseAction("accept", "受理", RUNNING, (S.processing,), (DEPARTMENT,)),
    CaseAction("return", "回退", RUNNING, (S.filed,), (DEPARTMENT,)),
    CaseAction("feedback", "处置反馈", (S.processing,), (S.handled,), (DEPARTMENT,)),
    CaseAction("request-extension", "申请延期", RUNNING, (), (DEPARTMENT,)),
    CaseAction("approve-extension", "批准延期", RUNNING, (), (DISPATCHER,)),
    CaseAction("reject-extension", "驳回延期", RUNNING, (), (DISPATCHER,)),
    CaseAction("verify", "核查任务", (S.handled, S.processing), (S.closed,), (DISPATCHER,)),
    CaseAction("close", "核查结案", (S.handled,), (S.closed,), (DISPATCHER,)),
    CaseAction("rework", "返工", (S.handled,), (S.dispatched,), (DISPATCHER,)),
    CaseAction("handle-on-site", "现场处置", (S.reported,), (S.closed,), (SECRETARY, CHIEF)),
    CaseAction("evaluate", "评价", (S.closed,), (), (DISPATCHER, SECRETARY)),
    CaseAction("summon", "吹哨报到", (S.filed, *RUNNING), (S.dispatched,), (DISPATCHER, SECRETARY)),
    CaseAction("merge", "合并重复", (S.reported, S.filed), (S.cancelled,), (DISPATCHER,)),
    CaseAction("review-approval", "逐级审批", (S.filed,), (S.closed, S.cancelled),
               (DISPATCHER, SECRETARY)),
)}

# Every status an action leads from is open, and the open statuses are exactly those.
if {s for a in CASE_ACTIONS.values() for s in a.from_statuses} - {S.closed} != set(OPEN_STATUSES):
    raise RuntimeError("the workflow's open statuses and OPEN_STATUSES disagree")


def allowed_actions(status: CaseStatus) -> list[str]:
    """The actions a case in `status` can take, in the table's order."""
    return [name for name, action in CASE_ACTIONS.items() if status in action.from_statuses]
