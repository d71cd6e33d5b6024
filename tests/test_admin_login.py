"""The panel asks for the same accounts as the API; for now only administrators get in."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.builders import DEMO_PASSWORD


def panel(app) -> TestClient:
    return TestClient(app, follow_redirects=False)


def test_the_panel_asks_for_a_login(server, app):
    response = panel(app).get("/admin/")
    assert response.status_code in (302, 303, 307)
    assert "/admin/login" in response.headers["location"]


def test_an_administrator_logs_in_and_out(server, app):
    browser = panel(app)
    response = browser.post("/admin/login", data={"username": "admin", "password": DEMO_PASSWORD})
    assert response.status_code in (302, 303)
    cookie = response.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert browser.get("/admin/").status_code == 200
    assert browser.get("/admin/grid/list").status_code == 200
    browser.get("/admin/logout")
    assert browser.get("/admin/").status_code in (302, 303, 307)


def test_scoped_roles_and_wrong_passwords_stay_out(server, app):
    for username, password in (("chief", DEMO_PASSWORD), ("admin", "wrong-password")):
        browser = panel(app)
        browser.post("/admin/login", data={"username": username, "password": password})
        assert browser.get("/admin/").status_code in (302, 303, 307), username
