"""Small builders that set up the world a scenario needs, through the API itself."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl

from backend.identity.service import DemoLayout
from backend.ledgers.id_number import make_id_number

COUNTY = "410602"  # 鹤壁市鹤山区
STREET = "410602001"
COMMUNITY = "410602001002"
OTHER_COMMUNITY = "410602001003"
GRID = "410602001002007"
OTHER_GRID = "410602001003001"
SANITATION = "HW01"
JUSTICE, PETITIONS = "SF01", "XW01"  # the offices disputes are handed to
DEMO_PASSWORD = "gridlink-test-password"
# The demo accounts work here: secretary of COMMUNITY, chief and member of GRID, chief2 of
# OTHER_GRID, leader and dispatcher of the county, dept-sanitation of HW01, dept-justice of
# SF01, dept-petitions of XW01.
TEST_LAYOUT = DemoLayout(county=COUNTY, community=COMMUNITY, grid=GRID, other_grid=OTHER_GRID,
                         sanitation=SANITATION, justice=JUSTICE, petitions=PETITIONS)


def square(lng: float, lat: float, size: float = 0.01) -> dict:
    return {"type": "Polygon", "coordinates": [[[lng, lat], [lng + size, lat],
            [lng + size, lat + size], [lng, lat + size], [lng, lat]]]}


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json() if response.content else {}


def make_areas(client) -> None:
    """鹤山区 → 中山路街道 → 新华街社区 (grid 007) and 红旗社区 (grid 001)."""
    ok(client.post("/api/v1/areas",
                   json={"code": COUNTY, "name": "鹤山区", "level": "county"}), 201)
    ok(client.post("/api/v1/areas", json={"code": STREET, "name": "中山路街道", "level": "street",
                                          "parent_code": COUNTY}), 201)
    for code, name in ((COMMUNITY, "新华街社区"), (OTHER_COMMUNITY, "红旗社区")):
        ok(client.post("/api/v1/areas", json={"code": code, "name": name, "level": "community",
                                              "parent_code": STREET}), 201)
    ok(client.post("/api/v1/grids", json={"code": GRID, "name": "新华街第七网格",
                                          "community_code": COMMUNITY,
                                          "boundary": square(114.17, 35.93)}), 201)
    ok(client.post("/api/v1/grids", json={"code": OTHER_GRID, "name": "红旗第一网格",
                                          "community_code": OTHER_COMMUNITY,
                                          "boundary": square(114.18, 35.93)}), 201)


def make_household(client, grid_code: str = GRID, room: str = "1单元101") -> dict:
    building = ok(client.post("/api/v1/buildings", json={
        "grid_code": grid_code, "name": "3号楼", "address": "新华街88号院3号楼"}), 201)
    return ok(client.post("/api/v1/households", json={
        "building_id": building["id"], "room": room, "head_name": "刘志强"}), 201)


def dispatch_case(dispatcher, case: dict, department_code: str = SANITATION) -> dict:
    """Files a reported case and dispatches it to a department, as the 指挥中心 does: over
    HTTP, with the dispatcher's client. The case as it stands afterwards."""
    url = f"/api/v1/cases/{case['id']}/actions"
    ok(dispatcher.post(f"{url}/file", json={}))
    return ok(dispatcher.post(f"{url}/dispatch", json={"department_code": department_code}))


def id_number(seq: int, sex: str = "male", born: dt.date = dt.date(1980, 5, 17)) -> str:
    return make_id_number(COUNTY, born, seq, sex)


def make_resident(client, household: dict, seq: int = 1, **extra) -> dict:
    body = {"household_id": household["id"], "name": "刘志强", "id_number": id_number(seq)}
    return ok(client.post("/api/v1/residents", json=body | extra), 201)


def csv_rows(response) -> list[dict]:
    """An export's rows by field name: line 1 holds the Chinese headers, line 2 the field
    names, data from line 3 (the xlsx export's layout)."""
    assert response.status_code == 200, response.text
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return [dict(zip(lines[1], line, strict=True)) for line in lines[2:]]


def xlsx_rows(response) -> list[dict]:
    """An export's rows by field name (row 2 holds the field names, data from row 3)."""
    assert response.status_code == 200, response.text
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    fields = [c.value for c in sheet[2]]
    return [dict(zip(fields, (c.value for c in row), strict=True))
            for row in sheet.iter_rows(min_row=3)]
