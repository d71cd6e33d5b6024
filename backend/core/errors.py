"""Errors as data: what went wrong, with the fields and reasons, for any caller.

A `ProblemError` raised anywhere (service, registry, import) reaches a client as problem
details (RFC 9457) through backend/api/problems.py, or as a form message in the panel.
"""

from __future__ import annotations

import re
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


# Pydantic's own messages, as the people reading a 422 read them; ours are Chinese already.
_PYDANTIC_ZH: list[tuple[re.Pattern[str], str]] = [(re.compile(p), r) for p, r in (
    (r"^Field required", "必填, 不能为空"),
    (r"^Input should be a valid integer", "应为整数"),
    (r"^Input should be a finite number", "应为有限的数字"),
    (r"^Input should be a valid number", "应为数字"),
    (r"^Input should be a valid boolean", "应为「是」或「否」"),
    (r"^Input should be a valid datetime", "应为时间, 如 2026-11-28T08:30:00+08:00"),
    (r"^Input should be a valid date", "应为日期, 如 1980-05-17"),
    (r"^Input should be a valid time", "应为时刻, 如 08:30"),
    (r"^Input should be a valid string", "应为文本"),
    (r"^Input should be a valid (list|array)", "应为列表"),
    (r"^Input should be a valid dictionary", "应为对象"),
    (r"^Input should be a valid URL", "应为网址"),
    (r"^Input should be greater than or equal to (\S+)", r"应不小于 \1"),
    (r"^Input should be greater than (\S+)", r"应大于 \1"),
    (r"^Input should be less than or equal to (\S+)", r"应不大于 \1"),
    (r"^Input should be less than (\S+)", r"应小于 \1"),
    (r"^String should have at most (\d+) characters?", r"长度不能超过 \1 个字符"),
    (r"^String should have at least (\d+) characters?", r"长度不能少于 \1 个字符"),
    (r"^String should match pattern", "格式不正确"),
    (r"^(List|Value) should have at most (\d+) items?", r"最多 \2 项"),
    (r"^(List|Value) should have at least (\d+) items?", r"至少 \2 项"),
    (r"^Extra inputs are not permitted", "不接受此项"),
    (r"^Datetime should have timezone info", "应带时区, 如 +08:00"),
    (r"^JSON decode error", "JSON 格式不正确"),
)]
_CHOICES = re.compile(r"^Input should be ('.*')$")
CHOICES_PREFIX = "应为以下之一: "


def in_chinese(message: str) -> str:
    """Pydantic's English message in Chinese (unknown ones as they are)."""
    choices = _CHOICES.match(message)
    if choices:  # Input should be 'a', 'b' or 'c'
        return CHOICES_PREFIX + "、".join(re.findall(r"'([^']*)'", choices.group(1)))
    for pattern, replacement in _PYDANTIC_ZH:
        match = pattern.match(message)
        if match:
            return match.expand(replacement)
    return message


def clean_msg(msg: str) -> str:
    """A validation message as a 422 carries it: ours (a ValueError's) without pydantic's
    prefix, pydantic's own in Chinese."""
    return in_chinese(msg.removeprefix("Value error, "))


def invalid_input(errors: Iterable[Mapping[str, Any]]) -> ProblemError:
    """A 422 naming every field a pydantic validation refused (`ValidationError.errors()`)."""
    fields = [FieldError(loc_to_field(tuple(e["loc"])), clean_msg(e["msg"])) for e in errors]
    return ProblemError(422, "; ".join(f"{e.field}: {e.msg}" for e in fields), fields)
