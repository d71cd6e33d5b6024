"""Rules of the area hierarchy, and the entity declarations of areas and grids."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.areas.models import AREA_CODE_LENGTH, PARENT_LEVEL, Area, AreaLevel, Grid
from backend.areas.schemas import AreaCreate, GridCreate
from backend.core.crud import EntitySpec, register
from backend.core.errors import field_error


def area_by_code(session: Session, code: str) -> Area | None:
    return session.execute(select(Area).where(Area.code == code)).scalar_one_or_none()


def validate_area(session: Session, data: dict[str, Any], _existing: Area | None) -> None:
    level = AreaLevel(data["level"])
    code, parent_code = data["code"], data.get("parent_code")
    if len(code) != AREA_CODE_LENGTH[level]:
        raise field_error(422, "code", f"{level.label}代码应为{AREA_CODE_LENGTH[level]}位数字")
    if level is AreaLevel.county:
        if parent_code is not None:
            raise field_error(422, "parent_code", "区县是最高层级, 不能有上级区域")
        return
    if parent_code is None:
        raise field_error(422, "parent_code", f"{level.label}必须指定上级区域")
    parent = area_by_code(session, parent_code)
    if parent is None:
        raise field_error(422, "parent_code", f"上级区域 '{parent_code}' 不存在")
    if parent.level is not PARENT_LEVEL[level]:
        raise field_error(422, "parent_code", f"{level.label}的上级应为"
                          f"{PARENT_LEVEL[level].label}, 而非{parent.level.label}")
    if not code.startswith(parent_code):
        raise field_error(422, "code", f"代码应以上级区域代码 {parent_code} 开头")


def validate_grid(session: Session, data: dict[str, Any], _existing: Grid | None) -> None:
    community = area_by_code(session, data["community_code"])
    if community is None:
        raise field_error(422, "community_code", f"社区 '{data['community_code']}' 不存在")
    if community.level is not AreaLevel.community:
        raise field_error(422, "community_code",
                          f"'{community.code}' 是{community.level.label}, 不是社区")
    if not data["code"].startswith(data["community_code"]):
        raise field_error(422, "code", f"网格编码应以所属社区代码 {data['community_code']} 开头")
    if data.get("partner_grid_code") == data["code"]:
        raise field_error(422, "partner_grid_code", "结对网格不能是本网格")


AREAS = register(
    EntitySpec(
        name="areas", model=Area, create_schema=AreaCreate, label="区域", label_en="areas",
        scope_column="code", scope_lineage=True, immutable=("code", "level", "parent_code"),
        default_sort="code",
        validate=validate_area,
    )
)
GRIDS = register(
    EntitySpec(
        name="grids", model=Grid, create_schema=GridCreate, label="网格", label_en="grids",
        scope_column="code", immutable=("code", "community_code"), default_sort="code",
        validate=validate_grid,
    )
)
