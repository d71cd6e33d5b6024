"""Which cases (and ledger rows) a figure counts: the caller's scope and what was asked for.

The caller's `kpi: read` grants reach the cases a read of cases with the same grants would
reach (rbac.scope.grants_condition with the cases' spec): an area grant its subtree, a
department grant the cases dispatched or summoned to it, a global grant everything. The
figures may be narrowed to an area (county, street, community or grid code) or a department;
one the caller's grants do not reach answers 404, exactly like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from backend.areas.entities import GRIDS
from backend.areas.models import Area, Grid
from backend.cases.entities import CASES
from backend.cases.models import Case, Department
from backend.core import area_codes
from backend.core.crud import Caller, EntitySpec
from backend.core.errors import ProblemError, field_error
from backend.kpi.models import OpenCaseTally
from backend.kpi.sql import unindexed
from rbac.scope import Grant, grants_condition

OBJECT = "kpi"
CASE = Case.__table__.c
TALLY = OpenCaseTally.__table__.c
# The figures choose cases by time first: on SQLite the area's code must not take the lead
# (backend/kpi/sql.py, `unindexed`).
CASE_AREA = unindexed(CASE.grid_code)


@dataclass(frozen=True)
class Subject:
    """What the figures are of: an area, a department, or (neither) the caller's whole scope."""

    area_code: str | None = None
    department_code: str | None = None


def kpi_grants(caller: Caller) -> list[Grant] | None:
    """The caller's grants for the figures (403 without any); None for the system itself."""
    if caller.principal is None:
        return None
    return caller.principal.require(OBJECT, "read")


def _reaches_area(grants: list[Grant] | None, code: str) -> bool:
    if grants is None:
        return True
    # A department's cases may lie anywhere: any area narrows them.
    return any(g.is_global or g.department_code is not None
               or (g.area_code is not None and area_codes.within(code, g.area_code))
               for g in grants)


def _reaches_department(grants: list[Grant] | None, code: str) -> bool:
    if grants is None:
        return True
    # An area's figures may be split by any department; a department sees only its own.
    return any(g.department_code is None or g.department_code == code for g in grants)


def check_subject(session: Session, caller: Caller, subject: Subject) -> list[Grant] | None:
    """The caller's grants, once the subject is known to exist within them (404 otherwise)."""
    grants = kpi_grants(caller)
    if subject.area_code is not None:
        code = subject.area_code
        model, column = (Grid, Grid.code) if area_codes.is_grid_code(code) else (Area, Area.code)
        exists = session.execute(select(model.id).where(column == code)).first() is not None
        if not exists or not _reaches_area(grants, code):
            raise field_error(404, "area", f"区域 {code} 不存在")
    if subject.department_code is not None:
        code = subject.department_code
        exists = session.execute(select(Department.id).where(Department.code == code)
                                 ).first() is not None
        if not exists or not _reaches_department(grants, code):
            raise field_error(404, "department", f"部门 {code} 不存在")
    return grants


def case_conditions(session: Session, caller: Caller, subject: Subject) -> list[ColumnElement]:
    """The WHERE conditions of the cases the figures count (checks the subject first)."""
    return _case_conditions(check_subject(session, caller, subject), subject)


def _case_conditions(grants: list[Grant] | None, subject: Subject,
                     area_column: ColumnElement = CASE_AREA,
                     department_column: ColumnElement = CASE.department_code
                     ) -> list[ColumnElement]:
    conditions: list[ColumnElement[bool]] = []
    if grants is not None:
        scope = grants_condition(grants, CASES, area_column=area_column)
        if scope is not None:
            conditions.append(scope)
    if subject.area_code is not None:
        conditions.append(area_codes.subtree_condition(area_column, subject.area_code))
    if subject.department_code is not None:
        conditions.append(department_column == subject.department_code)
    return conditions


def open_case_conditions(session: Session, caller: Caller, subject: Subject
                         ) -> tuple[list[ColumnElement], list[ColumnElement] | None]:
    """The cases' conditions, and the same scope on the open cases' tally (backend/kpi/
    tally.py): None for a department's grants, which reach the cases it was summoned to, a
    task the tally's key does not hold."""
    grants = check_subject(session, caller, subject)
    cases = _case_conditions(grants, subject)
    if grants is not None and not any(g.is_global for g in grants) and any(
            g.department_code is not None for g in grants):
        return cases, None
    return cases, _case_conditions(grants, subject, area_column=TALLY.grid_code,
                                   department_column=TALLY.department_code)


def ledger_grants(session: Session, caller: Caller, subject: Subject,
                  figures: str = "台账统计") -> list[Grant] | None:
    """The caller's area grants for the ledgers' counts, or any figures counted by area
    (`figures` names them in the refusals), once the subject is checked (None: the system, no
    scope). They have no department: a caller with department grants only is refused (403), as
    departments read no resident data."""
    grants = check_subject(session, caller, subject)
    if subject.department_code is not None:
        raise field_error(422, "department", f"{figures}按区域, 不按部门")
    if grants is None:
        return None
    area_grants = [g for g in grants if g.department_code is None]
    if not area_grants:
        raise ProblemError(403, f"职能部门无权查看{figures}")
    return area_grants


def area_conditions(grants: list[Grant] | None, subject: Subject,
                    spec: EntitySpec) -> list[ColumnElement]:
    """The WHERE conditions of `spec`'s rows (a ledger, grids) within `grants` (from
    ledger_grants) and the subject's area."""
    conditions: list[ColumnElement[bool]] = []
    if grants is not None:
        scope = grants_condition(grants, spec)
        if scope is not None:
            conditions.append(scope)
    if subject.area_code is not None:
        assert spec.scope_column is not None  # ledgers and grids lie in an area
        column = spec.model.__table__.c[spec.scope_column]
        conditions.append(area_codes.subtree_condition(column, subject.area_code))
    return conditions


def grid_conditions(session: Session, caller: Caller, subject: Subject) -> list[ColumnElement]:
    """The grids a map shows: those of the caller's area grants within the subject's area;
    for a department, the grids its cases lie in."""
    grants = check_subject(session, caller, subject)
    conditions: list[ColumnElement[bool]] = []
    if grants is not None and any(g.department_code is not None for g in grants) and not any(
            g.is_global for g in grants):
        cases = case_conditions(session, caller, Subject(department_code=subject.department_code))
        conditions.append(Grid.code.in_(select(CASE.grid_code).where(*cases).distinct()))
    elif grants is not None:
        scope = grants_condition(grants, GRIDS)
        if scope is not None:
            conditions.append(scope)
    if subject.area_code is not None:
        conditions.append(area_codes.subtree_condition(Grid.code, subject.area_code))
    return conditions
