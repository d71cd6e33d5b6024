"""The open cases counted by key, from the tally the database keeps (backend/kpi/models.py).

`open_counts` answers what one grouped pass over every open case would, as of `now`: the
tally's rows summed by key, then the running cases whose stored light the clock has overtaken
since the SLA tick last looked (due now but not stored red, or stored red but no longer due
after an extension) moved to the light they show now. `recount` is that grouped pass over the
cases themselves: the reference the tally is tested against, and what a department's figures
use (its cases include those it was summoned to, which the tally's key does not hold).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, func, insert, or_, select, union_all
from sqlalchemy.orm import Session

from backend.cases.entities import RUNNING_STATUSES
from backend.cases.models import OPEN_STATUSES, Light
from backend.kpi.models import OpenCaseTally
from backend.kpi.scope import CASE, TALLY

# (status, light, department_code, grid_code, escalated): light None unless the clock runs.
Key = tuple[str, str | None, str | None, str, bool]
RED, YELLOW, GREEN = Light.red.value, Light.yellow.value, Light.green.value


def _stored_light():
    return case((CASE.light == Light.red, RED), (CASE.light == Light.yellow, YELLOW),
                else_=GREEN)


def now_light(now: dt.datetime):
    """A running case's light as of now: red once due, else yellow as the tick last set it."""
    running = CASE.status.in_(RUNNING_STATUSES)
    return case((and_(running, CASE.due_at < now), RED),
                (and_(running, CASE.light == Light.yellow), YELLOW),
                (running, GREEN), else_=None)


def light_condition(light: Light, now: dt.datetime) -> ColumnElement[bool]:
    """The running cases whose light is `light` as of now (`now_light`'s rule, as a WHERE
    each branch of which an index on (status, light, due_at) answers)."""
    running = CASE.status.in_(RUNNING_STATUSES)
    not_due = or_(CASE.due_at >= now, CASE.due_at.is_(None))
    if light is Light.red:
        return and_(running, CASE.due_at < now)
    if light is Light.yellow:
        return and_(running, CASE.light == Light.yellow, not_due)
    return and_(running, or_(CASE.light != Light.yellow, CASE.light.is_(None)), not_due)


def light_of(status: Any, stored: Light | None, due_at: dt.datetime | None,
             now: dt.datetime) -> Light | None:
    """One case's light as of now, by `now_light`'s rule (a list's badge)."""
    if status not in RUNNING_STATUSES:
        return None
    if due_at is not None and due_at < now:
        return Light.red
    return Light.yellow if stored is Light.yellow else Light.green


def recount(session: Session, conditions: list[ColumnElement[bool]],
            now: dt.datetime) -> Counter[Key]:
    """The open cases by key, counted from the cases: one grouped pass over all of them."""
    light = now_light(now).label("light")
    escalated = (CASE.escalation_level > 0).label("escalated")
    rows = session.execute(
        select(CASE.status, light, CASE.department_code, CASE.grid_code, escalated,
               func.count()).where(*conditions, CASE.status.in_(OPEN_STATUSES))
        .group_by(CASE.status, light, CASE.department_code, CASE.grid_code, escalated))
    return Counter({(status, lit, department, grid, bool(is_escalated)): count
                    for status, lit, department, grid, is_escalated, count in rows})


def open_counts(session: Session, tally_conditions: list[ColumnElement[bool]],
                case_conditions: list[ColumnElement[bool]], now: dt.datetime) -> Counter[Key]:
    """The same counts as `recount`, from the tally: `tally_conditions` are the scope on the
    tally's columns, `case_conditions` the same scope on the cases'."""
    counts: Counter[Key] = Counter()
    total = func.sum(TALLY.n)
    for status, light, department, grid, escalated, count in session.execute(
            select(TALLY.status, TALLY.light, TALLY.department_code, TALLY.grid_code,
                   TALLY.escalated, total).where(*tally_conditions)
            .group_by(TALLY.status, TALLY.light, TALLY.department_code, TALLY.grid_code,
                      TALLY.escalated).having(total != 0)):
        counts[(status, light, department, grid, bool(escalated))] += count
    # The clock overtook the stored light. Each branch is one range of the index
    # (status, light, due_at), so this reads only the cases that moved (tens, with the tick
    # running each minute), not every running case.
    running = CASE.status.in_(RUNNING_STATUSES)
    due = CASE.due_at < now
    stored = _stored_light().label("stored")
    light = now_light(now).label("light")
    escalated = case((CASE.escalation_level > 0, 1), else_=0).label("escalated")
    overtaken = union_all(*(
        select(CASE.status, stored, light, CASE.department_code, CASE.grid_code, escalated)
        .where(*case_conditions, running, branch)
        for branch in (and_(CASE.light == Light.red, CASE.due_at >= now),
                       and_(CASE.light == Light.red, CASE.due_at.is_(None)),
                       and_(CASE.light == Light.yellow, due), and_(CASE.light == Light.green, due),
                       and_(CASE.light.is_(None), due)))).subquery()
    moved = (overtaken.c.status, overtaken.c.stored, overtaken.c.light,
             overtaken.c.department_code, overtaken.c.grid_code, overtaken.c.escalated)
    for status, was, lit, department, grid, is_escalated, count in session.execute(
            select(*moved, func.count()).group_by(*moved)):
        counts[(status, was, department, grid, bool(is_escalated))] -= count
        counts[(status, lit, department, grid, bool(is_escalated))] += count
    return +counts  # keys whose count is now zero go


def compact(session: Session) -> None:
    """Fold the tally's changes into one row per key (the SLA tick does, once a minute).

    Safe beside writers and another compaction: on PostgreSQL one statement takes exactly the
    rows it deletes; on SQLite the write lock is held from the first statement to the commit."""
    columns = (TALLY.status, TALLY.light, TALLY.department_code, TALLY.grid_code,
               TALLY.escalated)
    names = [c.name for c in columns]
    table = OpenCaseTally.__table__
    if session.get_bind().dialect.name == "postgresql":
        gone = delete(table).returning(*columns, TALLY.n).cte("gone")
        total = func.sum(gone.c.n)
        session.execute(insert(table).from_select(
            [*names, "n"], select(*(gone.c[n] for n in names), total)
            .group_by(*(gone.c[n] for n in names)).having(total != 0)))
        return
    last = session.execute(select(func.max(TALLY.id))).scalar()
    if last is None:
        return
    total = func.sum(TALLY.n)
    session.execute(insert(table).from_select(
        [*names, "n"], select(*columns, total).where(TALLY.id <= last)
        .group_by(*columns).having(total != 0)))
    session.execute(delete(table).where(TALLY.id <= last))


def breakdown(counts: Counter[Key]) -> dict[str, Any]:
    """The command center's figures of the open cases, added up from their counts by key."""
    by_status = dict.fromkeys((s.value for s in OPEN_STATUSES), 0)
    by_light = dict.fromkeys((lt.value for lt in Light), 0)
    by_department: dict[str | None, dict[str, int]] = {}
    by_grid: dict[str, dict[str, int]] = {}
    escalated_count = 0
    for (status, lit, department, grid, is_escalated), count in counts.items():
        by_status[status] += count
        if lit is not None:
            by_light[lit] += count
        for entry in (by_department.setdefault(department, {"open": 0, "red": 0}),
                      by_grid.setdefault(grid, {"open": 0, "red": 0})):
            entry["open"] += count
            entry["red"] += count if lit == RED else 0
        escalated_count += count if is_escalated else 0
    return {"open": sum(by_status.values()), "by_status": by_status, "by_light": by_light,
            "by_department": by_department, "by_grid": by_grid, "escalated": escalated_count}
