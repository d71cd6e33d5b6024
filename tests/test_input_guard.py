"""No NUL or other control character gets into the application: one guard at the door.

Whatever carries it — the path, a query parameter's name or value, a form field, an upload's file
name, a JSON string at any depth, a JSON key — and whichever part is asked — the REST API, the
panel, Open311 — the answer is a 4xx naming the field and the character, never a 500, and
nothing is written. Tab, line feed and carriage return are text and pass.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from starlette.routing import Mount

from backend.core.db import Base
from tests.builders import GRID, SANITATION, ok
from tests.test_admin_panel import panel_login
from tests.test_imports import RESIDENT_HEADER, csv_file, resident_row, upload
from tests.world import make_world

# A NUL (what PostgreSQL refuses), an escape (C0) and a next line (C1).
CHARACTERS = {"nul": "\x00", "escape": "\x1b", "next-line": "\x85"}


def escaped(character: str) -> str:
    return f"\\x{ord(character):02x}"


@pytest.fixture
def world(client):
    world = make_world(client)
    case = ok(client.post("/api/v1/cases", json={
        "source": "patrol", "category_code": world.category["code"], "title": "积存垃圾",
        "grid_code": GRID}), 201)
    ok(client.post(f"/api/v1/cases/{case['id']}/actions/file", json={}))
    return {"case": case, "household": world.household}


def row_counts(app) -> dict[str, int]:
    """Rows in every table: what "nothing written" is checked against."""
    with app.state.db.session() as session:
        return {table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
                for table in Base.metadata.sorted_tables}


# --- how each part of the app says no ------------------------------------------------------------


def problem_fields(response) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    return [error["field"] for error in response.json().get("errors", [])]


def open311_fields(response) -> list[str]:
    if response.headers["content-type"].startswith("text/xml"):
        root = ET.fromstring(response.content)
        descriptions = [error.findtext("description") for error in root]
    else:
        descriptions = [error["description"] for error in response.json()]
    return [description.split(": ", 1)[0] for description in descriptions]


def panel_fields(response) -> list[str]:
    assert response.headers["content-type"].startswith("text/html")
    return re.findall(r"<li><code>(.*?)</code>", response.text)


ANSWERS = {"problem": problem_fields, "open311": open311_fields, "panel": panel_fields}


def answer_for(path: str) -> str:
    return "open311" if path.startswith("/open311/") else (
        "panel" if path.startswith("/admin") else "problem")


# --- every kind of input, by hand -------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """A request carrying the character `x` in one field, as the users' tools send it."""

    what: str
    who: str  # "admin", "anonymous" or "panel" (the admin's panel session)
    send: Callable  # (client, x, world) -> response
    status: int
    field: str  # the field the answer names; {x} is the character written as an escape
    answer: str = "problem"


def import_file() -> dict:
    return {"file": ("居民.csv", "户编号,姓名\n1,王芳\n".encode(), "text/csv")}


def multipart(fields: dict[str, str], files: dict[str, str]) -> dict:
    """A multipart body written by hand, holding exactly what it is given, file names too, as a
    script would send it (httpx and browsers %-escape control characters in a file name)."""
    parts = [f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}'
             for name, value in fields.items()]
    parts += [f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
              f"Content-Type: text/csv\r\n\r\n户编号,姓名" for name, filename in files.items()]
    body = "".join(f"--b\r\n{part}\r\n" for part in parts) + "--b--\r\n"
    return {"content": body.encode(),
            "headers": {"content-type": "multipart/form-data; boundary=b"}}


ATTEMPTS = [
    Attempt("the API's path", "admin",
            lambda c, x, w: c.get(f"/api/v1/residents/{quote(x)}1"), 400, "path"),
    Attempt("a list filter", "admin",
            lambda c, x, w: c.get("/api/v1/residents", params={"name__startswith": f"王{x}"}),
            400, "name__startswith"),
    Attempt("a query parameter's name", "admin",
            lambda c, x, w: c.get(f"/api/v1/residents?na{quote(x)}me=1"), 400, "na{x}me"),
    Attempt("a JSON field", "admin",
            lambda c, x, w: c.post("/api/v1/work-logs", json={
                "grid_code": GRID, "author_name": "王建国", "log_date": "2026-11-05",
                "content": f"巡查{x}一次"}), 422, "content"),
    Attempt("a JSON field written as raw UTF-8", "admin",
            lambda c, x, w: c.post("/api/v1/work-logs", headers={
                "content-type": "application/json"}, content=json.dumps({
                    "grid_code": GRID, "author_name": f"王{x}建国", "log_date": "2026-11-05",
                    "content": "巡查"}, ensure_ascii=False).encode()), 422, "author_name"),
    Attempt("a string in a nested JSON object", "admin",
            lambda c, x, w: c.post("/api/v1/grids", json={
                "code": "410602001002009", "name": "新华街第九网格",
                "community_code": "410602001002",
                "boundary": {"type": f"Polygon{x}", "coordinates": [[
                    [114.1, 35.9], [114.2, 35.9], [114.2, 36.0], [114.1, 35.9]]]}}),
            422, "boundary.type"),
    Attempt("a string in a JSON list", "admin",
            lambda c, x, w: c.post(f"/api/v1/cases/{w['case']['id']}/actions/summon", json={
                "department_codes": [SANITATION, f"YL{x}01"]}), 422, "department_codes.1"),
    Attempt("a JSON key", "admin",
            lambda c, x, w: c.post("/api/v1/work-logs", json={
                "grid_code": GRID, "author_name": "王建国", "log_date": "2026-11-05",
                "content": "巡查", f"not{x}e": "x"}), 422, "not{x}e"),
    Attempt("the API's JSON body of a new API key", "admin",
            lambda c, x, w: c.post("/api/v1/api-keys", json={"name": f"k{x}", "user_id": 1}),
            422, "name"),
    Attempt("the API's login form", "anonymous",
            lambda c, x, w: c.post("/api/v1/auth/token", data={
                "username": f"ad{x}min", "password": "wrong-password"}), 422, "username"),
    Attempt("a multipart form field", "admin",
            lambda c, x, w: c.post("/api/v1/residents/import", data={"mode": f"dry_run{x}"},
                                   files=import_file()), 422, "mode"),
    Attempt("an upload's file name", "admin",
            lambda c, x, w: c.post("/api/v1/residents/import", **multipart(
                {"mode": "dry_run"}, {"file": f"居民{x}.csv"})), 422, "file"),
    Attempt("the panel's login form", "anonymous",
            lambda c, x, w: c.post("/admin/login", data={
                "username": f"ad{x}min", "password": "wrong-password"}), 400, "username", "panel"),
    Attempt("the panel's search", "panel",
            lambda c, x, w: c.get("/admin/residents/list", params={"search": f"王{x}"}),
            400, "search", "panel"),
    Attempt("a panel form", "panel",
            lambda c, x, w: c.post("/admin/work-logs/create", files={
                "grid_code": (None, GRID), "author_name": (None, f"王{x}建国"),
                "log_date": (None, "2026-11-05"), "content": (None, "巡查"),
                "save": (None, "保存")}), 400, "author_name", "panel"),
    Attempt("Open311's path", "anonymous",
            lambda c, x, w: c.get(f"/open311/v2/requests/{quote(x)}.json"), 400, "path",
            "open311"),
    Attempt("Open311's path, in XML", "anonymous",
            lambda c, x, w: c.get(f"/open311/v2/services/07{quote(x)}011.xml"), 400, "path",
            "open311"),
    Attempt("an Open311 filter", "anonymous",
            lambda c, x, w: c.get("/open311/v2/requests.json", params={"service_code": f"07{x}"}),
            400, "service_code", "open311"),
    Attempt("an Open311 report's field", "anonymous",
            lambda c, x, w: c.post("/open311/v2/requests.json", data={
                "api_key": "glk_none", "service_code": "07011", "lat": "35.935", "long": "114.175",
                "description": f"门口堆放{x}建筑垃圾"}), 400, "description", "open311"),
]


@pytest.fixture
def clients(app, client, anonymous):
    return {"admin": client, "anonymous": anonymous, "panel": panel_login(app, "admin")}


@pytest.mark.parametrize("character", CHARACTERS.values(), ids=CHARACTERS.keys())
@pytest.mark.parametrize("attempt", ATTEMPTS, ids=[a.what for a in ATTEMPTS])
def test_a_control_character_in_any_input_is_refused_naming_the_field_and_nothing_is_written(
        app, clients, world, attempt, character):
    before = row_counts(app)
    response = attempt.send(clients[attempt.who], character, world)
    assert response.status_code == attempt.status, response.text
    assert attempt.field.format(x=escaped(character)) in ANSWERS[attempt.answer](response)
    assert escaped(character) in response.text  # which character, too
    assert row_counts(app) == before


def test_tab_line_feed_and_carriage_return_are_text(client, world):
    text = "第一行\r\n第二行\t完"
    created = ok(client.post("/api/v1/work-logs", json={
        "grid_code": GRID, "author_name": "王建国", "log_date": "2026-11-05", "content": text}),
        201)
    assert ok(client.get(f"/api/v1/work-logs/{created['id']}"))["content"] == text
    # As escapes, in a pretty-printed body; and a backslash-u that is only text.
    body = json.dumps({"grid_code": GRID, "author_name": "王建国", "log_date": "2026-11-06",
                       "content": "路径\tC:\\u0000\\x"}, indent=2)
    assert "\\u0009" not in body and "\\t" in body
    created = ok(client.post("/api/v1/work-logs", content=body.replace("\\t", "\\u0009"),
                             headers={"content-type": "application/json"}), 201)
    assert created["content"] == "路径\tC:\\u0000\\x"
    found = ok(client.get("/api/v1/work-logs", params={"content__contains": "第二行\t"}))
    assert found["total"] == 1


def test_an_imported_file_is_checked_cell_by_cell_with_the_same_rule(client, world):
    """File contents pass the door (they are the importer's): each cell is refused there, by
    row and column, with the same words."""
    household = world["household"]["id"]
    content = csv_file([RESIDENT_HEADER, resident_row(household, 2, name="王\x00芳"),
                        resident_row(household, 3, name="李\x1b娜"),
                        resident_row(household, 4, name="张\x85伟"),
                        resident_row(household, 5, name="赵\t敏")])
    before = ok(client.get("/api/v1/residents"))["total"]
    job = upload(client, "residents", content, "居民.csv")
    assert job["written"] == 0 and job["rejected"] == 3, job
    reasons = {(error["column"], error["reason"]) for error in job["errors"]}
    assert reasons == {("姓名", "不能包含空字符 (\\x00)"), ("姓名", "不能包含控制字符 (\\x1b)"),
                       ("姓名", "不能包含控制字符 (\\x85)")}
    assert ok(client.get("/api/v1/residents"))["total"] == before


# --- every route of the app, from its own description --------------------------------------------


def schema_properties(spec: dict, schema: dict) -> dict:
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema.get("properties", {})


def filled(template: str, bad: str, poisoned: str | None = None) -> str:
    """A route's path with its parameters filled in: `bad` in the poisoned one."""
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: quote(bad) if m[1] == poisoned else
                  {"format": "json", "identity": "residents"}.get(m[1], "1"), template)


def poisoned_requests(spec: dict, x: str):
    """(method, path, request arguments, field to be named) for each parameter of each route in
    the OpenAPI description: the character in that parameter, everything else ordinary."""
    bad = f"a{x}b"
    for template, operations in spec["paths"].items():
        for method, operation in operations.items():
            path = filled(template, bad)
            for p in operation.get("parameters", []):
                if p["in"] == "path":
                    yield method, filled(template, bad, p["name"]), {}, "path"
                elif p["in"] == "query":
                    yield method, path, {"params": {p["name"]: bad}}, p["name"]
            for media_type, body in operation.get("requestBody", {}).get("content", {}).items():
                fields = schema_properties(spec, body["schema"]) or {"note": {}}
                for name, field in fields.items():
                    if media_type == "application/json":
                        arguments = {"json": {name: bad}}
                    elif media_type == "multipart/form-data":
                        upload = field.get("format") == "binary" or "contentMediaType" in field
                        arguments = multipart({}, {name: f"{bad}.csv"}) if upload else \
                            multipart({name: bad}, {})
                    else:
                        arguments = {"data": {name: bad}}
                    yield method, path, arguments, name


def test_every_parameter_of_every_route_refuses_a_nul_naming_it(app, client, world):
    spec = ok(client.get("/openapi.json"))
    panel = panel_login(app, "admin")
    before, wrong, tried = row_counts(app), [], 0
    for method, path, arguments, field in poisoned_requests(spec, "\x00"):
        response = client.request(method.upper(), path, **arguments)
        tried += 1
        expected = 400 if field == "path" or "params" in arguments else 422
        if path.startswith("/open311/"):
            expected = 400
        if response.status_code != expected or field not in ANSWERS[answer_for(path)](response):
            wrong.append((method, path, field, response.status_code, response.text[:200]))
    # The panel's routes: SQLAdmin's own and ours, each path parameter.
    (mount,) = [route for route in app.routes
                if isinstance(route, Mount) and route.path == "/admin"]
    for route in mount.routes:
        for name in re.findall(r"{(\w+)(?::\w+)?}", getattr(route, "path", "")):
            path = "/admin" + filled(route.path, "a\x00b", name)
            response = panel.get(path)
            tried += 1
            if response.status_code != 400 or "path" not in panel_fields(response):
                wrong.append(("GET", path, "path", response.status_code, response.text[:200]))
    assert tried > 300 and wrong == []
    assert row_counts(app) == before
