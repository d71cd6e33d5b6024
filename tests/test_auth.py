"""Logging in, tokens, API keys and lockout, as a grid chief or a partner system meets them."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy import select

from backend.identity import security
from backend.identity.models import LoginThrottle, User
from tests.builders import DEMO_PASSWORD, GRID, SANITATION, dispatch_case, make_areas, ok
from tests.world import make_world


def login(anonymous, username: str, password: str):
    return anonymous.post("/api/v1/auth/token", data={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_chief_logs_in_and_sees_who_it_is(anonymous, client):
    make_areas(client)
    tokens = ok(login(anonymous, "chief", DEMO_PASSWORD))
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 15 * 60
    me = ok(anonymous.get("/api/v1/auth/me", headers=bearer(tokens["access_token"])))
    assert me["username"] == "chief"
    assert me["roles"] == [{"role": "grid_chief", "role_label": "网格长", "area_code": GRID,
                            "department_code": None, "scope_name": "新华街第七网格"}]
    assert "pii" in me["permissions"]["residents"]
    assert "delete" not in me["permissions"]["residents"]


def test_nothing_answers_without_authentication_but_login_and_docs(anonymous, client):
    for entity in ("residents", "cases", "grids", "users", "audit-log", "policy-rules"):
        response = anonymous.get(f"/api/v1/{entity}")
        assert response.status_code == 401, entity
        assert response.headers["www-authenticate"] == "Bearer"
    assert anonymous.get("/api/v1/api-keys").status_code == 401
    assert anonymous.get("/openapi.json").status_code == 200
    assert anonymous.get("/api/v1/health").status_code == 200
    garbage = {"Authorization": "Bearer not.a.token"}
    assert anonymous.get("/api/v1/residents", headers=garbage).status_code == 401


def test_a_wrong_password_and_an_unknown_user_look_the_same(anonymous):
    wrong = login(anonymous, "chief", "not-the-password")
    unknown = login(anonymous, "nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]



def test_an_expired_token_is_refused_and_a_refresh_token_gets_a_new_one(app, anonymous, accounts):
    secret = app.state.settings.secret_key
    with app.state.db.session() as session:
        user = session.get(User, accounts["chief"])
        stamp = security.account_stamp(user.password_hash, user.is_active)
    expired = security.issue_token(secret, user.id, "access", stamp, dt.timedelta(seconds=-1))
    assert anonymous.get("/api/v1/residents", headers=bearer(expired)).status_code == 401

    tokens = ok(login(anonymous, "chief", DEMO_PASSWORD))
    # A refresh token is not an access token, and the other way round.
    assert anonymous.get("/api/v1/residents",
                         headers=bearer(tokens["refresh_token"])).status_code == 401
    assert anonymous.post("/api/v1/auth/refresh",
                          json={"refresh_token": tokens["access_token"]}).status_code == 401
    renewed = ok(anonymous.post("/api/v1/auth/refresh",
                                json={"refresh_token": tokens["refresh_token"]}))
    assert anonymous.get("/api/v1/residents",
                         headers=bearer(renewed["access_token"])).status_code == 200


def test_a_new_password_or_a_disabled_account_voids_old_tokens(client, anonymous):
    make_areas(client)
    user = ok(client.post("/api/v1/users", json={
        "username": "wangjg", "password": "first-password-1", "display_name": "王建国"}), 201)
    assert "password_hash" not in user and "password" not in user
    ok(client.post("/api/v1/role-assignments", json={
        "user_id": user["id"], "role": "grid_member", "area_code": GRID}), 201)
    token = ok(login(anonymous, "wangjg", "first-password-1"))["access_token"]
    assert anonymous.get("/api/v1/grids", headers=bearer(token)).status_code == 200

    ok(client.patch(f"/api/v1/users/{user['id']}", json={"password": "second-password-2"}))
    assert anonymous.get("/api/v1/grids", headers=bearer(token)).status_code == 401
    assert login(anonymous, "wangjg", "first-password-1").status_code == 401
    token = ok(login(anonymous, "wangjg", "second-password-2"))["access_token"]

    ok(client.patch(f"/api/v1/users/{user['id']}", json={"is_active": False}))
    assert anonymous.get("/api/v1/grids", headers=bearer(token)).status_code == 401
    assert login(anonymous, "wangjg", "second-password-2").status_code == 401


def refresh(anonymous, refresh_token: str):
    return anonymous.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})


def test_each_refresh_hands_out_a_new_refresh_token_and_spends_the_old_one(anonymous):
    first = ok(login(anonymous, "chief", DEMO_PASSWORD))["refresh_token"]
    second = ok(refresh(anonymous, first))["refresh_token"]
    assert second != first
    third = ok(refresh(anonymous, second))
    assert anonymous.get("/api/v1/auth/me",
                         headers=bearer(third["access_token"])).json()["username"] == "chief"
    assert refresh(anonymous, first).status_code == 401


def test_a_stolen_refresh_token_used_again_ends_the_login_for_thief_and_owner(anonymous):
    stolen = ok(login(anonymous, "chief", DEMO_PASSWORD))["refresh_token"]
    owners = ok(refresh(anonymous, stolen))["refresh_token"]  # the owner refreshes first
    replayed = refresh(anonymous, stolen)  # then the thief
    assert replayed.status_code == 401 and "已注销" in replayed.json()["detail"]
    assert refresh(anonymous, owners).status_code == 401  # the owner logs in again
    # The other way round: the thief refreshes first, the owner's next refresh ends it.
    stolen = ok(login(anonymous, "chief", DEMO_PASSWORD))["refresh_token"]
    thiefs = ok(refresh(anonymous, stolen))["refresh_token"]
    assert refresh(anonymous, stolen).status_code == 401
    assert refresh(anonymous, thiefs).status_code == 401
    # Another login of the same user is not affected.
    elsewhere = ok(login(anonymous, "chief", DEMO_PASSWORD))["refresh_token"]
    assert refresh(anonymous, elsewhere).status_code == 200


def test_a_refresh_token_sent_many_times_at_once_mints_no_usable_successor(settings, accounts):
    from tests.servers import uvicorn_worker
    from tests.test_login_throttle import all_at_once

    with uvicorn_worker(settings) as first, uvicorn_worker(settings) as second:
        workers = (first, second)
        token = ok(httpx.post(f"{first}/api/v1/auth/token",
                              data={"username": "chief", "password": DEMO_PASSWORD}))
        answers = []

        def use(i: int) -> int:
            response = httpx.post(f"{workers[i % 2]}/api/v1/auth/refresh", timeout=60,
                                  json={"refresh_token": token["refresh_token"]})
            answers.append(response)
            return response.status_code

        assert all_at_once(use, 10) == {200: 1, 401: 9}
        (winner,) = [r.json() for r in answers if r.status_code == 200]
        # The nine others were reuses: the login is over, the one successor included.
        assert httpx.post(f"{second}/api/v1/auth/refresh",
                          json={"refresh_token": winner["refresh_token"]}).status_code == 401


def test_a_new_password_or_disabling_the_account_ends_its_refresh_tokens(client, anonymous):
    user = ok(client.post("/api/v1/users", json={
        "username": "lisi", "password": "first-password-1", "display_name": "李四"}), 201)
    token = ok(login(anonymous, "lisi", "first-password-1"))["refresh_token"]
    ok(client.patch(f"/api/v1/users/{user['id']}", json={"is_active": False}))
    assert refresh(anonymous, token).status_code == 401
    ok(client.patch(f"/api/v1/users/{user['id']}", json={"is_active": True}))
    assert refresh(anonymous, token).status_code == 401  # enabled again: the old login stays over

    token = ok(login(anonymous, "lisi", "first-password-1"))["refresh_token"]
    ok(client.patch(f"/api/v1/users/{user['id']}", json={"password": "second-password-2"}))
    assert refresh(anonymous, token).status_code == 401


@pytest.mark.parametrize("username", ["member", "no-such-user"])
def test_five_failures_lock_the_username_for_the_window(app, anonymous, username):
    for _ in range(5):
        assert login(anonymous, username, "wrong-password").status_code == 401
    locked = login(anonymous, username, DEMO_PASSWORD)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    # Another username is not affected.
    assert login(anonymous, "secretary", DEMO_PASSWORD).status_code == 200
    # When the window has passed, the right password works again.
    with app.state.db.session() as session:
        for counted in session.execute(select(LoginThrottle)).scalars():
            counted.window_started_at -= dt.timedelta(minutes=16)
        session.commit()
    expected = 200 if username == "member" else 401
    assert login(anonymous, username, DEMO_PASSWORD).status_code == expected


def test_counts_of_windows_that_are_over_are_not_kept(app, anonymous):
    """Guessing at made-up names must not grow the table without end."""
    for name in ("made-up-1", "made-up-2"):
        assert login(anonymous, name, "wrong-password").status_code == 401
    with app.state.db.session() as session:
        for counted in session.execute(select(LoginThrottle)).scalars():
            if counted.username == "made-up-1":
                counted.window_started_at -= dt.timedelta(minutes=16)
        session.commit()
    assert login(anonymous, "made-up-3", "wrong-password").status_code == 401
    with app.state.db.session() as session:
        kept = set(session.execute(select(LoginThrottle.username)).scalars())
    assert {"made-up-2", "made-up-3"} <= kept and "made-up-1" not in kept


def test_a_partner_department_uses_an_api_key_until_it_is_revoked(client, as_user, anonymous,
                                                                   accounts):
    world = make_world(client)
    case = ok(client.post("/api/v1/cases", json={
        "source": "patrol", "category_code": world.category["code"], "title": "垃圾",
        "grid_code": GRID}), 201)
    ok(client.post("/api/v1/cases", json={  # not dispatched: in nobody's queue yet
        "source": "patrol", "category_code": world.category["code"], "title": "垃圾2",
        "grid_code": GRID}), 201)
    dispatch_case(as_user("dispatcher"), case, SANITATION)

    created = ok(client.post("/api/v1/api-keys", json={
        "user_id": accounts["dept-sanitation"], "name": "环卫处业务系统"}), 201)
    key = created["key"]
    assert key.startswith("glk_") and created["prefix"] in key
    listed = ok(client.get("/api/v1/api-keys"))
    assert all("key" not in k and "secret_hash" not in k for k in listed)

    as_partner = {"X-API-Key": key}
    queue = ok(anonymous.get("/api/v1/cases", headers=as_partner))
    assert [c["id"] for c in queue["items"]] == [case["id"]]  # its own queue, nothing more
    assert anonymous.get("/api/v1/residents", headers=as_partner).status_code == 403
    assert anonymous.get("/api/v1/cases", headers={"X-API-Key": key + "x"}).status_code == 401

    revoked = ok(client.delete(f"/api/v1/api-keys/{created['id']}"))
    assert revoked["revoked_at"] is not None
    assert anonymous.get("/api/v1/cases", headers=as_partner).status_code == 401


def test_only_admins_manage_accounts_keys_and_the_policy(as_user):
    for name in ("leader", "dispatcher", "secretary", "chief"):
        user = as_user(name)
        assert user.get("/api/v1/users").status_code == 403
        assert user.get("/api/v1/api-keys").status_code == 403
        assert user.post("/api/v1/policy-rules", json={
            "role": "grid_member", "obj": "residents", "act": "pii"}).status_code == 403


def test_the_last_administrator_cannot_be_locked_out(client, accounts):
    admin_id = accounts["admin"]
    assert client.patch(f"/api/v1/users/{admin_id}", json={"is_active": False}).status_code == 409
    assert client.delete(f"/api/v1/users/{admin_id}").status_code == 409
    rules = ok(client.get("/api/v1/policy-rules", params={"role": "admin"}))["items"]
    assert client.delete(f"/api/v1/policy-rules/{rules[0]['id']}").status_code == 409
    assignment = ok(client.get("/api/v1/role-assignments", params={"user_id": admin_id}))
    assert client.delete(
        f"/api/v1/role-assignments/{assignment['items'][0]['id']}").status_code == 409
    assert client.get("/api/v1/users").status_code == 200  # still in charge
