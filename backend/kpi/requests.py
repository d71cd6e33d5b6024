"""民情 and 代办 in figures ("百姓诉求全应答, 百姓事务全代办"): part of the one KPI module, read by
the API's /kpi/requests and the leader view.

Definitions, for the grids in scope, as of T = the end of the period or now, whichever is
first:

- requests: residents' requests received (received_at) in the period; of them closed (settled,
  or referred to the case or dispute they became) and closed by their deadline (due_at).
  诉求按时办结率 request_on_time_rate = closed in time / received.
- requests_open, requests_overdue: requests open at T; of them past their deadline.
- errands: errands accepted in the period; of them answered (应答) by their answer deadline,
  done, declined. 代办应答及时率 errand_answer_rate = answered in time / accepted;
  代办办结率 errand_done_rate = done / accepted.
- errands_unanswered_overdue: errands not yet answered at T whose answer deadline has passed.
The registers as they are now: a request closed after T counts as open at T only through its
closing time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Integer, and_, case, func, or_, select
from sqlalchemy.orm import Session

from backend.core.crud import Caller
from backend.core.db import utcnow
from backend.kpi.coverage import Scope, as_of, coverage_scope, summed
from backend.kpi.periods import Period, beijing_midnight
from backend.kpi.rates import request_rates_of
from backend.kpi.scope import Subject
from backend.requests_desk.entities import ERRANDS, RESIDENT_REQUESTS
from backend.requests_desk.models import Errand, ErrandStatus, RequestStatus, ResidentRequest

REQUEST_FIGURES = ("requests", "requests_closed", "requests_closed_in_time", "requests_open",
                   "requests_overdue", "errands", "errands_answered_in_time", "errands_done",
                   "errands_declined", "errands_unanswered_overdue")


def _empty() -> dict[str, int]:
    return dict.fromkeys(("grids", *REQUEST_FIGURES), 0)


def _count(condition) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)


def grid_request_figures(session: Session, scope: Scope, period: Period, now: dt.datetime
                         ) -> dict[str, dict[str, int]]:
    """Every 民情 and 代办 count of every grid in scope."""
    at, _today = as_of(period, now)
    start = beijing_midnight(period.first)
    figures = {code: _empty() | {"grids": 1} for code in scope.grids}

    def add(grid_code: str, counts: dict[str, Any]) -> None:
        if grid_code in figures:
            for name, value in counts.items():
                figures[grid_code][name] += int(value)

    closed = and_(ResidentRequest.status != RequestStatus.open,
                  ResidentRequest.settled_at < at)
    for grid_code, received, done, in_time in session.execute(
            select(ResidentRequest.grid_code, func.count(), _count(closed),
                   _count(closed & (ResidentRequest.settled_at <= ResidentRequest.due_at)))
            .where(*scope.conditions(RESIDENT_REQUESTS), ResidentRequest.received_at >= start,
                   ResidentRequest.received_at < at)
            .group_by(ResidentRequest.grid_code)):
        add(grid_code, {"requests": received, "requests_closed": done,
                        "requests_closed_in_time": in_time})
    open_at = or_(ResidentRequest.status == RequestStatus.open, ResidentRequest.settled_at >= at)
    for grid_code, still_open, overdue in session.execute(
            select(ResidentRequest.grid_code, func.count(), _count(ResidentRequest.due_at < at))
            .where(*scope.conditions(RESIDENT_REQUESTS), ResidentRequest.received_at < at,
                   open_at)
            .group_by(ResidentRequest.grid_code)):
        add(grid_code, {"requests_open": still_open, "requests_overdue": overdue})
    answered_in_time = and_(Errand.answered_at < at, Errand.answered_at <= Errand.answer_due_at)
    for grid_code, accepted, answered, done, declined in session.execute(
            select(Errand.grid_code, func.count(), _count(answered_in_time),
                   _count((Errand.status == ErrandStatus.done) & (Errand.done_at < at)),
                   _count((Errand.status == ErrandStatus.declined) & (Errand.done_at < at)))
            .where(*scope.conditions(ERRANDS), Errand.accepted_at >= start,
                   Errand.accepted_at < at)
            .group_by(Errand.grid_code)):
        add(grid_code, {"errands": accepted, "errands_answered_in_time": answered,
                        "errands_done": done, "errands_declined": declined})
    for grid_code, overdue in session.execute(
            select(Errand.grid_code, func.count())
            .where(*scope.conditions(ERRANDS), Errand.accepted_at < at,
                   or_(Errand.answered_at.is_(None), Errand.answered_at >= at),
                   Errand.answer_due_at < at)
            .group_by(Errand.grid_code)):
        add(grid_code, {"errands_unanswered_overdue": overdue})
    return figures


def request_figures(session: Session, *, caller: Caller, period: Period, subject: Subject,
                    by: str | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """The 民情 and 代办 figures of the subject's grids in the period, and with `by` the same per
    street, community or grid (with names)."""
    now = now or utcnow()
    scope = coverage_scope(session, caller, subject, "民情诉求与代办统计")
    return summed(session, scope, grid_request_figures(session, scope, period, now), _empty,
                  request_rates_of, period, by, now)
