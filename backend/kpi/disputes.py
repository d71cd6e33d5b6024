"""The disputes' figures (矛盾纠纷排查化解): part of the one KPI module, read by the API's
/kpi/disputes routes, the leader view and the assessment.

Definitions, for the grids in scope, as of T = the end of the period or now, whichever is
first ("today" is T's Beijing day):

- found: disputes found (found_on) in the period; found_settled: of those, settled by now.
  化解率 settlement_rate = found_settled / found.
- settled: disputes settled (settled_at) in the period, by where: at the grid, the community,
  the street, or by the office they were handed to. The plans' aim, "小事不出社区",
  is the share settled low: low_level_share = (grid + community) / settled.
- unsettled, high_risk_open, handover_overdue: disputes not settled now; of them, high risk; handed
  to an office whose deadline has passed. The register as it is now (no history).
- screenings: each half month ending in the period owes one report per grid
  (backend/disputes/screening.py). Due when its due day is before today, or when filed; on
  time or late as filed; missing when due and not filed.
  screening_on_time_rate = on time / due.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session

from backend.cases.sla import deadlines
from backend.core.crud import Caller
from backend.core.db import utcnow
from backend.disputes.entities import DISPUTE_SCREENINGS, DISPUTES
from backend.disputes.models import (
    Dispute,
    DisputeLevel,
    DisputeScreening,
    DisputeStatus,
    RiskLevel,
)
from backend.disputes.screening import due_on, half_month, halves_between
from backend.kpi.coverage import Scope, as_of, coverage_scope, summed
from backend.kpi.periods import Period, beijing_midnight, beijing_today
from backend.kpi.rates import dispute_rates_of
from backend.kpi.scope import Subject

OPEN = (DisputeStatus.registered, DisputeStatus.mediating, DisputeStatus.handed_over)
SETTLED_BY = {DisputeLevel.grid: "settled_grid", DisputeLevel.community: "settled_community",
              DisputeLevel.street: "settled_street", None: "settled_office"}
DISPUTE_FIGURES = ("found", "found_settled", "settled", *SETTLED_BY.values(), "unsettled",
                   "high_risk_open", "handover_overdue", "screenings_due",
                   "screenings_on_time", "screenings_late", "screenings_missing")


def _empty() -> dict[str, int]:
    return dict.fromkeys(("grids", *DISPUTE_FIGURES), 0)


def _count(condition) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)


def grid_dispute_figures(session: Session, scope: Scope, period: Period, now: dt.datetime
                         ) -> dict[str, dict[str, int]]:
    """Every dispute count of every grid in scope."""
    at, today = as_of(period, now)
    figures = {code: _empty() | {"grids": 1} for code in scope.grids}
    where = scope.conditions(DISPUTES)

    def add(grid_code: str, name: str, value: int) -> None:
        if grid_code in figures:
            figures[grid_code][name] += int(value)

    for grid_code, found, settled in session.execute(
            select(Dispute.grid_code, func.count(),
                   _count(Dispute.status == DisputeStatus.settled))
            .where(*where, Dispute.found_on >= period.first, Dispute.found_on <= today)
            .group_by(Dispute.grid_code)):
        add(grid_code, "found", found)
        add(grid_code, "found_settled", settled)
    for grid_code, level, settled in session.execute(
            select(Dispute.grid_code, Dispute.settled_level, func.count())
            .where(*where, Dispute.status == DisputeStatus.settled,
                   Dispute.settled_at >= beijing_midnight(period.first), Dispute.settled_at < at)
            .group_by(Dispute.grid_code, Dispute.settled_level)):
        add(grid_code, "settled", settled)
        add(grid_code, SETTLED_BY[level], settled)
    for grid_code, still_open, high, overdue in session.execute(
            select(Dispute.grid_code, func.count(), _count(Dispute.risk_level == RiskLevel.high),
                   _count((Dispute.status == DisputeStatus.handed_over) & (Dispute.due_at < now)))
            .where(*where, Dispute.status.in_(OPEN)).group_by(Dispute.grid_code)):
        add(grid_code, "unsettled", still_open)
        add(grid_code, "high_risk_open", high)
        add(grid_code, "handover_overdue", overdue)
    _add_screenings(session, scope, figures, halves_between(period.first, today), today)
    return figures


def _add_screenings(session: Session, scope: Scope, figures: dict[str, dict[str, int]],
                    halves: list[tuple[dt.date, dt.date]], today: dt.date) -> None:
    if not halves:
        return
    working = deadlines(session).calendar
    past_due = {first for first, last in halves if due_on(working, last) < today}
    filed: dict[str, dict[dt.date, bool]] = {}
    for grid_code, first, late in session.execute(
            select(DisputeScreening.grid_code, DisputeScreening.period_first,
                   DisputeScreening.late)
            .where(*scope.conditions(DISPUTE_SCREENINGS),
                   DisputeScreening.period_first.in_([first for first, _last in halves]))):
        filed.setdefault(grid_code, {})[first] = late
    for grid_code, entry in figures.items():
        reports = filed.get(grid_code, {})
        entry["screenings_due"] = len(past_due | set(reports))
        entry["screenings_late"] = sum(reports.values())
        entry["screenings_on_time"] = len(reports) - entry["screenings_late"]
        entry["screenings_missing"] = len(past_due - set(reports))


def dispute_figures(session: Session, *, caller: Caller, period: Period, subject: Subject,
                    by: str | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """The disputes' figures of the subject's grids in the period, and with `by` the same per
    street, community or grid (with names)."""
    now = now or utcnow()
    scope = coverage_scope(session, caller, subject, "矛盾纠纷统计")
    return summed(session, scope, grid_dispute_figures(session, scope, period, now), _empty,
                  dispute_rates_of, period, by, now)


def screening_status(session: Session, caller: Caller, subject: Subject, day: dt.date | None = None,
                     now: dt.datetime | None = None) -> dict[str, Any]:
    """Who has reported the half month holding `day` (default: the last one whose report is
    due by today), grid by grid: on time, late, missing (due day passed), or waiting."""
    now = now or utcnow()
    today = beijing_today(now)
    working = deadlines(session).calendar
    if day is None:
        first, last = half_month(today)
        while due_on(working, last) > today:  # not due yet: the one before
            first, last = half_month(first - dt.timedelta(days=1))
    else:
        first, last = half_month(day)
    due = due_on(working, last)
    scope = coverage_scope(session, caller, subject, "矛盾纠纷排查上报情况")
    reports = {r.grid_code: r for r in session.execute(
        select(DisputeScreening).where(*scope.conditions(DISPUTE_SCREENINGS),
                                       DisputeScreening.period_first == first)).scalars()}
    items = []
    for code, name in sorted(scope.grids.items()):
        report = reports.get(code)
        if report is not None:
            status = "late" if report.late else "on_time"
        else:
            status = "missing" if due < today else "waiting"
        items.append({"grid_code": code, "grid_name": name, "status": status,
                      "filed_at": report.filed_at if report else None,
                      "filed_by": report.filed_by if report else None,
                      "nil_report": report.nil_report if report else None,
                      "dispute_count": report.dispute_count if report else None})
    counts = {status: sum(1 for i in items if i["status"] == status)
              for status in ("on_time", "late", "missing", "waiting")}
    return {"period_first": first, "period_last": last, "due_on": due, "as_of": now,
            **counts, "items": items}
