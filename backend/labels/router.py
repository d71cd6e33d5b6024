"""GET /api/v1/labels: every coded value a client shows, with its zh-CN and English name.

The dashboards (and any other client) read status, light, priority, source, role and
department names here rather than keeping copies: one source, the enumerations themselves.
English is the member's identifier in words (`grid_chief` -> "grid chief"), as the panel shows
it in English.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from backend.api.deps import CurrentCaller, SessionDep
from backend.api.problems import problem_docs
from backend.api.routes import json_response
from backend.areas.models import AreaLevel, GridLevel
from backend.assessment.models import AssessmentLevel, Grade, ItemKind, RunStatus, ScoringRule
from backend.cases.entities import DEPARTMENTS
from backend.cases.models import (
    ApprovalStage,
    CaseCategory,
    CasePriority,
    CaseSource,
    CaseStatus,
    CategoryKind,
    DeadlineUnit,
    Department,
    DepartmentKind,
    HandlingType,
    Light,
    TaskStatus,
)
from backend.core import crud
from backend.core.labels import LabeledEnum
from backend.disputes.models import DisputeLevel, DisputeStatus, FoundHow, RiskLevel
from backend.fieldwork.models import VisitKind
from backend.identity.models import Role
from backend.kpi.periods import PeriodKind
from backend.kpi.rates import FIGURE_LABELS
from backend.ledgers.models import KeyGroup, OrganizationKind, ResidenceType, RiskGrade, Sex
from backend.notifications.models import NotificationKind
from backend.requests_desk.models import ErrandKind, ErrandStatus, RequestKind, RequestStatus
from backend.team.models import TeamRole

router = APIRouter(tags=["系统 system"], responses=problem_docs(401))

ENUMS: dict[str, type[LabeledEnum]] = {
    "case_status": CaseStatus, "light": Light, "priority": CasePriority, "source": CaseSource,
    "handling_type": HandlingType, "task_status": TaskStatus, "approval_stage": ApprovalStage,
    "category_kind": CategoryKind, "deadline_unit": DeadlineUnit,
    "department_kind": DepartmentKind, "role": Role, "area_level": AreaLevel,
    "grid_level": GridLevel, "residence_type": ResidenceType, "sex": Sex,
    "key_group": KeyGroup, "organization_kind": OrganizationKind, "risk_grade": RiskGrade,
    "visit_kind": VisitKind, "notification_kind": NotificationKind, "period": PeriodKind,
    "assessment_level": AssessmentLevel, "assessment_grade": Grade, "item_kind": ItemKind,
    "scoring_rule": ScoringRule, "run_status": RunStatus, "team_role": TeamRole,
    "dispute_status": DisputeStatus, "dispute_level": DisputeLevel, "risk_level": RiskLevel,
    "found_how": FoundHow, "request_kind": RequestKind, "request_status": RequestStatus,
    "errand_kind": ErrandKind, "errand_status": ErrandStatus,
}


class Label(BaseModel):
    value: str = Field(description="接口中的取值")
    zh: str = Field(description="中文名称")
    en: str = Field(description="English name")


class DepartmentName(BaseModel):
    code: str
    name: str


class CategoryName(BaseModel):
    code: str
    name: str = Field(description="小类名称")
    big_class_name: str = Field(description="大类名称")


class Labels(BaseModel):
    enums: dict[str, list[Label]] = Field(description="各枚举的取值与名称, 按接口中的顺序")
    figures: dict[str, Label] = Field(description="考核指标的名称 (/api/v1/kpi)")
    departments: list[DepartmentName] = Field(description="您可查看的部门")
    categories: list[CategoryName] = Field(description="案件分类 (大类、小类)")


def enum_labels(enum_cls: type[LabeledEnum]) -> list[dict[str, str]]:
    return [{"value": m.value, "zh": m.label, "en": m.name.replace("_", " ")} for m in enum_cls]


ENUM_LABELS = {name: enum_labels(enum_cls) for name, enum_cls in ENUMS.items()}
FIGURES = {name: {"value": name, "zh": zh, "en": en} for name, (zh, en) in FIGURE_LABELS.items()}


@router.get("/labels", response_model=Labels, summary="名称 Labels of statuses, lights, roles ...")
def labels(session: SessionDep, caller: CurrentCaller) -> Any:
    readable = crud.readable(caller, DEPARTMENTS)
    stmt = select(Department.code, Department.name).order_by(Department.code)
    if readable is not None:
        stmt = stmt.where(readable)
    departments = [{"code": code, "name": name} for code, name in session.execute(stmt)]
    # Categories are the public classification (Open311 lists them to anyone): no scope.
    categories = [row._asdict() for row in session.execute(
        select(CaseCategory.code, CaseCategory.name, CaseCategory.big_class_name)
        .order_by(CaseCategory.code))]
    return json_response({"enums": ENUM_LABELS, "figures": FIGURES, "departments": departments,
                          "categories": categories})
