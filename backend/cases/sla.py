"""Case deadlines (处置时限) and lights (亮灯): the one place for the working-time rules.

Which days are working days, in this order (the first that knows the date decides):
1. the `calendar_day` table, which admins edit to add or correct days;
2. the official calendar of the State Council, as the `holidays` package has it: public
   holidays, the days off they are bridged with, and the make-up working weekends (调休上班);
3. Monday to Friday, for a year neither of them covers (a warning is logged once per year).

The package covers a year when it has that year's State Council notice, recognised by the
make-up working weekends every notice since 2001 has: the package knows the statutory holidays
of any year, but which weekdays are bridged and which weekends worked only once the notice is
out (usually in November, for the next year). Until the package is upgraded, admins enter the
year's holidays and make-up working days in `calendar_day`: a year with rows there counts as
covered, its other days are Monday–Friday.

Office hours are the same on every working day, make-up weekends included: by default
08:30–12:00 and 13:30–18:00 Beijing time; the lunch break does not count
(`GRIDLINK_WORK_PERIODS`).

The units of a limit (`CaseCategory.deadline_unit`):
- `hours`: clock hours, for urgent classes (a missing manhole cover); no calendar at all.
- `working_hours`: office time. The clock runs only within office hours of working days; a
  start outside them (evening, lunch, weekend, holiday) waits for the next office opening.
- `working_days`: as 民法典 §201/§203 count periods in days: the start day is never counted
  (even a start before office hours), the count begins with the next working day, and the limit
  ends when the office closes (停止业务活动的时间) on the Nth working day. So 1 working day
  from Friday 10:00 ends Monday 18:00, as does 1 working day from Saturday or Sunday.

The light of an open case: red once the due time has passed; yellow once a share (by default
0.8, `GRIDLINK_YELLOW_SHARE`) of the allowed time is used, measured in the same unit as the
limit (office time for the working units, clock time for `hours`); green before that.

Every function takes and gives timezone-aware datetimes, UTC as stored (a naive one is taken
as UTC, like the database layer does); days and office hours are Beijing's. Nothing here raises
on a date: a date without calendar data falls back to Monday–Friday.

Callers that read the database use `deadlines(session)`: the one place the rules in force are
put together, from the `calendar_day` table (one calendar per process, reloaded when the table
changes) and the settings the session's database was opened with (`Database(settings=...)`;
the process settings for a database opened without them). So a due time set by the dispatch
action, a light shown on a read and a light set by the tick all count the same office hours
and the same yellow share.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import holidays
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.cases.models import CalendarDay, DeadlineUnit, Light
from backend.core.config import Settings, get_settings
from backend.core.db import BEIJING, once_per_session, utcnow
from backend.core.office_hours import DEFAULT_YELLOW_SHARE, WorkingHours

log = logging.getLogger(__name__)


# Years already warned about, process-wide: the warning is for the operator, once is enough.
_warned_years: set[int] = set()


def _warn_not_covered(year: int) -> None:
    if year not in _warned_years:
        _warned_years.add(year)
        log.warning(
            "no official working calendar for %s (holidays %s has no State Council notice for it, "
            "calendar_day no rows): counting Monday-Friday as working days; add the year's "
            "holidays and make-up working days to calendar_day or upgrade holidays",
            year, holidays.__version__,
        )


def _official_year(year: int) -> holidays.HolidayBase | None:
    """The package's calendar of `year`, or None when it has no State Council notice for it."""
    official = holidays.China(years=year)
    if any(day.year == year for day in official.weekend_workdays):
        return official
    return None


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class WorkingCalendar:
    """Working days and office hours: what deadlines are counted on.

    `overrides` are the calendar_day rows (date → is a working day), which beat the official
    calendar. Its answers never change once built (its caches only fill up), so one instance
    serves every thread.
    """

    def __init__(self, overrides: Mapping[dt.date, bool] | None = None,
                 hours: WorkingHours = WorkingHours()) -> None:
        self.overrides = dict(overrides or {})
        self.hours = hours
        self._override_years = {day.year for day in self.overrides}
        self._official: dict[int, holidays.HolidayBase | None] = {}
        self._days: dict[dt.date, bool] = {}  # answers so far: deadlines ask about days again

    @classmethod
    def from_db(cls, session: Session, hours: WorkingHours = WorkingHours()) -> WorkingCalendar:
        rows = session.execute(select(CalendarDay.day, CalendarDay.is_working_day)).all()
        return cls(dict(rows), hours)

    def is_working_day(self, day: dt.date) -> bool:
        if day not in self._days:
            self._days[day] = self._look_up(day)
        return self._days[day]

    def _look_up(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day.year not in self._official:
            self._official[day.year] = _official_year(day.year)
        official = self._official[day.year]
        if official is not None:
            return official.is_working_day(day)
        if day.year not in self._override_years:  # rows for the year: the admins have it in hand
            _warn_not_covered(day.year)
        return day.weekday() < 5

    def office_periods(self, start: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """The office periods from `start` on, in Beijing time, the first one cut at `start`.

        Endless: callers stop when they have what they need.
        """
        start = _utc(start).astimezone(BEIJING)
        day = start.date()
        while True:
            if self.is_working_day(day):
                for begin, end in self.hours.periods:
                    period_end = dt.datetime.combine(day, end, BEIJING)
                    if period_end > start:
                        yield max(dt.datetime.combine(day, begin, BEIJING), start), period_end
            day += dt.timedelta(days=1)

    def due_at(self, start: dt.datetime, value: int, unit: DeadlineUnit) -> dt.datetime:
        """When a limit of `value` `unit`s that starts at `start` runs out (UTC)."""
        start, unit = _utc(start), DeadlineUnit(unit)
        if unit is DeadlineUnit.hours:
            return start + dt.timedelta(hours=value)
        if unit is DeadlineUnit.working_days:
            day, counted = start.astimezone(BEIJING).date(), 0
            while counted < value:  # the start day itself never counts
                day += dt.timedelta(days=1)
                counted += self.is_working_day(day)
            return dt.datetime.combine(day, self.hours.closing, BEIJING).astimezone(dt.UTC)
        remaining = dt.timedelta(hours=value)
        for begin, end in self.office_periods(start):
            if remaining <= end - begin:  # ends at a period's close, not the next opening
                return (begin + remaining).astimezone(dt.UTC)
            remaining -= end - begin
        raise AssertionError("unreachable: office periods never run out")

    def working_seconds_between(self, a: dt.datetime, b: dt.datetime) -> float:
        """Office time from `a` to `b`, in seconds (negative when `b` is before `a`)."""
        a, b = _utc(a), _utc(b)
        if b < a:
            return -self.working_seconds_between(b, a)
        total = dt.timedelta()
        for begin, end in self.office_periods(a):
            if begin >= b:
                break
            total += min(end, b) - begin
        return total.total_seconds()


def light_for(calendar: WorkingCalendar, started_at: dt.datetime, due_at: dt.datetime,
              unit: DeadlineUnit, now: dt.datetime,
              yellow_share: float = DEFAULT_YELLOW_SHARE) -> Light:
    """The light of a case whose clock started at `started_at` and runs out at `due_at`."""
    started_at, due_at, now, unit = _utc(started_at), _utc(due_at), _utc(now), DeadlineUnit(unit)
    if now > due_at:
        return Light.red
    if unit is DeadlineUnit.hours:
        used = (now - started_at).total_seconds()
        allowed = (due_at - started_at).total_seconds()
    else:
        used = calendar.working_seconds_between(started_at, now)
        allowed = calendar.working_seconds_between(started_at, due_at)
    # A division, not used >= share * allowed: exact at the boundary (0.8 of 10 h is 8 h).
    if allowed <= 0 or used / allowed >= yellow_share:
        return Light.yellow
    return Light.green


def time_left(due_at: dt.datetime, now: dt.datetime) -> float:
    """Clock seconds until the due time; negative once overdue."""
    return (_utc(due_at) - _utc(now)).total_seconds()


def yellow_at(calendar: WorkingCalendar, started_at: dt.datetime, due_at: dt.datetime,
              unit: DeadlineUnit, yellow_share: float = DEFAULT_YELLOW_SHARE) -> dt.datetime:
    """The first moment `light_for` turns yellow: `yellow_share` of the allowed time used,
    counted as light_for counts it (office time for the working units, clock time for hours)."""
    started_at, due_at, unit = _utc(started_at), _utc(due_at), DeadlineUnit(unit)
    if unit is DeadlineUnit.hours:
        return started_at + (due_at - started_at) * yellow_share
    remaining = dt.timedelta(seconds=calendar.working_seconds_between(started_at, due_at)
                             * yellow_share)
    if remaining <= dt.timedelta(0):
        return started_at
    for begin, end in calendar.office_periods(started_at):
        if begin >= due_at:
            break
        if remaining <= end - begin:
            return (begin + remaining).astimezone(dt.UTC)
        remaining -= end - begin
    return due_at


@dataclass(frozen=True)
class Deadlines:
    """The deadline rules in force: the working calendar with its office hours, and the share
    of the allowed time that turns a light yellow."""

    calendar: WorkingCalendar
    yellow_share: float = DEFAULT_YELLOW_SHARE

    def due_at(self, start: dt.datetime, value: int, unit: DeadlineUnit) -> dt.datetime:
        return self.calendar.due_at(start, value, unit)

    def light(self, started_at: dt.datetime, due_at: dt.datetime, unit: DeadlineUnit,
              now: dt.datetime) -> Light:
        return light_for(self.calendar, started_at, due_at, unit, now, self.yellow_share)

    def yellow_at(self, started_at: dt.datetime, due_at: dt.datetime,
                  unit: DeadlineUnit) -> dt.datetime:
        return yellow_at(self.calendar, started_at, due_at, unit, self.yellow_share)


def live_lights(session: Session, rows: list[dict[str, Any]], started: str, due: str,
                unit_of: Callable[[dict[str, Any]], DeadlineUnit],
                running: Callable[[dict[str, Any]], bool]) -> None:
    """Each read row's `light` as of now: for those whose clock runs (`running`, with both
    times), from `started` to `due` in the row's unit; None for the rest. The one rule of a
    live light besides the cases' own (a dispute handed over, a request, an errand)."""
    now = utcnow()
    ticking = [r for r in rows if r.get(started) and r.get(due) and running(r)]
    rules = deadlines(session) if ticking else None
    for row in rows:
        row["light"] = None
    for row in ticking:
        assert rules is not None
        row["light"] = rules.light(row[started], row[due], unit_of(row), now)


def settings_of(session: Session) -> Settings:
    """The settings of the database the session belongs to (see backend.core.db.Database)."""
    settings = session.info.get("settings")
    if settings is None:
        settings = get_settings()
    return settings


def deadlines(session: Session) -> Deadlines:
    """The deadline rules in force for this session: the one place they are put together.
    Read once per session (a request, a tick): the calendar_day table as the session began."""
    def load() -> Deadlines:
        settings = settings_of(session)
        return Deadlines(current_calendar(session, settings.working_hours), settings.yellow_share)

    return once_per_session(session, ("deadlines",), load)


# The process-wide calendar, and the state of calendar_day (and the hours) it was built from.
_current: tuple[tuple, WorkingCalendar] | None = None


def current_calendar(session: Session, hours: WorkingHours) -> WorkingCalendar:
    """The calendar of the `calendar_day` table as it is now, read again only when it changed.

    A change shows in (row count, latest updated_at): an insert or a delete changes the count,
    an update or an insert the latest time. Two threads that notice a change at once may both
    read the table; either result is right. Use `deadlines(session)`, which passes the office
    hours of the settings.
    """
    global _current
    count, last_change = session.execute(
        select(func.count(), func.max(CalendarDay.updated_at))).one()
    key = (count, last_change, hours)
    current = _current
    if current is None or current[0] != key:
        current = _current = (key, WorkingCalendar.from_db(session, hours))
    return current[1]
