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

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    """One API process on the same database as the tests; yields its Worker."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDLINK_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "GRIDLINK_DATABASE_URL": settings.database_url,
        "GRIDLINK_SECRET_KEY": settings.secret_key,
        "GRIDLINK_WEBHOOKS_ENABLED": "false",  # deliveries belong to the tests that drive them
        "GRIDLINK_SLA_TICK_SECONDS": "0",
    } | {f"GRIDLINK_{k.upper()}": str(v) for k, v in overrides.items()}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "backend.app:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    worker = Worker(f"http://127.0.0.1:{port}", process)
    # Read its output as it comes: a worker that logs more than a pipe holds must not block.
    drain = threading.Thread(target=lambda: worker.output.extend(process.stdout), daemon=True)
    drain.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                drain.join(5)
                raise AssertionError(f"worker exited: {''.join(worker.output)}")
            try:
                if httpx.get(f"{worker.url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("worker did not start in 60 s")
            time.sleep(0.2)
        yield worker
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        drain.join(5)


@contextmanager
def uvicorn_worker(settings, **overrides):
    """One API process on the same database as the tests; yields its base URL."""
    with uvicorn_process(settings, **overrides) as worker:
        yield worker.url


def eventually(check, seconds: float = 10.0, interval: float = 0.1) -> float:
    """Seconds until check() is true; fails after `seconds`."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > seconds:
            raise AssertionError(f"not true within {seconds}s")
        time.sleep(interval)
    return time.monotonic() - start
