"""The small desks worked from the panel, through the same services as the API: a chief settles
a resident's request and answers an errand; the sanitation office reports a meeting's task
done; stale pages, wrong roles and other scopes change nothing."""

from __future__ import annotations

import html

import pytest

from tests.builders import GRID, SANITATION, ok
from tests.test_admin_panel import panel_login
from tests.world import make_world


@pytest.fixture
def desks(client):
    world = make_world(client)
    request = ok(client.post("/api/v1/resident-requests", json={
        "grid_code": GRID, "requester_name": "刘志强", "phone": "13512345678",
        "content": "楼道灯坏了三天", "kind": "ordinary"}), 201)
    errand = ok(client.post("/api/v1/errands", json={
        "grid_code": GRID, "requester_name": "刘志强", "kind": "pension",
        "affair": "代办养老保险资格认证"}), 201)
    task = ok(client.post("/api/v1/meeting-items", json={
        "meeting_id": world.meeting["id"], "subject": "88号院积存垃圾反复",
        "decision": "环卫处一周内清运", "department_code": SANITATION,
        "due_on": world.meeting["held_on"]}), 201)
    return {"request": request, "errand": errand, "task": task}


def step(browser, entity: str, row: dict, action: str, version: int | None = None, **fields):
    return browser.post(f"/admin/{entity}/{row['id']}/steps", data={
        "action": action, "version": str(version or row["version"])} | fields)


def test_the_chief_settles_a_request_and_answers_an_errand_from_the_panel(app, client, desks):
    chief = panel_login(app, "chief")
    request, errand = desks["request"], desks["errand"]
    home = html.unescape(chief.get("/admin/").text)  # both wait on her desk
    assert 'data-queue="requests_open"' in home and "楼道灯坏了三天" in home
    assert 'data-queue="errands_open"' in home and "代办养老保险资格认证" in home
    assert "办理" in chief.get(f"/admin/resident-requests/details/{request['id']}").text
    page = html.unescape(chief.get(f"/admin/resident-requests/{request['id']}/steps").text)
    assert "楼道灯坏了三天" in page and "13512345678" in page  # the chief reads phones
    assert "新华街第七网格 (" in page  # the grid by its name
    assert 'data-action="settle"' in page and 'data-action="refer"' in page
    bare = step(chief, "resident-requests", request, "settle")
    assert bare.status_code == 400
    assert ok(client.get(f"/api/v1/resident-requests/{request['id']}"))["status"] == "open"
    assert step(chief, "resident-requests", request, "settle",
                result="已联系物业更换楼道灯").status_code == 302
    settled = ok(client.get(f"/api/v1/resident-requests/{request['id']}"))
    assert (settled["status"], settled["result"]) == ("settled", "已联系物业更换楼道灯")
    # Settled: nothing left to take; a second settle from the stale page is refused.
    page = chief.get(f"/admin/resident-requests/{request['id']}/steps").text
    assert "当前状态没有您可执行的操作" in page
    assert step(chief, "resident-requests", request, "settle", result="再办一次"
                ).status_code == 409

    assert step(chief, "errands", errand, "answer", progress="材料已收齐, 明日到社保中心办理"
                ).status_code == 302
    answered = ok(client.get(f"/api/v1/errands/{errand['id']}"))
    assert answered["status"] == "in_progress" and answered["answered_at"]
    page = chief.get(f"/admin/errands/{errand['id']}/steps").text
    assert 'data-action="finish"' in page and 'data-action="answer"' not in page


def test_the_office_reports_its_task_done_and_no_one_else_touches_it(app, client, desks):
    task = desks["task"]
    office = panel_login(app, "dept-sanitation")
    page = html.unescape(office.get(f"/admin/meeting-items/{task['id']}/steps").text)
    assert "环卫处一周内清运" in page and 'data-action="finish"' in page
    assert "鹤山区环境卫生管理处 (HW01)" in page and "红灯" in page  # past its date
    assert step(office, "meeting-items", task, "finish", version=9, result="已清运"
                ).status_code == 400  # a stale page
    assert step(office, "meeting-items", task, "finish", result="已清运").status_code == 302
    assert ok(client.get(f"/api/v1/meeting-items/{task['id']}"))["status"] == "done"
    # The grid member takes no steps of a meeting; the other grid's chief reads none of it.
    assert panel_login(app, "member").get(
        f"/admin/meeting-items/{task['id']}/steps").status_code == 403
    assert panel_login(app, "chief2").get(
        f"/admin/resident-requests/{desks['request']['id']}/steps").status_code == 404
    assert panel_login(app, "chief").get("/admin/errands/junk/steps").status_code == 404


def test_the_member_notes_a_request_settled_on_the_spot_from_the_panel(app, client, desks):
    member = panel_login(app, "member")
    form = html.unescape(member.get("/admin/resident-requests/create").text)
    assert "办理结果" in form and "当场解决的, 写明结果即办结" in form
    response = member.post("/admin/resident-requests/create", data={
        "grid_code": GRID, "requester_name": "王桂兰", "content": "垃圾桶满了",
        "kind": "ordinary", "result": "当场联系保洁清运", "save": "保存"})
    assert response.status_code == 302, response.text
    noted = ok(client.get("/api/v1/resident-requests", params={"requester_name": "王桂兰"}))
    assert [(r["status"], r["result"]) for r in noted["items"]] == [("settled", "当场联系保洁清运")]
    # An urgent one is not settled on the spot: refused next to the field, nothing written.
    refused = member.post("/admin/resident-requests/create", data={
        "grid_code": GRID, "requester_name": "赵强", "content": "燃气味很重",
        "kind": "urgent", "result": "已处理", "save": "保存"})
    assert refused.status_code == 400 and "不能现场办结" in html.unescape(refused.text)
    assert ok(client.get("/api/v1/resident-requests", params={"requester_name": "赵强"})
              )["total"] == 0
