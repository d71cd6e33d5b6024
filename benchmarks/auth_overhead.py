"""What authorization costs a list request: the same page with and without the check.

Two real uvicorn workers on one seeded SQLite file (or PostgreSQL database): the app as it
ships, and the same app with the caller dependency replaced by the system caller (no token
check, no policy, no scope, no masking). Requests alternate between the two so that drift on
a shared 2-core machine hits both alike. The page: residents of one grid, 50 rows, sorted by id,
as each demo account that may read it (its scope applied in SQL, personal data masked for some)
and with an API key.

    python benchmarks/auth_overhead.py [--db sqlite|postgres] [--scale 2] [--requests 400]

Target: authorization adds at most 10 % to the median.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.results import machine, write_section  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
SECTION = "## Authorization overhead (auth_overhead.py)"
SECRET = "benchmark-secret-key-of-at-least-32-bytes"


def create_bypass_app():
    """The shipped app with every request acting as the system: authorization bypassed."""
    from backend.api.deps import get_caller
    from backend.app import create_app
    from backend.core.crud import Caller

    app = create_app()
    app.dependency_overrides[get_caller] = lambda: Caller.system("benchmark")
    return app


def prepare(db: str, scale: int) -> str:
    from backend import migrations
    from backend.core.db import Database
    from backend.seed import is_empty, run_seed

    if db == "sqlite":
        DATA.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{DATA / f'auth_overhead_s{scale}.db'}"
    else:
        admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test",
                              isolation_level="AUTOCOMMIT")
        name = f"gridlink_bench_auth_s{scale}"
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                            {"n": name}).first() is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    migrations.upgrade(url)
    database = Database(url)
    if is_empty(database):
        started = time.perf_counter()
        run_seed(database, scale=scale, progress=False, demo_password="gridlink-demo")
        print(f"seeded scale {scale} in {time.perf_counter() - started:.1f}s")
    database.dispose()
    return url


def start(url: str, factory: str, port: int, stack: ExitStack) -> str:
    env = os.environ | {"PYTHONPATH": str(ROOT), "GRIDLINK_DATABASE_URL": url,
                        "GRIDLINK_SECRET_KEY": SECRET}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", factory, "--port", str(port),
         "--log-level", "warning", "--no-access-log"], cwd=ROOT, env=env)
    stack.callback(process.wait)
    stack.callback(process.terminate)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/api/v1/health").status_code == 200:
                return base
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{factory} did not start")


def layout(url: str) -> tuple[str, str]:
    """(the chief's grid, an API key for dept-sanitation's user... or the admin)"""
    from backend.identity.models import RoleAssignment, User

    engine = create_engine(url.replace("postgresql+psycopg", "postgresql+psycopg"))
    with engine.connect() as conn:
        grid = conn.execute(
            select(RoleAssignment.area_code).join(User, User.id == RoleAssignment.user_id)
            .where(User.username == "chief")).scalar_one()
    engine.dispose()
    return grid


def api_key_for(url: str, username: str) -> str:
    from backend.core.db import Database
    from backend.identity import service
    from backend.identity.models import User

    database = Database(url)
    with database.session() as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        _, key = service.create_api_key(session, user.id, "benchmark")
        session.commit()
    database.dispose()
    return key


def measure(args) -> list[dict]:
    url = prepare(args.db, args.scale)
    grid = layout(url)
    rows = []
    with ExitStack() as stack:
        checked = start(url, "backend.app:create_app", 18711, stack)
        bypassed = start(url, "benchmarks.auth_overhead:create_bypass_app", 18712, stack)
        http = stack.enter_context(httpx.Client(timeout=30))
        callers = {}
        for username in ("admin", "leader", "secretary", "chief", "member"):
            token = http.post(f"{checked}/api/v1/auth/token",
                              data={"username": username, "password": "gridlink-demo"}).json()
            callers[f"{username} (token)"] = {"Authorization": f"Bearer {token['access_token']}"}
        callers["admin (API key)"] = {"X-API-Key": api_key_for(url, "admin")}
        params = {"grid_code": grid, "limit": 50}
        for label, headers in callers.items():
            with_auth, without = [], []
            for i in range(args.warmup + args.requests):
                for base, sink, hdrs in ((checked, with_auth, headers), (bypassed, without, {})):
                    started = time.perf_counter()
                    response = http.get(f"{base}/api/v1/residents", params=params, headers=hdrs)
                    elapsed = time.perf_counter() - started
                    assert response.status_code == 200, response.text
                    if i >= args.warmup:
                        sink.append(elapsed * 1000)
            p50_on, p50_off = statistics.median(with_auth), statistics.median(without)
            rows.append({"caller": label, "with": p50_on, "without": p50_off,
                         "overhead": (p50_on / p50_off - 1) * 100,
                         "p95_with": statistics.quantiles(with_auth, n=20)[18],
                         "p95_without": statistics.quantiles(without, n=20)[18]})
            print(f"{label:18} with {p50_on:6.2f} ms  without {p50_off:6.2f} ms  "
                  f"overhead {rows[-1]['overhead']:+5.1f} %")
    return rows




def record(args, rows: list[dict]) -> None:
    table = [
        f"{SECTION} — {args.db}, seed scale {args.scale}",
        "",
        f"Run {dt.date.today().isoformat()} on {machine()}. Page: residents of one grid, 50 rows; "
        f"{args.requests} requests per caller after {args.warmup} warm-up, alternating between "
        "the shipped app and the same app with the caller dependency replaced by the system "
        "(no token, policy, scope or masking). Medians in ms.",
        "",
        "| caller | p50 with auth | p50 bypassed | overhead | p95 with | p95 bypassed |",
        "|---|---|---|---|---|---|",
    ]
    table += [f"| {r['caller']} | {r['with']:.2f} | {r['without']:.2f} | {r['overhead']:+.1f} % | "
              f"{r['p95_with']:.2f} | {r['p95_without']:.2f} |" for r in rows]
    write_section(f"{SECTION} — {args.db}", "\n".join(table) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args()
    rows = measure(args)
    if not args.no_results:
        record(args, rows)


if __name__ == "__main__":
    main()
