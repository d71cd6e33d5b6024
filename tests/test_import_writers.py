"""While a big import writes, everyone else's writes still go through (issue 9).

A real uvicorn worker imports 50,000 residents; meanwhile grid staff keep working through the
API as four different users. On SQLite there is one write lock: the import must share it, and
a writer that truly cannot get it is told to come back (503), never answered with a 500.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from backend.app import create_app
from backend.core.db import Database
from backend.fieldwork.models import WorkLog
from backend.ledgers.id_number import make_id_number
from tests.builders import COUNTY, GRID, make_areas, ok
from tests.conftest import PG_ENV
from tests.servers import eventually, uvicorn_process
from tests.test_admin_panel import panel_login

ROWS = 50_000
HOUSEHOLDS = 1_000
CONCURRENT = 30
ON_SQLITE = not os.environ.get(PG_ENV)


def resident_number(i: int, born: dt.date) -> str:
    """Distinct valid ID numbers: 998 a birth date (499 per sex)."""
    return make_id_number(COUNTY, born + dt.timedelta(days=i // 998), (i % 998) // 2,
                          "male" if i % 2 else "female")


def residents_csv(household_ids: list[int]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["户编号", "姓名", "公民身份号码", "联系电话", "居住类型"])
    for i in range(ROWS):
        writer.writerow([household_ids[i % len(household_ids)], f"居民{i}",
                         resident_number(i, dt.date(1940, 1, 1)), f"139{i:08d}", "常住"])
    return buffer.getvalue().encode("utf-8")


def households_csv(building_id: int) -> bytes:
    rows = [["楼栋编号", "房号", "户主"]] + [[building_id, f"{n // 100 + 1}单元{n % 100 + 1:03d}",
                                             f"户主{n}"] for n in range(HOUSEHOLDS)]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def work_log(n: int) -> dict:
    return {"grid_code": GRID, "author_name": "王建国", "log_date": "2026-11-28",
            "content": f"导入期间的工作日志 {n}"}


class Staff:
    """The writes grid staff make while the import runs, and what each should leave behind."""

    def __init__(self, url: str, tokens: dict[str, str], household_ids: list[int]) -> None:
        self.clients = {name: httpx.Client(base_url=url, timeout=120,
                                           headers={"Authorization": f"Bearer {tokens[name]}"})
                        for name in ("member", "chief", "secretary", "admin")}
        self.household_ids = household_ids

    def write(self, n: int) -> tuple[httpx.Response, str, dict]:
        """The n-th write: (answer, where the row lives, what it must hold)."""
        household = self.household_ids[n % HOUSEHOLDS]
        kind = n % 4
        if kind == 0:
            body = work_log(n)
            return self.clients["member"].post("/api/v1/work-logs", json=body), "work-logs", body
        if kind == 1:
            body = {"household_id": household, "name": f"新居民{n}",
                    "id_number": resident_number(n, dt.date(1995, 1, 1))}
            return self.clients["chief"].post("/api/v1/residents", json=body), "residents", body
        if kind == 2:
            body = {"head_name": f"新户主{n}"}
            return (self.clients["secretary"].patch(f"/api/v1/households/{household}", json=body),
                    "households", body)
        body = {"household_id": household, "grid_code": GRID, "visitor_name": "李秀英",
                "visit_date": "2026-11-28", "kind": "key_group", "content": f"走访 {n}"}
        return self.clients["admin"].post("/api/v1/visits", json=body), "visits", body

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


def test_writers_during_a_50000_row_import_all_get_through(settings, client, tokens):
    make_areas(client)
    building = ok(client.post("/api/v1/buildings", json={
        "grid_code": GRID, "name": "3号楼", "address": "新华街88号院3号楼"}), 201)
    households = ok(client.post("/api/v1/households/import", files={
        "file": ("户.csv", households_csv(building["id"]))}), 202)
    assert households["written"] == HOUSEHOLDS, households
    household_ids = [row["id"] for row in ok(client.get("/api/v1/households", params={
        "fields": "id", "sort": "id", "limit": HOUSEHOLDS}))["items"]]

    with uvicorn_process(settings) as worker:
        staff = Staff(worker.url, tokens, household_ids)
        importer = staff.clients["secretary"]
        job = ok(importer.post("/api/v1/residents/import", files={
            "file": ("五万居民.csv", residents_csv(household_ids))}), 202)

        def state() -> dict:
            return ok(importer.get(f"/api/v1/imports/{job['id']}"))

        eventually(lambda: state()["status"] in ("writing", "done", "failed"), seconds=600)
        answers: list[tuple[httpx.Response, str, dict]] = []
        with ThreadPoolExecutor(CONCURRENT) as pool:
            # Up to three rounds of 30 writes at once while the import writes.
            while len(answers) < 3 * CONCURRENT and (not answers or not state()["finished"]):
                start = len(answers)
                answers += pool.map(staff.write, range(start, start + CONCURRENT))
        eventually(lambda: state()["finished"], seconds=600)
        final = state()
        staff.close()

    assert final["status"] == "done" and final["written"] == ROWS, final
    server_errors = [(r.status_code, r.text) for r, _, _ in answers if r.status_code >= 500]
    assert server_errors == []
    accepted = [(r, entity, body) for r, entity, body in answers if r.is_success]
    assert accepted, "no write went through"
    for response, entity, body in accepted:
        stored = ok(client.get(f"/api/v1/{entity}/{response.json()['id']}"))
        assert {k: stored[k] for k in body} == body, (entity, stored)
    assert ok(client.get("/api/v1/residents", params={"limit": 1}))["total"] == ROWS + sum(
        entity == "residents" for _, entity, _ in accepted)


def sqlite_path(settings) -> str:
    return settings.database_url.removeprefix("sqlite:///")


@pytest.mark.skipif(not ON_SQLITE, reason="SQLite's one write lock; PostgreSQL locks rows")
def test_a_writer_that_cannot_get_the_lock_is_told_to_retry_and_keeps_its_connection(
        settings, client, tokens):
    make_areas(client)
    # Something else holds SQLite's write lock longer than the worker waits for it (1 s).
    holder = sqlite3.connect(sqlite_path(settings), isolation_level=None)
    with uvicorn_process(settings, sqlite_busy_timeout=1) as worker, httpx.Client(
            base_url=worker.url, headers={"Authorization": f"Bearer {tokens['member']}"},
            timeout=60) as member:
        holder.execute("BEGIN IMMEDIATE")
        try:
            refused = member.post("/api/v1/work-logs", json=work_log(1))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        accepted = member.post("/api/v1/work-logs", json=work_log(2))

    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "5"
    assert "请稍后重试" in refused.json()["detail"]
    # The same kept-alive connection answers the next request: a 500 would have closed it.
    assert accepted.status_code == 201, accepted.text
    logs = ok(client.get("/api/v1/work-logs"))["items"]
    assert [log["content"] for log in logs] == [work_log(2)["content"]]


@pytest.mark.skipif(not ON_SQLITE, reason="SQLite's one write lock; PostgreSQL locks rows")
def test_a_panel_form_that_cannot_get_the_lock_says_so_and_writes_nothing(settings, client):
    """SQLAdmin shows any error of a save above the form: the database's own words (SQL and
    all) before; now what the API says, and the form keeps what was typed."""
    make_areas(client)
    impatient = create_app(settings.model_copy(update={"sqlite_busy_timeout": 1}))
    holder = sqlite3.connect(sqlite_path(settings), isolation_level=None)
    with TestClient(impatient):  # its lifespan: the policy loaded
        chief = panel_login(impatient, "chief")
        holder.execute("BEGIN IMMEDIATE")
        try:
            refused = chief.post("/admin/buildings/create", data={
                "grid_code": GRID, "name": "锁住时的楼", "address": "新华街9号", "save": "保存"})
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        accepted = chief.post("/admin/buildings/create", data={
            "grid_code": GRID, "name": "锁放开后的楼", "address": "新华街9号", "save": "保存"})

    assert refused.status_code == 400, refused.text  # SQLAdmin's status for a form not saved
    assert "数据库繁忙" in refused.text and "请稍后重试" in refused.text
    assert "锁住时的楼" in refused.text  # the form as typed, to save again
    assert "sqlite3" not in refused.text and "INSERT" not in refused.text
    assert accepted.status_code == 302, accepted.text
    names = [b["name"] for b in ok(client.get("/api/v1/buildings"))["items"]]
    assert "锁放开后的楼" in names and "锁住时的楼" not in names


@pytest.mark.skipif(not ON_SQLITE, reason="SQLite's one write lock; PostgreSQL locks rows")
def test_a_session_that_read_first_still_waits_for_the_write_lock(settings, client):
    """pysqlite opens the transaction at the first write, so that write waits for the lock
    (backend/core/db.py). A read still open on the connection would make it fail at once."""
    make_areas(client)
    database = Database(settings.database_url, settings=settings)
    holder = sqlite3.connect(sqlite_path(settings), isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    released = threading.Timer(1.0, lambda: holder.execute("COMMIT"))

    def write(session, content: str) -> None:
        session.add(WorkLog(grid_code=GRID, author_name="王建国", log_date=dt.date(2026, 11, 28),
                            content=content))
        session.flush()

    try:
        with database.session() as session:
            open_read = session.execute(text("SELECT code FROM area"))
            open_read.fetchone()  # not exhausted: the connection is still reading
            with pytest.raises(OperationalError, match="database is locked"):
                write(session, "读到一半就写")
            open_read.close()
        released.start()
        with database.session() as session:
            assert session.execute(text("SELECT count(*) FROM area")).scalar_one() > 0
            write(session, "读完再写")  # waits until the holder commits, a second later
            session.commit()
    finally:
        released.join()
        holder.close()
        database.dispose()
    logs = ok(client.get("/api/v1/work-logs"))["items"]
    assert [log["content"] for log in logs] == ["读完再写"]
