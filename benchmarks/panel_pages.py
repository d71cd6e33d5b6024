#!/usr/bin/env python
"""Every panel page a role works from, at 500,000 residents and 1,000,000 cases, per role.

    .venv/bin/python benchmarks/list_pages.py --db sqlite      # builds the 500k/1M data once
    .venv/bin/python benchmarks/panel_pages.py --url sqlite:///benchmarks/data/list_pages_r500000_c1000000.db
    .venv/bin/python benchmarks/panel_pages.py --url postgresql://postgres@127.0.0.1:5432/gridlink_bench_r500000_c1000000

Each role's daily pages (issue 12): the home page (工作台), the lists it works from with their
filters, a case's page and its 办理 page, and the pickers. Each runs in process (the app's
middleware, the session cookie, SQLAdmin, the scoped view, the template) while a listener
records every SQL statement it sends; the same statements are then timed on a plain DB-API
connection, in the same run. p50 and p95 of --requests runs. The target is p95 <= 150 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402

from backend.app import create_app  # noqa: E402
from backend.cases.entities import RUNNING_STATUSES  # noqa: E402
from backend.cases.models import Case  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.identity.models import Role, RoleAssignment, User  # noqa: E402
from backend.identity.security import hash_password  # noqa: E402
from backend.ledgers.models import Resident  # noqa: E402
from benchmarks.admin_list import raw_runner  # noqa: E402
from benchmarks.results import machine, write_section  # noqa: E402

PASSWORD = "bench-panel-password"
COUNTY, COMMUNITY, GRID = "410602", "410602001001", "410602001001001"
DEPARTMENT = "D41060201"
# username, role, area, department
USERS = (("bench-p-dispatcher", Role.dispatcher, COUNTY, None),
         ("bench-p-department", Role.department, None, DEPARTMENT),
         ("bench-p-secretary", Role.secretary, COMMUNITY, None),
         ("bench-p-chief", Role.grid_chief, GRID, None),
         ("bench-p-leader", Role.leader, COUNTY, None),
         ("bench-p-admin", Role.admin, None, None))


def pages(case_id: int, department_case_id: int, grid_case_id: int) -> list[tuple[str, str, str,
                                                                                   dict]]:
    """(role, page, path, query) of each role's day."""
    running = "dispatched,processing"
    return [
        ("dispatcher", "home", "/admin/", {}),
        ("dispatcher", "cases, newest", "/admin/cases/list", {}),
        ("dispatcher", "cases to dispatch", "/admin/cases/list", {"status": "filed"}),
        ("dispatcher", "red lights (of now)", "/admin/cases/list", {"light": "red"}),
        ("dispatcher", "sorted by status", "/admin/cases/list", {"sortBy": "status"}),
        ("dispatcher", "search a title", "/admin/cases/list", {"search": "垃圾"}),
        ("dispatcher", "search a code", "/admin/cases/list", {"search": "20260"}),
        ("dispatcher", "a case's page", f"/admin/cases/details/{case_id}", {}),
        ("dispatcher", "a case's 办理", f"/admin/cases/{case_id}/workflow", {}),
        ("dispatcher", "department picker 环卫", "/admin/cases/ajax/lookup",
         {"name": "department_code", "term": "环卫"}),
        ("department", "home", "/admin/", {}),
        ("department", "my cases running", "/admin/cases/list", {"status__in": running}),
        ("department", "a case's 办理", f"/admin/cases/{department_case_id}/workflow", {}),
        ("secretary", "home", "/admin/", {}),
        ("secretary", "residents", "/admin/residents/list", {}),
        ("secretary", "work logs to review", "/admin/work-logs/list",
         {"reviewed_at__isnull": "true"}),
        ("secretary", "household picker, first page", "/admin/residents/ajax/lookup",
         {"name": "household_id", "term": ""}),
        ("chief", "home", "/admin/", {}),
        ("chief", "the grid's open cases", "/admin/cases/list",
         {"status__in": "reported,filed,dispatched,processing,handled"}),
        ("chief", "a case's 办理", f"/admin/cases/{grid_case_id}/workflow", {}),
        ("chief", "residents", "/admin/residents/list", {}),
        ("chief", "household picker 1单元", "/admin/residents/ajax/lookup",
         {"name": "household_id", "term": "1单元"}),
        ("leader", "home (the month's figures)", "/admin/", {}),
        ("leader", "red lights", "/admin/cases/list", {"light": "red"}),
        ("admin", "audit log, this month", "/admin/audit-log/list",
         {"created_at__gte": dt.date.today().replace(day=1).isoformat()}),
    ]


def ensure_users(app) -> None:
    with app.state.db.session() as session:
        for username, role, area, department in USERS:
            if session.execute(select(User).where(User.username == username)).scalar():
                continue
            user = User(username=username, password_hash=hash_password(PASSWORD),
                        display_name=username)
            session.add(user)
            session.flush()
            session.add(RoleAssignment(user_id=user.id, role=role, area_code=area,
                                       department_code=department))
        session.commit()


def some_cases(app) -> tuple[int, int, int]:
    with app.state.db.session() as session:
        running = select(Case.id).where(Case.status.in_(RUNNING_STATUSES))
        anyone = session.execute(running.order_by(Case.id.desc()).limit(1)).scalar_one()
        theirs = session.execute(running.where(Case.department_code == DEPARTMENT)
                                 .order_by(Case.id.desc()).limit(1)).scalar_one()
        grid = session.execute(running.where(Case.grid_code == GRID)
                               .order_by(Case.id.desc()).limit(1)).scalar_one()
    return anyone, theirs, grid


def quantile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def login(app, username: str) -> TestClient:
    browser = TestClient(app, follow_redirects=False)
    page = browser.get("/admin/login").text
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    response = browser.post("/admin/login", data={
        "username": username, "password": PASSWORD, "csrf_token": token.group(1)})
    assert response.status_code == 302, response.text
    return browser


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="database URL of list_pages.py's data")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--only", nargs="*", help="roles, e.g. dispatcher chief")
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args()

    settings = Settings(database_url=args.url, secret_key="panel-pages-benchmark-secret-32-bytes",
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
        residents = session.execute(select(func.count()).select_from(Resident)).scalar_one()
        cases = session.execute(select(func.count()).select_from(Case)).scalar_one()
    raw = raw_runner(args.url)
    rows = []
    with TestClient(app):
        browsers = {username.removeprefix("bench-p-"): login(app, username)
                    for username, *_ in USERS}
        for role, title, path, params in pages(*some_cases(app)):
            if args.only and role not in args.only:
                continue
            browser = browsers[role]
            for _ in range(3):  # warm: principal, policy, compiled statements, templates
                answer = browser.get(path, params=params)
                assert answer.status_code == 200, (role, title, answer.status_code)
            captured.clear()
            recording["on"] = True
            browser.get(path, params=params)
            recording["on"] = False
            statements = list(captured)
            panel, sql = [], []
            for _ in range(args.requests):
                t0 = time.perf_counter()
                browser.get(path, params=params)
                panel.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                raw(statements)
                sql.append(time.perf_counter() - t0)
            row = (role, title, len(statements), quantile(panel, .5), quantile(panel, .95),
                   quantile(sql, .5), quantile(sql, .95))
            rows.append(row)
            print(f"{role}: {title}: p50 {row[3]:.1f} ms, p95 {row[4]:.1f} ms; raw SQL p50 "
                  f"{row[5]:.1f} ms ({row[2]} statements)", flush=True)

    dialect = "PostgreSQL" if args.url.startswith("postgresql") else "SQLite"
    load = os.getloadavg()[0]
    lines = [
        f"## Panel pages per role ({dialect}, panel_pages.py)",
        "",
        f"{dt.date.today()}, {machine()}, load average {load:.1f} at the end. {residents:,} "
        f"residents, {cases:,} cases (list_pages.py's data: 40 grids of ~25,000 cases each). "
        f"{args.requests} requests per page in process (cookie session, SQLAdmin, the scoped "
        "view, the template; no HTTP), against every SQL statement the page sent, run on a "
        "plain DB-API connection in the same run. Target: p95 <= 150 ms.",
        "",
        "| role | page | statements | panel p50 ms | panel p95 ms | raw SQL p50 ms | "
        "raw SQL p95 ms |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for role, title, n, p50, p95, s50, s95 in rows:
        lines.append(f"| {role} | {title} | {n} | {p50:.1f} | {p95:.1f} | {s50:.1f} | "
                     f"{s95:.1f} |")
    section = "\n".join(lines) + "\n"
    print(section)
    if not args.no_results:
        write_section(f"## Panel pages per role ({dialect}", section)


if __name__ == "__main__":
    main()
