#!/usr/bin/env python
"""Benchmark of a quarterly assessment run over 1,000 grids and 1,000,000 cases: the run
request against the SQL it sends (the KPI module's aggregates it rests on), in the same run,
and its peak memory.

    export GRIDLINK_BENCH_DATA_DIR=/tmp/gridlink-bench
    .venv/bin/python benchmarks/assessment.py --db sqlite        # 1,000 grids, 1M cases
    .venv/bin/python benchmarks/assessment.py --db postgres
    .venv/bin/python benchmarks/assessment.py --db sqlite --grids 50 --cases 20000 \
        --requests 2 --no-results                                 # smoke test, ~1 min

1. Data, in a database of its own (`assessment_g<G>_h<H>_c<C>`, reused when it holds the
   counts; --rebuild for a new one), migrated to head: county 410602, 5 streets, 25 grids to a
   community (1,000 grids: 40 communities), each grid with a name; list_pages.py's
   departments and categories; 4 buildings a grid and --households households (default 40 a
   grid, 2.5 residents each, list_pages' generators: key-group tags on 18 %); kpi.py's cases
   (list_pages' year of cases before 2026-11-28, older ones closed, due times from the
   category deadline, plus the lights, escalations and extensions the KPI reads), spread over
   the grids: about a quarter of them reported in Q3 2026. Bulk loads only (list_pages'
   loaders: executemany in one transaction on SQLite, COPY on PostgreSQL; no workflow). Then
   the field work of Q3 2026, with Core inserts in batches: a roster of a grid chief and a
   full-time worker per grid, walks on 70–100 % of the days (a diligence per grid), a work log
   of each member on 94–100 % of the working days, visits of the households over the year to
   the quarter's end (key households each quarter, the others once a year, as diligent), and
   the county's coverage rule (walk daily, key households every 3 months, all every 12).
2. Through the app (leader): a grid scheme worth 1,000 points (按期结案率 target 300, 巡查覆盖率
   200, 日志完整率 100, 走访覆盖率 100, 满意率 100 proportional, 台账管理 by hand 200, a veto)
   and its hand scores for Q3: deductions for 30 % of the grids, vetoes for 0.5 %.
3. The run, `POST /api/v1/assessments/runs` {period: quarter, date: 2026-08-15, area_code:
   410602}, is asked once through the app in process while a cursor listener records every
   statement it sends (kpi.py `capture`, for a POST); those sent inside the KPI module's
   `rankings(by="grid")` and `coverage(by="grid")` are its aggregates.
4. Timed in turn, --requests rounds: raw, the SELECT statements on a plain DB-API connection
   (the app's PRAGMAs / psycopg without JIT, as kpi.py), each statement timed; API, the same
   request through the app (TestClient: token, policy, scope, SQLAlchemy, scoring, the 1,000
   scores written and read back, orjson), with the time inside rankings(), coverage(), the rest
   of `start_run`, reading the ranking back and the JSON. The ratio is API p50 / raw p50
   (target: at most 3). Every run is a new draft run of the same quarter (a re-run: it also
   reads the previous run's scores to record what changed).
5. Memory of one more run: tracemalloc's peak of what Python allocated during the request,
   and the process's peak RSS over its RSS before (VmHWM, reset through /proc/self/clear_refs).
6. The report goes into benchmarks/RESULTS.md, a section per database and size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import math
import os
import random
import sqlite3
import sys
import time
import tracemalloc
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
from sqlalchemy import event, insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import backend.assessment.router as assessment_router  # noqa: E402
from backend.app import create_app  # noqa: E402
from backend.areas.models import Grid  # noqa: E402
from backend.assessment import service as assessment_service  # noqa: E402
from backend.assessment.models import AssessmentScheme  # noqa: E402
from backend.cases.sla import WorkingCalendar  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.core.db import make_engine  # noqa: E402
from backend.fieldwork.models import CoverageRule, Patrol, Visit, VisitKind, WorkLog  # noqa: E402
from backend.kpi import coverage as kpi_coverage  # noqa: E402
from backend.kpi import service as kpi_service  # noqa: E402
from backend.kpi import tally  # noqa: E402
from backend.ledgers.models import Household, Resident  # noqa: E402
from backend.migrations import upgrade  # noqa: E402
from backend.team.models import GridStaff, TeamRole  # noqa: E402

SEED_VERSION = 1  # bump when the generated data changes shape
URL = "/api/v1/assessments/runs"
RUN = {"period": "quarter", "date": "2026-08-15", "area_code": lp.COUNTY}
Q3_FIRST, Q3_LAST = dt.date(2026, 7, 1), dt.date(2026, 9, 30)
BJ = dt.timezone(dt.timedelta(hours=8))
Q3_START = dt.datetime.combine(Q3_FIRST, dt.time(), BJ).astimezone(dt.UTC)
Q3_END = dt.datetime.combine(Q3_LAST + dt.timedelta(days=1), dt.time(), BJ).astimezone(dt.UTC)
GRIDS_PER_COMMUNITY = 25
BUILDINGS_PER_GRID = 4
CHUNK = 5000
STREETS = ["中山路街道", "鹤壁集镇", "九矿广场街道", "新华街道", "鹤山街街道"]
COMMUNITY_NAMES = ["新华街", "红旗", "光明", "东街", "西街", "南山", "北湖", "幸福", "和平", "中山",
                   "鹤山", "九矿", "朝阳", "建设", "人民", "团结", "胜利", "友谊", "文化", "振兴"]
SCHEME = "网格千分制考核 (基准测试)"
ITEMS: list[dict[str, Any]] = [
    {"name": "按期结案率", "kind": "computed", "points": 300, "figure": "on_time_closure_rate",
     "rule": "target", "target": 0.95, "floor": 0.6,
     "standard": "按期结案率95%及以上得满分, 60%及以下不得分, 其间按比例计分"},
    {"name": "巡查覆盖率", "kind": "computed", "points": 200, "figure": "patrol_rate",
     "rule": "proportional"},
    {"name": "日志完整率", "kind": "computed", "points": 100, "figure": "work_log_rate",
     "rule": "proportional"},
    {"name": "走访覆盖率", "kind": "computed", "points": 100, "figure": "visit_rate",
     "rule": "proportional"},
    {"name": "满意率", "kind": "computed", "points": 100, "figure": "satisfaction_rate",
     "rule": "proportional"},
    {"name": "台账管理", "kind": "manual", "points": 200, "standard": "台账每缺一项扣10分"},
    {"name": "重大安全事故", "kind": "veto"},
]


# --- the data ---------------------------------------------------------------------------------

def area_tree(n_grids: int) -> tuple[list[tuple], list[tuple]]:
    """(areas, grids): the county, 5 streets, a community per 25 grids (at least one a
    street), the grids dealt round the communities; codes as list_pages.py's."""
    areas: list[tuple] = [(lp.COUNTY, "鹤山区", "county", None)]
    for s, street_name in enumerate(STREETS, start=1):
        areas.append((f"{lp.COUNTY}{s:03d}", street_name, "street", lp.COUNTY))
    communities = []
    for c in range(max(len(STREETS), math.ceil(n_grids / GRIDS_PER_COMMUNITY))):
        street, number = c % len(STREETS) + 1, c // len(STREETS) + 1
        code = f"{lp.COUNTY}{street:03d}{number:03d}"
        again = c // len(COMMUNITY_NAMES)  # the second 新华街 is 新华街二社区
        name = (COMMUNITY_NAMES[c % len(COMMUNITY_NAMES)]
                + ("二三四五六七八九十"[again - 1] if again else "") + "社区")
        areas.append((code, name, "community", f"{lp.COUNTY}{street:03d}"))
        communities.append((code, name))
    grids = []
    for g in range(n_grids):
        code, name = communities[g % len(communities)]
        number = g // len(communities) + 1
        grids.append((f"{code}{number:03d}", f"{name}第{number}网格", code))
    return areas, grids


def seed(target, log) -> dict[str, float]:
    """The county, its ledgers and cases: list_pages' and kpi.py's generators, bulk loaded."""
    args = target.args
    ts = lp.Timestamps(target.dialect)
    rng = random.Random(lp.SEED)
    now = ts(lp.ANCHOR)
    areas, grids = area_tree(args.grids)
    departments, categories = lp.reference_data()
    n_buildings = len(grids) * BUILDINGS_PER_GRID
    building_grid = [grids[b % len(grids)][0] for b in range(n_buildings)]
    buildings = [(*row[:4], building_grid[b], *row[5:]) for b, row in
                 enumerate(lp.gen_buildings(rng, ts, grids, n_buildings))]
    households = list(lp.gen_households(rng, ts, building_grid, args.households))
    household_grid = [row[4] for row in households]
    tables = [
        ("area", (*lp.COMMON, "code", "name", "level", "parent_code", "phone"),
         [(i, now, now, 1, *a, None) for i, a in enumerate(areas, start=1)]),
        ("department", (*lp.COMMON, "code", "name", "kind", "area_code", "phone", "is_active"),
         [(i, now, now, 1, *d, lp.COUNTY, None, True)
          for i, d in enumerate(departments, start=1)]),
        ("case_category", (*lp.COMMON, "code", "kind", "big_class_code", "big_class_name", "name",
                           "default_department_code", "deadline_value", "deadline_unit",
                           "is_active"),
         [(i, now, now, 1, *c, True) for i, c in enumerate(categories, start=1)]),
        ("grid", lp.GRID_COLS, lp.grid_rows(rng, now, grids)),
        ("building", lp.BUILDING_COLS, buildings),
        ("household", lp.HOUSEHOLD_COLS, households),
        ("resident", lp.RESIDENT_COLS,
         lp.gen_residents(rng, ts, household_grid, args.residents)),
        ("case", kpi.KPI_CASE_COLS, kpi.kpi_cases(rng, ts, grids, categories, args.cases)),
    ]
    timings = target.bulk_load(tables, log)
    target.settle(log)
    return timings


def _insert(session: Session, model, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(model), rows[start:start + CHUNK])


def add_field_work(url: str, log) -> dict[str, int]:
    """Q3 2026's roster, walks, logs, the year's visits and the rule (Core inserts)."""
    engine = make_engine(url)
    rng = random.Random(lp.SEED + 17)
    stamp = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    stamps = {"created_at": stamp, "updated_at": stamp, "version": 1}
    calendar = WorkingCalendar()
    days = [Q3_FIRST + dt.timedelta(days=n) for n in range((Q3_LAST - Q3_FIRST).days + 1)]
    with Session(engine) as session:
        grids = list(session.execute(select(Grid.code).order_by(Grid.code)).scalars())
        diligence = {code: 0.7 + 0.3 * rng.random() for code in grids}
        staff = []
        for code in grids:
            chief = lp.name(rng)
            worker = lp.name(rng)
            while worker == chief:
                worker = lp.name(rng)
            for person, role in ((chief, TeamRole.grid_chief), (worker, TeamRole.full_time)):
                staff.append({"grid_code": code, "name": person, "team_role": role,
                              "phone": lp.phone(rng), "keeps_work_log": True,
                              "is_public": True, "is_active": True, **stamps})
        _insert(session, GridStaff, staff)
        roster = session.execute(select(GridStaff.id, GridStaff.grid_code, GridStaff.name,
                                        GridStaff.team_role)).all()
        session.execute(insert(CoverageRule), [{"area_code": lp.COUNTY, "patrol_every_days": 1,
                                                "key_visit_every_months": 3,
                                                "household_visit_every_months": 12, **stamps}])
        walks, logs = [], []
        for member_id, code, member_name, role in roster:
            keen = diligence[code]
            for day in days:
                start = dt.datetime.combine(day, dt.time(1 + rng.randrange(6)), dt.UTC)
                if role is TeamRole.full_time and rng.random() < keen:
                    walks.append({"grid_code": code, "patroller_name": member_name,
                                  "staff_id": member_id, "started_at": start,
                                  "ended_at": start + dt.timedelta(hours=1),
                                  "issues_found": int(rng.random() < 0.1), **stamps})
                if calendar.is_working_day(day) and rng.random() < 0.8 + 0.2 * keen:
                    logs.append({"grid_code": code, "author_name": member_name,
                                 "staff_id": member_id, "log_date": day, "content": "巡查网格",
                                 "status": "approved" if rng.random() < 0.8 else "submitted",
                                 **stamps})
        _insert(session, Patrol, walks)
        _insert(session, WorkLog, logs)
        key = set(session.execute(select(Resident.household_id).where(
            Resident.key_groups != "", Resident.household_id.is_not(None))).scalars())
        worker_of = {code: name for _id, code, name, role in roster
                     if role is TeamRole.full_time}
        visits = []
        for household_id, code in session.execute(select(Household.id, Household.grid_code)):
            keen = diligence[code]
            if household_id in key:  # a visit each quarter up to Q3's end
                dates = [Q3_LAST - dt.timedelta(days=q * 91 + rng.randrange(90))
                         for q in range(4) if rng.random() < keen]
                kind = VisitKind.key_group
            else:  # once in the year up to Q3's end
                dates = [Q3_LAST - dt.timedelta(days=rng.randrange(365))] \
                    if rng.random() < keen else []
                kind = VisitKind.routine
            visits += [{"grid_code": code, "household_id": household_id,
                        "visitor_name": worker_of[code], "visit_date": visit_date, "kind": kind,
                        "needs_follow_up": False, **stamps} for visit_date in dates]
        _insert(session, Visit, visits)
        session.commit()
    engine.dispose()
    counts = {"staff": len(staff), "walks": len(walks), "logs": len(logs),
              "visits": len(visits), "key_households": len(key)}
    log(f"  field work: {counts}")
    return counts


def prepare(target, log) -> dict[str, Any]:
    """Reuse the data when it holds the requested counts, else build it from scratch."""
    args = target.args
    want = {"grid": args.grids, "household": args.households, "case": args.cases}
    meta = json.loads(target.meta_path.read_text()) if target.meta_path.exists() else None
    if not args.rebuild and target.exists() and meta and meta.get("seed_version") == SEED_VERSION:
        counts = target.counts()
        if counts and all(counts.get(k) == v for k, v in want.items()):
            log(f"reusing {target.dialect} data ({target.tag}), built {meta['built']}")
            upgrade(target.url())
            return meta | {"reused": True}
    log(f"building {target.dialect} data ({target.tag}) ...")
    target.drop()
    target.create()
    started = time.perf_counter()
    upgrade(target.url())
    timings = seed(target, log)
    engine = make_engine(target.url())
    with Session(engine) as session:  # the open cases' tally, as the SLA tick leaves it
        tally.compact(session)
        session.commit()
    engine.dispose()
    field = add_field_work(target.url(), log)
    if target.dialect == "postgres":
        conn = target.connect()
        conn.execute("ANALYZE")
        conn.close()
    meta = {"seed_version": SEED_VERSION,
            "built": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "load_seconds": round(time.perf_counter() - started, 1),
            "table_seconds": {k: round(v, 1) for k, v in timings.items()},
            "field_work": field}
    lp.DATA_DIR.mkdir(parents=True, exist_ok=True)
    target.meta_path.write_text(json.dumps(meta, indent=2))
    log(f"  built in {meta['load_seconds']} s")
    return meta | {"reused": False}


def ensure_scheme(app, leader: TestClient, log) -> int:
    """The grid scheme and its hand scores of Q3, entered through the API (once)."""
    with app.state.db.session() as session:
        found = session.execute(select(AssessmentScheme.id).where(
            AssessmentScheme.name == SCHEME)).scalar()
        grids = list(session.execute(select(Grid.code).order_by(Grid.code)).scalars())
    if found is not None:
        return int(found)
    started = time.perf_counter()
    response = leader.post("/api/v1/assessment-schemes", json={"name": SCHEME, "level": "grid"})
    assert response.status_code == 201, response.text
    scheme = response.json()["id"]
    items = {}
    for position, item in enumerate(ITEMS):
        response = leader.post("/api/v1/assessment-items",
                               json={"scheme_id": scheme, "position": position} | item)
        assert response.status_code == 201, response.text
        items[item["name"]] = response.json()["id"]
    rng = random.Random(lp.SEED + 23)
    deducted = rng.sample(grids, round(len(grids) * 0.3))
    vetoed = rng.sample(grids, max(1, len(grids) // 200))
    entries = [{"item_id": items["台账管理"], "unit_code": code,
                "points": float(200 - 10 * (missing := rng.randrange(1, 9))),
                "reason": f"季度督查: 台账缺{missing}项, 扣{10 * missing}分"} for code in deducted]
    entries += [{"item_id": items["重大安全事故"], "unit_code": code, "vetoed": True,
                 "reason": "辖区发生较大安全生产事故"} for code in vetoed]
    for entry in entries:
        response = leader.post("/api/v1/assessment-entries", json={
            "period_kind": "quarter", "period_first": RUN["date"]} | entry)
        assert response.status_code == 201, response.text
    log(f"  scheme {scheme}: {len(ITEMS)} items, {len(deducted)} deductions and "
        f"{len(vetoed)} vetoes entered in {time.perf_counter() - started:.1f} s")
    return int(scheme)


def dataset(conn, dialect: str) -> dict[str, int]:
    suffix = "+00" if dialect == "postgres" else ""
    start, end = (f"{t:%Y-%m-%d %H:%M:%S}{suffix}" for t in (Q3_START, Q3_END))
    queries = {
        "grids": 'SELECT count(*) FROM grid',
        "communities": "SELECT count(*) FROM area WHERE level = 'community'",
        "households": "SELECT count(*) FROM household",
        "residents": "SELECT count(*) FROM resident",
        "cases": 'SELECT count(*) FROM "case"',
        "reported_q3": f"SELECT count(*) FROM \"case\" WHERE reported_at >= '{start}' "
                       f"AND reported_at < '{end}'",
        "due_q3": f"SELECT count(*) FROM \"case\" WHERE due_at >= '{start}' "
                  f"AND due_at < '{end}'",
        "staff": "SELECT count(*) FROM grid_staff",
        "walks": "SELECT count(*) FROM patrol",
        "logs": "SELECT count(*) FROM work_log",
        "visits": "SELECT count(*) FROM visit",
        "entries": "SELECT count(*) FROM assessment_entry",
    }
    cur = conn.cursor()
    out = {}
    for name, sql in queries.items():
        cur.execute(sql)
        out[name] = int(cur.fetchone()[0])
    cur.close()
    return out


# --- measuring --------------------------------------------------------------------------------

class Stopwatch:
    """Seconds a request spends in some functions of the app (module attributes wrapped, so
    that the callers' `module.function(...)` finds the timed one), and the time of the write
    statements it executes."""

    def __init__(self, engine) -> None:
        self.seconds: dict[str, float] = {}
        self.stack: list[str] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def wrap(self, module: Any, attribute: str, label: str) -> None:
        original = getattr(module, attribute)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.stack.append(label)
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.add(label, time.perf_counter() - t0)
                self.stack.pop()

        setattr(module, attribute, timed)

    def add(self, label: str, seconds: float) -> None:
        self.seconds[label] = self.seconds.get(label, 0.0) + seconds

    def _before(self, conn, _cursor, _statement, _parameters, _context, _many) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn, _cursor, statement, _parameters, _context, _many) -> None:
        if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.add("writes", time.perf_counter() - conn.info.pop("bench_t0"))


# The functions timed inside a run (module, attribute, label), outermost first.
TIMED = [
    (assessment_router, "json_response", "json"),
    (assessment_service, "start_run", "start_run"),
    (assessment_service, "ranking", "ranking"),
    (kpi_service, "rankings", "rankings"),
    (kpi_coverage, "coverage", "coverage"),
    (kpi_coverage, "patrol_figures", "patrols"),
    (kpi_coverage, "visit_figures", "visits"),
    (kpi_coverage, "work_log_rows", "work_logs"),
]
LABELS = [label for _module, _attribute, label in TIMED]
Statement = tuple[str, Any, tuple[str, ...]]  # SQL, DB-API parameters, the timed functions in


def capture(app, client: TestClient, watch: Stopwatch, body: dict[str, Any]
            ) -> list[Statement]:
    """The SELECT statements one run sends, each with the timed functions it was sent from;
    after a first run has cached the principal."""
    assert client.post(URL, json=body).status_code == 201
    statements: list[Statement] = []

    def listener(_conn, _cursor, statement, parameters, _context, _executemany):
        statements.append((statement, parameters, tuple(watch.stack)))

    event.listen(app.state.db.engine, "before_cursor_execute", listener)
    try:
        response = client.post(URL, json=body)
        assert response.status_code == 201, response.text
    finally:
        event.remove(app.state.db.engine, "before_cursor_execute", listener)
    return [s for s in statements if s[0].lstrip().upper().startswith(("SELECT", "WITH"))]


def time_rounds(conn, client: TestClient, watch: Stopwatch, body: dict[str, Any],
                statements: list[Statement], n: int, warmup: int, log
                ) -> dict[str, kpi.Series]:
    """Raw SQL and the run, one after the other, round by round: `raw`, `raw:<label>` (the
    statements sent inside a timed function), `stmt<k>`; `api`, `<label>`, `writes`."""
    names = ["raw", "api", "writes", *LABELS, *(f"raw:{label}" for label in LABELS),
             *(f"stmt{k}" for k in range(len(statements)))]
    series = {name: kpi.Series() for name in names}
    cur = conn.cursor()
    for i in range(-warmup, n):
        spent = [0.0] * len(statements)
        t0 = time.perf_counter()
        for k, (statement, parameters, _stack) in enumerate(statements):
            s0 = time.perf_counter()
            cur.execute(statement, parameters)
            cur.fetchall()
            spent[k] = time.perf_counter() - s0
        t1 = time.perf_counter()
        watch.seconds = {}
        response = client.post(URL, json=body)
        t2 = time.perf_counter()
        assert response.status_code == 201, response.text
        if i < 0:
            continue
        series["raw"].samples.append(t1 - t0)
        series["api"].samples.append(t2 - t1)
        for name in ("writes", *LABELS):
            series[name].samples.append(watch.seconds.get(name, 0.0))
        for label in LABELS:
            series[f"raw:{label}"].samples.append(sum(
                seconds for seconds, st in zip(spent, statements, strict=True) if label in st[2]))
        for k, seconds in enumerate(spent):
            series[f"stmt{k}"].samples.append(seconds)
        log(f"  round {i + 1}: raw {(t1 - t0) * 1000:.0f} ms, API {(t2 - t1) * 1000:.0f} ms "
            f"(rankings {watch.seconds.get('rankings', 0) * 1000:.0f}, coverage "
            f"{watch.seconds.get('coverage', 0) * 1000:.0f}), {len(response.content):,} bytes")
    cur.close()
    return series


def _vm(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def memory(client: TestClient, body: dict[str, Any]) -> dict[str, float | None]:
    """Peak memory of one run: RSS (VmHWM reset first), then Python's own (tracemalloc)."""
    out: dict[str, float | None] = {"rss_before": _vm("VmRSS") / 2**20, "rss_peak": None}
    try:
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
        before = _vm("VmHWM")
        assert client.post(URL, json=body).status_code == 201
        out["rss_peak"] = (_vm("VmHWM") - before) / 2**20
    except OSError:
        pass
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        response = client.post(URL, json=body)
        assert response.status_code == 201
        out["traced_peak"] = (tracemalloc.get_traced_memory()[1] - base) / 2**20
    finally:
        tracemalloc.stop()
    out["response"] = len(response.content) / 2**20
    return out


def _short(statement: str, width: int = 110) -> str:
    text = " ".join(statement.split()).replace("|", "\\|")
    return text if len(text) <= width else text[:width - 1] + "…"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--grids", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--households", type=int, default=None,
                        help="default 40 a grid (2.5 residents each)")
    parser.add_argument("--requests", type=int, default=5, help="timed runs")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--pg-admin-url", default=lp.DEFAULT_PG_ADMIN)
    parser.add_argument("--no-results", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.households is None:
        args.households = 40 * args.grids
    args.residents = round(args.households * 2.5)
    log: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731

    target = lp.target_for(args, "assessment", f"g{args.grids}_h{args.households}_c{args.cases}")
    meta = prepare(target, log)
    settings = Settings(database_url=target.url(), sla_tick_seconds=0, webhooks_enabled=False,
                        secret_key="gridlink-bench-secret-key-of-at-least-32-bytes")
    app = create_app(settings)
    with TestClient(app):
        tokens = kpi.tokens_for(app)
        leader = TestClient(app, headers={"Authorization": f"Bearer {tokens['leader']}"})
        body = {"scheme_id": ensure_scheme(app, leader, log)} | RUN
        watch = Stopwatch(app.state.db.engine)
        for module, attribute, label in TIMED:
            watch.wrap(module, attribute, label)
        statements = capture(app, leader, watch, body)
        conn = target.connect()
        if isinstance(conn, sqlite3.Connection):
            conn.isolation_level = None
        counts = dataset(conn, target.dialect)
        log(f"  dataset: {counts}; {len(statements)} SELECT statements per run")
        series = time_rounds(conn, leader, watch, body, statements, args.requests, args.warmup,
                             log)
        conn.close()
        mem = memory(leader, body)
        log(f"  memory: {mem}")
    def combo(plus: str, *minus: str) -> kpi.Series:  # per round: a part less its parts
        return kpi.Series([a - sum(series[m].samples[i] for m in minus)
                           for i, a in enumerate(series[plus].samples)])

    series["rest"] = combo("start_run", "rankings", "coverage")
    series["raw:rest"] = combo("raw:start_run", "raw:rankings", "raw:coverage")
    series["outside"] = combo("api", "start_run", "ranking", "json")
    series["raw:outside"] = combo("raw", "raw:start_run", "raw:ranking", "raw:json")
    for prefix in ("", "raw:"):  # the two KPI calls together
        series[f"{prefix}kpi"] = kpi.Series([a + b for a, b in zip(
            series[f"{prefix}rankings"].samples, series[f"{prefix}coverage"].samples,
            strict=True)])
    p50 = {name: s.pct(50) for name, s in series.items()}
    p95 = {name: s.pct(95) for name, s in series.items()}
    n = len(series["api"].samples)

    def sent(inside: str | None = None, but: tuple[str, ...] = ()) -> int:
        return sum(1 for s in statements if (inside is None or inside in s[2])
                   and not set(but) & set(s[2]))

    def row(what: str, name: str, statements_sent: int | None, raw: str | None = None) -> str:
        raw_p50 = f"{p50[raw]:.0f}" if raw else "–"
        count = "–" if statements_sent is None else str(statements_sent)
        return f"| {what} | {p50[name]:.0f} | {p95[name]:.0f} | {count} | {raw_p50} |"

    rows = [
        row(f"**the run: `POST {URL}`**", "api", len(statements), "raw"),
        row("`kpi.service.rankings(by=grid)`", "rankings", sent("rankings"), "raw:rankings"),
        row("`kpi.coverage.coverage(by=grid)`", "coverage", sent("coverage"), "raw:coverage"),
        row("… `patrol_figures` (each grid's walked days, the grid-days covered)", "patrols",
            sent("patrols"), "raw:patrols"),
        row("… `visit_figures` (households visited in time)", "visits", sent("visits"),
            "raw:visits"),
        row("… `work_log_rows` (logs owed and written per member)", "work_logs",
            sent("work_logs"), "raw:work_logs"),
        row("the rest of `start_run` (scheme, hand scores, scoring, the previous run's "
            f"scores, {counts['grids']:,} scores written, audit, commit)", "rest",
            sent("start_run", ("rankings", "coverage")), "raw:rest"),
        row("… the INSERT statements' execution", "writes", None),
        row("reading the ranking back (`service.ranking`)", "ranking", sent("ranking"),
            "raw:ranking"),
        row("the JSON response (`json_response`)", "json", sent("json"), "raw:json"),
        row("the rest (token, policy, request, TestClient)", "outside",
            sent(but=("start_run", "ranking", "json")), "raw:outside"),
    ]
    slowest = sorted(range(len(statements)), key=lambda k: -p50[f"stmt{k}"])[:6]
    statement_rows = [f"| {statements[k][2][-1] if statements[k][2] else 'request'} | "
                      f"{p50[f'stmt{k}']:.1f} | `{_short(statements[k][0])}` |"
                      for k in slowest]
    ratio = p50["api"] / p50["raw"]
    database = "SQLite" if args.db == "sqlite" else "PostgreSQL"
    marker = f"## Assessment run (assessment.py): {database}, {args.grids:,} grids"
    rss = f"{mem['rss_peak']:.0f} MiB" if mem["rss_peak"] is not None else "n/a"
    section = "\n".join([
        f"{marker}, {args.cases:,} cases",
        "",
        f"{dt.date.today().isoformat()}; {machine()}; load average "
        f"{os.getloadavg()[0]:.1f} at the end (a shared machine); {target.describe_size()}; data "
        f"{'reused' if meta.get('reused') else 'built'} ({meta.get('load_seconds')} s to build "
        f"and load). {counts['grids']:,} grids in {counts['communities']} communities, "
        f"{counts['cases']:,} cases ({counts['reported_q3']:,} reported and "
        f"{counts['due_q3']:,} due in Q3 2026), {counts['households']:,} households, "
        f"{counts['residents']:,} residents, {counts['staff']:,} team members, "
        f"{counts['walks']:,} walks and {counts['logs']:,} work logs in Q3, "
        f"{counts['visits']:,} visits, {counts['entries']:,} hand scores and vetoes. The run: "
        "a grid scheme of 7 items, Q3 2026, the county. Raw: the SELECT statements the run "
        "sent, on a plain DB-API connection; API: the same request in process through the "
        f"app, timed in turn ({n} rounds after {args.warmup} warm-up). Milliseconds.",
        "",
        "| part of the run | in the app p50 | p95 | SELECTs sent | those raw, p50 |",
        "|---|---|---|---|---|",
        *rows,
        "",
        f"**API / raw: {ratio:.2f}x** (target ≤ 3); the run / the KPI aggregates' SQL alone "
        f"(rankings and coverage): {p50['api'] / p50['raw:kpi']:.2f}x; the two KPI calls in "
        f"the app / their SQL: {p50['kpi'] / p50['raw:kpi']:.2f}x.",
        "",
        f"Memory of one more run: Python's peak allocations during the request (tracemalloc) "
        f"{mem['traced_peak']:.1f} MiB; the process's peak RSS over its RSS before the request "
        f"{rss} (RSS before: {mem['rss_before']:.0f} MiB); the response "
        f"{mem['response']:.1f} MiB.",
        "",
        "The slowest statements (raw p50, ms):",
        "",
        "| from | p50 | statement |",
        "|---|---|---|",
        *statement_rows,
        "",
    ])
    print(section)
    if not args.no_results:
        write_section(marker, section)


if __name__ == "__main__":
    main()
