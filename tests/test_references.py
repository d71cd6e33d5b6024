"""A reference to a row outside your scope is answered exactly like one to a missing row.

Otherwise a reference is a probe: `POST /api/v1/visits` with another grid's household used to
answer 403 naming that grid, and a missing one 422, so the answer told that the household
exists and where. Every foreign key a client writes, on every entity, is covered here from
the registry (backend/entities.py): a new one is tested as soon as it is declared.

The caller is an administrator of one community (410602001002): every permission, one
community's rows (and, for areas and departments, the street and county above it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.sql.schema import Column

from backend.core.crud import EntitySpec, spec_for_table
from backend.entities import ENTITIES
from backend.imports.service import IMPORTABLE
from tests.builders import (
    COMMUNITY,
    DEMO_PASSWORD,
    GRID,
    OTHER_COMMUNITY,
    OTHER_GRID,
    make_household,
    make_resident,
    ok,
)
from tests.test_admin_panel import panel_login
from tests.world import World, make_world, new_row

MISSING_ID = 999_999


def written_references(spec: EntitySpec) -> list[tuple[str, Column]]:
    """(field, referenced column) of every foreign key a client writes on this entity."""
    columns = spec.model.__table__.columns
    return [(name, next(iter(columns[name].foreign_keys)).column)
            for name in spec.create_schema.model_fields
            if name in columns and columns[name].foreign_keys]


REFERENCES = [(spec.name, name) for spec in ENTITIES.values() if not spec.read_only
              for name, _ in written_references(spec)]
PATCHED_REFERENCES = [(entity, name) for entity, name in REFERENCES
                      if name not in ENTITIES[entity].immutable]


def target_of(entity: str, field: str) -> Column:
    return dict(written_references(ENTITIES[entity]))[field]


def test_the_registry_has_references_to_test():
    # Guards the parametrisation below against silently testing nothing.
    assert ("visits", "household_id") in REFERENCES and ("cases", "patrol_id") in REFERENCES
    assert len(REFERENCES) >= 20


@dataclass
class Scene:
    world: World
    caller: TestClient  # the community's administrator
    mine: dict[str, Any]  # referenced table -> a row's key within the caller's scope
    theirs: dict[str, Any]  # referenced table -> a row's key in the other community

    def body(self, entity: str) -> dict[str, Any]:
        extra = {
            "routing-rules": {"category_code": self.world.category["code"],
                              "department_code": "HW01"},
            "webhooks": {"department_code": "HW01", "url": "https://hw01.example.org/events",
                         "secret": "a-secret-of-16-chars"},
            "role-assignments": {"user_id": self.mine["user_account"], "role": "grid_member",
                                 "area_code": GRID},
        }
        if entity in extra:
            return extra[entity]
        if entity == "party-contacts":  # a party member of the grid's own team
            member = ok(self.caller.post("/api/v1/grid-staff", json={
                "grid_code": GRID, "name": "党员刘红", "team_role": "party_member"}), 201)
            return {"staff_id": member["id"], "household_id": self.world.household["id"],
                    "since": "2026-01-01"}
        return new_row(entity, self.world)[0]

    def missing(self, target: Column) -> Any:
        """A key of the referenced table's shape that no row has."""
        if target.type.python_type is int:
            return MISSING_ID
        return self.mine[target.table.name][:-3] + "999"


def login(anonymous: TestClient, username: str, password: str) -> str:
    response = anonymous.post("/api/v1/auth/token",
                              data={"username": username, "password": password})
    return ok(response)["access_token"]


@pytest.fixture
def scene(app, client, anonymous, accounts) -> Scene:
    world = make_world(client)
    building = ok(client.post("/api/v1/buildings", json={
        "grid_code": OTHER_GRID, "name": "红旗1号楼", "address": "红旗街1号"}), 201)
    household = make_household(client, OTHER_GRID, room="2单元202")
    resident = make_resident(client, household, seq=5)
    patrol = ok(client.post("/api/v1/patrols", json={
        "grid_code": OTHER_GRID, "patroller_name": "赵敏", "started_at": "2026-11-02T01:00:00Z"}),
        201)
    staff = ok(client.post("/api/v1/grid-staff", json={
        "grid_code": OTHER_GRID, "name": "赵敏", "team_role": "grid_chief"}), 201)
    dispute = ok(client.post("/api/v1/disputes", json={
        "grid_code": OTHER_GRID, "type_code": "05", "title": "工地拖欠工资", "found_by": "赵敏",
        "found_on": "2026-11-20"}), 201)
    ok(client.post("/api/v1/departments", json={
        "code": "HQ01", "name": "红旗社区物业办", "kind": "other", "area_code": OTHER_COMMUNITY}),
        201)
    cases = [ok(client.post("/api/v1/cases", json={
        "source": "patrol", "category_code": world.category["code"], "grid_code": grid,
        "title": "积存垃圾"}), 201) for grid in (GRID, OTHER_GRID)]
    meeting = ok(client.post("/api/v1/meetings", json={
        "area_code": OTHER_GRID, "kind": "grid", "title": "红旗第一网格例会",
        "held_on": "2026-11-25", "chair": "赵敏"}), 201)
    user = ok(client.post("/api/v1/users", json={
        "username": "community-admin", "password": DEMO_PASSWORD, "display_name": "周社区"}), 201)
    ok(client.post("/api/v1/role-assignments", json={
        "user_id": user["id"], "role": "admin", "area_code": COMMUNITY}), 201)
    caller = TestClient(app, headers={
        "Authorization": f"Bearer {login(anonymous, 'community-admin', DEMO_PASSWORD)}"})
    mine = {"area": COMMUNITY, "grid": GRID, "building": world.building["id"],
            "household": world.household["id"], "resident": world.resident["id"],
            "department": "HW01", "patrol": world.patrol["id"], "grid_staff": world.staff["id"],
            "case_category": world.category["code"], "user_account": accounts["member"],
            "dispute": world.dispute["id"], "dispute_type": "01", "case": cases[0]["id"],
            "meeting": world.meeting["id"]}
    theirs = {"area": OTHER_COMMUNITY, "grid": OTHER_GRID, "building": building["id"],
              "household": household["id"], "resident": resident["id"], "department": "HQ01",
              "patrol": patrol["id"], "grid_staff": staff["id"], "dispute": dispute["id"],
              "case": cases[1]["id"], "meeting": meeting["id"]}
    return Scene(world, caller, mine, theirs)


def theirs_for(scene: Scene, target: Column) -> Any | None:
    """A row of the referenced table outside the caller's scope; None where the table has no
    scope (reference data every role reads: categories, accounts)."""
    table = target.table.name
    if spec_for_table(table).scope_column is None:
        return None
    assert table in scene.theirs, f"add a row of {table} outside the community to the scene"
    return scene.theirs[table]


def tally(client: TestClient, entity: str) -> tuple[int, int]:
    """(rows of the entity, audit entries), as the system administrator counts them."""
    return (ok(client.get(f"/api/v1/{entity}", params={"limit": 1}))["total"],
            ok(client.get("/api/v1/audit-log", params={"limit": 1}))["total"])


def assert_unknown(response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]


def is_unknown(response, field: str) -> bool:
    return response.status_code == 422 and any(
        e["field"] == field for e in response.json().get("errors", []))


@pytest.mark.parametrize(("entity", "field"), REFERENCES, ids=[f"{e}.{f}" for e, f in REFERENCES])
def test_creating_with_another_scopes_reference_answers_like_a_missing_one(
        client, scene, entity, field):
    target, body, url = target_of(entity, field), scene.body(entity), f"/api/v1/{entity}"
    before = tally(client, entity)
    missing = scene.caller.post(url, json=body | {field: scene.missing(target)})
    assert_unknown(missing, field)
    theirs = theirs_for(scene, target)
    if theirs is not None:
        answer = scene.caller.post(url, json=body | {field: theirs})
        assert answer.content == missing.content  # the same bytes: nothing tells them apart
    assert tally(client, entity) == before  # and nothing written
    # The same body with a reference the caller may follow gets past it.
    own = body.get(field) or scene.mine[target.table.name]
    assert not is_unknown(scene.caller.post(url, json=body | {field: own}), field)


@pytest.mark.parametrize(("entity", "field"), PATCHED_REFERENCES,
                         ids=[f"{e}.{f}" for e, f in PATCHED_REFERENCES])
def test_changing_a_reference_to_another_scopes_row_answers_like_a_missing_one(
        client, scene, entity, field):
    target = target_of(entity, field)
    row = ok(client.post(f"/api/v1/{entity}", json=scene.body(entity)), 201)
    url = f"/api/v1/{entity}/{row['id']}"
    ok(scene.caller.get(url))  # the row is the caller's to change
    before = tally(client, entity)
    missing = scene.caller.patch(url, json={field: scene.missing(target)})
    assert_unknown(missing, field)
    theirs = theirs_for(scene, target)
    if theirs is not None:
        assert scene.caller.patch(url, json={field: theirs}).content == missing.content
    assert tally(client, entity) == before
    assert ok(client.get(url))["version"] == row["version"]
    own = row.get(field) or scene.mine[target.table.name]
    assert not is_unknown(scene.caller.patch(url, json={field: own}), field)


@pytest.mark.parametrize("entity", IMPORTABLE)
def test_an_import_refuses_another_scopes_reference_like_a_missing_one(client, scene, entity):
    """The import checks each row as the API does: the same answer, row by row."""
    spec = ENTITIES[entity]
    for field, target in written_references(spec):
        theirs = theirs_for(scene, target)
        body = scene.body(entity)
        header = list(body | {field: None})
        rows = [[str((body | {field: value})[name]) for name in header]
                for value in (scene.missing(target), theirs)]
        content = "\n".join(",".join(r) for r in [header, *rows]).encode("utf-8-sig")
        before = tally(client, entity)
        job = scene.caller.post(f"/api/v1/{entity}/import", files={"file": ("台账.csv", content)})
        assert job.status_code == 202, job.text
        errors = job.json()["errors"]
        assert [(e["row"], e["field"]) for e in errors] == [(2, field), (3, field)], errors
        same = [{k: v for k, v in e.items() if k not in ("row", "cell")} for e in errors]
        assert same[0] == same[1]
        assert job.json()["written"] == 0 and tally(client, entity) == before


def test_a_chief_visiting_another_grids_household_learns_nothing_about_it(client, as_user, scene):
    chief = as_user("chief")
    body = {"visitor_name": "李秀英", "visit_date": "2026-11-04", "kind": "routine"}
    other = chief.post("/api/v1/visits", json=body | {"household_id": scene.theirs["household"]})
    missing = chief.post("/api/v1/visits", json=body | {"household_id": MISSING_ID})
    assert_unknown(other, "household_id")
    assert other.content == missing.content
    assert OTHER_GRID not in other.text and "未知的户" in other.text


def test_a_case_links_only_a_patrol_of_the_reporters_own_grid(client, as_user, scene):
    member = as_user("member")
    body = {"source": "patrol", "category_code": "07011", "title": "井盖缺失", "grid_code": GRID}
    other = member.post("/api/v1/cases", json=body | {"patrol_id": scene.theirs["patrol"]})
    assert_unknown(other, "patrol_id")
    assert other.content == member.post("/api/v1/cases",
                                        json=body | {"patrol_id": MISSING_ID}).content
    case = ok(member.post("/api/v1/cases", json=body | {"patrol_id": scene.mine["patrol"]}), 201)
    assert case["patrol_id"] == scene.mine["patrol"]
    # The command center keeps no patrols at all: it links none.
    dispatcher = as_user("dispatcher")
    assert_unknown(dispatcher.post("/api/v1/cases", json=body | {
        "patrol_id": scene.mine["patrol"]}), "patrol_id")


def test_the_panel_answers_another_grids_household_like_a_missing_one(client, app, scene):
    chief = panel_login(app, "chief")
    form = {"visitor_name": "李秀英", "visit_date": "2026-11-04", "kind": "routine",
            "save": "保存"}
    before = tally(client, "visits")
    answers = [chief.post("/admin/visits/create", data=form | {"household_id": str(value)})
               for value in (scene.theirs["household"], MISSING_ID)]
    for answer in answers:
        assert answer.status_code == 400
        assert "未知的户" in answer.text and OTHER_GRID not in answer.text
    assert tally(client, "visits") == before
