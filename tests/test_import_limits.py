"""Hostile uploads are refused at once with a clear 4xx, and the worker stays small (issue 9).

The files are real (tests/hostile_files.py) and go to a real uvicorn worker, whose peak
resident memory (VmHWM) is read from /proc after all of them.
"""

from __future__ import annotations

import os

import httpx
import pytest

from tests import hostile_files as files
from tests.builders import id_number, make_areas, make_household, ok
from tests.servers import uvicorn_process

PEAK_RSS_LIMIT_MIB = 300


def a_value_at(column: str, row: int) -> bytes:
    """A normal second row, and one more value far away."""
    far = f'<c r="{column}{row}"><v>1</v></c>'
    if row == 2:
        return files.xlsx_with_rows([f'<row r="2"><c r="A2"><v>1</v></c>{far}</row>'])
    return files.xlsx_with_rows(['<row r="2"><c r="A2"><v>1</v></c></row>',
                                 f'<row r="{row}">{far}</row>'])


def long_text(chars: int) -> bytes:
    return files.xlsx_with_rows(
        [f'<row r="2"><c r="B2" t="inlineStr"><is><t>{"长" * chars}</t></is></c></row>'])


def csv_text(text: str) -> bytes:
    return text.encode("utf-8")


HOSTILE = [
    pytest.param(lambda: files.one_row_of_empty_cells(5_000_000), "a.xlsx", 422,
                 "压缩比异常", id="the issue's file: one row of 5 million empty cells in 24 KB"),
    pytest.param(lambda: files.one_row_of_numbers(300_000), "a.xlsx", 422, "超过 100 列",
                 id="one row of 300,000 numbers, packed like a normal sheet"),
    pytest.param(lambda: files.xlsx_with_rows([], dimension="A1:XFD1048576"), "a.xlsx", 422,
                 "A1:XFD1048576 (1,048,576 行 × 16,384 列)", id="a sheet declaring A1:XFD1048576"),
    pytest.param(lambda: files.blank_formatted_rows(20_001, 100), "a.xlsx", 422,
                 "单元格超过 2,000,000 个", id="2,000,100 blank formatted cells"),
    pytest.param(lambda: a_value_at("ZZ", 2), "a.xlsx", 422, "第 2 行第 702 列有内容",
                 id="a value in column ZZ"),
    pytest.param(lambda: a_value_at("A", 900_000_000), "a.xlsx", 422, "第 900,000,000 行",
                 id="a value in row 900 million"),
    pytest.param(lambda: long_text(40_000), "a.xlsx", 422, "超过 32,767 个字符",
                 id="a cell of 40,000 characters"),
    pytest.param(lambda: files.zip_of_many_parts(1_000), "a.xlsx", 422, "超过上限 1,000",
                 id="a zip of a thousand parts"),
    pytest.param(lambda: files.csv_of_one_line(9_000_000), "a.csv", 422,
                 "第 2 行超过 100,000 个字符", id="a CSV whose second line never ends"),
    pytest.param(lambda: csv_text("姓名,公民身份号码" + ",备注" * 150 + "\n张三,1\n"), "a.csv", 422,
                 "第 1 行超过 100 列", id="a CSV of 152 columns"),
    pytest.param(lambda: csv_text("姓名,公民身份号码\n" + "张三,1\n" * 150_000), "a.csv", 422,
                 "数据超过 100,000 行", id="a CSV of 150,000 rows"),
    pytest.param(lambda: os.urandom(12 * 2**20), "a.xlsx", 413, "超过 10 MB 上限",
                 id="an upload of 12 MB"),
]


@pytest.fixture(scope="module")
def worker(settings, accounts):
    with uvicorn_process(settings) as running:
        yield running


@pytest.fixture(scope="module")
def admin_http(worker, tokens):
    with httpx.Client(base_url=worker.url, timeout=300,
                      headers={"Authorization": f"Bearer {tokens['admin']}"}) as http:
        yield http


@pytest.mark.parametrize("build, name, status, words", HOSTILE)
def test_a_hostile_upload_is_refused_with_a_clear_problem(admin_http, build, name, status,
                                                          words):
    response = admin_http.post("/api/v1/residents/import", files={"file": (name, build())})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert words in response.json()["detail"], response.json()


def test_after_all_of_them_the_worker_stayed_small_and_still_imports(worker, admin_http,
                                                                     client):
    make_areas(client)
    household = make_household(client)
    numbers = [id_number(n) for n in range(1, 4)]
    job = ok(admin_http.post("/api/v1/residents/import", files={"file": (
        "a.xlsx", files.xlsx_with_rows(files.residents_rows(household["id"], numbers)))}), 202)
    assert job["written"] == 3, job
    assert worker.peak_rss_mib() < PEAK_RSS_LIMIT_MIB


@pytest.mark.parametrize("dimension", ["A1:B2", None])
def test_rows_and_columns_beyond_the_declared_dimension_are_read(client, dimension):
    """A sheet that says it is A1:B2 (or says nothing) is read to its last value."""
    make_areas(client)
    household = make_household(client)
    numbers = [id_number(n) for n in range(1, 4)]
    content = files.xlsx_with_rows(files.residents_rows(household["id"], numbers), dimension)
    job = ok(client.post("/api/v1/residents/import", files={"file": ("a.xlsx", content)}), 202)
    assert (job["total"], job["written"]) == (3, 3), job
    rows = ok(client.get("/api/v1/residents", params={"sort": "id"}))["items"]
    assert [r["id_number"] for r in rows] == numbers
