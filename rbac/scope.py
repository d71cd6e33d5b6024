"""Who may do what, where: a principal's grants turned into permission checks and SQL.

A grant is a role held within a scope: an area code (the subtree under it), a department, or
nothing at all (the whole system). The Casbin policy says what the role may do; the scope
says to which rows, always as a WHERE clause on an indexed code column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, false, not_, or_

from backend.core import area_codes
from backend.core.errors import ProblemError
from rbac.enforcer import PolicyEngine


@dataclass(frozen=True)
class Grant:
    role: str
    area_code: str | None = None
    department_code: str | None = None

    @property
    def is_global(self) -> bool:
        return self.area_code is None and self.department_code is None


@dataclass
class Principal:
    user_id: int
    username: str
    display_name: str
    grants: tuple[Grant, ...]
    engine: PolicyEngine = field(repr=False, compare=False)
    via_api_key: bool = False

    def grants_for(self, obj: str, action: str) -> list[Grant]:
        return [g for g in self.grants if self.engine.allowed(g.role, obj, action)]

    def can(self, obj: str, action: str) -> bool:
        return bool(self.grants_for(obj, action))

    def require(self, obj: str, action: str) -> list[Grant]:
        grants = self.grants_for(obj, action)
        if not grants:
            raise ProblemError(403, f"无权对 {obj} 执行 {action}")
        return grants

    def sees_pii(self, obj: str) -> bool:
        return self.can(obj, "pii")


def _area_condition(column, area_code: str, lineage: bool) -> ColumnElement[bool]:
    below = area_codes.subtree_condition(column, area_code)
    if not lineage:
        return below
    # Reference rows above the grant (its street, its county) are visible too.
    above = area_codes.ancestors(area_code)
    return or_(below, column.in_(above)) if above else below


def scope_condition(principal: Principal, spec, action: str) -> ColumnElement[bool] | None:
    """The rows `action` may touch, as SQL; None when unrestricted. 403 if no grant allows it."""
    return shown_condition(principal, principal.require(spec.name, action), spec)


def shown_condition(principal: Principal, grants: list[Grant], spec, area_column=None
                    ) -> ColumnElement[bool] | None:
    """The rows of `spec` that `grants` show their holder: grants_condition, with the sensitive
    rows (backend.core.crud.SensitiveRows: 帮教 visits) only under the grants that may see them
    (`sees_sensitive`). Figures count with grants_condition: a count names nobody."""
    sensitive = getattr(spec, "sensitive", None)
    if sensitive is None:
        return grants_condition(grants, spec, area_column)
    seeing = [g for g in grants if sees_sensitive(principal, spec, g)]
    blind = [g for g in grants if g not in seeing]
    conditions = []
    if seeing:
        condition = grants_condition(seeing, spec, area_column)
        if condition is None:
            return None
        conditions.append(condition)
    if blind:
        condition = grants_condition(blind, spec, area_column)
        hidden = not_(sensitive.condition(spec.model.__table__))
        conditions.append(hidden if condition is None else and_(condition, hidden))
    return or_(*conditions) if conditions else false()


def sees_sensitive(principal: Principal, spec, grant: Grant) -> bool:
    """Whether `grant` reads the sensitive rows of `spec`: it holds `pii` on it, or it stands
    at a grid (the grid's own staff: who walks the grid knows whom it supervises)."""
    return principal.engine.allowed(grant.role, spec.name, "pii") or (
        grant.area_code is not None and area_codes.is_grid_code(grant.area_code))


def grants_condition(grants: list[Grant], spec, area_column=None) -> ColumnElement[bool] | None:
    """The rows of `spec` that `grants` reach, as SQL; None when unrestricted.

    The one rule of scope_condition, for grants a caller holds for another object: the KPI
    figures (object `kpi`) count the cases its grants reach exactly as a read of cases would.
    `area_column` stands for the scope column, as an expression of it (the KPI module's keeps
    SQLite from choosing the code's index over a time index, backend/kpi/scope.py)."""
    if spec.scope_column is None:
        return None
    column = spec.model.__table__.c[spec.scope_column] if area_column is None else area_column
    conditions = []
    for grant in grants:
        if grant.is_global:
            return None
        if grant.department_code is not None:
            if spec.department_scope is not None:
                conditions.append(spec.department_scope(grant.department_code))
            elif spec.department_column is not None:
                conditions.append(
                    spec.model.__table__.c[spec.department_column] == grant.department_code
                )
        elif grant.area_code is not None:
            conditions.append(_area_condition(column, grant.area_code, spec.scope_lineage))
    return or_(*conditions) if conditions else false()


def _code_within(code: str | None, area_code: str, lineage: bool) -> bool:
    if code is None:
        return False
    return area_codes.within(code, area_code) or (
        lineage and code in area_codes.ancestors(area_code))


def row_in_scope(principal: Principal, spec, action: str, values: Mapping[str, Any]) -> bool:
    """The same rule as scope_condition, for one row about to be written."""
    grants = principal.require(spec.name, action)
    sensitive = getattr(spec, "sensitive", None)
    if sensitive is not None and sensitive.holds(values):
        grants = [g for g in grants if sees_sensitive(principal, spec, g)]
        if not grants:
            return False
    if spec.scope_column is None:
        return True
    for grant in grants:
        if grant.is_global:
            return True
        if grant.department_code is not None:
            if (spec.department_column
                    and values.get(spec.department_column) == grant.department_code):
                return True
        elif grant.area_code is not None and _code_within(
                values.get(spec.scope_column), grant.area_code, spec.scope_lineage):
            return True
    return False
