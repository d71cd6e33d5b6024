"""帮教: the residents of special groups visited on their schedule, who is overdue, counted.

Part of the one KPI module: the coverage figures (backend/kpi/coverage.py), the chief's desk
(backend/workbench) and the API's /kpi/coverage/due-supervision read these.

- A resident is supervised when they carry the tag of a group with a schedule in force: the
  setting's row (`supervision-schedules`), or the plans' (backend/fieldwork/supervision.py).
- Their due day is their last 帮教 visit (a visit of kind `supervision` to them) plus the
  shortest schedule of their groups; never visited, the day they were registered plus it.
  Overdue when the due day is before today (Beijing). The ledgers as they are now.

Who is supervised is the most sensitive data in the system: the list only for whom
rbac.scope.sees_sensitive lets read 帮教 visits (the `pii` roles and the grid's own staff),
within those grants; everyone else who reads the coverage gets the counts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from backend.core.crud import Caller
from backend.core.db import BEIJING, has_tag, utcnow
from backend.core.errors import ProblemError
from backend.fieldwork.entities import VISITS
from backend.fieldwork.models import Visit, VisitKind
from backend.fieldwork.supervision import schedules
from backend.kpi.scope import Subject, area_conditions
from backend.kpi.sql import as_date
from backend.ledgers.entities import RESIDENTS
from backend.ledgers.models import Building, Household, KeyGroup, Resident
from rbac.scope import Grant, Principal, sees_sensitive

FIGURES = ("supervised", "supervision_overdue")


def _supervised(session: Session, conditions: list, schedule: dict[KeyGroup, int],
                today: dt.date, *, named: bool = False) -> list[dict[str, Any]]:
    """The supervised residents within `conditions`, each with their groups, schedule, last
    帮教 visit, due day and days overdue (0: not overdue); `named`: and who and where they
    are (name, building, room)."""
    if not schedule:
        return []
    last = (select(Visit.resident_id, func.max(Visit.visit_date).label("last_visit"))
            .where(Visit.kind == VisitKind.supervision, Visit.resident_id.is_not(None),
                   Visit.visit_date <= today)
            .group_by(Visit.resident_id).subquery())
    stmt = (select(Resident.id, Resident.grid_code, Resident.key_groups, Resident.created_at,
                   last.c.last_visit)
            .outerjoin(last, last.c.resident_id == Resident.id)
            .where(*conditions, or_(*(has_tag(Resident.key_groups, group.value)
                                      for group in schedule))))
    if named:
        stmt = (stmt.add_columns(Resident.name, Household.room,
                                 Building.name.label("building_name"))
                .outerjoin(Household, Household.id == Resident.household_id)
                .outerjoin(Building, Building.id == Household.building_id))
    rows = session.execute(stmt).all()
    result = []
    for row in rows:
        groups = [g for g in schedule if g.value in (row.key_groups or [])]
        every = min(schedule[g] for g in groups)
        last_visit = as_date(row.last_visit) if row.last_visit is not None else None
        since = last_visit or row.created_at.astimezone(BEIJING).date()
        due_on = since + dt.timedelta(days=every)
        result.append({**row._asdict(), "groups": [g.value for g in groups],
                       "every_days": every, "last_visit": last_visit, "due_on": due_on,
                       "days_overdue": max((today - due_on).days, 0)})
    return result


def supervision_figures(session: Session, conditions: list, today: dt.date
                        ) -> dict[str, dict[str, int]]:
    """Per grid: supervised residents, and how many of them are overdue."""
    figures: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for row in _supervised(session, conditions, schedules(session), today):
        entry = figures[row["grid_code"]]
        entry["supervised"] += 1
        entry["supervision_overdue"] += int(row["days_overdue"] > 0)
    return dict(figures)


def _knowing(principal: Principal, grants: list[Grant]) -> list[Grant]:
    return [g for g in grants if sees_sensitive(principal, VISITS, g)]


def may_know(caller: Caller) -> bool:
    """Whether the caller may read who is under supervision somewhere in their figures' scope
    (a `kpi` grant that reads 帮教 visits), and reads residents at all."""
    principal = caller.principal
    return principal is None or (principal.can(RESIDENTS.name, "read") and bool(
        _knowing(principal, principal.grants_for("kpi", "read"))))


def due_supervision(session: Session, caller: Caller, scope: Any, *, overdue_only: bool = True,
                    limit: int = 50, offset: int = 0, now: dt.datetime | None = None
                    ) -> dict[str, Any]:
    """The supervised residents (overdue only, by default), most overdue first: who they are,
    their groups, household, schedule, last 帮教 visit and due day. `scope`: the coverage's
    (backend/kpi/coverage.py: coverage_scope), narrowed to the grants that may know who."""
    grants = scope.grants
    principal = caller.principal
    if principal is not None:
        if not may_know(caller):
            raise ProblemError(403, "帮教对象名单仅限本网格工作人员和有个人信息权限的角色查看; "
                                    "人数见 /api/v1/kpi/coverage")
        grants = _knowing(principal, grants or [])
    now = now or utcnow()
    today = now.astimezone(BEIJING).date()
    conditions = area_conditions(grants, Subject(area_code=scope.subject.area_code), RESIDENTS)
    rows = _supervised(session, conditions, schedules(session), today, named=True)
    if overdue_only:
        rows = [r for r in rows if r["days_overdue"] > 0]
    rows.sort(key=lambda r: (-r["days_overdue"], r["due_on"], r["id"]))
    items = [{"resident_id": r["id"], "name": r["name"], "grid_code": r["grid_code"],
              "grid_name": scope.grids.get(r["grid_code"]), "building_name": r["building_name"],
              "room": r["room"], "groups": r["groups"], "every_days": r["every_days"],
              "last_visit_date": r["last_visit"], "due_on": r["due_on"],
              "days_overdue": r["days_overdue"]} for r in rows[offset:offset + limit]]
    return {"as_of": now, "total": len(rows), "limit": limit, "offset": offset, "items": items}
