"""Errors as data: what went wrong, with the fields and reasons, for any caller.

A `ProblemError` raised anywhere (service, registry, import) reaches a client as problem
details (RFC 9457) through backend/api/problems.py, or as a form message in the panel.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError

# How long a client is told to wait after a 503 (seconds).
RETRY_AFTER_S = 5


def database_busy(exc: OperationalError) -> bool:
    """SQLite's one write lock stayed taken for the whole busy timeout (backend/core/db.py)."""
    message = str(exc.orig).lower()
    return "database is locked" in message or "database table is locked" in message


# Exceptions of the database that a request can meet without a bug of ours.
DATABASE_TROUBLE = (IntegrityError, OperationalError, PoolTimeoutError, StaleDataError)


def database_problem(exc: Exception) -> ProblemError | None:
    """What a database exception means to whoever asked (the API's problem, the panel's
    message), or None when it is a bug of ours. Nothing was written in any of these cases."""
    if isinstance(exc, IntegrityError):
        # Pre-checks name the field in the ordinary case; this is the race between two writers.
        return ProblemError(409, "数据冲突: 违反唯一性或关联约束, 未写入任何数据")
    if isinstance(exc, OperationalError) and database_busy(exc):
        return ProblemError(503, "数据库繁忙 (正在写入大量数据), 未写入任何数据; 请稍后重试",
                            headers={"Retry-After": str(RETRY_AFTER_S)})
    if isinstance(exc, PoolTimeoutError):
        return ProblemError(503, "服务繁忙, 未写入任何数据; 请稍后重试",
                            headers={"Retry-After": str(RETRY_AFTER_S)})
    if isinstance(exc, StaleDataError):
        return ProblemError(412, "记录已被他人修改, 请刷新后重试")
    return None


@dataclass
class FieldError:
    field: str
    msg: str


@dataclass
class ProblemError(Exception):
    """Raise anywhere in a request to answer with a problem document."""

    status: int
    detail: str
    errors: list[FieldError] = dataclass_field(default_factory=list)
    headers: dict[str, str] | None = None

    def __str__(self) -> str:
        return f"{self.status}: {self.detail}"


def field_error(status: int, field_name: str, msg: str) -> ProblemError:
    return ProblemError(status, f"{field_name}: {msg}", [FieldError(field_name, msg)])


def not_found(entity_label: str, key: Any) -> ProblemError:
    return ProblemError(404, f"{entity_label} {key} 不存在")


def loc_to_field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def clean_msg(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def invalid_input(errors: Iterable[Mapping[str, Any]]) -> ProblemError:
    """A 422 naming every field a pydantic validation refused (`ValidationError.errors()`)."""
    fields = [FieldError(loc_to_field(tuple(e["loc"])), clean_msg(e["msg"])) for e in errors]
    return ProblemError(422, "; ".join(f"{e.field}: {e.msg}" for e in fields), fields)
