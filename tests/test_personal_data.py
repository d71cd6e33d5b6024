"""Personal data that a masked value would give back: birth dates, reporters' names, anonymity.

A resident born 1957-03-31 has the ID number 410602195703313324-like digits; a role without
`pii` (leader, grid member) reads it masked as 410602********3324, so the birth date beside it
would be the whole number again. Those roles read the birth year instead. A reporter's name is
personal data too: departments, leaders and grid members read 李** and 139****4321, the
command center the whole name. An anonymous report keeps no identity at all.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from tests.builders import GRID, csv_rows, id_number, ok, xlsx_rows
from tests.test_admin_panel import panel_login
from tests.world import make_world

BORN = dt.date(1957, 3, 31)
REPORTER, REPORTER_PHONE = "李秀英", "13987654321"
MASKED_ROLES = ("leader", "member")  # read residents without `pii` (rbac/policy.csv)
PII_ROLES = ("admin", "secretary", "chief")


@pytest.fixture
def elder(client) -> dict:
    """A resident born 1957-03-31 in the chief's grid."""
    world = make_world(client)
    return ok(client.post("/api/v1/residents", json={
        "household_id": world.household["id"], "name": "张桂兰",
        "id_number": id_number(7, "female", born=BORN), "phone": "13698765432"}), 201)


def xlsx_text(response) -> str:
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return "\n".join(str(cell.value) for sheet in book for row in sheet.iter_rows()
                     for cell in row if cell.value is not None)


# --- birth dates --------------------------------------------------------------------------


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_a_role_without_pii_reads_the_birth_year_and_never_the_birth_date(as_user, elder, role):
    user = as_user(role)
    url = f"/api/v1/residents/{elder['id']}"
    shown = ok(user.get(url))
    assert shown["id_number"] == elder["id_number"][:6] + "********" + elder["id_number"][-4:]
    assert shown["birth_date"] is None and shown["birth_year"] == 1957
    assert shown["sex"] == "female"  # the masked number's 17th digit says it anyway
    listed = ok(user.get("/api/v1/residents", params={"name": "张桂兰"}))["items"]
    assert [(r["birth_date"], r["birth_year"]) for r in listed] == [(None, 1957)]
    asked = ok(user.get("/api/v1/residents", params={"fields": "id,birth_date,birth_year"}))
    assert {r["birth_date"] for r in asked["items"]} == {None}
    texts = [user.get(url).text, user.get("/api/v1/residents").text]
    if role == "leader":  # grid members read the ledger but export nothing
        # The spreadsheets: the same rows, the same fields withheld.
        exported = user.get("/api/v1/residents", params={"format": "csv"})
        (row,) = [r for r in csv_rows(exported) if r["name"] == "张桂兰"]
        assert row["birth_date"] == "" and row["birth_year"] == "1957"
        texts.append(exported.content.decode("utf-8-sig"))
        exported = user.get("/api/v1/residents", params={"format": "xlsx"})
        (row,) = [r for r in xlsx_rows(exported) if r["name"] == "张桂兰"]
        assert row["birth_date"] is None and row["birth_year"] == 1957
        texts.append(xlsx_text(exported))
    for text in texts:
        assert "1957-03-31" not in text and "19570331" not in text


@pytest.mark.parametrize("role", PII_ROLES)
def test_roles_with_pii_still_read_the_whole_birth_date(as_user, elder, role):
    shown = ok(as_user(role).get(f"/api/v1/residents/{elder['id']}"))
    assert shown["birth_date"] == "1957-03-31" and shown["birth_year"] == 1957
    assert shown["id_number"] == elder["id_number"]


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_a_role_without_pii_cannot_bisect_the_birth_date_with_filters_or_sorting(
        as_user, elder, role):
    user = as_user(role)
    for params in ({"birth_date__gte": "1957-03-01", "birth_date__lte": "1957-03-31"},
                   {"birth_date": "1957-03-31"}, {"birth_date__isnull": "false"},
                   {"birth_date__in": "1957-03-31,1957-03-30"}, {"sort": "birth_date"},
                   {"sort": "-birth_date", "format": "csv"}):
        response = user.get("/api/v1/residents", params=params)
        assert response.status_code == 400, params
        assert "birth_date" in response.json()["detail"]
    # The year is theirs to count with: the elderly of the grid, the oldest first.
    elderly = ok(user.get("/api/v1/residents", params={"birth_year__lte": 1966,
                                                       "sort": "birth_year"}))
    assert [r["id"] for r in elderly["items"]] == [elder["id"]]


def test_the_chief_may_still_filter_by_birth_date(as_user, elder):
    found = ok(as_user("chief").get("/api/v1/residents", params={"birth_date": "1957-03-31"}))
    assert [r["id"] for r in found["items"]] == [elder["id"]]


def test_the_audit_log_keeps_no_birth_date(client, as_user, elder):
    # A corrected ID number moves the birth date, and the year with it.
    corrected = id_number(8, "female", born=dt.date(1958, 4, 1))
    patched = ok(client.patch(f"/api/v1/residents/{elder['id']}", json={"id_number": corrected}))
    assert patched["birth_date"] == "1958-04-01" and patched["birth_year"] == 1958
    log = as_user("leader").get("/api/v1/audit-log", params={"entity": "residents",
                                                            "entity_id": elder["id"]})
    assert ok(log)["total"] == 2
    for entry in ok(log)["items"]:
        assert entry["changes"]["birth_date"] == [None, None]
    assert "1957-03-31" not in log.text and "1958-04-01" not in log.text


def test_changing_residents_without_pii_does_not_tell_the_birth_date(client, as_user, elder):
    """A role given `update` on residents but not `pii` must not learn the birth date by
    patching it alone: the right date used to answer 200 and a wrong one 422 "应为 1957-03-31".
    Sex and birth date follow the ID number and change only with it."""
    ok(client.post("/api/v1/policy-rules", json={
        "role": "grid_member", "obj": "residents", "act": "update"}), 201)
    member, url = as_user("member"), f"/api/v1/residents/{elder['id']}"
    for field, guesses in (("birth_date", ("1957-03-31", "1957-03-30")),
                           ("sex", ("female", "male"))):
        right, wrong = (member.patch(url, json={field: guess}) for guess in guesses)
        assert right.status_code == 422 and right.json()["errors"][0]["field"] == field
        assert right.content == wrong.content, field
        assert "1957-03-31" not in wrong.text
    assert ok(client.get(url))["version"] == elder["version"]
    # With the ID number they change together: the member typed the whole number.
    corrected = id_number(9, "female", born=dt.date(1957, 4, 2))
    changed = ok(member.patch(url, json={"id_number": corrected, "birth_date": "1957-04-02"}))
    assert changed["birth_year"] == 1957 and changed["birth_date"] is None


def test_the_panel_shows_the_leader_the_birth_year_only(app, elder):
    leader = panel_login(app, "leader")  # reads and exports residents, without `pii`
    listed = leader.get("/admin/residents/list")
    details = leader.get(f"/admin/residents/details/{elder['id']}")
    exported = [leader.get(f"/admin/residents/export/{kind}") for kind in ("csv", "xlsx")]
    for page in (listed, details, *exported):
        assert page.status_code == 200
    assert "张桂兰" in listed.text and "1957" in details.text
    for text in (listed.text, details.text, exported[0].content.decode("utf-8-sig"),
                 xlsx_text(exported[1])):
        assert "1957-03-31" not in text and elder["id_number"] not in text
    (row,) = [r for r in xlsx_rows(exported[1]) if r["name"] == "张桂兰"]
    assert row["birth_date"] is None and row["birth_year"] == 1957
    # Nor can it search or sort the list by the birth date.
    assert "共 0 条" in leader.get("/admin/residents/list", params={"search": "1957-03-31"}).text
    assert leader.get("/admin/residents/list", params={"sortBy": "birth_date"}).status_code == 400


def test_the_chiefs_panel_shows_the_whole_birth_date(app, elder):
    details = panel_login(app, "chief").get(f"/admin/residents/details/{elder['id']}")
    assert "1957-03-31" in details.text and elder["id_number"] in details.text


# --- reporters ----------------------------------------------------------------------------


@pytest.fixture
def dispatched(client, as_user) -> dict:
    """A hotline report with the caller's name and phone, dispatched to 环卫 (HW01)."""
    world = make_world(client)
    dispatcher = as_user("dispatcher")
    case = ok(dispatcher.post("/api/v1/cases", json={
        "source": "hotline_12345", "category_code": world.category["code"],
        "title": "88号院门口积存垃圾", "grid_code": GRID, "reporter_name": REPORTER,
        "reporter_phone": REPORTER_PHONE}), 201)
    for action in ("file", "dispatch"):
        ok(dispatcher.post(f"/api/v1/cases/{case['id']}/actions/{action}", json={}))
    return case


READS_CASES_MASKED = ("dept-sanitation", "leader", "member")


@pytest.mark.parametrize("role", READS_CASES_MASKED)
def test_departments_leaders_and_members_read_the_reporter_masked(as_user, dispatched, role):
    user = as_user(role)
    url = f"/api/v1/cases/{dispatched['id']}"
    shown = ok(user.get(url))
    assert shown["reporter_name"] == "李**" and shown["reporter_phone"] == "139****4321"
    (listed,) = ok(user.get("/api/v1/cases"))["items"]
    assert (listed["reporter_name"], listed["reporter_phone"]) == ("李**", "139****4321")
    texts = [user.get(url).text, user.get("/api/v1/cases").text,
             user.get(f"{url}/steps").text, user.get("/api/v1/notifications").text]
    if role != "member":  # grid members read cases but export nothing
        texts.append(user.get("/api/v1/cases", params={"format": "csv"}).text)
        exported = user.get("/api/v1/cases", params={"format": "xlsx"})
        (row,) = xlsx_rows(exported)
        assert row["reporter_name"] == "李**"
        texts.append(xlsx_text(exported))
    for text in texts:
        assert REPORTER not in text and REPORTER_PHONE not in text
    # Nor can they ask whether a given person reported it.
    for params in ({"reporter_name": REPORTER}, {"reporter_name__startswith": "李"},
                   {"sort": "reporter_name"}):
        assert user.get("/api/v1/cases", params=params).status_code == 400, params


@pytest.mark.parametrize("role", ("dispatcher", "secretary", "chief", "admin"))
def test_the_command_center_and_the_grid_read_the_reporter_to_call_back(
        as_user, dispatched, role):
    shown = ok(as_user(role).get(f"/api/v1/cases/{dispatched['id']}"))
    assert (shown["reporter_name"], shown["reporter_phone"]) == (REPORTER, REPORTER_PHONE)


def test_a_departments_panel_shows_the_reporter_masked(app, dispatched):
    department = panel_login(app, "dept-sanitation")
    pages = [department.get("/admin/cases/list"),
             department.get(f"/admin/cases/details/{dispatched['id']}"),
             department.get("/admin/cases/export/csv")]
    for page in pages:
        assert page.status_code == 200
    assert "李**" in pages[1].text
    for page in pages:
        assert REPORTER not in page.content.decode("utf-8-sig")


def test_the_audit_log_keeps_the_reporter_masked(as_user, dispatched):
    log = as_user("leader").get("/api/v1/audit-log", params={"entity": "cases",
                                                            "action": "create"})
    (entry,) = ok(log)["items"]
    assert entry["changes"]["reporter_name"] == [None, "李**"]
    assert REPORTER not in log.text and REPORTER_PHONE not in log.text


# --- anonymous reports --------------------------------------------------------------------


def test_an_anonymous_report_keeps_no_identity_for_anyone(client, as_user, anonymous):
    world = make_world(client)
    body = {"source": "app", "category_code": world.category["code"], "title": "路灯不亮",
            "grid_code": GRID, "lat": 35.935, "lng": 114.175, "is_anonymous": True}
    refused = as_user("dispatcher").post("/api/v1/cases", json=body | {
        "reporter_name": REPORTER})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "is_anonymous"
    case = ok(as_user("dispatcher").post("/api/v1/cases", json=body), 201)
    for role in ("admin", "dispatcher", "secretary", "chief", "member", "leader"):
        shown = ok(as_user(role).get(f"/api/v1/cases/{case['id']}"))
        assert (shown["reporter_name"], shown["reporter_phone"]) == (None, None), role
    public = ok(anonymous.get(f"/open311/v2/requests/{case['code']}.json"))
    assert "reporter" not in str(public) and "first_name" not in str(public)


def test_a_report_made_anonymous_later_leaves_no_name_in_the_clear(client, as_user):
    """The caller asks for anonymity after the report was taken: the name goes from the case,
    and the audit log, which keeps what was changed, never had it in the clear."""
    world = make_world(client)
    dispatcher = as_user("dispatcher")
    case = ok(dispatcher.post("/api/v1/cases", json={
        "source": "hotline_12345", "category_code": world.category["code"], "title": "噪音扰民",
        "grid_code": GRID, "reporter_name": REPORTER, "reporter_phone": REPORTER_PHONE}), 201)
    url = f"/api/v1/cases/{case['id']}"
    half = dispatcher.patch(url, json={"is_anonymous": True, "reporter_phone": None})
    assert half.status_code == 422  # the name would stay: refused, nothing written
    ok(dispatcher.patch(url, json={"is_anonymous": True, "reporter_name": None,
                                   "reporter_phone": None}))
    for role in ("admin", "dispatcher", "leader"):
        shown = ok(as_user(role).get(url))
        assert (shown["reporter_name"], shown["reporter_phone"]) == (None, None), role
    for role in ("admin", "leader"):
        log = as_user(role).get("/api/v1/audit-log", params={"entity": "cases"})
        assert ok(log)["total"] == 2
        assert REPORTER not in log.text and REPORTER_PHONE not in log.text
