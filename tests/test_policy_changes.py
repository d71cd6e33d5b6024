"""Admins change who may do what at runtime: every worker follows without a restart."""

from __future__ import annotations

import httpx
import pytest
import redis

from tests.builders import ok
from tests.servers import CEILING, eventually, uvicorn_worker
from tests.world import make_world

REDIS_URL = "redis://127.0.0.1:6379/0"
GRANT = {"role": "grid_member", "obj": "residents", "act": "export"}


def redis_available() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError:
        return False


def test_a_new_rule_takes_effect_at_once_in_this_worker(client, as_user):
    make_world(client)
    member = as_user("member")
    assert member.get("/api/v1/residents", params={"format": "csv"}).status_code == 403
    rule = ok(client.post("/api/v1/policy-rules", json=GRANT), 201)
    assert member.get("/api/v1/residents", params={"format": "csv"}).status_code == 200
    ok(client.delete(f"/api/v1/policy-rules/{rule['id']}"), 204)
    assert member.get("/api/v1/residents", params={"format": "csv"}).status_code == 403


def test_a_new_role_assignment_takes_effect_at_once(client, as_user, accounts):
    make_world(client)
    member = as_user("member")
    assert member.get("/api/v1/audit-log").status_code == 403
    ok(client.post("/api/v1/role-assignments", json={
        "user_id": accounts["member"], "role": "leader", "area_code": "410602001002"}), 201)
    assert member.get("/api/v1/audit-log").status_code == 200


def test_unknown_objects_and_actions_are_refused_by_name(client):
    response = client.post("/api/v1/policy-rules", json={
        "role": "grid_member", "obj": "residents|spaceships", "act": "read"})
    assert response.status_code == 422 and "spaceships" in response.text
    response = client.post("/api/v1/policy-rules", json={
        "role": "grid_member", "obj": "residents", "act": "read|teleport"})
    assert response.status_code == 422 and "teleport" in response.text


def _member_can_export(url: str, token: str) -> bool:
    response = httpx.get(f"{url}/api/v1/residents", params={"format": "csv"}, timeout=CEILING,
                         headers={"Authorization": f"Bearer {token}"})
    return response.status_code == 200


@pytest.mark.skipif(not redis_available(), reason="needs Redis on 127.0.0.1:6379")
def test_a_second_worker_hears_of_a_change_through_redis(settings, client, tokens):
    make_world(client)
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    # Polling set to two hours, longer than any wait here: only Redis can make the second
    # worker notice (no timing to guess: whenever it notices, it was told).
    with uvicorn_worker(settings, redis_url=REDIS_URL, policy_poll_seconds=7200) as first, \
            uvicorn_worker(settings, redis_url=REDIS_URL, policy_poll_seconds=7200) as second:
        assert not _member_can_export(second, tokens["member"])
        response = httpx.post(f"{first}/api/v1/policy-rules", json=GRANT, headers=admin,
                              timeout=CEILING)
        assert response.status_code == 201, response.text
        eventually(lambda: _member_can_export(second, tokens["member"]))
        httpx.delete(f"{first}/api/v1/policy-rules/{response.json()['id']}", headers=admin,
                     timeout=CEILING)
        eventually(lambda: not _member_can_export(second, tokens["member"]))


def test_without_redis_a_second_worker_catches_up_on_its_poll(settings, client, tokens):
    make_world(client)
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    with uvicorn_worker(settings, policy_poll_seconds=0.5) as first, \
            uvicorn_worker(settings, policy_poll_seconds=0.5) as second:
        assert not _member_can_export(second, tokens["member"])
        response = httpx.post(f"{first}/api/v1/policy-rules", json=GRANT, headers=admin,
                              timeout=CEILING)
        assert response.status_code == 201, response.text
        eventually(lambda: _member_can_export(second, tokens["member"]))
