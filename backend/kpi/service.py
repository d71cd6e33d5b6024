"""Every figure of a period, computed once, in the database: the one KPI module.

The API's /kpi routes, the dashboards (through the API), the panel's home page and the
assessment call these functions; nothing else computes a rate. The definitions (README, "KPI
definitions") in short, for a period P of Beijing days and the cases the caller's scope and
the subject reach:

- flow: reported (reported_at in P), filed (filed_at in P), dispatched (dispatched_at in P),
  closed (status closed, closed_at in P), cancelled (作废 or merged, closed_at in P).
- due in P (应结案): not cancelled, and its deadline in force (due_at, moved by approved
  extensions) falls in P up to now; a case closed with no deadline at all (handled on site,
  approved without dispatch) is due when it closed. Open cases with no deadline (not yet
  dispatched, or returned) are not due.
- of the due: closed (status closed now), closed on time (closed_at <= due_at, or no
  deadline), handled (处置: status handled or closed), handled on time (handled_at, else
  closed_at, <= due_at), reworked (returned for rework at least once: counted once however
  often), extended (at least one extension approved).
- open at T = min(end of P, now): reported before T, not closed or cancelled before T;
  overdue at T: open, due_at before T, not handled before T.
- satisfaction: of the cases closed in P, those evaluated (1–5); satisfied: 4 or 5.

Rates and the score from these counts: backend/kpi/rates.py. How each query stays on one
index (the counts add up over disjoint parts): backend/kpi/sql.py and the indexes of
migration 0011 (benchmarks/RESULTS.md, "KPI endpoints").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from backend.areas.models import Area, Grid
from backend.cases.entities import RUNNING_STATUSES
from backend.cases.models import OPEN_STATUSES, CaseStatus, Department
from backend.cases.sla import settings_of
from backend.core import area_codes
from backend.core.crud import Caller
from backend.core.db import utcnow
from backend.kpi.periods import Period
from backend.kpi.rates import rates_of, score_of
from backend.kpi.scope import CASE, Subject, case_conditions
from backend.kpi.sql import as_date, beijing_day, beijing_week, unindexed

CLOSED, CANCELLED, HANDLED = CaseStatus.closed, CaseStatus.cancelled, CaseStatus.handled
# In the queries that pick cases by time the status is a filter, never the way in: SQLite
# would otherwise walk the status index over every closed case (backend/kpi/sql.py).
STATUS = unindexed(CASE.status)

# Rankings: what a row is grouped by, as SQL over the case table. Expressions, not the bare
# columns: SQLite would walk a column's own index, over every case, to group without sorting.
RANK_KEYS = {
    "department": unindexed(CASE.department_code),
    "street": func.substr(CASE.grid_code, 1, area_codes.STREET_LENGTH),
    "community": func.substr(CASE.grid_code, 1, area_codes.COMMUNITY_LENGTH),
    "grid": unindexed(CASE.grid_code),
}
DUE_FIGURES = ("due", "closed", "closed_on_time", "handled", "handled_on_time", "reworked",
               "reworks", "extended")


def _count(condition: ColumnElement[bool]):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _within(column, start: dt.datetime, end: dt.datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def due_parts(start: dt.datetime, end: dt.datetime) -> tuple[ColumnElement[bool], ...]:
    """Due in [start, end), as two disjoint conditions whose counts add up, each answered by
    one index (an OR of both fetches every row): the deadline in force falls in it; or, for a
    case closed without any deadline, its closing does."""
    return (and_(_within(CASE.due_at, start, end), STATUS != CANCELLED),
            and_(_within(CASE.closed_at, start, end), STATUS == CLOSED, CASE.due_at.is_(None)))


def _due_columns() -> list:
    done = STATUS.in_((HANDLED, CLOSED))
    no_deadline = CASE.due_at.is_(None)
    return [
        func.count().label("due"),
        _count(STATUS == CLOSED).label("closed"),
        _count(and_(STATUS == CLOSED, or_(no_deadline, CASE.closed_at <= CASE.due_at))
               ).label("closed_on_time"),
        _count(done).label("handled"),
        _count(and_(done, or_(no_deadline, func.coalesce(CASE.handled_at, CASE.closed_at)
                              <= CASE.due_at))).label("handled_on_time"),
        _count(CASE.rework_count > 0).label("reworked"),
        func.coalesce(func.sum(CASE.rework_count), 0).label("reworks"),
        _count(CASE.extension_count > 0).label("extended"),
    ]


def open_parts(at: dt.datetime, now: dt.datetime
               ) -> tuple[tuple[ColumnElement[bool], ColumnElement[bool]], ...]:
    """(open at `at`, overdue at `at`), as disjoint parts whose counts add up. Up to now the
    status tells (a case leaves the open statuses exactly when closed_at is set), which the
    open-cases index answers; before, its times do: not closed at all, or closed since."""
    if at >= now:
        return ((CASE.status.in_(OPEN_STATUSES),
                 and_(CASE.status.in_(RUNNING_STATUSES), CASE.due_at < now)),)
    overdue = and_(CASE.due_at < at, or_(CASE.handled_at.is_(None), CASE.handled_at >= at))
    return ((and_(CASE.closed_at.is_(None), CASE.reported_at < at), overdue),
            (and_(CASE.closed_at >= at, CASE.reported_at < at), overdue))


def _as_of(period: Period, now: dt.datetime) -> dt.datetime:
    return min(period.end, now)


def _grouped(session: Session, key, columns: list, conditions: list,
             parts: Iterable[ColumnElement[bool]]) -> dict[Any, dict[str, int]]:
    """Counts per key (None: one total), added up over the disjoint parts."""
    totals: dict[Any, dict[str, int]] = {}
    keys = [key] if key is not None else []
    for part in parts:
        stmt = select(*keys, *columns).where(*conditions, part)
        if key is not None:
            stmt = stmt.group_by(key)
        for row in session.execute(stmt):
            values = row._asdict()
            entry = totals.setdefault(values.pop("key", None), {})
            for name, value in values.items():
                entry[name] = entry.get(name, 0) + int(value)
    return totals


def _subquery_count(conditions: list, condition: ColumnElement[bool]):
    return select(func.count()).where(*conditions, condition).scalar_subquery()


def flow_counts(session: Session, conditions: list, period: Period) -> dict[str, int]:
    """Reported, filed, dispatched, closed and cancelled in the period: one statement, each
    count on its own time column's index."""
    start, end = period.start, period.end
    closed_in = _within(CASE.closed_at, start, end)
    row = session.execute(select(
        _subquery_count(conditions, _within(CASE.reported_at, start, end)).label("reported"),
        _subquery_count(conditions, _within(CASE.filed_at, start, end)).label("filed"),
        _subquery_count(conditions, _within(CASE.dispatched_at, start, end)).label("dispatched"),
        _subquery_count(conditions, and_(closed_in, STATUS == CLOSED)).label("closed"),
        _subquery_count(conditions, and_(closed_in, STATUS == CANCELLED)).label("cancelled"),
    )).one()
    return dict(row._mapping)


def due_counts(session: Session, conditions: list, period: Period, now: dt.datetime
               ) -> dict[str, int]:
    found = _grouped(session, None, _due_columns(), conditions,
                     due_parts(period.start, _as_of(period, now)))
    return dict.fromkeys(DUE_FIGURES, 0) | found.get(None, {})


def _open_columns(overdue: ColumnElement[bool]) -> list:
    return [func.count().label("open"), _count(overdue).label("overdue")]


def open_counts(session: Session, conditions: list, period: Period, now: dt.datetime,
                key=None) -> dict[Any, dict[str, int]]:
    """Open and overdue at the period's end (or now), per key (None: one total)."""
    totals: dict[Any, dict[str, int]] = {}
    for is_open, overdue in open_parts(_as_of(period, now), now):
        for name, figures in _grouped(session, key, _open_columns(overdue), conditions,
                                      (is_open,)).items():
            entry = totals.setdefault(name, {"open": 0, "overdue": 0})
            entry["open"] += figures["open"]
            entry["overdue"] += figures["overdue"]
    return totals


def satisfaction_counts(session: Session, conditions: list, period: Period) -> dict[str, Any]:
    """Evaluations (1–5) of the cases closed in the period: how many, how many 4 or 5, mean."""
    row = session.execute(select(
        func.count(CASE.satisfaction).label("evaluated"),
        _count(CASE.satisfaction >= 4).label("satisfied"),
        func.avg(CASE.satisfaction).label("average"),
    ).where(*conditions, STATUS == CLOSED, _within(CASE.closed_at, period.start, period.end),
            CASE.satisfaction.is_not(None))).one()
    average = None if row.average is None else round(float(row.average), 2)
    return {"evaluated": int(row.evaluated), "satisfied": int(row.satisfied),
            "average": average}


def summary(session: Session, *, caller: Caller, period: Period, subject: Subject,
            now: dt.datetime | None = None) -> dict[str, Any]:
    """Every figure of the period for the subject, within the caller's scope."""
    now = now or utcnow()
    conditions = case_conditions(session, caller, subject)
    counts = flow_counts(session, conditions, period)
    due = due_counts(session, conditions, period, now)
    opened = open_counts(session, conditions, period, now).get(None, {"open": 0, "overdue": 0})
    satisfaction = satisfaction_counts(session, conditions, period)
    figures = due | opened | satisfaction
    score, grade = score_of(figures, settings_of(session))
    return {"period": period.as_dict(), "area_code": subject.area_code,
            "department_code": subject.department_code, "as_of": _as_of(period, now),
            "counts": counts, "due": due, "open": opened, "satisfaction": satisfaction,
            "rates": rates_of(figures), "score": score, "grade": grade}


def _names(session: Session, by: str, keys: Iterable[str]) -> dict[str, str]:
    keys = [k for k in keys if k is not None]
    if not keys:
        return {}
    if by == "department":
        stmt = select(Department.code, Department.name).where(Department.code.in_(keys))
    elif by == "grid":
        stmt = select(Grid.code, Grid.name).where(Grid.code.in_(keys))
    else:
        stmt = select(Area.code, Area.name).where(Area.code.in_(keys))
    return dict(session.execute(stmt).tuples().all())


def rankings(session: Session, *, caller: Caller, period: Period, subject: Subject, by: str,
             now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Departments, streets, communities or grids with their figures, best score first (those
    with nothing due last, by code). Grouped in the database: one row per unit and part."""
    now = now or utcnow()
    conditions = case_conditions(session, caller, subject)
    key = RANK_KEYS[by].label("key")
    due = _grouped(session, key, _due_columns(), conditions,
                   due_parts(period.start, _as_of(period, now)))
    opened = open_counts(session, conditions, period, now, key=key)
    units = set(due) | set(opened)
    if by == "department":
        units.discard(None)  # not dispatched (waiting, handled on site): no department's work
        own = own_departments(caller)
        if own is not None:
            # A department ranks itself: another department's score from the few cases it
            # was summoned to would be a part of that one's work, and mislead.
            units &= own
    names = _names(session, by, units)
    settings = settings_of(session)
    ranked = []
    for code in units:
        figures = (dict.fromkeys(DUE_FIGURES, 0) | due.get(code, {})
                   | opened.get(code, {"open": 0, "overdue": 0}))
        score, grade = score_of(figures, settings)
        ranked.append({"code": code, "name": names.get(code), **figures,
                       "rates": rates_of(figures), "score": score, "grade": grade})
    ranked.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["code"]))
    for n, row in enumerate(ranked, start=1):
        row["rank"] = n if row["score"] is not None else None
    return ranked


def own_departments(caller: Caller) -> set[Any] | None:
    """The departments a caller answers for when it reads the figures as a department only
    (no area or system grant), else None."""
    principal = caller.principal
    if principal is None:
        return None
    grants = principal.grants_for("kpi", "read")
    if any(g.department_code is None for g in grants):
        return None
    return {g.department_code for g in grants}


def trends(session: Session, *, caller: Caller, period: Period, subject: Subject,
           interval: str, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Per Beijing day or ISO week (Monday first) of the period: reported, closed, the cases
    due and their rates. Every bucket of the period is listed, empty ones with zeros; a week
    cut by the period's bounds counts only its days within them."""
    now = now or utcnow()
    conditions = case_conditions(session, caller, subject)
    bucket = beijing_day if interval == "day" else beijing_week
    start, end = period.start, period.end
    reported = _grouped(session, bucket(CASE.reported_at).label("key"),
                        [func.count().label("reported")], conditions,
                        (_within(CASE.reported_at, start, end),))
    closed = _grouped(session, bucket(CASE.closed_at).label("key"),
                      [func.count().label("closed")], conditions,
                      (and_(STATUS == CLOSED, _within(CASE.closed_at, start, end)),))
    with_deadline, without = due_parts(start, _as_of(period, now))
    due: dict[Any, dict[str, int]] = {}
    for part, column in ((with_deadline, CASE.due_at), (without, CASE.closed_at)):
        for day, figures in _grouped(session, bucket(column).label("key"), _due_columns(),
                                     conditions, (part,)).items():
            entry = due.setdefault(as_date(day), dict.fromkeys(DUE_FIGURES, 0))
            for name, value in figures.items():
                entry[name] += value
    reported = {as_date(k): v for k, v in reported.items()}
    closed = {as_date(k): v for k, v in closed.items()}
    points = []
    for first in _buckets(period, interval):
        figures = due.get(first, dict.fromkeys(DUE_FIGURES, 0))
        # Rates of the cases due in the bucket; 超期率 and 满意率 are of a period, not here.
        rates = rates_of(figures | {"open": 0, "overdue": 0})
        points.append({"bucket": first.isoformat(),
                       "reported": reported.get(first, {}).get("reported", 0),
                       "closed": closed.get(first, {}).get("closed", 0),
                       "due": figures, "rates": rates})
    return points


def _buckets(period: Period, interval: str) -> list[dt.date]:
    if interval == "day":
        return [period.first + dt.timedelta(days=n) for n in range(period.days)]
    monday = period.first - dt.timedelta(days=period.first.weekday())
    weeks = []
    while monday <= period.last:
        weeks.append(monday)
        monday += dt.timedelta(days=7)
    return weeks
