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

Rates are fractions (0–1) and None when their denominator is 0 (nothing due: no rate, not 0).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from backend.cases.entities import RUNNING_STATUSES
from backend.cases.models import OPEN_STATUSES, CaseStatus, Department
from backend.cases.sla import settings_of
from backend.core import area_codes
from backend.core.config import Settings
from backend.core.crud import Caller
from backend.core.db import utcnow
from backend.areas.models import Area, Grid
from backend.kpi.buckets import as_date, beijing_day, beijing_week
from backend.kpi.periods import Period
from backend.kpi.scope import CASE, Subject, case_conditions

CLOSED, CANCELLED, HANDLED = CaseStatus.closed, CaseStatus.cancelled, CaseStatus.handled
RATE_DIGITS = 4
SCORE_DIGITS = 1

# Rankings: what a row is grouped by, as SQL over the case table.
RANK_KEYS = {
    "department": CASE.department_code,
    "street": func.substr(CASE.grid_code, 1, area_codes.STREET_LENGTH),
    "community": func.substr(CASE.grid_code, 1, area_codes.COMMUNITY_LENGTH),
    "grid": CASE.grid_code,
}


# What each figure is called, for every client (GET /api/v1/labels): zh-CN, English.
FIGURE_LABELS = {
    "reported": ("上报数", "reported"),
    "filed": ("立案数", "filed"),
    "dispatched": ("派遣数", "dispatched"),
    "closed": ("结案数", "closed"),
    "cancelled": ("作废数", "cancelled"),
    "due": ("应结案数", "due"),
    "closed_on_time": ("按期结案数", "closed on time"),
    "handled": ("处置数", "handled"),
    "handled_on_time": ("按期处置数", "handled on time"),
    "reworked": ("返工案卷数", "reworked cases"),
    "reworks": ("返工次数", "reworks"),
    "extended": ("延期案卷数", "extended cases"),
    "open": ("未办结数", "open"),
    "overdue": ("超期未处置数", "overdue"),
    "evaluated": ("评价数", "evaluated"),
    "satisfied": ("满意数", "satisfied"),
    "average": ("平均满意度", "average satisfaction"),
    "closure_rate": ("结案率", "closure rate"),
    "on_time_closure_rate": ("按期结案率", "on-time closure rate"),
    "handling_rate": ("处置率", "handling rate"),
    "on_time_handling_rate": ("按期处置率", "on-time handling rate"),
    "rework_rate": ("返工率", "rework rate"),
    "extension_rate": ("延期率", "extension rate"),
    "overdue_rate": ("超期率", "overdue rate"),
    "satisfaction_rate": ("满意率", "satisfaction rate"),
    "score": ("综合得分", "score"),
    "grade": ("等级", "grade"),
}


def _count(condition: ColumnElement[bool]):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _within(column, start: dt.datetime, end: dt.datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def due_condition(start: dt.datetime, end: dt.datetime) -> ColumnElement[bool]:
    """Due in [start, end): the deadline in force falls in it; a case closed without any
    deadline is due when it closed."""
    return and_(CASE.status != CANCELLED, or_(
        _within(CASE.due_at, start, end),
        and_(CASE.due_at.is_(None), CASE.status == CLOSED, _within(CASE.closed_at, start, end))))


def _due_columns() -> list:
    done = CASE.status.in_((HANDLED, CLOSED))
    no_deadline = CASE.due_at.is_(None)
    return [
        func.count().label("due"),
        _count(CASE.status == CLOSED).label("closed"),
        _count(and_(CASE.status == CLOSED, or_(no_deadline, CASE.closed_at <= CASE.due_at))
               ).label("closed_on_time"),
        _count(done).label("handled"),
        _count(and_(done, or_(no_deadline, func.coalesce(CASE.handled_at, CASE.closed_at)
                              <= CASE.due_at))).label("handled_on_time"),
        _count(CASE.rework_count > 0).label("reworked"),
        func.coalesce(func.sum(CASE.rework_count), 0).label("reworks"),
        _count(CASE.extension_count > 0).label("extended"),
    ]


DUE_FIGURES = ("due", "closed", "closed_on_time", "handled", "handled_on_time", "reworked",
               "reworks", "extended")


def _open_at(at: dt.datetime, now: dt.datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """(open at `at`, overdue at `at`) as conditions. Up to now the case's status tells (a
    case leaves the open statuses exactly when closed_at is set), which the status index
    answers; before, its times do."""
    if at >= now:
        return (CASE.status.in_(OPEN_STATUSES),
                and_(CASE.status.in_(RUNNING_STATUSES), CASE.due_at < now))
    is_open = and_(CASE.reported_at < at, or_(CASE.closed_at.is_(None), CASE.closed_at >= at))
    return is_open, and_(CASE.due_at < at, or_(CASE.handled_at.is_(None), CASE.handled_at >= at))


def _fraction(part: int | None, whole: int | None) -> float | None:
    return part / whole if whole else None


def _fractions(figures: dict[str, Any]) -> dict[str, float | None]:
    """The standard rates from the counts, unrounded: the one place each is divided."""
    due = figures["due"]
    return {
        "closure_rate": _fraction(figures["closed"], due),  # 结案率
        "on_time_closure_rate": _fraction(figures["closed_on_time"], due),  # 按期结案率
        "handling_rate": _fraction(figures["handled"], due),  # 处置率
        "on_time_handling_rate": _fraction(figures["handled_on_time"], due),  # 按期处置率
        "rework_rate": _fraction(figures["reworked"], due),  # 返工率
        "extension_rate": _fraction(figures["extended"], due),  # 延期率
        "overdue_rate": _fraction(figures["overdue"], figures["open"]),  # 超期率
        "satisfaction_rate": _fraction(figures.get("satisfied"), figures.get("evaluated")),  # 满意率
    }


def rates_of(figures: dict[str, Any]) -> dict[str, float | None]:
    """The rates as shown: fractions rounded to RATE_DIGITS, None where nothing to divide."""
    return {name: None if value is None else round(value, RATE_DIGITS)
            for name, value in _fractions(figures).items()}


def score_of(figures: dict[str, Any], settings: Settings) -> tuple[float | None, str | None]:
    """The department score (0–100) with the published weights, from the unrounded rates, and
    its grade; (None, None) when nothing was due. With nothing open, nothing is overdue:
    1 − 超期率 counts whole."""
    rates = _fractions(figures)
    if rates["handling_rate"] is None:
        return None, None
    overdue = rates["overdue_rate"] or 0.0
    score = (settings.kpi_weight_handled * rates["handling_rate"]
             + settings.kpi_weight_handled_on_time * rates["on_time_handling_rate"]
             + settings.kpi_weight_not_reworked * (1 - rates["rework_rate"])
             + settings.kpi_weight_not_overdue * (1 - overdue)
             + settings.kpi_weight_not_extended * (1 - rates["extension_rate"]))
    score = round(score, SCORE_DIGITS)
    return score, grade_of(score, settings)


def grade_of(score: float, settings: Settings) -> str:
    if score >= settings.kpi_grade_a:
        return "A"
    if score >= settings.kpi_grade_b:
        return "B"
    if score >= settings.kpi_grade_c:
        return "C"
    return "D"


def _subquery_count(conditions: list, condition: ColumnElement[bool]):
    return select(func.count()).where(*conditions, condition).scalar_subquery()


def flow_counts(session: Session, conditions: list, period: Period) -> dict[str, int]:
    """Reported, filed, dispatched, closed and cancelled in the period: one statement, each
    count on its own time column's index."""
    start, end = period.start, period.end
    row = session.execute(select(
        _subquery_count(conditions, _within(CASE.reported_at, start, end)).label("reported"),
        _subquery_count(conditions, _within(CASE.filed_at, start, end)).label("filed"),
        _subquery_count(conditions, _within(CASE.dispatched_at, start, end)).label("dispatched"),
        _subquery_count(conditions, and_(_within(CASE.closed_at, start, end),
                                         CASE.status == CLOSED)).label("closed"),
        _subquery_count(conditions, and_(_within(CASE.closed_at, start, end),
                                         CASE.status == CANCELLED)).label("cancelled"),
    )).one()
    return dict(row._mapping)


def _as_of(period: Period, now: dt.datetime) -> dt.datetime:
    return min(period.end, now)


def due_counts(session: Session, conditions: list, period: Period, now: dt.datetime
               ) -> dict[str, int]:
    row = session.execute(select(*_due_columns()).where(
        *conditions, due_condition(period.start, _as_of(period, now)))).one()
    return {name: int(value) for name, value in row._mapping.items()}


def open_counts(session: Session, conditions: list, period: Period, now: dt.datetime
                ) -> dict[str, int]:
    is_open, overdue = _open_at(_as_of(period, now), now)
    row = session.execute(select(func.count().label("open"), _count(overdue).label("overdue"))
                          .where(*conditions, is_open)).one()
    return {name: int(value) for name, value in row._mapping.items()}


def satisfaction_counts(session: Session, conditions: list, period: Period) -> dict[str, Any]:
    """Evaluations (1–5) of the cases closed in the period: how many, how many 4 or 5, mean."""
    row = session.execute(select(
        func.count(CASE.satisfaction).label("evaluated"),
        _count(CASE.satisfaction >= 4).label("satisfied"),
        func.avg(CASE.satisfaction).label("average"),
    ).where(*conditions, CASE.status == CLOSED, _within(CASE.closed_at, period.start, period.end),
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
    opened = open_counts(session, conditions, period, now)
    satisfaction = satisfaction_counts(session, conditions, period)
    figures = due | opened | satisfaction
    rates = rates_of(figures)
    score, grade = score_of(figures, settings_of(session))
    return {"period": period.as_dict(), "area_code": subject.area_code,
            "department_code": subject.department_code, "as_of": _as_of(period, now),
            "counts": counts, "due": due, "open": opened, "satisfaction": satisfaction,
            "rates": rates, "score": score, "grade": grade}


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
    with nothing due last, by code). Grouped in the database: one row per unit."""
    now = now or utcnow()
    conditions = case_conditions(session, caller, subject)
    key = RANK_KEYS[by].label("key")
    rows: dict[str | None, dict[str, Any]] = {}
    due_rows = session.execute(select(key, *_due_columns()).where(
        *conditions, due_condition(period.start, _as_of(period, now))).group_by(key))
    for row in due_rows:
        rows[row.key] = {name: int(getattr(row, name)) for name in DUE_FIGURES}
    is_open, overdue = _open_at(_as_of(period, now), now)
    open_rows = session.execute(select(key, func.count().label("open"),
                                       _count(overdue).label("overdue"))
                                .where(*conditions, is_open).group_by(key))
    empty = dict.fromkeys(DUE_FIGURES, 0)
    for row in open_rows:
        rows.setdefault(row.key, dict(empty)).update(open=int(row.open), overdue=int(row.overdue))
    if by == "department":
        rows.pop(None, None)  # not dispatched (waiting, handled on site): no department's work
    names = _names(session, by, rows)
    settings = settings_of(session)
    ranked = []
    for code, figures in rows.items():
        figures.setdefault("open", 0)
        figures.setdefault("overdue", 0)
        rates = rates_of(figures)
        score, grade = score_of(figures, settings)
        ranked.append({"code": code, "name": names.get(code),
                       **figures, "rates": rates, "score": score, "grade": grade})
    ranked.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["code"] or ""))
    for n, row in enumerate(ranked, start=1):
        row["rank"] = n if row["score"] is not None else None
    return ranked


def trends(session: Session, *, caller: Caller, period: Period, subject: Subject,
           interval: str, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Per Beijing day or ISO week (Monday first) of the period: reported, closed, the cases
    due and their rates. Every bucket of the period is listed, empty ones with zeros; a week
    cut by the period's bounds counts only its days within them."""
    now = now or utcnow()
    conditions = case_conditions(session, caller, subject)
    bucket = beijing_day if interval == "day" else beijing_week
    start, end = period.start, period.end
    figures: dict[dt.date, dict[str, int]] = {}

    def add(stmt, names: tuple[str, ...]) -> None:
        for row in session.execute(stmt):
            entry = figures.setdefault(as_date(row[0]), {})
            entry.update({name: int(value) for name, value in zip(names, row[1:], strict=True)})

    reported_day = bucket(CASE.reported_at).label("bucket")
    add(select(reported_day, func.count()).where(*conditions, _within(CASE.reported_at, start,
                                                                      end)).group_by(reported_day),
        ("reported",))
    closed_day = bucket(CASE.closed_at).label("bucket")
    add(select(closed_day, func.count()).where(
        *conditions, CASE.status == CLOSED, _within(CASE.closed_at, start, end)
    ).group_by(closed_day), ("flow_closed",))
    due_day = bucket(func.coalesce(CASE.due_at, CASE.closed_at)).label("bucket")
    add(select(due_day, *_due_columns()).where(
        *conditions, due_condition(start, _as_of(period, now))).group_by(due_day), DUE_FIGURES)
    points = []
    no_due = dict.fromkeys(DUE_FIGURES, 0)
    for first in _buckets(period, interval):
        entry = figures.get(first, {})
        due = {name: entry.get(name, 0) for name in DUE_FIGURES}
        # Rates of the cases due in the bucket; 超期率 and 满意率 are of a period, not here.
        rates = rates_of(no_due | due | {"open": 0, "overdue": 0})
        points.append({"bucket": first.isoformat(), "reported": entry.get("reported", 0),
                       "closed": entry.get("flow_closed", 0), "due": due, "rates": rates})
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

