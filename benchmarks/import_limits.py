"""Hostile uploads against a real uvicorn worker: the answer, its time and the worker's memory.

    python benchmarks/import_limits.py                   # every case, results to RESULTS.md
    python benchmarks/import_limits.py --legit-rows 0    # hostile files only
    python benchmarks/import_limits.py --no-results

One worker (`uvicorn --factory backend.app:create_app`, SQLite) receives, one after another,
the files of tests/hostile_files.py (a row of millions of cells packed into KBs, a sheet
declaring A1:XFD1048576, 2 million blank formatted cells, a CSV of one endless line, an upload
of 12 MB, ...) and then real imports of N residents (xlsx, all_or_nothing, to the end). Before
each case the worker's peak resident memory is reset (`echo 5 > /proc/PID/clear_refs`); after
it, VmHWM is the most the case made the worker hold. The time is the upload's answer (for a
real import: until its job has finished).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.import_residents import build_world, fresh_database, resident_rows, xlsx_bytes  # noqa: E402
from benchmarks.import_writers import SECRET, tokens_for  # noqa: E402
from benchmarks.results import machine, write_section  # noqa: E402
from tests import hostile_files as files  # noqa: E402
from tests.builders import ok  # noqa: E402
from tests.servers import uvicorn_process  # noqa: E402

SECTION = "## Hostile uploads (import_limits.py)"

HOSTILE = {
    "one row of 5,000,000 empty cells (the issue's file)":
        lambda: (files.one_row_of_empty_cells(5_000_000), "a.xlsx"),
    "one row of 300,000 numbers (packs 4x)": lambda: (files.one_row_of_numbers(300_000), "a.xlsx"),
    "a sheet declaring A1:XFD1048576":
        lambda: (files.xlsx_with_rows([], dimension="A1:XFD1048576"), "a.xlsx"),
    "2,000,100 blank formatted cells (100 columns)":
        lambda: (files.blank_formatted_rows(20_001, 100), "a.xlsx"),
    "1,990,000 blank formatted cells (within the limits)":
        lambda: (files.blank_formatted_rows(19_900, 100), "a.xlsx"),
    "a zip of 1,000 extra parts": lambda: (files.zip_of_many_parts(1_000), "a.xlsx"),
    "a CSV whose second line is 9,000,000 characters":
        lambda: (files.csv_of_one_line(9_000_000), "a.csv"),
    "an upload of 12 MB": lambda: (os.urandom(12 * 2**20), "a.xlsx"),
}


class Settings:
    """What tests.servers.uvicorn_process reads."""

    def __init__(self, url: str) -> None:
        self.database_url, self.secret_key = url, SECRET


def clear_residents(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM resident"))
        conn.execute(text("DELETE FROM audit_log"))
    engine.dispose()


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def run(legit_rows: list[int]) -> list[dict]:
    from backend import migrations
    from backend.core.db import Database

    url, drop = fresh_database("sqlite", "")
    results = []
    try:
        migrations.upgrade(url)
        database = Database(url)
        household_ids = build_world(database, int(max(legit_rows, default=0) / 2.5) + 1)
        tokens_for(database)
        cases = dict(HOSTILE)
        for rows in legit_rows:
            cases[f"a real import of {rows:,} residents"] = (
                lambda rows=rows: (xlsx_bytes(resident_rows(rows, household_ids)), "r.xlsx"))
        with uvicorn_process(Settings(url)) as worker, httpx.Client(
                base_url=worker.url, timeout=600) as http:
            started_mib = worker.peak_rss_mib()
            for name, build in cases.items():
                content, file_name = build()
                # A fresh token each time: on a busy machine a run outlasts one.
                http.headers["Authorization"] = f"Bearer {tokens_for(database)['secretary']}"
                reset_peak(worker.process.pid)
                before = worker.peak_rss_mib()
                started = time.monotonic()
                response = http.post("/api/v1/residents/import",
                                     files={"file": (file_name, content)})
                answer = response.json()
                while response.status_code == 202 and not answer["finished"]:
                    time.sleep(0.2)
                    answer = ok(http.get(f"/api/v1/imports/{answer['id']}"))
                seconds = time.monotonic() - started
                said = answer.get("detail", "")
                result = {"case": name, "kib": len(content) / 1024,
                          "status": response.status_code, "detail": said, "seconds": seconds,
                          "rss_before": before, "peak_rss": worker.peak_rss_mib(),
                          "started_mib": started_mib}
                print(result, flush=True)
                results.append(result)
                if response.status_code == 202:  # the next real import brings the same people
                    clear_residents(url)
        database.dispose()
        return results
    finally:
        drop()


def section(results: list[dict], note: str) -> str:
    lines = [
        SECTION, "",
        (f"Run {dt.date.today().isoformat()} ({note}); machine: {machine()}, 2 cores shared "
         "with other sessions. `python benchmarks/import_limits.py`."), "",
        ("One uvicorn worker on SQLite (its peak RSS right after start: "
         f"{results[0]['started_mib']:.0f} MiB). Each case is uploaded to "
         "`POST /api/v1/residents/import` as the community secretary; *peak RSS* is the "
         "worker's VmHWM over that case alone (reset before it), *time* until the answer (for "
         "a real import: until its job finished)."), "",
        "| case | file | answer | time | peak RSS |",
        "|---|--:|---|--:|--:|",
    ]
    for r in results:
        detail = r["detail"].replace("|", "/")
        lines.append(f"| {r['case']} | {r['kib']:,.0f} KiB | {r['status']} {detail} | "
                     f"{r['seconds']:.1f} s | {r['peak_rss']:.0f} MiB |")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--legit-rows", type=int, nargs="*", default=[50_000, 100_000])
    parser.add_argument("--note", default="")
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args()
    results = run([n for n in args.legit_rows if n])
    if not args.no_results:
        write_section(SECTION, section(results, args.note or "see note"))


if __name__ == "__main__":
    main()
