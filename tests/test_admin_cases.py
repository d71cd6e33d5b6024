"""Dispatchers and departments work cases in the panel: the same workflow, the same rules."""

from __future__ import annotations

from tests.builders import SANITATION, ok
from tests.test_admin_panel import panel_login
from tests.test_workflow import report, world  # noqa: F401  (the workflow tests' world)


def take(browser, case_id: int, action: str, version: int, **fields):
    return browser.post(f"/admin/cases/{case_id}/workflow",
                        data={"action": action, "version": str(version)} | fields)


def current(client, case: dict) -> dict:
    return ok(client.get(f"/api/v1/cases/{case['id']}"))


def test_a_dispatcher_files_dispatches_verifies_and_closes_a_case_in_the_panel(
        world, app, as_user, client):  # noqa: F811
    case = report(as_user("member"), world)
    dispatcher = panel_login(app, "dispatcher")
    details = dispatcher.get(f"/admin/cases/details/{case['id']}")
    assert "办理" in details.text
    page = dispatcher.get(f"/admin/cases/{case['id']}/workflow")
    assert page.status_code == 200 and "立案" in page.text and "作废" in page.text
    assert 'data-action="close"' not in page.text  # not from "reported"

    assert take(dispatcher, case["id"], "file", 1).status_code == 302
    page = dispatcher.get(f"/admin/cases/{case['id']}/workflow")
    assert "派遣" in page.text and "处置部门" in page.text  # dispatch picks a department
    departments = dispatcher.get("/admin/cases/ajax/lookup",
                                 params={"name": "department_code", "term": "HW"}).json()
    assert SANITATION in [d["id"] for d in departments["results"]]
    version = current(client, case)["version"]
    assert take(dispatcher, case["id"], "dispatch", version,
                department_code=SANITATION, instructions="今天清运").status_code == 302
    assert current(client, case)["status"] == "dispatched"

    department = as_user("dept-sanitation")
    ok(department.post(f"/api/v1/cases/{case['id']}/actions/accept", json={}))
    ok(department.post(f"/api/v1/cases/{case['id']}/actions/feedback", json={"note": "已清运"}))

    # Not good enough: back to the department, with the reason the form insists on.
    version = current(client, case)["version"]
    refused = take(dispatcher, case["id"], "rework", version)
    assert refused.status_code == 400 and current(client, case)["status"] == "handled"
    assert take(dispatcher, case["id"], "rework", version, note="仍有残留").status_code == 302
    assert current(client, case)["rework_count"] == 1
    ok(department.post(f"/api/v1/cases/{case['id']}/actions/accept", json={}))
    ok(department.post(f"/api/v1/cases/{case['id']}/actions/feedback", json={"note": "已彻底清理"}))
    version = current(client, case)["version"]
    assert take(dispatcher, case["id"], "close", version, note="现场核查通过").status_code == 302

    closed = current(client, case)
    assert closed["status"] == "closed"
    timeline = ok(client.get(f"/api/v1/cases/{case['id']}/steps"))
    assert [s["action"] for s in timeline] == [
        "file", "dispatch", "accept", "feedback", "rework", "accept", "feedback", "close"]
    assert timeline[0]["actor"] == "dispatcher"
    page = dispatcher.get(f"/admin/cases/{case['id']}/workflow")
    assert "仍有残留" in page.text  # the timeline is on the page


def test_a_stale_page_or_a_disallowed_action_changes_nothing(world, app, as_user, client):  # noqa: F811
    case = report(as_user("member"), world)
    dispatcher = panel_login(app, "dispatcher")
    assert take(dispatcher, case["id"], "file", 1).status_code == 302
    stale = take(dispatcher, case["id"], "cancel", 1, note="重复")
    assert stale.status_code == 400 and "已被修改" in stale.text
    assert take(dispatcher, case["id"], "close", 2).status_code == 409
    assert current(client, case)["status"] == "filed"


def test_a_case_action_without_the_pages_version_is_refused_as_stale(
        world, app, as_user, client):  # noqa: F811
    case = report(as_user("member"), world)
    dispatcher = panel_login(app, "dispatcher")
    for version in ({}, {"version": "*"}):
        response = dispatcher.post(f"/admin/cases/{case['id']}/workflow",
                                   data={"action": "file"} | version)
        assert response.status_code == 400 and "已被修改" in response.text
    assert current(client, case)["status"] == "reported"

def test_roles_see_only_their_actions_and_cases(world, app, as_user, client):  # noqa: F811
    case = report(as_user("member"), world)
    member = panel_login(app, "member")  # may report, not work cases
    assert member.get(f"/admin/cases/{case['id']}/workflow").status_code == 403
    department = panel_login(app, "dept-sanitation")  # not dispatched to it yet: not its case
    assert department.get(f"/admin/cases/{case['id']}/workflow").status_code == 404
    assert department.get(f"/admin/cases/details/{case['id']}").status_code in (403, 404)
    chief2 = panel_login(app, "chief2")  # another grid's chief
    assert chief2.get(f"/admin/cases/{case['id']}/workflow").status_code in (403, 404)
    assert take(chief2, case["id"], "handle-on-site", 1, note="x").status_code in (403, 404)
    assert current(client, case)["status"] == "reported"
    for junk in ("abc", "0", "99999999999999999999"):
        assert panel_login(app, "dispatcher").get(
            f"/admin/cases/{junk}/workflow").status_code == 404


def test_the_case_page_shows_the_case_its_place_and_its_timeline_in_words(
        world, app, as_user, client):  # noqa: F811
    """What a handler reads before acting: the content, the grid's outline with the case in it,
    and who did what, by name."""
    case = report(as_user("member"), world, description="垃圾堆在门口三天了", address="新华街88号",
                  lat=35.935, lng=114.175, reporter_name="王大爷", reporter_phone="13912345678")
    dispatcher = panel_login(app, "dispatcher")
    assert take(dispatcher, case["id"], "file", 1, note="符合立案条件").status_code == 302
    page = dispatcher.get(f"/admin/cases/{case['id']}/workflow").text
    for words in ("垃圾堆在门口三天了", "新华街88号", "积存垃圾渣土", "新华街第七网格", "王大爷"):
        assert words in page, words
    assert '<svg class="gridlink-map"' in page and 'data-point="case"' in page  # drawn, offline
    timeline = page.split('id="gridlink-timeline"')[1].split("</ul>")[0]
    assert "网格员" in timeline or "上报" in timeline
    assert "立案" in timeline and "符合立案条件" in timeline
    assert "dispatcher" not in timeline  # a name, not a login
    masked = panel_login(app, "dept-sanitation")
    dispatch_case_to_sanitation = as_user("dispatcher")
    ok(dispatch_case_to_sanitation.post(f"/api/v1/cases/{case['id']}/actions/dispatch", json={}))
    shown = masked.get(f"/admin/cases/{case['id']}/workflow").text
    assert "13912345678" not in shown  # the department does not read the reporter's phone


def test_a_summons_picks_several_departments_and_a_review_is_a_choice(
        world, app, as_user, client):  # noqa: F811
    ok(client.post("/api/v1/departments", json={
        "code": "ZF01", "name": "城市管理综合执法大队", "kind": "enforcement",
        "area_code": world.department["area_code"]}), 201)
    case = report(as_user("member"), world)
    dispatcher = panel_login(app, "dispatcher")
    assert take(dispatcher, case["id"], "file", 1).status_code == 302
    version = current(client, case)["version"]
    assert take(dispatcher, case["id"], "dispatch", version).status_code == 302
    page = dispatcher.get(f"/admin/cases/{case['id']}/workflow").text
    assert 'name="department_codes"' in page and "multiple" in page.split(
        'name="department_codes"')[0].rsplit("<select", 1)[1] + page.split(
        'name="department_codes"')[1].split(">")[0]
    version = current(client, case)["version"]
    summoned = take(dispatcher, case["id"], "summon", version,
                    department_codes=[SANITATION, "ZF01"], instructions="联合清理")
    assert summoned.status_code == 302, summoned.text[-2000:]
    steps = ok(client.get(f"/api/v1/cases/{case['id']}/steps"))
    summons = [s for s in steps if s["action"] == "summon"]
    assert summons and summons[-1]["details"]["department_codes"] == [SANITATION, "ZF01"]
    found = dispatcher.get("/admin/cases/ajax/lookup", params={
        "name": "original_case_id", "term": case["code"][:12]}).json()["results"]
    assert any(item["id"] == case["id"] and case["code"] in item["text"] for item in found)


def test_a_case_details_page_is_headed_by_its_code_and_title_with_the_action_on_top(
        world, app, as_user):  # noqa: F811
    case = report(as_user("member"), world)
    page = panel_login(app, "dispatcher").get(f"/admin/cases/details/{case['id']}").text
    header = page.split('class="card-header"')[1].split('class="card-body')[0]
    assert f"{case['code']} · 88号院门口积存垃圾" in header and "Id:" not in header
    assert 'data-top-action="workflow"' in header and "办理" in header
