#!/usr/bin/env python
"""What the KPI indexes (0011_kpi) and the open cases' tally (0014_open_case_tally, its
triggers and index) add to the workflow's writes, on SQLite.

    export GRIDLINK_BENCH_DATA_DIR=/tmp/gridlink-bench
    .venv/bin/python benchmarks/kpi_writes.py          # needs kpi.py's data (1M cases)

Three copies of kpi.py's SQLite file: at the schema before 0011_kpi, before the tally, and
at head. On each, the same --cases reports go through the real service
(crud.create_row, then workflow.perform: file, dispatch, accept, feedback, close), one
transaction per step, in turn on both copies; the time per step is compared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import list_pages as lp  # noqa: E402
from results import machine, write_section  # noqa: E402

from backend.cases import workflow  # noqa: E402
from backend.cases.entities import CASES  # noqa: E402
from backend.cases.schemas import CaseCreate  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.core.crud import Caller, create_row  # noqa: E402
from backend.core.db import Database  # noqa: E402
from backend.migrations import downgrade  # noqa: E402

STEPS = (("file", {}), ("dispatch", {}), ("accept", {}), ("feedback", {"note": "已处理"}),
         ("close", {}))


def database(path: Path) -> Database:
    url = f"sqlite:///{path}"
    return Database(url, settings=Settings(database_url=url, secret_key="k" * 32))


def play(db: Database, n: int) -> list[float]:
    """Seconds per write (the report and each step), for n reports."""
    caller = Caller.system("benchmark")
    times = []
    with db.session() as session:
        for i in range(n):
            t0 = time.perf_counter()
            case = create_row(session, CASES, CaseCreate(
                source="patrol", category_code="05002", title=f"积存垃圾 {i}",
                grid_code=f"{lp.COUNTY}001001001"), caller)
            times.append(time.perf_counter() - t0)
            for action, body in STEPS:
                t0 = time.perf_counter()
                workflow.perform(session, case.id, action, body, caller)
                times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args()
    source = lp.DATA_DIR / "kpi_r500000_c1000000.db"
    copies = {"before 0011_kpi": lp.DATA_DIR / "kpi_writes_before.db",
              "before 0014_open_case_tally": lp.DATA_DIR / "kpi_writes_before_tally.db",
              "at head": lp.DATA_DIR / "kpi_writes_head.db"}
    schemas = {"before 0011_kpi": "0008_pii", "before 0014_open_case_tally": "0013_category_time"}
    for label, path in copies.items():
        shutil.copyfile(source, path)
        if label in schemas:
            downgrade(f"sqlite:///{path}", schemas[label])
    dbs = {label: database(path) for label, path in copies.items()}
    samples: dict[str, list[float]] = {label: [] for label in dbs}
    for _ in range(args.rounds):  # in turn, so that a busy moment falls on both
        for label, db in dbs.items():
            samples[label] += play(db, args.cases)
    lines = []
    for label, times in samples.items():
        ordered = sorted(times)
        lines.append(f"| {label} | {len(times)} | {statistics.median(times) * 1000:.2f} | "
                     f"{ordered[int(0.95 * (len(ordered) - 1))] * 1000:.2f} | "
                     f"{sum(times) / len(times) * 1000:.2f} |")
    for db in dbs.values():
        db.dispose()
    for path in copies.values():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    marker = "## KPI indexes, the tally and the workflow's writes (kpi_writes.py)"
    section = "\n".join([
        marker, "",
        f"{dt.date.today().isoformat()}; {machine()}; SQLite, 1,000,000 cases; "
        f"{args.cases} reports x {args.rounds} rounds, each through create and 5 workflow "
        "steps (file, dispatch, accept, feedback, close), a transaction each. Milliseconds "
        "per write.", "",
        "| schema | writes | p50 | p95 | mean |", "|---|---|---|---|---|", *lines, ""])
    print(section)
    if not args.no_results:
        write_section(marker, section)


if __name__ == "__main__":
    main()
