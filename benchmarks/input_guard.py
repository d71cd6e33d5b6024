"""What the input guard (backend/api/input_guard.py) costs a request.

1. A list request end to end, in process: the same page of 50 residents from the app as it ships
   and from the same app without the guard, requests alternating between the two so that drift
   on a shared machine hits both alike.
2. The guard alone, around an app that answers at once: microseconds per request for the
   kinds of request it sees (a list URL with filters, a JSON body, a JSON body with an escape
   that makes it parse the body, the login form, a multipart form), against no guard.

    python benchmarks/input_guard.py [--requests 2000] [--no-results]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.results import machine, write_section  # noqa: E402

SECTION = "## Input guard (input_guard.py)"
GRID = "410602001002007"


def make_apps(url: str):
    from fastapi.testclient import TestClient

    from backend import migrations
    from backend.api.input_guard import InputGuard
    from backend.app import create_app
    from backend.core.config import Settings
    from backend.identity import service as identity
    from backend.identity.service import create_demo_accounts
    from tests.builders import TEST_LAYOUT, make_areas, make_household, make_resident

    migrations.upgrade(url)
    settings = Settings(database_url=url, secret_key="benchmark-secret-key-of-at-least-32-bytes",
                        webhooks_enabled=False, sla_tick_seconds=0)
    guarded, bare = create_app(settings), create_app(settings)
    bare.user_middleware = [m for m in bare.user_middleware if m.cls is not InputGuard]
    clients = []
    for app in (guarded, bare):
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
    with guarded.state.db.session() as session:
        admin = next(u for u in create_demo_accounts(session, "benchmark-password", TEST_LAYOUT)
                     if u.username == "admin")
        session.commit()
        token = identity.access_token(settings.secret_key, admin)
    for client in clients:
        client.headers["Authorization"] = f"Bearer {token}"
    make_areas(clients[0])
    household = make_household(clients[0])
    for seq in range(1, 61):
        make_resident(clients[0], household, seq=seq, name="刘志强", phone="13512345678")
    return clients


def list_requests(clients, requests: int) -> dict[str, float]:
    params = {"grid_code": GRID, "name__startswith": "刘", "sort": "-id", "limit": "50"}
    times: dict[str, list[float]] = {"guarded": [], "bare": []}
    for n in range(requests + 50):
        in_turn = clients if n % 2 else clients[::-1]
        for name, client in zip(("guarded", "bare"), in_turn, strict=True):
            started = time.perf_counter()
            response = client.get("/api/v1/residents", params=params)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200 and len(response.json()["items"]) == 50
            if n >= 50:  # after warm-up
                times[name].append(elapsed)
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def http_scope(method: str, path: str, query: bytes, headers: list[tuple[bytes, bytes]]):
    return {"type": "http", "method": method, "path": path, "raw_path": path.encode(),
            "query_string": query, "headers": headers, "http_version": "1.1",
            "scheme": "http", "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000),
            "root_path": ""}


def guard_alone(requests: int) -> list[tuple[str, float, float]]:
    from backend.api.input_guard import InputGuard

    async def answer(scope, receive, send):  # reads the body, as a route would
        if scope["method"] == "POST":
            more = True
            while more:
                more = (await receive()).get("more_body", False)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    guarded = InputGuard(answer)
    note = {"note": "已清运, 现场已恢复。" * 20, "photo_urls": ["https://img.example.cn/1.jpg"]}
    boundary = b"----gridlink"
    multipart = (b"--" + boundary + b'\r\nContent-Disposition: form-data; name="name"\r\n\r\n'
                 + "王芳".encode() + b"\r\n--" + boundary + b'\r\nContent-Disposition: form-data;'
                 b' name="id_number"\r\n\r\n410602198005170038\r\n--' + boundary + b"--\r\n")
    kinds = [
        ("GET list, 4 filters", "GET", (b"grid_code=410602001002007&name__startswith=%E5%88%98"
                                         b"&sort=-id&limit=50"), None, b""),
        ("POST JSON, 1 KB", "POST", b"", b"application/json",
         json.dumps(note, ensure_ascii=False).encode()),
        ("POST JSON with a \\u escape (parsed)", "POST", b"", b"application/json",
         json.dumps(note, ensure_ascii=False).encode()[:-1] + b', "x": "\\u0009"}'),
        ("POST login form", "POST", b"", b"application/x-www-form-urlencoded",
         b"username=dispatcher&password=gridlink-demo"),
        ("POST multipart form, 2 fields", "POST", b"",
         b"multipart/form-data; boundary=" + boundary, multipart),
    ]

    async def once(app, method, query, content_type, body) -> float:
        headers = [(b"host", b"127.0.0.1")]
        if body:
            headers += [(b"content-type", content_type),
                        (b"content-length", str(len(body)).encode())]
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive():
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(_message):
            pass

        started = time.perf_counter()
        await app(http_scope(method, "/api/v1/residents", query, headers), receive, send)
        return time.perf_counter() - started

    async def run() -> list[tuple[str, float, float]]:
        rows = []
        for label, method, query, content_type, body in kinds:
            with_guard, without = [], []
            for n in range(requests):
                pairs = [(guarded, with_guard), (answer, without)]
                if n % 2:  # in turn, so that drift hits both alike
                    pairs.reverse()
                for app, into in pairs:
                    into.append(await once(app, method, query, content_type, body))
            rows.append((label, statistics.median(with_guard) * 1e6,
                         statistics.median(without) * 1e6))
        return rows

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        clients = make_apps(f"sqlite:///{Path(folder) / 'guard.db'}")
        try:
            page = list_requests(clients, args.requests)
        finally:
            for client in clients:
                client.__exit__(None, None, None)
    alone = guard_alone(args.requests)
    overhead = (page["guarded"] / page["bare"] - 1) * 100
    lines = [
        SECTION, "",
        (f"Run {time.strftime('%Y-%m-%d')} on {machine()}. In process (TestClient), SQLite; "
         f"{args.requests} requests per series after 50 warm-up, alternating. Medians."), "",
        "| list request (residents of a grid, page of 50, 2 filters, sort) | p50 ms |",
        "|---|---|",
        f"| app as shipped | {page['guarded']:.2f} |",
        f"| same app without the guard | {page['bare']:.2f} |",
        f"| guard's share | {overhead:+.1f} % |", "",
        "| the guard alone, around an app that answers at once | with µs | without µs | guard µs |",
        "|---|---|---|---|",
        *(f"| {label} | {guarded:.1f} | {bare:.1f} | {guarded - bare:.1f} |"
          for label, guarded, bare in alone), "",
    ]
    print("\n".join(lines))
    if not args.no_results:
        write_section(SECTION, "\n".join(lines))


if __name__ == "__main__":
    main()
