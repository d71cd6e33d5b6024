#!/usr/bin/env python
"""Benchmark of the field-work coverage figures for a county at 500,000 residents: each
request against its own SQL, in the same run.

    export GRIDLINK_BENCH_DATA_DIR=/tmp/gridlink-bench
    .venv/bin/python benchmarks/coverage.py --db sqlite        # 500k residents
    .venv/bin/python benchmarks/coverage.py --db postgres
    .venv/bin/python benchmarks/coverage.py --db sqlite --residents 20000 --requests 5 \
        --no-results                                           # smoke test, ~1 min

1. Data: list_pages.py's county (40 grids, ~200,000 households, residents with key-group
   tags; few cases: coverage reads none) in a database of its own (`coverage_r<N>_c<M>`),
   migrated to head, plus the field work of the 100 days before 2026-11-28: the roster (a
   chief and a full-time worker per grid), a walk of 95 % of the grid-days, a work log for
   96 % of the working days of each, visits (key households in 85 % of the quarters, every
   other household once in the year with 80 % chance), and the county's coverage rule.
2. Each request is asked once through the app in process while a cursor listener records
   every statement it sends (benchmarks/kpi.py `capture`).
3. Timed in turn, request by request: raw, those statements on a plain DB-API connection;
   API, the same request through the app. The ratio is API p50 / raw p50 (target: at most 3).
4. The report goes into benchmarks/RESULTS.md, a section per database and size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import kpi  # noqa: E402
import list_pages as lp  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from results import machine, write_section  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from backend.app import create_app  # noqa: E402
from backend.areas.models import Grid  # noqa: E402
from backend.cases.sla import WorkingCalendar  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.core.db import make_engine  # noqa: E402
from backend.fieldwork.models import CoverageRule, Patrol, Visit, VisitKind, WorkLog  # noqa: E402
from backend.ledgers.models import Household, Resident  # noqa: E402
from backend.migrations import upgrade  # noqa: E402
from backend.team.models import GridStaff, TeamRole  # noqa: E402

DAYS = 100
ANCHOR = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
CHUNK = 5000
QUARTER = {"period": "quarter", "date": "2026-11-15"}
MONTH = {"period": "month", "date": "2026-11-15"}


def _insert(session: Session, model, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(model), rows[start:start + CHUNK])


def add_field_work(url: str, log) -> None:
    """The roster, walks, logs, visits and the rule (once: skipped when the roster is there)."""
    engine = make_engine(url)
    rng = random.Random(lp.SEED + 13)
    stamps = {"created_at": ANCHOR, "updated_at": ANCHOR, "version": 1}
    calendar = WorkingCalendar()
    days = [(ANCHOR - dt.timedelta(days=n)).date() for n in range(DAYS, 0, -1)]
    with Session(engine) as session:
        if session.execute(select(func.count()).select_from(GridStaff)).scalar_one():
            engine.dispose()
            return
        started = time.perf_counter()
        grids = list(session.execute(select(Grid.code).order_by(Grid.code)).scalars())
        staff = []
        for code in grids:
            for role in (TeamRole.grid_chief, TeamRole.full_time):
                staff.append({"grid_code": code, "name": f"{code[-3:]}{role.label}",
                              "team_role": role, "keeps_work_log": True, "is_public": True,
                              "is_active": True, **stamps})
        _insert(session, GridStaff, staff)
        roster = session.execute(select(GridStaff.id, GridStaff.grid_code, GridStaff.name)).all()
        session.execute(insert(CoverageRule), [{"area_code": lp.COUNTY, "patrol_every_days": 1,
                                                "key_visit_every_months": 3,
                                                "household_visit_every_months": 12, **stamps}])
        walks, logs = [], []
        for member_id, code, member_name in roster:
            for day in days:
                start = dt.datetime.combine(day, dt.time(1 + rng.randrange(6)), dt.UTC)
                if member_name.endswith(TeamRole.full_time.label) and rng.random() < 0.95:
                    walks.append({"grid_code": code, "patroller_name": member_name,
                                  "staff_id": member_id, "started_at": start,
                                  "ended_at": start + dt.timedelta(hours=1), "issues_found": 0,
                                  **stamps})
                if calendar.is_working_day(day) and rng.random() < 0.96:
                    logs.append({"grid_code": code, "author_name": member_name,
                                 "staff_id": member_id, "log_date": day, "content": "巡查网格",
                                 "status": "approved" if rng.random() < 0.8 else "submitted",
                                 **stamps})
        _insert(session, Patrol, walks)
        _insert(session, WorkLog, logs)
        key = set(session.execute(select(Resident.household_id).where(
            Resident.key_groups != "", Resident.household_id.is_not(None))).scalars())
        visits = []
        today = ANCHOR.date()
        for household_id, code in session.execute(select(Household.id, Household.grid_code)):
            if household_id in key:
                dates = [today - dt.timedelta(days=q * 91 + rng.randrange(90))
                         for q in range(4) if rng.random() < 0.85]
                kind = VisitKind.key_group
            else:
                dates = [today - dt.timedelta(days=rng.randrange(365))] if rng.random() < 0.8 \
                    else []
                kind = VisitKind.routine
            visits += [{"grid_code": code, "household_id": household_id,
                        "visitor_name": f"{code[-3:]}{TeamRole.full_time.label}",
                        "visit_date": visit_date, "kind": kind, "needs_follow_up": False,
                        **stamps} for visit_date in dates]
        _insert(session, Visit, visits)
        session.commit()
        log(f"  field work: {len(staff)} staff, {len(walks)} walks, {len(logs)} logs, "
            f"{len(visits)} visits ({len(key)} key households) in "
            f"{time.perf_counter() - started:.1f} s")
    engine.dispose()


def prepare(target, log) -> dict[str, Any]:
    meta = lp.prepare(target, log)
    upgrade(target.url())
    add_field_work(target.url(), log)
    if target.dialect == "postgres":
        conn = target.connect()
        conn.execute("ANALYZE")
        conn.close()
    return meta


def requests_to_time() -> list[kpi.Request]:
    return [
        kpi.Request("coverage", "leader", QUARTER, "county, this quarter"),
        kpi.Request("coverage", "leader", {**QUARTER, "by": "grid"}, "county by grid"),
        kpi.Request("coverage", "leader", {**MONTH, "by": "community"}, "county by community"),
        kpi.Request("coverage", "secretary", MONTH, "a community, this month"),
        kpi.Request("coverage/unpatrolled", "dispatcher", {}, "county, now"),
        kpi.Request("coverage/due-visits", "secretary", {}, "a community's first page"),
        kpi.Request("coverage/due-visits", "chief", {"key_only": "true"}, "a grid, key only"),
        kpi.Request("coverage/work-logs", "leader", MONTH, "county, this month"),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--residents", type=int, default=500_000)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--budget", type=float, default=30.0)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--pg-admin-url", default=lp.DEFAULT_PG_ADMIN)
    parser.add_argument("--no-results", action="store_true", help="print only")
    args = parser.parse_args(argv)
    log: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731

    target = lp.target_for(args, "coverage")
    meta = prepare(target, log)
    settings = Settings(database_url=target.url(), sla_tick_seconds=0, webhooks_enabled=False,
                        secret_key="gridlink-bench-secret-key-of-at-least-32-bytes")
    app = create_app(settings)
    with TestClient(app):
        conn = kpi.raw_connection(target)
        lines = kpi.time_requests(app, kpi.tokens_for(app), conn, requests_to_time(), args, log)
        conn.close()
    database = "SQLite" if args.db == "sqlite" else "PostgreSQL"
    marker = f"## Field-work coverage (coverage.py): {database}"
    section = "\n".join([
        f"{marker}, {args.residents:,} residents",
        "",
        f"{dt.date.today().isoformat()}; {machine()}; load average "
        f"{os.getloadavg()[0]:.1f} at the end (a shared machine); {target.describe_size()}; data "
        f"{'reused' if meta.get('reused') else 'built'}. 40 grids, 100 days of walks and logs, "
        "a year of visits. Raw: the statements the request sent, on a plain DB-API "
        "connection; API: the same request in process through the app, timed in turn. "
        "Milliseconds.",
        "",
        "| request | what | statements | raw p50 | API p50 | API p95 | API/raw | n |",
        "|---|---|---|---|---|---|---|---|",
        *lines,
        "",
    ])
    print(section)
    if not args.no_results:
        write_section(marker, section)


if __name__ == "__main__":
    main()
