"""The county: its area tree, departments with their staff, case categories, and the grids.

鹤山区 (410602) is a strip of map (`BBOX`) cut west to east into its three streets, each street
north to south into bands, one per community, and each community into 4 or 5 rectangular
grids. Every grid has a chief, a full-time worker and a "1+5" team drawn from the departments'
staff, and an AB岗 partner next door, who stands in for it.
"""

from __future__ import annotations

from typing import Any

from shapely.geometry import shape

from backend.areas.models import AreaLevel, GridLevel
from backend.cases.models import CategoryKind, DeadlineUnit, DepartmentKind
from backend.cases.reference import (
    CATEGORIES,
    COUNTY_CODE,
    DEPARTMENTS,
    DISPUTE_OFFICES,
    TEAM_ROLE_DEPARTMENTS,
)
from backend.seed.vocabulary import CHINESE_NUMERALS, STREETS, TEAM_DUTIES
from backend.seed.world import DemoWorld, GridPlan, Person
from backend.team.models import LOGGING_ROLES, TeamRole

# The map the grids tile: (lng_min, lat_min, lng_max, lat_max), around the 鹤山区 town centre.
BBOX = (114.15, 35.93, 114.20, 35.97)


def polygon_geojson(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    """A rectangle as a GeoJSON Polygon, counter-clockwise as RFC 7946 asks."""
    return {"type": "Polygon",
            "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def build_reference(world: DemoWorld) -> None:
    """The county, its departments (each with its staff), the call takers, the categories."""
    at = world.setup_time
    world.add("area", {"code": COUNTY_CODE, "name": "鹤山区", "level": AreaLevel.county,
                       "parent_code": None, "phone": "0392-2612345"}, at)
    for department in DEPARTMENTS:
        code = department["code"]
        world.add("department", {**department, "kind": DepartmentKind(department["kind"])}, at)
        # The "1+5" departments put a member in every grid, one person per four grids or so.
        staff = 10 if code in TEAM_ROLE_DEPARTMENTS.values() else 4
        world.department_staff[code] = [world.new_staff() for _ in range(staff)]
    world.dispatchers = [world.new_staff() for _ in range(6)]
    for office in DISPUTE_OFFICES:  # no staff drawn: the rest of the demo stays as it was
        world.add("department", {**office, "kind": DepartmentKind(office["kind"])}, at)
    for category in CATEGORIES:
        row = world.add("case_category", {
            **category, "kind": CategoryKind(category["kind"]),
            "deadline_unit": DeadlineUnit(category["deadline_unit"])}, at)
        world.categories.append(row)


def build_grids(world: DemoWorld) -> None:
    """The streets and communities of `STREETS` on the map, and the grids tiling them."""
    at = world.setup_time
    lng_min, lat_min, lng_max, lat_max = BBOX
    street_edges = world.split(lng_min, lng_max, len(STREETS))
    team_turn = 0
    for s, (street_name, communities) in enumerate(STREETS):
        street_code = f"{COUNTY_CODE}{s + 1:03d}"
        world.add("area", {"code": street_code, "name": street_name, "level": AreaLevel.street,
                           "parent_code": COUNTY_CODE, "phone": world.landline()}, at)
        x0, x1 = street_edges[s], street_edges[s + 1]
        # Communities are numbered from the north, as the bands run down the strip.
        band_edges = world.split(lat_min, lat_max, len(communities))[::-1]
        for c, (community_name, roads) in enumerate(communities):
            community_code = f"{street_code}{c + 1:03d}"
            world.add("area", {"code": community_code, "name": community_name,
                               "level": AreaLevel.community, "parent_code": street_code,
                               "phone": world.landline()}, at)
            y_top, y_bottom = band_edges[c], band_edges[c + 1]
            secretary = world.new_staff()
            cells = community_cells(world, x0, x1, y_bottom, y_top)
            for g, (cell, partner) in enumerate(cells):
                team = {}
                for department_code in TEAM_ROLE_DEPARTMENTS.values():
                    pool = world.department_staff[department_code]
                    team[department_code] = pool[team_turn % len(pool)]
                team_turn += 1
                add_grid(world, community_code, community_name, g + 1, cell, partner + 1,
                         roads, secretary, team)


def community_cells(world: DemoWorld, x0: float, x1: float, y0: float, y1: float
                    ) -> list[tuple[dict[str, Any], int]]:
    """4 or 5 grid cells tiling a community: 2 in the north row, the rest in the south.

    Returns (polygon, index of the AB岗 partner cell) in numbering order, north-west first.
    """
    count = world.rng.choice([4, 5])
    y_mid = world.split(y0, y1, 2)[1]
    cells: list[tuple[dict[str, Any], int]] = []
    for row_bottom, row_top, in_row in ((y_mid, y1, 2), (y0, y_mid, count - 2)):
        first = len(cells)
        edges = world.split(x0, x1, in_row)
        for i in range(in_row):
            # AB岗: neighbours in a row pair up (1-2, 3-4); an odd last one joins its left
            # neighbour, so that a partner is always next door.
            mate = i + 1 if i % 2 == 0 else i - 1
            if mate >= in_row:
                mate = i - 1
            polygon = polygon_geojson(edges[i], row_bottom, edges[i + 1], row_top)
            cells.append((polygon, first + mate))
    return cells


def add_grid(world: DemoWorld, community_code: str, community_name: str, number: int,
             boundary: dict[str, Any], partner_number: int, roads: list[str],
             secretary: Person, team: dict[str, Person]) -> None:
    """One grid's row, its team on the roster (the chief, the full-time worker and the "1+5"
    departments' members), and its plan for later parts."""
    chief, worker = world.new_staff(), world.new_staff()
    code = f"{community_code}{number:03d}"
    name = f"{community_name}第{CHINESE_NUMERALS[number]}网格"
    world.add("grid", {
        "code": code, "name": name, "community_code": community_code,
        "level": GridLevel.grid, "boundary": boundary,
        "partner_grid_code": f"{community_code}{partner_number:03d}",
        "household_target": world.rng.randrange(300, 501, 10)}, world.setup_time)
    team_rows = [(chief, TeamRole.grid_chief, "全面负责网格服务管理, 组织巡查走访"),
                 (worker, TeamRole.full_time, TEAM_DUTIES["网格员"])]
    team_rows += [(team[department_code], TeamRole.part_time, f"{role}: {TEAM_DUTIES[role]}")
                  for role, department_code in TEAM_ROLE_DEPARTMENTS.items()]
    for person, team_role, duties in team_rows:
        row = world.add("grid_staff", {
            "grid_code": code, "name": person.name, "team_role": team_role,
            "phone": person.phone, "duties": duties, "photo": None, "user_id": None,
            "partner_id": None, "keeps_work_log": team_role in LOGGING_ROLES,
            "is_public": True, "is_active": True}, world.setup_time)
        world.staff_ids[(code, person.name)] = row["id"]
    # AB岗: the chief and the full-time worker cover for each other.
    chief_row = world.rows["grid_staff"][-len(team_rows)]
    worker_row = world.rows["grid_staff"][-len(team_rows) + 1]
    chief_row["partner_id"], worker_row["partner_id"] = worker_row["id"], chief_row["id"]
    world.grids.append(GridPlan(
        code=code, name=name, community_name=community_name, roads=roads,
        polygon=shape(boundary), chief=chief, worker=worker, secretary=secretary, team=team,
        case_weight=world.rng.uniform(0.5, 2.0)))
