"""`gridlink demo` on a fresh checkout: migrate, seed, serve API and dashboards, stop on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.servers import ROOT

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("GRIDLINK_TEST_DATABASE_URL")),
    reason="the demo runs on embedded SQLite; checked once, in the SQLite pass",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 120) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the demo exited early"
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code < 500:
                return response
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {seconds}s")


def test_the_demo_starts_everything_in_one_command_and_stops_cleanly(tmp_path):
    api_port, dashboards_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDLINK_")}
    env["PYTHONPATH"] = str(ROOT)  # this checkout's code, whatever else is installed
    gridlink = [sys.executable, "-m", "backend.cli"]
    process = subprocess.Popen(
        [*gridlink, "demo", "--port", str(api_port), "--dashboards-port", str(dashboards_port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{api_port}/api/v1/health", process)
        login = httpx.post(f"http://127.0.0.1:{api_port}/api/v1/auth/token",
                           data={"username": "admin", "password": "gridlink-demo"})
        assert login.status_code == 200, login.text  # the README's demo account
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        grids = httpx.get(f"http://127.0.0.1:{api_port}/api/v1/grids", params={"limit": 1},
                          headers=auth).json()
        assert grids["total"] >= 40  # seeded
        assert httpx.get(f"http://127.0.0.1:{api_port}/admin/login").status_code == 200
        health = wait_for(f"http://127.0.0.1:{dashboards_port}/_stcore/health", process)
        assert health.text == "ok"
        assert (tmp_path / "var" / "gridlink.db").exists()  # the embedded SQLite file
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "stopped" in output
    for port in (api_port, dashboards_port):
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
