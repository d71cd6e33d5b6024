"""What clients send for the dispute register."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from backend.core.db import MAX_ID
from backend.core.schemas import CreateSchema
from backend.core.validation import Name, Phone
from backend.disputes.models import FoundHow, RiskLevel
from backend.ledgers.schemas import GridCode


class DisputeTypeCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "01", "name": "邻里纠纷", "is_active": True}]})

    code: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{1,10}$", title="类型编码")]
    name: Annotated[str, Field(min_length=1, max_length=50, title="类型名称")]
    is_active: bool = True


class DisputeCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "grid_code": "410602001002007", "type_code": "01", "title": "楼上漏水引发邻里纠纷",
        "summary": "3号楼402卫生间漏水至302, 双方就维修费用争执", "place": "新华街88号院3号楼",
        "risk_level": "low", "found_how": "visit", "found_by": "李秀英",
        "found_on": "2026-11-28"}]})

    grid_code: GridCode
    type_code: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{1,10}$", title="纠纷类型")]
    title: Annotated[str, Field(min_length=1, max_length=200, title="纠纷简述")]
    summary: Annotated[str | None, Field(max_length=5000, title="纠纷情况")] = None
    place: Annotated[str | None, Field(max_length=200, title="发生地点")] = None
    risk_level: RiskLevel = RiskLevel.low
    found_how: FoundHow = FoundHow.screening
    found_by: Annotated[Name | None, Field(
        title="发现人", description="省略: 当前账号的姓名")] = None
    found_on: Annotated[dt.date, Field(title="发现日期")]


class DisputePartyCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "dispute_id": 1, "name": "刘志强", "resident_id": 1, "phone": "13512345678",
        "side": "申请人"}]})

    dispute_id: Annotated[int, Field(ge=1, le=MAX_ID, title="纠纷")]
    grid_code: Annotated[GridCode | None, Field(description="可省略: 取纠纷的网格")] = None
    name: Annotated[Name, Field(title="姓名")]
    resident_id: Annotated[int | None, Field(ge=1, le=MAX_ID, title="居民",
                                             description="台账中的居民; 外来人员省略")] = None
    phone: Phone | None = None
    side: Annotated[str | None, Field(max_length=20, title="当事方",
                                      description="如 申请人、被申请人")] = None


class DisputeStepRead(BaseModel):
    """A step of a dispute's life (written by the workflow only); the example for the docs."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "dispute_id": 1, "grid_code": "410602001002007", "action": "hand-over",
        "from_status": "mediating", "to_status": "handed_over", "level": "community",
        "actor": "secretary", "department_code": "PCS01", "note": "涉嫌故意伤害, 移交派出所",
        "details": {"department_code": "PCS01", "days": 10,
                    "due_at": "2026-12-15T09:30:00+00:00"}}]})

    dispute_id: int
    grid_code: str
    action: str
    from_status: str
    to_status: str
    level: str
    actor: str
    department_code: str | None
    note: str | None
    details: dict[str, Any]


class DisputeMediationRead(BaseModel):
    """A mediation session (recorded by the workflow's `mediate`); the example for the docs."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "dispute_id": 1, "grid_code": "410602001002007", "held_on": "2026-11-29",
        "level": "grid", "place": "社区调解室", "mediators": "李秀英、王建国",
        "agreed": "双方同意共同请维修工查明漏水原因", "recorded_by": "李秀英"}]})

    dispute_id: int
    grid_code: str
    held_on: dt.date
    level: str
    place: str | None
    mediators: str
    agreed: str | None
    recorded_by: str


class DisputeScreeningCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "grid_code": "410602001002007", "period_first": "2026-11-16", "nil_report": False,
        "note": "走访排查 126 户, 发现邻里纠纷 1 起, 已登记调解"}]})

    grid_code: GridCode
    period_first: Annotated[dt.date, Field(
        title="半月起", description="所报半月的第一天: 每月1日或16日")]
    nil_report: Annotated[bool, Field(
        title="零报告", description="本半月未发现矛盾纠纷")] = False
    note: Annotated[str | None, Field(max_length=2000, title="排查情况")] = None
