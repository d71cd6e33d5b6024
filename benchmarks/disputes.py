#!/usr/bin/env python
"""Benchmark of the disputes', the residents' requests' and the 帮教 figures for a county at
500,000 residents: each request against its own SQL, in the same run.

    export GRIDLINK_BENCH_DATA_DIR=/tmp/gridlink-bench
    .venv/bin/python benchmarks/disputes.py --db sqlite        # 500k residents
    .venv/bin/python benchmarks/disputes.py --db postgres
    .venv/bin/python benchmarks/disputes.py --db sqlite --residents 20000 --requests 5 \
        --no-results                                           # smoke test, ~1 min

1. Data: coverage.py's county and field work (list_pages.py's 40 grids, ~200,000 households,
   residents with key-group tags, the roster, walks, logs, a year of visits) in a database of
   its own (`disputes_r<N>_c<M>`), plus, once, the year before 2026-11-28 of:
   - disputes, about 1 per 1,000 residents a month, settled where the demo's are (the grid, the
     community, the street, or an office they were handed to with a deadline); the latest
     still open (registered, mediating at their level, handed over, some past due); 2 % never
     settled. No parties, steps or mediation sessions: no figure reads them;
   - each grid's half-monthly screening report (3 % never filed, 5 % late, the others on the
     half month's last day or its due day; a nil report when the grid found none);
   - residents' requests (1 per 100 residents a year) and errands (1 per 200), made by the
     demo's own generators (backend/seed/requests.py): deadlines on the working calendar,
     mostly answered in time, the newest open;
   - 帮教 visits to every resident tagged with a group on the schedule in force, on it as the
     demo's are: 85 % on time, 10 % 1–15 days late, 5 % 16–60 days late.
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
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import coverage  # noqa: E402
import kpi  # noqa: E402
import list_pages as lp  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from results import machine, write_section  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from backend.app import create_app  # noqa: E402
from backend.cases.models import DeadlineUnit, Department  # noqa: E402
from backend.cases.sla import deadlines  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.core.db import has_tags, make_engine  # noqa: E402
from backend.disputes.models import (  # noqa: E402
    Dispute,
    DisputeLevel,
    DisputeScreening,
    DisputeStatus,
    DisputeType,
)
from backend.disputes.screening import due_on, half_month  # noqa: E402
from backend.fieldwork.models import Visit, VisitKind  # noqa: E402
from backend.fieldwork.supervision import schedules  # noqa: E402
from backend.ledgers.models import KeyGroup, Resident  # noqa: E402
from backend.requests_desk.models import Errand, ResidentRequest  # noqa: E402
from backend.seed.disputes import OUTCOMES, STORIES, seed_grids  # noqa: E402
from backend.seed.disputes import _at as at_hour  # noqa: E402
from backend.seed.requests import _errand, _request  # noqa: E402
from backend.seed.vocabulary import SUPERVISION_LATE, SUPERVISION_ON_TIME  # noqa: E402
from backend.team.models import TeamRole  # noqa: E402

ANCHOR, CHUNK, QUARTER, MONTH = coverage.ANCHOR, coverage.CHUNK, coverage.QUARTER, coverage.MONTH
YEAR = 365
DISPUTES_PER_1000_A_MONTH = 1.0
RESIDENTS_PER_REQUEST, RESIDENTS_PER_ERRAND = 100, 200  # a year
HANDOVER_DAYS = 10  # working days, as the demo's hand-overs
NEVER_SETTLED = 0.02
# The levels a dispute goes up to before it is settled, by where it ends (OUTCOMES)
UP = {"grid": (), "community": (DisputeLevel.community,),
      "street": (DisputeLevel.community, DisputeLevel.street)}


def _disputes(rng: random.Random, grids: list[str], weights: list[int], n: int, calendar,
              departments: list[str]) -> list[dict[str, Any]]:
    """A year of disputes, each worked as far as ANCHOR: found, mediated at the grid, maybe
    taken up to the community and the street or handed to an office, settled."""
    rows = []
    today = ANCHOR.date()
    outcomes, shares = [o for o, _ in OUTCOMES], [w for _, w in OUTCOMES]
    for _ in range(n):
        found_on = today - dt.timedelta(days=rng.randrange(YEAR))
        found_at = at_hour(found_on, rng.randint(8, 17), rng)
        if found_at > ANCHOR:
            continue
        outcome = rng.choices(outcomes, shares)[0]
        type_code, title, summary, agreement = rng.choice(STORIES)
        t = found_at + dt.timedelta(hours=rng.randint(20, 100))
        # (when, status, level) of each step, the last one in force at ANCHOR
        steps: list[tuple[dt.datetime, DisputeStatus, DisputeLevel]] = [
            (found_at, DisputeStatus.registered, DisputeLevel.grid),
            (t, DisputeStatus.mediating, DisputeLevel.grid)]
        for level in UP.get(outcome, (DisputeLevel.community,)):  # handed over by the community
            t += dt.timedelta(days=rng.uniform(2, 6))
            steps.append((t, DisputeStatus.mediating, level))
        handed_at = due_at = department = None
        if outcome not in ("grid", "community", "street"):
            t += dt.timedelta(days=rng.uniform(1, 4))
            handed_at, department = t, rng.choice(departments)
            due_at = calendar.due_at(t, HANDOVER_DAYS, DeadlineUnit.working_days)
            steps.append((t, DisputeStatus.handed_over, DisputeLevel.community))
            t += dt.timedelta(days=rng.uniform(3, 18))  # some past the office's deadline
        else:
            t += dt.timedelta(days=rng.uniform(1, 7))
        settled = rng.random() >= NEVER_SETTLED
        if settled:
            steps.append((t, DisputeStatus.settled, steps[-1][2]))
        done = [s for s in steps if s[0] <= ANCHOR]
        when, status, level = done[-1]
        is_settled = status is DisputeStatus.settled
        is_handed = handed_at is not None and handed_at <= ANCHOR
        rows.append({
            "grid_code": rng.choices(grids, weights)[0], "type_code": type_code, "title": title,
            "summary": summary, "place": None,
            "risk_level": rng.choices(("low", "medium", "high"), (0.65, 0.27, 0.08))[0],
            "found_how": rng.choices(("screening", "visit", "report", "petition"),
                                     (0.45, 0.35, 0.15, 0.05))[0],
            "found_by": "网格长", "found_on": found_on, "status": status, "level": level,
            "department_code": department if is_handed else None,
            "handed_at": handed_at if is_handed else None, "due_at": due_at if is_handed else None,
            "settled_at": when if is_settled else None,
            "settled_level": (None if is_handed else level) if is_settled else None,
            "agreement": agreement if is_settled else None, "reopen_count": 0,
            "created_at": found_at, "updated_at": when, "version": len(done)})
    return rows


def _screenings(rng: random.Random, grids: list[str], found: Counter, calendar
                ) -> list[dict[str, Any]]:
    """Every grid's report of each half month of the year that has ended by ANCHOR."""
    today = ANCHOR.date()
    halves = []
    first, last = half_month(today - dt.timedelta(days=YEAR))
    while last < today:
        halves.append((first, last))
        first, last = half_month(last + dt.timedelta(days=1))
    rows = []
    for code in grids:
        for first, last in halves:
            due = due_on(calendar, last)
            draw = rng.random()
            if draw < 0.03:
                continue  # never reported
            filed_on = (due + dt.timedelta(days=rng.randint(1, 5)) if draw < 0.08
                        else rng.choice((last, due)))
            filed_at = at_hour(filed_on, rng.randint(9, 17), rng)
            if filed_at > ANCHOR:
                continue  # not yet
            count = found[(code, first)]
            rows.append({"grid_code": code, "period_first": first, "period_last": last,
                         "due_on": due, "filed_at": filed_at, "filed_by": "网格长",
                         "nil_report": count == 0, "dispute_count": count,
                         "late": filed_on > due, "note": None, "created_at": filed_at,
                         "updated_at": filed_at, "version": 1})
    return rows


def _supervision_visits(rng: random.Random, people, schedule: dict[KeyGroup, int]
                        ) -> tuple[list[dict[str, Any]], Counter]:
    """A year of 帮教 visits to each supervised resident, on their shortest schedule: the last
    one in time for most, a few days late for some, weeks late for a few (the demo's rates)."""
    today = ANCHOR.date()
    first_day = today - dt.timedelta(days=YEAR)
    stamps = {"created_at": ANCHOR, "updated_at": ANCHOR, "version": 1}
    visits: list[dict[str, Any]] = []
    groups: Counter = Counter()
    for resident_id, grid_code, household_id, tags in people:
        days = [every for group, every in schedule.items() if group.value in (tags or [])]
        if not days or household_id is None:
            continue
        groups.update(g for g in tags if KeyGroup(g) in schedule)
        groups["(supervised residents)"] += 1
        every = min(days)
        chance = rng.random()
        late = (0 if chance < SUPERVISION_ON_TIME
                else rng.randint(1, 15) if chance < SUPERVISION_ON_TIME + SUPERVISION_LATE
                else rng.randint(16, 60))
        visit_date = today - dt.timedelta(days=rng.randint(0, every - 1) + late)
        while visit_date >= first_day:
            visits.append({"grid_code": grid_code, "household_id": household_id,
                           "resident_id": resident_id,
                           "visitor_name": f"{grid_code[-3:]}{TeamRole.full_time.label}",
                           "purpose": "帮教走访", "visit_date": visit_date,
                           "kind": VisitKind.supervision, "needs_follow_up": False, **stamps})
            visit_date -= dt.timedelta(days=every - rng.randint(0, max(every // 6, 1)))
    return visits, groups


def add_disputes_requests_supervision(url: str, n_residents: int, log) -> None:
    """Disputes, screenings, requests, errands and 帮教 visits (once: skipped when there are
    disputes)."""
    engine = make_engine(url)
    rng = random.Random(lp.SEED + 17)
    with Session(engine) as session:
        if session.execute(select(func.count()).select_from(Dispute)).scalar_one():
            engine.dispose()
            return
        started = time.perf_counter()
        calendar = deadlines(session).calendar
        per_grid = dict(session.execute(select(Resident.grid_code, func.count())
                                        .group_by(Resident.grid_code)).all())
        grids = sorted(per_grid)
        departments = list(session.execute(select(Department.code).order_by(Department.code)
                                           .limit(3)).scalars())  # the offices handed to
        assert session.execute(select(func.count()).select_from(DisputeType)).scalar_one()
        n = round(n_residents / 1000 * DISPUTES_PER_1000_A_MONTH * 12)
        disputes = _disputes(rng, grids, [per_grid[g] for g in grids], n, calendar, departments)
        coverage._insert(session, Dispute, disputes)
        found = Counter((d["grid_code"], half_month(d["found_on"])[0]) for d in disputes)
        screenings = _screenings(rng, grids, found, calendar)
        coverage._insert(session, DisputeScreening, screenings)
        # the demo's requests and errands, on the county's grids (their chief and residents)
        rules = deadlines(session)
        by_grid: dict[str, list[int]] = {}
        for dispute_id, grid_code in session.execute(select(Dispute.id, Dispute.grid_code)):
            by_grid.setdefault(grid_code, []).append(dispute_id)
        seeds = seed_grids(session)
        today = ANCHOR.date()

        def received() -> dt.datetime:
            return dt.datetime.combine(today - dt.timedelta(days=rng.randrange(YEAR)),
                                       dt.time(rng.randint(0, 9), rng.randint(0, 59)), dt.UTC)

        requests = [row for _ in range(n_residents // RESIDENTS_PER_REQUEST)
                    if (row := _request(rng.choice(seeds), received(), ANCHOR, rules, by_grid,
                                        rng))]
        errands = [row for _ in range(n_residents // RESIDENTS_PER_ERRAND)
                   if (row := _errand(rng.choice(seeds), received(), ANCHOR, rules, rng))]
        coverage._insert(session, ResidentRequest, requests)
        coverage._insert(session, Errand, errands)
        people = session.execute(select(Resident.id, Resident.grid_code, Resident.household_id,
                                        Resident.key_groups).where(has_tags(Resident.key_groups))
                                 ).all()
        visits, groups = _supervision_visits(rng, people, schedules(session))
        coverage._insert(session, Visit, visits)
        session.commit()
        log(f"  {len(disputes)} disputes ({Counter(d['status'].value for d in disputes)}), "
            f"{len(screenings)} screenings, {len(requests)} requests, {len(errands)} errands, "
            f"{len(visits)} 帮教 visits in {time.perf_counter() - started:.1f} s")
        log(f"  supervised: {dict(groups)}")
    engine.dispose()


def data_summary(url: str) -> str:
    """What the added data holds, read back (the same whether built now or reused)."""
    engine = make_engine(url)
    with Session(engine) as session:
        def count(model, *where) -> int:
            return session.execute(select(func.count()).select_from(model).where(*where)
                                   ).scalar_one()

        status = dict(session.execute(select(Dispute.status, func.count())
                                      .group_by(Dispute.status)).all())
        overdue = count(Dispute, Dispute.status == DisputeStatus.handed_over,
                        Dispute.due_at < ANCHOR)
        schedule = schedules(session)
        groups: Counter = Counter()
        for tags in session.execute(select(Resident.key_groups)
                                    .where(has_tags(Resident.key_groups))).scalars():
            supervised = [g for g in tags if KeyGroup(g) in schedule]
            groups.update(supervised)
            groups["all"] += bool(supervised)
        text = (
            f"{count(Dispute):,} disputes ("
            + ", ".join(f"{s.value} {status.get(s, 0):,}" for s in DisputeStatus)
            + f"; {overdue:,} handed over past due), "
            f"{count(DisputeScreening):,} screening reports "
            f"({count(DisputeScreening, DisputeScreening.late):,} late, "
            f"{count(DisputeScreening, DisputeScreening.nil_report):,} nil), "
            f"{count(ResidentRequest):,} requests, {count(Errand):,} errands, "
            f"{count(Visit, Visit.kind == VisitKind.supervision):,} 帮教 visits to "
            f"{groups.pop('all'):,} supervised residents ("
            + ", ".join(f"{g.value} {groups.get(g.value, 0):,}" for g in schedule) + ")")
    engine.dispose()
    return text


def prepare(target, log) -> dict[str, Any]:
    meta = coverage.prepare(target, log)
    add_disputes_requests_supervision(target.url(), target.args.residents, log)
    if target.dialect == "postgres":
        conn = target.connect()
        conn.execute("ANALYZE")
        conn.close()
    return meta


def requests_to_time() -> list[kpi.Request]:
    half = {"date": "2026-11-10"}
    return [
        kpi.Request("disputes", "leader", QUARTER, "county, this quarter"),
        kpi.Request("disputes", "leader", {**QUARTER, "by": "grid"}, "county by grid"),
        kpi.Request("disputes", "secretary", MONTH, "a community, this month"),
        kpi.Request("disputes/screenings", "dispatcher", {}, "county, last half month due"),
        kpi.Request("disputes/screenings", "secretary", half, "a community, 1–15 Nov"),
        kpi.Request("requests", "leader", QUARTER, "county, this quarter"),
        kpi.Request("requests", "leader", {**QUARTER, "by": "community"},
                    "county by community"),
        kpi.Request("requests", "secretary", MONTH, "a community, this month"),
        kpi.Request("coverage", "leader", QUARTER, "county, this quarter, with 帮教"),
        kpi.Request("coverage/due-supervision", "chief", {}, "a grid, overdue"),
        kpi.Request("coverage/due-supervision", "secretary", {},
                    "a community's first page, overdue"),
        kpi.Request("coverage/due-supervision", "secretary", {"overdue_only": "false"},
                    "a community's first page, all"),
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
    parser.add_argument("--only", nargs="*", help="endpoints, e.g. disputes requests")
    parser.add_argument("--no-results", action="store_true", help="print only")
    args = parser.parse_args(argv)
    log: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731

    target = lp.target_for(args, "disputes")
    meta = prepare(target, log)
    summary = data_summary(target.url())
    log(f"  {summary}")
    settings = Settings(database_url=target.url(), sla_tick_seconds=0, webhooks_enabled=False,
                        secret_key="gridlink-bench-secret-key-of-at-least-32-bytes")
    app = create_app(settings)
    with TestClient(app):
        conn = kpi.raw_connection(target)
        lines = kpi.time_requests(app, kpi.tokens_for(app), conn, requests_to_time(), args, log)
        conn.close()
    database = "SQLite" if args.db == "sqlite" else "PostgreSQL"
    marker = f"## Disputes, requests and 帮教 figures (disputes.py): {database}"
    section = "\n".join([
        f"{marker}, {args.residents:,} residents",
        "",
        f"{dt.date.today().isoformat()}; {machine()}; load average "
        f"{os.getloadavg()[0]:.1f} at the end (a shared machine); {target.describe_size()}; data "
        f"{'reused' if meta.get('reused') else 'built'}. coverage.py's county and field work, "
        f"and a year of: {summary}. Raw: the statements the request sent, on a plain DB-API "
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
