"""What clients send to create areas and grids (the read schemas come from the models)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field

from backend.areas.geometry import validate_polygon
from backend.areas.models import AreaLevel, GridLevel
from backend.core.schemas import CreateSchema
from backend.core.validation import Phone, digits

Polygon = Annotated[
    dict[str, Any],
    AfterValidator(validate_polygon),
    Field(description="GeoJSON Polygon, 坐标为 [经度, 纬度] (WGS84)"),
]


class AreaCreate(CreateSchema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"code": "410602001002", "name": "新华街社区", "level": "community",
                 "parent_code": "410602001", "phone": "0392-2345678"}
            ]
        }
    )

    code: Annotated[str, Field(pattern=r"^\d{6}(\d{3}){0,2}$", title="区域代码",
                               description="区县6位, 街道9位, 社区12位")]
    name: Annotated[str, Field(min_length=1, max_length=100, title="名称")]
    level: Annotated[AreaLevel, Field(title="层级")]
    parent_code: Annotated[str | None, Field(title="上级区域代码")] = None
    phone: Phone | None = None


class GridCreate(CreateSchema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "410602001002007", "name": "新华街社区第七网格",
                    "community_code": "410602001002", "level": "grid",
                    "boundary": {"type": "Polygon", "coordinates": [[
                        [114.17, 35.93], [114.18, 35.93], [114.18, 35.94], [114.17, 35.94],
                        [114.17, 35.93]]]},
                    "partner_grid_code": None, "household_target": 400,
                }
            ]
        }
    )

    code: Annotated[str, Field(title="网格编码", description="社区代码12位 + 3位序号"),
                    digits(15, "网格编码")]
    name: Annotated[str, Field(min_length=1, max_length=100, title="网格名称")]
    community_code: Annotated[str, Field(title="所属社区代码"), digits(12, "社区代码")]
    level: GridLevel = GridLevel.grid
    boundary: Polygon | None = None
    partner_grid_code: Annotated[str | None, digits(15, "结对网格编码")] = None
    household_target: Annotated[int | None, Field(ge=0, le=100000, title="规划户数")] = None
