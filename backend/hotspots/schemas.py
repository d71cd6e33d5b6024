"""What clients read of hot-spot alerts and send to acknowledge one."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from backend.cases.models import CaseStatus, Light


class HotspotAlertShape(BaseModel):
    """Never written through the API (intake raises alerts); describes them for the docs."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "category_code": "07011", "area_code": "410602001002007", "lat": 35.9352,
        "lng": 114.1753, "status": "open", "raised_by_case_id": 1203, "case_count": 3,
        "first_reported_at": "2026-11-24T01:10:00Z", "last_reported_at": "2026-11-28T06:40:00Z",
        "expires_at": "2026-12-05T06:40:00Z", "threshold": 3, "radius_m": 200,
        "window_days": 7, "note": "已通知环卫处加密清运"}]})

    category_code: str
    area_code: str
    status: str


class LinkedCase(BaseModel):
    """A report an alert links, as the command center lists it."""

    id: int
    code: str = Field(title="案卷编号")
    title: str = Field(title="标题")
    status: CaseStatus = Field(title="状态")
    light: Light | None = Field(title="亮灯")
    grid_code: str = Field(title="网格编码")
    address: str | None = Field(title="地址")
    lat: float | None = Field(title="纬度")
    lng: float | None = Field(title="经度")
    reported_at: dt.datetime = Field(title="上报时间")


class AcknowledgeBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: Annotated[str | None, Field(max_length=2000, description="确认意见/处置安排")] = None
