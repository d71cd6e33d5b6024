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

from sqlalchemy import Row, func, or_, select
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
                today: dt.date, *, named: bool = False) -> list[Row]:
    """The supervised residents within `conditions`: id, grid, tags, registration and last
    帮教 visit; `named`: and who and where they are (name, building, room)."""
    if not schedule:
        return []
    # Each resident's last visit looked up by the visits' resident index, for the residents
    # in scope only (a grouped subquery read every 帮教 visit of the county for one grid).
    last_visit = (select(func.max(Visit.visit_date))
                  .where(Visit.resident_id == Resident.id,
                         Visit.kind == VisitKind.supervision, Visit.visit_date <= today)
                  .correlate(Resident).scalar_subquery())
    stmt = (select(Resident.id, Resident.grid_code, Resident.key_groups, Resident.created_at,
                   last_visit.label("last_visit"))
            .where(*conditions, or_(*(has_tag(Resident.key_groups, group.value)
                                      for group in schedule))))
    if named:
        stmt = (stmt.add_columns(Resident.name, Household.room,
                                 Building.name.label("building_name"))
                .outerjoin(Household, Household.id == Resident.household_id)
                .outerjoin(Building, Building.id == Household.building_id))
    return list(session.execute(stmt).all())


def _due(row: Row, schedule: dict[KeyGroup, int]
         ) -> tuple[list[KeyGroup], int, dt.date | None, dt.date]:
    """A supervised resident's groups, schedule (the shortest of their groups'), last 帮教
    visit and due day."""
    tags = row.key_groups or []
    groups = [g for g in schedule if g.value in tags]
    every = min(schedule[g] for g in groups)
    last_visit = as_date(row.last_visit) if row.last_visit is not None else None
    since = last_visit or row.created_at.astimezone(BEIJING).date()
    return groups, every, last_visit, since + dt.timedelta(days=every)


def supervision_figures(session: Session, conditions: list, today: dt.date
                        ) -> dict[str, dict[str, int]]:
    """Per grid: supervised residents, and how many of them are overdue."""
    figures: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    schedule = schedules(session)
    for row in _supervised(session, conditions, schedule, today):
        entry = figures[row.grid_code]
        entry["supervised"] += 1
        entry["supervision_overdue"] += int(_due(row, schedule)[3] < today)
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
    schedule = schedules(session)
    rows = []
    for row in _supervised(session, conditions, schedule, today, named=True):
        groups, every, last_visit, due_on = _due(row, schedule)
        days_overdue = max((today - due_on).days, 0)
        if days_overdue or not overdue_only:
            rows.append((row, groups, every, last_visit, due_on, days_overdue))
    rows.sort(key=lambda r: (-r[5], r[4], r[0].id))
    items = [{"resident_id": row.id, "name": row.name, "grid_code": row.grid_code,
              "grid_name": scope.grids.get(row.grid_code), "building_name": row.building_name,
              "room": row.room, "groups": [g.value for g in groups], "every_days": every,
              "last_visit_date": last_visit, "due_on": due_on, "days_overdue": days_overdue}
             for row, groups, every, last_visit, due_on, days_overdue
             in rows[offset:offset + limit]]
    return {"as_of": now, "total": len(rows), "limit": limit, "offset": offset, "items": items}
