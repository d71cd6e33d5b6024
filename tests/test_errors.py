"""Bad input gets a clear 4xx naming the field and the reason, and writes nothing."""

from __future__ import annotations

import re

import pytest

from tests.builders import COMMUNITY, GRID, OTHER_GRID, id_number, ok, square
from tests.world import make_world


@pytest.fixture
def world(client):
    return make_world(client)


def counts(client) -> dict[str, int]:
    entities = ("areas", "grids", "buildings", "households", "residents", "cases", "departments")
    return {e: ok(client.get(f"/api/v1/{e}", params={"limit": 1}))["total"] for e in entities}


def assert_problem(response, status: int, field: str | None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status and problem["title"] and problem["detail"]
    if field is not None:
        assert field in [e["field"] for e in problem["errors"]], problem
    return problem


def resident(world, **changes) -> dict:
    return {"household_id": world.household["id"], "name": "王芳",
            "id_number": id_number(7, "female")} | changes


BAD_CREATES = [
    ("residents", lambda w: resident(w, id_number="410602198005170031"), 422, "id_number",
     "校验码"),
    ("residents", lambda w: resident(w, id_number="410602198002300021"), 422, "id_number", "日期"),
    ("residents", lambda w: resident(w, id_number="4106021980"), 422, "id_number", ""),
    ("residents", lambda w: resident(w, sex="male"), 422, "sex", "不符"),
    ("residents", lambda w: resident(w, birth_date="1990-01-01"), 422, "birth_date", "不符"),
    ("residents", lambda w: resident(w, household_id=999999), 422, "household_id", "不存在"),
    ("residents", lambda w: resident(w, household_id=None), 422, "grid_code", "网格"),
    ("residents", lambda w: resident(w, key_groups=["吸烟者"]), 422, "key_groups.0", ""),
    ("residents", lambda w: resident(w, phone="12345"), 422, "phone", "电话"),
    ("residents", lambda w: resident(w, name="x" * 51), 422, "name", ""),
    ("residents", lambda w: resident(w, name="王\x00芳"), 422, "name", "空字符"),
    ("residents", lambda w: resident(w, nickname="芳芳"), 422, "nickname", ""),
    ("residents", lambda w: resident(w, id_number=w.resident["id_number"]), 409, "id_number",
     "已存在"),
    ("households", lambda w: {"building_id": w.building["id"], "room": "1-1",
                              "landlord_name": "张三"}, 422, "landlord_name", "出租"),
    ("buildings", lambda w: {"grid_code": "410602001002999", "name": "1号楼", "address": "x"},
     422, "grid_code", "不存在"),
    ("buildings", lambda w: {"grid_code": "4106", "name": "1号楼", "address": "x"},
     422, "grid_code", "15位"),
    ("grids", lambda w: {"code": GRID, "name": "重复", "community_code": COMMUNITY}, 409, "code",
     "已存在"),
    ("grids", lambda w: {"code": "410602001003009", "name": "错社区", "community_code": COMMUNITY},
     422, "code", "开头"),
    ("grids", lambda w: {"code": "410602001002009", "name": "x", "community_code": "410602001"},
     422, "community_code", ""),
    ("grids", lambda w: {"code": "410602001002009", "name": "x", "community_code": COMMUNITY,
                         "boundary": {"type": "Polygon", "coordinates": [[[114, 35], [115, 35],
                                                                          [115, 36]]]}},
     422, "boundary", "4个点"),
    ("grids", lambda w: {"code": "410602001002009", "name": "x", "community_code": COMMUNITY,
                         "boundary": {"type": "Polygon", "coordinates": [[[114, 35], [115, 36],
                                      [115, 35], [114, 36], [114, 35]]]}},  # a bow tie
     422, "boundary", "无效"),
    ("grids", lambda w: {"code": "410602001002009", "name": "x", "community_code": COMMUNITY,
                         "boundary": {"type": "Point", "coordinates": [114, 35]}},
     422, "boundary", "Polygon"),
    ("grids", lambda w: {"code": "410602001002009", "name": "x", "community_code": COMMUNITY,
                         "boundary": square(200, 35)}, 422, "boundary", "范围"),
    ("areas", lambda w: {"code": "410602003", "name": "x", "level": "street",
                         "parent_code": "410603"}, 422, "parent_code", "不存在"),
    ("areas", lambda w: {"code": "410602001009", "name": "x", "level": "community",
                         "parent_code": "410602"}, 422, "parent_code", "街道"),
    ("areas", lambda w: {"code": "41060200100", "name": "x", "level": "community",
                         "parent_code": "410602001"}, 422, "code", ""),
    ("areas", lambda w: {"code": "410603", "name": "x", "level": "street",
                         "parent_code": "410602"}, 422, "code", "9位"),
    ("cases", lambda w: {"source": "patrol", "category_code": "99999", "title": "x",
                         "grid_code": GRID}, 422, "category_code", "不存在"),
    ("cases", lambda w: {"source": "patrol", "category_code": "07011", "title": "x",
                         "grid_code": GRID, "lat": 35.9}, 422, "lng", "同时"),
    ("cases", lambda w: {"source": "fax", "category_code": "07011", "title": "x",
                         "grid_code": GRID}, 422, "source", ""),
    ("cases", lambda w: {"source": "patrol", "category_code": "07011", "title": "x",
                         "grid_code": GRID, "reported_at": "2999-01-01T00:00:00Z"},
     422, "reported_at", ""),
    ("cases", lambda w: {"source": "patrol", "category_code": "07011", "title": "x",
                         "grid_code": GRID, "lat": 95, "lng": 114}, 422, "lat", ""),
    ("case-categories", lambda w: {"code": "07012", "kind": "event", "big_class_code": "08",
                                   "big_class_name": "x", "name": "x", "deadline_value": 1,
                                   "deadline_unit": "working_days"}, 422, "code", "大类"),
    ("visits", lambda w: {"household_id": w.household["id"], "resident_id": 999999,
                          "visitor_name": "x", "visit_date": "2026-11-01"}, 422, "resident_id", ""),
    ("patrols", lambda w: {"grid_code": GRID, "patroller_name": "x",
                           "started_at": "2026-11-02T05:00:00Z",
                           "ended_at": "2026-11-02T04:00:00Z"},
     422, "ended_at", "早于"),
]


@pytest.mark.parametrize(("entity", "make_body", "status", "field", "reason"), BAD_CREATES)
def test_a_bad_create_names_the_field_and_writes_nothing(
    client, world, entity, make_body, status, field, reason
):
    before = counts(client)
    problem = assert_problem(client.post(f"/api/v1/{entity}", json=make_body(world)), status, field)
    assert reason in problem["detail"]
    assert counts(client) == before


def test_malformed_json_is_a_422_not_a_500(client, world):
    response = client.post("/api/v1/residents", content=b"{not json",
                           headers={"content-type": "application/json"})
    assert_problem(response, 422, None)


def test_the_validators_own_messages_are_chinese_too(client, world):
    """Pydantic's English (Field required, Input should be ...) never reaches a reader."""
    cases = [
        (client.post("/api/v1/residents", json={"name": "王芳", "grid_code": GRID}),
         "id_number", "必填, 不能为空"),
        (client.post("/api/v1/residents", json=resident(world, sex="unknown")), "sex",
         "应为以下之一: male、female"),
        (client.post("/api/v1/buildings", json={"grid_code": GRID, "name": "1号楼",
                                                "floors": "six"}), "floors", "应为整数"),
        (client.post("/api/v1/residents", json=resident(world, name="王" * 300)), "name",
         "长度不能超过"),
        (client.get("/api/v1/kpi/command-center", params={"limit": 0}), "limit", "应不小于 1"),
        (client.post("/api/v1/residents", content=b"{not json",
                     headers={"content-type": "application/json"}), None, "JSON 格式不正确"),
    ]
    for response, field, words in cases:
        problem = assert_problem(response, 422, field)
        assert words in problem["detail"], problem
        assert not re.search(r"Field required|Input should|should have|decode error",
                             problem["detail"]), problem


def test_a_stale_if_match_answers_412_and_writes_nothing(client, world):
    url = f"/api/v1/residents/{world.resident['id']}"
    ok(client.patch(url, json={"name": "刘强"}))  # someone else saved first: version 2
    stale = client.patch(url, json={"name": "刘志刚"}, headers={"If-Match": '"1"'})
    problem = assert_problem(stale, 412, None)
    assert "2" in problem["detail"]
    assert ok(client.get(url))["name"] == "刘强"
    assert_problem(client.delete(url, headers={"If-Match": '"1"'}), 412, None)
    assert client.get(url).status_code == 200


def test_a_patch_is_validated_against_the_whole_row(client, world):
    url = f"/api/v1/residents/{world.resident['id']}"
    assert_problem(client.patch(url, json={"birth_date": "1999-01-01"}), 422, "birth_date")
    assert_problem(client.patch(url, json={"household_id": 999999}), 422, "household_id")
    assert_problem(client.patch(url, json={"grid_code": OTHER_GRID}), 422, "grid_code")
    assert_problem(client.patch(url, json={"unknown": 1}), 422, "unknown")
    assert ok(client.get(url))["version"] == 1


def test_codes_cannot_be_changed_after_creation(client, world):
    grid = ok(client.get("/api/v1/grids", params={"code": GRID}))["items"][0]
    assert_problem(client.patch(f"/api/v1/grids/{grid['id']}", json={"code": GRID[:-1] + "8"}),
                   422, "code")


def test_an_empty_patch_changes_nothing(client, world):
    url = f"/api/v1/residents/{world.resident['id']}"
    assert ok(client.patch(url, json={}))["version"] == 1


def test_a_row_still_referenced_cannot_be_deleted(client, world):
    problem = assert_problem(client.delete(f"/api/v1/buildings/{world.building['id']}"), 409, None)
    assert "户" in problem["detail"]
    assert client.get(f"/api/v1/buildings/{world.building['id']}").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/residents/999999", "/api/v1/residents/0",
                                  "/api/v1/residents/abc",
                                  "/api/v1/residents/99999999999999999999"])
def test_missing_or_malformed_ids(client, world, path):
    assert client.get(path).status_code in (404, 422)
    assert client.patch(path, json={"name": "x"}).status_code in (404, 422)
    assert client.delete(path).status_code in (404, 422)


def test_huge_numbers_in_filters_are_not_a_500(client, world):
    assert client.get("/api/v1/residents", params={"id__gt": str(10**30)}).status_code in (200, 400)
    assert client.get("/api/v1/residents", params={"offset": str(10**30)}).status_code == 422
    assert client.get("/api/v1/residents", params={"name": "a\x00b"}).status_code in (200, 400)


def test_times_without_an_offset_are_utc_and_never_a_server_error(client, as_user):
    """A patrol posted with naive times (as a phone's clock may send them) is compared with
    now and with its own start as UTC times, on create, on update and in a workflow action."""
    from tests.builders import GRID, make_areas, ok

    make_areas(client)
    chief = as_user("chief")
    patrol = ok(chief.post("/api/v1/patrols", json={
        "grid_code": GRID, "patroller_name": "李秀英", "started_at": "2026-11-30T08:30",
        "ended_at": "2026-11-30T10:00"}), 201)
    assert patrol["started_at"] == "2026-11-30T08:30:00Z"
    refused = chief.patch(f"/api/v1/patrols/{patrol['id']}", json={"ended_at": "2026-11-30T07:00"},
                          headers={"If-Match": str(patrol["version"])})
    assert refused.status_code == 422 and "结束时间不能早于开始时间" in refused.text
    future = chief.post("/api/v1/patrols", json={
        "grid_code": GRID, "patroller_name": "李秀英", "started_at": "2999-01-01T08:00"})
    assert future.status_code == 422 and "开始时间不能晚于当前时间" in future.text
