"""SQL constructs of the KPI queries: Beijing days and weeks, and a column no index serves.

Beijing-time days and weeks of a timestamp column are computed by the database.

Timestamps are stored in UTC (backend.core.db.UTCDateTime: naive UTC text on SQLite,
timestamptz on PostgreSQL); a trend counts them by the Beijing day or ISO week (Monday first)
they fall in. Beijing keeps no daylight saving time, so its day is UTC + 8 hours on both.
The database answers a date (PostgreSQL) or its ISO text (SQLite); `as_date` reads either.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String


class beijing_day(FunctionElement):
    """The Beijing date of a UTC timestamp column."""

    type = String()
    inherit_cache = True
    name = "beijing_day"


class beijing_week(FunctionElement):
    """The Monday of the ISO week (Beijing time) of a UTC timestamp column."""

    type = String()
    inherit_cache = True
    name = "beijing_week"


@compiles(beijing_day, "sqlite")
def _day_sqlite(element, compiler, **kw) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(beijing_day, "postgresql")
def _day_postgresql(element, compiler, **kw) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Shanghai') AS DATE)"


@compiles(beijing_week, "sqlite")
def _week_sqlite(element, compiler, **kw) -> str:
    # 'weekday 0' moves to the next Sunday (or stays on one); six days back is its Monday.
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours', 'weekday 0', '-6 days')"


@compiles(beijing_week, "postgresql")
def _week_postgresql(element, compiler, **kw) -> str:
    return (f"CAST(date_trunc('week', {compiler.process(element.clauses, **kw)} "
            f"AT TIME ZONE 'Asia/Shanghai') AS DATE)")


def as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


class unindexed(FunctionElement):
    """A column as an expression SQLite's planner takes no index for (`+col`); itself elsewhere.

    The KPI queries pick rows by time (reported, due, closed within a period) and then by
    area. SQLite has no statistics of a code range (the app never runs ANALYZE, and ranges need
    STAT4 besides): it guesses a county's whole range as selective as a month and walks the
    grid-code index over every case of the county, fetching each (4.0 s for one month's flow
    counts at a million cases, benchmarks/RESULTS.md). With the code out of the index's reach,
    the time index leads. PostgreSQL keeps statistics and chooses for itself.
    """

    inherit_cache = True
    name = "unindexed"

    def __init__(self, column: ColumnElement) -> None:
        super().__init__(column)
        self.type = column.type  # compared and bound as the column is


@compiles(unindexed)
def _unindexed_default(element, compiler, **kw) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element, compiler, **kw) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"
