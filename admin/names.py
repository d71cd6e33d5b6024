"""Names where codes stand: 新华街第七网格 (410602001002007), not 410602001002007; a household
as 楼栋 房号 户主 (3号楼 2单元301 刘志强), not its internal id.

The code stays beside the name: it is what an office quotes on the phone. Looked up once per
page: a reference table's names in one query (grids, areas, departments and categories are a
few thousand rows at most), a household or a building by its id, each remembered for the rest
of the request (admin/auth.py PanelUser.names).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from admin.auth import current_user
from admin.i18n import english
from backend.areas.models import Area, Grid
from backend.assessment.models import AssessmentItem, AssessmentScheme
from backend.cases import workflow
from backend.cases.models import CaseCategory, Department
from backend.core import area_codes
from backend.core.crud import REGISTRY
from backend.core.db import Database
from backend.identity.models import User
from backend.ledgers.models import Building, Household
from backend.team.models import GridStaff

# Columns holding a code of a reference table, by the table whose name they show.
CODE_COLUMNS: dict[str, Any] = {
    "grid_code": Grid, "community_code": Area, "parent_code": Area, "area_code": Area,
    "department_code": Department, "default_department_code": Department,
    "category_code": CaseCategory,
}
# Columns holding a row's id, shown by that row's name (a household by building, room, head).
NAMED_BY_ID: dict[str, Any] = {"building_id": Building, "staff_id": GridStaff,
                               "partner_id": GridStaff, "item_id": AssessmentItem,
                               "scheme_id": AssessmentScheme}
ID_COLUMNS = ("household_id", *NAMED_BY_ID)
# The audit log's words: who (a login, shown as the person's name), did what, to what.
AUDIT_COLUMNS = ("actor", "action", "entity")
AUDIT_ACTIONS: dict[str, tuple[str, str]] = {
    "create": ("新建", "created"), "update": ("修改", "updated"), "delete": ("删除", "deleted"),
    "import": ("导入", "imported"), "revoke": ("吊销", "revoked"),
    "acknowledge": ("确认", "acknowledged"), "photo": ("上传照片", "photo added"),
    "review": ("审阅", "reviewed"), "track": ("上传轨迹", "track added"),
    "finish": ("结束巡查", "patrol finished"), "run": ("考核计算", "assessment run"),
    "finalize": ("定稿", "finalized"), "evidence": ("上传佐证材料", "evidence added"),
} | {name: (act.label, name) for name, act in workflow.ACTIONS.items()}
OTHER_ENTITIES = {"api-keys": ("API 密钥", "API keys")}  # audited, not in the registry


def shows_a_name(column: str) -> bool:
    return column in CODE_COLUMNS or column in ID_COLUMNS


def audit_words(database: Database, column: str, value: Any) -> Any:
    """An audit entry's actor by name (login beside it), its action and entity in words."""
    if value is None or value == "":
        return value
    if column == "actor":
        name = _people(database).get(value)
        return f"{name} ({value})" if name and name != value else value
    if column == "action":
        words = AUDIT_ACTIONS.get(value)
    else:
        spec = REGISTRY.get(value)
        words = (spec.label, spec.label_en) if spec is not None else OTHER_ENTITIES.get(value)
    if words is None:
        return value
    return words[1] if english() else words[0]


def _people(database: Database) -> dict[str, str]:
    cache = current_user().names
    if User not in cache:
        with database.session() as session:
            cache[User] = dict(session.execute(select(User.username, User.display_name))
                               .tuples().all())
    return cache[User]


def named(database: Database, column: str, value: Any) -> Any:
    """The value as a person reads it (the value itself when nothing is known of it)."""
    if value is None or value == "":
        return value
    if column in ID_COLUMNS:
        name = _by_id(database, column, value)
    else:
        model = CODE_COLUMNS[column]
        if model is Area and area_codes.is_grid_code(str(value)):
            model = Grid  # an alert's or a user's area may be a grid
        name = _names_of(database, model).get(value)
        if name is not None:
            return f"{name} ({value})"
    return name if name is not None else value


def prefetch(database: Database, rows: list[Any]) -> None:
    """The households and buildings a list page shows, in two queries rather than one a row."""
    cache = current_user().names
    for column in ID_COLUMNS:
        wanted: set[int] = {value for r in rows
                            if (value := getattr(r, column, None)) is not None
                            and (column, value) not in cache}
        if not wanted:
            continue
        found: dict[int, str | None]
        with database.session() as session:
            if column in NAMED_BY_ID:
                model = NAMED_BY_ID[column]
                found = dict(session.execute(select(model.id, model.name).where(
                    model.id.in_(wanted))).tuples().all())
            else:
                found = {row.id: " ".join(p for p in row[1:] if p) for row in session.execute(
                    select(Household.id, Building.name, Household.room, Household.head_name)
                    .join(Building, Building.id == Household.building_id)
                    .where(Household.id.in_(wanted)))}
        for value in wanted:
            cache[(column, value)] = found.get(value)


def _names_of(database: Database, model: Any) -> dict[str, str]:
    cache = current_user().names
    if model not in cache:
        with database.session() as session:
            cache[model] = dict(session.execute(select(model.code, model.name)).tuples().all())
    return cache[model]


def _by_id(database: Database, column: str, value: Any) -> str | None:
    cache = current_user().names
    key = (column, value)
    if key not in cache:
        with database.session() as session:
            if column in NAMED_BY_ID:
                model = NAMED_BY_ID[column]
                cache[key] = session.execute(select(model.name).where(model.id == value)
                                             ).scalar()
            else:
                row = session.execute(
                    select(Building.name, Household.room, Household.head_name)
                    .join(Building, Building.id == Household.building_id)
                    .where(Household.id == value)).first()
                cache[key] = " ".join(p for p in row if p) if row else None
    return cache[key]
