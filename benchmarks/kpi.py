#!/usr/bin/env python
"""Benchmark of the KPI endpoints at a million cases: each against its own SQL, in the same run.

    export GRIDLINK_BENCH_DATA_DIR=/tmp/gridlink-bench
    .venv/bin/python benchmarks/kpi.py --db sqlite             # 500k residents, 1M cases
    .venv/bin/python benchmarks/kpi.py --db postgres
    .venv/bin/python benchmarks/kpi.py --db sqlite --residents 20000 --cases 40000 \
        --requests 5 --no-results                               # smoke test, ~1 min

1. Data: list_pages.py's county (40 grids, 12 departments, 40 categories, residents with
   key-group tags, a year of cases before 2026-11-28, older ones closed) in a database of its
   own (`kpi_r<N>_c<M>`), migrated to head, plus what the KPI reads that list_pages leaves
   empty: the lights the SLA tick keeps (red past due, some yellow), escalation of the red,
   an approved extension on 3 % of the dispatched cases. Then the demo accounts.
2. Each endpoint is asked once through the app in process (FastAPI TestClient: token, policy,
   scope, SQLAlchemy, orjson) while a cursor listener records every statement it sends.
3. Timed in turn, request by request: *raw*, those statements on a plain DB-API connection
   (sqlite3 with the app's PRAGMAs / psycopg in autocommit), rows fetched; *API*, the same
   request through the app in process. The ratio is API p50 / raw p50 (target: at most 3).
4. One refresh of the dashboards' command center (their own `load`: its API calls counted, at
   most 5), p95 over --center-requests refreshes (target: under 200 ms), wall
   and CPU time.
5. The report goes into benchmarks/RESULTS.md, a section per database and size.

What the KPI indexes cost the workflow's writes: benchmarks/kpi_writes.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import list_pages as lp  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from results import machine, write_section  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from backend.app import create_app  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.core.db import make_engine  # noqa: E402
from backend.identity import security  # noqa: E402
from backend.identity.models import User  # noqa: E402
from backend.identity.service import DemoLayout, create_demo_accounts  # noqa: E402
from backend.kpi import live, tally  # noqa: E402
from backend.migrations import upgrade  # noqa: E402
from dashboards.client import ApiClient  # noqa: E402
from dashboards.command_center import load as dashboard_refresh  # noqa: E402
from dashboards.session import Viewer  # noqa: E402

STREET, COMMUNITY = f"{lp.COUNTY}001", f"{lp.COUNTY}001001"
LAYOUT = DemoLayout(county=lp.COUNTY, community=COMMUNITY, grid=f"{COMMUNITY}001",
                    other_grid=f"{lp.COUNTY}002001001", sanitation=f"D{lp.COUNTY}01",
                    justice="SF01", petitions="XW01")
PASSWORD = "gridlink-bench"
PAST_MONTH = {"period": "month", "date": "2026-10-15"}
THIS_MONTH = {"period": "month", "date": "2026-11-15"}
LIST_PAGES_CASES = lp.gen_cases
KPI_CASE_COLS = (*lp.CASE_COLS, "light", "sla_started_at", "escalated_at")
EXTENSION, ESCALATION = KPI_CASE_COLS.index("extension_count"), KPI_CASE_COLS.index(
    "escalation_level")
STATUS, DUE, DISPATCHED = (KPI_CASE_COLS.index(c) for c in ("status", "due_at", "dispatched_at"))


def kpi_cases(rng, ts, grids, categories, n_cases):
    """list_pages' cases with what the workflow and the tick would have written besides."""
    now = ts(lp.ANCHOR)
    extra = random.Random(lp.SEED + 7)
    for row in LIST_PAGES_CASES(rng, ts, grids, categories, n_cases):
        row = list(row)
        light = escalated_at = None
        if row[STATUS] in ("dispatched", "processing"):
            if row[DUE] < now:
                light, escalated_at, row[ESCALATION] = "red", row[DUE], 1
            else:
                light = "yellow" if extra.random() < 0.25 else "green"
        if row[DISPATCHED] is not None and extra.random() < 0.03:
            row[EXTENSION] = 1
        yield (*row, light, row[DISPATCHED], escalated_at)


def prepare(target, log) -> dict[str, Any]:
    # list_pages.seed writes its module's case generator and columns: ours stand in for them
    # (a module's globals, swapped for the one call, rather than a copy of its loader).
    lp.gen_cases, lp.CASE_COLS = kpi_cases, KPI_CASE_COLS
    meta = lp.prepare(target, log)
    started = time.perf_counter()
    upgrade(target.url())  # data built by an older schema: its new indexes (none: no time)
    log(f"  schema at head ({time.perf_counter() - started:.1f} s)")
    # The open cases' tally as the SLA tick leaves it each minute (its changes folded by key):
    # the loader's inserts each added a row to it.
    engine = make_engine(target.url())
    with Session(engine) as session:
        tally.compact(session)
        session.commit()
    engine.dispose()
    return meta


def tokens_for(app) -> dict[str, str]:
    with app.state.db.session() as session:
        create_demo_accounts(session, PASSWORD, LAYOUT)
        session.commit()
        users = session.query(User).all()
        secret = app.state.settings.secret_key
        return {u.username: security.issue_token(
            secret, u.id, "access", security.account_stamp(u.password_hash, u.is_active),
            dt.timedelta(hours=12)) for u in users}


@dataclass
class Request:
    endpoint: str
    user: str
    params: dict[str, str]
    note: str = ""

    @property
    def label(self) -> str:
        shown = "&".join(f"{k}={v}" for k, v in self.params.items() if k not in ("date",))
        return f"`{self.endpoint}` {self.user} {shown}".strip()


def dashboard_viewer(app, token: str) -> Viewer:
    """The dashboards' viewer of `token`, its client speaking to the app in process."""
    client = ApiClient(token=token)
    client.http = TestClient(app, base_url="http://testserver/api/v1",
                             headers=dict(client.http.headers))
    return Viewer(client, client.me(), client.get("/labels"))


def requests_to_time() -> list[Request]:
    month = PAST_MONTH
    return [
        Request("summary", "leader", month, "county, a past month"),
        Request("summary", "leader", THIS_MONTH, "county, this month (open as of now)"),
        Request("summary", "leader", {"period": "year", "date": "2026-06-01"}, "county, a year"),
        Request("summary", "dispatcher", {"area": STREET, **month}, "a street"),
        Request("summary", "secretary", month, "a community"),
        Request("summary", "dept-sanitation", month, "a department"),
        Request("rankings", "leader", {"by": "department", **month}),
        Request("rankings", "leader", {"by": "street", **month}),
        Request("rankings", "leader", {"by": "community", **month}),
        Request("rankings", "leader", {"by": "grid", **month}),
        Request("rankings", "secretary", {"by": "grid", **month}),
        Request("trends", "leader", {"interval": "day", **month}),
        Request("trends", "leader", {"interval": "week", "period": "quarter",
                                     "date": "2026-10-15"}),
        Request("command-center", "dispatcher", {}),
        Request("command-center", "secretary", {}),
        Request("command-center", "dept-sanitation", {}),
        Request("map", "leader", {}),
        Request("ledgers", "leader", {}),
        Request("ledgers", "leader", {"by": "community"}),
        Request("ledgers", "secretary", {}),
    ]


@dataclass
class Series:
    samples: list[float] = field(default_factory=list)

    def pct(self, p: float) -> float:
        data = sorted(self.samples)
        k = (len(data) - 1) * p / 100
        lo = int(k)
        hi = min(lo + 1, len(data) - 1)
        return (data[lo] + (data[hi] - data[lo]) * (k - lo)) * 1000


def capture(app, client: TestClient, request: Request) -> list[tuple[str, Any]]:
    """The statements one request sends (after a first one has cached the principal)."""
    url = f"/api/v1/kpi/{request.endpoint}"
    assert client.get(url, params=request.params).status_code == 200
    statements: list[tuple[str, Any]] = []

    def listener(_conn, _cursor, statement, parameters, _context, _executemany):
        statements.append((statement, parameters))

    event.listen(app.state.db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(url, params=request.params)
        assert response.status_code == 200, response.text
    finally:
        event.remove(app.state.db.engine, "before_cursor_execute", listener)
    return [s for s in statements if s[0].lstrip().upper().startswith(("SELECT", "WITH"))]


def recount_statements(app) -> list[tuple[str, Any]]:
    """The grouped pass over every open case of the county (backend/kpi/tally.py `recount`):
    the raw aggregate of the command center's counts, and what it ran before the tally."""
    statements: list[tuple[str, Any]] = []

    def listener(_conn, _cursor, statement, parameters, _context, _executemany):
        statements.append((statement, parameters))

    event.listen(app.state.db.engine, "before_cursor_execute", listener)
    try:
        with app.state.db.session() as session:
            tally.recount(session, [], dt.datetime.now(dt.UTC))
    finally:
        event.remove(app.state.db.engine, "before_cursor_execute", listener)
    return statements


def time_raw(conn, statements, n: int) -> Series:
    series, cur = Series(), conn.cursor()
    for i in range(-2, n):
        t0 = time.perf_counter()
        for statement, parameters in statements:
            cur.execute(statement, parameters)
            cur.fetchall()
        if i >= 0:
            series.samples.append(time.perf_counter() - t0)
    cur.close()
    return series


def time_pair(conn, client: TestClient, request: Request, statements, n: int, warmup: int,
              budget: float) -> tuple[Series, Series]:
    """Raw SQL and the API, one after the other, request by request."""
    raw, api = Series(), Series()
    cur = conn.cursor()
    url = f"/api/v1/kpi/{request.endpoint}"
    started = time.perf_counter()
    for i in range(-warmup, n):
        t0 = time.perf_counter()
        for statement, parameters in statements:
            cur.execute(statement, parameters)
            cur.fetchall()
        t1 = time.perf_counter()
        response = client.get(url, params=request.params)
        t2 = time.perf_counter()
        assert response.status_code == 200
        if i >= 0:
            raw.samples.append(t1 - t0)
            api.samples.append(t2 - t1)
            if t2 - started > budget and len(raw.samples) >= 5:
                break
    cur.close()
    return raw, api


def raw_connection(target):
    """A plain DB-API connection to the target, autocommitting on SQLite as the app's reads do."""
    conn = target.connect()
    if isinstance(conn, sqlite3.Connection):
        conn.isolation_level = None
    return conn


def time_requests(app, tokens: dict[str, str], conn, requests: list[Request], args,
                  log: Callable[[str], None]) -> list[str]:
    """Each request (those of `args.only`, if given) against the statements it sends, timed
    in turn: a line of the results table each."""
    clients = {user: TestClient(app, headers={"Authorization": f"Bearer {token}"})
               for user, token in tokens.items()}
    lines = []
    for request in requests:
        if getattr(args, "only", None) and request.endpoint not in args.only:
            continue
        client = clients[request.user]
        statements = capture(app, client, request)
        raw, api = time_pair(conn, client, request, statements, args.requests, args.warmup,
                             args.budget)
        ratio = api.pct(50) / raw.pct(50)
        line = (f"| {request.label} | {request.note} | {len(statements)} | "
                f"{raw.pct(50):.1f} | {api.pct(50):.1f} | {api.pct(95):.1f} | "
                f"**{ratio:.2f}x** | {len(api.samples)} |")
        log(line)
        lines.append(line)
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--residents", type=int, default=500_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per endpoint")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--budget", type=float, default=30.0,
                        help="seconds per endpoint at most (at least 5 requests)")
    parser.add_argument("--center-requests", type=int, default=200)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--pg-admin-url", default=lp.DEFAULT_PG_ADMIN)
    parser.add_argument("--only", nargs="*", help="endpoints, e.g. summary command-center")
    parser.add_argument("--no-results", action="store_true", help="print only")
    parser.add_argument("--recount", action="store_true",
                        help="count the open cases by a grouped pass over them, as before the "
                             "tally (for the before/after comparison)")
    args = parser.parse_args(argv)
    log: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731

    if args.recount:  # every caller counted as a department is: from the cases themselves
        original = live.open_case_conditions
        live.open_case_conditions = lambda *a: (original(*a)[0], None)  # type: ignore[assignment]
    target = lp.target_for(args, "kpi")
    meta = prepare(target, log)
    settings = Settings(database_url=target.url(), sla_tick_seconds=0, webhooks_enabled=False,
                        secret_key="gridlink-bench-secret-key-of-at-least-32-bytes")
    app = create_app(settings)
    with TestClient(app):  # the lifespan: the policy loaded
        tokens = tokens_for(app)
        conn = raw_connection(target)
        lines = time_requests(app, tokens, conn, requests_to_time(), args, log)
        center_lines = []
        if not args.only or "command-center" in args.only:
            for user in ("dispatcher", "secretary", "dept-sanitation"):
                # One refresh of the dashboards' command center, made by their own code
                # (dashboards/command_center.py `load`), its calls counted by their client.
                viewer = dashboard_viewer(app, tokens[user])
                series, cpu, calls = Series(), Series(), set()
                for i in range(-5, args.center_requests):
                    before = viewer.client.calls
                    t0, c0 = time.perf_counter(), time.process_time()
                    dashboard_refresh(viewer)
                    if i >= 0:
                        series.samples.append(time.perf_counter() - t0)
                        cpu.samples.append(time.process_time() - c0)
                        calls.add(viewer.client.calls - before)
                center_lines.append(f"| {user} | {'/'.join(map(str, sorted(calls)))} | "
                                    f"{len(series.samples)} | {series.pct(50):.1f} | "
                                    f"{series.pct(95):.1f} | {series.pct(99):.1f} | "
                                    f"{cpu.pct(50):.1f} | {cpu.pct(95):.1f} |")
                log(center_lines[-1])
            grouped = time_raw(conn, recount_statements(app), 20)
            center_lines += ["", "The raw aggregate of the same counts, one grouped pass over "
                             "every open case of the county (what a refresh ran before the "
                             f"tally): p50 {grouped.pct(50):.1f} ms, p95 {grouped.pct(95):.1f} "
                             "ms (20 runs)."]
            log(center_lines[-1])
        conn.close()
    database = "SQLite" if args.db == "sqlite" else "PostgreSQL"
    marker = f"## KPI endpoints (kpi.py): {database}, {args.cases:,} cases"
    section = "\n".join([
        f"{marker}, {args.residents:,} residents",
        "",
        f"{dt.date.today().isoformat()}; {machine()}; load average "
        f"{os.getloadavg()[0]:.1f} at the end (a shared machine); {target.describe_size()}; data "
        f"{'reused' if meta.get('reused') else 'built'} ({meta.get('load_seconds')} s to load).",
        "Raw: the statements the endpoint sent, on a plain DB-API connection; API: the same "
        "request in process through the app (TestClient: token, policy, scope, SQLAlchemy, "
        "orjson), timed in turn. Milliseconds.",
        "",
        "| request | what | statements | raw p50 | API p50 | API p95 | API/raw | n |",
        "|---|---|---|---|---|---|---|---|",
        *lines,
        "",
        f"Command center: one refresh of the dashboards' command center ({args.center_requests} "
        "in a row, made by dashboards/command_center.py `load` through the app in process; its "
        "API calls counted by the dashboards' client; targets: at most 5 calls, p95 < 200 ms): "
        "wall time, and the CPU time of this process (the app and, on SQLite, the database; on "
        "a busy machine the wall time also holds the wait for a core):",
        "",
        "| caller | API calls per refresh | n | p50 | p95 | p99 | CPU p50 | CPU p95 |",
        "|---|---|---|---|---|---|---|---|",
        *center_lines,
        "",
    ])
    print(section)
    if not args.no_results:
        write_section(marker, section)


if __name__ == "__main__":
    main()
