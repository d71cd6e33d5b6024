"""Enumerations whose values are stable English identifiers and whose labels users read (zh-CN)."""

from __future__ import annotations

import enum

from sqlalchemy import Enum as SAEnum


class LabeledEnum(str, enum.Enum):
    """A str enum whose members carry a Chinese label: `Member("value", "标签")`."""

    label: str

    def __new__(cls, value: str, label: str = ""):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]

    @classmethod
    def describe(cls) -> str:
        return "; ".join(f"{m.value}={m.label}" for m in cls)


def enum_column_type(enum_cls: type[LabeledEnum]) -> SAEnum:
    """Stored as VARCHAR of the values (portable; new members need no DDL)."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=max(len(m.value) for m in enum_cls) + 8,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )
