"""Ledger import and export over HTTP, with real files built here (openpyxl, csv)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time

import openpyxl
import pytest

from tests.builders import GRID, OTHER_GRID, id_number, make_areas, ok
from tests.servers import CEILING

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RESIDENT_HEADER = ["户编号", "网格编码", "姓名", "公民身份号码", "联系电话", "居住类型",
                   "重点人群标签"]


def xlsx_file(rows: list[list], title: str = "居民") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_file(rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def upload(client, entity: str, content: bytes, name: str = "台账.xlsx", mode: str | None = None,
           status: int = 202) -> dict:
    data = {"mode": mode} if mode else {}
    response = client.post(f"/api/v1/{entity}/import", files={"file": (name, content)}, data=data)
    assert response.status_code == status, response.text
    return response.json()


def finished(client, job: dict, timeout: float = CEILING) -> dict:
    deadline = time.monotonic() + timeout
    while not job["finished"]:
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
        job = ok(client.get(f"/api/v1/imports/{job['id']}"))
    return job


def residents(client, **params) -> list[dict]:
    query = {"limit": 1000, "sort": "id"} | params
    return ok(client.get("/api/v1/residents", params=query))["items"]


def resident_row(household_id: int | None, seq: int, name: str = "王芳", grid: str | None = None,
                 **overrides) -> list:
    row = {"户编号": household_id, "网格编码": grid, "姓名": name,
           "公民身份号码": id_number(seq, "female"), "联系电话": "13900001111",
           "居住类型": "常住", "重点人群标签": "低保、空巢老人"} | overrides
    return [row[h] for h in RESIDENT_HEADER]


@pytest.fixture
def household(client) -> dict:
    make_areas(client)
    building = ok(client.post("/api/v1/buildings", json={
        "grid_code": GRID, "name": "3号楼", "address": "新华街88号院3号楼"}), 201)
    return ok(client.post("/api/v1/households", json={
        "building_id": building["id"], "room": "2单元301", "head_name": "刘志强"}), 201)


def test_a_good_file_imports_and_the_rows_appear_in_the_list(client, household):
    content = xlsx_file([RESIDENT_HEADER] + [resident_row(household["id"], n, f"居民{n}")
                                             for n in range(1, 6)])
    job = upload(client, "residents", content, "七网格居民.xlsx")
    assert job["status"] == "done" and job["finished"], job
    assert (job["total"], job["checked"], job["written"], job["error_count"]) == (5, 5, 5, 0)
    assert job["detail"] == "已导入全部 5 行居民"
    rows = residents(client)
    assert [r["name"] for r in rows] == [f"居民{n}" for n in range(1, 6)]
    first = rows[0]
    assert first["grid_code"] == GRID  # inherited from the household
    assert first["residence_type"] == "permanent" and first["key_groups"] == ["低保", "空巢老人"]
    assert first["sex"] == "female" and first["birth_date"] == "1980-05-17"


def test_a_bad_id_number_on_one_row_writes_nothing_and_names_row_and_column(client, household):
    bad = id_number(3, "female")[:-1] + ("0" if id_number(3, "female")[-1] != "0" else "1")
    content = xlsx_file([RESIDENT_HEADER, resident_row(household["id"], 1),
                         resident_row(household["id"], 2),
                         resident_row(household["id"], 3, 公民身份号码=bad)])
    job = upload(client, "residents", content)
    assert job["status"] == "done" and job["written"] == 0 and job["rejected"] == 1
    (error,) = job["errors"]
    assert error["row"] == 4 and error["column"] == "公民身份号码" and error["cell"] == "D4"
    assert error["field"] == "id_number" and "校验码" in error["reason"]
    assert "未写入任何数据" in job["detail"]
    assert residents(client) == []


def test_a_row_in_another_grid_is_refused_for_a_grid_chief(client, as_user, household):
    chief = as_user("chief")
    content = xlsx_file([RESIDENT_HEADER, resident_row(household["id"], 1),
                         resident_row(None, 2, "外网格居民", grid=OTHER_GRID)])
    job = upload(chief, "residents", content)
    assert job["written"] == 0
    (error,) = job["errors"]
    assert (error["row"], error["field"], error["column"]) == (3, "grid_code", "网格编码")
    assert "管辖范围" in error["reason"]
    assert residents(client) == []
    # The same file minus the foreign row goes in, as the chief.
    content = xlsx_file([RESIDENT_HEADER, resident_row(household["id"], 1)])
    assert upload(chief, "residents", content)["written"] == 1


def test_a_household_under_a_building_of_another_grid_points_at_the_building_column(
        client, as_user, household):
    other = ok(client.post("/api/v1/buildings", json={
        "grid_code": OTHER_GRID, "name": "1号楼", "address": "红旗街1号"}), 201)
    content = csv_file([["楼栋编号", "房号", "户主", "出租房屋", "房东"],
                        [household["building_id"], "1单元101", "张三", "否", ""],
                        [other["id"], "1单元102", "李四", "是", "王五"]])
    job = upload(as_user("chief"), "households", content, "户.csv")
    (error,) = job["errors"]
    # Another grid's building is as unknown to the chief as a missing one, as in the API.
    assert (error["row"], error["field"], error["column"], error["cell"]) == (
        3, "building_id", "楼栋编号", "A3")
    assert "未知的楼栋" in error["reason"]
    assert job["written"] == 0


def test_template_round_trip_xlsx(client, household):
    response = client.get("/api/v1/residents/import-template", params={"format": "xlsx"})
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["居民", "填写说明"]
    sheet = book["居民"]
    header = [c.value for c in sheet[1]]
    fields = [c.value for c in sheet[2]]
    assert "姓名*" in header and "公民身份号码*" in header and "id_number" in fields
    notes = "\n".join(str(c.value) for row in book["填写说明"].iter_rows() for c in row if c.value)
    assert "户籍 / 常住 / 流动 / 暂住" in notes and "空巢老人" in notes and "YYYY-MM-DD" in notes
    assert "必填" in notes
    # Fill two rows below the example (left in place) and upload it.
    for seq, name in ((5, "赵敏"), (6, "钱多多")):
        values = {"household_id": household["id"], "name": name,
                  "id_number": id_number(seq, "female"), "residence_type": "流动",
                  "birth_date": dt.datetime(1980, 5, 17)}
        sheet.append([values.get(f) for f in fields])
    buffer = io.BytesIO()
    book.save(buffer)
    job = upload(client, "residents", buffer.getvalue(), "居民导入模板.xlsx")
    assert job["written"] == 2 and job["total"] == 2, job
    assert any("示例" in w for w in job["warnings"])
    assert [(r["name"], r["residence_type"]) for r in residents(client)] == [
        ("赵敏", "floating"), ("钱多多", "floating")]


def test_template_round_trip_csv(client, household):
    response = client.get("/api/v1/households/import-template", params={"format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, fields, example = rows
    # A household is placed by its building's number (an export's) or by the building's name.
    assert header[:3] == ["楼栋编号", "楼栋", "单元"] and fields[0] == "building_id"
    filled = dict.fromkeys(fields, "") | {"building_id": str(household["building_id"]),
                                          "room": "3单元502", "is_rental": "是",
                                          "landlord_name": "孙立"}
    content = csv_file([header, fields, example, [filled[f] for f in fields]])
    job = upload(client, "households", content, "户.csv")
    assert job["written"] == 1, job
    rows = ok(client.get("/api/v1/households", params={"room": "3单元502"}))["items"]
    assert rows[0]["is_rental"] is True and rows[0]["grid_code"] == GRID


def test_valid_only_writes_only_the_valid_rows(client, household):
    content = xlsx_file([RESIDENT_HEADER, resident_row(household["id"], 1, "甲"),
                         resident_row(household["id"], 2, "乙", 联系电话="12345"),
                         resident_row(household["id"], 3, "丙", 居住类型="外来")])
    job = upload(client, "residents", content, mode="valid_only")
    assert (job["written"], job["rejected"]) == (1, 2)
    reasons = {e["row"]: e for e in job["errors"]}
    assert reasons[3]["column"] == "联系电话" and "电话" in reasons[3]["reason"]
    assert reasons[4]["column"] == "居住类型"
    assert reasons[4]["reason"] == "应为以下之一: 户籍、常住、流动、暂住"
    assert [r["name"] for r in residents(client)] == ["甲"]


def test_dry_run_checks_everything_and_writes_nothing(client, household):
    content = xlsx_file([RESIDENT_HEADER, resident_row(household["id"], 1),
                         resident_row(household["id"], 1, "重复的人")])
    job = upload(client, "residents", content, mode="dry_run")
    assert job["status"] == "done" and job["written"] == 0 and job["checked"] == 2
    (error,) = job["errors"]
    assert error["row"] == 3 and error["field"] == "id_number"
    assert "与文件第 2 行重复" in error["reason"]
    assert "试运行" in job["detail"] and residents(client) == []


def test_an_id_number_already_in_the_ledger_is_a_conflict(client, household):
    ok(client.post("/api/v1/residents", json={"household_id": household["id"], "name": "刘志强",
                                              "id_number": id_number(1, "female")}), 201)
    job = upload(client, "residents", xlsx_file([RESIDENT_HEADER,
                                                  resident_row(household["id"], 1)]))
    (error,) = job["errors"]
    assert "已存在" in error["reason"] and "410602********" in error["reason"]


def test_xlsx_export_as_a_masked_role_masks_id_numbers(client, as_user, household):
    ok(client.post("/api/v1/residents", json={
        "household_id": household["id"], "name": "刘志强", "id_number": id_number(1),
        "phone": "13512345678", "key_groups": ["低保"], "residence_type": "floating"}), 201)
    response = as_user("leader").get("/api/v1/residents", params={"format": "xlsx"})
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    fields = [c.value for c in sheet[2]]
    (row,) = [dict(zip(fields, (c.value for c in r), strict=True)) for r in sheet.iter_rows(3)]
    assert "公民身份号码" in header
    assert row["id_number"] == "410602********" + id_number(1)[-4:]
    assert row["phone"] == "135****5678" and row["key_groups"] is None
    assert row["residence_type"] == "流动" and row["name"] == "刘志强"
    # The chief sees the numbers: the same list, unmasked, and the file imports again elsewhere.
    full = as_user("chief").get("/api/v1/residents", params={"format": "xlsx", "name": "刘志强"})
    sheet = openpyxl.load_workbook(io.BytesIO(full.content)).active
    assert sheet.cell(3, fields.index("id_number") + 1).value == id_number(1)
    assert sheet.cell(3, fields.index("id_number") + 1).data_type == "s"
    # A department sees no residents at all.
    assert as_user("dept-sanitation").get(
        "/api/v1/residents", params={"format": "xlsx"}).status_code == 403


def test_xlsx_export_writes_text_as_text_never_formulas(client, household):
    ok(client.post("/api/v1/residents", json={
        "household_id": household["id"], "name": "刘志强", "id_number": id_number(1),
        "note": "=HYPERLINK(\"http://evil\",\"点我\")"}), 201)
    response = client.get("/api/v1/residents", params={"format": "xlsx", "fields": "name,note"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(3, 2).data_type == "s" and sheet.cell(3, 2).value.startswith("=HYPERLINK")
    # CSV has no cell types: Excel would run it, so it goes out with the apostrophe Excel
    # shows as "text", here and in the API's own CSV; phone numbers and signs stay as they are.
    exported = client.get("/api/v1/residents", params={"format": "csv", "fields": "name,note"})
    assert "'=HYPERLINK" in exported.text
    from backend.spreadsheets.tabular import formula_safe
    assert [formula_safe(t) for t in ("+8613812345678", "-5", "@SUM(A1)", "-x", "正常")] == [
        "+8613812345678", "-5", "'@SUM(A1)", "'-x", "正常"]


def test_gb18030_csv_from_chinese_excel(client, household):
    content = csv_file([RESIDENT_HEADER, resident_row(household["id"], 1, "欧阳娜娜")],
                       encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    job = upload(client, "residents", content, "居民.csv")
    assert job["written"] == 1, job
    assert residents(client)[0]["name"] == "欧阳娜娜"


def test_the_audit_log_has_each_row_and_the_import(client, as_user, household):
    content = xlsx_file([RESIDENT_HEADER, resident_row(household["id"], 1),
                         resident_row(household["id"], 2)])
    job = upload(as_user("chief"), "residents", content, "七网格.xlsx")
    entries = ok(client.get("/api/v1/audit-log", params={"entity": "residents",
                                                         "sort": "id"}))["items"]
    creates = [e for e in entries if e["action"] == "create"]
    (imported,) = [e for e in entries if e["action"] == "import"]
    assert len(creates) == 2 and all(e["actor"] == "chief" for e in creates)
    assert creates[0]["changes"]["id_number"][1].startswith("410602********")
    assert imported["actor"] == "chief" and imported["entity_id"] is None
    assert imported["changes"]["job"] == [None, job["id"]]
    assert imported["changes"]["file"] == [None, "七网格.xlsx"]
    assert imported["changes"]["written"] == [None, 2]
    assert imported["scope_code"] == GRID


def test_excel_quirks_dates_numbers_blank_rows_and_titles(client, household):
    header = ["姓名", "公民身份号码", "户编号", "出生日期", "联系电话"]
    content = xlsx_file([
        ["新华街社区第七网格居民台账"],  # a title line above the header
        header,
        ["甲", id_number(1, "female"), household["id"], 29358, 13900001111],  # serial date
        [None, None, None, None, None],  # blank rows are skipped
        [],
        ["乙", id_number(2, "female"), household["id"], "1980/5/17", "13900001112"],
        ["丙", 410602198005170000, household["id"], "1980年5月17日", None],  # a number
        ["丁", id_number(4, "female"), household["id"], "1981-05-17", None],  # not the ID's
    ])
    job = upload(client, "residents", content, mode="valid_only")
    assert job["total"] == 4 and job["written"] == 2
    errors = {e["row"]: e for e in job["errors"]}
    assert set(errors) == {7, 8}
    assert errors[7]["column"] == "公民身份号码" and "15 位有效数字" in errors[7]["reason"]
    assert errors[8]["column"] == "出生日期" and "1980-05-17" in errors[8]["reason"]
    assert [r["name"] for r in residents(client)] == ["甲", "乙"]


@pytest.mark.parametrize("content, name, status, words", [
    (b"", "a.xlsx", 422, "文件为空"),
    (b"PK\x03\x04 this is not really a zip", "a.xlsx", 422, "无法读取"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "a.xls", 415, ".xls"),
    ("名字,号码\n张三,1\n".encode(), "a.csv", 422, "未找到表头"),
    ("姓名,联系电话\n张三,13900001111\n".encode(), "a.csv", 422, "缺少必填列: 公民身份号码"),
    ("姓名,公民身份号码\n\n\n".encode(), "a.csv", 422, "没有数据行"),
    (b"\xff\xfe\x00\xd8garbage\xff", "a.csv", 422, "编码"),
    ("姓名,姓名,公民身份号码\n张三,张三,1\n".encode(), "a.csv", 422, "重复"),
    # One cell of 200,000 characters over four lines: more than the csv module takes.
    ("姓名,公民身份号码\n\"张三" + ("长" * 50_000 + "\n") * 4 + "\",1\n", "a.csv", 422, "格式错误"),
])
def test_unusable_files_answer_problem_details_not_500(client, content, name, status, words):
    if isinstance(content, str):
        content = content.encode()
    response = client.post("/api/v1/residents/import", files={"file": (name, content)})
    assert response.status_code == status, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert words in problem["detail"], problem


def test_huge_cells_formulas_and_unknown_columns_are_row_errors_or_warnings(client, household):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "公民身份号码", "户编号", "备注", "籍贯"])
    sheet.append(["甲" * 51, id_number(1), household["id"], None, "河南"])
    sheet.append(["乙", id_number(2), household["id"], "=1+1", "河南"])  # no cached value
    sheet.append(["丙", id_number(3), household["id"], "#DIV/0!", None])
    buffer = io.BytesIO()
    book.save(buffer)
    job = upload(client, "residents", buffer.getvalue(), mode="valid_only")
    errors = {e["row"]: e for e in job["errors"]}
    assert "50" in errors[2]["reason"] and errors[2]["column"] == "姓名"
    assert "错误值" in errors[4]["reason"]
    assert job["written"] == 1
    assert any("籍贯" in w for w in job["warnings"])


def test_import_needs_create_permission_and_jobs_are_private(client, as_user, household):
    content = xlsx_file([RESIDENT_HEADER, resident_row(household["id"], 1)])
    assert as_user("member").post("/api/v1/residents/import",
                                  files={"file": ("a.xlsx", content)}).status_code == 403
    assert as_user("member").get("/api/v1/residents/import-template").status_code == 403
    job = upload(as_user("chief"), "residents", content, mode="dry_run")
    assert as_user("chief").get(f"/api/v1/imports/{job['id']}").status_code == 200
    assert as_user("chief2").get(f"/api/v1/imports/{job['id']}").status_code == 404
    assert client.get(f"/api/v1/imports/{job['id']}").status_code == 200  # the administrator
    assert [j["id"] for j in ok(as_user("chief").get("/api/v1/imports"))] == [job["id"]]
    assert ok(as_user("chief2").get("/api/v1/imports")) == []
    assert client.post("/api/v1/organizations/import",
                       files={"file": ("a.xlsx", content)}).status_code in (404, 405)


def test_a_large_file_runs_in_the_background_and_reports_progress(app, client, household):
    content = xlsx_file([RESIDENT_HEADER] + [resident_row(household["id"], n, f"居民{n}")
                                             for n in range(1, 41)])
    saved = app.state.settings.import_inline_rows
    app.state.settings.import_inline_rows = 10
    try:
        response = client.post("/api/v1/residents/import", files={"file": ("a.xlsx", content)})
    finally:
        app.state.settings.import_inline_rows = saved
    assert response.status_code == 202
    job = response.json()
    assert response.headers["location"] == f"/api/v1/imports/{job['id']}"
    assert job["total"] == 40 and job["status"] in ("queued", "checking", "writing", "done")
    job = finished(client, job)
    assert job["status"] == "done" and job["written"] == 40 and job["percent"] == 100
    assert len(residents(client)) == 40


def test_buildings_import_with_grid_codes_as_numbers(client, as_user):
    make_areas(client)
    content = xlsx_file([["网格编码", "楼栋名称", "地址", "层数"],
                         [int(GRID), "5号楼", "新华街90号", 6],
                         [GRID, "6号楼", "新华街92号", "六"]], title="楼栋")
    job = upload(as_user("secretary"), "buildings", content, mode="valid_only")
    assert job["written"] == 1
    (error,) = job["errors"]
    assert error["column"] == "层数" and error["reason"] == "应为整数"
    rows = ok(client.get("/api/v1/buildings"))["items"]
    assert [(r["name"], r["grid_code"], r["floors"]) for r in rows] == [("5号楼", GRID, 6)]


def test_a_conflict_at_write_time_fails_the_job_and_writes_nothing(app, client, household,
                                                                   monkeypatch):
    """Someone else took the ID number between the check and the write: the database's unique
    index refuses, the job fails with nothing written (the check is skipped here to get there)."""
    from backend.imports import service

    ok(client.post("/api/v1/residents", json={"household_id": household["id"], "name": "刘志强",
                                              "id_number": id_number(2, "female")}), 201)
    monkeypatch.setattr(service.BatchLookups, "conflict", lambda *args: None)
    content = xlsx_file([RESIDENT_HEADER, resident_row(household["id"], 1),
                         resident_row(household["id"], 2)])
    job = upload(client, "residents", content)
    assert job["status"] == "failed" and job["written"] == 0 and "冲突" in job["detail"]
    assert [r["name"] for r in residents(client)] == ["刘志强"]


def test_a_conflict_in_a_later_chunk_keeps_the_rows_written_before_and_says_so(
        app, client, household, monkeypatch):
    """Rows are committed a chunk at a time (here 2): a conflict in the second chunk leaves
    the first written, each row audited, and the job says how far it got."""
    from backend.imports import service

    ok(client.post("/api/v1/residents", json={"household_id": household["id"], "name": "刘志强",
                                              "id_number": id_number(4, "female")}), 201)
    monkeypatch.setattr(service, "WRITE_CHUNK", 2)
    monkeypatch.setattr(service.BatchLookups, "conflict", lambda *args: None)
    content = xlsx_file([RESIDENT_HEADER] + [resident_row(household["id"], n, f"居民{n}")
                                             for n in range(1, 6)])
    job = upload(client, "residents", content)
    assert job["status"] == "failed" and job["written"] == 2, job
    assert "冲突" in job["detail"] and "已写入 2 行" in job["detail"]
    assert "仅导入有效行" in job["detail"]
    assert [r["name"] for r in residents(client)] == ["刘志强", "居民1", "居民2"]
    entries = ok(client.get("/api/v1/audit-log", params={"entity": "residents",
                                                         "sort": "id"}))["items"]
    assert [e["action"] for e in entries] == ["create", "create", "create", "import"]
    assert entries[-1]["changes"]["written"] == [None, 2]
    # The same file again, valid rows only: what was written is skipped as a duplicate.
    monkeypatch.undo()
    again = upload(client, "residents", content, mode="valid_only")
    assert (again["written"], again["rejected"]) == (2, 3), again
    assert len(residents(client)) == 5


def test_a_job_whose_worker_died_reads_as_failed(app, client, household):
    import datetime as dt

    from backend.imports.models import ImportJob, ImportStatus

    job = upload(client, "residents", xlsx_file([RESIDENT_HEADER,
                                                 resident_row(household["id"], 1)]),
                 mode="dry_run")
    with app.state.db.session() as session:
        row = session.get(ImportJob, job["id"])
        row.status = ImportStatus.checking
        row.updated_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        session.commit()
    job = ok(client.get(f"/api/v1/imports/{job['id']}"))
    assert job["status"] == "failed" and job["finished"] and "中断" in job["detail"]
    assert "未写入任何数据" in job["detail"]
    # A worker that died in the write phase had committed some chunks: the job says so.
    with app.state.db.session() as session:
        row = session.get(ImportJob, job["id"])
        row.status, row.written = ImportStatus.writing, 3000
        row.updated_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        session.commit()
    job = ok(client.get(f"/api/v1/imports/{job['id']}"))
    assert job["status"] == "failed" and "已写入 3000 行" in job["detail"]


def test_the_service_as_the_admin_panel_calls_it(app, client, household):
    """The panel calls the service with its own Caller: submit, poll, export."""
    from backend.core.crud import Caller
    from backend.imports import service
    from backend.spreadsheets.export import export_file

    caller = Caller.system("admin-panel:admin")
    content = xlsx_file([RESIDENT_HEADER, resident_row(household["id"], 1, "面板导入")])
    seen = []
    view = service.submit(app.state.db, "residents", "C:\\Users\\书记\\居民.xlsx", content, caller,
                          progress=lambda outcome: seen.append(outcome.status.value))
    assert view["finished"] and view["written"] == 1 and view["file_name"] == "居民.xlsx"
    assert seen[0] == "queued" and "writing" in seen and seen[-1] == "done"
    with app.state.db.session() as session:
        assert service.job_view(service.get_job(session, view["id"], caller))["written"] == 1
        data, media, name = export_file(session, "residents", caller,
                                                {"name": "面板导入"})
    assert media == XLSX and name == "residents.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet.max_row == 3 and sheet.cell(3, 1).value is not None
    entries = ok(client.get("/api/v1/audit-log", params={"action": "import"}))["items"]
    assert entries[0]["actor"] == "admin-panel:admin"


def test_many_errors_are_counted_and_the_list_is_capped(client, household):
    rows = [resident_row(household["id"], n, 公民身份号码="410602198005170000")
            for n in range(1, 1201)]
    job = upload(client, "residents", csv_file([RESIDENT_HEADER, *rows]), "a.csv",
                 mode="dry_run")
    assert job["rejected"] == 1200 and job["error_count"] == 1200
    assert len(job["errors"]) == 1000 and job["errors_truncated"]


def test_an_imported_row_is_audited_exactly_as_a_created_one(client, household):
    body = {"household_id": household["id"], "name": "王芳", "id_number": id_number(1, "female"),
            "phone": "13900001111", "residence_type": "permanent",
            "key_groups": ["低保", "空巢老人"]}
    ok(client.post("/api/v1/residents", json=body), 201)
    upload(client, "residents", xlsx_file([RESIDENT_HEADER, resident_row(household["id"], 2)]))
    entries = ok(client.get("/api/v1/audit-log", params={"entity": "residents",
                                                         "action": "create", "sort": "id"}))
    by_api, by_import = (e["changes"] for e in entries["items"])
    assert by_api.keys() == by_import.keys()
    differing = {k for k in by_api if by_api[k] != by_import[k]}
    assert differing == {"id_number"}  # the other person
    assert by_import["id_number"][1].startswith("410602********")
