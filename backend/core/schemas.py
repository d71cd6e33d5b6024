"""Pydantic schemas derived from the models, so a column is declared in exactly one place.

Each entity writes its *create* schema by hand (that is where validation and examples live);
the read schema comes from the model's columns, the update schema from the create schema with
every field optional.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, Optional, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator
from sqlalchemy import JSON
from sqlalchemy import Enum as SAEnum
from sqlalchemy.sql.schema import Column

from backend.core.db import Base, TagList
from backend.core.labels import LabeledEnum

T = TypeVar("T")

READ_EXAMPLE_BASE = {
    "id": 1,
    "created_at": "2026-11-28T08:30:00Z",
    "updated_at": "2026-11-28T08:30:00Z",
    "version": 1,
}


def column_python_type(column: Column) -> Any:
    col_type = column.type
    if isinstance(col_type, TagList):
        return list[str]
    if isinstance(col_type, SAEnum) and col_type.enum_class is not None:
        return col_type.enum_class
    if isinstance(col_type, JSON):
        return Any
    return col_type.python_type


def column_label(column: Column) -> str:
    return column.comment or column.name


def read_schema_for(
    model: type[Base], example: dict[str, Any], hidden: tuple[str, ...] = (),
    nullable: set[str] | None = None, computed: dict[str, tuple[Any, str]] | None = None,
    notes: dict[str, str] | None = None,
) -> type[BaseModel]:
    """Read schema: every column of the table, typed as stored, titled with its zh-CN label.

    `example` is the create example plus what the server adds; columns it leaves out are null.
    `hidden` columns are never shown; `nullable` ones may come back null (withheld data).
    A column's `doc` and `notes` (e.g. how personal data is masked) join its description.
    """
    columns = [c for c in model.__table__.columns if c.name not in hidden]
    example = {c.name: None for c in columns} | READ_EXAMPLE_BASE | example
    example = {k: v for k, v in example.items() if k not in hidden}
    fields: dict[str, Any] = {}
    for column in columns:
        py_type = column_python_type(column)
        description = column_label(column)
        if isinstance(column.type, SAEnum) and column.type.enum_class is not None:
            # Every enum column is made by enum_column_type, of a LabeledEnum.
            labeled = cast(type[LabeledEnum], column.type.enum_class)
            description += " (" + labeled.describe() + ")"
        for note in (column.doc, (notes or {}).get(column.name)):
            if note:
                description += f"。{note}"
        if (column.nullable or column.name in (nullable or ())) and py_type is not Any:
            py_type = Optional[py_type]  # noqa: UP045 - built at run time
        fields[column.name] = (py_type, Field(title=column_label(column), description=description))
    for name, (py_type, label) in (computed or {}).items():
        fields[name] = (py_type, Field(title=label, description=f"{label} (读取时计算)"))
    config = ConfigDict(
        title=f"{model.__name__}Read",
        json_schema_extra={"examples": [example]},
    )
    return create_model(f"{model.__name__}Read", __config__=config, **fields)


class AwareTimes(BaseModel):
    """Times without an offset are UTC, as the database stores them (backend/core/db.py) and
    the list filters read them: given one, a rule comparing it with another time (an end
    after its start, a start not in the future) compares like with like."""

    @field_validator("*", mode="after")
    @classmethod
    def _in_utc(cls, value: Any) -> Any:
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


def partial_schema(schema: type[BaseModel], name: str) -> type[BaseModel]:
    """Every field optional and defaulting to None (PATCH bodies, sparse list rows)."""
    fields: dict[str, Any] = {}
    for field_name, info in schema.model_fields.items():
        annotation: Any = info.annotation  # a type or a typing form: built on at run time
        if info.metadata:
            annotation = Annotated[(annotation, *info.metadata)]
        fields[field_name] = (
            Optional[annotation],  # noqa: UP045
            Field(default=None, title=info.title, description=info.description),
        )
    config = ConfigDict(title=name, extra="forbid" if "Update" in name else "ignore")
    base = type(f"{name}Base", (AwareTimes,), {"model_config": config})
    return create_model(name, __base__=base, **fields)


class Page(BaseModel, Generic[T]):
    """One page of a list: `total` is null when the client asked for `count=false`."""

    items: list[T]
    total: int | None = Field(description="符合条件的总数 (count=false 时为 null)")
    limit: int
    offset: int


class CreateSchema(AwareTimes):
    """Base of the hand-written create schemas: unknown fields are an error, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

