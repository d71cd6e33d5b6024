"""Entity declarations of the assessment: schemes and items (reference data), the hand scores
and vetoes entered per unit and period, and the runs and their scores (read only: a run is
made by POST /api/v1/assessments/runs, backend/assessment/service.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.areas.models import Area, AreaLevel, Grid
from backend.assessment.figures import FIGURES_BY_LEVEL, figures_note
from backend.assessment.models import (
    AssessmentEntry,
    AssessmentItem,
    AssessmentLevel,
    AssessmentRun,
    AssessmentScheme,
    AssessmentScore,
    ItemKind,
    ScoringRule,
)
from backend.assessment.schemas import (
    AssessmentEntryCreate,
    AssessmentItemCreate,
    AssessmentRunShape,
    AssessmentSchemeCreate,
    AssessmentScoreShape,
)
from backend.cases.models import Department
from backend.core.crud import Caller, EntitySpec, register
from backend.core.errors import field_error
from backend.kpi.periods import PeriodKind, period_of
from backend.team.models import GridStaff, TeamRole


def validate_scheme(_session: Session, data: dict[str, Any], _existing: Any) -> None:
    if not data["excellent_min"] >= data["qualified_min"] >= data["basic_min"]:
        raise field_error(422, "qualified_min",
                          "分数线应为 优秀 ≥ 合格 ≥ 基本合格")


def _level_of(session: Session, scheme_id: int) -> AssessmentLevel:
    return AssessmentLevel(session.execute(select(AssessmentScheme.level).where(
        AssessmentScheme.id == scheme_id)).scalar_one())


def validate_item(session: Session, data: dict[str, Any], _existing: Any) -> None:
    kind = ItemKind(data["kind"])
    if kind is ItemKind.veto:
        if data["points"]:
            raise field_error(422, "points", "一票否决项目不计分值, 应为 0")
        return
    if not data["points"]:
        raise field_error(422, "points", "计分项目的分值应大于 0")
    if kind is ItemKind.manual:
        return
    level = _level_of(session, data["scheme_id"])
    if data.get("figure") not in FIGURES_BY_LEVEL[level]:
        raise field_error(422, "figure", f"{level.label}考核可用的指标: {figures_note(level)}")
    if data.get("rule") is None:
        raise field_error(422, "rule", "指标计分项目须给出计分规则")
    if ScoringRule(data["rule"]) is ScoringRule.target:
        if data.get("target") is None:
            raise field_error(422, "target", "达标计分须给出达标值")
        if (data.get("floor") or 0) >= data["target"]:
            raise field_error(422, "floor", "零分线应低于达标值")


def _unit_place(session: Session, level: AssessmentLevel, code: str
                ) -> tuple[str, str | None] | None:
    """Where a unit is (its area code, its department): None for no such unit."""
    match level:
        case AssessmentLevel.grid:
            found = session.execute(select(Grid.code).where(Grid.code == code)).scalar()
            return (found, None) if found else None
        case AssessmentLevel.community:
            found = session.execute(select(Area.code).where(
                Area.code == code, Area.level == AreaLevel.community)).scalar()
            return (found, None) if found else None
        case AssessmentLevel.grid_chief:
            if not code.isdigit() or len(code) > 12:
                return None
            grid = session.execute(select(GridStaff.grid_code).where(
                GridStaff.id == int(code), GridStaff.team_role == TeamRole.grid_chief)).scalar()
            return (grid, None) if grid else None
        case AssessmentLevel.department:
            area = session.execute(select(Department.area_code).where(
                Department.code == code)).scalar()
            return (area, code) if area else None
    return None


def prepare_entry(session: Session, changed: dict[str, Any], existing: AssessmentEntry | None,
                  caller: Caller) -> None:
    """The period as its first day; the unit's area (the row's scope) from the unit; who
    entered it, from the login."""
    changed["entered_by"] = caller.person
    kind = changed.get("period_kind") or (existing.period_kind if existing else None)
    first = changed.get("period_first") or (existing.period_first if existing else None)
    if kind is not None and isinstance(first, dt.date):
        changed["period_first"] = period_of(PeriodKind(kind), first).first
    item_id = changed.get("item_id") or (existing.item_id if existing else None)
    unit = changed.get("unit_code") or (existing.unit_code if existing else None)
    if existing is None or {"unit_code", "item_id", "area_code"} & set(changed):
        item = session.get(AssessmentItem, item_id)
        if item is None:
            raise field_error(422, "item_id", f"考核项目 {item_id} 不存在")
        level = _level_of(session, item.scheme_id)
        place = _unit_place(session, level, str(unit))
        if place is None:
            raise field_error(422, "unit_code", f"{level.label} {unit} 不存在")
        if changed.get("area_code") not in (None, place[0]):
            raise field_error(422, "area_code", f"与考核对象的区域 {place[0]} 不一致")
        changed["area_code"], changed["department_code"] = place


def validate_entry(session: Session, data: dict[str, Any], _existing: Any) -> None:
    item = session.get(AssessmentItem, data["item_id"])
    if item is None:
        raise field_error(422, "item_id", f"考核项目 {data['item_id']} 不存在")
    if item.kind is ItemKind.computed:
        raise field_error(422, "item_id", f"{item.name} 由指标计算, 不能人工录入")
    if item.kind is ItemKind.veto:
        if not data["vetoed"] or data.get("points") is not None:
            raise field_error(422, "vetoed", "一票否决项目: vetoed 应为 true, 不填得分")
        return
    if data["vetoed"]:
        raise field_error(422, "vetoed", f"{item.name} 不是一票否决项目")
    if data.get("points") is None or data["points"] > item.points:
        raise field_error(422, "points", f"{item.name} 的得分应在 0 至 {item.points} 之间")


ASSESSMENT_SCHEMES = register(EntitySpec(
    name="assessment-schemes", model=AssessmentScheme, create_schema=AssessmentSchemeCreate,
    label="考核方案", label_en="assessment schemes", scope_column=None, default_sort="id",
    immutable=("level",), validate=validate_scheme,
))
ASSESSMENT_ITEMS = register(EntitySpec(
    name="assessment-items", model=AssessmentItem, create_schema=AssessmentItemCreate,
    label="考核项目", label_en="assessment items", scope_column=None,
    default_sort="position", immutable=("scheme_id",), validate=validate_item,
))
ASSESSMENT_ENTRIES = register(EntitySpec(
    name="assessment-entries", model=AssessmentEntry, create_schema=AssessmentEntryCreate,
    label="考核评分录入", label_en="assessment entries", scope_column="area_code",
    department_column="department_code", default_sort="-period_first",
    immutable=("item_id", "unit_code"), prepare_write=prepare_entry, validate=validate_entry,
    read_example={"area_code": "410602001001001", "department_code": None, "evidence": None,
                  "entered_by": "张书记"},
))
ASSESSMENT_RUNS = register(EntitySpec(
    name="assessment-runs", model=AssessmentRun, create_schema=AssessmentRunShape,
    label="考核批次", label_en="assessment runs", scope_column="area_code", scope_lineage=True,
    default_sort="-id", read_only=True, actions=("run", "finalize"),
))
ASSESSMENT_SCORES = register(EntitySpec(
    name="assessment-scores", model=AssessmentScore, create_schema=AssessmentScoreShape,
    label="考核得分", label_en="assessment scores", scope_column="area_code",
    department_column="department_code", default_sort="rank", read_only=True,
))
