"""The disputes' workflow: every step of a dispute's life, for the API, the panel and the seed.

    registered ─mediate─▶ mediating ─settle─▶ settled ─reopen─▶ registered
        │  ▲                  │                  ▲
        │  └──escalate────────┤                  │
        │   (grid → community → street)           │
        └──────hand-over─────▶ handed_over ─conclude┘

"小事不出社区, 大事不出街道, 矛盾不上交": a dispute is worked at its level, and goes up a level
only when that level cannot settle it. Who may act is the policy's business (object
"disputes", the action's name); at which level, this module's: a grant reaches the levels at
and below its area (a grid chief's grid, a secretary's community and its grids, a street's
command center all three), so a dispute escalated above a grid is out of its chief's hands
while they still read it. What each status allows is decided here and nowhere else; each step
writes its DisputeStep, its audit entry and its notifications with the change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.audit import writer as audit
from backend.cases.models import DeadlineUnit, Department
from backend.cases.sla import deadlines
from backend.core import area_codes, crud
from backend.core.db import utcnow
from backend.core.errors import FieldError, ProblemError, field_error, invalid_input, not_found
from backend.disputes.actions import DISPUTE_ACTIONS, allowed_actions
from backend.disputes.entities import DISPUTES
from backend.disputes.models import (
    Dispute,
    DisputeLevel,
    DisputeMediation,
    DisputeStatus,
    DisputeStep,
)
from backend.identity.models import Role, RoleAssignment
from backend.kpi.periods import beijing_today
from backend.notifications import service as notify
from backend.notifications.models import NotificationKind

S, L = DisputeStatus, DisputeLevel
LEVELS = (L.grid, L.community, L.street)
# The level a grant's area works at: a grid's staff the grid, a community the community, a
# street the street; a county (or the whole system, or a department) above them all.
LEVEL_OF_CODE_LENGTH = {area_codes.GRID_LENGTH: 0, area_codes.COMMUNITY_LENGTH: 1,
                        area_codes.STREET_LENGTH: 2}
ABOVE_ALL = len(LEVELS)
# An office's time to answer a dispute handed to it, in working days, unless the hand-over
# names another.
DEFAULT_HANDOVER_DAYS = 10
MAX_HANDOVER_DAYS = 60


# --- what each action carries ----------------------------------------------------------------


class ActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: Annotated[str | None, Field(max_length=2000, description="意见/备注")] = None


class NoteRequired(ActionBody):
    note: Annotated[str, Field(min_length=1, max_length=2000, description="原因/意见 (必填)")]


class MediateBody(ActionBody):
    held_on: Annotated[dt.date, Field(description="调解日期")]
    mediators: Annotated[str, Field(min_length=1, max_length=200, description="调解人")]
    place: Annotated[str | None, Field(max_length=200, description="调解地点")] = None
    agreed: Annotated[str, Field(min_length=1, max_length=5000,
                                 description="调解情况/达成意见")]


class SettleBody(ActionBody):
    agreement: Annotated[str, Field(min_length=1, max_length=5000,
                                    description="调解协议 (化解的内容)")]


class HandOverBody(NoteRequired):
    department_code: Annotated[str, Field(min_length=1, max_length=20,
                                          description="移交部门 (司法所、派出所、信访办等)")]
    days: Annotated[int, Field(ge=1, le=MAX_HANDOVER_DAYS,
                               description="办理时限 (工作日)")] = DEFAULT_HANDOVER_DAYS


class ConcludeBody(ActionBody):
    result: Annotated[str, Field(min_length=1, max_length=5000, description="办理结果")]


@dataclass
class Context:
    session: Session
    caller: crud.Caller
    dispute: Dispute
    body: Any
    now: dt.datetime
    details: dict[str, Any] | None = None


def do_mediate(ctx: Context) -> None:
    dispute, body = ctx.dispute, ctx.body
    if body.held_on > beijing_today(ctx.now):
        raise field_error(422, "held_on", "调解日期不能晚于今天")
    if body.held_on < dispute.found_on:
        raise field_error(422, "held_on", f"调解日期不能早于发现日期 {dispute.found_on}")
    ctx.session.add(DisputeMediation(
        dispute_id=dispute.id, grid_code=dispute.grid_code, held_on=body.held_on,
        level=dispute.level, place=body.place, mediators=body.mediators, agreed=body.agreed,
        recorded_by=ctx.caller.person, created_at=ctx.now, updated_at=ctx.now))
    ctx.details = {"held_on": body.held_on.isoformat(), "mediators": body.mediators}


def do_settle(ctx: Context) -> None:
    dispute = ctx.dispute
    dispute.settled_at, dispute.settled_level = ctx.now, dispute.level
    dispute.agreement = ctx.body.agreement
    ctx.details = {"settled_level": dispute.level.value}


def do_escalate(ctx: Context) -> None:
    dispute = ctx.dispute
    rank = LEVELS.index(dispute.level)
    if rank + 1 == len(LEVELS):
        raise ProblemError(409, "纠纷已在街道层级, 不再上交; 可移交司法所、派出所或信访办",
                           [FieldError("action", "allowed: mediate, settle, hand-over")])
    dispute.level = LEVELS[rank + 1]
    ctx.details = {"from_level": LEVELS[rank].value, "to_level": dispute.level.value}
    title = f"矛盾纠纷上报至{dispute.level.label}: {dispute.title}"
    if dispute.level is L.community:
        users = notify.active_users(ctx.session, RoleAssignment.role == Role.secretary,
                                    RoleAssignment.area_code == dispute.grid_code[
                                        :area_codes.COMMUNITY_LENGTH])
    else:
        users = notify.covering_dispatchers(ctx.session, dispute.grid_code)
    notify.send(ctx.session, users, NotificationKind.dispute_raised, None, title,
                body=ctx.body.note, at=ctx.now)


def do_hand_over(ctx: Context) -> None:
    dispute, body = ctx.dispute, ctx.body
    department = ctx.session.execute(select(Department).where(
        Department.code == body.department_code)).scalar_one_or_none()
    if department is None or not department.is_active:
        raise field_error(422, "department_code", f"部门 '{body.department_code}' 不存在或已停用")
    dispute.department_code, dispute.handed_at = department.code, ctx.now
    dispute.due_at = deadlines(ctx.session).due_at(ctx.now, body.days, DeadlineUnit.working_days)
    ctx.details = {"department_code": department.code, "days": body.days,
                   "due_at": dispute.due_at.isoformat()}
    notify.send(ctx.session, notify.department_users(ctx.session, department.code),
                NotificationKind.dispute_sent, None,
                f"移交矛盾纠纷: {dispute.title} (限{body.days}个工作日)", body=body.note,
                at=ctx.now)


def do_conclude(ctx: Context) -> None:
    dispute = ctx.dispute
    dispute.settled_at, dispute.settled_level = ctx.now, None  # the office's, not a level's
    dispute.agreement = ctx.body.result
    ctx.details = {"department_code": dispute.department_code,
                   "on_time": dispute.due_at is None or ctx.now <= dispute.due_at}


def do_reopen(ctx: Context) -> None:
    dispute = ctx.dispute
    ctx.details = {"settled_at": dispute.settled_at.isoformat() if dispute.settled_at else None,
                   "agreement": dispute.agreement}
    dispute.settled_at = dispute.settled_level = dispute.agreement = None
    dispute.department_code = dispute.handed_at = dispute.due_at = None
    dispute.reopen_count += 1


# Each action's body and handler; its statuses, label and who takes it are in the table.
HANDLERS: dict[str, tuple[type[BaseModel], Callable[[Context], None]]] = {
    "mediate": (MediateBody, do_mediate),
    "settle": (SettleBody, do_settle),
    "escalate": (NoteRequired, do_escalate),
    "hand-over": (HandOverBody, do_hand_over),
    "conclude": (ConcludeBody, do_conclude),
    "reopen": (NoteRequired, do_reopen),
}
if set(HANDLERS) != set(DISPUTE_ACTIONS):
    raise RuntimeError(f"without a handler or a row: {set(HANDLERS) ^ set(DISPUTE_ACTIONS)}")


def caller_level(caller: crud.Caller, action: str, grid_code: str) -> int:
    """The highest level at which the caller may take `action` on a dispute of this grid."""
    principal = caller.principal
    if principal is None:
        return ABOVE_ALL
    reach = [LEVEL_OF_CODE_LENGTH.get(len(g.area_code), ABOVE_ALL) if g.area_code else ABOVE_ALL
             for g in principal.grants_for(DISPUTES.name, action)
             if g.area_code is None or area_codes.within(grid_code, g.area_code)]
    return max(reach, default=-1)


def perform(session: Session, dispute_id: int, action_name: str,
            raw_body: dict[str, Any] | None, caller: crud.Caller, if_match: str | None = None,
            now: dt.datetime | None = None, commit: bool = True) -> Dispute:
    """Take one action on one dispute: check, change, log, notify — all or nothing.

    `now` is the action's time (default: the clock); the demo seed plays a year of disputes
    through here at their own times, with `commit` False (its transaction is the year's).
    """
    action = DISPUTE_ACTIONS.get(action_name)
    if action is None:
        raise ProblemError(404, f"未知的操作 '{action_name}', 可用: {', '.join(DISPUTE_ACTIONS)}")
    if caller.principal is None:
        dispute = session.get(Dispute, dispute_id)
        if dispute is None:
            raise not_found(DISPUTES.label, dispute_id)
    else:
        dispute = crud.get_row(session, DISPUTES, dispute_id, caller, action.name)
    crud.check_if_match(dispute, if_match)
    if dispute.status not in action.from_statuses:
        allowed = allowed_actions(dispute.status)
        raise ProblemError(
            409, f"纠纷当前状态为{dispute.status.label}, 不能{action.label}; "
                 f"可执行: {', '.join(allowed)}",
            [FieldError("action", f"allowed: {', '.join(allowed)}")])
    if action.at_level and caller_level(caller, action.name, dispute.grid_code) < LEVELS.index(
            dispute.level):
        raise ProblemError(403, f"纠纷已上报至{dispute.level.label}层级, 由{dispute.level.label}"
                                f"办理, 您不能{action.label}")
    try:
        body = HANDLERS[action.name][0].model_validate(raw_body or {})
    except ValidationError as exc:
        raise invalid_input(exc.errors()) from None
    ctx = Context(session, caller, dispute, body, now or utcnow())
    before = dispute.status
    with session.no_autoflush:  # the dispute is written once, below: one version per step
        HANDLERS[action.name][1](ctx)
    dispute.status = action.to_status
    dispute.updated_at = ctx.now
    session.add(DisputeStep(
        dispute_id=dispute.id, grid_code=dispute.grid_code, action=action.name,
        from_status=before, to_status=dispute.status, level=dispute.level,
        actor=caller.actor.name, department_code=dispute.department_code,
        note=getattr(body, "note", None), details=ctx.details or {}, created_at=ctx.now,
        updated_at=ctx.now))
    audit.record(session, caller.actor, action.name, DISPUTES.name, dispute.id, dispute.grid_code,
                 {"status": (before.value, dispute.status.value)} | {
                     k: (None, v) for k, v in (ctx.details or {}).items()}, at=ctx.now)
    session.flush()
    if commit:
        session.commit()
    return dispute
