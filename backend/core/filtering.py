"""The list query language shared by every entity.

    field=value            equality                     grid_code=410602001002007
    field__ne / __gt / __gte / __lt / __lte              due_at__lt=2026-12-01T00:00:00Z
    field__in=a,b,c        one of                       status__in=filed,dispatched
    field__contains=x      substring (tags: has tag)    key_groups__contains=低保
    field__startswith=x    prefix (codes: a subtree)    grid_code__startswith=410602001
    field__isnull=true     null / not null
    sort=-due_at,code      order (- for descending); id breaks ties
    fields=id,code,name    only these fields
    limit=50&offset=0      paging (limit 1..max)        count=false skips the total

Values are parsed by the column's type; anything unknown or unparsable is a 400 naming it.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, SmallInteger, not_, or_
from sqlalchemy import Enum as SAEnum
from sqlalchemy.sql.schema import Column

from backend.core import area_codes
from backend.core.db import TagList, has_tag, has_tags
from backend.core.errors import FieldError, ProblemError

RESERVED = {"sort", "fields", "limit", "offset", "count", "format"}
OPERATORS = ("ne", "gt", "gte", "lt", "lte", "in", "contains", "startswith", "isnull")
ORDERING_OPERATORS = {"gt", "gte", "lt", "lte"}


@dataclass
class ListQuery:
    conditions: list[ColumnElement[bool]] = field(default_factory=list)
    order_by: list[Any] = field(default_factory=list)
    fields: list[str] | None = None
    limit: int = 50
    offset: int = 0
    count: bool = True
    format: str = "json"


def _bad(param: str, msg: str) -> ProblemError:
    return ProblemError(400, f"{param}: {msg}", [FieldError(param, msg)])


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("true", "1", "yes", "是"):
        return True
    if lowered in ("false", "0", "no", "否"):
        return False
    raise ValueError("应为 true 或 false")


def _parse_datetime(raw: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    # In UTC here, as stored: 0001-01-01T00:00+08:00 has no UTC value (OverflowError: a 400),
    # and must not first meet that in the column type, as a 500.
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _parse_float(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value):  # NaN and infinities compare as nothing a ledger holds
        raise ValueError("not finite")
    return value


def integer_range(column: Column) -> tuple[int, int]:
    """What the column's integer type holds: a wider parameter is refused by PostgreSQL."""
    if isinstance(column.type, SmallInteger):
        return -(2**15), 2**15 - 1
    if isinstance(column.type, BigInteger):
        return -(2**63), 2**63 - 1
    return -(2**31), 2**31 - 1


def parse_value(column: Column, raw: str) -> Any:
    """Turn a query-string value into the column's Python type (ValueError with a reason)."""
    col_type = column.type
    if isinstance(col_type, SAEnum) and col_type.enum_class is not None:
        enum_cls: type[enum.Enum] = col_type.enum_class
        try:
            return enum_cls(raw)
        except ValueError:
            allowed = ", ".join(m.value for m in enum_cls)
            raise ValueError(f"取值应为以下之一: {allowed}") from None
    if isinstance(col_type, TagList):
        return raw
    python_type = col_type.python_type
    try:
        if python_type is bool:
            return _parse_bool(raw)
        if python_type is int:
            value = int(raw)
            low, high = integer_range(column)
            if not low <= value <= high:
                raise ValueError("out of range")
            return value
        if python_type is float:
            return _parse_float(raw)
        if python_type is dt.datetime:
            return _parse_datetime(raw)
        if python_type is dt.date:
            return dt.date.fromisoformat(raw.strip())
    except (ValueError, OverflowError) as exc:
        kind = {bool: "布尔值", int: "范围内的整数", float: "数字", dt.datetime: "ISO 8601 时间",
                dt.date: "日期 (YYYY-MM-DD)"}[python_type]
        raise ValueError(f"应为{kind}") from exc
    return raw


def _condition(column: Column, op: str, raw: str) -> ColumnElement[bool]:
    is_tags = isinstance(column.type, TagList)
    is_text = not is_tags and column.type.python_type is str
    if op == "isnull" and is_tags:  # no tags is stored as '', not NULL
        return not_(has_tags(column)) if _parse_bool(raw) else has_tags(column)
    if op == "isnull":
        return column.is_(None) if _parse_bool(raw) else column.is_not(None)
    if is_tags:
        if op == "contains":  # compare the stored text, not a list run through TagList again
            return has_tag(column, raw)
        raise ValueError("标签字段只支持 __contains 和 __isnull")
    if op in ("contains", "startswith"):
        if not is_text:
            raise ValueError(f"__{op} 只适用于文本字段")
        if op == "startswith" and column.info.get("hierarchical") and raw.isdigit():
            return area_codes.subtree_condition(column, raw)
        if op == "startswith":
            return column.istartswith(raw, autoescape=True)
        return column.icontains(raw, autoescape=True)
    if op == "in":
        values = [parse_value(column, part) for part in raw.split(",") if part != ""]
        if not values:
            raise ValueError("__in 需要逗号分隔的取值")
        return column.in_(values)
    value = parse_value(column, raw)
    if op == "eq":
        return column == value
    if op == "ne":
        return or_(column != value, column.is_(None)) if column.nullable else column != value
    if isinstance(column.type, SAEnum) or column.type.python_type is bool:
        raise ValueError(f"__{op} 不适用于此字段")
    return {"gt": column > value, "gte": column >= value, "lt": column < value,
            "lte": column <= value}[op]


def parse_list_query(
    params: Mapping[str, str] | Any,
    columns: Mapping[str, Column],
    filterable: set[str],
    sortable: set[str],
    default_sort: str,
    max_limit: int,
    default_limit: int,
) -> ListQuery:
    query = ListQuery(limit=default_limit)
    errors: list[FieldError] = []
    items = list(params.multi_items() if hasattr(params, "multi_items") else params.items())
    for key, raw in items:
        if key in RESERVED:
            continue
        name, _, op = key.partition("__")
        op = op or "eq"
        if name not in filterable:
            errors.append(FieldError(key, f"未知的筛选字段 '{name}'"))
            continue
        if op not in OPERATORS and op != "eq":
            errors.append(FieldError(key, f"未知的运算符 '__{op}', 可用: {', '.join(OPERATORS)}"))
            continue
        try:
            query.conditions.append(_condition(columns[name], op, raw))
        except ValueError as exc:
            errors.append(FieldError(key, str(exc)))
    if errors:
        raise ProblemError(400, "; ".join(f"{e.field}: {e.msg}" for e in errors), errors)

    sort = params.get("sort") or default_sort
    sorted_by: set[str] = set()
    for part in sort.split(","):
        part = part.strip()
        if not part:
            continue
        descending = part.startswith("-")
        name = part.lstrip("-+")
        if name not in sortable:
            raise _bad("sort", f"不能按 '{name}' 排序")
        if name in sorted_by:
            continue
        sorted_by.add(name)
        column = columns[name]
        ordered = column.desc() if descending else column.asc()
        if column.nullable:
            # NULLs last ascending, first descending, on every database (SQLite's default
            # differs from PostgreSQL's): `sort=due_at` opens with the most urgent cases.
            ordered = ordered.nulls_first() if descending else ordered.nulls_last()
        query.order_by.append(ordered)
    if "id" not in sorted_by:  # a total order, so that pages never overlap or skip rows
        query.order_by.append(columns["id"].asc())

    if params.get("fields"):
        wanted = [f.strip() for f in params["fields"].split(",") if f.strip()]
        unknown = [f for f in wanted if f not in columns]
        if unknown:
            raise _bad("fields", f"未知字段: {', '.join(unknown)}")
        query.fields = list(dict.fromkeys(wanted))

    query.limit = _int_param(params, "limit", default_limit, 1, max_limit)
    query.offset = _int_param(params, "offset", 0, 0, None)
    if params.get("count") is not None:
        try:
            query.count = _parse_bool(params["count"])
        except ValueError as exc:
            raise _bad("count", str(exc)) from None
    query.format = params.get("format") or "json"
    if query.format not in ("json", "csv", "xlsx"):
        raise _bad("format", "应为 json、csv 或 xlsx")
    return query


def _int_param(params: Mapping[str, str], name: str, default: int, low: int,
               high: int | None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _bad(name, "应为整数") from None
    if value < low or (high is not None and value > high):
        raise _bad(name, f"应在 {low} 到 {high} 之间" if high else f"应不小于 {low}")
    return value
