"""The half-monthly screening (半月一排查一上报): every grid reports each half month the disputes
it found, or that it found none (零报告).

A half month is the 1st to the 15th, or the 16th to the month's end. Its report is due on the
first working day after it (the working calendar of the deadlines); a report filed on a later
Beijing day is late, and stays late when corrected. A grid may report from the half month's
last day on. The KPI module (backend/kpi/disputes.py) counts what is due, on time, late and
missing; the command center lists who has not reported.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.cases.sla import WorkingCalendar, deadlines
from backend.core.crud import Caller
from backend.core.db import utcnow
from backend.core.errors import field_error
from backend.disputes.models import Dispute, DisputeScreening
from backend.kpi.periods import EARLIEST, beijing_today


def half_month(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the half month holding `day`."""
    if day.day <= 15:
        return day.replace(day=1), day.replace(day=15)
    return day.replace(day=16), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def due_on(working: WorkingCalendar, last: dt.date) -> dt.date:
    """The report of a half month ending `last` is due on the next working day."""
    day = last + dt.timedelta(days=1)
    while not working.is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def halves_between(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The half months that end within first..last, in order."""
    halves = []
    start, _end = half_month(first)
    while start <= last:
        start, end = half_month(start)
        if first <= end <= last:
            halves.append((start, end))
        start = end + dt.timedelta(days=1)
    return halves


def disputes_found(session: Session, grid_code: str, first: dt.date, last: dt.date) -> int:
    return session.execute(select(func.count()).select_from(Dispute).where(
        Dispute.grid_code == grid_code, Dispute.found_on >= first, Dispute.found_on <= last)
    ).scalar_one()


def prepare_screening(session: Session, changed: dict[str, Any],
                      existing: DisputeScreening | None, caller: Caller) -> None:
    """Filed now by the caller; the half month's bounds, due day and lateness follow from its
    first day, the count of disputes from the register as it stands."""
    if existing is None:
        first = changed["period_first"]
        _first, last = half_month(first)
        filed_at = utcnow()
        due = due_on(deadlines(session).calendar, last)
        changed.update(period_last=last, due_on=due, filed_at=filed_at, filed_by=caller.person,
                       late=beijing_today(filed_at) > due)
        grid_code = changed["grid_code"]
    else:
        first, last, grid_code = existing.period_first, existing.period_last, existing.grid_code
    changed["dispute_count"] = disputes_found(session, grid_code, first, last)


def validate_screening(session: Session, data: dict[str, Any],
                       existing: DisputeScreening | None) -> None:
    first = data["period_first"]
    if first.day not in (1, 16):
        raise field_error(422, "period_first", "半月起须为每月1日或16日")
    if first < EARLIEST:
        raise field_error(422, "period_first", f"日期不能早于 {EARLIEST}")
    _first, last = half_month(first)
    if beijing_today(utcnow()) < last:
        raise field_error(422, "period_first", f"该半月至 {last} 结束, 自该日起方可上报")
    if existing is None and session.execute(select(DisputeScreening.id).where(
            DisputeScreening.grid_code == data["grid_code"],
            DisputeScreening.period_first == first)).first():
        raise field_error(409, "period_first", f"网格 {data['grid_code']} 已上报 {first} 起的半月")
    found = data["dispute_count"]
    if data["nil_report"] and found:
        raise field_error(422, "nil_report", f"该半月已登记 {found} 起矛盾纠纷, 不能零报告")
    if not data["nil_report"] and not found:
        raise field_error(422, "nil_report", "该半月未登记矛盾纠纷: 请零报告, 或先登记发现的纠纷")
