"""Periods the figures are counted over: whole Beijing-time days, from one date to another.

A period is a day, an ISO week (Monday to Sunday), a month, a quarter, a year, or custom dates
(`from`, `to`, both days included). Its bounds in the database are the UTC instants of Beijing
midnight: 2026-11-01 .. 2026-11-30 is [2026-10-31T16:00Z, 2026-11-30T16:00Z).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from backend.core.db import BEIJING, utcnow
from backend.core.errors import field_error
from backend.core.labels import LabeledEnum

# A custom range spans at most a year (a leap year's 366 days): the longest period the leader
# view compares, and a bound on the rows of a daily trend.
MAX_DAYS = 366
# Dates the figures can be asked for: nothing before the platform's data, nothing absurd after.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2099, 12, 31)


class PeriodKind(LabeledEnum):
    day = ("day", "日")
    week = ("week", "周")
    month = ("month", "月")
    quarter = ("quarter", "季度")
    year = ("year", "年")
    custom = ("custom", "自定义")


def beijing_today(now: dt.datetime | None = None) -> dt.date:
    return (now or utcnow()).astimezone(BEIJING).date()


def beijing_midnight(day: dt.date) -> dt.datetime:
    """The UTC instant a Beijing day begins."""
    return dt.datetime.combine(day, dt.time(), BEIJING).astimezone(dt.UTC)


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    first: dt.date  # the first day counted
    last: dt.date  # the last day counted (included)

    @property
    def start(self) -> dt.datetime:
        return beijing_midnight(self.first)

    @property
    def end(self) -> dt.datetime:
        """The instant after the last day (excluded)."""
        return beijing_midnight(self.last + dt.timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def label(self) -> str:
        first, last = self.first, self.last
        match self.kind:
            case PeriodKind.day:
                return f"{first.year}年{first.month}月{first.day}日"
            case PeriodKind.week:
                year, week, _ = first.isocalendar()
                return f"{year}年第{week}周"
            case PeriodKind.month:
                return f"{first.year}年{first.month}月"
            case PeriodKind.quarter:
                return f"{first.year}年第{(first.month - 1) // 3 + 1}季度"
            case PeriodKind.year:
                return f"{first.year}年"
        return f"{first.isoformat()} 至 {last.isoformat()}"

    def previous(self) -> Period:
        """The period just before, of the same kind and length (custom: as many days)."""
        if self.kind is PeriodKind.custom:
            last = self.first - dt.timedelta(days=1)
            return Period(self.kind, last - dt.timedelta(days=self.days - 1), last)
        return period_of(self.kind, self.first - dt.timedelta(days=1))

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind.value, "from": self.first.isoformat(),
                "to": self.last.isoformat(), "label": self.label}


def period_of(kind: PeriodKind, day: dt.date) -> Period:
    """The day, week, month, quarter or year that holds `day`."""
    match kind:
        case PeriodKind.day:
            return Period(kind, day, day)
        case PeriodKind.week:
            first = day - dt.timedelta(days=day.weekday())
            return Period(kind, first, first + dt.timedelta(days=6))
        case PeriodKind.month:
            first = day.replace(day=1)
        case PeriodKind.quarter:
            first = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        case PeriodKind.year:
            return Period(kind, dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))
        case _:
            raise ValueError(f"{kind} has no fixed length")
    months = 1 if kind is PeriodKind.month else 3
    after = dt.date(first.year + (first.month + months - 1) // 12,
                    (first.month + months - 1) % 12 + 1, 1)
    return Period(kind, first, after - dt.timedelta(days=1))


def parse_period(kind: PeriodKind | None, day: dt.date | None, first: dt.date | None,
                 last: dt.date | None, now: dt.datetime | None = None) -> Period:
    """The period a request names: `from` and `to` (custom), or a kind and a day in it
    (default: this month). Refusals name the parameter."""
    for name, value in (("date", day), ("from", first), ("to", last)):
        if value is not None and not EARLIEST <= value <= LATEST:
            raise field_error(422, name, f"日期应在 {EARLIEST} 至 {LATEST} 之间")
    if first is not None or last is not None:
        if kind not in (None, PeriodKind.custom):
            raise field_error(422, "period", "给出 from/to 时 period 只能为 custom (或省略)")
        if day is not None:
            raise field_error(422, "date", "date 与 from/to 不能同时给出")
        if first is None or last is None:
            missing = "from" if first is None else "to"
            raise field_error(422, missing, "自定义时段须同时给出 from 和 to")
        if first > last:
            raise field_error(422, "from", f"开始日期 {first} 晚于结束日期 {last}")
        period = Period(PeriodKind.custom, first, last)
        if period.days > MAX_DAYS:
            raise field_error(422, "to", f"时段不能超过 {MAX_DAYS} 天 (现为 {period.days} 天)")
        return period
    if kind is PeriodKind.custom:
        raise field_error(422, "from", "period=custom 须给出 from 和 to")
    return period_of(kind or PeriodKind.month, day or beijing_today(now))
