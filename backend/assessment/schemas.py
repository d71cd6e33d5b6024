"""What clients send for the assessment: schemes, their items, hand scores and vetoes, runs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from backend.assessment.models import (
    FULL_MARKS,
    AssessmentLevel,
    AssessmentPeriod,
    ItemKind,
    ScoringRule,
)
from backend.core.db import MAX_ID
from backend.core.schemas import CreateSchema
from backend.kpi.periods import EARLIEST, LATEST

AREA_PATTERN = r"^\d{6}(\d{3}){0,3}$"
RATE = Field(ge=0, le=1, description="比率 (0–1)")


class AssessmentSchemeCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "网格千分制考核 (2026)", "level": "grid", "excellent_min": 900,
        "qualified_min": 750, "basic_min": 600, "star_share": 0.1, "is_active": True,
        "note": "区网格化服务管理中心2026年考核细则"}]})

    name: Annotated[str, Field(min_length=1, max_length=100, title="方案名称")]
    level: Annotated[AssessmentLevel, Field(title="考核对象")]
    excellent_min: Annotated[float, Field(ge=0, le=FULL_MARKS, title="优秀分数线")] = 900
    qualified_min: Annotated[float, Field(ge=0, le=FULL_MARKS, title="合格分数线")] = 750
    basic_min: Annotated[float, Field(ge=0, le=FULL_MARKS, title="基本合格分数线")] = 600
    star_share: Annotated[float, Field(
        ge=0, le=1, title="星级比例", description="网格长考核: 排名前多少比例评为星级网格员")] = 0.1
    is_active: bool = True
    note: Annotated[str | None, Field(max_length=500)] = None


class AssessmentItemCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "scheme_id": 1, "position": 1, "name": "按期结案率", "kind": "computed", "points": 300,
        "figure": "on_time_closure_rate", "rule": "target", "target": 0.95, "floor": 0.6,
        "standard": "按期结案率达95%得满分, 60%及以下不得分, 其间按比例计分"}]})

    scheme_id: Annotated[int, Field(ge=1, le=MAX_ID, title="考核方案")]
    position: Annotated[int, Field(ge=0, le=999, title="排序")] = 0
    name: Annotated[str, Field(min_length=1, max_length=100, title="项目名称")]
    kind: Annotated[ItemKind, Field(title="计分方式")]
    points: Annotated[int, Field(ge=0, le=FULL_MARKS, title="分值",
                                 description="一票否决项为 0")] = 0
    figure: Annotated[str | None, Field(
        max_length=40, title="考核指标",
        description="指标计分项目的指标, 如 on_time_closure_rate, patrol_rate")] = None
    rule: Annotated[ScoringRule | None, Field(title="计分规则")] = None
    target: Annotated[float | None, RATE] = None
    floor: Annotated[float | None, RATE] = None
    standard: Annotated[str | None, Field(max_length=1000, title="评分标准")] = None


class AssessmentEntryCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "item_id": 5, "period_kind": "quarter", "period_first": "2026-07-01",
        "unit_code": "410602001001001", "points": 80, "vetoed": False,
        "reason": "季度督查发现2处台账信息未更新, 扣20分"}]})

    item_id: Annotated[int, Field(ge=1, le=MAX_ID, title="考核项目")]
    period_kind: Annotated[AssessmentPeriod, Field(title="考核周期")]
    period_first: Annotated[dt.date, Field(
        ge=EARLIEST, le=LATEST, title="考核期", description="考核期内任一天, 存为该期首日")]
    unit_code: Annotated[str, Field(
        min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$", title="考核对象",
        description="网格/社区/部门代码; 网格长考核为网格工作人员编号")]
    points: Annotated[float | None, Field(ge=0, le=FULL_MARKS, title="得分",
                                          description="人工评分项目的得分")] = None
    vetoed: Annotated[bool, Field(title="否决", description="一票否决项目: true")] = False
    reason: Annotated[str, Field(min_length=1, max_length=1000, title="评分理由")]
    area_code: Annotated[str | None, Field(
        pattern=AREA_PATTERN, title="区域编码", description="可省略: 由考核对象得出")] = None


class AssessmentRunCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "scheme_id": 1, "period": "quarter", "date": "2026-09-30", "area_code": "410602"}]})

    scheme_id: Annotated[int, Field(ge=1, le=MAX_ID, title="考核方案")]
    period: Annotated[AssessmentPeriod, Field(title="考核周期")]
    date: Annotated[dt.date, Field(ge=EARLIEST, le=LATEST, title="考核期内任一天")]
    area_code: Annotated[str | None, Field(
        pattern=AREA_PATTERN, title="考核区域", description="省略: 本人辖区 (须唯一)")] = None


class AssessmentRunShape(BaseModel):
    """Never written through the registry (POST /api/v1/assessments/runs makes a run); the
    example for the docs."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "scheme_id": 1, "level": "grid", "period_kind": "quarter", "period_first": "2026-07-01",
        "period_last": "2026-09-30", "period_label": "2026年第3季度", "area_code": "410602",
        "status": "final", "created_by": "leader", "units": 42}]})

    scheme_id: int
    level: AssessmentLevel
    period_kind: str
    period_first: dt.date
    period_last: dt.date
    period_label: str
    area_code: str
    status: str
    created_by: str
    units: int


class AssessmentScoreShape(BaseModel):
    """A unit's score in a run (written by the run only); the example for the docs."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "run_id": 1, "unit_code": "410602001001001", "unit_name": "新华街社区第一网格",
        "area_code": "410602001001001", "department_code": None, "total": 912.5,
        "vetoed": False, "veto_reason": None, "grade": "excellent", "rank": 1, "star": False,
        "bottom_streak": 0, "flagged": False}]})

    run_id: int
    unit_code: str
    unit_name: str
    area_code: str
    total: float
    grade: str
    rank: int
