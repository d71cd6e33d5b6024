"""What grid staff send for patrols, visits and work logs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field

from backend.core.db import MAX_ID
from backend.core.labels import LabeledEnum
from backend.core.schemas import CreateSchema
from backend.core.validation import Name
from backend.fieldwork.models import VisitKind
from backend.ledgers.models import KeyGroup
from backend.ledgers.schemas import GridCode


def _line_string(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    coords = value.get("coordinates")
    if value.get("type") != "LineString" or not isinstance(coords, list) or len(coords) < 2:
        raise ValueError('轨迹应为 GeoJSON LineString: '
                         '{"type": "LineString", "coordinates": [[经度, 纬度], ...]}')
    for point in coords:
        if (not isinstance(point, list) or len(point) < 2
                or not all(isinstance(c, int | float) and not isinstance(c, bool)
                           for c in point[:2])
                or not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90)):
            raise ValueError("轨迹中的点应为 [经度, 纬度]")
    return {"type": "LineString", "coordinates": [list(p[:2]) for p in coords]}


ROSTER_NOTE = "网格工作人员姓名; 省略: 当前登录账号在该网格的工作人员"


class PatrolCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "grid_code": "410602001002007", "patroller_name": "李秀英",
        "started_at": "2026-11-28T01:00:00Z", "ended_at": "2026-11-28T02:30:00Z",
        "route": {"type": "LineString", "coordinates": [[114.171, 35.931], [114.178, 35.938]]},
        "distance_m": 3200, "findings": "88号院门口积存垃圾, 已上报", "issues_found": 1}]})

    grid_code: GridCode
    patroller_name: Annotated[Name | None, Field(
        title="巡查人", description=ROSTER_NOTE)] = None
    started_at: Annotated[dt.datetime, Field(title="开始时间")]
    ended_at: dt.datetime | None = None
    route: Annotated[dict[str, Any] | None, AfterValidator(_line_string)] = None
    distance_m: Annotated[float | None, Field(ge=0, le=200_000)] = None
    findings: Annotated[str | None, Field(max_length=5000)] = None
    issues_found: Annotated[int, Field(ge=0, le=1000)] = 0


class VisitCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "household_id": 1, "grid_code": "410602001002007", "resident_id": None,
        "visitor_name": "李秀英", "second_visitor_name": "王建国", "visit_date": "2026-11-28",
        "kind": "key_group", "purpose": "冬季走访独居老人",
        "content": "身体状况良好, 提醒冬季用电安全", "needs_follow_up": False}]})

    household_id: Annotated[int, Field(ge=1, le=MAX_ID, title="走访户")]
    grid_code: Annotated[GridCode | None, Field(description="可省略: 取所走访户的网格")] = None
    resident_id: Annotated[int | None, Field(ge=1, le=MAX_ID)] = None
    visitor_name: Annotated[Name | None, Field(title="走访人", description=ROSTER_NOTE)] = None
    second_visitor_name: Annotated[Name | None, Field(
        title="同行走访人", description="入户走访两人一道")] = None
    purpose: Annotated[str | None, Field(max_length=200, title="走访事由")] = None
    visit_date: Annotated[dt.date, Field(title="走访日期")]
    kind: VisitKind = VisitKind.routine
    content: Annotated[str | None, Field(max_length=5000)] = None
    needs_follow_up: bool = False


class WorkLogCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "grid_code": "410602001002007", "author_name": "王建国", "log_date": "2026-11-28",
        "content": "上午巡查网格一次, 走访重点户3户; 下午协助环卫清理88号院垃圾", "hours": 8}]})

    grid_code: GridCode
    author_name: Annotated[Name | None, Field(title="记录人", description=ROSTER_NOTE)] = None
    log_date: Annotated[dt.date, Field(title="日期")]
    content: Annotated[str, Field(min_length=1, max_length=5000, title="工作内容")]
    hours: Annotated[float | None, Field(ge=0, le=24)] = None


class CoverageRuleCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "area_code": "410602", "patrol_every_days": 1, "key_visit_every_months": 3,
        "household_visit_every_months": 12, "note": "区网格办2026年考核细则"}]})

    area_code: Annotated[str, Field(
        pattern=r"^\d{6}(\d{3}){0,3}$", title="适用区域代码",
        description="区县/街道/社区/网格代码 (6/9/12/15 位), 对其下所有网格适用")]
    patrol_every_days: Annotated[int, Field(ge=1, le=31, title="巡查周期(天)")] = 1
    key_visit_every_months: Annotated[int, Field(ge=1, le=12, title="重点户走访周期(月)")] = 3
    household_visit_every_months: Annotated[int, Field(
        ge=1, le=36, title="普通户走访周期(月)")] = 12
    note: Annotated[str | None, Field(max_length=200)] = None


class SupervisionScheduleCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "key_group": "社区矫正", "every_days": 14, "active": True,
        "note": "县综治办: 社区矫正对象每半月走访一次"}]})

    key_group: Annotated[KeyGroup, Field(title="重点人群")]
    every_days: Annotated[int, Field(ge=1, le=366, title="帮教走访周期(天)")]
    active: Annotated[bool, Field(title="启用")] = True
    note: Annotated[str | None, Field(max_length=200)] = None


class PatrolStart(CreateSchema):
    """A patrol begins now (the mobile client's 开始巡查)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "grid_code": "410602001002007", "patroller_name": None}]})

    grid_code: GridCode
    patroller_name: Annotated[Name | None, Field(title="巡查人", description=ROSTER_NOTE)] = None


TrackPoint = Annotated[list[float], Field(min_length=2, max_length=2,
                                          description="[经度, 纬度] (WGS84)")]


class PatrolTrack(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "points": [[114.171, 35.931], [114.172, 35.933]]}]})

    points: Annotated[list[TrackPoint], Field(min_length=1, max_length=5000,
                                              title="轨迹点", description="按时间顺序")]


class PatrolFinish(CreateSchema):
    """The patrol ends now: what was found, the last track points."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "findings": "88号院门口积存垃圾, 已上报", "points": [[114.178, 35.938]],
        "issues_found": None, "distance_m": None}]})

    findings: Annotated[str | None, Field(max_length=5000, title="发现问题")] = None
    points: Annotated[list[TrackPoint], Field(max_length=5000, title="轨迹点")] = []
    issues_found: Annotated[int | None, Field(
        ge=0, le=1000, description="省略: 巡查中上报的案卷数")] = None
    distance_m: Annotated[float | None, Field(
        ge=0, le=200_000, description="省略: 按轨迹计算")] = None


class LogDecision(LabeledEnum):
    approve = ("approve", "通过")
    send_back = ("return", "退回")


class WorkLogReview(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "decision": "return", "note": "请补充走访户的具体情况"}]})

    decision: Annotated[LogDecision, Field(title="审阅结论",
                                           description="通过, 或退回 (须写明意见)")]
    note: Annotated[str | None, Field(max_length=2000, title="审阅意见")] = None
