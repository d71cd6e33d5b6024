#!/usr/bin/env python
"""A/B of the app against one of its variants, or against another checkout, interleaved.

Both apps run at once (uvicorn, 1 worker each) on the bench data of list_pages.py; requests
alternate A, B, A, B ... so that anything else running on the machine slows both alike.

    .venv/bin/python benchmarks/ab_variants.py --db sqlite GRIDLINK_BENCH_ASYNC_DEPS=1
    .venv/bin/python benchmarks/ab_variants.py --db postgres GRIDLINK_BENCH_ASYNC_DEPS=1
    # before/after a change: A = the app of another tree (e.g. `git archive main | tar -x -C
    # /tmp/base`), B = this checkout's
    .venv/bin/python benchmarks/ab_variants.py --db sqlite --baseline /tmp/base
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import list_pages as lp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--residents", type=int, default=500_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--pg-admin-url", default=lp.DEFAULT_PG_ADMIN)
    parser.add_argument("--data-dir", type=Path, default=lp.DATA_DIR)
    parser.add_argument("--baseline", type=Path,
                        help="A = the app of this tree (another checkout), B = this checkout's")
    parser.add_argument("variant", nargs="*", help="NAME=VALUE environment of app_variants (B)")
    args = parser.parse_args()
    args.rebuild = False
    lp.DATA_DIR = args.data_dir.resolve()
    if not args.variant and not args.baseline:
        parser.error("give a variant (NAME=VALUE) or --baseline DIR")
    target = lp.target_for(args)
    if not target.exists():
        sys.exit("no bench data: run benchmarks/list_pages.py with the same sizes first")
    variant = dict(v.split("=", 1) for v in args.variant)
    areas, grids = lp.area_tree()
    communities = [a[0] for a in areas if a[2] == "community"]
    cases = [
        ("residents of a grid, count=false", "residents",
         [{"grid_code": g[0], "limit": "50", "count": "false"} for g in grids]),
        ("residents of a grid", "residents", [{"grid_code": g[0], "limit": "50"} for g in grids]),
        ("open cases of a community, count=false", "cases",
         [{"grid_code__startswith": c, "status__in": lp.OPEN, "sort": "due_at", "limit": "50",
           "count": "false"} for c in communities]),
        ("cases of a grid, count=false", "cases",
         [{"grid_code": g[0], "limit": "50", "count": "false"} for g in grids]),
        ("health", "health", [{}]),
    ]
    a = lp.Server(target.url(), root=args.baseline.resolve() if args.baseline else lp.ROOT)
    b = None
    try:
        b = lp.Server.__new__(lp.Server)
        b.url, b.root = target.url(), lp.ROOT
        b.start(variant or None)
        shown_a = f"the app of {args.baseline}" if args.baseline else "backend.app:create_app"
        shown_b = f"app_variants {variant}" if variant else "this checkout's app"
        print(f"{args.db}: A = {shown_a}, B = {shown_b}; {args.requests} requests each, "
              f"interleaved; 1-min load average {os.getloadavg()[0]:.1f}; p50 / p95 ms")
        print("| request | A p50 | B p50 | A p95 | B p95 | B - A p50 |")
        print("|---|--:|--:|--:|--:|--:|")
        auth = lp.AUTH  # both servers share the bench secret: one admin token serves both
        with httpx.Client(base_url=a.base, headers=auth) as ca, \
                httpx.Client(base_url=b.base, headers=auth) as cb:
            for label, entity, queries in cases:
                path = f"/api/v1/{entity}"
                sa, sb = lp.Series(), lp.Series()
                for i in range(-20, args.requests):
                    q = queries[i % len(queries)]
                    for client, series in ((ca, sa), (cb, sb)) if i % 2 else ((cb, sb), (ca, sa)):
                        t0 = time.perf_counter()
                        client.get(path, params=q).raise_for_status()
                        if i >= 0:
                            series.samples.append(time.perf_counter() - t0)
                print(f"| {label} | {sa.p50:.2f} | {sb.p50:.2f} | {sa.p95:.2f} | {sb.p95:.2f} | "
                      f"{sb.p50 - sa.p50:+.2f} |")
        print(f"1-min load average at the end {os.getloadavg()[0]:.1f}")
    finally:
        a.stop()
        if b is not None and getattr(b, "proc", None):
            b.stop()


if __name__ == "__main__":
    main()
