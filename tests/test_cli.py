"""The command line an operator uses on the server: accounts, API keys, the assessment's
default schemes."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.builders import GRID, make_areas, ok
from tests.servers import CEILING, ROOT


def gridlink(settings, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDLINK_")}
    env |= {"PYTHONPATH": str(ROOT), "GRIDLINK_DATABASE_URL": settings.database_url,
            "GRIDLINK_SECRET_KEY": settings.secret_key,
            "GRIDLINK_WEBHOOK_ALLOWED_HOSTS": settings.webhook_allowed_hosts}
    return subprocess.run([sys.executable, "-m", "backend.cli", *args], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=CEILING)


def test_an_operator_creates_a_grid_chief_who_can_then_log_in(settings, client, anonymous):
    make_areas(client)
    result = gridlink(settings, "users", "create", "lixy", "--name", "李秀英",
                      "--role", "grid_chief", "--area", GRID,
                      stdin="a-long-password-1\na-long-password-1\n")
    assert result.returncode == 0, result.stderr
    token = ok(anonymous.post("/api/v1/auth/token",
                              data={"username": "lixy", "password": "a-long-password-1"}))
    me = ok(anonymous.get("/api/v1/auth/me",
                          headers={"Authorization": f"Bearer {token['access_token']}"}))
    assert me["display_name"] == "李秀英" and me["roles"][0]["area_code"] == GRID
    log = ok(client.get("/api/v1/audit-log", params={"entity": "users"}))["items"]
    assert log[0]["actor"] == "cli:users"


def test_bad_input_on_the_command_line_says_why_and_writes_nothing(settings, client):
    result = gridlink(settings, "users", "create", "x y", "--name", "某人", "--role", "leader",
                      "--area", "410602", stdin="short\nshort\n")
    assert result.returncode == 2
    assert "username" in result.stderr or "password" in result.stderr
    assert ok(client.get("/api/v1/users", params={"username": "x y"}))["total"] == 0


def test_the_office_installs_the_default_assessment_schemes_once(settings, client):
    first = gridlink(settings, "assessment", "defaults")
    assert first.returncode == 0, first.stderr
    assert "网格千分制考核" in first.stdout
    schemes = ok(client.get("/api/v1/assessment-schemes"))["items"]
    assert {s["level"] for s in schemes} == {"grid", "grid_chief", "community", "department"}
    for scheme in schemes:  # each adds up to 1,000 points, the vetoes worth none
        items = ok(client.get("/api/v1/assessment-items",
                              params={"scheme_id": scheme["id"], "limit": 100}))["items"]
        assert sum(item["points"] for item in items) == 1000
        assert any(item["kind"] == "veto" for item in items)
    again = gridlink(settings, "assessment", "defaults")
    assert again.returncode == 0 and "already" in again.stdout
    assert ok(client.get("/api/v1/assessment-schemes"))["total"] == 4


def test_an_api_key_is_printed_once_and_works(settings, client, anonymous):
    result = gridlink(settings, "apikeys", "create", "dept-sanitation", "--name", "环卫处业务系统")
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert key.startswith("glk_")
    assert anonymous.get("/api/v1/cases", headers={"X-API-Key": key}).status_code == 200
    assert key not in str(ok(client.get("/api/v1/api-keys")))


def test_the_dashboards_serve_viewers_on_the_apis_host_without_developer_chrome(monkeypatch):
    from backend.cli import _streamlit_command

    def option(command: list[str], name: str) -> str:
        return command[command.index(name) + 1]

    monkeypatch.setenv("GRIDLINK_API_URL", "http://10.20.0.5:8000")
    command = _streamlit_command(8501)
    assert option(command, "--server.address") == "10.20.0.5"
    assert option(command, "--server.port") == "8501"
    # No Deploy button or developer menu; a failure's details go to the log, not the screen.
    assert option(command, "--client.toolbarMode") == "minimal"
    assert option(command, "--client.showErrorDetails") == "none"
    assert option(_streamlit_command(8501, "0.0.0.0"), "--server.address") == "0.0.0.0"
    monkeypatch.delenv("GRIDLINK_API_URL")
    assert option(_streamlit_command(8501), "--server.address") == "127.0.0.1"
