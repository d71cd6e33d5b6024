"""Area and grid codes (区划代码): the one place their levels are worked out.

A county's code has 6 digits, a street's 9, a community's 12 and a grid's 15; each level adds
3 digits to its parent's code, so a code's leading digits are its ancestors and a prefix names
a whole subtree (410602001 = 鹤山区's first street and everything in it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_
from sqlalchemy.sql.elements import ColumnElement

COUNTY_LENGTH, STREET_LENGTH, COMMUNITY_LENGTH, GRID_LENGTH = LEVEL_LENGTHS = (6, 9, 12, 15)
MAX_CODE_LENGTH = GRID_LENGTH


def is_grid_code(code: str | None) -> bool:
    return code is not None and len(code) == GRID_LENGTH


def lineage(code: str) -> list[str]:
    """The code and every level above it, county first: 410602001002 -> 410602, 410602001,
    410602001002."""
    return [code[:n] for n in LEVEL_LENGTHS if n <= len(code)]


def ancestors(code: str) -> list[str]:
    """Every level above the code, county first: 410602001002007 -> 410602, 410602001,
    410602001002."""
    return [code[:n] for n in LEVEL_LENGTHS if n < len(code)]


def parent(code: str) -> str | None:
    """The level just above (None for a county)."""
    above = ancestors(code)
    return above[-1] if above else None


def whole_levels(prefix: str) -> str:
    """The longest whole level within a prefix of a code: 41060200 -> 410602."""
    return prefix[:max((n for n in LEVEL_LENGTHS if n <= len(prefix)), default=0)]


def within(code: str, area_code: str) -> bool:
    """Whether `code` lies in the area `area_code` (the area itself included)."""
    return code.startswith(area_code)


def subtree_condition(column: Any, prefix: str) -> ColumnElement[bool]:
    """`column` starts with the digit string `prefix`, as an index-friendly range.

    Columns holding hierarchical codes are marked `info=HIERARCHICAL` (backend.core.db); a range
    is answered from their b-tree index by SQLite and PostgreSQL alike, where LIKE 'p%' is not
    (SQLite's LIKE is case-insensitive, PostgreSQL's needs text_pattern_ops outside C locale).
    """
    return and_(column >= prefix, column <= prefix + "9" * max(MAX_CODE_LENGTH - len(prefix), 0))
