"""The workflow under load: the SLA tick over 100,000 open cases, and case intake rates.

    python benchmarks/workflow_load.py [--open-cases 100000] [--reports 300] [--no-baseline]

1. `gridlink sla tick` (escalation.tick) over N open, dispatched cases on a SQLite file: the
   first tick changes lights (and notifies, escalates), the second finds nothing to do. Time
   and rows scanned per second, for both. The same data (file copies, one fixed clock) is also
   ticked by the previous per-case tick (kept below as `PerCaseTick`, the baseline), and gets
   the bare SQL of the same UPDATEs (the lights and escalations the tick made) on a plain
   sqlite3 connection: the floor any tick sits on.
2. Intake: reports per second through `POST /api/v1/cases` with lat/lng (grid lookup from the
   map, duplicate check, audit, code) on a real uvicorn worker, against a bare INSERT of the
   same rows on a plain sqlite3 connection, in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import insert, select, text, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.results import machine, write_section  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
SECTION = "## Workflow under load (workflow_load.py)"
SECRET = "workflow-benchmark-secret-key-32-bytes!"


def settings_for(url: str):
    from backend.core.config import Settings

    return Settings(database_url=url, secret_key=SECRET)


def database_for(url: str):
    from backend.core.db import Database

    return Database(url, settings=settings_for(url))


def fresh_db(name: str) -> str:
    from backend import migrations
    from backend.seed import run_seed

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / name
    remove_db(path)
    url = f"sqlite:///{path}"
    migrations.upgrade(url)
    database = database_for(url)
    run_seed(database, progress=False, residents=2000, cases=10, demo_password="gridlink-demo")
    database.dispose()
    return url


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def copy_db(url: str, name: str) -> str:
    """A copy of the (checkpointed) SQLite file: the same data for each contender."""
    source = Path(url.removeprefix("sqlite:///"))
    connection = sqlite3.connect(source)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    target = DATA / name
    remove_db(target)
    shutil.copyfile(source, target)
    return f"sqlite:///{target}"


def load_open_cases(url: str, count: int, now: dt.datetime) -> None:
    from backend.areas.models import Grid
    from backend.cases.models import Case, CaseCategory

    database = database_for(url)
    rng = random.Random(7)
    with database.session() as session:
        grids = list(session.execute(select(Grid.code)).scalars())
        categories = list(session.execute(
            select(CaseCategory.code, CaseCategory.default_department_code)).all())
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


def per_case_tick(session, now: dt.datetime):
    """The baseline: the tick as it was before the batching (commit 5804d0a), one conditional
    UPDATE, lookup and notification INSERT after another per changed case, one commit."""
    from backend.cases import webhooks
    from backend.cases.entities import RUNNING_STATUSES
    from backend.cases.escalation import TickResult, escalation_recipients
    from backend.cases.models import Case, CaseCategory, CaseStep, Light, WebhookEvent
    from backend.cases.sla import deadlines
    from backend.notifications import service as notify
    from backend.notifications.models import NotificationKind

    rules, result = deadlines(session), TickResult()
    department_users = functools.cache(lambda code: notify.department_users(session, code))
    dispatchers = functools.cache(lambda grid: notify.covering_dispatchers(session, grid))
    escalate_to = functools.cache(lambda grid: escalation_recipients(session, grid))
    rows = session.execute(
        select(Case.id, Case.sla_started_at, Case.due_at, Case.light, Case.escalation_level,
               CaseCategory.deadline_unit)
        .join(CaseCategory, CaseCategory.code == Case.category_code)
        .where(Case.status.in_(RUNNING_STATUSES), Case.due_at.is_not(None),
               Case.sla_started_at.is_not(None))).all()
    result.scanned = len(rows)
    with session.no_autoflush:
        for case_id, started_at, due_at, old_light, level, unit in rows:
            light = rules.light(started_at, due_at, unit, now)
            changed = light is not old_light and session.execute(
                update(Case).where(Case.id == case_id, Case.light.is_(None) if old_light is None
                                   else Case.light == old_light)
                .values(light=light).execution_options(synchronize_session=False)
            ).rowcount == 1
            if changed and light in (Light.yellow, Light.red):
                case = session.get(Case, case_id)
                kind = NotificationKind.yellow if light is Light.yellow else NotificationKind.red
                late = "即将超期" if light is Light.yellow else "已超期"
                title = f"{late} {case.code}: {case.title}"
                notify.send(session, department_users(case.department_code), kind, case, title,
                            dedupe=due_at.isoformat())
                notify.send(session, dispatchers(case.grid_code), kind, case, title,
                            dedupe=due_at.isoformat())
                webhooks.enqueue(session, WebhookEvent.yellow if light is Light.yellow
                                 else WebhookEvent.red, case, department_code=case.department_code)
                result.yellow += light is Light.yellow
                result.red += light is Light.red
            if light is Light.red and level == 0 and session.execute(
                    update(Case).where(Case.id == case_id, Case.escalation_level == 0)
                    .values(escalation_level=1, escalated_at=now)
                    .execution_options(synchronize_session=False)).rowcount == 1:
                case = session.get(Case, case_id)
                session.add(CaseStep(case_id=case.id, grid_code=case.grid_code, action="escalate",
                                     from_status=case.status, to_status=case.status,
                                     actor="system", department_code=case.department_code,
                                     note="超期未处置, 提级督办",
                                     details={"due_at": due_at.isoformat()}))
                notify.send(session, escalate_to(case.grid_code), NotificationKind.escalation,
                            case, f"督办 {case.code}: {case.title} 已超期",
                            dedupe=due_at.isoformat())
                result.escalated += 1
    session.commit()
    return result


def time_tick(url: str, now: dt.datetime, label: str, tick_function) -> list[dict]:
    database = database_for(url)
    results = []
    for run in ("first tick (lights change)", "second tick (nothing to do)"):
        with database.session() as session:
            started = time.perf_counter()
            result = tick_function(session, now)
            seconds = time.perf_counter() - started
        results.append({"label": f"{label}: {run}", "scanned": result.scanned,
                        "seconds": seconds, "yellow": result.yellow, "red": result.red,
                        "escalated": result.escalated})
        print(results[-1])
    with database.session() as session:
        counts = {table: session.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
                  for table in ("notification", "case_step")}
    print(label, counts)
    database.dispose()
    return results


def time_raw_updates(url: str, ticked_url: str, now: dt.datetime) -> dict:
    """The UPDATEs the tick made (read back from its copy), as bare SQL on an untouched copy."""
    ticked = sqlite3.connect(ticked_url.removeprefix("sqlite:///"))
    lights = ticked.execute("SELECT id, light FROM \"case\" WHERE light != 'green'").fetchall()
    escalated = [row[0] for row in ticked.execute(
        "SELECT id FROM \"case\" WHERE escalation_level = 1")]
    ticked.close()
    stamp = now.replace(tzinfo=None).isoformat(sep=" ")
    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    started = time.perf_counter()
    connection.executemany(
        "UPDATE \"case\" SET light = ?, updated_at = ? WHERE id = ? AND light = 'green'",
        [(light, stamp, case_id) for case_id, light in lights])
    connection.executemany(
        "UPDATE \"case\" SET escalation_level = 1, escalated_at = ?, updated_at = ? "
        "WHERE id = ? AND escalation_level = 0", [(stamp, stamp, case_id) for case_id in escalated])
    connection.commit()
    seconds = time.perf_counter() - started
    connection.close()
    result = {"lights": len(lights), "escalated": len(escalated), "seconds": seconds}
    print("raw updates", result)
    return result


def time_intake(url: str, reports: int) -> dict:
    from shapely.geometry import shape

    from backend.areas.models import Grid
    from backend.core.db import Database

    database = Database(url)
    with database.session() as session:
        grids = list(session.execute(select(Grid.code, Grid.boundary)).all())
    database.dispose()
    rng = random.Random(11)
    points = []
    for _ in range(reports):
        _, boundary = rng.choice(grids)
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


def batched_tick(session, now: dt.datetime):
    from backend.cases.escalation import tick

    return tick(session, now=now)


def main() -> None:
    from backend.cases.escalation import CHUNK

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--open-cases", type=int, default=100_000)
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the per-case tick (minutes at 100,000 cases)")
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args()
    url = fresh_db("workflow_load.db")
    # One clock for every contender: the same lights change on every copy.
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    started = time.perf_counter()
    load_open_cases(url, args.open_cases, now)
    print(f"loaded {args.open_cases:,} open cases in {time.perf_counter() - started:.1f}s")
    pristine = copy_db(url, "workflow_load_pristine.db")
    ticks = []
    if not args.no_baseline:
        baseline = copy_db(url, "workflow_load_per_case.db")
        ticks += time_tick(baseline, now, "per-case tick (before)", per_case_tick)
        remove_db(Path(baseline.removeprefix("sqlite:///")))
    ticks += time_tick(url, now, "batched tick (after)", batched_tick)
    raw = time_raw_updates(pristine, url, now)
    remove_db(Path(pristine.removeprefix("sqlite:///")))
    intake = time_intake(url, args.reports)
    if args.no_results:
        return
    lines = [
        SECTION, "",
        f"Run {dt.date.today().isoformat()} on {machine()} (2 cores shared with other work), "
        f"SQLite file. {args.open_cases:,} open dispatched cases with deadlines of 3–72 h "
        "started over the last 3 days; each contender ticks its own copy of the same file at "
        "the same clock.", "",
        "| SLA tick | cases scanned | seconds | rows/s | yellow | red | escalated |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    lines += [f"| {t['label']} | {t['scanned']:,} | {t['seconds']:.2f} | "
              f"{t['scanned'] / t['seconds']:,.0f} | {t['yellow']:,} | {t['red']:,} | "
              f"{t['escalated']:,} |" for t in ticks]
    lines += [f"| bare SQL of the same UPDATEs (sqlite3 `executemany`, one commit) | – | "
              f"{raw['seconds']:.2f} | – | {raw['lights']:,} lights | | {raw['escalated']:,} |"]
    lines += ["", "The batched tick also writes what the bare UPDATEs do not: a notification per "
              "recipient (department users and dispatchers for each light, the leaders for each "
              "escalation), an escalation step per red case and the webhook outbox rows, and "
              f"commits every {CHUNK:,} cases."]
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
