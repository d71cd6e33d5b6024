"""Pickers that find things the way people think: a dispatcher types 环卫 or hw for the
sanitation office, 城管 for 城市管理综合执法大队, 垃圾 for a category; a grid chief opens the
household picker and sees their households as 楼栋 单元 房号 户主 before typing anything, or
types the building and the room."""

from __future__ import annotations

import pytest

from tests.builders import COUNTY, GRID, OTHER_GRID, SANITATION, make_areas, ok
from tests.test_admin_panel import panel_login


@pytest.fixture
def reference(client):
    make_areas(client)
    for code, name, kind in ((SANITATION, "鹤山区环境卫生管理处", "sanitation"),
                             ("ZF01", "鹤山区城市管理综合执法大队", "enforcement")):
        ok(client.post("/api/v1/departments", json={
            "code": code, "name": name, "kind": kind, "area_code": COUNTY}), 201)
    for code, name in (("07001", "暴露垃圾"), ("07011", "积存垃圾渣土"), ("08001", "非法小广告")):
        ok(client.post("/api/v1/case-categories", json={
            "code": code, "kind": "event", "big_class_code": code[:2], "big_class_name": "市容",
            "name": name, "default_department_code": SANITATION, "deadline_value": 2,
            "deadline_unit": "working_days"}), 201)
    buildings = {}
    for grid, name in ((GRID, "康乐苑3号楼"), (GRID, "鹤翔小区1号楼"), (OTHER_GRID, "红旗3号楼")):
        buildings[name] = ok(client.post("/api/v1/buildings", json={
            "grid_code": grid, "name": name, "address": f"{name}院内"}), 201)
    for building, room, head in (("康乐苑3号楼", "1单元802", "刘志强"),
                                 ("康乐苑3号楼", "2单元101", "王英"),
                                 ("鹤翔小区1号楼", "1单元101", "周帅"),
                                 ("红旗3号楼", "1单元101", "刘刚")):
        ok(client.post("/api/v1/households", json={
            "building_id": buildings[building]["id"], "room": room, "head_name": head}), 201)


def picked(browser, view: str, field: str, term: str) -> list[str]:
    found = browser.get(f"/admin/{view}/ajax/lookup", params={"name": field, "term": term})
    assert found.status_code == 200, found.text[:300]
    return [item["text"] for item in found.json()["results"]]


@pytest.mark.parametrize("term", ["环卫", "环境卫生", "hjws", "hw", "HW01", "HW"])
def test_the_dispatcher_finds_the_sanitation_office_as_people_call_it(reference, app, term):
    assert picked(panel_login(app, "dispatcher"), "cases", "department_code", term)[0] == (
        "鹤山区环境卫生管理处 (HW01)")


def test_abbreviations_and_words_find_departments_and_categories(reference, app):
    dispatcher = panel_login(app, "dispatcher")
    assert picked(dispatcher, "cases", "department_code", "城管") == [
        "鹤山区城市管理综合执法大队 (ZF01)"]
    assert picked(dispatcher, "cases", "category_code", "垃圾") == [
        "暴露垃圾 (07001)", "积存垃圾渣土 (07011)"]
    assert picked(dispatcher, "cases", "category_code", "xgg") == ["非法小广告 (08001)"]
    assert picked(dispatcher, "cases", "category_code", "拆迁") == []


def test_a_picker_opens_on_its_first_page_without_typing(reference, app):
    dispatcher = panel_login(app, "dispatcher")
    assert len(picked(dispatcher, "cases", "department_code", "")) == 2
    chief = panel_login(app, "chief")
    assert picked(chief, "cases", "grid_code", "") == ["新华街第七网格 (410602001002007)"]
    households = picked(chief, "residents", "household_id", "")
    assert households == ["康乐苑3号楼 1单元802 刘志强", "康乐苑3号楼 2单元101 王英",
                          "鹤翔小区1号楼 1单元101 周帅"]  # the other grid's 红旗3号楼 is not theirs


def test_the_chief_finds_a_household_by_building_room_or_head(reference, app):
    chief = panel_login(app, "chief")
    assert picked(chief, "residents", "household_id", "3号楼 101") == ["康乐苑3号楼 2单元101 王英"]
    assert picked(chief, "residents", "household_id", "鹤翔") == ["鹤翔小区1号楼 1单元101 周帅"]
    assert picked(chief, "residents", "household_id", "刘") == ["康乐苑3号楼 1单元802 刘志强"]
    assert picked(chief, "residents", "household_id", "红旗") == []  # out of scope


@pytest.mark.parametrize("term", ["%", "_", "\\", "'; --", "x" * 500, "环" * 200, "  "])
def test_odd_terms_find_nothing_odd_and_break_nothing(reference, app, term):
    chief = panel_login(app, "chief")
    for view, field in (("residents", "household_id"), ("cases", "department_code"),
                        ("cases", "grid_code")):
        assert len(picked(chief, view, field, term)) <= 20


def test_a_picker_needs_a_form_the_user_may_fill(reference, app):
    department = panel_login(app, "dept-sanitation")
    found = department.get("/admin/residents/ajax/lookup",
                           params={"name": "household_id", "term": ""})
    assert found.status_code == 403
    unknown = panel_login(app, "dispatcher").get("/admin/cases/ajax/lookup",
                                                 params={"name": "nothing", "term": ""})
    assert unknown.status_code == 400
