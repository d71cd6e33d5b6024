"""Rows of a sheet placed the way offices write them: 楼栋 + 单元 + 房号, not an internal id.

A resident's sheet names the household by its building (康乐苑3号楼), unit (1 or 1单元) and
room (101); a household's sheet names its building. Both are looked up among the rows the
importer may read, a chunk of the file at a time (two queries per chunk), and turned into the
`household_id` / `building_id` the API takes. A building's name is unique only within a grid:
where the importer's grids hold two of the same name, the row's 网格编码 decides, or the row
is refused saying so. The internal id is still accepted (an export's 户编号 column), and wins.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from backend.core import crud
from backend.ledgers.models import Building, Household
from backend.spreadsheets.tabular import TabColumn

BUILDING = TabColumn("building", "楼栋", "text", note=(
    "楼栋名称, 如 康乐苑3号楼 (须已在系统中); 同名楼栋在多个网格时须填网格编码"))
UNIT = TabColumn("unit", "单元", "text", note="如 1 或 1单元; 房号已含单元 (1单元101) 时留空")
ROOM = TabColumn("room", "房号", "text", note="如 101; 与楼栋、单元一起确定所在户")
# The columns each sheet may place its rows by, and the id they stand for.
COLUMNS: dict[str, tuple[list[TabColumn], str]] = {
    "residents": ([BUILDING, UNIT, ROOM], "household_id"),
    "households": ([BUILDING, UNIT], "building_id"),
}
EXAMPLES = {"residents": {"building": "康乐苑3号楼", "unit": "1", "room": "101"},
            "households": {"building": "康乐苑3号楼", "unit": "1", "room": "101"}}


def example(entity: str) -> dict[str, Any] | None:
    """The template's example placed by address, its id cell left blank."""
    if entity not in EXAMPLES:
        return None
    return EXAMPLES[entity] | {COLUMNS[entity][1]: None}


def room_of(unit: Any, room: Any) -> str | None:
    """1 + 101 -> 1单元101; 1单元 + 101 -> 1单元101; 1单元101 alone stays."""
    room_text = str(room).strip() if room not in (None, "") else ""
    unit_text = str(unit).strip() if unit not in (None, "") else ""
    if unit_text and not unit_text.endswith("单元"):
        unit_text += "单元"
    if not room_text:
        return None
    return room_text if "单元" in room_text or not unit_text else unit_text + room_text


def place(session: Session, entity: str, caller: crud.Caller,
          rows: list[dict[str, Any]]) -> dict[int, tuple[str, str]]:
    """Replace each row's address cells by the id they name. Returns, by row index, the
    (field, reason) of rows whose address names nothing the caller may read."""
    columns, target = COLUMNS.get(entity, ([], ""))
    if not columns:
        return {}
    names = {str(r["building"]).strip() for r in rows
             if r.get("building") not in (None, "") and r.get(target) is None}
    buildings = _buildings(session, caller, names)
    households = _households(session, caller, entity, rows, buildings)
    refused: dict[int, tuple[str, str]] = {}
    for index, row in enumerate(rows):
        building_name = row.pop("building", None)
        unit = row.pop("unit", None)
        room = row.pop("room", None) if entity == "residents" else None
        if row.get(target) is not None or building_name in (None, ""):
            if entity == "households" and unit not in (None, ""):
                row["room"] = room_of(unit, row.get("room"))
            continue  # placed by its id (or not at all: the schema says what is missing)
        found = _one_building(buildings, str(building_name).strip(), row.get("grid_code"))
        if isinstance(found, str):
            refused[index] = ("building", found)
            continue
        if entity == "households":
            row["building_id"] = found
            row["room"] = room_of(unit, row.get("room"))
            continue
        wanted = room_of(unit, room)
        if wanted is None:
            refused[index] = ("room", "请填写房号 (与楼栋、单元一起确定所在户)")
            continue
        household = households.get((found, wanted))
        if household is None:
            refused[index] = ("room", f"楼栋「{building_name}」中没有房号「{wanted}」的户")
            continue
        row["household_id"] = household
    return refused


def _buildings(session: Session, caller: crud.Caller, names: set[str]
               ) -> dict[str, list[tuple[int, str]]]:
    """(id, grid) of the readable buildings by name."""
    found: dict[str, list[tuple[int, str]]] = defaultdict(list)
    if not names:
        return found
    scope = crud.readable(caller, crud.REGISTRY["buildings"])
    stmt = select(Building.id, Building.name, Building.grid_code).where(
        Building.name.in_(names))
    if scope is not None:
        stmt = stmt.where(scope)
    for building_id, name, grid in session.execute(stmt):
        found[name].append((building_id, grid))
    return found


def _one_building(buildings: dict[str, list[tuple[int, str]]], name: str,
                  grid: Any) -> int | str:
    """The building's id, or why there is none."""
    candidates = buildings.get(name, [])
    if grid not in (None, ""):
        candidates = [c for c in candidates if c[1] == str(grid)]
    if not candidates:
        where = f"网格 {grid} 中" if grid not in (None, "") else "您管辖的网格中"
        return f"{where}没有名为「{name}」的楼栋"
    if len(candidates) > 1:
        grids = "、".join(sorted(grid for _, grid in candidates))
        return f"名为「{name}」的楼栋在多个网格 ({grids}) 中都有, 请填写网格编码"
    return candidates[0][0]


def _households(session: Session, caller: crud.Caller, entity: str, rows: list[dict[str, Any]],
                buildings: dict[str, list[tuple[int, str]]]) -> dict[tuple[int, str], int]:
    """Household ids by (building id, room), for the rooms the rows name."""
    if entity != "residents":
        return {}
    wanted = set()
    for row in rows:
        room = room_of(row.get("unit"), row.get("room"))
        for building_id, _ in buildings.get(str(row.get("building") or "").strip(), []):
            if room is not None:
                wanted.add((building_id, room))
    if not wanted:
        return {}
    scope = crud.readable(caller, crud.REGISTRY["households"])
    stmt = select(Household.id, Household.building_id, Household.room).where(
        tuple_(Household.building_id, Household.room).in_(wanted))
    if scope is not None:
        stmt = stmt.where(scope)
    return {(building_id, room): household_id
            for household_id, building_id, room in session.execute(stmt)}
