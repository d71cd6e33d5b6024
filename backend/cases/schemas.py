"""What clients send to create departments, categories and cases."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from backend.cases.models import (
    CasePriority,
    CaseSource,
    CategoryKind,
    DeadlineUnit,
    DepartmentKind,
    HandlingType,
)
from backend.core.db import MAX_ID, utcnow
from backend.core.schemas import CreateSchema
from backend.core.validation import Latitude, Longitude, Name, Phone, digits
from backend.ledgers.schemas import GridCode

DepartmentCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{2,20}$", title="部门编码",
                                      examples=["HW01"])]


class DepartmentCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "HW01", "name": "鹤山区环境卫生管理处", "kind": "sanitation",
        "area_code": "410602", "phone": "0392-2610000", "is_active": True}]})

    code: DepartmentCode
    name: Annotated[str, Field(min_length=1, max_length=100, title="部门名称")]
    kind: Annotated[DepartmentKind, Field(title="类别")]
    area_code: Annotated[str, Field(pattern=r"^\d{6}(\d{3}){0,2}$", title="所属区域代码")]
    phone: Phone | None = None
    is_active: bool = True


class CaseCategoryCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "07011", "kind": "event", "big_class_code": "07", "big_class_name": "市容环境",
        "name": "积存垃圾渣土", "default_department_code": "HW01", "deadline_value": 6,
        "deadline_unit": "working_hours", "is_active": True}]})

    code: Annotated[str, Field(title="分类编码", description="2位大类 + 3位小类"),
                    digits(5, "分类编码")]
    kind: Annotated[CategoryKind, Field(title="部件/事件")]
    big_class_code: Annotated[str, Field(title="大类编码"), digits(2, "大类编码")]
    big_class_name: Annotated[str, Field(min_length=1, max_length=50, title="大类名称")]
    name: Annotated[str, Field(min_length=1, max_length=100, title="小类名称")]
    default_department_code: DepartmentCode | None = None
    deadline_value: Annotated[int, Field(ge=1, le=1000, title="处置时限")]
    deadline_unit: Annotated[DeadlineUnit, Field(title="时限单位")]
    is_active: bool = True


class CalendarDayCreate(CreateSchema):
    """A day the official calendar gets wrong or does not know yet (see backend/cases/sla.py)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "day": "2026-10-10", "is_working_day": True, "note": "国庆调休上班"}]})

    day: Annotated[dt.date, Field(title="日期")]
    is_working_day: Annotated[bool, Field(title="是否工作日")]
    note: Annotated[str | None, Field(max_length=100, title="说明")] = None


class CaseCreate(CreateSchema):
    """A new report. Its status starts at `reported`; the workflow moves it from there.

    With lat/lng the grid follows from the map (cases/service.py): grid_code may be left out,
    and one that disagrees with the point is refused.
    """

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "source": "patrol", "category_code": "07011", "title": "新华街88号院门口积存垃圾",
        "description": "院门口东侧堆放建筑垃圾约2立方米, 影响通行", "address": "鹤山区新华街88号",
        "lat": 35.9352, "lng": 114.1751, "grid_code": "410602001002007",
        "reporter_name": "李秀英", "reporter_phone": "13987654321", "is_anonymous": False,
        "priority": "normal", "handling_type": "general", "patrol_id": None,
        "reported_at": "2026-11-28T08:30:00Z"}]})

    source: Annotated[CaseSource, Field(title="来源")]
    category_code: Annotated[str, Field(title="分类编码"), digits(5, "分类编码")]
    title: Annotated[str, Field(min_length=1, max_length=200, title="标题")]
    description: Annotated[str | None, Field(max_length=5000)] = None
    address: Annotated[str | None, Field(max_length=200)] = None
    lat: Latitude | None = None
    lng: Longitude | None = None
    grid_code: Annotated[GridCode | None, Field(
        validate_default=True, description="给出经纬度时可省略: 取坐标所在的网格")] = None
    reporter_name: Name | None = None
    reporter_phone: Phone | None = None
    is_anonymous: bool = False
    priority: CasePriority = CasePriority.normal
    handling_type: HandlingType = HandlingType.general
    patrol_id: Annotated[int | None, Field(ge=1, le=MAX_ID)] = None
    reported_at: Annotated[dt.datetime, Field(default_factory=utcnow, description="默认为当前时间")]

    @field_validator("grid_code")
    @classmethod
    def grid_or_point(cls, value: str | None, info: ValidationInfo) -> str | None:
        # lat and lng are declared (and so validated) before grid_code.
        if value is None and (info.data.get("lat") is None or info.data.get("lng") is None):
            raise ValueError("未给出经纬度 (lat 与 lng) 时必须填写网格编码")
        return value

class RoutingRuleCreate(CreateSchema):
    """分类 (+ 可选区域前缀) → 处置部门; 区域前缀最长的规则优先, 都不匹配时用分类的默认部门。"""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "category_code": "07011", "area_code": "410602001", "department_code": "HW01",
        "note": "中山街道的积存垃圾由区环卫处直接处置"}]})

    category_code: Annotated[str, Field(title="案件分类"), digits(5, "分类编码")]
    area_code: Annotated[str | None, Field(pattern=r"^\d{6}(\d{3}){0,3}$", title="适用区域(前缀)",
                                           description="省略: 全域适用")] = None
    department_code: DepartmentCode
    note: Annotated[str | None, Field(max_length=200)] = None
