#!/usr/bin/env python
"""What intake's two lookups cost at a million cases: a report's likely duplicates and its hot
spot neighbours, each against its own SQL, in the same run.

    export GRIDLINK_BENCH_DATA_DIR=/tmp/gridlink-bench
    .venv/bin/python benchmarks/kpi.py --db sqlite      # builds the million-case file first
    .venv/bin/python benchmarks/intake_lookups.py       # then this, on that file

For the 200 newest cases with a point (as if each had just come in): `likely_duplicate`
(backend/cases/intake.py) and `nearby_reports` (backend/hotspots/service.py) through the ORM,
and the statement each sent, captured and re-run on a plain sqlite3 connection. Both ask for
one class's reports of the last days near a point: migration 0013_category_time's index
(category_code, reported_at) answers them; the category index alone walked a class's 25,000
cases. Results go to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from results import machine, write_section  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from backend.cases.intake import likely_duplicate  # noqa: E402
from backend.cases.models import Case  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.core.db import Database  # noqa: E402
from backend.hotspots.service import nearby_reports, rule_in_force  # noqa: E402
from backend.migrations import upgrade  # noqa: E402

MARKER = "## Intake lookups (intake_lookups.py)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", default=str(Path(os.environ.get(
        "GRIDLINK_BENCH_DATA_DIR", "/tmp/gridlink-bench")) / "kpi_r500000_c1000000.db"))
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args(argv)
    url = f"sqlite:///{args.file}"
    upgrade(url)
    settings = Settings(database_url=url, secret_key="x" * 40)
    database = Database(url, settings=settings)
    statements: list[tuple[str, object]] = []

    @event.listens_for(database.engine, "before_cursor_execute")
    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        statements.append((statement, parameters))

    raw = sqlite3.connect(f"file:{args.file}?mode=ro", uri=True)
    timings: dict[str, tuple[list[float], list[float]]] = {
        "likely_duplicate": ([], []), "nearby_reports": ([], [])}
    with database.session() as session:
        rule = rule_in_force(session)
        cases = session.execute(select(Case).where(Case.lat.is_not(None))
                                .order_by(Case.reported_at.desc()).limit(args.cases)).scalars()
        for case in cases:
            for name, call in (
                    ("likely_duplicate", lambda c=case: likely_duplicate(session, c)),
                    ("nearby_reports", lambda c=case: nearby_reports(
                        session, c, c.lat, c.lng, rule, c.reported_at))):
                statements.clear()
                started = time.perf_counter()
                call()
                orm = time.perf_counter() - started
                statement, parameters = statements[-1]
                started = time.perf_counter()
                raw.execute(statement, parameters).fetchall()
                timings[name][0].append(orm)
                timings[name][1].append(time.perf_counter() - started)
        plan = {name: raw.execute("EXPLAIN QUERY PLAN " + statements[-1][0],
                                  statements[-1][1]).fetchall() for name in ("nearby_reports",)}
    database.dispose()

    def ms(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if q != 50 else \
            statistics.median(values) * 1000

    lines = []
    for name, (orm, sql) in timings.items():
        lines.append(f"| `{name}` | {len(orm)} | {ms(sql, 50):.2f} | {ms(orm, 50):.2f} | "
                     f"{ms(orm, 95):.2f} | **{ms(orm, 50) / ms(sql, 50):.2f}x** |")
    section = "\n".join([
        MARKER, "",
        f"{dt.date.today().isoformat()}; {machine()}; load average {os.getloadavg()[0]:.1f}; "
        f"SQLite file {args.file} (1,000,000 cases). Milliseconds; raw: the statement the "
        "function sent, on a plain sqlite3 connection, right after it.",
        f"Plan: {plan['nearby_reports']}", "",
        "| lookup | n | raw p50 | app p50 | app p95 | app/raw |",
        "|---|---|---|---|---|---|",
        *lines, ""])
    print(section)
    if not args.no_results:
        write_section(MARKER, section)


if __name__ == "__main__":
    main()
