"""The data-entry panel, over HTTP: every path SQLAdmin has is scoped to the user's rows.

`chief` keeps grid 007, `chief2` grid 001 of another community; `dept-sanitation` is a
department that must never see residents. Rows are made through the API, then looked at and
changed through the panel as a browser would (session cookie, forms).
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.builders import (
    DEMO_PASSWORD,
    GRID,
    OTHER_GRID,
    id_number,
    make_areas,
    make_household,
    make_resident,
    ok,
)


def page_token(html: str) -> str:
    """The session's CSRF token, as the panel's pages carry it for their scripts."""
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def submit_login(browser: TestClient, username: str, password: str = DEMO_PASSWORD):
    """Open the login page and submit its form."""
    token = page_token(browser.get("/admin/login").text)
    return browser.post("/admin/login", data={
        "username": username, "password": password, "csrf_token": token})


def panel_login(app, username: str, send_token: bool = True) -> TestClient:
    """A logged-in browser. It sends the session's token as a header on every request, as the
    panel's script does for AJAX; tests of the forms themselves post its hidden field."""
    browser = TestClient(app, follow_redirects=False)
    response = submit_login(browser, username)
    assert response.status_code in (302, 303), response.text
    if send_token:  # a new session after logging in: a new token
        browser.headers["X-CSRF-Token"] = page_token(browser.get("/admin/").text)
    return browser


@pytest.fixture
def world(client):
    """Two grids in two communities, a household and a resident in each."""
    make_areas(client)
    mine = make_household(client, GRID)
    theirs = make_household(client, OTHER_GRID, room="2单元202")
    return {
        "household": mine, "resident": make_resident(client, mine, seq=1, phone="13812345678"),
        "other_household": theirs, "other_resident": make_resident(client, theirs, seq=2),
    }


@pytest.fixture
def chief(server, app):
    return panel_login(app, "chief")


def test_the_panel_asks_for_a_login(server, app):
    response = TestClient(app, follow_redirects=False).get("/admin/")
    assert response.status_code in (302, 303, 307)
    assert "/admin/login" in response.headers["location"]


def test_a_grid_chief_logs_in_sees_a_chinese_menu_of_what_their_role_may_read_and_logs_out(
        chief):
    page = chief.get("/admin/")
    assert page.status_code == 200
    assert "居民" in page.text and "人房信息" in page.text
    # Not theirs to see: accounts, the policy, the audit log.
    assert "用户与权限" not in page.text and "审计日志" not in page.text
    assert chief.get("/admin/users/list").status_code == 403
    confirm = chief.get("/admin/logout")  # the link asks first: a GET changes nothing
    assert confirm.status_code == 200 and "确认退出" in confirm.text
    assert chief.get("/admin/").status_code == 200
    assert chief.post("/admin/logout").status_code in (302, 303)
    assert chief.get("/admin/").status_code in (302, 303, 307)


def test_the_session_cookie_is_httponly_and_samesite(server, app):
    browser = TestClient(app, follow_redirects=False)
    response = submit_login(browser, "chief")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie


def test_the_session_cookie_is_secure_over_https(server, app):
    browser = TestClient(app, base_url="https://testserver", follow_redirects=False)
    response = submit_login(browser, "chief")
    assert "secure" in response.headers["set-cookie"].lower()


def test_wrong_passwords_are_throttled_like_the_api(server, app):
    browser = TestClient(app, follow_redirects=False)
    for _ in range(5):
        response = submit_login(browser, "member", "nope")
        assert response.status_code == 400
    response = submit_login(browser, "member")
    assert response.status_code == 429
    assert "15 分钟后再试" in response.text  # says why, and when to come back


def test_the_chief_lists_only_residents_of_their_grid(world, chief):
    page = chief.get("/admin/residents/list")
    assert page.status_code == 200
    assert world["resident"]["id_number"] in page.text  # chiefs see personal data
    assert world["other_resident"]["id_number"] not in page.text
    assert "共 1 条" in page.text  # the count is scoped too
    searched = chief.get("/admin/residents/list",
                         params={"search": world["other_resident"]["id_number"]})
    assert "共 0 条" in searched.text


def test_the_chief_cannot_reach_another_grids_resident_by_url(world, app, chief):
    other = world["other_resident"]["id"]
    assert chief.get(f"/admin/residents/details/{other}").status_code in (403, 404)
    assert chief.get(f"/admin/residents/edit/{other}").status_code in (403, 404)
    response = chief.post(f"/admin/residents/edit/{other}", data={"name": "改名"})
    assert response.status_code in (403, 404)
    for junk in ("abc", "0", "-1", "99999999999999999999"):
        assert chief.get(f"/admin/residents/details/{junk}").status_code in (403, 404), junk
    admin = panel_login(app, "admin")
    assert "改名" not in admin.get(f"/admin/residents/details/{other}").text


def test_deleting_out_of_scope_rows_changes_nothing(world, app, client):
    secretary = panel_login(app, "secretary")  # may delete, but only in their community
    other = world["other_resident"]["id"]
    secretary.delete("/admin/residents/delete", params={"pks": str(other)})
    secretary.delete("/admin/residents/delete",
                     params={"pks": f"{world['resident']['id']},{other}"})
    assert client.get(f"/api/v1/residents/{other}").status_code == 200
    assert client.get(f"/api/v1/residents/{world['resident']['id']}").status_code == 200


def test_a_department_sees_no_residents_at_all(world, app):
    department = panel_login(app, "dept-sanitation")
    assert "居民" not in department.get("/admin/").text
    assert department.get("/admin/residents/list").status_code == 403
    rid = world["resident"]["id"]
    assert department.get(f"/admin/residents/details/{rid}").status_code in (403, 404)
    assert department.get("/admin/residents/export/csv").status_code == 403
    assert department.get("/admin/households/ajax/lookup",
                          params={"name": "building_id", "term": "3"}).status_code == 403


def test_a_member_sees_residents_masked(world, app):
    member = panel_login(app, "member")
    page = member.get("/admin/residents/list")
    assert page.status_code == 200
    assert world["resident"]["id_number"] not in page.text
    assert world["resident"]["id_number"][:6] in page.text  # masked, not removed
    details = member.get(f"/admin/residents/details/{world['resident']['id']}")
    assert "13812345678" not in details.text
    # Nor can they search by an ID number they may not see.
    found = member.get("/admin/residents/list", params={"search": world["resident"]["id_number"]})
    assert "共 0 条" in found.text


def test_the_chief_creates_a_resident_in_their_grid(world, chief, client):
    form = chief.get("/admin/residents/create")
    assert form.status_code == 200 and "公民身份号码" in form.text
    response = chief.post("/admin/residents/create", data={
        "household_id": str(world["household"]["id"]), "grid_code": GRID, "name": "王秀兰",
        "id_number": id_number(3, sex="female"), "residence_type": "registered", "save": "保存"})
    assert response.status_code == 302, response.text
    listed = ok(client.get("/api/v1/residents", params={"name": "王秀兰"}))
    assert listed["total"] == 1 and listed["items"][0]["grid_code"] == GRID
    # The new row's own page, saying it was saved (not page 1 of the whole list).
    created = listed["items"][0]["id"]
    assert response.headers["location"].endswith(f"/admin/residents/details/{created}")
    page = chief.get(response.headers["location"]).text
    assert "已保存居民: 王秀兰" in page
    assert "已保存" not in chief.get(response.headers["location"]).text  # said once
    audit = ok(client.get("/api/v1/audit-log", params={"entity": "residents", "action": "create",
                                                       "actor": "chief"}))
    assert audit["total"] == 1


def test_a_bad_id_number_is_refused_next_to_the_field_and_nothing_is_written(world, chief, client):
    bad = id_number(4)[:-1] + ("0" if id_number(4)[-1] != "0" else "1")
    response = chief.post("/admin/residents/create", data={
        "household_id": str(world["household"]["id"]), "grid_code": GRID, "name": "赵强",
        "id_number": bad, "residence_type": "registered", "save": "保存"})
    assert response.status_code == 400
    assert "校验码" in response.text and "is-invalid" in response.text
    assert ok(client.get("/api/v1/residents", params={"name": "赵强"}))["total"] == 0


def test_the_chief_cannot_create_a_row_in_another_grid(world, chief, client):
    response = chief.post("/admin/buildings/create", data={
        "grid_code": OTHER_GRID, "name": "9号楼", "address": "红旗街1号", "save": "保存"})
    assert response.status_code == 400
    assert "管辖范围" in response.text
    assert ok(client.get("/api/v1/buildings", params={"name": "9号楼"}))["total"] == 0


def test_the_grid_picker_offers_only_the_chiefs_grids(world, chief):
    found = chief.get("/admin/buildings/ajax/lookup", params={"name": "grid_code", "term": "4106"})
    codes = [item["id"] for item in found.json()["results"]]
    assert codes == [GRID]
    form = chief.get("/admin/buildings/create")
    assert GRID in form.text  # starts on the chief's own grid


def test_the_household_picker_is_scoped(world, chief):
    found = chief.get("/admin/residents/ajax/lookup",
                      params={"name": "household_id", "term": "单元"})
    ids = [item["id"] for item in found.json()["results"]]
    assert ids == [world["household"]["id"]]


def test_the_chief_edits_a_resident_and_a_stale_form_is_refused(world, chief, client):
    rid = world["resident"]["id"]
    form = chief.get(f"/admin/residents/edit/{rid}")
    assert form.status_code == 200
    data = {"household_id": str(world["household"]["id"]), "grid_code": GRID, "name": "刘志刚",
            "id_number": world["resident"]["id_number"], "residence_type": "registered",
            "version": "1", "save": "保存"}
    assert chief.post(f"/admin/residents/edit/{rid}", data=data).status_code == 302
    assert ok(client.get(f"/api/v1/residents/{rid}"))["name"] == "刘志刚"
    stale = chief.post(f"/admin/residents/edit/{rid}", data=data | {"name": "刘志明"})
    assert stale.status_code == 400 and "已被修改" in stale.text
    assert ok(client.get(f"/api/v1/residents/{rid}"))["name"] == "刘志刚"


def test_an_edit_form_without_its_version_is_refused_as_stale(world, chief, client):
    rid = world["resident"]["id"]
    data = {"household_id": str(world["household"]["id"]), "grid_code": GRID, "name": "刘志刚",
            "id_number": world["resident"]["id_number"], "residence_type": "registered",
            "save": "保存"}
    for version in ({}, {"version": ""}, {"version": "*"}):  # "*" would mean "any version"
        response = chief.post(f"/admin/residents/edit/{rid}", data=data | version)
        assert response.status_code == 400 and "已被修改" in response.text, version
    assert ok(client.get(f"/api/v1/residents/{rid}"))["name"] == world["resident"]["name"]

def test_the_panel_switches_to_english(chief):
    english = chief.get("/admin/residents/list", params={"lang": "en"})
    assert "Residents" in english.text or "residents" in english.text
    assert "Id number" in english.text
    assert "公民身份号码" not in english.text
    chinese = chief.get("/admin/residents/list", params={"lang": "zh"})
    assert "公民身份号码" in chinese.text


def test_an_administrator_grants_a_role_in_the_panel_and_it_applies_at_once(
        world, app, accounts, as_user):
    member = as_user("member")
    rid = world["resident"]["id"]
    id_number = world["resident"]["id_number"]
    assert member.get(f"/api/v1/residents/{rid}").json()["id_number"] != id_number
    admin = panel_login(app, "admin")
    response = admin.post("/admin/role-assignments/create", data={
        "user_id": str(accounts["member"]), "role": "grid_chief", "area_code": GRID,
        "save": "保存"})
    assert response.status_code == 302, response.text
    # The member now holds a chief's grant too: ID numbers are no longer masked for them.
    assert member.get(f"/api/v1/residents/{rid}").json()["id_number"] == id_number


def test_edits_and_deletes_through_the_panel_are_audited_with_the_actor(world, app, client):
    secretary = panel_login(app, "secretary")
    rid = world["resident"]["id"]
    response = secretary.delete("/admin/residents/delete", params={"pks": str(rid)})
    assert response.status_code == 200
    assert client.get(f"/api/v1/residents/{rid}").status_code == 404
    audit = ok(client.get("/api/v1/audit-log", params={"entity": "residents", "action": "delete"}))
    assert [(e["actor"], e["entity_id"]) for e in audit["items"]] == [("secretary", rid)]
    # Personal data stays masked in the trail, whoever deleted it.
    assert world["resident"]["id_number"] not in str(audit["items"][0])


def test_a_delete_the_domain_refuses_is_reported_and_changes_nothing(world, app, client):
    secretary = panel_login(app, "secretary")
    hid = world["household"]["id"]  # a resident still lives there
    response = secretary.delete("/admin/households/delete", params={"pks": str(hid)})
    assert "error=" in response.text and "%E4%BB%8D%E8%A2%AB" in response.text  # 仍被…引用
    assert client.get(f"/api/v1/households/{hid}").status_code == 200


def test_sorting_and_paging_stay_within_the_chiefs_grid(world, app, chief):
    for params in ({"sortBy": "name", "sort": "desc"}, {"sortBy": "id"}, {"page": "2"},
                   {"pageSize": "200"}):
        page = chief.get("/admin/residents/list", params=params, follow_redirects=True)
        assert page.status_code == 200, params
        assert world["other_resident"]["id_number"] not in page.text, params
    # Sorting on a column without an index is not offered (it would take seconds at 500k rows).
    assert chief.get("/admin/residents/list", params={"sortBy": "birth_date"}).status_code == 400


def test_chief2_sees_their_grid_and_not_the_chiefs(world, app):
    chief2 = panel_login(app, "chief2")
    page = chief2.get("/admin/residents/list")
    assert world["other_resident"]["id_number"] in page.text
    assert world["resident"]["id_number"] not in page.text
    details = chief2.get(f"/admin/residents/details/{world['resident']['id']}")
    assert details.status_code in (403, 404)
    edit_page = chief2.get(f"/admin/households/edit/{world['household']['id']}")
    assert edit_page.status_code in (403, 404)
    found = chief2.get("/admin/residents/ajax/lookup",
                       params={"name": "household_id", "term": "单元"})
    assert [h["id"] for h in found.json()["results"]] == [world["other_household"]["id"]]


def test_the_chief_deletes_nothing_single_or_bulk_own_or_not(world, chief, client):
    """Grid chiefs keep the ledgers without deleting (the policy); chief2's rows are not theirs."""
    mine, theirs = world["resident"]["id"], world["other_resident"]["id"]
    assert "删除" not in chief.get(f"/admin/residents/details/{mine}").text
    for pks in (str(theirs), f"{mine},{theirs}"):
        assert chief.delete("/admin/residents/delete", params={"pks": pks}).status_code == 403
    for rid in (mine, theirs):
        assert client.get(f"/api/v1/residents/{rid}").status_code == 200


def test_an_administrator_creates_an_account_in_the_panel_and_it_can_log_in(server, app, client):
    admin = panel_login(app, "admin")
    form = admin.get("/admin/users/create")
    assert form.status_code == 200 and 'type="password"' in form.text
    response = admin.post("/admin/users/create", data={
        "username": "new-secretary", "password": "a-long-password-1", "display_name": "新书记",
        "is_active": "y", "save": "保存"})
    assert response.status_code == 302, response.text
    listed = ok(client.get("/api/v1/users", params={"username": "new-secretary"}))["items"][0]
    assert "password" not in listed and "password_hash" not in listed
    assert "a-long-password-1" not in admin.get(f"/admin/users/details/{listed['id']}").text
    token = TestClient(app).post("/api/v1/auth/token", data={
        "username": "new-secretary", "password": "a-long-password-1"})
    assert token.status_code == 200


def test_pages_name_the_grid_and_the_household_rather_than_quote_codes(world, chief, client):
    grid_name = ok(client.get(f"/api/v1/grids?code={GRID}"))["items"][0]["name"]
    listing = chief.get("/admin/residents/list").text
    assert f"{grid_name} ({GRID})" in listing  # the name, its code beside it
    assert "3号楼 1单元101 刘志强" in listing  # 楼栋 房号 户主, not the household's id
    details = chief.get(f"/admin/residents/details/{world['resident']['id']}").text
    assert "3号楼 1单元101 刘志强" in details and f"{grid_name} ({GRID})" in details
    household = chief.get(f"/admin/households/details/{world['household']['id']}").text
    assert re.search(r"<td>\s*3号楼\s*</td>", household)  # its building by name, not its id


def test_a_grids_page_draws_its_boundary_as_a_map(world, chief, client):
    grid = ok(client.get("/api/v1/grids", params={"code": GRID}))["items"][0]
    page = chief.get(f"/admin/grids/details/{grid['id']}")
    assert page.status_code == 200
    assert '<svg class="gridlink-map"' in page.text and "<path d=" in page.text
    assert "coordinates" not in page.text  # not the GeoJSON printed as text


def test_the_audit_log_reads_in_words_with_time_and_filters(world, app, client):
    """An administrator checks who changed a resident: the time in Beijing, the person's real
    name, the action and the entity in Chinese (English on the switch), filtered by them."""
    chief = panel_login(app, "chief")
    rid = world["resident"]["id"]
    form = chief.get(f"/admin/residents/edit/{rid}").text
    version = re.search(r'name="version"[^>]*value="(\d+)"', form)
    assert version, "the edit form carries the row's version"
    saved = chief.post(f"/admin/residents/edit/{rid}", data={
        "csrf_token": page_token(form), "version": version.group(1), "name": "王秀兰",
        "household_id": str(world["household"]["id"]), "id_number": id_number(1),
        "gender": "male", "residence_type": "registered", "phone": "13812345678"})
    assert saved.status_code in (302, 303), saved.text[-1500:]
    admin = panel_login(app, "admin")
    page = admin.get("/admin/audit-log/list", params={"actor": "chief", "entity": "residents"})
    assert page.status_code == 200
    text = page.text
    assert "修改" in text and "居民" in text and "(chief)" in text
    assert "网格长" in text or "chief" in text
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", text)  # the time column, Beijing
    rows = text.split("<tbody>")[1].split("</tbody>")[0]
    assert ">update<" not in rows and ">residents<" not in rows
    sidebar = text.split('id="filter-sidebar"')[1]
    assert 'data-filter="actor"' in sidebar and 'data-filter="entity"' in sidebar
    english = admin.get("/admin/audit-log/list", params={"actor": "chief", "lang": "en"}).text
    assert "updated" in english.split("<tbody>")[1]
