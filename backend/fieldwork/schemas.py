"""What grid staff send for patrols, visits and work logs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field

from backend.core.db import MAX_ID
from backend.core.schemas import CreateSchema
from backend.core.validation import Name
from backend.fieldwork.models import VisitKind
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


class PatrolCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "grid_code": "410602001002007", "patroller_name": "李秀英",
        "started_at": "2026-11-28T01:00:00Z", "ended_at": "2026-11-28T02:30:00Z",
        "route": {"type": "LineString", "coordinates": [[114.171, 35.931], [114.178, 35.938]]},
        "distance_m": 3200, "findings": "88号院门口积存垃圾, 已上报", "issues_found": 1}]})

    grid_code: GridCode
    patroller_name: Annotated[Name, Field(title="巡查人")]
    started_at: Annotated[dt.datetime, Field(title="开始时间")]
    ended_at: dt.datetime | None = None
    route: Annotated[dict[str, Any] | None, AfterValidator(_line_string)] = None
    distance_m: Annotated[float | None, Field(ge=0, le=200_000)] = None
    findings: Annotated[str | None, Field(max_length=5000)] = None
    issues_found: Annotated[int, Field(ge=0, le=1000)] = 0


class VisitCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "household_id": 1, "grid_code": "410602001002007", "resident_id": None,
        "visitor_name": "李秀英", "visit_date": "2026-11-28", "kind": "key_group",
        "content": "走访独居老人, 身体状况良好, 提醒冬季用电安全", "needs_follow_up": False}]})

    household_id: Annotated[int, Field(ge=1, le=MAX_ID, title="走访户")]
    grid_code: Annotated[GridCode | None, Field(description="可省略: 取所走访户的网格")] = None
    resident_id: Annotated[int | None, Field(ge=1, le=MAX_ID)] = None
    visitor_name: Annotated[Name, Field(title="走访人")]
    visit_date: Annotated[dt.date, Field(title="走访日期")]
    kind: VisitKind = VisitKind.routine
    content: Annotated[str | None, Field(max_length=5000)] = None
    needs_follow_up: bool = False


class WorkLogCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "grid_code": "410602001002007", "author_name": "王建国", "log_date": "2026-11-28",
        "content": "上午巡查网格一次, 走访重点户3户; 下午协助环卫清理88号院垃圾", "hours": 8,
        "reviewed_by": None, "reviewed_at": None, "review_note": None}]})

    grid_code: GridCode
    author_name: Annotated[Name, Field(title="记录人")]
    log_date: Annotated[dt.date, Field(title="日期")]
    content: Annotated[str, Field(min_length=1, max_length=5000, title="工作内容")]
    hours: Annotated[float | None, Field(ge=0, le=24)] = None
    reviewed_by: Name | None = None
    reviewed_at: dt.datetime | None = None
    review_note: Annotated[str | None, Field(max_length=2000)] = None
