"""Every entity's five routes, as a ledger keeper or a partner system would use them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from backend.core.db import BEIJING
from backend.entities import ENTITIES
from tests.builders import GRID, OTHER_GRID, csv_rows, id_number, ok
from tests.world import DOMAIN_ENTITIES, OWN_TESTS, make_world, new_row

ENTITY_NAMES = DOMAIN_ENTITIES
TESTS = Path(__file__).resolve().parent


@pytest.fixture
def world(client):
    return make_world(client)


def test_every_entity_is_made_by_the_generic_tests_or_has_tests_of_its_own():
    covered = set(DOMAIN_ENTITIES) | set(OWN_TESTS)
    missing = [name for name in ENTITIES if name not in covered]
    assert not missing, (f"add a new row and patch for {missing} to tests/world.py new_row() "
                         "and its name to DOMAIN_ENTITIES (or list it in OWN_TESTS)")
    assert covered <= set(ENTITIES), f"not entities: {covered - set(ENTITIES)}"
    assert all((TESTS / file).exists() for file in OWN_TESTS.values())


@pytest.mark.parametrize("entity", ENTITY_NAMES)
def test_create_read_update_delete_round_trip(client, world, entity):
    body, patch = new_row(entity, world)
    created = ok(client.post(f"/api/v1/{entity}", json=body), 201)
    assert created["version"] == 1
    for key, value in body.items():
        assert created[key] == value, key

    url = f"/api/v1/{entity}/{created['id']}"
    response = client.get(url)
    assert ok(response) == created
    assert response.headers["etag"] == '"1"'

    updated = ok(client.patch(url, json=patch, headers={"If-Match": '"1"'}))
    assert updated["version"] == 2
    assert {k: updated[k] for k in patch} == patch
    assert client.get(url).headers["etag"] == '"2"'

    listed = ok(client.get(f"/api/v1/{entity}", params={"id": created["id"]}))
    assert listed["total"] == 1 and listed["items"][0] == updated

    assert client.delete(url, headers={"If-Match": '"2"'}).status_code == 204
    assert client.get(url).status_code == 404


def test_a_resident_takes_grid_sex_and_birth_date_from_household_and_id_number(client, world):
    resident = world.resident
    assert resident["grid_code"] == GRID
    assert resident["sex"] == "male" and resident["birth_date"] == "1980-05-17"


def test_moving_a_building_to_another_grid_moves_its_households_and_residents(client, world):
    ok(client.patch(f"/api/v1/buildings/{world.building['id']}", json={"grid_code": OTHER_GRID}))
    assert ok(client.get(f"/api/v1/households/{world.household['id']}"))["grid_code"] == OTHER_GRID
    assert ok(client.get(f"/api/v1/residents/{world.resident['id']}"))["grid_code"] == OTHER_GRID


def test_a_household_cannot_claim_a_grid_other_than_its_buildings(client, world):
    response = client.post("/api/v1/households", json={
        "building_id": world.building["id"], "grid_code": OTHER_GRID, "room": "9-9"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "grid_code"


def test_a_case_gets_a_readable_code_and_starts_reported(client, world):
    body, _ = new_row("cases", world)
    case = ok(client.post("/api/v1/cases", json=body), 201)
    assert case["status"] == "reported"
    reported = dt.datetime.fromisoformat(case["reported_at"].replace("Z", "+00:00"))
    assert case["code"].startswith(f"{reported.astimezone(BEIJING):%Y%m%d}")  # the local date
    assert case["code"].endswith(f"{case['id']:08d}")


# --- the list query language ----------------------------------------------------------------


@pytest.fixture
def residents(client, world):
    """Nine more residents of the household, alternating sex, some with tags."""
    made = [world.resident]
    for seq in range(2, 11):
        tags = ["独居老人"] if seq % 3 == 0 else []
        made.append(ok(client.post("/api/v1/residents", json={
            "household_id": world.household["id"], "name": f"居民{seq:02d}",
            "id_number": id_number(seq, "male" if seq % 2 else "female"),
            "key_groups": tags, "residence_type": "floating" if seq > 7 else "registered",
        }), 201))
    return made


def ids(page: dict) -> list[int]:
    return [row["id"] for row in page["items"]]


def test_filters_by_each_operator(client, residents):
    get = lambda **p: ok(client.get("/api/v1/residents", params=p))  # noqa: E731
    assert get(sex="female")["total"] == 5
    assert get(sex__ne="female")["total"] == 5
    assert get(residence_type__in="floating,temporary")["total"] == 3
    assert get(name__contains="居民0")["total"] == 8
    assert get(name__startswith="刘")["total"] == 1
    assert get(grid_code__startswith="410602001002")["total"] == 10
    assert get(grid_code__startswith="410602001003")["total"] == 0
    assert get(key_groups__contains="独居老人")["total"] == 3
    assert get(key_groups__contains="低保")["total"] == 1
    assert get(phone__isnull="true")["total"] == 9
    assert get(phone__isnull="false")["total"] == 1
    second = residents[1]["id"]
    assert ids(get(id__gt=second, sort="id")) == [r["id"] for r in residents[2:]]
    assert get(id__gte=second)["total"] == 9
    assert get(id__lt=second)["total"] == 1
    assert get(id__lte=second)["total"] == 2
    assert get(birth_date="1980-05-17")["total"] == 10


def test_sorts_pages_and_selects_fields(client, residents):
    page = ok(client.get("/api/v1/residents", params={"sort": "-name", "limit": 3, "offset": 1,
                                                      "fields": "id,name"}))
    names = sorted((r["name"] for r in residents), reverse=True)
    assert [row["name"] for row in page["items"]] == names[1:4]
    assert all(set(row) == {"id", "name"} for row in page["items"])
    assert page["total"] == 10 and page["limit"] == 3 and page["offset"] == 1

    uncounted = ok(client.get("/api/v1/residents", params={"count": "false", "limit": 2}))
    assert uncounted["total"] is None and len(uncounted["items"]) == 2


def test_default_page_is_fifty_and_the_limit_is_capped(client, world):
    assert ok(client.get("/api/v1/residents"))["limit"] == 50
    assert client.get("/api/v1/residents", params={"limit": 1001}).status_code == 422


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"name__near": "x"}, "name__near"),
        ({"sort": "boundary"}, "sort"),
        ({"sort": "nonsense"}, "sort"),
        ({"fields": "id,secret"}, "fields"),
        ({"id__gt": "abc"}, "id__gt"),
        ({"sex": "unknown"}, "sex"),
        ({"birth_date__lt": "2026-13-01"}, "birth_date__lt"),
        ({"is_rental": "maybe"}, "is_rental"),
        ({"phone__isnull": "perhaps"}, "phone__isnull"),
        ({"key_groups__startswith": "低"}, "key_groups__startswith"),
    ],
)
def test_unknown_fields_operators_and_values_answer_400_naming_them(client, world, params, field):
    entity = "households" if "is_rental" in params else "residents"
    response = client.get(f"/api/v1/{entity}", params=params)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["status"] == 400 and problem["title"] and problem["detail"]
    assert [e["field"] for e in problem["errors"]] == [field]


def test_csv_export_streams_the_same_rows(client, residents):
    params = {"sort": "name", "fields": "id,name,key_groups", "sex": "male"}
    page = ok(client.get("/api/v1/residents", params=params))
    response = client.get("/api/v1/residents", params=params | {"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")  # BOM for Excel
    assert text.splitlines()[:2] == ["编号,姓名,重点人群标签", "id,name,key_groups"]
    rows = csv_rows(response)
    assert [r["name"] for r in rows] == [r["name"] for r in page["items"]]
    assert rows[0].keys() == {"id", "name", "key_groups"}
    tagged = {r["name"]: r["key_groups"] for r in rows}
    assert tagged["刘志强"] == "低保"


def test_csv_export_without_limit_has_every_row(client, residents):
    response = client.get("/api/v1/residents", params={"format": "csv", "fields": "id"})
    assert len(csv_rows(response)) == 10
    limited = client.get("/api/v1/residents", params={"format": "csv", "fields": "id", "limit": 3})
    assert len(csv_rows(limited)) == 3
