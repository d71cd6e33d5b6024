#!/usr/bin/env python
"""Where a fast list page's time goes inside the app: the ASGI app called directly, no HTTP.

    .venv/bin/python benchmarks/profile_list.py --db sqlite                 # timings only
    .venv/bin/python benchmarks/profile_list.py --db sqlite --profile       # + pyinstrument
    .venv/bin/python benchmarks/profile_list.py --db postgres --profile --inline

Uses the bench data of list_pages.py (same sizes and data dir; build it with list_pages.py
first). Each request is a plain ASGI call into `backend.app:create_app()` (lifespan started,
admin bearer token), so the figures are the whole app (middleware, routing, dependencies,
route body, response) without uvicorn, sockets and the client. Alongside, for the same pages:
`body` = the route's body alone (parse_list_query + crud.list_rows + orjson, as list_pages.py's
in-proc column) and `raw` = the captured SQL on a plain DB-API connection. `ASGI CPU` is the
process's CPU time per request (all threads; PostgreSQL's own work is not in it): steadier than
wall time on a busy machine.

--profile prints a pyinstrument profile of the ASGI calls. Sync dependencies and routes run
in the threadpool, which a profiler of the event loop's thread does not see: --inline runs
them on the loop instead (timings then leave out the thread hops; compare both to see them).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import list_pages as lp

PAGES = {
    "residents_grid": ("residents", lambda g, c: {"grid_code": g, "limit": "50"}),
    "cases_grid_recent": ("cases", lambda g, c: {"grid_code": g, "limit": "50"}),
    "cases_open_due": ("cases", lambda g, c: {"grid_code__startswith": c, "status__in": lp.OPEN,
                                              "sort": "due_at", "limit": "50"}),
}


def inline_threadpool() -> None:
    """Run what FastAPI would send to the threadpool on the event loop (profiling only)."""
    import contextlib

    import fastapi.concurrency
    import fastapi.dependencies.utils as dep_utils
    import fastapi.routing as routing

    async def run_inline(func, *args, **kwargs):
        return func(*args, **kwargs)

    @contextlib.asynccontextmanager
    async def cm_inline(cm):
        with cm as value:
            yield value

    routing.run_in_threadpool = run_inline
    dep_utils.run_in_threadpool = run_inline
    dep_utils.contextmanager_in_threadpool = cm_inline
    fastapi.concurrency.run_in_threadpool = run_inline


async def call(app, path: str, query: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": query.encode(), "headers": headers, "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000), "state": {},
    }
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


async def run(args: argparse.Namespace) -> None:
    target = lp.target_for(args)
    if not target.exists():
        sys.exit("no bench data: run benchmarks/list_pages.py with the same sizes first")
    url = target.url()
    auth = lp.admin_token(url)
    os.environ |= {"GRIDLINK_DATABASE_URL": url, "GRIDLINK_SECRET_KEY": lp.BENCH_SECRET,
                   "GRIDLINK_SLA_TICK_SECONDS": "0", "GRIDLINK_WEBHOOKS_ENABLED": "false"}
    if args.inline:
        inline_threadpool()
    from backend.app import create_app

    app = create_app()
    headers = [(b"host", b"127.0.0.1"), (b"authorization", auth["Authorization"].encode())]
    areas, grids = lp.area_tree()
    communities = [a[0] for a in areas if a[2] == "community"]
    conn = target.connect()
    print(f"{args.db}, load average {os.getloadavg()[0]:.2f}; p50 / mean ms over {args.n} "
          f"requests{' (threadpool inlined)' if args.inline else ''}")
    print("| page | count | ASGI p50 | ASGI CPU | body p50 | raw p50 |")
    print("|---|---|--:|--:|--:|--:|")
    async with app.router.lifespan_context(app):
        health: list[float] = []
        for i in range(-args.warmup, args.n):
            if i == 0:
                cpu0 = time.process_time()
            t0 = time.perf_counter()
            status, _ = await call(app, "/api/v1/health", "", headers)
            if i >= 0:
                health.append(time.perf_counter() - t0)
        cpu = (time.process_time() - cpu0) / args.n
        print(f"| /api/v1/health | | {statistics.median(health) * 1000:.3f} | "
              f"{cpu * 1000:.3f} | | |")
        for key in args.pages:
            entity, params = PAGES[key]
            for count in (True, False):
                bases = [params(grid[0], communities[n % len(communities)])
                         for n, grid in enumerate(grids)]
                scenario = lp.Scenario(key, key, entity, list(range(len(bases))),
                                       lambda t, bases=bases: bases[t], count)
                queries = [scenario.query(t) for t in scenario.targets]
                db = lp.Database(url)
                caps = [lp.capture_sql(db, scenario, t) for t in scenario.targets]
                raw, _ = lp.time_raw(conn, caps, args.n, args.warmup)
                body = lp.time_inprocess(db, scenario, args.n, args.warmup)
                db.dispose()
                encoded = [urlencode(q) for q in queries]
                samples: list[float] = []
                for i in range(-args.warmup, args.n):
                    if i == 0:
                        cpu0 = time.process_time()
                    t0 = time.perf_counter()
                    status, content = await call(app, f"/api/v1/{entity}",
                                                 encoded[i % len(encoded)], headers)
                    if i >= 0:
                        samples.append(time.perf_counter() - t0)
                    assert status == 200, content[:300]
                cpu = (time.process_time() - cpu0) / args.n
                print(f"| {key} | {'yes' if count else 'no'} | "
                      f"{statistics.median(samples) * 1000:.3f} | "
                      f"{cpu * 1000:.3f} | {body.p50:.3f} | {raw.p50:.3f} |")
                if args.profile:
                    from pyinstrument import Profiler

                    profiler = Profiler(interval=0.0001, async_mode="disabled")
                    profiler.start()
                    for i in range(args.n):
                        await call(app, f"/api/v1/{entity}", encoded[i % len(encoded)], headers)
                    profiler.stop()
                    print(profiler.output_text(unicode=True, color=False, show_all=False,
                                               short_mode=False))
    conn.close()
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--residents", type=int, default=500_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--pg-admin-url", default=lp.DEFAULT_PG_ADMIN)
    parser.add_argument("--data-dir", type=Path, default=lp.DATA_DIR)
    parser.add_argument("--pages", nargs="*", default=["residents_grid"], choices=list(PAGES))
    parser.add_argument("-n", type=int, default=500, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--profile", action="store_true", help="pyinstrument profile")
    parser.add_argument("--inline", action="store_true",
                        help="no threadpool: sync dependencies and routes run on the loop")
    args = parser.parse_args()
    args.rebuild = False
    lp.DATA_DIR = args.data_dir.resolve()
    lp.BUDGET = 1e9
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
