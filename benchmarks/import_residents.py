"""Importing 50,000 residents through the import service, against a raw bulk INSERT.

    python benchmarks/import_residents.py --db sqlite            # a SQLite file in benchmarks/data/
    python benchmarks/import_residents.py --db postgres          # a fresh database on the server
    python benchmarks/import_residents.py --rows 5000 --no-results   # smoke test

The file is what a community office would upload: an .xlsx (or --format csv) of 50,000
residents of 20,000 households in 10 grids, with household numbers (the grid comes from the
household), valid GB 11643 ID numbers (make_id_number, birth dates 1930-2020), mobile phones,
residence types as Chinese labels and key-group tags on 18 % of them.

1. **Service, end to end**: `imports.service.submit` as a community secretary — parse the
   file, create the job, check every row (schema, parent's grid, scope, FK, uniqueness in the
   ledger and within the file), write all rows with one audit entry each plus the import's,
   one commit, the job's progress updated every 1,000 rows.
   Its phases come from the job's progress: parse (and the job row), check, write (the
   transaction SQLite's other writers wait for).
2. **Raw**: the same rows, already validated, as one DB-API `executemany` INSERT in one
   transaction (no checks, no audit): the floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.results import machine, write_section  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
SECTION = "## Ledger import (import_residents.py)"
COUNTY, STREET, COMMUNITY = "410602", "410602001", "410602001002"
GRIDS = [f"{COMMUNITY}{n:03d}" for n in range(1, 11)]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "建国秀英桂兰志强丽娟海燕德明玉珍文华春梅晓东红霞永刚淑芬国庆小红子涵"
TYPES = ["户籍", "户籍", "户籍", "常住", "流动", "暂住"]
TAGS = ["低保", "空巢老人", "独居老人", "残疾人", "4050人员", "留守儿童", "困难群众"]
RELATIONS = ["户主", "配偶", "子女", "子女", "父母", "孙子女"]
HEADER = ["户编号", "姓名", "公民身份号码", "联系电话", "居住类型", "与户主关系", "重点人群标签"]


def fresh_database(kind: str, pg_admin_url: str) -> tuple[str, callable]:
    if kind == "sqlite":
        DATA.mkdir(parents=True, exist_ok=True)
        path = DATA / "import-bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}", lambda: None
    admin_url = make_url(pg_admin_url).set(drivername="postgresql+psycopg")
    name = f"gridlink_import_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.set(database=name).render_as_string(hide_password=False), drop


def build_world(database, households: int) -> list[int]:
    """County → street → community → 10 grids, 8 households per building."""
    from backend.areas.models import Area, Grid
    from backend.ledgers.models import Building, Household

    with database.session() as session:
        session.execute(insert(Area), [
            {"code": COUNTY, "name": "鹤山区", "level": "county", "parent_code": None},
            {"code": STREET, "name": "中山路街道", "level": "street", "parent_code": COUNTY},
            {"code": COMMUNITY, "name": "新华街社区", "level": "community",
             "parent_code": STREET}])
        session.execute(insert(Grid), [{"code": code, "name": f"新华街第{n}网格",
                                        "community_code": COMMUNITY, "level": "grid"}
                                       for n, code in enumerate(GRIDS, start=1)])
        buildings = -(-households // 8)
        session.execute(insert(Building), [
            {"grid_code": GRIDS[b % len(GRIDS)], "name": f"{b + 1}号楼",
             "address": f"新华街{b + 1}号院"} for b in range(buildings)])
        building_ids = list(session.execute(text("SELECT id FROM building ORDER BY id")).scalars())
        grid_of = dict(session.execute(text("SELECT id, grid_code FROM building")).all())
        session.execute(insert(Household), [
            {"building_id": building_ids[h // 8], "grid_code": grid_of[building_ids[h // 8]],
             "room": f"{h % 8 // 2 + 1}单元{h % 2 + 1}0{h % 8 + 1}", "is_rental": False}
            for h in range(households)])
        session.commit()
        return list(session.execute(text("SELECT id FROM household ORDER BY id")).scalars())


def resident_rows(count: int, household_ids: list[int]) -> list[list]:
    from backend.ledgers.id_number import make_id_number

    rng = random.Random(11)
    rows = []
    for i in range(count):
        sex = "male" if i % 2 else "female"
        # (birth date, sex, sequence) distinct for every row: 200 per date and sex.
        birth = dt.date(1930, 1, 1) + dt.timedelta(days=(i // 400) * 263 % 33000)
        number = make_id_number(COUNTY, birth, (i // 2) % 200, sex)
        tags = "、".join(rng.sample(TAGS, rng.choice((1, 1, 2)))) if rng.random() < 0.18 else None
        rows.append([household_ids[int(i / 2.5)], rng.choice(SURNAMES) + "".join(
            rng.sample(GIVEN, 2)), number, f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            rng.choice(TYPES), rng.choice(RELATIONS), tags])
    return rows


def xlsx_bytes(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("居民")
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list]) -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("gb18030")  # as Chinese Excel saves it


def secretary(database):
    from backend.audit.writer import Actor
    from backend.core.crud import Caller
    from backend.identity.policy_release import apply_default_policy
    from rbac.enforcer import PolicyEngine
    from rbac.scope import Grant, Principal

    apply_default_policy(database)
    principal = Principal(1, "secretary", "社区书记", (Grant("secretary", COMMUNITY),),
                          PolicyEngine(database))
    return Caller(principal, Actor("secretary", "benchmark", "127.0.0.1"))


def clear(database) -> None:
    with database.session() as session:
        for statement in ("DELETE FROM resident", "DELETE FROM audit_log",
                          "DELETE FROM import_job"):
            session.execute(text(statement))
        session.commit()
    if database.engine.dialect.name == "postgresql":
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE resident"))


def count(database, table: str) -> int:
    with database.session() as session:
        return session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def raw_insert(database, records: list[dict]) -> float:
    columns = list(records[0])
    raw = database.engine.raw_connection()
    try:
        mark = "?" if database.engine.dialect.name == "sqlite" else "%s"
        sql = (f"INSERT INTO resident ({', '.join(columns)}) "
               f"VALUES ({', '.join([mark] * len(columns))})")
        values = [tuple(r[c] for c in columns) for r in records]
        started = time.perf_counter()
        cursor = raw.cursor()
        cursor.executemany(sql, values)
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def raw_records(rows: list[list], household_grid: dict[int, str]) -> list[dict]:
    """The rows as the service stores them (derived sex and birth date, inherited grid)."""
    from backend.ledgers.id_number import parse_id_number
    from backend.ledgers.models import KeyGroup, ResidenceType

    labels = {m.label: m.value for m in ResidenceType}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    records = []
    for household, name, number, phone, kind, relation, tags in rows:
        info = parse_id_number(number)
        tag_list = [KeyGroup(t).value for t in tags.split("、")] if tags else []
        records.append({
            "grid_code": household_grid[household], "household_id": household, "name": name,
            "id_number": number, "sex": info.sex, "birth_date": info.birth_date, "phone": phone,
            "residence_type": labels[kind], "relation_to_head": relation,
            "key_groups": "|" + "|".join(tag_list) + "|" if tag_list else "", "note": None,
            "created_at": now, "updated_at": now, "version": 1})
    return records


def run(kind: str, rows_wanted: int, file_format: str, pg_admin_url: str) -> dict:
    from backend import migrations
    from backend.core.db import Database
    from backend.imports import service
    from backend.imports.models import ImportMode, ImportStatus

    url, drop = fresh_database(kind, pg_admin_url)
    try:
        migrations.upgrade(url)
        database = Database(url)
        household_ids = build_world(database, int(rows_wanted / 2.5) + 1)
        rows = resident_rows(rows_wanted, household_ids)
        started = time.perf_counter()
        content = xlsx_bytes(rows) if file_format == "xlsx" else csv_bytes(rows)
        build_s = time.perf_counter() - started
        caller = secretary(database)
        result: dict = {"db": kind, "rows": rows_wanted, "format": file_format,
                        "file_mib": len(content) / 2**20, "build_s": build_s}

        # 1. End to end, as the API and the admin panel call it; the phases from its progress.
        marks: dict[str, float] = {}

        def progress(outcome) -> None:
            now = time.perf_counter()
            if outcome.status is ImportStatus.queued:
                marks["parsed"] = now  # the file read and the job row created
            elif outcome.status is ImportStatus.writing:
                marks.setdefault("checked", now)

        result["load_before"] = os.getloadavg()[0]
        started, cpu = time.perf_counter(), time.process_time()
        view = service.submit(database, "residents", f"residents.{file_format}", content,
                              caller, ImportMode.all_or_nothing, inline_rows=10**9,
                              progress=progress)
        ended = time.perf_counter()
        result["service_s"] = ended - started
        result["service_cpu_s"] = time.process_time() - cpu
        result["load_after"] = os.getloadavg()[0]
        result["parse_s"] = marks["parsed"] - started
        result["check_s"] = marks["checked"] - marks["parsed"]
        result["write_s"] = ended - marks["checked"]
        assert view["status"] == "done" and view["written"] == rows_wanted, view
        assert count(database, "resident") == rows_wanted
        result["audit_rows"] = count(database, "audit_log")
        print(f"[{kind}] service end to end: {result['service_s']:.1f} s "
              f"(CPU of this process {result['service_cpu_s']:.1f} s): parse "
              f"{result['parse_s']:.1f} s, check {result['check_s']:.1f} s, write "
              f"{result['write_s']:.1f} s", flush=True)

        # 2. The same rows as a bare INSERT.
        with database.session() as session:
            household_grid = dict(
                session.execute(text("SELECT id, grid_code FROM household")).all())
        records = raw_records(rows, household_grid)
        clear(database)
        result["raw_s"] = raw_insert(database, records)
        assert count(database, "resident") == rows_wanted
        print(f"[{kind}] raw executemany INSERT: {result['raw_s']:.1f} s", flush=True)
        database.dispose()
        return result
    finally:
        drop()


def section(results: list[dict], note: str) -> str:
    lines = [
        SECTION,
        "",
        f"Run {dt.date.today().isoformat()} ({note}); machine: {machine()}, 2 cores shared with "
        "other sessions' test suites. "
        "`python benchmarks/import_residents.py --db sqlite|postgres`.",
        "",
        "N residents in one file (20,000 households in 10 grids; household numbers given, grid "
        "inherited; valid GB 11643 ID numbers; 18 % with key-group tags), imported as a community "
        "secretary in `all_or_nothing` mode. *Service* is `imports.service.submit` end to end "
        "(parse, job row, every create check, per-row audit entries + the import's, one commit). "
        "*Raw* is a DB-API `executemany` INSERT of the same, already valid rows in one "
        "transaction (no checks, no audit).",
        "",
        "| database | rows | file | service end to end | its CPU | parse | check | write | "
        "raw INSERT | service / raw | rows/s | load avg before → after |",
        "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        lines.append(
            f"| {r['db']} | {r['rows']:,} | {r['format']} {r['file_mib']:.1f} MiB | "
            f"**{r['service_s']:.1f} s** | {r['service_cpu_s']:.1f} s | {r['parse_s']:.1f} s | "
            f"{r['check_s']:.1f} s | {r['write_s']:.1f} s | {r['raw_s']:.2f} s | "
            f"{r['service_s'] / r['raw_s']:.0f}x | {r['rows'] / r['service_s']:,.0f} | "
            f"{r['load_before']:.1f} → {r['load_after']:.1f} |")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    parser.add_argument("--pg-admin-url", default=os.environ.get(
        "GRIDLINK_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--note", default="")
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args()
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    results = [run(kind, args.rows, args.format, args.pg_admin_url) for kind in kinds]
    for r in results:
        print(r)
    if not args.no_results:
        write_section(SECTION, section(results, args.note or "load: see note"))


if __name__ == "__main__":
    main()
