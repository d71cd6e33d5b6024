"""Scope: a user never sees or touches a row outside their area or department.

chief keeps grid 410602001002007; chief2 keeps 410602001003001 in another community; the
secretary runs community 410602001002; dept-sanitation is the 环卫 department (HW01).
"""

from __future__ import annotations

import pytest

from tests.builders import (
    COMMUNITY,
    GRID,
    OTHER_COMMUNITY,
    OTHER_GRID,
    csv_rows,
    dispatch_case,
    id_number,
    ok,
)
from tests.world import make_world


@pytest.fixture
def two_grids(client):
    """A household with a resident in chief's grid and another in chief2's."""
    world = make_world(client)
    building = ok(client.post("/api/v1/buildings", json={
        "grid_code": OTHER_GRID, "name": "红旗1号楼", "address": "红旗街1号"}), 201)
    household = ok(client.post("/api/v1/households", json={
        "building_id": building["id"], "room": "101"}), 201)
    other = ok(client.post("/api/v1/residents", json={
        "household_id": household["id"], "name": "赵敏", "id_number": id_number(9, "female"),
        "phone": "13700001111", "key_groups": ["独居老人"]}), 201)
    return world, other, household


def test_a_chief_sees_only_its_own_grids_rows(as_user, two_grids):
    world, _, _ = two_grids
    chief = as_user("chief")
    page = ok(chief.get("/api/v1/residents"))
    assert [r["id"] for r in page["items"]] == [world.resident["id"]] and page["total"] == 1
    # Counting, filtering or exporting does not reveal the other grid's rows either.
    assert ok(chief.get("/api/v1/residents", params={"grid_code": OTHER_GRID}))["total"] == 0
    exported = chief.get("/api/v1/residents", params={"format": "csv"}).content.decode("utf-8-sig")
    assert "赵敏" not in exported and "刘志强" in exported


def test_another_grids_row_answers_404_exactly_like_a_missing_one(as_user, two_grids):
    _, other, _ = two_grids
    chief = as_user("chief")
    url = f"/api/v1/residents/{other['id']}"
    missing = chief.get("/api/v1/residents/999999")
    secretary = as_user("secretary")  # may delete, but in its own community only
    for response in (chief.get(url), chief.patch(url, json={"name": "x"}), secretary.delete(url)):
        assert response.status_code == 404
        assert response.json()["title"] == missing.json()["title"]
    assert chief.delete(url).status_code == 403  # a chief deletes nothing, anywhere
    assert as_user("chief2").get(url).status_code == 200  # it is there, for its own chief


def problem_field(response, status: int) -> str:
    assert response.status_code == status, response.text
    return response.json()["errors"][0]["field"]


def test_a_chief_cannot_create_a_row_in_another_grid(client, as_user, two_grids):
    # Another grid's household or grid is as unknown to the chief as a missing one (422).
    _, _, other_household = two_grids
    chief = as_user("chief")
    before = ok(client.get("/api/v1/residents"))["total"]
    response = chief.post("/api/v1/residents", json={
        "household_id": other_household["id"], "name": "钱七", "id_number": id_number(11)})
    assert problem_field(response, 422) == "household_id"
    response = chief.post("/api/v1/buildings", json={
        "grid_code": OTHER_GRID, "name": "x", "address": "x"})
    assert problem_field(response, 422) == "grid_code"
    assert ok(client.get("/api/v1/residents"))["total"] == before


def test_a_chief_cannot_move_a_row_out_of_its_grid(client, as_user, two_grids):
    world, _, _ = two_grids
    chief = as_user("chief")
    response = chief.patch(f"/api/v1/buildings/{world.building['id']}",
                           json={"grid_code": OTHER_GRID})
    assert problem_field(response, 422) == "grid_code"
    assert ok(client.get(f"/api/v1/buildings/{world.building['id']}"))["grid_code"] == GRID


def test_the_secretary_runs_the_whole_community_and_nothing_beyond(as_user, two_grids):
    world, _, _ = two_grids
    secretary = as_user("secretary")
    assert {r["id"] for r in ok(secretary.get("/api/v1/residents"))["items"]} == {
        world.resident["id"]}
    grids = {g["code"] for g in ok(secretary.get("/api/v1/grids"))["items"]}
    assert grids == {GRID}
    # Areas: its own community and the street and county above it, not the other community.
    areas = {a["code"] for a in ok(secretary.get("/api/v1/areas"))["items"]}
    assert COMMUNITY in areas and "410602001" in areas and "410602" in areas
    assert OTHER_COMMUNITY not in areas


def test_leader_and_dispatcher_see_the_whole_county(as_user, two_grids):
    for name in ("leader", "dispatcher"):
        grids = {g["code"] for g in ok(as_user(name).get("/api/v1/grids"))["items"]}
        assert grids == {GRID, OTHER_GRID}


def test_a_department_sees_only_the_cases_dispatched_to_it(client, as_user):
    world = make_world(client)
    ok(client.post("/api/v1/departments", json={
        "code": "YL01", "name": "园林绿化所", "kind": "greening", "area_code": "410602"}), 201)
    cases = [ok(client.post("/api/v1/cases", json={
        "source": "patrol", "category_code": world.category["code"], "title": f"案件{n}",
        "grid_code": GRID}), 201) for n in range(3)]
    dispatcher = as_user("dispatcher")
    dispatch_case(dispatcher, cases[0], "HW01")
    dispatch_case(dispatcher, cases[1], "YL01")  # the third stays reported: nobody's yet
    department = as_user("dept-sanitation")
    assert [c["id"] for c in ok(department.get("/api/v1/cases"))["items"]] == [cases[0]["id"]]
    assert department.get(f"/api/v1/cases/{cases[1]['id']}").status_code == 404
    assert department.get(f"/api/v1/cases/{cases[2]['id']}").status_code == 404
    assert department.get("/api/v1/residents").status_code == 403
    assert department.get("/api/v1/households").status_code == 403
    assert [d["code"] for d in ok(department.get("/api/v1/departments"))["items"]] == ["HW01"]


# --- personal data ------------------------------------------------------------------------------


def test_personal_data_is_masked_exactly_where_the_policy_says(as_user, two_grids):
    world, _, _ = two_grids
    url = f"/api/v1/residents/{world.resident['id']}"
    for name in ("chief", "secretary", "admin"):
        shown = ok(as_user(name).get(url))
        assert shown["id_number"] == world.resident["id_number"]
        assert shown["phone"] == "13512345678" and shown["key_groups"] == ["低保"]
    for name in ("member", "leader"):
        shown = ok(as_user(name).get(url))
        number = world.resident["id_number"]
        assert shown["id_number"] == number[:6] + "********" + number[-4:]
        assert shown["phone"] == "135****5678"
        assert shown["key_groups"] is None  # withheld, not an empty list
        listed = ok(as_user(name).get("/api/v1/residents"))["items"][0]
        assert listed["id_number"] == shown["id_number"] and listed["key_groups"] is None


def test_masked_roles_export_masked_csv(as_user, two_grids):
    world, _, _ = two_grids
    exported = as_user("leader").get("/api/v1/residents", params={"format": "csv", "sort": "id"})
    text, rows = exported.content, csv_rows(exported)
    assert rows[0]["id_number"].count("*") == 8 and rows[0]["phone"] == "135****5678"
    assert rows[0]["key_groups"] == ""
    assert world.resident["id_number"] not in text.decode("utf-8-sig")


def test_masked_roles_cannot_probe_personal_data_with_filters(as_user, two_grids):
    world, _, _ = two_grids
    member = as_user("member")
    for params in ({"id_number": world.resident["id_number"]},
                   {"key_groups__contains": "低保"}, {"phone__startswith": "135"},
                   {"sort": "id_number"}):
        assert member.get("/api/v1/residents", params=params).status_code == 400, params
    assert ok(as_user("chief").get("/api/v1/residents",
                                   params={"key_groups__contains": "低保"}))["total"] == 1


def test_a_households_landlord_phone_and_a_reporters_phone_are_personal_data(client, as_user):
    world = make_world(client)
    ok(client.patch(f"/api/v1/households/{world.household['id']}", json={
        "is_rental": True, "landlord_name": "张三", "landlord_phone": "13600001234"}))
    assert ok(as_user("member").get(f"/api/v1/households/{world.household['id']}")
              )["landlord_phone"] == "136****1234"
    case = ok(client.post("/api/v1/cases", json={
        "source": "hotline_12345", "category_code": world.category["code"], "title": "路灯不亮",
        "grid_code": GRID, "reporter_name": "市民", "reporter_phone": "13900009999"}), 201)
    assert ok(as_user("member").get(f"/api/v1/cases/{case['id']}"))["reporter_phone"] == \
        "139****9999"
    assert ok(as_user("dispatcher").get(f"/api/v1/cases/{case['id']}"))["reporter_phone"] == \
        "13900009999"
