"""What happens the moment a report comes in: likely duplicates, alerts to neighbours, hot spots.

Many hotline calls describe the same problem; a new report of the same small class within
50 m of a case still open from the last 7 days is flagged (the dispatcher may merge it). An
emergency alerts the chiefs of the adjacent grids ("某一网格发生情况相邻网格第一时间赶到协助处理");
a report from outside the grid's own patrols is a new task for its chief. A chief on leave is
covered by the A/B partner (backend/team/cover.py), and the case's step log says so.
The same small class reported again and again in one place raises a hot-spot alert
(backend/hotspots/service.py).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from backend.areas.geometry import box_around, grid_index, metres_between
from backend.audit.writer import SYSTEM
from backend.cases.models import OPEN_STATUSES, Case, CaseSource, CaseStep, HandlingType
from backend.hotspots import service as hotspots
from backend.notifications import service as notify
from backend.notifications.models import NotificationKind
from backend.team.cover import Handover

DUPLICATE_RADIUS_M = 50.0
HANDOVER_STEP = "handover"  # a CaseStep's action: an absent chief's partner was told instead
DUPLICATE_WINDOW = dt.timedelta(days=7)


def likely_duplicate(session: Session, case: Case) -> Case | None:
    """The nearest open case of the same class within 50 m reported in the last 7 days."""
    if case.lat is None or case.lng is None:
        return None
    candidates = session.execute(
        select(Case).where(
            Case.id != case.id,
            Case.category_code == case.category_code,
            Case.status.in_(OPEN_STATUSES),
            Case.reported_at >= case.reported_at - DUPLICATE_WINDOW,
            box_around(Case.lat, Case.lng, case.lat, case.lng, DUPLICATE_RADIUS_M),
        )
    ).scalars()
    near = [(metres_between(case.lat, case.lng, c.lat, c.lng), c.id, c) for c in candidates
            if c.lat is not None and c.lng is not None]  # always (the WHERE above): for mypy
    near = [entry for entry in near if entry[0] <= DUPLICATE_RADIUS_M]
    return min(near)[2] if near else None


def record_handovers(session: Session, case: Case, handovers: list[Handover],
                     at: dt.datetime | None) -> None:
    """The step log says who was told in an absent chief's place (AB岗)."""
    when = at or case.reported_at
    for handover in handovers:
        session.add(CaseStep(
            case_id=case.id, grid_code=case.grid_code, action=HANDOVER_STEP,
            from_status=case.status, to_status=case.status, actor=SYSTEM.name,
            note=handover.note(), details=handover.details(), created_at=when, updated_at=when))


def tell_grid(session: Session, case: Case, at: dt.datetime | None = None) -> list[Handover]:
    """A report from outside the grid's own patrols is a new task for the grid's chief (to
    check on the spot, or handle a general one there)."""
    if case.source is CaseSource.patrol:
        return []
    return notify.grid_chiefs(session, [case.grid_code], NotificationKind.grid_task, case,
                              f"本网格新案卷 {case.code}: {case.title}", dedupe="intake", at=at)


def alert_neighbours(session: Session, case: Case, at: dt.datetime | None = None
                     ) -> list[Handover]:
    if case.handling_type is not HandlingType.emergency:
        return []
    neighbours = grid_index(session).neighbours(case.grid_code)
    return notify.grid_chiefs(session, neighbours, NotificationKind.adjacent_alert, case,
                              f"相邻网格紧急情况 {case.code}: {case.title}", dedupe="intake",
                              at=at)


def on_intake(session: Session, case: Case, at: dt.datetime | None = None) -> None:
    """`at`: when the report came in (default now; the demo seed's simulated year passes it)."""
    original = likely_duplicate(session, case)
    if original is not None:
        # Part of filing the report, not an edit of it: the row stays at version 1.
        session.execute(update(Case.__table__).where(Case.__table__.c.id == case.id)
                        .values(possible_duplicate_of_id=original.id,
                                updated_at=case.updated_at))
        set_committed_value(case, "possible_duplicate_of_id", original.id)
    record_handovers(session, case, tell_grid(session, case, at) + alert_neighbours(
        session, case, at), at)
    hotspots.on_report(session, case, at)
