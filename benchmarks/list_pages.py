#!/usr/bin/env python
"""Benchmark of the generic list API: filtered, sorted pages of 50 over HTTP vs the raw SQL.

    .venv/bin/python benchmarks/list_pages.py --db sqlite              # 500k residents, 1M cases
    .venv/bin/python benchmarks/list_pages.py --db postgres
    .venv/bin/python benchmarks/list_pages.py --db sqlite --residents 20000 --cases 40000 \
        --requests 50 --no-results                                     # smoke test, < 1 min

1. Seeds a fresh database migrated with `backend.migrations.upgrade(url)` (reused when it already
   holds the requested counts; --rebuild forces a new one). SQLite: executemany Core-style inserts
   in one transaction, PostgreSQL: COPY. Plain indexes are dropped for the load and re-created
   from their own DDL afterwards, so the schema is exactly the migrated one.
2. Captures the exact SQL (and DB-API parameters) the API issues for each page, by running the
   route's own code path (parse_list_query + crud.list_rows) with a cursor-execute listener.
3. Times, for each scenario, with and without the count query:
   - raw SQL: that SQL on a plain DB-API connection (sqlite3 / psycopg), rows fetched fully;
   - raw SQL + building dicts + orjson serialisation;
   - the route body in-process (parse + SQLAlchemy + orjson, no HTTP);
   - the real app over HTTP (uvicorn subprocess, 1 worker, httpx keep-alive client), sequential,
     and the throughput of --concurrency clients at once.
   The communities/grids are cycled through between requests.
4. EXPLAIN QUERY PLAN (SQLite) / EXPLAIN ANALYZE (PostgreSQL) of every page and count query, and
   with --try-indexes the effect of candidate indexes created (then dropped) in the bench DB.
5. Prints a markdown report and writes it into benchmarks/RESULTS.md (a section per DB and size).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import json
import os
import platform
import random
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import orjson  # noqa: E402
from sqlalchemy import event  # noqa: E402
from starlette.datastructures import QueryParams  # noqa: E402

from backend.core import crud  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.core.db import Database, _sqlite_pragmas  # noqa: E402
from backend.core.filtering import parse_list_query  # noqa: E402
from backend.entities import ENTITIES  # noqa: E402
from backend.ledgers.id_number import make_id_number  # noqa: E402
from backend.migrations import upgrade  # noqa: E402

# The bench data (SQLite file ~1 GB, meta .json, uvicorn logs): --data-dir or
# GRIDLINK_BENCH_DATA_DIR, e.g. /tmp/gridlink-bench, to keep it out of the checkout.
DATA_DIR = Path(os.environ.get("GRIDLINK_BENCH_DATA_DIR") or ROOT / "benchmarks" / "data")
RESULTS_PATH = ROOT / "benchmarks" / "RESULTS.md"
DEFAULT_PG_ADMIN = os.environ.get(
    "GRIDLINK_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SEED = 20261128
ANCHOR = dt.datetime(2026, 11, 28, 0, 0, 0)  # naive UTC: "now" of the generated data
BUDGET = 30.0  # seconds per timed series at most (--budget): slow queries get fewer samples
SEED_VERSION = 1  # bump when the generated data changes shape: older data files are rebuilt

COUNTY = "410602"
OPEN = "reported,filed,dispatched,processing,handled"
BULK_TABLES = ("building", "household", "resident", "case")


# --- the area tree and the reference data ---------------------------------------------------


def area_tree() -> tuple[list[tuple], list[tuple]]:
    """(areas, grids): county 410602, 3 streets, 9 communities, 40 grids (5 or 4 each)."""
    streets = ["中山路街道", "鹤壁集镇", "九矿广场街道"]
    community_names = ["新华街社区", "红旗社区", "光明社区", "东街社区", "西街社区",
                       "南山社区", "北湖社区", "幸福社区", "和平社区"]
    areas = [(COUNTY, "鹤山区", "county", None)]
    grids = []
    n = 0
    for s, street in enumerate(streets, start=1):
        street_code = f"{COUNTY}{s:03d}"
        areas.append((street_code, street, "street", COUNTY))
        for c in range(1, 4):
            community_code = f"{street_code}{c:03d}"
            name = community_names[n]
            areas.append((community_code, name, "community", street_code))
            for g in range(1, (5 if n < 4 else 4) + 1):
                grids.append((f"{community_code}{g:03d}", f"{name}第{g}网格", community_code))
            n += 1
    return areas, grids


DEPARTMENT_KINDS = [
    ("sanitation", "区环卫处"), ("greening", "区园林绿化中心"), ("municipal", "区市政工程处"),
    ("enforcement", "区城管执法大队"), ("lighting", "区路灯管理所"), ("police", "公安分局"),
    ("civil_affairs", "区民政局"), ("work_safety", "区应急管理局"), ("fire", "区消防救援大队"),
    ("housing", "区住建局"), ("market", "区市场监管局"), ("other", "区网格中心"),
]

BIG_CLASSES = [  # (code, name, kind, department kind, small class names)
    ("01", "公用设施", "component", "municipal",
     ["上水井盖", "污水井盖", "雨水箅子", "消防栓", "路灯"]),
    ("02", "道路交通", "component", "municipal",
     ["交通标志牌", "护栏", "隔离墩", "公交站亭", "停车咪表"]),
    ("03", "市容环境", "component", "sanitation",
     ["公共厕所", "垃圾箱", "垃圾间", "果皮箱", "公厕指示牌"]),
    ("04", "园林绿化", "component", "greening", ["行道树", "绿地", "花坛", "古树名木", "绿地护栏"]),
    ("05", "市容环境", "event", "sanitation",
     ["暴露垃圾", "积存垃圾渣土", "道路不洁", "水域不洁", "绿地脏乱"]),
    ("06", "宣传广告", "event", "enforcement",
     ["违法张贴", "非法小广告", "违章广告牌", "条幅", "占道广告"]),
    ("07", "施工管理", "event", "housing",
     ["施工扰民", "工地扬尘", "道路遗撒", "无证施工", "施工占道"]),
    ("08", "街面秩序", "event", "enforcement",
     ["无照经营游商", "店外经营", "占道废品收购", "机动车乱停放", "露天烧烤"]),
]


def reference_data() -> tuple[list[tuple], list[tuple]]:
    """(departments, categories): 12 departments, 40 categories (8 big classes x 5)."""
    departments = [(f"D{COUNTY}{i:02d}", name, kind) for i, (kind, name) in
                   enumerate(DEPARTMENT_KINDS, start=1)]
    dept_by_kind = {kind: code for code, _name, kind in departments}
    categories = []
    for big, big_name, kind, dkind, smalls in BIG_CLASSES:
        for i, small in enumerate(smalls, start=1):
            value, unit = [(2, "working_days"), (4, "working_hours"), (3, "working_days"),
                           (24, "hours"), (5, "working_days")][i - 1]
            categories.append((f"{big}{i:03d}", kind, big, big_name, small, dept_by_kind[dkind],
                               value, unit))
    return departments, categories


# --- row generators -----------------------------------------------------------------------

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋"
            "蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫"
            "段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲芬燕彩春菊凤洁梅琳素云"
         "莲真环雪荣爱妹香月媛瑞凡佳嘉琼勤珍贞莉叶璐娅琦晶妍茜秋珊莎锦青倩婷婉娴瑾颖露瑶怡"
         "雁蓓仪荷丹蓉眉君琴蕊薇梦岚婕馨韵园艺卿聪澜纯悦昭冰爽茗羽希宁欣育筠柔竹凝晓欢霄枫"
         "芸菲寒伊亚宜可舒影思志建国庆海波峰辉俊鹏飞斌浩宇文")
KEY_GROUPS = ["空巢老人", "独居老人", "残疾人", "低保", "4050人员", "留守儿童", "刑释解教",
              "社区矫正", "吸毒人员", "精神障碍", "困难群众"]
KEY_WEIGHTS = [30, 15, 20, 25, 15, 8, 2, 2, 1, 4, 20]  # relative frequency among tagged people
ROADS = ["新华街", "红旗路", "中山路", "鹤山大道", "九矿路", "人民路", "建设路", "朝阳路", "和平路"]
RELATIONS = ["户主", "配偶", "子", "女", "父亲", "母亲", "孙子", "孙女", "其他"]


def name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) if rng.random() < 0.3 else rng.choice(GIVEN) + rng.choice(GIVEN)
    return rng.choice(SURNAMES) + given


def phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


class Timestamps:
    """Datetime columns as the app stores them: SQLite naive-UTC text, PostgreSQL with +00."""

    def __init__(self, dialect: str) -> None:
        self.suffix = "+00" if dialect == "postgres" else ""

    def __call__(self, value: dt.datetime | None) -> str | None:
        if value is None:
            return None
        text = value.isoformat(" ")
        if not value.microsecond:
            text += ".000000"
        return text + self.suffix


COMMON = ("id", "created_at", "updated_at", "version")


GRID_COLS = (*COMMON, "code", "name", "community_code", "level", "boundary", "partner_grid_code",
             "household_target")


def grid_rows(rng, now, grids) -> list[tuple]:
    rows = []
    for i, (code, grid_name, community) in enumerate(grids, start=1):
        # The chief's name and phone the grid row kept until migration 0026 moved the team to
        # the roster: still drawn, so that every later draw (the county) stays as measured.
        name(rng), phone(rng)
        rows.append((i, now, now, 1, code, grid_name, community, "grid", None, None, 300))
    return rows


def gen_buildings(rng, ts, grids, n_buildings) -> Iterator[tuple]:
    """Buildings interleaved over the grids (ids do not cluster by grid)."""
    t0 = ANCHOR - dt.timedelta(days=3 * 365)
    for bid in range(1, n_buildings + 1):
        grid = grids[rng.randrange(len(grids))][0]
        created = ts(t0 + dt.timedelta(seconds=rng.randrange(365 * 86400)))
        road = rng.choice(ROADS)
        yield (bid, created, created, 1, grid, f"{bid % 97 + 1}号楼",
               f"鹤山区{road}{rng.randrange(1, 300)}号院{bid % 97 + 1}号楼", rng.randrange(2, 33),
               rng.randrange(1, 7), name(rng), phone(rng),
               round(35.90 + rng.random() * 0.08, 6), round(114.13 + rng.random() * 0.1, 6))


BUILDING_COLS = (*COMMON, "grid_code", "name", "address", "floors", "units", "head_name",
                 "head_phone", "lat", "lng")


def gen_households(rng, ts, building_grid, n_households) -> Iterator[tuple]:
    t0 = ANCHOR - dt.timedelta(days=2 * 365)
    n_buildings = len(building_grid)
    for hid in range(1, n_households + 1):
        bid = rng.randrange(1, n_buildings + 1)
        rental = rng.random() < 0.15
        created = ts(t0 + dt.timedelta(seconds=rng.randrange(365 * 86400)))
        yield (hid, created, created, 1, building_grid[bid - 1], bid,
               f"{rng.randrange(1, 7)}单元{rng.randrange(1, 33)}{rng.randrange(1, 5):02d}",
               name(rng), rental, name(rng) if rental else None,
               phone(rng) if rental else None, None)


HOUSEHOLD_COLS = (*COMMON, "grid_code", "building_id", "room", "head_name", "is_rental",
                  "landlord_name", "landlord_phone", "note")


def gen_residents(rng, ts, household_grid, n_residents) -> Iterator[tuple]:
    """Residents with valid, unique ID numbers.

    make_id_number varies only the 3-digit sequence (500 per sex and birth date), so resident i
    gets birth day (i mod D) permuted over D days of 1930..2022 and the sequence i // D.
    """
    first = dt.date(1930, 1, 1)
    days = (dt.date(2022, 12, 31) - first).days + 1  # 33,968
    step = 7919  # prime, coprime with `days`: a permutation of the days
    assert n_residents // days < 500, "too many residents for unique ID numbers"
    n_households = len(household_grid)
    t0 = ANCHOR - dt.timedelta(days=365)
    residence_types = (["registered"] * 70 + ["permanent"] * 15 + ["floating"] * 10
                       + ["temporary"] * 5)
    for i in range(n_residents):
        born = first + dt.timedelta(days=(i % days) * step % days)
        sex = "male" if rng.random() < 0.5 else "female"
        number = make_id_number(COUNTY, born, i // days, sex)
        hid = rng.randrange(1, n_households + 1)
        tags = ""
        if rng.random() < 0.18:
            picked = set(rng.choices(KEY_GROUPS, KEY_WEIGHTS, k=1 if rng.random() < 0.8 else 2))
            tags = "|" + "|".join(sorted(picked)) + "|"
        created = ts(t0 + dt.timedelta(seconds=rng.randrange(365 * 86400)))
        yield (i + 1, created, created, 1, household_grid[hid - 1], hid, name(rng), number, sex,
               born.isoformat(), phone(rng) if rng.random() < 0.8 else None,
               rng.choice(residence_types), rng.choice(RELATIONS), tags, None)


RESIDENT_COLS = (*COMMON, "grid_code", "household_id", "name", "id_number", "sex", "birth_date",
                 "phone", "residence_type", "relation_to_head", "key_groups", "note")

OPEN_STATUSES = ("reported", "filed", "dispatched", "processing", "handled")
SOURCES = (["patrol"] * 50 + ["hotline_12345"] * 25 + ["hotline_12319"] * 5 + ["app"] * 10
           + ["department"] * 5 + ["video"] * 4 + ["open311"])


def case_status(rng: random.Random, age_days: float) -> str:
    r = rng.random()
    if age_days < 3:  # fresh: all open
        return OPEN_STATUSES[min(int(r / 0.2), 4)]
    if age_days < 15:  # half still being worked on
        if r < 0.47:
            return "closed"
        if r < 0.50:
            return "cancelled"
        return OPEN_STATUSES[min(int((r - 0.5) / 0.1), 4)]
    if r < 0.95:
        return "closed"
    if r < 0.98:
        return "cancelled"
    return ("dispatched", "processing", "handled")[min(int((r - 0.98) / 0.0067), 2)]


DEADLINE_HOURS = {"working_days": 24 * 7 / 5, "working_hours": 24 / 8, "hours": 1}


def gen_cases(rng, ts, grids, categories, n_cases) -> Iterator[tuple]:
    """Cases reported over the year before ANCHOR, ids in reporting order; older ones closed."""
    offsets = sorted(rng.random() * 365 * 86400 for _ in range(n_cases))
    grid_codes = [g[0] for g in grids]
    for i, offset in enumerate(offsets):
        cid = i + 1
        reported = ANCHOR - dt.timedelta(seconds=365 * 86400 - offset)
        reported = reported.replace(microsecond=0)
        age_days = (ANCHOR - reported).total_seconds() / 86400
        cat = categories[rng.randrange(len(categories))]
        code, _kind, _big, _big_name, small, dept, value, unit = cat
        status = case_status(rng, age_days)
        filed = dispatched = due = handled = closed = None
        if status not in ("reported", "cancelled"):
            filed = reported + dt.timedelta(minutes=rng.randrange(5, 120))
            due = filed + dt.timedelta(hours=value * DEADLINE_HOURS[unit])
        if filed is not None and status not in ("filed",):
            dispatched = filed + dt.timedelta(minutes=rng.randrange(5, 240))
        if status in ("handled", "closed"):
            handled = dispatched + dt.timedelta(
                hours=rng.random() * value * DEADLINE_HOURS[unit] * 1.3)
        if status == "closed":
            closed = handled + dt.timedelta(hours=rng.randrange(1, 48))
        anonymous = rng.random() < 0.1
        road = rng.choice(ROADS)
        grid = grid_codes[rng.randrange(len(grid_codes))]
        created = ts(reported)
        last = closed or handled or dispatched or filed or reported
        yield (cid, created, ts(last), 1, f"{reported:%Y%m%d}{cid:08d}", rng.choice(SOURCES), code,
               f"{road}{small}", f"{road}附近发现{small}问题, 请尽快处理。",
               f"鹤山区{road}{rng.randrange(1, 300)}号",
               round(35.90 + rng.random() * 0.08, 6), round(114.13 + rng.random() * 0.1, 6), grid,
               None if anonymous else name(rng), None if anonymous else phone(rng), anonymous,
               "normal" if rng.random() < 0.9 else rng.choice(("urgent", "critical")),
               rng.choice(("general", "general", "general", "coordination", "emergency",
                           "approval")),
               status, dept if filed is not None else None, None, created, ts(filed),
               ts(dispatched),
               ts(due), ts(handled), ts(closed),
               1 if rng.random() < 0.05 else 0,
               rng.randrange(3, 6) if status == "closed" and rng.random() < 0.6 else None,
               0, 0, False)  # escalation_level, extension_count, public_notice


CASE_COLS = (*COMMON, "code", "source", "category_code", "title", "description", "address", "lat",
             "lng", "grid_code", "reporter_name", "reporter_phone", "is_anonymous",
             "priority", "handling_type", "status", "department_code", "patrol_id",
             "reported_at", "filed_at", "dispatched_at", "due_at", "handled_at",
             "closed_at", "rework_count", "satisfaction", "escalation_level",
             "extension_count", "public_notice")


# --- loaders -------------------------------------------------------------------------------


def chunks(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Target:
    """One benchmark database: its URL for the app, its raw DB-API connection, its loader."""

    dialect: str
    # What a missing or unreachable database raises on connect or query (counts: None then).
    errors: tuple[type[Exception], ...]

    # Its files and database: DATA_DIR/<name>_<tag>.db (SQLite), gridlink_<db_name>_<tag>.
    name = "list_pages"
    db_name = "bench"

    def __init__(self, args: argparse.Namespace, name: str | None = None,
                 tag: str | None = None) -> None:
        self.args = args
        if name is not None:  # another benchmark's database of its own
            self.name = self.db_name = name
        self.tag = tag or f"r{args.residents}_c{args.cases}"

    # implemented by subclasses
    def url(self) -> str: ...
    def exists(self) -> bool: ...
    def drop(self) -> None: ...
    def create(self) -> None: ...
    def connect(self): ...
    def size_bytes(self) -> int: ...
    def describe_size(self) -> str: ...

    @property
    def meta_path(self) -> Path:
        return DATA_DIR / f"{self.name}_{self.dialect}_{self.tag}.json"

    def counts(self) -> dict[str, int] | None:
        try:
            conn = self.connect()
        except self.errors:
            return None
        try:
            cur = conn.cursor()
            out = {}
            for table in ("grid", "building", "household", "resident", "case", "case_category"):
                cur.execute(f'SELECT count(*) FROM "{table}"')
                out[table] = cur.fetchone()[0]
            return out
        except self.errors:
            return None
        finally:
            conn.close()


class SqliteTarget(Target):
    dialect = "sqlite"
    errors = (OSError, sqlite3.Error)

    @property
    def path(self) -> Path:
        return DATA_DIR / f"{self.name}_{self.tag}.db"

    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def exists(self) -> bool:
        return self.path.exists()

    def drop(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)

    def create(self) -> None:
        DATA_DIR.mkdir(parents=True, exist_ok=True)

    def connect(self):
        if not self.path.exists():
            raise FileNotFoundError(self.path)
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        # The app's own connection pragmas (page cache, mmap, WAL ...), so that both sides
        # read the file alike.
        _sqlite_pragmas(conn, None)
        return conn

    def size_bytes(self) -> int:
        return sum(Path(str(self.path) + s).stat().st_size for s in ("", "-wal")
                   if Path(str(self.path) + s).exists())

    def describe_size(self) -> str:
        shown = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"SQLite file {self.size_bytes() / 2**20:,.0f} MiB ({shown})"

    def bulk_load(self, tables: list[tuple[str, tuple, Iterable[tuple]]], log) -> dict[str, float]:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=OFF")  # load only: no rollback journal, no WAL
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("PRAGMA cache_size=-1000000")  # 1 GB page cache for the index builds
        conn.execute("PRAGMA temp_store=MEMORY")
        timings = {}
        names = [t[0] for t in tables]
        marks = ",".join("?" * len(names))
        indexes = conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks})", names).fetchall()
        conn.execute("BEGIN")
        for name_, _sql in indexes:
            conn.execute(f'DROP INDEX "{name_}"')
        for table, cols, rows in tables:
            t0 = time.perf_counter()
            sql = f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({",".join("?" * len(cols))})'
            n = 0
            for batch in chunks(rows, 50_000):
                conn.executemany(sql, batch)
                n += len(batch)
            timings[table] = time.perf_counter() - t0
            log(f"  {table}: {n:,} rows in {timings[table]:.1f} s")
        t0 = time.perf_counter()
        for _name, sql in indexes:
            conn.execute(sql)
        conn.execute("COMMIT")
        timings["indexes"] = time.perf_counter() - t0
        log(f"  {len(indexes)} indexes re-created in {timings['indexes']:.1f} s")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.close()
        return timings

    def settle(self, log) -> None:
        """No ANALYZE: nothing in the app runs it, so the planner works without sqlite_stat1."""


class PostgresTarget(Target):
    dialect = "postgres"

    def __init__(self, args: argparse.Namespace, name: str | None = None,
                 tag: str | None = None) -> None:
        super().__init__(args, name, tag)
        import psycopg

        self.psycopg = psycopg
        self.errors = (psycopg.Error,)
        self.admin_url = args.pg_admin_url
        self.dbname = f"gridlink_{self.db_name}_{self.tag}"
        base = self.admin_url.rsplit("/", 1)[0]
        self.conninfo = f"{base}/{self.dbname}"

    def url(self) -> str:
        return self.conninfo  # backend.core.db maps postgresql:// to psycopg 3

    def _admin(self):
        return self.psycopg.connect(self.admin_url, autocommit=True)

    def exists(self) -> bool:
        with self._admin() as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                (self.dbname,)).fetchone() is not None

    def drop(self) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')

    def create(self) -> None:
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{self.dbname}"')

    def connect(self):
        # prepare_threshold=None: like the app, whose statements are never prepared (psycopg
        # prepares a query on its 5th execution on a connection, but also forgets every
        # prepared statement on rollback(), and each request's session ends in one).
        # As the app connects (backend/core/db.py): no prepared statements, no JIT.
        return self.psycopg.connect(self.conninfo, autocommit=True, prepare_threshold=None,
                                    options="-c jit=off")

    def size_bytes(self) -> int:
        with self.connect() as conn:
            return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]

    def describe_size(self) -> str:
        with self.connect() as conn:
            sizes = conn.execute(
                "SELECT relname, pg_total_relation_size(oid), pg_relation_size(oid) FROM pg_class "
                "WHERE relname IN ('resident', 'case') ORDER BY relname").fetchall()
        parts = ", ".join(f"{n} {t / 2**20:,.0f} MiB (heap {h / 2**20:,.0f} MiB)"
                          for n, t, h in sizes)
        return f"database {self.dbname} {self.size_bytes() / 2**20:,.0f} MiB; {parts}"

    def bulk_load(self, tables: list[tuple[str, tuple, Iterable[tuple]]], log) -> dict[str, float]:
        timings = {}
        with self.psycopg.connect(self.conninfo) as conn:
            names = [t[0] for t in tables]
            indexes = conn.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
                "AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                "WHERE c.conname = i.indexname)", (names,)).fetchall()
            # No FK triggers for the load: the generated data is consistent by construction.
            conn.execute("SET session_replication_role = replica")
            conn.execute("SET maintenance_work_mem = '512MB'")
            for name_, _sql in indexes:
                conn.execute(f'DROP INDEX "{name_}"')
            with conn.cursor() as cur:
                for table, cols, rows in tables:
                    t0 = time.perf_counter()
                    n = 0
                    with cur.copy(f'COPY "{table}" ({", ".join(cols)}) FROM STDIN') as copy:
                        for row in rows:
                            copy.write_row(row)
                            n += 1
                    timings[table] = time.perf_counter() - t0
                    log(f"  {table}: {n:,} rows in {timings[table]:.1f} s")
            t0 = time.perf_counter()
            for _name, sql in indexes:
                conn.execute(sql)
            timings["indexes"] = time.perf_counter() - t0
            log(f"  {len(indexes)} indexes re-created in {timings['indexes']:.1f} s")
            for table in ("area", "grid", "department", "case_category", *BULK_TABLES):
                conn.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                             f"(SELECT coalesce(max(id), 0) + 1 FROM \"{table}\"), false)")
            conn.commit()
        return timings

    def settle(self, log) -> None:
        """VACUUM ANALYZE: what autovacuum would have done by the time anyone queries."""
        t0 = time.perf_counter()
        with self.connect() as conn:
            conn.execute("VACUUM ANALYZE")
        log(f"  VACUUM ANALYZE in {time.perf_counter() - t0:.1f} s")


def target_for(args: argparse.Namespace, name: str | None = None,
               tag: str | None = None) -> Target:
    """The `--db` database of a benchmark: list_pages' county, or `name`'s own."""
    if args.db == "sqlite":
        return SqliteTarget(args, name, tag)
    return PostgresTarget(args, name, tag)


def seed(target: Target, log) -> dict[str, Any]:
    args = target.args
    ts = Timestamps(target.dialect)
    rng = random.Random(SEED)
    now = ts(ANCHOR)
    areas, grids = area_tree()
    departments, categories = reference_data()
    n_households = max(len(grids), round(args.residents / 2.5))
    n_buildings = max(len(grids), n_households // 50)

    # Grids of buildings/households are drawn up front so children can copy their parent's.
    grid_rng = random.Random(SEED + 1)
    building_grid = [grids[grid_rng.randrange(len(grids))][0] for _ in range(n_buildings)]
    household_building = [grid_rng.randrange(n_buildings) for _ in range(n_households)]
    household_grid = [building_grid[b] for b in household_building]

    def buildings():
        for i, row in enumerate(gen_buildings(rng, ts, grids, n_buildings)):
            yield (*row[:4], building_grid[i], *row[5:])

    def households():
        for i, row in enumerate(gen_households(rng, ts, building_grid, n_households)):
            yield (*row[:4], household_grid[i], household_building[i] + 1, *row[6:])

    tables = [
        ("area", (*COMMON, "code", "name", "level", "parent_code", "phone"),
         [(i, now, now, 1, *a, None) for i, a in enumerate(areas, start=1)]),
        ("department", (*COMMON, "code", "name", "kind", "area_code", "phone", "is_active"),
         [(i, now, now, 1, *d, COUNTY, None, True) for i, d in enumerate(departments, start=1)]),
        ("case_category", (*COMMON, "code", "kind", "big_class_code", "big_class_name", "name",
                           "default_department_code", "deadline_value", "deadline_unit",
                           "is_active"),
         [(i, now, now, 1, *c, True) for i, c in enumerate(categories, start=1)]),
        ("grid", GRID_COLS, grid_rows(rng, now, grids)),
        ("building", BUILDING_COLS, buildings()),
        ("household", HOUSEHOLD_COLS, households()),
        ("resident", RESIDENT_COLS, gen_residents(rng, ts, household_grid, args.residents)),
        ("case", CASE_COLS, gen_cases(rng, ts, grids, categories, args.cases)),
    ]
    t0 = time.perf_counter()
    timings = target.bulk_load(tables, log)
    target.settle(log)
    total = time.perf_counter() - t0
    return {"timings": timings, "load_seconds": total}


def prepare(target: Target, log) -> dict[str, Any]:
    """Reuse the data when it has the requested counts, else build it from scratch."""
    args = target.args
    want = {"resident": args.residents, "case": args.cases}
    meta = json.loads(target.meta_path.read_text()) if target.meta_path.exists() else None
    if not args.rebuild and target.exists() and meta and meta.get("seed_version") == SEED_VERSION:
        counts = target.counts()
        if counts and all(counts.get(k) == v for k, v in want.items()):
            log(f"reusing {target.dialect} data ({target.tag}), built {meta['built']}")
            meta["reused"] = True
            meta["counts"] = counts
            return meta
    log(f"building {target.dialect} data ({target.tag}) ...")
    target.drop()
    target.create()
    t0 = time.perf_counter()
    upgrade(target.url())
    migrate_s = time.perf_counter() - t0
    log(f"  migrated in {migrate_s:.1f} s")
    stats = seed(target, log)
    meta = {
        "seed_version": SEED_VERSION,
        "built": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "migrate_seconds": round(migrate_s, 2),
        "load_seconds": round(stats["load_seconds"], 1),
        "table_seconds": {k: round(v, 1) for k, v in stats["timings"].items()},
        "counts": target.counts(),
    }
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    target.meta_path.write_text(json.dumps(meta, indent=2))
    meta["reused"] = False
    log(f"  loaded in {meta['load_seconds']} s")
    return meta


# --- scenarios and the SQL the API issues --------------------------------------------------


@dataclass
class Scenario:
    key: str
    title: str
    entity: str
    targets: list[str]
    params: Callable[[str], dict[str, str]]
    count: bool = True

    def query(self, target: str) -> dict[str, str]:
        params = dict(self.params(target))
        if not self.count:
            params["count"] = "false"
        return params

    @property
    def label(self) -> str:
        return f"{self.title} ({'count' if self.count else 'count=false'})"


def scenarios(communities: list[str], grids: list[str]) -> list[Scenario]:
    base = [
        ("cases_open_due", "open cases of a community by due_at", "cases", communities,
         lambda c: {"grid_code__startswith": c, "status__in": OPEN, "sort": "due_at",
                    "limit": "50"}),
        ("residents_grid", "residents of a grid", "residents", grids,
         lambda g: {"grid_code": g, "limit": "50"}),
        ("residents_dibao", "低保 residents of a community", "residents", communities,
         lambda c: {"key_groups__contains": "低保", "grid_code__startswith": c, "limit": "50"}),
        ("cases_grid_recent", "cases of a grid, newest first (default sort)", "cases", grids,
         lambda g: {"grid_code": g, "limit": "50"}),
    ]
    out = []
    for key, title, entity, targets, params in base:
        for count in (True, False):
            out.append(Scenario(f"{key}{'' if count else '_nocount'}", title, entity, targets,
                                params, count))
    return out


@dataclass
class Captured:
    page: tuple[str, Any]
    count: tuple[str, Any] | None
    rows: int
    total: int | None


def capture_sql(db: Database, scenario: Scenario, target: str) -> Captured:
    """Run the list route's own code path and record what reaches the DB-API cursor."""
    spec = ENTITIES[scenario.entity]
    settings = Settings()
    statements: list[tuple[str, Any]] = []

    def listener(_conn, _cursor, statement, parameters, _context, _executemany):
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        query = parse_list_query(QueryParams(urlencode(scenario.query(target))), spec.columns,
                                 spec.filterable, spec.sortable, spec.default_sort,
                                 max_limit=settings.max_page_size,
                                 default_limit=settings.default_page_size)
        with db.session() as session:
            rows, total = crud.list_rows(session, spec, query, SYSTEM)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    selects = [s for s in statements if s[0].lstrip().upper().startswith("SELECT")]
    # A page with fewer rows than the limit needs no count: its total follows from it.
    assert len(selects) == (2 if scenario.count and len(rows) == 50 else 1), selects
    return Captured(selects[0], selects[1] if len(selects) > 1 else None, len(rows), total)


# --- timing --------------------------------------------------------------------------------


@dataclass
class Series:
    samples: list[float] = field(default_factory=list)  # seconds
    wall: float = 0.0

    def pct(self, p: int) -> float:
        data = sorted(self.samples)
        if not data:
            return float("nan")
        k = (len(data) - 1) * p / 100
        lo = int(k)
        hi = min(lo + 1, len(data) - 1)
        return (data[lo] + (data[hi] - data[lo]) * (k - lo)) * 1000

    @property
    def p50(self) -> float:
        return self.pct(50)

    @property
    def p95(self) -> float:
        return self.pct(95)

    @property
    def rps(self) -> float:
        return len(self.samples) / self.wall if self.wall else float("nan")


def time_raw(conn, captured: list[Captured], n: int, warmup: int) -> tuple[Series, Series]:
    """The captured SQL on the DB-API connection; also + dicts + orjson (what a page costs)."""
    sql_only, with_json = Series(), Series()
    cur = conn.cursor()
    start = None
    for i in range(-warmup, n):
        if i == 0:
            start = time.perf_counter()
        cap = captured[i % len(captured)]
        t0 = time.perf_counter()
        cur.execute(*cap.page)
        rows = cur.fetchall()
        names = [d[0] for d in cur.description]
        total = None
        if cap.count is not None:
            cur.execute(*cap.count)
            total = cur.fetchone()[0]
        t1 = time.perf_counter()
        body = orjson.dumps({"items": [dict(zip(names, r, strict=True)) for r in rows],
                             "total": total, "limit": 50, "offset": 0})
        t2 = time.perf_counter()
        if i >= 0:
            sql_only.samples.append(t1 - t0)
            with_json.samples.append(t2 - t0)
            if t2 - start > BUDGET:
                break
        assert body
    sql_only.wall = with_json.wall = time.perf_counter() - start
    cur.close()
    return sql_only, with_json


def time_inprocess(db: Database, scenario: Scenario, n: int, warmup: int) -> Series:
    """The list route's body without HTTP: parse, SQLAlchemy session + Core query, orjson."""
    spec = ENTITIES[scenario.entity]
    settings = Settings()
    series = Series()
    queries = [QueryParams(urlencode(scenario.query(t))) for t in scenario.targets]
    start = None
    for i in range(-warmup, n):
        if i == 0:
            start = time.perf_counter()
        t0 = time.perf_counter()
        query = parse_list_query(queries[i % len(queries)], spec.columns, spec.filterable,
                                 spec.sortable, spec.default_sort,
                                 max_limit=settings.max_page_size,
                                 default_limit=settings.default_page_size)
        with db.session() as session:
            rows, total = crud.list_rows(session, spec, query, SYSTEM)
        body = orjson.dumps({"items": rows, "total": total, "limit": query.limit,
                             "offset": query.offset}, option=orjson.OPT_NON_STR_KEYS)
        if i >= 0:
            series.samples.append(time.perf_counter() - t0)
            if time.perf_counter() - start > BUDGET:
                break
        assert body
    series.wall = time.perf_counter() - start
    return series


def time_interleaved(db: Database, conn, base: str, scenario: Scenario, captured: list[Captured],
                     n: int, warmup: int, health: Series) -> dict[str, Series]:
    """raw, raw+json, in-proc, API and the health floor, one sample of each per round.

    On a shared machine the load moves within seconds: timing each series after the other
    would compare raw SQL and API under different loads. Taken in turn, every series sees the
    same moments. (rps is then 1 / mean latency, what a sequential client gets.)"""
    spec = ENTITIES[scenario.entity]
    settings = Settings()
    out = {k: Series() for k in ("raw", "raw_json", "inproc", "http")}
    path = f"/api/v1/{scenario.entity}"
    params = [scenario.query(t) for t in scenario.targets]
    query_strings = [QueryParams(urlencode(p)) for p in params]
    cur = conn.cursor()
    with httpx.Client(base_url=base, timeout=60, headers=AUTH) as client:
        start = time.perf_counter()
        for i in range(-warmup, n):
            k = i % len(captured)
            cap = captured[k]
            # raw SQL, then + dicts and orjson
            t0 = time.perf_counter()
            cur.execute(*cap.page)
            rows = cur.fetchall()
            names = [d[0] for d in cur.description]
            total = None
            if cap.count is not None:
                cur.execute(*cap.count)
                total = cur.fetchone()[0]
            t1 = time.perf_counter()
            body = orjson.dumps({"items": [dict(zip(names, r, strict=True)) for r in rows],
                                 "total": total, "limit": 50, "offset": 0})
            t2 = time.perf_counter()
            # the route body in process
            query = parse_list_query(query_strings[k], spec.columns, spec.filterable,
                                     spec.sortable, spec.default_sort,
                                     max_limit=settings.max_page_size,
                                     default_limit=settings.default_page_size)
            with db.session() as session:
                items, in_total = crud.list_rows(session, spec, query, SYSTEM)
            body = orjson.dumps({"items": items, "total": in_total, "limit": query.limit,
                                 "offset": query.offset}, option=orjson.OPT_NON_STR_KEYS)
            t3 = time.perf_counter()
            # the API over HTTP
            resp = client.get(path, params=params[k])
            content = resp.content
            t4 = time.perf_counter()
            if resp.status_code != 200:
                raise RuntimeError(f"{resp.status_code} {resp.text[:300]}")
            client.get("/api/v1/health").raise_for_status()
            t5 = time.perf_counter()
            if i < 0:  # sanity: same rows and total as the raw SQL
                data = orjson.loads(content)
                assert len(data["items"]) == cap.rows and data["total"] == cap.total, \
                    (scenario.key, len(data["items"]), data["total"], cap.rows, cap.total)
                continue
            for key, value in (("raw", t1 - t0), ("raw_json", t2 - t0), ("inproc", t3 - t2),
                               ("http", t4 - t3)):
                out[key].samples.append(value)
            health.samples.append(t5 - t4)
            if t5 - start > BUDGET:
                break
        assert body
    cur.close()
    for series in out.values():
        series.wall = sum(series.samples)
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The API answers only authenticated requests: the benchmark calls it as an administrator
# (scope: the whole system, so the SQL is the same as the raw side's).
SYSTEM = crud.Caller.system("benchmark")
AUTH: dict[str, str] = {}
BENCH_SECRET = "list-pages-benchmark-secret-key-32-bytes"


def admin_token(url: str) -> dict[str, str]:
    from sqlalchemy import select

    from backend.core.db import Database
    from backend.identity import service as identity
    from backend.identity.models import Role, RoleAssignment, User
    from backend.identity.security import hash_password

    database = Database(url)
    with database.session() as session:
        user = session.execute(
            select(User).where(User.username == "bench-admin")).scalar_one_or_none()
        if user is None:
            user = User(username="bench-admin", password_hash=hash_password("bench-admin-pw"),
                        display_name="benchmark")
            session.add(user)
            session.flush()
            session.add(RoleAssignment(user_id=user.id, role=Role.admin))
            session.commit()
        token = identity.access_token(BENCH_SECRET, user)
    database.dispose()
    return {"Authorization": f"Bearer {token}"}


class Server:
    """The real app: uvicorn --factory backend.app:create_app, one worker, in a subprocess."""

    def __init__(self, url: str, root: Path = ROOT) -> None:
        self.url = url
        self.root = root  # the checkout whose app runs (benchmarks/ab_variants.py --baseline)
        self.start()

    def start(self, variant: dict[str, str] | None = None) -> None:
        """variant: environment for benchmarks.app_variants (the app with one thing changed)."""
        url = self.url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        AUTH.update(admin_token(url))
        env = os.environ | {"GRIDLINK_DATABASE_URL": url, "GRIDLINK_SECRET_KEY": BENCH_SECRET,
                            "GRIDLINK_SLA_TICK_SECONDS": "0"} | (variant or {})
        factory = "benchmarks.app_variants:create_app" if variant else "backend.app:create_app"
        cmd = [sys.executable, "-m", "uvicorn", "--factory", factory,
               "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
               "--log-level", "warning", "--no-access-log"]
        root = getattr(self, "root", ROOT)
        log_name = "uvicorn.log" if root == ROOT else "uvicorn-baseline.log"
        self.log = open(DATA_DIR / log_name, "w")  # noqa: SIM115
        # `python -m uvicorn` puts the working directory first on sys.path: its backend runs.
        self.proc = subprocess.Popen(cmd, cwd=root, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start: see {self.log.name}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()

    def restart(self, variant: dict[str, str] | None = None) -> None:
        self.stop()
        self.start(variant)


def time_http(base: str, scenario: Scenario, n: int, warmup: int,
              expect: list[Captured]) -> Series:
    series = Series()
    path = f"/api/v1/{scenario.entity}"
    queries = [scenario.query(t) for t in scenario.targets]
    with httpx.Client(base_url=base, timeout=60, headers=AUTH) as client:
        start = None
        for i in range(-warmup, n):
            if i == 0:
                start = time.perf_counter()
            t0 = time.perf_counter()
            resp = client.get(path, params=queries[i % len(queries)])
            body = resp.content
            t1 = time.perf_counter()
            if resp.status_code != 200:
                raise RuntimeError(f"{resp.status_code} {resp.text[:300]}")
            if i < 0:  # sanity: same rows and total as the raw SQL
                data = orjson.loads(body)
                cap = expect[i % len(queries)]
                assert len(data["items"]) == cap.rows and data["total"] == cap.total, \
                    (scenario.key, len(data["items"]), data["total"], cap.rows, cap.total)
            if i >= 0:
                series.samples.append(t1 - t0)
                if t1 - start > BUDGET:
                    break
        series.wall = time.perf_counter() - start
    return series


def time_health(base: str, n: int, warmup: int) -> Series:
    """The floor of any request: GET /api/v1/health (a sync route, no database)."""
    series = Series()
    with httpx.Client(base_url=base, timeout=60) as client:
        for _ in range(warmup):
            client.get("/api/v1/health")
        start = time.perf_counter()
        for _ in range(n):
            t0 = time.perf_counter()
            client.get("/api/v1/health").raise_for_status()
            series.samples.append(time.perf_counter() - t0)
        series.wall = time.perf_counter() - start
    return series


def time_http_concurrent(base: str, scenario: Scenario, n: int, clients: int) -> Series:
    """Throughput with `clients` keep-alive clients at once (each n // clients requests)."""
    path = f"/api/v1/{scenario.entity}"
    queries = [scenario.query(t) for t in scenario.targets]
    per = max(1, n // clients)
    start = time.perf_counter()

    def worker(k: int) -> list[float]:
        out = []
        with httpx.Client(base_url=base, timeout=120, headers=AUTH) as client:
            for i in range(per):
                t0 = time.perf_counter()
                resp = client.get(path, params=queries[(i + k) % len(queries)])
                resp.raise_for_status()
                out.append(time.perf_counter() - t0)
                if out[-1] + t0 - start > BUDGET:
                    break
        return out

    series = Series()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        for samples in pool.map(worker, range(clients)):
            series.samples.extend(samples)
    series.wall = time.perf_counter() - start
    return series


# --- query plans ---------------------------------------------------------------------------


def explain(target: Target, conn, sql: str, params: Any) -> str:
    if target.dialect == "sqlite":
        rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
        return "\n".join(f"{'  ' * depth(rows, r)}{r[3]}" for r in rows)
    cur = target.psycopg.ClientCursor(conn)  # literals inlined: the custom plan of these values
    cur.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", params)
    return "\n".join(r[0] for r in cur.fetchall())


def depth(rows: list[tuple], row: tuple) -> int:
    parents = {r[0]: r[1] for r in rows}
    d, parent = 0, row[1]
    while parent in parents:
        d += 1
        parent = parents[parent]
    return d


def explain_generic(target: Target, conn, sql: str, params: dict) -> str:
    """PostgreSQL: the generic plan a prepared statement may switch to after 5 executions."""
    names = list(params)
    body = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m.group(1)) + 1}", sql)
    body = body.replace("%%", "%")  # psycopg's escaped literal percent
    conn.execute("SET plan_cache_mode = force_generic_plan")
    try:
        conn.execute(f"PREPARE bench_generic AS {body}")
        cur = target.psycopg.ClientCursor(conn)
        args = ", ".join(["%s"] * len(names))
        cur.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE bench_generic({args})",
                    [params[k] for k in names])
        return "\n".join(r[0] for r in cur.fetchall())
    finally:
        conn.execute("DEALLOCATE ALL")
        conn.execute("RESET plan_cache_mode")


def plan_flags(text: str) -> str:
    flags = []
    if re.search(r"^\s*SCAN \"?\w+\"?\s*$", text, re.M) or "Seq Scan" in text:
        flags.append("full scan")
    sort = re.search(r"^\s*(->\s*)?(Incremental )?Sort\b", text, re.M)
    if "TEMP B-TREE FOR ORDER BY" in text or sort:
        flags.append("sort")
    if "USING INDEX" in text or "USING COVERING INDEX" in text or "Index" in text:
        flags.append("index")
    return ", ".join(flags) or "-"


# --- candidate indexes (created in the bench DB only, dropped afterwards) ------------------

@dataclass
class Experiment:
    label: str
    do: list[str]
    undo: list[str]
    prefixes: tuple[str, ...]  # the scenario keys it is meant for
    dialects: tuple[str, ...] = ("sqlite", "postgres")
    session: list[str] = field(default_factory=list)  # also run on the raw connection
    session_undo: list[str] = field(default_factory=list)
    app: dict[str, str] = field(default_factory=dict)  # env of benchmarks.app_variants


def _index(name_: str, table: str, columns: str, using: str = "") -> tuple[list[str], list[str]]:
    return ([f'CREATE INDEX {name_} ON "{table}" {using}({columns})'], [f"DROP INDEX {name_}"])


PARTIAL_OPEN_DUE = ('CREATE INDEX bench_ix_case__open_due ON "case" (due_at, grid_code) WHERE '
                    "status IN ('reported', 'filed', 'dispatched', 'processing', 'handled')")
NO_STATS = ["DROP TABLE IF EXISTS sqlite_stat1", "DROP TABLE IF EXISTS sqlite_stat4"]
EXPERIMENTS = [
    Experiment("index case (grid_code, status, due_at)",
               *_index("bench_ix_case__grid_status_due", "case", "grid_code, status, due_at"),
               ("cases_open_due",)),
    Experiment("index case (status, grid_code, due_at)",
               *_index("bench_ix_case__status_grid_due", "case", "status, grid_code, due_at"),
               ("cases_open_due",)),
    Experiment("partial index case (due_at, grid_code) WHERE status IN (open)",
               [PARTIAL_OPEN_DUE], ["DROP INDEX bench_ix_case__open_due"], ("cases_open_due",)),
    Experiment("partial index (due_at, grid_code) WHERE open + index (status, grid_code, due_at)",
               [PARTIAL_OPEN_DUE, 'CREATE INDEX bench_ix_case__status_grid_due ON "case" '
                '(status, grid_code, due_at)'],
               ["DROP INDEX bench_ix_case__open_due", "DROP INDEX bench_ix_case__status_grid_due"],
               ("cases_open_due",)),
    Experiment("index resident (grid_code, key_groups)",
               *_index("bench_ix_resident__grid_key_groups", "resident", "grid_code, key_groups"),
               ("residents_dibao",)),
    Experiment("index resident (grid_code, id)",
               *_index("bench_ix_resident__grid_id", "resident", "grid_code, id"),
               ("residents_grid",), ("postgres",)),
    Experiment("GIN pg_trgm index on resident.key_groups",
               ["CREATE EXTENSION IF NOT EXISTS pg_trgm",
                "CREATE INDEX bench_ix_resident__key_groups_trgm ON resident "
                "USING gin (key_groups gin_trgm_ops)"],
               ["DROP INDEX bench_ix_resident__key_groups_trgm"], ("residents_dibao",),
               ("postgres",)),
    Experiment("index case (grid_code, reported_at)",
               *_index("bench_ix_case__grid_reported", "case", "grid_code, reported_at"),
               ("cases_grid_recent",)),
    Experiment("PRAGMA cache_size=-262144 (256 MiB), mmap_size=1 GiB (app and raw)", [], [],
               ("cases_open_due", "residents_dibao"), ("sqlite",),
               session=["PRAGMA cache_size=-262144", "PRAGMA mmap_size=1073741824"],
               session_undo=["PRAGMA cache_size=-2000", "PRAGMA mmap_size=0"],
               app={"GRIDLINK_BENCH_SQLITE_PRAGMAS": "cache_size=-262144;mmap_size=1073741824"}),
    Experiment("control: the unchanged app, restarted like the variants below", [], [],
               ("residents_grid", "cases_open_due_nocount"),
               app={"GRIDLINK_BENCH_CONTROL": "1"}),
    Experiment("async def request dependencies (app only)", [], [],
               ("residents_grid", "cases_open_due_nocount"),
               app={"GRIDLINK_BENCH_ASYNC_DEPS": "1"}),
    Experiment("ANALYZE (sqlite_stat1), no new index", ["ANALYZE"], NO_STATS,
               ("cases_open_due", "residents_dibao"), ("sqlite",)),
    Experiment("ANALYZE + index case (status, grid_code, due_at)",
               ['CREATE INDEX bench_ix_case__status_grid_due ON "case" '
                "(status, grid_code, due_at)", "ANALYZE"],
               ["DROP INDEX bench_ix_case__status_grid_due", *NO_STATS], ("cases_open_due",),
               ("sqlite",)),
]


# --- the run -------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.1f} GiB"
    except (OSError, ValueError):
        pass
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "ram": mem,
            "os": platform.platform(), "python": platform.python_version()}


def versions(target: Target, conn) -> str:
    import fastapi
    import psycopg
    import sqlalchemy
    import starlette
    import uvicorn

    parts = [f"Python {platform.python_version()}", f"FastAPI {fastapi.__version__}",
             f"Starlette {starlette.__version__}", f"uvicorn {uvicorn.__version__}",
             f"SQLAlchemy {sqlalchemy.__version__}", f"httpx {httpx.__version__}",
             f"orjson {orjson.__version__}"]
    if target.dialect == "sqlite":
        parts.append(f"SQLite {sqlite3.sqlite_version}")
    else:
        parts.append(f"psycopg {psycopg.__version__}")
        server = conn.execute("SHOW server_version").fetchone()[0]
        buffers = conn.execute("SHOW shared_buffers").fetchone()[0]
        work_mem = conn.execute("SHOW work_mem").fetchone()[0]
        parts.append(f"PostgreSQL {server} (shared_buffers {buffers}, work_mem {work_mem})")
    return ", ".join(parts)


def ms(x: float) -> str:
    return f"{x:.2f}" if x < 10 else f"{x:.1f}"


def run(args: argparse.Namespace) -> str:
    log = (lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    target = target_for(args)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    args.load_before = os.getloadavg()[0]
    meta = prepare(target, log)
    areas, grids = area_tree()
    communities = [a[0] for a in areas if a[2] == "community"]
    grid_codes = [g[0] for g in grids]
    all_scenarios = scenarios(communities, grid_codes)
    if args.only:
        all_scenarios = [s for s in all_scenarios if any(s.key.startswith(o) for o in args.only)]

    db = Database(target.url())
    conn = target.connect()
    captured = {s.key: [capture_sql(db, s, t) for t in s.targets] for s in all_scenarios}

    n, warmup = args.requests, args.warmup
    results: dict[str, dict[str, Any]] = {}
    log(f"timing {len(all_scenarios)} scenarios x {n} requests ...")
    server = Server(target.url())
    try:
        health = Series()  # the floor, sampled in every round of every scenario
        for s in all_scenarios:
            caps = captured[s.key]
            if args.sequential:  # each series after the other (as before 2026-11-29)
                raw, raw_json = time_raw(conn, caps, n, warmup)
                inproc = time_inprocess(db, s, n, warmup)
                http = time_http(server.base, s, n, warmup, caps)
            else:
                timed = time_interleaved(db, conn, server.base, s, caps, n, warmup, health)
                raw, raw_json, inproc, http = (timed[k] for k in ("raw", "raw_json", "inproc",
                                                                  "http"))
            conc = (time_http_concurrent(server.base, s, n, args.concurrency)
                    if args.concurrency > 1 else None)
            results[s.key] = {"raw": raw, "raw_json": raw_json, "inproc": inproc, "http": http,
                              "conc": conc}
            log(f"  {s.label}: API p50 {http.p50:.2f} ms, raw {raw.p50:.2f} ms, "
                f"ratio {http.p50 / raw.p50:.1f}x, in-proc {inproc.p50:.2f} ms")
        if args.sequential:
            health = time_health(server.base, n, warmup)
        health.wall = sum(health.samples)
        log(f"  GET /api/v1/health: p50 {health.p50:.2f} ms")

        plans = explain_all(target, conn, all_scenarios, captured)

        experiments = []
        if args.try_indexes:
            experiments = try_indexes(target, conn, server, all_scenarios, captured, args, log)
    finally:
        server.stop()
        db.dispose()

    results["health"] = {"http": health}
    report = render(target, conn, meta, all_scenarios, captured, results, plans, experiments,
                    args, time.perf_counter() - started)
    conn.close()
    return report


def explain_all(target, conn, all_scenarios, captured) -> list[tuple[str, str, str, str]]:
    """(scenario, which, sql, plan) of the first target of every counting scenario."""
    out = []
    for s in all_scenarios:
        if not s.count:
            continue
        cap = captured[s.key][0]
        for which, (sql, params) in (("page", cap.page), ("count", cap.count or cap.page)):
            if which == "count" and cap.count is None:
                continue
            out.append((s.title, which, inline(target, sql, params),
                        explain(target, conn, sql, params)))
            if target.dialect == "postgres":
                out.append((s.title, which + " (generic plan)", "",
                            explain_generic(target, conn, sql, params)))
    return out


def inline(target: Target, sql: str, params: Any) -> str:
    """The SQL with its parameters shown inline (for reading only)."""
    if target.dialect == "sqlite":
        values = iter(params)
        return re.sub(r"\?", lambda _m: repr(next(values)), sql)
    return re.sub(r"%\((\w+)\)s", lambda m: repr(params[m.group(1)]), sql)


def try_indexes(target, conn, server, all_scenarios, captured, args, log) -> list[dict]:
    """Apply each experiment, re-time its scenarios (raw SQL and API), undo it again."""
    out = []
    n = max(20, args.requests // 2)
    for exp in EXPERIMENTS:
        affected = [s for s in all_scenarios if s.key.startswith(exp.prefixes)]
        if target.dialect not in exp.dialects or not affected:
            continue
        if args.experiments and not any(x in exp.label for x in args.experiments):
            continue
        t0 = time.perf_counter()
        for sql in exp.do:
            conn.execute(sql.replace("{db}", getattr(target, "dbname", "")))
        for sql in exp.session:
            conn.execute(sql)
        if exp.app:
            server.restart(exp.app)
        if target.dialect == "postgres":
            conn.execute("ANALYZE resident")
            conn.execute('ANALYZE "case"')
        build = time.perf_counter() - t0
        log(f"  experiment {exp.label}: applied in {build:.1f} s")
        try:
            for s in affected:
                caps = captured[s.key]
                raw, _ = time_raw(conn, caps, n, args.warmup)
                http = time_http(server.base, s, n, args.warmup, caps)
                plan = ""
                if s.count:
                    plan = "\n".join(f"-- {w}\n" + explain(target, conn, *sql) for w, sql in
                                     (("page", caps[0].page), ("count", caps[0].count)))
                out.append({"label": exp.label, "ddl": "; ".join(exp.do), "build": build,
                            "scenario": s.label, "key": s.key, "raw": raw, "http": http,
                            "plan": plan})
                log(f"    {s.label}: raw {raw.p50:.2f} ms, API {http.p50:.2f} ms")
        finally:
            for sql in exp.undo:
                conn.execute(sql.replace("{db}", getattr(target, "dbname", "")))
            for sql in exp.session_undo:
                conn.execute(sql)
            if exp.app:
                server.restart()
    return out


def render(target, conn, meta, all_scenarios, captured, results, plans, experiments, args,
           elapsed) -> str:
    m = machine()
    counts = meta.get("counts") or target.counts() or {}
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    title = "SQLite" if target.dialect == "sqlite" else "PostgreSQL"
    lines = [
        f"## {title}: {args.residents:,} residents, {args.cases:,} cases",
        "",
        f"- Run: {now}, `{' '.join(['python', 'benchmarks/list_pages.py', *sys.argv[1:]])}` "
        f"({elapsed:.0f} s in all)",
        f"- Machine: {m['nproc']} cores ({m['cpu']}), {m['ram']} RAM, {m['os']}; 1-min load "
        f"average {args.load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
        "(anything else running shows here)",
        f"- Versions: {versions(target, conn)}",
        "- Data: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + "; "
        + target.describe_size(),
        "- Load: " + (
            f"reused the data built {meta['built']} (load then took {meta['load_seconds']} s)"
            if meta.get("reused") else f"{meta['load_seconds']} s")
        + " — " + ", ".join(f"{k} {v} s" for k, v in meta["table_seconds"].items())
        + f"; migrate {meta['migrate_seconds']} s",
        f"- {args.requests} requests per row after {args.warmup} warm-up ones, cycling through "
        f"the 9 communities / 40 grids, "
        + ("each series after the other" if args.sequential else
           "raw, in-proc, API and health taken in turn (one of each per round, so that all "
           "see the same load)")
        + "; API = real app over HTTP (uvicorn, 1 worker, httpx "
        f"keep-alive, sequential); raw = the same SQL on a "
        f"{'sqlite3' if target.dialect == 'sqlite' else 'psycopg'} "
        f"connection, rows fetched; +json = raw plus dicts and orjson; in-proc = the route body "
        f"(parse, SQLAlchemy session, orjson) without HTTP; req/s @{args.concurrency} = "
        f"{args.concurrency} clients at once.",
        "",
        "| query | count | rows / total | API p50 ms | API p95 ms | API req/s | "
        f"req/s @{args.concurrency} | raw p50 ms | raw p95 ms | raw+json p50 | in-proc p50 | "
        "in-proc / raw | **API / raw p50** | n |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for s in all_scenarios:
        r = results[s.key]
        cap = captured[s.key][0]
        total = "-" if cap.total is None else f"{cap.total:,}"
        conc = f"{r['conc'].rps:.0f}" if r["conc"] else "-"
        ratio = r["http"].p50 / r["raw"].p50
        lines.append(
            f"| {s.title} | {'yes' if s.count else 'no'} | {cap.rows} / {total} | "
            f"{ms(r['http'].p50)} | {ms(r['http'].p95)} | {r['http'].rps:.0f} | {conc} | "
            f"{ms(r['raw'].p50)} | {ms(r['raw'].p95)} | {ms(r['raw_json'].p50)} | "
            f"{ms(r['inproc'].p50)} | {r['inproc'].p50 / r['raw'].p50:.1f}x | "
            f"**{ratio:.1f}x**{'' if ratio <= 3 else ' ✗'} | "
            f"{len(r['http'].samples)} |")
    h = results["health"]["http"]
    lines += ["", f"The floor: `GET /api/v1/health` (sync route, no database) p50 {ms(h.p50)} ms, "
              f"p95 {ms(h.p95)} ms, {h.rps:.0f} req/s"
              + ("." if args.sequential else f" ({len(h.samples)} samples, one per round of "
                 "every row above)."), "",
              "rows / total: of the first community/grid; ✗ = above the 3x target; n = timed "
              f"requests of the API row (a series stops after {BUDGET:.0f} s).", ""]

    lines += ["### Query plans", "",
              "First community/grid of each query; "
              + ("`EXPLAIN QUERY PLAN`, no sqlite_stat1 (the app never runs ANALYZE)."
                 if target.dialect == "sqlite" else
                 "`EXPLAIN (ANALYZE, BUFFERS)` after VACUUM ANALYZE; the custom plan (literal "
                 "values), which is what the app gets, and the generic plan a prepared statement "
                 "may switch to after five executions. The app's statements are never prepared "
                 "today (psycopg prepares a query on its 5th execution on a connection but "
                 "forgets all prepared statements on rollback(), which ends every request); an "
                 "engine that kept them (autocommit, asyncpg) would get the generic plan."), ""]
    for title_, which, sql, plan in plans:
        lines.append(f"**{title_} — {which}** ({plan_flags(plan)})")
        lines.append("")
        lines.append("```")
        if sql:
            lines.append(sql)
            lines.append("--")
        lines.append(plan)
        lines.append("```")
        lines.append("")

    if experiments:
        lines += ["### Experiments (applied in the bench DB, timed, undone)", "",
                  f"{max(20, args.requests // 2)} requests each.", "",
                  "| change | applied in s | query | raw p50 before → after ms | "
                  "API p50 before → after ms |",
                  "|---|--:|---|--:|--:|"]
        for e in experiments:
            before = results[e["key"]]
            lines.append(
                f"| {e['label']} | {e['build']:.1f} | {e['scenario']} | "
                f"{ms(before['raw'].p50)} → {ms(e['raw'].p50)} | "
                f"{ms(before['http'].p50)} → {ms(e['http'].p50)} |")
        lines.append("")
        for e in experiments:
            if e["plan"]:
                lines += [f"**{e['label']} — {e['scenario']}** ({plan_flags(e['plan'])})", "",
                          "```", e["plan"], "```", ""]
    return "\n".join(lines)


def write_results(report: str, key: str, path: Path) -> None:
    start, end = f"<!-- list_pages:{key} -->", f"<!-- /list_pages:{key} -->"
    block = f"{start}\n{report.rstrip()}\n{end}\n"
    text = path.read_text() if path.exists() else (
        "# List API benchmark results\n\nWritten by `benchmarks/list_pages.py` (see "
        "benchmarks/README.md); each section is replaced when its DB and size are re-run.\n\n")
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1].lstrip("\n")
        text = before + block + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text)


def main(argv: list[str] | None = None) -> None:
    global BUDGET, DATA_DIR
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--residents", type=int, default=500_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300, help="timed requests per query")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=4,
                        help="clients at once for the throughput column (1 = skip)")
    parser.add_argument("--sequential", action="store_true",
                        help="time raw, in-proc and API one series after the other instead of "
                        "in turn (the default since 2026-11-29)")
    parser.add_argument("--budget", type=float, default=BUDGET,
                        help="seconds per timed series at most (slow queries get fewer samples)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the data even if reusable")
    parser.add_argument("--try-indexes", action="store_true",
                        help="also time candidate indexes (created, then dropped)")
    parser.add_argument("--only", nargs="*", help="scenario key prefixes, e.g. cases_open_due")
    parser.add_argument("--experiments", nargs="*",
                        help="with --try-indexes: only experiments whose label contains one "
                        "of these")
    parser.add_argument("--pg-admin-url", default=DEFAULT_PG_ADMIN,
                        help="a PostgreSQL database to CREATE/DROP the bench database from")
    parser.add_argument("--drop", action="store_true", help="drop the bench data afterwards")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR,
                        help="where the SQLite file, its .json and uvicorn.log go "
                        "(default: GRIDLINK_BENCH_DATA_DIR or benchmarks/data)")
    parser.add_argument("--results", type=Path, default=RESULTS_PATH)
    parser.add_argument("--no-results", action="store_true", help="print only")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    BUDGET = args.budget
    DATA_DIR = args.data_dir.resolve()

    report = run(args)
    print(report)
    if not args.no_results:
        write_results(report, f"{args.db}:{args.residents}:{args.cases}", args.results)
        print(f"\n(written to {args.results})", file=sys.stderr)
    if args.drop:
        target = target_for(args)
        target.drop()
        target.meta_path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
