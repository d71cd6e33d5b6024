"""The command center's figures, as of now: one call refreshes the whole screen.

Open cases by status and light, by department and by grid (the map's colours), the red list
with hours overdue and escalation (督办) level, how many open cases are escalated, the newest
reports, the open emergencies with the adjacent grids they alerted, and the open cases as
points (lists with grid, category and department names beside their codes): one request
whatever the number of grids (the map's boundaries come once from `grid_map`).

Lights: a running case (dispatched or processing) is red once its due time has passed,
exactly, as of now; yellow as the SLA tick last set it (at most a tick behind, backend/cases/
escalation.py), since "80 % of the allowed office time used" needs the working calendar,
not SQL; green otherwise. Cases not running have no light: waiting for dispatch (reported,
filed) or handled and waiting for verification.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String, and_, select, type_coerce
from sqlalchemy.orm import Session

from backend.areas.geometry import grid_index
from backend.areas.models import Grid
from backend.cases.entities import RUNNING_STATUSES
from backend.cases.models import OPEN_STATUSES, CaseCategory, Department, HandlingType
from backend.core.crud import Caller
from backend.core.db import utcnow
from backend.kpi import tally
from backend.kpi.scope import CASE, Subject, grid_conditions, open_case_conditions

DEFAULT_LIST_LIMIT = 20
DEFAULT_POINTS_LIMIT = 5000


def _hours_overdue(due_at: dt.datetime, now: dt.datetime) -> float:
    return round((now - due_at).total_seconds() / 3600, 1)


def open_breakdown(session: Session, conditions: list, tally_conditions: list | None,
                   now: dt.datetime) -> dict[str, Any]:
    """The open cases by status, light, department and grid, and how many are escalated: from
    the tally the database keeps (a row per key: thousands at most, not one per case), or for
    a department, whose cases the tally cannot tell (None), one grouped pass over its cases."""
    counts = (tally.recount(session, conditions, now) if tally_conditions is None
              else tally.open_counts(session, tally_conditions, conditions, now))
    return tally.breakdown(counts)


def command_center(session: Session, *, caller: Caller, subject: Subject,
                   now: dt.datetime | None = None, limit: int = DEFAULT_LIST_LIMIT,
                   points_limit: int = DEFAULT_POINTS_LIMIT) -> dict[str, Any]:
    now = now or utcnow()
    conditions, tally_conditions = open_case_conditions(session, caller, subject)
    is_open = CASE.status.in_(OPEN_STATUSES)
    light = tally.now_light(now).label("light")
    red = and_(CASE.status.in_(RUNNING_STATUSES), CASE.due_at < now)
    breakdown = open_breakdown(session, conditions, tally_conditions, now)

    # The red list and the points: first the ids, from the open-cases index alone (sorted
    # there), then only those rows; one query would fetch every open case's row to sort them.
    red_ids = (select(CASE.id).where(*conditions, red).order_by(CASE.due_at, CASE.id)
               .limit(limit).scalar_subquery())
    red_rows = session.execute(
        select(CASE.id, CASE.code, CASE.title, CASE.status, CASE.grid_code, CASE.category_code,
               CASE.department_code, CASE.due_at, CASE.escalation_level, CASE.escalated_at)
        .where(CASE.id.in_(red_ids)).order_by(CASE.due_at, CASE.id)).all()
    newest = session.execute(
        select(CASE.id, CASE.code, CASE.title, CASE.status, CASE.source, CASE.priority,
               CASE.category_code, CASE.grid_code, CASE.reported_at)
        .where(*conditions).order_by(CASE.reported_at.desc(), CASE.id.desc()).limit(limit)).all()
    point_ids = (select(CASE.id).where(*conditions, is_open).order_by(CASE.id.desc())
                 .limit(points_limit + 1).scalar_subquery())
    # Emergencies still open: each alerted the chiefs of the grids next door (cases/intake.py);
    # the command center shows which grids were called to help.
    emergencies = session.execute(
        select(CASE.id, CASE.code, CASE.title, CASE.status, CASE.category_code, CASE.grid_code,
               CASE.reported_at)
        .where(*conditions, is_open, CASE.handling_type == HandlingType.emergency)
        .order_by(CASE.reported_at.desc(), CASE.id.desc()).limit(limit)).all()
    # The status as the stored text: thousands of points need no enum made of each.
    status_text = type_coerce(CASE.status, String).label("status")
    points = session.execute(
        select(CASE.id, status_text, light, CASE.grid_code, CASE.lat, CASE.lng)
        .where(CASE.id.in_(point_ids)).order_by(CASE.id.desc()))
    columns = tuple(points.keys())
    rows = points.tuples().all()
    # Thousands of points as columns (a list per field, as a map layer's data frame takes
    # them): a dict per point costs 4x to build and twice the bytes.
    located = [row for row in rows[:points_limit] if row[-1] is not None and row[-2] is not None]
    point_columns = {name: list(values) for name, values in zip(
        columns, zip(*located, strict=True) if located else [()] * len(columns), strict=True)}

    by_department = breakdown["by_department"]
    names = code_names(session, Department,
                       set(by_department) | {r.department_code for r in red_rows})
    listed = (*red_rows, *newest, *emergencies)
    grid_names = code_names(session, Grid, {r.grid_code for r in listed})
    category_names = code_names(session, CaseCategory, {r.category_code for r in listed})
    neighbours = grid_index(session).neighbours if emergencies else None

    def named(row: Any) -> dict[str, Any]:
        return {**row._asdict(), "grid_name": grid_names.get(row.grid_code),
                "category_name": category_names.get(row.category_code)}

    return {
        "as_of": now,
        "open": breakdown["open"],
        "by_status": breakdown["by_status"],
        "by_light": breakdown["by_light"],
        "by_department": sorted(
            ({"code": code, "name": names.get(code) if code else "未派遣", **figures}
             for code, figures in by_department.items()),
            key=lambda d: (-d["red"], -d["open"], d["code"] or "")),
        "grids": [{"code": code, **figures}
                  for code, figures in sorted(breakdown["by_grid"].items())],
        "escalated": breakdown["escalated"],
        "red_list": [{**named(row), "department_name": names.get(row.department_code),
                      "hours_overdue": _hours_overdue(row.due_at, now)} for row in red_rows],
        "newest": [named(row) for row in newest],
        "emergencies": [{**named(row), "neighbour_grids": neighbours(row.grid_code)}
                        for row in emergencies] if neighbours else [],
        "points": point_columns,
        "points_truncated": len(rows) > points_limit,
    }


def code_names(session: Session, model: type[Department | Grid | CaseCategory],
           codes: set[str | None]) -> dict[str, str]:
    """Name by code of the departments, grids or categories a screen lists (a few dozen)."""
    codes = {c for c in codes if c is not None}
    if not codes:
        return {}
    return dict(session.execute(select(model.code, model.name)
                                .where(model.code.in_(codes))).tuples().all())


def grid_map(session: Session, *, caller: Caller, subject: Subject) -> dict[str, Any]:
    """The grids within the caller's scope as a GeoJSON FeatureCollection (boundary, code,
    name, community): the map the command center colours with `command_center`'s grids."""
    rows = session.execute(
        select(Grid.code, Grid.name, Grid.community_code, Grid.boundary)
        .where(*grid_conditions(session, caller, subject)).order_by(Grid.code)).all()
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": row.boundary,
         "properties": {"code": row.code, "name": row.name,
                        "community_code": row.community_code}}
        for row in rows]}
