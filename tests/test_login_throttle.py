"""Someone guesses a password with many requests at once, spread over two API workers.

The lockout (5 failures for a username within 15 minutes, then 429 until the window has
passed) must hold however the guesses are timed: each attempt takes its place in the count
before its password is checked, in one statement in the database (or one Redis INCR), so 40
guesses in flight get 5 answers of "wrong password" and 35 of 429, and the right password is
refused afterwards. The API and the panel share the count.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import redis

from backend.identity.throttle import REDIS_PREFIX
from tests.builders import GRID, make_areas, ok
from tests.servers import uvicorn_worker
from tests.test_policy_changes import REDIS_URL, redis_available

GUESSES = 40
PASSWORD = "the-right-password-1"


def all_at_once(attempt, count: int = GUESSES) -> Counter:
    """`attempt(i)` from `count` threads released together; the status codes they got."""
    start = threading.Barrier(count)

    def run(i: int) -> int:
        start.wait()
        return attempt(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return Counter(pool.map(run, range(count)))


def api_login(url: str, username: str, password: str) -> int:
    return httpx.post(f"{url}/api/v1/auth/token", timeout=120,
                      data={"username": username, "password": password}).status_code


class PanelLoginPage:
    """The panel's login form as a browser holds it: its session cookie and form token."""

    def __init__(self, url: str) -> None:
        self.url = url
        page = httpx.get(f"{url}/admin/login")
        self.cookies = dict(page.cookies)
        found = re.search(r'<meta name="csrf-token" content="([^"]*)"', page.text)
        self.token = found.group(1) if found else ""

    def submit(self, username: str, password: str, url: str | None = None) -> int:
        return httpx.post(f"{url or self.url}/admin/login", cookies=self.cookies, timeout=120,
                          data={"username": username, "password": password,
                                "csrf_token": self.token}).status_code


def new_member(client) -> str:
    """An account of our own (no other test's failures count against it), with a role so the
    panel lets it in."""
    username = f"guessed-{uuid.uuid4().hex[:8]}"
    user = ok(client.post("/api/v1/users", json={
        "username": username, "password": PASSWORD, "display_name": "王建国"}), 201)
    ok(client.post("/api/v1/role-assignments", json={
        "user_id": user["id"], "role": "grid_member", "area_code": GRID}), 201)
    return username


@pytest.mark.parametrize("store", ["database", pytest.param("redis", marks=pytest.mark.skipif(
    not redis_available(), reason="needs Redis on 127.0.0.1:6379"))])
def test_forty_guesses_at_once_over_two_workers_get_five_tries_then_429(settings, client, store):
    make_areas(client)
    api_user, panel_user = new_member(client), new_member(client)
    nobody = f"nobody-{uuid.uuid4().hex[:8]}"  # unknown names are counted the same way
    overrides = {"redis_url": REDIS_URL} if store == "redis" else {}
    try:
        with uvicorn_worker(settings, **overrides) as first, \
                uvicorn_worker(settings, **overrides) as second:
            workers = (first, second)
            for username in (api_user, nobody):
                answers = all_at_once(lambda i, u=username: api_login(workers[i % 2], u, "wrong"))
                assert answers == {401: 5, 429: GUESSES - 5}, (username, answers)
            for url in workers:
                assert api_login(url, api_user, PASSWORD) == 429

            form = PanelLoginPage(first)
            answers = all_at_once(lambda i: form.submit(panel_user, "wrong", workers[i % 2]))
            assert answers == {400: 5, 429: GUESSES - 5}, answers  # 400: SQLAdmin's "invalid"
            assert form.submit(panel_user, PASSWORD) == 429
            # One count for both doors: the panel's guesses lock the API too.
            assert api_login(second, panel_user, PASSWORD) == 429
    finally:
        if store == "redis":  # the database's counts go with the test's tables, these by hand
            redis.Redis.from_url(REDIS_URL).delete(
                *(REDIS_PREFIX + name for name in (api_user, panel_user, nobody)))


def test_with_its_redis_unreachable_a_login_answers_503_not_500(settings):
    from fastapi.testclient import TestClient

    from backend.app import create_app
    from tests.servers import free_port

    app = create_app(settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"}))
    try:
        response = TestClient(app).post("/api/v1/auth/token",
                                        data={"username": "chief", "password": "wrong"})
        assert response.status_code == 503 and "暂不可用" in response.json()["detail"]
    finally:
        app.state.db.dispose()
