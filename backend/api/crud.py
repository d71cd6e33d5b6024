"""The CRUD registry: declare an entity once, get its service functions and REST routes.

An `EntitySpec` names the model, its hand-written create schema and the few rules that differ
between entities (parent whose grid code a row inherits, immutable codes, domain checks).
Everything else — read/update schemas, filters, sorting, paging, CSV, ETags, foreign-key,
uniqueness and column-limit checks — is derived here, once, for every entity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import JSON, String, Text, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import Column

from backend.api.errors import FieldError, ProblemError, field_error, not_found
from backend.api.filtering import ListQuery, integer_range
from backend.api.schemas import partial_schema, read_schema_for
from backend.db import Base, TableBase, TagList

SERVER_FIELDS = ("id", "created_at", "updated_at", "version")
Validator = Callable[[Session, dict[str, Any], Any], None]


@dataclass(frozen=True)
class ParentLink:
    """A row whose grid code is its parent's: a household's is its building's, and so on."""

    fk: str  # column on the child holding the parent's id, e.g. "building_id"
    model: type[TableBase]
    copies: str = "grid_code"  # the column copied from the parent and kept in step with it


@dataclass
class EntitySpec:
    name: str  # URL segment: /api/v1/<name>
    model: type[TableBase]
    create_schema: type[BaseModel]
    label: str  # zh-CN name users read, e.g. 居民
    label_en: str
    scope_column: str | None = "grid_code"
    parent: ParentLink | None = None
    # Children that copy our grid code: (their entity name, their fk column to us).
    children: tuple[tuple[str, str], ...] = ()
    immutable: tuple[str, ...] = ()
    # Fields computed from others (e.g. sex from the ID number): not carried into a PATCH merge.
    derived: tuple[str, ...] = ()
    default_sort: str = "id"
    # Example values of the fields the server fills in (codes, statuses), for the read schema.
    read_example: dict[str, Any] = field(default_factory=dict)
    validate: Validator | None = None
    before_create: Callable[[Session, dict[str, Any]], None] | None = None
    after_create: Callable[[Session, Any], None] | None = None
    read_schema: type[BaseModel] = field(init=False)
    update_schema: type[BaseModel] = field(init=False)
    list_item_schema: type[BaseModel] = field(init=False)

    def __post_init__(self) -> None:
        examples = (self.create_schema.model_config.get("json_schema_extra") or {}).get("examples")
        example = examples[0] if examples else {}
        self.read_schema = read_schema_for(self.model, example | self.read_example)
        self.update_schema = partial_schema(self.create_schema, f"{self.model.__name__}Update")
        self.list_item_schema = partial_schema(self.read_schema, f"{self.model.__name__}ListItem")

    @cached_property
    def columns(self) -> dict[str, Column]:
        """The table's columns, id first and the bookkeeping columns last."""
        cols = dict(self.model.__table__.columns.items())
        ordered = {"id": cols.pop("id")}
        tail = {name: cols.pop(name) for name in SERVER_FIELDS[1:]}
        return ordered | cols | tail

    @cached_property
    def filterable(self) -> set[str]:
        return {name for name, col in self.columns.items() if not isinstance(col.type, JSON)}

    @cached_property
    def sortable(self) -> set[str]:
        return {
            name
            for name, col in self.columns.items()
            if not isinstance(col.type, JSON | TagList) and type(col.type) is not Text
        }


REGISTRY: dict[str, EntitySpec] = {}


def register(spec: EntitySpec) -> EntitySpec:
    REGISTRY[spec.name] = spec
    return spec


def spec_for_model(model: type) -> EntitySpec:
    return next(s for s in REGISTRY.values() if s.model is model)


# --- reading -----------------------------------------------------------------------------


def row_dict(obj: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def list_rows(session: Session, spec: EntitySpec, query: ListQuery) -> tuple[list[dict], int | None]:
    table = spec.model.__table__
    names = query.fields or list(spec.columns)
    stmt = (
        select(*(table.c[name] for name in names))
        .where(*query.conditions)
        .order_by(*query.order_by)
        .limit(query.limit)
        .offset(query.offset)
    )
    rows = [dict(row) for row in session.execute(stmt).mappings()]
    total = None
    if query.count:
        count_stmt = select(func.count()).select_from(table).where(*query.conditions)
        total = session.execute(count_stmt).scalar_one()
    return rows, total


def iter_rows(session: Session, spec: EntitySpec, query: ListQuery, limit: int | None):
    """All rows of a list query in batches (CSV export): a server-side cursor, not one big list."""
    table = spec.model.__table__
    names = query.fields or list(spec.columns)
    stmt = select(*(table.c[name] for name in names)).where(*query.conditions)
    stmt = stmt.order_by(*query.order_by).offset(query.offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    result = session.execute(stmt.execution_options(yield_per=1000))
    for row in result.mappings():
        yield row


def get_row(session: Session, spec: EntitySpec, row_id: int) -> Any:
    obj = session.get(spec.model, row_id)
    if obj is None:
        raise not_found(spec.label, row_id)
    return obj


# --- checks shared by create and update ----------------------------------------------------


def _check_column_limits(spec: EntitySpec, data: dict[str, Any]) -> None:
    """What the database would refuse with an error (PostgreSQL) or silently accept (SQLite)."""
    errors: list[FieldError] = []
    for name, value in data.items():
        column = spec.columns.get(name)
        if column is None or value is None:
            continue
        if isinstance(value, str):
            if "\x00" in value:
                errors.append(FieldError(name, "不能包含空字符 (\\x00)"))
            length = getattr(column.type, "length", None)
            if isinstance(column.type, String) and length and len(value) > length:
                errors.append(FieldError(name, f"长度不能超过 {length} 个字符"))
        elif isinstance(value, int) and not isinstance(value, bool):
            low, high = integer_range(column)
            if not low <= value <= high:
                errors.append(FieldError(name, f"应在 {low} 到 {high} 之间"))
        elif isinstance(value, dt.datetime) and not 1900 <= value.year <= 2999:
            errors.append(FieldError(name, "时间应在 1900 到 2999 年之间"))
        elif isinstance(value, dt.date) and not 1880 <= value.year <= 2999:
            errors.append(FieldError(name, "日期应在 1880 到 2999 年之间"))
    if errors:
        raise ProblemError(422, "; ".join(f"{e.field}: {e.msg}" for e in errors), errors)


def _referenced_label(table_name: str) -> str:
    for spec in REGISTRY.values():
        if spec.model.__tablename__ == table_name:
            return spec.label
    return table_name


def _check_foreign_keys(session: Session, spec: EntitySpec, data: dict[str, Any]) -> None:
    for name, value in data.items():
        column = spec.columns.get(name)
        if column is None or value is None or not column.foreign_keys:
            continue
        target = next(iter(column.foreign_keys)).column
        if session.execute(select(target).where(target == value).limit(1)).first() is None:
            label = _referenced_label(target.table.name)
            raise field_error(422, name, f"{label} '{value}' 不存在")


def _check_unique(session: Session, spec: EntitySpec, data: dict[str, Any], row_id: int | None):
    for name, value in data.items():
        column = spec.columns.get(name)
        if column is None or value is None or not column.unique:
            continue
        stmt = select(spec.model.id).where(column == value)
        if row_id is not None:
            stmt = stmt.where(spec.model.id != row_id)
        if session.execute(stmt.limit(1)).first() is not None:
            raise field_error(409, name, f"'{value}' 已存在")


def _inherit_from_parent(session: Session, spec: EntitySpec, data: dict[str, Any]) -> None:
    link = spec.parent
    if link is None or data.get(link.fk) is None:
        return
    parent = session.get(link.model, data[link.fk])
    if parent is None:
        raise field_error(422, link.fk, f"{spec_for_model(link.model).label} '{data[link.fk]}' 不存在")
    inherited = getattr(parent, link.copies)
    given = data.get(link.copies)
    if given is not None and given != inherited:
        raise field_error(
            422, link.copies, f"与所属{spec_for_model(link.model).label}的 {inherited} 不一致"
        )
    data[link.copies] = inherited


def _validate_schema(spec: EntitySpec, data: dict[str, Any]) -> dict[str, Any]:
    try:
        return spec.create_schema.model_validate(data).model_dump()
    except ValidationError as exc:
        errors = [
            FieldError(".".join(str(p) for p in e["loc"]) or "body",
                       e["msg"].removeprefix("Value error, "))
            for e in exc.errors()
        ]
        raise ProblemError(422, "; ".join(f"{e.field}: {e.msg}" for e in errors), errors) from None


def _prepare(
    session: Session, spec: EntitySpec, data: dict[str, Any], changed: dict[str, Any], existing: Any
) -> None:
    """Every check before a write; `changed` is what is new, `data` the whole row after it."""
    _check_column_limits(spec, changed)
    _check_foreign_keys(session, spec, changed)
    if spec.validate is not None:
        spec.validate(session, data, existing)
    _check_unique(session, spec, changed, existing.id if existing is not None else None)


# --- writing -------------------------------------------------------------------------------


def create_row(session: Session, spec: EntitySpec, payload: BaseModel) -> Any:
    data = payload.model_dump()
    _inherit_from_parent(session, spec, data)
    _prepare(session, spec, data, data, None)
    if spec.before_create is not None:
        spec.before_create(session, data)
    obj = spec.model(**data)
    session.add(obj)
    session.flush()
    if spec.after_create is not None:
        spec.after_create(session, obj)
    session.commit()
    return obj


def check_if_match(obj: Any, if_match: str | None) -> None:
    """Optimistic locking: a stale If-Match answers 412 before anything is written."""
    if if_match is None or if_match.strip() == "*":
        return
    versions = {tag.strip().removeprefix("W/").strip('"') for tag in if_match.split(",")}
    if str(obj.version) not in versions:
        raise ProblemError(
            412, f"记录已被修改: 当前版本为 {obj.version}, 请求基于 {if_match}", []
        )


def update_row(
    session: Session, spec: EntitySpec, obj: Any, patch: dict[str, Any], if_match: str | None
) -> Any:
    check_if_match(obj, if_match)
    if not patch:
        return obj
    for name in spec.immutable:
        if name in patch and patch[name] != getattr(obj, name):
            raise field_error(422, name, "创建后不可修改")
    schema_fields = spec.create_schema.model_fields
    current = {
        name: getattr(obj, name)
        for name in schema_fields
        if hasattr(obj, name) and name not in spec.derived
    }
    if spec.parent is not None and spec.parent.fk in patch and spec.parent.copies not in patch:
        current.pop(spec.parent.copies, None)  # a new parent brings its own grid code
    data = _validate_schema(spec, {**current, **patch})
    link = spec.parent
    if link is not None and (link.fk in patch or link.copies in patch):
        _inherit_from_parent(session, spec, data)
    changed = {name: value for name, value in data.items() if getattr(obj, name, None) != value}
    if not changed:
        return obj
    _prepare(session, spec, data, changed, obj)
    old_scope = getattr(obj, spec.scope_column) if spec.scope_column else None
    for name, value in changed.items():
        setattr(obj, name, value)
    session.flush()
    if spec.scope_column and getattr(obj, spec.scope_column) != old_scope:
        _cascade_scope(session, spec, [obj.id], getattr(obj, spec.scope_column))
    session.commit()
    return obj


def _cascade_scope(session: Session, spec: EntitySpec, ids: list[int], new_code: str) -> None:
    """Children copy their parent's grid code; move them with it, all the way down."""
    for child_name, fk in spec.children:
        child = REGISTRY[child_name]
        child_table = child.model.__table__
        child_ids = list(
            session.execute(select(child_table.c.id).where(child_table.c[fk].in_(ids))).scalars()
        )
        if not child_ids:
            continue
        session.execute(
            update(child_table)
            .where(child_table.c.id.in_(child_ids))
            .values({child.scope_column: new_code, "version": child_table.c.version + 1})
        )
        _cascade_scope(session, child, child_ids, new_code)


def delete_row(session: Session, spec: EntitySpec, obj: Any, if_match: str | None) -> None:
    check_if_match(obj, if_match)
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is not spec.model.__table__:
                continue
            if fk.ondelete in ("CASCADE", "SET NULL"):
                continue
            value = getattr(obj, fk.column.name)
            if value is None or fk.parent.table is spec.model.__table__ and value == obj.id:
                continue
            exists = session.execute(
                select(fk.parent).where(fk.parent == value).limit(1)
            ).first()
            if exists is not None:
                raise ProblemError(
                    409, f"{spec.label} {obj.id} 仍被{_referenced_label(table.name)}引用, 不能删除"
                )
    session.delete(obj)
    session.commit()
