"""The ledgers' counts per area: residents by key group, households, buildings, organisations.

Counts only, never names: the key-group tags are the most sensitive data in the system, and a
count of them is what the leading group and the grid's public notice need. Counted in the
database, within the caller's area grants (departments see none).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from backend.areas.entities import GRIDS
from backend.areas.models import Area, Grid
from backend.core import area_codes
from backend.core.crud import Caller, EntitySpec
from backend.core.db import has_tag
from backend.kpi.scope import Subject, area_conditions, ledger_grants
from backend.ledgers.entities import BUILDINGS, HOUSEHOLDS, ORGANIZATIONS, RESIDENTS
from backend.ledgers.models import KeyGroup

# The level one below each, for a breakdown: county -> streets -> communities -> grids.
LEVEL_LENGTH = {"street": area_codes.STREET_LENGTH, "community": area_codes.COMMUNITY_LENGTH,
                "grid": area_codes.GRID_LENGTH}


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _figures(spec: EntitySpec) -> list:
    """(name, SQL aggregate) of one ledger table."""
    table = spec.model.__table__.c
    if spec is RESIDENTS:
        return [("residents", func.count())] + [
            (f"key_group:{group.value}", _count(has_tag(table.key_groups, group.value)))
            for group in KeyGroup]
    if spec is HOUSEHOLDS:
        return [("households", func.count()), ("rental_households", _count(table.is_rental))]
    if spec is ORGANIZATIONS:
        return [("organizations", func.count()),
                ("key_supervised_organizations", _count(table.is_key_supervised))]
    if spec is BUILDINGS:
        return [("buildings", func.count())]
    return [("grids", func.count())]


def _empty() -> dict[str, Any]:
    return {"grids": 0, "buildings": 0, "households": 0, "rental_households": 0,
            "residents": 0, "key_groups": {group.value: 0 for group in KeyGroup},
            "organizations": 0, "key_supervised_organizations": 0}


def ledger_counts(session: Session, *, caller: Caller, subject: Subject,
                  by: str | None = None) -> dict[str, Any]:
    """The counts for the subject's area (or the caller's whole scope), and with `by` the same
    per street, community or grid."""
    grants = ledger_grants(session, caller, subject)
    total = _empty()
    units: dict[str, dict[str, Any]] = {}
    for spec in (GRIDS, BUILDINGS, HOUSEHOLDS, RESIDENTS, ORGANIZATIONS):
        figures = _figures(spec)
        conditions = area_conditions(grants, subject, spec)
        assert spec.scope_column is not None  # ledgers and grids lie in an area
        column = spec.model.__table__.c[spec.scope_column]
        key = func.substr(column, 1, LEVEL_LENGTH[by]).label("key") if by else None
        columns = [key] if key is not None else []
        stmt = select(*columns, *(aggregate for _name, aggregate in figures)).where(*conditions)
        if key is not None:
            stmt = stmt.group_by(key)
        for row in session.execute(stmt):
            values = row[1:] if key is not None else row
            target = units.setdefault(row[0], _empty()) if key is not None else total
            for (name, _aggregate), value in zip(figures, values, strict=True):
                _add(target, name, int(value))
                if key is not None:
                    _add(total, name, int(value))
    result: dict[str, Any] = {"area_code": subject.area_code, **total}
    if by is not None:
        names = _unit_names(session, by, units)
        result["by"] = [{"code": code, "name": names.get(code), **figures}
                        for code, figures in sorted(units.items())]
    return result


def _add(target: dict[str, Any], name: str, value: int) -> None:
    if name.startswith("key_group:"):
        target["key_groups"][name.removeprefix("key_group:")] += value
    else:
        target[name] += value


def _unit_names(session: Session, by: str, units: dict[str, Any]) -> dict[str, str]:
    if not units:
        return {}
    model = Grid if by == "grid" else Area
    return dict(session.execute(select(model.code, model.name).where(model.code.in_(list(units)))
                                ).tuples().all())
