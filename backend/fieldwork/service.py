"""What grid staff do in the field, as the API's own actions (the generic CRUD does the rest):
a patrol walked live (start, track, finish) and a work log's review.

Every write here goes through the checks its entity declares and leaves an audit entry, as
a CRUD write would.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.areas.geometry import metres_between
from backend.audit import writer as audit
from backend.cases.models import Case
from backend.core import crud
from backend.core.crud import Caller
from backend.core.db import utcnow
from backend.core.errors import ProblemError, field_error
from backend.fieldwork.entities import PATROLS, WORK_LOGS
from backend.fieldwork.models import Patrol, WorkLog, WorkLogStatus
from backend.fieldwork.schemas import (
    LogDecision,
    PatrolCreate,
    PatrolFinish,
    PatrolStart,
    PatrolTrack,
    WorkLogReview,
)
from backend.team.models import GridStaff

# A route longer than this many points is thinned on the way in (a day's walk at one point
# every few seconds): the list pages and the map carry the route whole.
MAX_ROUTE_POINTS = 5000
FINISH = "finish"


def start_patrol(session: Session, body: PatrolStart, caller: Caller,
                 now: dt.datetime | None = None) -> Patrol:
    """A patrol of the grid begins now. One walk at a time per team member: an unfinished one
    is finished first (409 naming it). Checked once the new row passed every check of a
    patrol (scope first), so that nobody learns of walks in grids they do not reach."""
    payload = PatrolCreate(grid_code=body.grid_code, patroller_name=body.patroller_name,
                           started_at=now or utcnow())
    patrol = crud.create_row(session, PATROLS, payload, caller, commit=False)
    if patrol.staff_id is not None:
        walking = session.execute(select(Patrol.id).where(
            Patrol.staff_id == patrol.staff_id, Patrol.ended_at.is_(None),
            Patrol.id != patrol.id)).scalar()
        if walking is not None:
            session.rollback()
            raise field_error(409, "grid_code",
                              f"{patrol.patroller_name} 的巡查 {walking} 尚未结束, 请先结束")
    session.commit()
    return patrol


def _walking(session: Session, patrol_id: int, caller: Caller) -> Patrol:
    """The patrol, if the caller may add to it: their own walk (or, with `update`, any in
    their scope), not yet finished."""
    patrol = crud.get_row(session, PATROLS, patrol_id, caller, FINISH)
    principal = caller.principal
    if principal is not None and not principal.can(PATROLS.name, "update"):
        walker = session.execute(select(GridStaff.user_id).where(
            GridStaff.id == patrol.staff_id)).scalar_one_or_none()
        if walker is None or walker != principal.user_id:
            raise ProblemError(403, "只能上传本人巡查的轨迹或结束本人的巡查")
    if patrol.ended_at is not None:
        raise field_error(409, "ended_at", f"巡查 {patrol.id} 已结束, 不能再修改")
    return patrol


def _route_with(patrol: Patrol, points: list[list[float]]) -> dict[str, Any] | None:
    """The patrol's route with `points` added; None while it has fewer than two points."""
    for lng, lat in points:
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            raise field_error(422, "points", "轨迹中的点应为 [经度, 纬度]")
    before = list(patrol.route["coordinates"]) if patrol.route else []
    coordinates = before + [[lng, lat] for lng, lat in points]
    if len(coordinates) > MAX_ROUTE_POINTS:
        step = -(-len(coordinates) // MAX_ROUTE_POINTS)  # keep the first and last points
        coordinates = coordinates[:-1:step] + coordinates[-1:]
    if len(coordinates) < 2:
        return patrol.route
    return {"type": "LineString", "coordinates": coordinates}


def _write(session: Session, patrol: Patrol, changes: dict[str, Any], caller: Caller,
           action: str) -> Patrol:
    before = {name: getattr(patrol, name) for name in changes}
    for name, value in changes.items():
        setattr(patrol, name, value)
    session.flush()
    logged = {k: (v, changes[k]) for k, v in before.items() if k != "route" and v != changes[k]}
    if "route" in changes:
        points = len(changes["route"]["coordinates"]) if changes["route"] else 0
        logged["route"] = ("…", f"{points} 个轨迹点")
    audit.record(session, caller.actor, action, PATROLS.name, patrol.id, patrol.grid_code,
                 logged)
    session.commit()
    return patrol


def track_patrol(session: Session, patrol_id: int, body: PatrolTrack, caller: Caller) -> Patrol:
    """Points walked since the last upload, added to the route."""
    patrol = _walking(session, patrol_id, caller)
    route = _route_with(patrol, body.points)
    if route is None:
        raise field_error(422, "points", "首次上传轨迹至少需要两个点")
    return _write(session, patrol, {"route": route}, caller, "track")


def route_metres(route: dict[str, Any] | None) -> float | None:
    if not route:
        return None
    return round(sum(metres_between(a[1], a[0], b[1], b[0])
                     for a, b in itertools.pairwise(route["coordinates"])))


def finish_patrol(session: Session, patrol_id: int, body: PatrolFinish, caller: Caller,
                  now: dt.datetime | None = None) -> Patrol:
    """The walk ends now: its findings, its last points, its length (from the route unless
    given) and the number of problems found (the cases reported on it unless given)."""
    patrol = _walking(session, patrol_id, caller)
    route = _route_with(patrol, body.points) if body.points else patrol.route
    reported = session.execute(select(func.count()).select_from(Case).where(
        Case.patrol_id == patrol.id)).scalar_one()
    changes = {
        "ended_at": max(now or utcnow(), patrol.started_at), "route": route,
        "findings": body.findings if body.findings is not None else patrol.findings,
        "distance_m": body.distance_m if body.distance_m is not None else route_metres(route),
        "issues_found": body.issues_found if body.issues_found is not None else reported,
    }
    return _write(session, patrol, changes, caller, FINISH)


# --- work-log review ----------------------------------------------------------------------

REVIEW = "review"


def review_work_log(session: Session, log_id: int, body: WorkLogReview, caller: Caller,
                    now: dt.datetime | None = None) -> WorkLog:
    """The community secretary approves a submitted log, or returns it with a comment; a
    returned log is corrected by its author and so submitted again (backend/fieldwork/
    entities.py). Reviewing a log outside one's community: 404, as for any row."""
    log = crud.get_row(session, WORK_LOGS, log_id, caller, REVIEW)
    if log.status is not WorkLogStatus.submitted:
        raise field_error(409, "status", f"日志{log.status.label}, 只有待审阅的日志可以审阅")
    note = (body.note or "").strip() or None
    if body.decision is LogDecision.send_back and note is None:
        raise field_error(422, "note", "退回须写明意见")
    reviewer = caller.person
    status = (WorkLogStatus.approved if body.decision is LogDecision.approve
              else WorkLogStatus.returned)
    changes = {"status": status, "reviewed_by": reviewer, "reviewed_at": now or utcnow(),
               "review_note": note}
    before = {name: getattr(log, name) for name in changes}
    for name, value in changes.items():
        setattr(log, name, value)
    session.flush()
    audit.record(session, caller.actor, REVIEW, WORK_LOGS.name, log.id, log.grid_code,
                 {k: (before[k], v) for k, v in changes.items()})
    session.commit()
    return log
