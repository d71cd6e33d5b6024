"""Secretaries and grid chiefs import their ledgers and export their lists in the panel."""

from __future__ import annotations

import io
import re
import time

import openpyxl

from tests.builders import OTHER_GRID, id_number, make_household, ok
from tests.servers import CEILING
from tests.test_admin_panel import panel_login, world  # noqa: F401
from tests.test_imports import RESIDENT_HEADER, household, resident_row, xlsx_file  # noqa: F401


def upload(browser, entity: str, content: bytes, mode: str, name: str = "居民台账.xlsx"):
    return browser.post(f"/admin/{entity}/import-file", files={"file": (name, content)},
                        data={"mode": mode})


def job_page(browser, response):
    assert response.status_code == 302, response.text
    return browser.get(response.headers["location"])


def names(client) -> list[str]:
    return [r["name"] for r in ok(client.get("/api/v1/residents", params={"limit": 1000}))["items"]]


def test_a_chief_dry_runs_then_imports_a_file_and_sees_the_rows(app, client, household):  # noqa: F811
    chief = panel_login(app, "chief")
    listing = chief.get("/admin/residents/list")
    assert "/admin/residents/import-file" in listing.text  # the button is there for who may create
    content = xlsx_file([RESIDENT_HEADER] + [resident_row(household["id"], n, f"居民{n}")
                                             for n in range(1, 4)])
    page = job_page(chief, upload(chief, "residents", content, "dry_run"))
    assert "试运行" in page.text and "100%" in page.text and names(client) == []
    page = job_page(chief, upload(chief, "residents", content, "all_or_nothing"))
    assert page.status_code == 200 and 'data-status="done"' in page.text
    assert sorted(names(client)) == ["居民1", "居民2", "居民3"]
    assert "居民2" in chief.get("/admin/residents/list").text
    audit = ok(client.get("/api/v1/audit-log", params={"entity": "residents", "actor": "chief"}))
    assert sorted(e["action"] for e in audit["items"]) == ["create", "create", "create", "import"]


def test_one_bad_id_number_writes_nothing_and_the_page_names_row_and_column(
        app, client, household):  # noqa: F811
    chief = panel_login(app, "chief")
    bad = id_number(2, "female")[:-1] + ("0" if id_number(2, "female")[-1] != "0" else "1")
    content = xlsx_file([RESIDENT_HEADER, resident_row(household["id"], 1, "甲"),
                         resident_row(household["id"], 2, "乙", **{"公民身份号码": bad})])
    page = job_page(chief, upload(chief, "residents", content, "all_or_nothing"))
    errors = page.text[page.text.index('id="import-errors"'):]
    row = re.search(r"<tr><td>(\d+)</td><td>([^<]*)</td>", errors)
    assert row and row.groups() == ("3", "公民身份号码")  # the header is row 1
    assert names(client) == []


def test_a_row_in_another_grid_is_refused(app, client, household):  # noqa: F811
    theirs = make_household(client, OTHER_GRID, room="9单元909")
    chief = panel_login(app, "chief")
    content = xlsx_file([RESIDENT_HEADER, resident_row(household["id"], 1, "甲"),
                         resident_row(theirs["id"], 2, "乙")])
    page = job_page(chief, upload(chief, "residents", content, "all_or_nothing"))
    assert "管辖范围" in page.text and names(client) == []


def test_the_template_round_trips(app, client, household):  # noqa: F811
    chief = panel_login(app, "chief")
    template = chief.get("/admin/residents/import-template/xlsx")
    assert template.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(template.content))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert any(h and "公民身份号码" in h for h in headers)
    fields = [c.value for c in sheet[2]]
    values = {"household_id": household["id"], "name": "模板居民",
              "id_number": id_number(5, "female"), "residence_type": "户籍"}
    sheet.append([values.get(f) for f in fields])
    buffer = io.BytesIO()
    book.save(buffer)
    page = job_page(chief, upload(chief, "residents", buffer.getvalue(), "all_or_nothing"))
    assert 'data-status="done"' in page.text, page.text
    assert "模板居民" in names(client)


def test_a_long_import_shows_progress_until_it_is_done(app, client, household):  # noqa: F811
    chief = panel_login(app, "chief")
    content = xlsx_file([RESIDENT_HEADER] + [resident_row(household["id"], n, f"居民{n}")
                                             for n in range(1, 31)])
    saved = app.state.settings.import_inline_rows
    app.state.settings.import_inline_rows = 5  # anything longer runs in the background
    try:
        response = upload(chief, "residents", content, "all_or_nothing")
    finally:
        app.state.settings.import_inline_rows = saved
    page = job_page(chief, response)
    assert 'id="import-progress"' in page.text
    status_url = re.search(r'fetch\("([^"]+)"', page.text)
    status = chief.get(status_url.group(1) if status_url
                       else response.headers["location"] + "/status")
    deadline = time.monotonic() + CEILING
    while not status.json()["finished"] and time.monotonic() < deadline:
        time.sleep(0.05)
        status = chief.get(response.headers["location"] + "/status")
    assert status.json()["written"] == 30 and status.json()["percent"] == 100


def test_a_file_over_10_mb_is_refused_on_the_page_before_it_is_read(
        app, client, household):  # noqa: F811
    chief = panel_login(app, "chief")
    page = upload(chief, "residents", b"x" * (11 * 2**20), "all_or_nothing", "大文件.csv")
    assert page.status_code == 413
    assert "文件超过 10 MB 上限" in page.text and 'name="file"' in page.text  # the form again
    assert names(client) == []


def test_imports_are_for_who_may_create_and_jobs_are_private(app, household):  # noqa: F811
    member = panel_login(app, "member")  # reads residents, may not create them
    assert member.get("/admin/residents/import-file").status_code == 403
    assert member.get("/admin/residents/import-template/xlsx").status_code == 403
    chief = panel_login(app, "chief")
    content = xlsx_file([RESIDENT_HEADER, resident_row(household["id"], 1, "甲")])
    location = upload(chief, "residents", content, "dry_run").headers["location"]
    assert panel_login(app, "secretary").get(location).status_code == 404


def test_exports_are_scoped_and_masked_as_the_list(app, client, world):  # noqa: F811
    for username, sees in (("chief", True), ("leader", False)):
        browser = panel_login(app, username)
        response = browser.get("/admin/residents/export/xlsx")
        assert response.status_code == 200, username
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
        text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row)
        assert (world["resident"]["id_number"] in text) is sees, username
        if username == "chief":
            assert world["other_resident"]["id_number"] not in text  # another community's
    export = panel_login(app, "chief").get("/admin/residents/export/csv")
    csv_text = export.content.decode("utf-8-sig")
    assert "公民身份号码" in csv_text and world["resident"]["id_number"] in csv_text
    assert world["other_resident"]["id_number"] not in csv_text  # another community's
