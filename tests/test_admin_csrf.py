"""A page elsewhere cannot make an administrator's browser change anything in the panel.

The browser sends the panel's session cookie (SameSite=Lax) with a form that a page on another
port of the same host posts, the dashboards' for one: same site. So the panel takes an unsafe
request only with the session's token, which its own pages carry and no other page can read,
and refuses one the browser says came from another origin, token or not (admin/csrf.py).
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from starlette.routing import Mount

from tests.builders import GRID, ok
from tests.test_admin_cases import current
from tests.test_admin_panel import page_token, panel_login
from tests.test_workflow import report, world  # noqa: F401  (the workflow tests' world)

DASHBOARDS = "http://127.0.0.1:8501"  # the same host, another port: same site, another origin
OWN = "http://testserver"  # the panel's origin under the test client


class HiddenInputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden" and attrs.get("name"):
            self.values.setdefault(attrs["name"], attrs.get("value") or "")


def hidden_inputs(html: str) -> dict[str, str]:
    """The hidden fields of the page's forms, as the browser would submit them."""
    parser = HiddenInputs()
    parser.feed(html)
    return parser.values


@pytest.fixture
def admin(server, app):
    """An administrator's browser: the session cookie, and no token unless a page gave it one."""
    return panel_login(app, "admin", send_token=False)


def resident_form(world) -> dict:  # noqa: F811
    resident = world.resident
    return {"household_id": str(resident["household_id"]), "grid_code": GRID, "name": "刘志刚",
            "id_number": resident["id_number"], "residence_type": "registered", "save": "保存"}


def user_form(username: str) -> dict:
    return {"username": username, "password": "a-long-password-1", "display_name": "冒名账号",
            "is_active": "y", "save": "保存"}


def audit_entries(client) -> int:
    return ok(client.get("/api/v1/audit-log", params={"limit": 1}))["total"]


def test_forms_posted_from_the_dashboards_port_edit_create_and_act_on_nothing(
        world, app, admin, client, as_user):  # noqa: F811
    case = report(as_user("member"), world)
    rid = world.resident["id"]
    written = audit_entries(client)
    token = page_token(admin.get("/admin/").text)
    edit, create = f"/admin/residents/edit/{rid}", "/admin/users/create"
    act = f"/admin/cases/{case['id']}/workflow"
    forgeries = [
        # A page elsewhere: the browser says where it came from, and it has no token.
        ({"Origin": DASHBOARDS}, {}),
        # Even holding the token (it cannot read it, but say it could): from elsewhere is refused.
        ({"Origin": DASHBOARDS}, {"csrf_token": token}),
        ({"Sec-Fetch-Site": "same-site"}, {"csrf_token": token}),
        # A browser that says nothing about where it came from: no token, no write.
        ({}, {}),
        ({}, {"csrf_token": "guessed"}),
    ]
    for headers, extra in forgeries:
        for url, data in ((edit, resident_form(world) | {"version": "1"}),
                          (create, user_form("intruder")),
                          (act, {"action": "file", "version": str(case["version"])})):
            response = admin.post(url, data=data | extra, headers=headers)
            assert response.status_code == 403, (url, headers, extra, response.text[:300])
            assert "已拒绝" in response.text
    assert ok(client.get(f"/api/v1/residents/{rid}"))["name"] == world.resident["name"]
    assert ok(client.get("/api/v1/users", params={"username": "intruder"}))["total"] == 0
    assert current(client, case)["status"] == "reported"
    assert audit_entries(client) == written


def test_the_same_changes_through_the_panels_own_forms_go_through(
        world, app, admin, client, as_user):  # noqa: F811
    case = report(as_user("member"), world)
    rid = world.resident["id"]
    page = admin.get(f"/admin/residents/edit/{rid}")
    fields = hidden_inputs(page.text)
    assert set(fields) >= {"csrf_token", "version"}  # rendered into the form by the server
    saved = admin.post(f"/admin/residents/edit/{rid}", headers={"Origin": OWN},
                       data=resident_form(world) | fields)
    assert saved.status_code == 302, saved.text
    assert ok(client.get(f"/api/v1/residents/{rid}"))["name"] == "刘志刚"

    fields = hidden_inputs(admin.get("/admin/users/create").text)
    created = admin.post("/admin/users/create", data=user_form("new-clerk") | fields,
                         headers={"Origin": OWN, "Sec-Fetch-Site": "same-origin"})
    assert created.status_code == 302, created.text
    assert ok(client.get("/api/v1/users", params={"username": "new-clerk"}))["total"] == 1

    fields = hidden_inputs(admin.get(f"/admin/cases/{case['id']}/workflow").text)
    filed = admin.post(f"/admin/cases/{case['id']}/workflow",
                       data=fields | {"action": "file"}, headers={"Origin": OWN})
    assert filed.status_code == 302, filed.text
    assert current(client, case)["status"] == "filed"


def test_every_unsafe_route_of_the_panel_refuses_a_request_without_the_token(
        world, app, admin, client):  # noqa: F811
    panel = next(r.app for r in app.routes if isinstance(r, Mount) and r.path == "/admin")
    written = audit_entries(client)
    tried = set()
    for route in panel.routes:
        for method in sorted(getattr(route, "methods", None) or ()):
            if method in ("GET", "HEAD"):
                continue
            path = "/admin" + route.path.replace("{identity}", "residents").replace(
                "{pk:path}", str(world.resident["id"])).replace("{pk}", "1")
            response = admin.request(method, path, params={"pks": str(world.resident["id"])},
                                     data={"name": "改名", "action": "file"})
            assert response.status_code == 403, (method, path, response.status_code)
            tried.add((method, route.path))
    assert {("DELETE", "/{identity}/delete"), ("POST", "/{identity}/create"),
            ("POST", "/{identity}/edit/{pk:path}"), ("POST", "/cases/{pk}/workflow"),
            ("POST", "/residents/import-file"), ("POST", "/login"),
            ("POST", "/logout")} <= tried
    assert ok(client.get(f"/api/v1/residents/{world.resident['id']}"))["name"] != "改名"
    assert audit_entries(client) == written
    assert admin.get("/admin/").status_code == 200  # and still logged in


def test_a_page_elsewhere_cannot_log_someone_in_to_its_account(server, app):
    from fastapi.testclient import TestClient

    browser = TestClient(app, follow_redirects=False)
    token = page_token(browser.get("/admin/login").text)
    credentials = {"username": "chief", "password": "gridlink-test-password"}
    for headers, extra in (({"Origin": DASHBOARDS}, {"csrf_token": token}), ({}, {})):
        refused = browser.post("/admin/login", data=credentials | extra, headers=headers)
        assert refused.status_code == 403 and "已拒绝" in refused.text
        assert browser.get("/admin/").status_code in (302, 303, 307)  # nobody logged in
    assert browser.post("/admin/login", data=credentials | {"csrf_token": token},
                        headers={"Origin": OWN}).status_code == 302


def test_logging_out_takes_the_confirmation_form_not_a_link_from_elsewhere(app, admin):
    confirm = admin.get("/admin/logout")
    assert confirm.status_code == 200 and admin.get("/admin/").status_code == 200
    assert admin.post("/admin/logout", headers={"Origin": DASHBOARDS}).status_code == 403
    assert admin.post("/admin/logout").status_code == 403
    assert admin.get("/admin/").status_code == 200
    logged_out = admin.post("/admin/logout", data=hidden_inputs(confirm.text))
    assert logged_out.status_code == 302
    assert admin.get("/admin/").status_code in (302, 303, 307)

