"""Login throttling: 5 failures for a username within 15 minutes, then 429 until the window ends.

One rule for the API and the panel, over every worker. An attempt takes its place in the
count before its password is checked, in one atomic step (a conditional upsert in the
database, or INCR in Redis when GRIDLINK_REDIS_URL is set); a success clears the count. So
the first 5 attempts of a window are checked and every later one answers 429 without its
password being looked at, however many arrive at once: counting after the check let 40
parallel guesses all see an empty count (40 x 401 over 2 workers, issue 9).

The window is fixed: it starts at the first failure and lasts 15 minutes. Names are counted
whether or not such a user exists, so the answers tell nothing about which names are taken.
A count whose window is over means nothing any more: each attempt deletes those rows first,
so guesses at endless made-up names leave at most a window's worth of rows behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Protocol

import redis
from sqlalchemy import case, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backend.core.db import utcnow
from backend.core.errors import ProblemError
from backend.identity.models import LoginThrottle

MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)
REDIS_PREFIX = "gridlink:login-failures:"


def locked_out(seconds_left: float) -> ProblemError:
    seconds = max(int(seconds_left) + 1, 1)
    return ProblemError(429, f"登录失败次数过多, 请 {-(-seconds // 60)} 分钟后再试",
                        headers={"Retry-After": str(seconds)})


class Throttle(Protocol):
    def take_attempt(self, session: Session, username: str) -> None:
        """Count this attempt as a failure until `clear`; 429 if the window is used up."""

    def clear(self, session: Session, username: str) -> None:
        """The password was right: the username starts again with no failures."""


class DatabaseThrottle:
    """A counter row per username, taken by one INSERT ... ON CONFLICT DO UPDATE ... WHERE.

    The WHERE lets the update through only while the window has places left (or is over, and
    then starts a new one); PostgreSQL locks the row for the upsert and SQLite runs one writer
    at a time, so two attempts can never take the same last place.
    """

    def take_attempt(self, session: Session, username: str) -> None:
        session.commit()  # its own short transaction: the row lock is not held while hashing
        now = utcnow()
        table = LoginThrottle.__table__
        over = table.c.window_started_at <= now - WINDOW
        session.execute(delete(table).where(over))
        insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
                  else sqlite.insert)(table)
        taken = session.execute(
            insert.values(username=username, failures=1, window_started_at=now,
                          created_at=now, updated_at=now, version=1)
            .on_conflict_do_update(
                index_elements=[table.c.username],
                set_={"failures": case((over, 1), else_=table.c.failures + 1),
                      "window_started_at": case((over, now), else_=table.c.window_started_at),
                      "updated_at": now},
                where=or_(table.c.failures < MAX_FAILURES, over),
            )
            .returning(table.c.failures)
        ).first()
        session.commit()
        if taken is None:
            started = session.execute(select(table.c.window_started_at)
                                      .where(table.c.username == username)).scalar_one()
            raise locked_out((started + WINDOW - now).total_seconds())

    def clear(self, session: Session, username: str) -> None:
        session.execute(delete(LoginThrottle).where(LoginThrottle.username == username))
        session.commit()


class RedisThrottle:
    """INCR of a key per username that expires with its window (EXPIRE NX: set once)."""

    def __init__(self, url: str) -> None:
        self.redis = redis.Redis.from_url(url, socket_timeout=5)
        self.errors = redis.RedisError

    def take_attempt(self, session: Session, username: str) -> None:
        key = REDIS_PREFIX + username
        try:
            pipe = self.redis.pipeline(transaction=True)
            pipe.incr(key)
            pipe.expire(key, int(WINDOW.total_seconds()), nx=True)
            pipe.ttl(key)
            failures, _, seconds_left = pipe.execute()
        except self.errors:
            raise ProblemError(503, "登录服务暂不可用 (Redis), 请稍后再试") from None
        if failures > MAX_FAILURES:
            raise locked_out(seconds_left)

    def clear(self, session: Session, username: str) -> None:
        with contextlib.suppress(self.errors):  # the failures then age out with their window
            self.redis.delete(REDIS_PREFIX + username)


def throttle_for(redis_url: str | None) -> Throttle:
    return RedisThrottle(redis_url) if redis_url else DatabaseThrottle()
