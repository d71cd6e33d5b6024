"""Other writers during a big import: what they get and how long they wait, over real HTTP.

    python benchmarks/import_writers.py --db sqlite                 # 50,000 rows, 30 writers
    python benchmarks/import_writers.py --db sqlite --workers 1 2   # + multi-process mode
    python benchmarks/import_writers.py --db sqlite postgres
    python benchmarks/import_writers.py --rows 0                    # the writers alone, 60 s
    python benchmarks/import_writers.py --rows 5000 --no-results    # smoke test

A fresh database (the world of import_residents.py: 10 grids, 20,000 households, the demo
accounts), `uvicorn --factory backend.app:create_app --workers W` in a subprocess, then:

1. the community secretary uploads N residents (CSV, as Chinese Excel saves it) to
   `POST /api/v1/residents/import`; the job's progress is polled every 0.1 s, which dates its
   phases (parse + check, write);
2. meanwhile `--writers` threads (30) write through the API as the member, the chief, the
   secretary and the admin, one write after another, until the import has finished: work logs,
   new residents, household edits, visits. Each write's answer (status, or the exception of a
   failed connection) and its latency are kept.

Reported: the import's time and phases, the writers' answers by status, and their latencies
(the longest is the longest any writer waited for SQLite's write lock, plus the request).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.import_residents import (  # noqa: E402
    COMMUNITY,
    COUNTY,
    GRIDS,
    build_world,
    csv_bytes,
    fresh_database,
    resident_rows,
)
from benchmarks.results import machine, write_section  # noqa: E402
from tests.servers import free_port  # noqa: E402

SECTION = "## Writers during an import (import_writers.py)"
SECRET = "import-writers-benchmark-secret-key-0123456789"


def tokens_for(database) -> dict[str, str]:
    from sqlalchemy import select

    from backend.identity.models import User
    from backend.identity.policy_release import apply_default_policy
    from backend.identity.service import DemoLayout, access_token, create_demo_accounts

    apply_default_policy(database)
    layout = DemoLayout(county=COUNTY, community=COMMUNITY, grid=GRIDS[0], other_grid=GRIDS[1],
                        sanitation="HW01", justice="SF01", petitions="XW01")
    with database.session() as session:
        create_demo_accounts(session, "benchmark-password", layout)
        session.commit()
        return {user.username: access_token(SECRET, user)
                for user in session.execute(select(User)).scalars()}


def start_server(url: str, workers: int, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDLINK_")} | {
        "PYTHONPATH": str(ROOT), "GRIDLINK_DATABASE_URL": url, "GRIDLINK_SECRET_KEY": SECRET,
        "GRIDLINK_WEBHOOKS_ENABLED": "false", "GRIDLINK_SLA_TICK_SECONDS": "0"}
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "backend.app:create_app", "--host",
         "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "info"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()  # not kill: uvicorn's parent stops its workers on SIGTERM
    process.wait(30)
    raise SystemExit(f"server did not start: see {log_path}")


class Writer(threading.Thread):
    """One member of staff writing through the API until told to stop."""

    def __init__(self, n: int, base: str, tokens: dict[str, str], household_ids: list[int],
                 stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.n, self.stop, self.household_ids = n, stop, household_ids
        self.user = ("member", "chief", "secretary", "admin")[n % 4]
        self.client = httpx.Client(base_url=base, timeout=300,
                                   headers={"Authorization": f"Bearer {tokens[self.user]}"})
        self.results: list[tuple[float, float, str]] = []  # (start, end, status or error)

    def write(self, i: int) -> httpx.Response:
        household = self.household_ids[(self.n * 1000 + i) % len(self.household_ids)]
        if self.user == "member":
            return self.client.post("/api/v1/work-logs", json={
                "grid_code": GRIDS[0], "author_name": "王建国", "log_date": "2026-11-28",
                "content": f"导入期间的工作日志 {self.n}-{i}"})
        if self.user == "chief":
            from backend.ledgers.id_number import make_id_number

            born = dt.date(2021, 1, 1) + dt.timedelta(days=self.n * 50 + i // 499)
            number = make_id_number(COUNTY, born, i, "male")
            return self.client.post("/api/v1/residents", json={
                "grid_code": GRIDS[0], "name": f"新居民{self.n}-{i}", "id_number": number})
        if self.user == "secretary":
            return self.client.patch(f"/api/v1/households/{household}",
                                     json={"head_name": f"户主{self.n}-{i}"})
        return self.client.post("/api/v1/visits", json={
            "household_id": household, "visitor_name": "李秀英", "visit_date": "2026-11-28",
            "kind": "key_group", "content": f"走访 {self.n}-{i}"})

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                outcome = str(self.write(i).status_code)
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__  # e.g. ReadError: connection reset by peer
            self.results.append((started, time.monotonic(), outcome))
            i += 1


def run(kind: str, rows_wanted: int, writers: int, workers: int, pg_admin_url: str,
        baseline_s: float = 60) -> dict:
    from backend import migrations
    from backend.core.db import Database

    url, drop = fresh_database(kind, pg_admin_url)
    log_path = ROOT / "benchmarks" / "data" / f"import-writers-{kind}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        migrations.upgrade(url)
        database = Database(url)
        household_ids = build_world(database, int(max(rows_wanted, 50_000) / 2.5) + 1)
        tokens = tokens_for(database)
        content = csv_bytes(resident_rows(rows_wanted, household_ids)) if rows_wanted else b""
        database.dispose()
        server, base = start_server(url, workers, log_path)
        try:
            importer = httpx.Client(base_url=base, timeout=300,
                                    headers={"Authorization": f"Bearer {tokens['secretary']}"})
            stop = threading.Event()
            staff = [Writer(n, base, tokens, household_ids, stop) for n in range(writers)]
            for writer in staff:
                writer.start()
            phases: dict[str, float] = {}
            started = time.monotonic()
            if rows_wanted:
                response = importer.post("/api/v1/residents/import",
                                         files={"file": ("residents.csv", content)})
                assert response.status_code == 202, response.text
                job = response.json()
                while not job["finished"]:
                    time.sleep(0.1)
                    job = importer.get(f"/api/v1/imports/{job['id']}").json()
                    phases.setdefault(job["status"], time.monotonic())
            else:  # the writers alone, for comparison
                job = {"status": "no import", "written": 0}
                phases["writing"] = started
                time.sleep(baseline_s)
            ended = time.monotonic()
            stop.set()
            for writer in staff:
                writer.join()
        finally:
            server.terminate()
            server.wait(30)
        log = log_path.read_text()
        results = [r for writer in staff for r in writer.results]
        write_start = phases.get("writing", ended)
        during = [r for r in results if r[0] < ended and r[1] > write_start]
        latencies = sorted(end - start for start, end, _ in during) or [0.0]
        result = {
            "db": kind, "rows": rows_wanted, "writers": writers, "workers": workers,
            "import_s": ended - started, "write_s": ended - write_start,
            "job": f"{job['status']} {job['written']:,}",
            "answers": dict(collections.Counter(outcome for _, _, outcome in results)),
            "writes_during_write_phase": len(during),
            "p50_s": latencies[len(latencies) // 2],
            "p99_s": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
            "max_s": latencies[-1],
            "worker_restarts": log.count("died"),
            "locked_in_log": log.count("database is locked"),
        }
        print(result, flush=True)
        return result
    finally:
        drop()


def section(results: list[dict], note: str) -> str:
    lines = [
        SECTION, "",
        (f"Run {dt.date.today().isoformat()} ({note}); machine: {machine()}, 2 cores shared "
         "with other sessions. `python benchmarks/import_writers.py --db sqlite|postgres`."), "",
        ("The secretary imports N residents (CSV) through `POST /api/v1/residents/import` on a "
         "real uvicorn; meanwhile W writer threads write through the API one write after "
         "another (work logs, residents, household edits, visits) until the import has "
         "finished. *Latency* is over the writes that overlapped the import's write phase."), "",
        ("| database | rows | workers | writers | import | its write phase | job | answers "
         "(all writes) | writes in the write phase | latency p50 / p99 / max | worker "
         "restarts |"),
        "|---|--:|--:|--:|--:|--:|---|---|--:|--:|--:|",
    ]
    for r in results:
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(r["answers"].items()))
        lines.append(
            f"| {r['db']} | {r['rows']:,} | {r['workers']} | {r['writers']} | "
            f"{r['import_s']:.1f} s | {r['write_s']:.1f} s | {r['job']} | {answers} | "
            f"{r['writes_during_write_phase']} | {r['p50_s']:.2f} / {r['p99_s']:.2f} / "
            f"**{r['max_s']:.2f} s** | {r['worker_restarts']} |")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), nargs="+", default=["sqlite"])
    parser.add_argument("--rows", type=int, nargs="+", default=[50_000])
    parser.add_argument("--writers", type=int, default=30)
    parser.add_argument("--workers", type=int, nargs="+", default=[1])
    parser.add_argument("--pg-admin-url", default=os.environ.get(
        "GRIDLINK_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--note", default="")
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args()
    results = [run(kind, rows, args.writers, workers, args.pg_admin_url)
               for kind in args.db for workers in args.workers for rows in args.rows]
    if not args.no_results:
        write_section(SECTION, section(results, args.note or "see note"))


if __name__ == "__main__":
    main()
