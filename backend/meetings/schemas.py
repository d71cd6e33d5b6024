"""What clients send for meetings and their subjects."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import ConfigDict, Field

from backend.core.db import MAX_ID
from backend.core.schemas import CreateSchema
from backend.core.validation import Name
from backend.meetings.models import MeetingKind

DepartmentCode = Annotated[str, Field(pattern=r"^[0-9A-Za-z_-]{1,20}$")]


class MeetingCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "area_code": "410602001", "kind": "joint", "title": "中山路街道11月联席会议",
        "held_on": "2026-11-27", "place": "街道综治中心三楼会议室", "chair": "张主任",
        "attendees": ["王书记", "王建国"], "department_codes": ["HW01", "GA01"],
        "minutes": "研究新华街88号院占道经营和物业纠纷两件难点问题"}]})

    area_code: Annotated[str, Field(
        pattern=r"^\d{9}(\d{3}){0,2}$", title="召开单位区域代码",
        description="网格例会: 网格代码 (15 位); 社区例会: 社区 (12 位); "
                    "联席会议: 社区或街道 (9 位)")]
    kind: MeetingKind
    title: Annotated[str, Field(min_length=1, max_length=200, title="会议名称")]
    held_on: Annotated[dt.date, Field(title="召开日期")]
    place: Annotated[str | None, Field(max_length=200, title="地点")] = None
    chair: Annotated[Name | None, Field(title="主持人", description="省略: 当前账号的姓名")] = None
    attendees: Annotated[list[Name], Field(max_length=100, title="参会人员")] = []
    department_codes: Annotated[list[DepartmentCode], Field(
        max_length=50, title="参会部门", description="部门编码")] = []
    minutes: Annotated[str | None, Field(max_length=20_000, title="会议纪要")] = None


class MeetingItemCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "meeting_id": 1, "subject": "88号院门口占道经营反复回潮", "case_id": 1,
        "discussion": "城管、环卫、社区各自说明情况",
        "decision": "城管牵头, 一周内规范摊点, 环卫配合清运",
        "department_code": "CG01", "due_on": "2026-12-04"}]})

    meeting_id: Annotated[int, Field(ge=1, le=MAX_ID, title="会议")]
    area_code: Annotated[str | None, Field(
        pattern=r"^\d{9}(\d{3}){0,2}$", description="可省略: 取会议的区域")] = None
    subject: Annotated[str, Field(min_length=1, max_length=200, title="议题")]
    case_id: Annotated[int | None, Field(ge=1, le=MAX_ID, title="案卷")] = None
    dispute_id: Annotated[int | None, Field(ge=1, le=MAX_ID, title="矛盾纠纷")] = None
    discussion: Annotated[str | None, Field(max_length=5000, title="讨论情况")] = None
    decision: Annotated[str | None, Field(max_length=5000, title="会议决定")] = None
    department_code: Annotated[DepartmentCode | None, Field(
        title="承办部门", description="会议决定交办的部门; 与办结期限同填")] = None
    due_on: Annotated[dt.date | None, Field(
        title="办结期限", description="此日 (北京时间) 结束前办结")] = None


class FinishBody(CreateSchema):
    result: Annotated[str, Field(min_length=1, max_length=5000, title="办理结果")]
