"""Real uvicorn workers started by tests, on the test database (for multi-process scenarios)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Only a safety net for a server or a condition that never comes: tests wait for the event
# (a ready line, a row), however long a loaded machine takes, up to this.
CEILING = 600.0
READY_LINE = "Uvicorn running on"  # logged once the socket listens


@dataclass
class Worker:
    """A running API process: its URL, its process and what it printed so far."""

    url: str
    process: subprocess.Popen
    output: list[str] = field(default_factory=list)

    def peak_rss_mib(self) -> float:
        """The most resident memory the process has held so far (VmHWM), in MiB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024


@contextmanager
def uvicorn_process(settings, **overrides):
    """One API process on the same database as the tests; yields its Worker once uvicorn says
    it is listening (its output is read as it comes, in a thread, so it never blocks)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDLINK_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "GRIDLINK_DATABASE_URL": settings.database_url,
        "GRIDLINK_SECRET_KEY": settings.secret_key,
        "GRIDLINK_WEBHOOKS_ENABLED": "false",  # deliveries belong to the tests that drive them
        "GRIDLINK_SLA_TICK_SECONDS": "0",
        "GRIDLINK_UPLOAD_DIR": str(settings.upload_dir),  # photos where the tests' app keeps them
    } | {f"GRIDLINK_{k.upper()}": str(v) for k, v in overrides.items()}
    command = [sys.executable, "-m", "uvicorn", "--factory", "backend.app:create_app",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "info",
               "--no-access-log"]
    with server_process(command, env, f"http://127.0.0.1:{port}", READY_LINE) as worker:
        yield worker


@contextmanager
def server_process(command: list[str], env: dict[str, str], url: str, ready_line: str):
    """A server started from `command`; yields its Worker once it printed `ready_line`, and
    stops it at the end. Its output is read as it comes, in a thread, so it never blocks."""
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    worker = Worker(url, process)
    ready, ended = threading.Event(), threading.Event()

    def read() -> None:  # drains the pipe for the server's whole life
        for line in process.stdout:
            worker.output.append(line)
            if ready_line in line:
                ready.set()
        ended.set()

    drain = threading.Thread(target=read, daemon=True)
    drain.start()
    try:
        deadline = time.monotonic() + CEILING
        while not ready.wait(0.1):
            if ended.is_set() or time.monotonic() > deadline:
                raise AssertionError(f"server did not start: {''.join(worker.output)}")
        yield worker
    finally:
        process.terminate()
        try:
            process.wait(timeout=CEILING)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        drain.join(5)


@contextmanager
def uvicorn_worker(settings, **overrides):
    """One API process on the same database as the tests; yields its base URL."""
    with uvicorn_process(settings, **overrides) as worker:
        yield worker.url


def eventually(check, seconds: float = CEILING, interval: float = 0.1) -> float:
    """Seconds until check() is true; fails after `seconds` (a safety net, not a timing)."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > seconds:
            raise AssertionError(f"not true within {seconds}s")
        time.sleep(interval)
    return time.monotonic() - start
