"""`gridlink demo` on a fresh checkout: migrate, seed, serve API and dashboards, stop on Ctrl-C.

The test waits for what the demo says (its ready lines, the end of the year of cases) as it
says it, never for a guessed number of seconds; CEILING only ends a run that is stuck.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from tests.readme_examples import example_env, fill_residents_sheet, run_examples
from tests.servers import ROOT, free_port

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("GRIDLINK_TEST_DATABASE_URL")),
    reason="the demo runs on embedded SQLite; checked once, in the SQLite pass",
)

CEILING = 1800  # seconds; the whole year of cases takes minutes on a busy 2-core machine
README_GRID = "410602001001001"  # the chief's grid in the README's examples
REQUEST_CEILING = 120  # seconds for one request: a loaded machine answers slowly, not never


class Output:
    """The lines a process prints, read as they come (a reader thread into a queue)."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._reader.start()

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self._queue.put(line)
        self._queue.put(None)  # the process closed its output: it has ended

    def wait_for(self, text: str) -> str:
        """The first line (from here on) containing `text`."""
        deadline = time.monotonic() + CEILING
        while True:
            try:
                line = self._queue.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                raise AssertionError(f"no {text!r} within {CEILING} s:\n{self.text}") from None
            if line is None:
                raise AssertionError(f"the demo ended before {text!r}:\n{self.text}")
            self.lines.append(line)
            if text in line:
                return line

    def rest(self) -> str:
        """Everything, once the process has ended."""
        self._reader.join(timeout=CEILING)
        while not self._queue.empty():
            line = self._queue.get_nowait()
            if line is not None:
                self.lines.append(line)
        return self.text

    @property
    def text(self) -> str:
        return "".join(self.lines)


def test_the_demo_starts_everything_in_one_command_and_stops_cleanly(tmp_path):
    api_port, dashboards_port = free_port(), free_port()
    api = f"http://127.0.0.1:{api_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDLINK_")}
    env["PYTHONPATH"] = str(ROOT)  # this checkout's code, whatever else is installed
    process = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "demo", "--port", str(api_port),
         "--dashboards-port", str(dashboards_port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    output = Output(process)
    http = httpx.Client(timeout=REQUEST_CEILING)
    try:
        # The API serves the county as soon as the demo says so, before the cases are in.
        output.wait_for("API ready")
        login = http.post(f"{api}/api/v1/auth/token",
                          data={"username": "admin", "password": "gridlink-demo"})
        assert login.status_code == 200, login.text  # the README's demo account
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        grids = http.get(f"{api}/api/v1/grids", params={"limit": 1}).json()
        assert grids["total"] >= 40  # seeded
        residents = http.get(f"{api}/api/v1/residents", params={"limit": 1}).json()
        assert residents["total"] == 20_000
        assert http.get(f"{api}/admin/login").status_code == 200
        assert http.get(f"{api}/docs").status_code == 200

        output.wait_for("dashboards ready")
        assert http.get(f"http://127.0.0.1:{dashboards_port}/_stcore/health").text == "ok"
        assert (tmp_path / "var" / "gridlink.db").exists()  # the embedded SQLite file

        # The year of cases comes in behind, with progress lines, until the demo says it is in.
        output.wait_for("cases: ")
        output.wait_for("demo data complete")
        # A fresh login: on a loaded machine the year can outlast the first access token.
        login = http.post(f"{api}/api/v1/auth/token",
                          data={"username": "admin", "password": "gridlink-demo"})
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        cases = http.get(f"{api}/api/v1/cases", params={"limit": 1})
        assert cases.status_code == 200, cases.text
        assert cases.json()["total"] == 6_000

        # The README's examples, run as a reader runs them in a terminal, against this demo.
        reader = tmp_path / "reader"
        reader.mkdir()
        chief = http.post(f"{api}/api/v1/auth/token",
                          data={"username": "chief", "password": "gridlink-demo"}).json()
        fill_residents_sheet(api, chief["access_token"], README_GRID, reader)
        run_examples(api, reader, example_env(f"sqlite:///{tmp_path / 'var' / 'gridlink.db'}"))
    finally:
        http.close()
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=REQUEST_CEILING)
        finally:
            text = output.rest()
    assert process.returncode == 0, text
    assert "stopped" in text
    for port in (api_port, dashboards_port):
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
