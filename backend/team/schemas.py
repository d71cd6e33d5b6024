"""What clients send for the grid team and its leave."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import ConfigDict, Field

from backend.core.db import MAX_ID
from backend.core.schemas import CreateSchema
from backend.core.validation import Name, Phone
from backend.ledgers.schemas import GridCode
from backend.team.models import TeamRole


class GridStaffCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "grid_code": "410602001002007", "name": "李秀英", "team_role": "full_time",
        "phone": "13812345678", "duties": "负责1-6号楼的巡查走访和信息采集",
        "user_id": None, "partner_id": None, "keeps_work_log": None, "is_public": True,
        "is_active": True}]})

    grid_code: GridCode
    name: Annotated[Name, Field(title="姓名")]
    team_role: Annotated[TeamRole, Field(title="团队职务")]
    phone: Phone | None = None
    duties: Annotated[str | None, Field(max_length=500)] = None
    user_id: Annotated[int | None, Field(
        ge=1, le=MAX_ID, description="登录账号 (由管理员关联)")] = None
    partner_id: Annotated[int | None, Field(ge=1, le=MAX_ID, description="AB岗搭档")] = None
    keeps_work_log: Annotated[bool | None, Field(
        description="须写工作日志; 省略: 网格长和专职网格员须写")] = None
    is_public: bool = True
    is_active: bool = True


class StaffLeaveCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "staff_id": 1, "grid_code": "410602001002007", "first_day": "2026-12-07",
        "last_day": "2026-12-11", "reason": "参加区网格员培训"}]})

    staff_id: Annotated[int, Field(ge=1, le=MAX_ID, title="请假人")]
    grid_code: Annotated[GridCode | None, Field(description="可省略: 取请假人的网格")] = None
    first_day: Annotated[dt.date, Field(title="开始日期")]
    last_day: Annotated[dt.date, Field(title="结束日期")]
    reason: Annotated[str | None, Field(max_length=200)] = None


class PartyContactCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "staff_id": 3, "household_id": 12, "since": "2026-01-01", "note": "每月走访一次"}]})

    staff_id: Annotated[int, Field(ge=1, le=MAX_ID, title="联系党员",
                                   description="本网格团队中的党员或党支部书记")]
    household_id: Annotated[int, Field(ge=1, le=MAX_ID, title="联系户")]
    grid_code: Annotated[GridCode | None, Field(description="可省略: 取联系户的网格")] = None
    since: Annotated[dt.date, Field(title="联系起始日期")]
    note: Annotated[str | None, Field(max_length=500)] = None
