"""Offices write a resident's household as 楼栋 + 单元 + 房号, and a household's building by its
name: the import places each row so, within the importer's grids, and says exactly which cell
names nothing."""

from __future__ import annotations

import csv
import io

import pytest

from tests.builders import GRID, OTHER_GRID, id_number, make_areas, ok
from tests.test_imports import csv_file, residents, upload

HEADER = ["楼栋", "单元", "房号", "网格编码", "姓名", "公民身份号码", "居住类型"]


@pytest.fixture
def estate(client) -> dict:
    """3号楼 in the chief's grid with 1单元101 and 2单元301; another 3号楼 next door."""
    make_areas(client)
    mine = ok(client.post("/api/v1/buildings", json={
        "grid_code": GRID, "name": "3号楼", "address": "新华街88号院3号楼"}), 201)
    theirs = ok(client.post("/api/v1/buildings", json={
        "grid_code": OTHER_GRID, "name": "3号楼", "address": "红旗街6号院3号楼"}), 201)
    rooms = {}
    for building, room in ((mine, "1单元101"), (mine, "2单元301"), (theirs, "1单元101")):
        rooms[(building["grid_code"], room)] = ok(client.post("/api/v1/households", json={
            "building_id": building["id"], "room": room, "head_name": "户主"}), 201)["id"]
    return rooms


def row(building, unit, room, name, seq, grid=None) -> list:
    return [building, unit, room, grid, name, id_number(seq, "female"), "常住"]


def test_the_chief_imports_residents_by_building_unit_and_room(estate, as_user):
    chief = as_user("chief")
    job = upload(chief, "residents", csv_file([HEADER,
                                               row("3号楼", "1", "101", "王芳", 1),
                                               row("3号楼", "2单元", "301", "李娜", 2),
                                               row("3号楼", None, "1单元101", "赵敏", 3)]),
                 "居民.csv")
    assert job["written"] == 3, job
    placed = {r["name"]: r["household_id"] for r in residents(chief)}
    assert placed == {"王芳": estate[(GRID, "1单元101")], "李娜": estate[(GRID, "2单元301")],
                      "赵敏": estate[(GRID, "1单元101")]}  # the other grid's 3号楼 is not theirs


def test_a_row_naming_no_household_is_refused_at_its_cell(estate, as_user):
    job = upload(as_user("chief"), "residents", csv_file([
        HEADER, row("3号楼", "1", "101", "王芳", 1), row("3号楼", "9", "909", "钱多多", 2),
        row("9号楼", "1", "101", "孙立", 3), row("3号楼", None, None, "周帅", 4)]), "居民.csv")
    assert job["written"] == 0 and job["rejected"] == 3, job
    by_row = {e["row"]: e for e in job["errors"]}  # the header is row 1
    assert len(job["errors"]) == 3  # one reason each: a row with no place has no other fault
    assert by_row[3]["column"] == "房号" and by_row[3]["cell"] == "C3"
    assert "楼栋「3号楼」中没有房号「9单元909」的户" in by_row[3]["reason"]
    assert by_row[4]["column"] == "楼栋" and "没有名为「9号楼」的楼栋" in by_row[4]["reason"]
    assert by_row[5]["column"] == "房号" and "请填写房号" in by_row[5]["reason"]


def test_a_name_found_in_two_grids_needs_the_grid(estate, client):
    """The administrator reads both grids: 3号楼 alone is ambiguous, with the grid it is not."""
    job = upload(client, "residents", csv_file([
        HEADER, row("3号楼", "1", "101", "王芳", 1),
        row("3号楼", "1", "101", "李娜", 2, grid=OTHER_GRID)]), "居民.csv")
    assert job["rejected"] == 1 and job["written"] == 0, job  # all or nothing
    (error,) = job["errors"]
    assert error["row"] == 2 and "请填写网格编码" in error["reason"]
    assert OTHER_GRID in error["reason"]
    job = upload(client, "residents", csv_file([
        HEADER, row("3号楼", "1", "101", "王芳", 1, grid=GRID),
        row("3号楼", "1", "101", "李娜", 2, grid=OTHER_GRID)]), "居民.csv")
    assert job["written"] == 2, job
    placed = {r["name"]: r["household_id"] for r in residents(client)}
    assert placed == {"王芳": estate[(GRID, "1单元101")], "李娜": estate[(OTHER_GRID, "1单元101")]}


def test_households_are_imported_by_their_buildings_name(estate, as_user):
    chief = as_user("chief")
    job = upload(chief, "households", csv_file([
        ["楼栋", "单元", "房号", "户主"], ["3号楼", "3", "502", "孙立"]]), "户.csv")
    assert job["written"] == 1, job
    made = ok(chief.get("/api/v1/households", params={"room": "3单元502"}))["items"]
    assert [h["head_name"] for h in made] == ["孙立"] and made[0]["grid_code"] == GRID


def test_the_residents_template_asks_for_the_address_and_its_example_is_skipped(client, estate):
    template = client.get("/api/v1/residents/import-template", params={"format": "csv"})
    header, fields, example = list(csv.reader(io.StringIO(template.content.decode("utf-8-sig"))))
    assert header[:4] == ["户编号", "楼栋", "单元", "房号"]
    assert example[:4] == ["", "康乐苑3号楼", "1", "101"]
    job = upload(client, "residents", csv_file([header, fields, example]), "居民.csv",
                 status=202)
    assert job["total"] == 0 and any("示例" in w for w in job["warnings"]), job
