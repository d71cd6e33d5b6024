"""Areas (county → street → community) and grids: the spine every scope check hangs from.

Codes are hierarchical digit strings (county 6, street 9, community 12, grid 15), so a prefix
names a whole subtree and "in scope" is one indexed range condition.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.core import area_codes
from backend.core.db import HIERARCHICAL, TableBase
from backend.core.labels import LabeledEnum, enum_column_type


class AreaLevel(LabeledEnum):
    county = ("county", "区县")
    street = ("street", "街道/乡镇")
    community = ("community", "社区/村")


# Code length of each level (backend/core/area_codes.py).
AREA_CODE_LENGTH = {AreaLevel.county: area_codes.COUNTY_LENGTH,
                    AreaLevel.street: area_codes.STREET_LENGTH,
                    AreaLevel.community: area_codes.COMMUNITY_LENGTH}
PARENT_LEVEL = {AreaLevel.street: AreaLevel.county, AreaLevel.community: AreaLevel.street}


class GridLevel(LabeledEnum):
    grid = ("grid", "网格")
    sub_grid = ("sub_grid", "三级网格/居民小组")


class Area(TableBase):
    __tablename__ = "area"
    __table_args__ = {"comment": "行政区域"}

    code: Mapped[str] = mapped_column(
        String(12), unique=True, info=HIERARCHICAL, comment="区域代码"
    )
    name: Mapped[str] = mapped_column(String(100), comment="名称")
    level: Mapped[AreaLevel] = mapped_column(
        enum_column_type(AreaLevel), index=True, comment="层级"
    )
    parent_code: Mapped[str | None] = mapped_column(
        String(12), ForeignKey("area.code", ondelete="RESTRICT"), index=True, info=HIERARCHICAL,
        comment="上级区域代码"
    )
    phone: Mapped[str | None] = mapped_column(String(30), comment="联系电话")


class Grid(TableBase):
    __tablename__ = "grid"
    __table_args__ = {"comment": "网格"}

    code: Mapped[str] = mapped_column(
        String(15), unique=True, info=HIERARCHICAL, comment="网格编码"
    )
    name: Mapped[str] = mapped_column(String(100), comment="网格名称")
    community_code: Mapped[str] = mapped_column(
        String(12), ForeignKey("area.code", ondelete="RESTRICT"), index=True, info=HIERARCHICAL,
        comment="所属社区代码"
    )
    level: Mapped[GridLevel] = mapped_column(
        enum_column_type(GridLevel), default=GridLevel.grid, comment="网格层级"
    )
    # GeoJSON Polygon geometry: {"type": "Polygon", "coordinates": [[[lng, lat], ...]]}
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSON, comment="边界(GeoJSON)")
    partner_grid_code: Mapped[str | None] = mapped_column(
        String(15), ForeignKey("grid.code", ondelete="SET NULL"), info=HIERARCHICAL,
        comment="AB岗结对网格"
    )
    household_target: Mapped[int | None] = mapped_column(Integer, comment="规划户数")
