"""Engine, sessions and the declarative base shared by every domain.

Every table gets an integer id, created_at/updated_at (UTC, timezone-aware) and a version
column that SQLAlchemy uses for optimistic locking: an UPDATE carries `WHERE version = :old`,
so two writers cannot silently overwrite each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    MetaData,
    Table,
    Text,
    TypeDecorator,
    and_,
    create_engine,
    event,
    type_coerce,
)
from sqlalchemy.engine import CursorResult, Engine, Result, make_url
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    sessionmaker,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s__%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Ids are INTEGER (int4 on PostgreSQL): an id beyond it cannot exist, and must not reach the
# database as a parameter it would refuse.
MAX_ID = 2**31 - 1

# Marks columns holding hierarchical digit codes (area, grid): a prefix names a subtree.
HIERARCHICAL = {"hierarchical": True}


# Deadlines, codes and working days follow the official (Beijing) calendar; storage is UTC.
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

T = TypeVar("T")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend.

    PostgreSQL keeps the offset itself; SQLite has no time zones, so values are stored as naive
    UTC and given back their tzinfo on the way out.
    """

    impl = DateTime
    cache_ok = True

    def __init__(self, timezone: bool = True) -> None:
        # `timezone` is accepted (the generated migrations pass it) but the column is always aware.
        super().__init__(timezone=True)

    @property
    def python_type(self) -> type[dt.datetime]:
        # Said outright: since SQLAlchemy 2.1 a TypeDecorator answers `object` here, and the
        # list filters and schemas would take a timestamp for text.
        return dt.datetime

    def process_bind_param(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    def result_processor(self, dialect, coltype):
        """On SQLite, the stored text parsed straight into an aware datetime: the same value as
        parsing it naive and then `.replace(tzinfo=UTC)`, which alone costs ~1 us (ten times
        the parse), for every timestamp of every row read (a page of 50 cases holds 400)."""
        general = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite" or general is None:
            return general
        parse = dt.datetime.fromisoformat

        def process(value):
            if value.__class__ is str:
                try:
                    parsed = parse(value + "+00:00")
                except ValueError:
                    parsed = None  # not naive ISO text: the general way below
                if parsed is not None and parsed.tzinfo is not None:
                    return parsed
            return general(value)

        return process


class TagList(TypeDecorator[list[str]]):
    """A list of short tags stored as `|tag1|tag2|`.

    Portable and cheap to filter: "has tag X" is `LIKE '%|X|%'` on both SQLite and PostgreSQL,
    where a JSON column would need dialect-specific operators.
    """

    impl = Text
    cache_ok = True

    @property
    def python_type(self) -> type[list]:
        return list

    def process_bind_param(self, value: list[str] | None, dialect):
        if not value:
            return ""
        return "|" + "|".join(value) + "|"

    def process_result_value(self, value: str | None, dialect):
        if not value:
            return []
        return [tag for tag in value.split("|") if tag]


def has_tag(column: Any, tag: str) -> ColumnElement[bool]:
    """A TagList column holds `tag`: its stored text holds |tag| (the lists' `__contains`)."""
    return type_coerce(column, Text).contains(f"|{tag}|", autoescape=True)


def has_tags(column: Any) -> ColumnElement[bool]:
    """A TagList column holds any tag (none is stored as '')."""
    return and_(column.is_not(None), type_coerce(column, Text) != "")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Every model here maps a Table (none a join or a subquery, which SQLAlchemy's FromClause
    # allows for): said so that insert()/update() take it and its columns are Columns.
    __table__: ClassVar[Table]


class TableBase(Base):
    """Columns every GridLink table has."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="编号")
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=utcnow, nullable=False, index=True, comment="创建时间"
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False, comment="更新时间"
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, comment="版本")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version}


# SQLite has one write lock for the whole database. A writer that finds it taken waits up to
# this long (SQLite's busy handler retries, at most 100 ms apart) before the API answers 503
# with Retry-After. Imports commit every 1,000 rows and pause between chunks, so a writer
# waits well under a second behind one (benchmarks/RESULTS.md); the ceiling is for a writer
# stuck behind something much longer (a migration, a seed).
#
# The driver's default transaction handling is kept on purpose: pysqlite runs reads in
# autocommit and opens a transaction (BEGIN) just before the first INSERT/UPDATE/DELETE. A
# write transaction thus starts with a write, which waits in the busy handler. A deferred
# transaction that read first would not: upgrading its read snapshot to a write answers
# "database is locked" at once (tests/test_import_writers.py shows both), which is why
# SQLAlchemy's "emit BEGIN yourself" recipe would need BEGIN IMMEDIATE for every writer.
SQLITE_BUSY_TIMEOUT_S = 30.0


def _sqlite_pragmas(dbapi_connection, _record,
                    busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A 256 MiB page cache and memory-mapped reads: the default 2 MB cache turns every large
    # page into a storm of read() calls (35-50 % off the scans, benchmarks/RESULTS.md).
    cursor.execute("PRAGMA cache_size=-262144")
    cursor.execute("PRAGMA mmap_size=1073741824")
    cursor.close()


def make_engine(url: str, echo: bool = False,
                sqlite_busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S) -> Engine:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        # Plain postgresql:// means psycopg 3 here, never psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # A connection per request thread (Starlette runs sync routes on up to 40 threads) and
        # for the background threads: requests waiting for the write lock each hold one, and
        # the rest must not time out waiting for the pool meanwhile.
        engine = create_engine(
            parsed, echo=echo, pool_size=5, max_overflow=45,
            connect_args={"check_same_thread": False, "timeout": sqlite_busy_timeout_s},
        )
        event.listen(engine, "connect", lambda dbapi_connection, record: _sqlite_pragmas(
            dbapi_connection, record, sqlite_busy_timeout_s))
        return engine
    # No server-side prepared statements: after five executions PostgreSQL may switch a prepared
    # list query to a generic plan that ignores the status filter's selectivity (19 -> 186 ms
    # measured, benchmarks/RESULTS.md). No JIT compilation: it pays off for queries running
    # many seconds, and costs a request half a second whenever the planner's estimate crosses
    # jit_above_cost (a community's households overdue for a visit: 757 ms, 530 of them JIT).
    return create_engine(parsed, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20,
                         connect_args={"prepare_threshold": None, "options": "-c jit=off"})


def affected_rows(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched. Session.execute is typed to give a Result; for these
    statements it is a CursorResult, the one that has `rowcount`."""
    return cast(CursorResult[Any], result).rowcount


def once_per_session(session: Session, key: tuple, load: Callable[[], T]) -> T:
    """`load()` the first time a session asks for `key`, the same answer after that.

    For reference data (categories, departments, routing rules, who holds which role, the
    calendar) that a session reads again and again and does not change itself: one request,
    one command, one tick, the demo seed's year. A session that writes such data and then
    needs it read back must not ask through here.
    """
    cache = session.info.setdefault("once_per_session", {})
    if key not in cache:
        cache[key] = load()
    return cache[key]


class Database:
    """One engine and its session factory; the app and the CLI each hold one.

    `settings` (backend.core.config.Settings) ride along in every session's `info`: code that only
    gets a session (the deadline rules, backend/cases/sla.py) reads the settings the app or the
    command was started with, not a second copy from the environment.
    """

    def __init__(self, url: str, echo: bool = False, settings: Any = None) -> None:
        self.url = url
        self.settings = settings
        self.engine = make_engine(url, echo=echo, sqlite_busy_timeout_s=getattr(
            settings, "sqlite_busy_timeout", SQLITE_BUSY_TIMEOUT_S))
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False,
                                         info={"settings": settings})

    def session(self) -> Session:
        return self.sessionmaker()

    def sessions(self) -> Iterator[Session]:
        with self.sessionmaker() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
