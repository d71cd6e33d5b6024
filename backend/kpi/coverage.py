"""Field-work coverage: are the grids walked, the households visited, the logs written, as
the plans and the area's coverage rule want. Part of the one KPI module: the API's
/kpi/coverage routes, the workbench, the panel and the assessment read these.

Definitions, as of T = the end of the period or now, whichever is first; "today" is T's day
in Beijing:

- patrols: a grid-day of the period (up to today) is covered when the grid was walked that
  day or in the rule's `patrol_every_days` - 1 days before it (every day: that day). A grid
  is unpatrolled today when today is not covered.
- visits: a household is covered when it was visited within the rule's months before today
  (a key household, one with any resident tagged with a key group (重点人群, 困难群众 and the
  others), `key_visit_every_months`; any other, `household_visit_every_months`); otherwise
  it is overdue. The ledgers as they are now (they keep no history).
- 帮教: the residents of special groups on a supervision schedule, and those overdue for
  their 帮教 visit (backend/kpi/supervision.py), counted; the names only there.
- work logs: every active team member who keeps a log (GridStaff.keeps_work_log) owes one
  for every working day of the period up to today, except the days of their leave. A log of
  a working day counts once; missing = owed - written.

The rule of a grid is the coverage_rule of the longest code above it (none: DEFAULT_RULE).
Counted in the database, grouped by grid; what is summed per area is summed here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Text,
    case,
    exists,
    func,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from backend.areas.entities import GRIDS
from backend.areas.models import Area, Grid
from backend.cases.sla import deadlines
from backend.core import area_codes
from backend.core.crud import Caller
from backend.core.db import BEIJING, utcnow
from backend.core.errors import ProblemError
from backend.fieldwork.entities import PATROLS, VISITS, WORK_LOGS
from backend.fieldwork.models import CoverageRule, Patrol, Visit, WorkLog, WorkLogStatus
from backend.kpi import supervision
from backend.kpi.periods import Period, PeriodKind, beijing_midnight, period_of
from backend.kpi.rates import coverage_rates_of
from backend.kpi.scope import Subject, area_conditions, ledger_grants
from backend.kpi.sql import as_date, beijing_day
from backend.kpi.supervision import FIGURES as SUPERVISION_FIGURES
from backend.ledgers.entities import HOUSEHOLDS, RESIDENTS
from backend.ledgers.models import Building, Household, Resident
from backend.team.entities import GRID_STAFF, STAFF_LEAVES
from backend.team.models import GridStaff, StaffLeave, TeamRole
from rbac.scope import Grant


@dataclass(frozen=True)
class Rule:
    patrol_every_days: int = 1
    key_visit_every_months: int = 3
    household_visit_every_months: int = 12


DEFAULT_RULE = Rule()  # the plans: every day; key households every quarter; all every year
LEVEL_LENGTH = {"street": area_codes.STREET_LENGTH, "community": area_codes.COMMUNITY_LENGTH,
                "grid": area_codes.GRID_LENGTH}


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier (the month's last day where it has fewer days)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for last in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


class Rules:
    """The coverage rules in force: the one of the longest code above each grid."""

    def __init__(self, session: Session) -> None:
        rows = session.execute(select(CoverageRule)).scalars()
        self.by_code = {r.area_code: Rule(r.patrol_every_days, r.key_visit_every_months,
                                          r.household_visit_every_months) for r in rows}

    def of(self, grid_code: str) -> Rule:
        for code in reversed(area_codes.lineage(grid_code)):
            if code in self.by_code:
                return self.by_code[code]
        return DEFAULT_RULE


@dataclass
class Scope:
    """The grids the figures are of, within the caller's area grants and the subject."""

    grants: list[Grant] | None
    subject: Subject
    grids: dict[str, str]  # code -> name

    def conditions(self, spec) -> list[ColumnElement[bool]]:
        return area_conditions(self.grants, self.subject, spec)


def coverage_scope(session: Session, caller: Caller, subject: Subject,
                   figures: str = "网格工作统计") -> Scope:
    """The grids of the subject the caller may count (404 / 403 / 422 as for ledger counts,
    the refusals naming `figures`)."""
    grants = ledger_grants(session, caller, subject, figures)
    grids = dict(session.execute(select(Grid.code, Grid.name).where(
        *area_conditions(grants, subject, GRIDS))).tuples().all())
    return Scope(grants, subject, grids)


def as_of(period: Period, now: dt.datetime) -> tuple[dt.datetime, dt.date]:
    at = min(period.end, now)
    return at, (at - dt.timedelta(microseconds=1)).astimezone(BEIJING).date()


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


# --- patrols --------------------------------------------------------------------------------


def _walked_days(session: Session, scope: Scope, first: dt.date, at: dt.datetime
                 ) -> dict[str, set[dt.date]]:
    """Each grid's Beijing days with a walk, from `first` to `at`."""
    day = beijing_day(Patrol.started_at)
    rows = session.execute(
        select(Patrol.grid_code, day).where(
            *scope.conditions(PATROLS), Patrol.started_at >= beijing_midnight(first),
            Patrol.started_at < at).group_by(Patrol.grid_code, day))
    walked: dict[str, set[dt.date]] = defaultdict(set)
    for grid_code, walked_on in rows:
        walked[grid_code].add(as_date(walked_on))
    return walked


def _covered(walked: set[dt.date], day: dt.date, every: int) -> bool:
    return any(day - dt.timedelta(days=n) in walked for n in range(every))


def patrol_figures(session: Session, scope: Scope, rules: Rules, period: Period,
                   now: dt.datetime) -> dict[str, dict[str, int]]:
    """Per grid: grid-days of the period, covered, and whether today is covered."""
    at, today = as_of(period, now)
    days = _days(period.first, today)
    longest = max([rules.of(code).patrol_every_days for code in scope.grids] or [1])
    walked = _walked_days(session, scope, period.first - dt.timedelta(days=longest - 1), at)
    figures = {}
    for code in scope.grids:
        every, grid_walked = rules.of(code).patrol_every_days, walked.get(code, set())
        # Walked every day (the usual rule): the days walked are the days covered.
        covered = (len(grid_walked.intersection(days)) if every == 1
                   else sum(_covered(grid_walked, day, every) for day in days))
        figures[code] = {
            "grid_days": len(days),
            "covered_grid_days": covered,
            "unpatrolled_today": int(not _covered(grid_walked, today, every)),
        }
    return figures


def unpatrolled_grids(session: Session, caller: Caller, subject: Subject,
                      now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The grids not walked as their rule wants, as of now: name, last walk, chief, phone."""
    now = now or utcnow()
    scope = coverage_scope(session, caller, subject)
    rules = Rules(session)
    today = now.astimezone(BEIJING).date()
    period = period_of(PeriodKind.day, today)
    figures = patrol_figures(session, scope, rules, period, now)
    codes = sorted(code for code, f in figures.items() if f["unpatrolled_today"])
    if not codes:
        return []
    last = dict(session.execute(select(Patrol.grid_code, func.max(Patrol.started_at))
                                .where(Patrol.grid_code.in_(codes), Patrol.started_at < now)
                                .group_by(Patrol.grid_code)).tuples().all())
    chiefs = {row.grid_code: row for row in session.execute(
        select(GridStaff.grid_code, GridStaff.name, GridStaff.phone).where(
            GridStaff.grid_code.in_(codes), GridStaff.team_role == TeamRole.grid_chief,
            GridStaff.is_active).order_by(GridStaff.id))}
    return [{"grid_code": code, "grid_name": scope.grids[code],
             "patrol_every_days": rules.of(code).patrol_every_days,
             "last_patrol_at": last.get(code),
             "chief_name": chiefs[code].name if code in chiefs else None,
             "chief_phone": chiefs[code].phone if code in chiefs else None}
            for code in codes]


# --- visits ---------------------------------------------------------------------------------


def _is_key(scope: Scope):
    """The household has a resident with any key-group tag (stored `|tag|...`, '' for none).
    The scope is said again on the residents: PostgreSQL answers the correlated test with a
    join over the residents it may read, not all of them."""
    return exists().where(Resident.household_id == Household.id,
                          type_coerce(Resident.key_groups, Text) != "",
                          *scope.conditions(RESIDENTS))


def _last_visit(scope: Scope, today: dt.date):
    return (select(func.max(Visit.visit_date))
            .where(Visit.household_id == Household.id, Visit.visit_date <= today,
                   *scope.conditions(VISITS))
            .scalar_subquery())


def _cutoffs(rules: Rules, codes: Iterable[str], today: dt.date) -> dict[int, dt.date]:
    """Months -> the day a visit must come after, for every rule's months in use."""
    months = {m for code in codes for m in (rules.of(code).key_visit_every_months,
                                            rules.of(code).household_visit_every_months)}
    return {m: months_before(today, m)
            for m in months or {DEFAULT_RULE.household_visit_every_months}}


def visit_figures(session: Session, scope: Scope, rules: Rules, period: Period,
                  now: dt.datetime) -> dict[str, dict[str, int]]:
    """Per grid: households and key households, and how many of each are covered."""
    _at, today = as_of(period, now)
    cutoffs = _cutoffs(rules, scope.grids, today)
    inner = select(Household.grid_code.label("grid_code"), _is_key(scope).label("is_key"),
                   _last_visit(scope, today).label("last_visit")).where(
        *scope.conditions(HOUSEHOLDS)).subquery()
    visited_after = [func.coalesce(func.sum(case((inner.c.last_visit > cutoff, 1), else_=0)), 0)
                     .label(f"after_{months}") for months, cutoff in cutoffs.items()]
    rows = session.execute(select(inner.c.grid_code, type_coerce(inner.c.is_key, Integer),
                                  func.count(), *visited_after)
                           .group_by(inner.c.grid_code, inner.c.is_key))
    figures: dict[str, dict[str, int]] = {}
    for grid_code, is_key, households, *after in rows:
        rule = rules.of(grid_code)
        by_months = dict(zip(cutoffs, after, strict=True))
        entry = figures.setdefault(grid_code, {"households": 0, "visited": 0,
                                               "key_households": 0, "key_visited": 0})
        if is_key:
            entry["key_households"] += households
            entry["key_visited"] += int(by_months[rule.key_visit_every_months])
        entry["households"] += households
        entry["visited"] += int(by_months[rule.key_visit_every_months if is_key
                                          else rule.household_visit_every_months])
    return figures


def due_visits(session: Session, caller: Caller, subject: Subject, *, key_only: bool = False,
               limit: int = 50, offset: int = 0, now: dt.datetime | None = None
               ) -> dict[str, Any]:
    """The households overdue for a visit, longest unvisited first (never visited first of
    all): who they are is personal data (a key household is a key-group tag), so only for
    roles that read households unmasked."""
    principal = caller.principal
    if principal is not None and not (principal.can(HOUSEHOLDS.name, "read")
                                      and principal.can(HOUSEHOLDS.name, "pii")):
        raise ProblemError(403, "无权查看待走访户名单 (需要户的个人信息权限)")
    now = now or utcnow()
    scope = coverage_scope(session, caller, subject)
    rules = Rules(session)
    today = now.astimezone(BEIJING).date()
    is_key = _is_key(scope).label("is_key")
    last_visit = _last_visit(scope, today).label("last_visit")
    inner = select(Household.id, Household.grid_code, Household.room, Household.head_name,
                   Building.name.label("building_name"), is_key, last_visit).join(
        Building, Building.id == Household.building_id).where(
        *scope.conditions(HOUSEHOLDS)).subquery()
    # A household is overdue when its last visit is not after its rule's cutoff; the rules'
    # few (zone, cutoff) pairs become one CASE over the grid code's prefixes.
    key_cutoff, all_cutoff = _cutoff_case(rules, inner.c.grid_code, today)
    overdue = case((inner.c.is_key, key_cutoff), else_=all_cutoff) >= func.coalesce(
        inner.c.last_visit, dt.date(1900, 1, 1))
    conditions = [overdue] + ([inner.c.is_key] if key_only else [])
    total = session.execute(select(func.count()).select_from(inner).where(*conditions)
                            ).scalar_one()
    rows = session.execute(select(inner).where(*conditions).order_by(
        inner.c.last_visit.is_not(None), inner.c.last_visit, inner.c.id
    ).limit(limit).offset(offset)).all()
    items = []
    for row in rows:
        rule = rules.of(row.grid_code)
        months = (rule.key_visit_every_months if row.is_key
                  else rule.household_visit_every_months)
        items.append({"household_id": row.id, "grid_code": row.grid_code,
                      "grid_name": scope.grids.get(row.grid_code),
                      "building_name": row.building_name, "room": row.room,
                      "head_name": row.head_name, "is_key": bool(row.is_key),
                      "visit_every_months": months,
                      "last_visit_date": as_date(row.last_visit) if row.last_visit else None})
    return {"as_of": now, "total": total, "limit": limit, "offset": offset, "items": items}


def due_supervision(session: Session, caller: Caller, subject: Subject, **options: Any
                    ) -> dict[str, Any]:
    """The residents overdue for their 帮教 visit (backend/kpi/supervision.py), within the
    coverage's scope."""
    return supervision.due_supervision(session, caller, coverage_scope(session, caller, subject,
                                                                     "帮教统计"), **options)


def _cutoff_case(rules: Rules, grid_code, today: dt.date):
    """(key cutoff, household cutoff) of each row's grid, as SQL: the rules' codes longest
    first, then the default."""
    ordered = sorted(rules.by_code.items(), key=lambda item: -len(item[0]))

    def cutoff_of(months_of) -> Any:
        whens = [(area_codes.subtree_condition(grid_code, code),
                  months_before(today, months_of(rule))) for code, rule in ordered]
        default = months_before(today, months_of(DEFAULT_RULE))
        return case(*whens, else_=default) if whens else literal(default, Date)

    return (cutoff_of(lambda r: r.key_visit_every_months),
            cutoff_of(lambda r: r.household_visit_every_months))


# --- work logs ------------------------------------------------------------------------------


def _leave_days(session: Session, scope: Scope, first: dt.date, last: dt.date
                ) -> dict[int, set[dt.date]]:
    rows = session.execute(select(StaffLeave.staff_id, StaffLeave.first_day, StaffLeave.last_day)
                           .where(*scope.conditions(STAFF_LEAVES),
                                  StaffLeave.first_day <= last, StaffLeave.last_day >= first))
    away: dict[int, set[dt.date]] = defaultdict(set)
    for staff_id, start, end in rows:
        away[staff_id].update(_days(max(start, first), min(end, last)))
    return away


def work_log_rows(session: Session, scope: Scope, period: Period, now: dt.datetime
                  ) -> list[dict[str, Any]]:
    """Per team member who keeps a log: days owed, logs written, missing, awaiting review,
    returned, the last log's day, and whether today's is missing."""
    _at, today = as_of(period, now)
    calendar = deadlines(session).calendar
    days = _days(period.first, today)
    working = [day for day in days if calendar.is_working_day(day)]
    resting = [day for day in days if not calendar.is_working_day(day)]
    staff = session.execute(select(GridStaff.id, GridStaff.grid_code, GridStaff.name)
                            .where(*scope.conditions(GRID_STAFF), GridStaff.keeps_work_log,
                                   GridStaff.is_active).order_by(GridStaff.grid_code,
                                                                 GridStaff.id)).all()
    on_working_day = [WorkLog.log_date >= period.first, WorkLog.log_date <= today]
    if resting:
        on_working_day.append(WorkLog.log_date.not_in(resting))
    written = {row.staff_id: row for row in session.execute(
        select(WorkLog.staff_id, func.count().label("written"),
               func.max(WorkLog.log_date).label("last_log_date"),
               func.coalesce(func.sum(case((WorkLog.status == WorkLogStatus.submitted, 1),
                                           else_=0)), 0).label("awaiting_review"),
               func.coalesce(func.sum(case((WorkLog.status == WorkLogStatus.returned, 1),
                                           else_=0)), 0).label("returned"))
        .where(*scope.conditions(WORK_LOGS), WorkLog.staff_id.is_not(None), *on_working_day)
        .group_by(WorkLog.staff_id))}
    away = _leave_days(session, scope, period.first, today)
    today_owed = calendar.is_working_day(today)
    result = []
    for member in staff:
        leave = away.get(member.id)
        owed = len(working) if not leave else sum(1 for day in working if day not in leave)
        log = written.get(member.id)
        count = min(int(log.written), owed) if log is not None else 0
        last_log = as_date(log.last_log_date) if log is not None else None
        result.append({
            "staff_id": member.id, "name": member.name, "grid_code": member.grid_code,
            "grid_name": scope.grids.get(member.grid_code), "owed": owed, "written": count,
            "missing": owed - count,
            "awaiting_review": int(log.awaiting_review) if log is not None else 0,
            "returned": int(log.returned) if log is not None else 0,
            "last_log_date": last_log,
            "missing_today": int(today_owed and today not in away.get(member.id, ())
                                 and last_log != today)})
    return result


def missing_work_logs(session: Session, caller: Caller, subject: Subject, period: Period,
                      now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The team members with logs missing in the period, most missing first."""
    now = now or utcnow()
    scope = coverage_scope(session, caller, subject)
    rows = [r for r in work_log_rows(session, scope, period, now) if r["missing"]]
    return sorted(rows, key=lambda r: (-r["missing"], r["grid_code"], r["name"]))


# --- all together ---------------------------------------------------------------------------

PATROL_FIGURES = ("grid_days", "covered_grid_days", "unpatrolled_today")
VISIT_FIGURES = ("households", "visited", "key_households", "key_visited")
LOG_FIGURES = ("staff", "owed", "written", "missing", "awaiting_review", "returned",
               "missing_today")


def _empty() -> dict[str, int]:
    return dict.fromkeys(("grids", *PATROL_FIGURES, *VISIT_FIGURES, *SUPERVISION_FIGURES,
                          *LOG_FIGURES), 0)


def grid_figures(session: Session, scope: Scope, period: Period, now: dt.datetime
                 ) -> dict[str, dict[str, int]]:
    """Every count of every grid in scope."""
    rules = Rules(session)
    figures = {code: _empty() | {"grids": 1} for code in scope.grids}
    for code, counts in patrol_figures(session, scope, rules, period, now).items():
        figures[code].update(counts)
    for code, counts in visit_figures(session, scope, rules, period, now).items():
        if code in figures:
            figures[code].update(counts)
    _at, today = as_of(period, now)
    for code, counts in supervision.supervision_figures(session, scope.conditions(RESIDENTS),
                                                        today).items():
        if code in figures:
            figures[code].update(counts)
    for row in work_log_rows(session, scope, period, now):
        entry = figures.get(row["grid_code"])
        if entry is None:
            continue
        entry["staff"] += 1
        for name in ("owed", "written", "missing", "awaiting_review", "returned",
                     "missing_today"):
            entry[name] += row[name]
    return figures


def coverage(session: Session, *, caller: Caller, period: Period, subject: Subject,
             by: str | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """The coverage figures of the subject's grids in the period, and with `by` the same per
    street, community or grid (with names)."""
    now = now or utcnow()
    scope = coverage_scope(session, caller, subject)
    return summed(session, scope, grid_figures(session, scope, period, now), _empty,
                  coverage_rates_of, period, by, now)


def summed(session: Session, scope: Scope, per_grid: dict[str, dict[str, int]],
           empty: Callable[[], dict[str, int]],
           rates_of: Callable[[dict[str, Any]], dict[str, float | None]], period: Period,
           by: str | None, now: dt.datetime) -> dict[str, Any]:
    """Grid counts summed over the scope, and with `by` per street, community or grid (with
    names), each with its rates: the answer of every per-grid figure of the KPI module."""
    total = empty()
    units: dict[str, dict[str, int]] = {}
    for code, counts in per_grid.items():
        unit = units.setdefault(code[:LEVEL_LENGTH[by]], empty()) if by else None
        for name, value in counts.items():
            total[name] += value
            if unit is not None:
                unit[name] += value
    at, _today = as_of(period, now)
    result: dict[str, Any] = {"period": period.as_dict(), "area_code": scope.subject.area_code,
                              "as_of": at, **total, "rates": rates_of(total)}
    if by is not None:
        names = unit_names(session, by, units, scope)
        result["by"] = [{"code": code, "name": names.get(code), **counts,
                         "rates": rates_of(counts)} for code, counts in sorted(units.items())]
    return result


def unit_names(session: Session, by: str, units: dict[str, Any], scope: Scope
                ) -> dict[str, str]:
    if by == "grid":
        return dict(scope.grids)
    if not units:
        return {}
    return dict(session.execute(select(Area.code, Area.name).where(Area.code.in_(list(units))))
                .tuples().all())
