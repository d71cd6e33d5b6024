"""Beijing-time days and weeks of a timestamp column, computed by the database.

Timestamps are stored in UTC (backend.core.db.UTCDateTime: naive UTC text on SQLite,
timestamptz on PostgreSQL); a trend counts them by the Beijing day or ISO week (Monday first)
they fall in. Beijing keeps no daylight saving time, so its day is UTC + 8 hours on both.
The database answers a date (PostgreSQL) or its ISO text (SQLite); `as_date` reads either.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String


class beijing_day(FunctionElement):  # noqa: N801 - reads as the SQL function it stands for
    """The Beijing date of a UTC timestamp column."""

    type = String()
    inherit_cache = True
    name = "beijing_day"


class beijing_week(FunctionElement):  # noqa: N801
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
