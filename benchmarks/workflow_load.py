"""The workflow under load: the SLA tick over 100,000 open cases, and case intake rates.

    python benchmarks/workflow_load.py [--open-cases 100000] [--reports 300]

1. `gridlink sla tick` (escalation.tick) over N open, dispatched cases on a SQLite file: the
   first tick changes lights (and notifies, escalates), the second finds nothing to do. Time
   and rows scanned per second, for both.
2. Intake: reports per second through `POST /api/v1/cases` with lat/lng (grid lookup from the
   map, duplicate check, audit, code) on a real uvicorn worker, against a bare INSERT of the
   same rows on a plain sqlite3 connection, in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.results import machine, write_section  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
SECTION = "## Workflow under load (workflow_load.py)"
SECRET = "workflow-benchmark-secret-key-32-bytes!"


def fresh_db(name: str) -> str:
    from backend import migrations
    from backend.db import Database
    from backend.seed import run_seed

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    migrations.upgrade(url)
    database = Database(url)
    run_seed(database, progress=False, residents=2000, cases=10, demo_password="gridlink-demo")
    database.dispose()
    return url


def load_open_cases(url: str, count: int) -> None:
    from backend.cases.models import Case, CaseCategory
    from backend.db import Database, utcnow
    from backend.areas.models import Grid

    database = Database(url)
    rng = random.Random(7)
    now = utcnow()
    with database.session() as session:
        grids = list(session.execute(select(Grid.code)).scalars())
        categories = list(session.execute(select(CaseCategory.code, CaseCategory.default_department_code)).all())
        base = session.execute(select(Case.id).order_by(Case.id.desc()).limit(1)).scalar() or 0
        rows = []
        for n in range(count):
            code, department = rng.choice(categories)
            started = now - dt.timedelta(hours=rng.uniform(0, 72))
            due = started + dt.timedelta(hours=rng.choice((3, 8, 24, 72)))
            rows.append({
                "id": base + n + 1, "code": f"B{base + n + 1:012d}", "source": "patrol",
                "category_code": code, "title": "压测案卷", "grid_code": rng.choice(grids),
                "status": "dispatched", "department_code": department, "reported_at": started,
                "filed_at": started, "dispatched_at": started, "sla_started_at": started,
                "due_at": due, "light": "green", "escalation_level": 0, "extension_count": 0,
                "public_notice": False, "rework_count": 0, "is_anonymous": False,
                "priority": "normal", "handling_type": "general",
                "created_at": started, "updated_at": started, "version": 1,
            })
        for start in range(0, len(rows), 5000):
            session.execute(insert(Case.__table__), rows[start:start + 5000])
        session.commit()
    database.dispose()


def time_tick(url: str) -> list[dict]:
    from backend.cases.escalation import tick
    from backend.db import Database

    database = Database(url)
    results = []
    for label in ("first tick (lights change)", "second tick (nothing to do)"):
        with database.session() as session:
            started = time.perf_counter()
            result = tick(session)
            seconds = time.perf_counter() - started
        results.append({"label": label, "scanned": result.scanned, "seconds": seconds,
                        "yellow": result.yellow, "red": result.red,
                        "escalated": result.escalated})
        print(label, results[-1])
    database.dispose()
    return results


def time_intake(url: str, reports: int) -> dict:
    from backend.areas.models import Grid
    from backend.db import Database
    from shapely.geometry import shape

    database = Database(url)
    with database.session() as session:
        grids = list(session.execute(select(Grid.code, Grid.boundary)).all())
    database.dispose()
    rng = random.Random(11)
    points = []
    for _ in range(reports):
        code, boundary = rng.choice(grids)
        polygon = shape(boundary)
        minx, miny, maxx, maxy = polygon.bounds
        points.append((round(rng.uniform(miny, maxy), 6), round(rng.uniform(minx, maxx), 6)))

    env = {"PYTHONPATH": str(ROOT), "GRIDLINK_DATABASE_URL": url, "GRIDLINK_SECRET_KEY": SECRET,
           "GRIDLINK_SLA_TICK_SECONDS": "0", "GRIDLINK_WEBHOOKS_ENABLED": "false",
           "PATH": "/usr/bin:/bin"}
    port = 18733
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory",
                               "backend.app:create_app", "--port", str(port), "--log-level",
                               "warning", "--no-access-log"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/api/v1/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        with httpx.Client(base_url=base, timeout=30) as http:
            token = http.post("/api/v1/auth/token", data={"username": "member",
                                                          "password": "gridlink-demo"}).json()
            http.headers["Authorization"] = f"Bearer {token['access_token']}"
            member_grid = http.get("/api/v1/auth/me").json()["roles"][0]["area_code"]
            boundary = next(b for c, b in grids if c == member_grid)
            minx, miny, maxx, maxy = shape(boundary).bounds
            bodies = [{"source": "patrol", "category_code": "07011", "title": "积存垃圾",
                       "lat": round(rng.uniform(miny, maxy), 6),
                       "lng": round(rng.uniform(minx, maxx), 6)} for _ in range(reports)]
            started = time.perf_counter()
            for body in bodies:
                response = http.post("/api/v1/cases", json=body)
                assert response.status_code == 201, response.text
            api_seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait()

    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    started = time.perf_counter()
    for n, body in enumerate(bodies):
        connection.execute(
            'INSERT INTO "case" (code, source, category_code, title, lat, lng, grid_code, '
            "is_anonymous, priority, handling_type, status, reported_at, rework_count, "
            "escalation_level, extension_count, public_notice, created_at, updated_at, version) "
            "VALUES (?, 'patrol', '07011', ?, ?, ?, ?, 0, 'normal', 'general', 'reported', ?, "
            "0, 0, 0, 0, ?, ?, 1)",
            (f"RAW{n:09d}", body["title"], body["lat"], body["lng"], member_grid, now, now, now))
        connection.commit()  # one report, one transaction: as the API does
    raw_seconds = time.perf_counter() - started
    connection.close()
    result = {"reports": reports, "api_per_s": reports / api_seconds,
              "raw_per_s": reports / raw_seconds, "api_ms": api_seconds / reports * 1000,
              "raw_ms": raw_seconds / reports * 1000}
    print(result)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--open-cases", type=int, default=100_000)
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args()
    url = fresh_db("workflow_load.db")
    started = time.perf_counter()
    load_open_cases(url, args.open_cases)
    print(f"loaded {args.open_cases:,} open cases in {time.perf_counter() - started:.1f}s")
    ticks = time_tick(url)
    intake = time_intake(url, args.reports)
    if args.no_results:
        return
    lines = [
        SECTION, "",
        f"Run {dt.date.today().isoformat()} on {machine()}, SQLite file. "
        f"{args.open_cases:,} open dispatched cases with deadlines of 3–72 h started over the "
        "last 3 days.", "",
        "| SLA tick | cases scanned | seconds | rows/s | yellow | red | escalated |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    lines += [f"| {t['label']} | {t['scanned']:,} | {t['seconds']:.2f} | "
              f"{t['scanned'] / t['seconds']:,.0f} | {t['yellow']:,} | {t['red']:,} | "
              f"{t['escalated']:,} |" for t in ticks]
    lines += ["", "| intake (one report per request / transaction) | reports/s | ms each |",
              "|---|--:|--:|",
              f"| `POST /api/v1/cases` with lat/lng (map lookup, duplicate check, audit) | "
              f"{intake['api_per_s']:.0f} | {intake['api_ms']:.2f} |",
              f"| bare `INSERT` + commit on sqlite3 | {intake['raw_per_s']:.0f} | "
              f"{intake['raw_ms']:.2f} |",
              "", f"{intake['reports']} reports by the demo grid member into its own grid."]
    write_section(SECTION, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
