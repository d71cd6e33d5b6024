"""Every write leaves a trace: who, what, before and after (personal data masked), from where."""

from __future__ import annotations

from tests.builders import GRID, OTHER_GRID, id_number, ok
from tests.world import make_world


def entries(client, **filters) -> list[dict]:
    return ok(client.get("/api/v1/audit-log", params={"sort": "id", "limit": 1000} | filters)
              )["items"]


def test_create_update_and_delete_are_recorded_with_masked_personal_data(client, as_user):
    world = make_world(client)
    secretary = as_user("secretary")
    resident = ok(secretary.post("/api/v1/residents", json={
        "household_id": world.household["id"], "name": "王芳", "id_number": id_number(5, "female"),
        "phone": "13911112222", "key_groups": ["残疾人"]}, headers={"X-Request-ID": "req-42"}), 201)
    ok(secretary.patch(f"/api/v1/residents/{resident['id']}", json={"phone": "13933334444"}))
    assert secretary.delete(f"/api/v1/residents/{resident['id']}").status_code == 204

    log = entries(client, entity="residents", entity_id=resident["id"])
    assert [e["action"] for e in log] == ["create", "update", "delete"]
    assert all(e["actor"] == "secretary" and e["scope_code"] == GRID for e in log)
    created, updated, deleted = log
    assert created["request_id"] == "req-42" and created["client"]
    assert created["changes"]["id_number"][1] == resident["id_number"][:6] + "********" + \
        resident["id_number"][-4:]
    assert created["changes"]["key_groups"] == [None, None]  # withheld, even in the log
    assert updated["changes"] == {"phone": ["139****2222", "139****4444"]}
    assert deleted["changes"]["name"] == ["王芳", None]
    assert "13911112222" not in str(log) and resident["id_number"] not in str(log)


def test_password_changes_are_recorded_without_the_password(client):
    user = ok(client.post("/api/v1/users", json={
        "username": "zhaom", "password": "secret-password-1", "display_name": "赵敏"}), 201)
    ok(client.patch(f"/api/v1/users/{user['id']}", json={"password": "secret-password-2"}))
    log = entries(client, entity="users", entity_id=user["id"])
    assert log[1]["changes"] == {"password_hash": ["***", "***"]}
    assert "secret-password" not in str(log) and "argon2" not in str(log)


def test_the_log_is_append_only(client):
    make_world(client)
    first = entries(client)[0]
    assert client.delete(f"/api/v1/audit-log/{first['id']}").status_code == 405
    assert client.patch(f"/api/v1/audit-log/{first['id']}", json={"actor": "x"}).status_code == 405
    assert client.post("/api/v1/audit-log", json={"actor": "x"}).status_code == 405


def test_leaders_read_their_areas_log_and_chiefs_not_at_all(client, as_user):
    world = make_world(client)
    ok(client.post("/api/v1/buildings", json={
        "grid_code": OTHER_GRID, "name": "红旗1号楼", "address": "红旗街1号"}), 201)
    leader_log = entries(as_user("leader"), entity="buildings")
    assert {e["scope_code"] for e in leader_log} == {GRID, OTHER_GRID}
    assert as_user("chief").get("/api/v1/audit-log").status_code == 403
    # The world's own writes are in the log too, under the admin's name.
    (built,) = entries(client, entity="buildings", entity_id=world.building["id"])
    assert built["action"] == "create" and built["actor"] == "admin"
    assert len(entries(client, actor="admin")) >= 8
