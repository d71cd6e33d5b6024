#!/usr/bin/env python
"""How fast the panel's residents list opens at 500,000 residents, against its own SQL.

    .venv/bin/python benchmarks/list_pages.py --db sqlite      # builds the 500k/1M data once
    .venv/bin/python benchmarks/admin_list.py --url sqlite:///benchmarks/data/list_pages_r500000_c1000000.db
    .venv/bin/python benchmarks/admin_list.py --url postgresql://postgres@127.0.0.1:5432/gridlink_bench_r500000_c1000000

For each page (an administrator over the whole county, a secretary over a community, a grid
chief over one grid, a search, a deep page), the panel's list route runs in-process (the app's
middleware, the session cookie, SQLAdmin, our scoped view, the template) while a listener
records every SQL statement it sends. The same statements are then timed on a plain DB-API
connection. Both are p50 of --requests runs in the same process; HTTP adds ~1 ms on top
(benchmarks/RESULTS.md, the health route). Writes its section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402

from backend.app import create_app  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.identity.models import Role, RoleAssignment, User  # noqa: E402
from backend.identity.security import hash_password  # noqa: E402
from backend.ledgers.models import Resident  # noqa: E402
from benchmarks.results import machine, write_section  # noqa: E402

PASSWORD = "bench-panel-password"
COMMUNITY = "410602001001"
GRID = "410602001001001"
USERS = (("bench-admin-panel", Role.admin, None), ("bench-secretary", Role.secretary, COMMUNITY),
         ("bench-chief", Role.grid_chief, GRID))
PAGES = (
    ("administrator: the county's residents, first page", "bench-admin-panel", {}),
    ("administrator: page 100", "bench-admin-panel", {"page": "100"}),
    ("administrator: sorted by name", "bench-admin-panel", {"sortBy": "name", "sort": "desc"}),
    ("administrator: search a name", "bench-admin-panel", {"search": "王秀"}),
    ("secretary: the community's residents", "bench-secretary", {}),
    ("secretary: search an ID number prefix", "bench-secretary", {"search": "4106021985"}),
    ("grid chief: the grid's residents", "bench-chief", {}),
)


def ensure_users(app) -> None:
    with app.state.db.session() as session:
        for username, role, area in USERS:
            if session.execute(select(User).where(User.username == username)).scalar():
                continue
            user = User(username=username, password_hash=hash_password(PASSWORD),
                        display_name=username)
            session.add(user)
            session.flush()
            session.add(RoleAssignment(user_id=user.id, role=role, area_code=area))
        session.commit()


def p50(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def raw_runner(url: str):
    """Runs captured (sql, params) pairs on a plain DB-API connection, fetching every row."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split("///", 1)[1])
        conn.execute("PRAGMA cache_size=-262144")  # as the app's engine does (backend/core/db.py)
        conn.execute("PRAGMA mmap_size=1073741824")

        def run(statements):
            for sql, params in statements:
                conn.execute(sql, params).fetchall()
        return run
    import psycopg

    conn = psycopg.connect(url.replace("postgresql://", "postgresql://", 1).replace(
        "+psycopg", ""), autocommit=True, prepare_threshold=None)

    def run(statements):
        for sql, params in statements:
            conn.execute(sql, params).fetchall()
    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="database URL of list_pages.py's data")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args()

    settings = Settings(database_url=args.url, secret_key="admin-list-benchmark-secret-32-bytes!",
                        webhooks_enabled=False, sla_tick_seconds=0)
    app = create_app(settings)
    ensure_users(app)
    engine = app.state.db.engine
    captured: list[tuple[str, object]] = []
    recording = {"on": False}

    @event.listens_for(engine, "before_cursor_execute")
    def record(conn, cursor, statement, parameters, context, executemany):
        if recording["on"]:
            captured.append((statement, parameters))

    with app.state.db.session() as session:
        total = session.execute(select(func.count()).select_from(Resident)).scalar_one()
    rows = []
    raw = raw_runner(args.url)
    with TestClient(app) as client:
        browsers = {}
        for username, _, _ in USERS:
            browser = TestClient(app, follow_redirects=False)
            # The login form carries the session's CSRF token (admin/csrf.py), as any form.
            page = browser.get("/admin/login").text
            token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
            assert token, "no CSRF token on the login page"
            response = browser.post("/admin/login", data={
                "username": username, "password": PASSWORD, "csrf_token": token.group(1)})
            assert response.status_code == 302, response.text
            browsers[username] = browser
        for title, username, params in PAGES:
            browser = browsers[username]
            for _ in range(3):  # warm caches: principal, policy, compiled statements, pages
                assert browser.get("/admin/residents/list", params=params).status_code == 200
            captured.clear()
            recording["on"] = True
            browser.get("/admin/residents/list", params=params)
            recording["on"] = False
            statements = [(s, p) for s, p in captured if "resident" in s.lower()]
            panel, sql = [], []
            for _ in range(args.requests):
                t0 = time.perf_counter()
                browser.get("/admin/residents/list", params=params)
                panel.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                raw(statements)
                sql.append(time.perf_counter() - t0)
            rows.append((title, len(statements), p50(panel), p50(sql)))
            print(f"{title}: panel {p50(panel):.1f} ms, raw SQL {p50(sql):.1f} ms "
                  f"({len(statements)} statements)", flush=True)
        del client

    dialect = "PostgreSQL" if args.url.startswith("postgresql") else "SQLite"
    load = os.getloadavg()[0]
    lines = [
        f"## Panel residents list ({dialect}, admin_list.py)",
        "",
        f"{dt.date.today()}, {machine()}, load average {load:.1f} at the end. {total:,} residents "
        f"(list_pages.py's data). p50 of {args.requests} requests in-process (cookie session, "
        "SQLAdmin, the scoped view, the page template; no HTTP), against the same SQL "
        "statements (captured from the route) on a plain DB-API connection in the same run.",
        "",
        "| page | statements | panel p50 ms | raw SQL p50 ms | ratio |",
        "|---|--:|--:|--:|--:|",
    ]
    for title, n, panel_ms, sql_ms in rows:
        lines.append(f"| {title} | {n} | {panel_ms:.1f} | {sql_ms:.1f} | "
                     f"{panel_ms / sql_ms if sql_ms else float('nan'):.1f}x |")
    section = "\n".join(lines) + "\n"
    print(section)
    if not args.no_results:
        write_section(f"## Panel residents list ({dialect}", section)


if __name__ == "__main__":
    main()
