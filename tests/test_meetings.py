"""Meetings as the street and the grid hold them: the joint meeting (联席会议) of departments on
hard cases and disputes, whose decisions task a department by a date; the department reads
what it attended and was tasked with, and reports its task done (backend/meetings)."""

from __future__ import annotations

import datetime as dt
import html

import pytest

from backend.core.db import BEIJING
from tests.builders import COMMUNITY, GRID, OTHER_GRID, SANITATION, STREET, ok
from tests.test_admin_panel import panel_login
from tests.world import make_world

POLICE = "GA01"


def _day(offset: int) -> str:
    return (dt.datetime.now(BEIJING).date() + dt.timedelta(days=offset)).isoformat()


@pytest.fixture
def joint(client, as_user):
    """The street's joint meeting two days ago, the sanitation office and the police attending,
    on a case of the grid (sanitation tasked), a dispute (the police tasked) and a matter
    only discussed."""
    world = make_world(client)
    ok(client.post("/api/v1/departments", json={
        "code": POLICE, "name": "鹤山区公安分局新华街派出所", "kind": "police",
        "area_code": STREET}), 201)
    case = ok(as_user("chief").post("/api/v1/cases", json={
        "source": "patrol", "category_code": world.category["code"], "grid_code": GRID,
        "title": "88号院门口积存垃圾反复出现"}), 201)
    dispatcher = as_user("dispatcher")
    meeting = ok(dispatcher.post("/api/v1/meetings", json={
        "area_code": STREET, "kind": "joint", "title": "中山路街道11月联席会议",
        "held_on": _day(-2), "place": "街道综治中心", "attendees": ["王书记", "王建国"],
        "department_codes": [SANITATION, POLICE],
        "minutes": "研究88号院积存垃圾和漏水纠纷两件难点问题"}), 201)
    items = {
        "case": ok(dispatcher.post("/api/v1/meeting-items", json={
            "meeting_id": meeting["id"], "subject": "88号院积存垃圾反复", "case_id": case["id"],
            "decision": "环卫处十日内清运, 设置临时收集点", "department_code": SANITATION,
            "due_on": _day(10)}), 201),
        "dispute": ok(dispatcher.post("/api/v1/meeting-items", json={
            "meeting_id": meeting["id"], "subject": "楼上漏水纠纷久调不决",
            "dispute_id": world.dispute["id"], "decision": "派出所民警参与调解",
            "department_code": POLICE, "due_on": _day(10)}), 201),
        "talk": ok(dispatcher.post("/api/v1/meeting-items", json={
            "meeting_id": meeting["id"], "subject": "冬季燃气安全宣传",
            "discussion": "各社区自行安排"}), 201),
    }
    return {"world": world, "case": case, "meeting": meeting, "items": items}


def test_a_joint_meeting_tasks_departments_and_the_department_reports_done(joint, as_user):
    meeting, items = joint["meeting"], joint["items"]
    assert meeting["chair"] == "指挥中心坐席"  # the one who wrote it, when none is named
    assert items["case"]["area_code"] == STREET  # the meeting's
    assert (items["case"]["status"], items["talk"]["status"]) == ("assigned", "recorded")
    assert items["case"]["light"] == "green" and items["talk"]["light"] is None
    # The clock runs from the meeting's day, when the decision was taken.
    assert items["case"]["assigned_at"] == (dt.datetime.combine(
        dt.date.fromisoformat(_day(-2)), dt.time(0), BEIJING).astimezone(dt.UTC)
        .isoformat().replace("+00:00", "Z"))
    assert items["case"]["due_at"] == (dt.datetime.combine(
        dt.date.fromisoformat(_day(11)), dt.time(0), BEIJING).astimezone(dt.UTC)
        .isoformat().replace("+00:00", "Z"))

    sanitation = as_user("dept-sanitation")
    # The office reads the meeting it attended and only the task it was given.
    attended = {m["id"] for m in ok(sanitation.get("/api/v1/meetings"))["items"]}
    assert attended == {meeting["id"], joint["world"].meeting["id"]}
    mine = ok(sanitation.get("/api/v1/meeting-items"))["items"]
    assert [i["id"] for i in mine] == [items["case"]["id"]]
    assert sanitation.get(f"/api/v1/meeting-items/{items['dispute']['id']}").status_code == 404
    notices = ok(sanitation.get("/api/v1/notifications"))["items"]
    assert any(n["kind"] == "meeting_task" and "88号院积存垃圾反复" in n["title"]
               for n in notices)
    desk = {q["key"]: q for q in ok(sanitation.get("/api/v1/workbench"))["queues"]}
    assert [i["subject"] for i in desk["meeting_tasks"]["items"]] == ["88号院积存垃圾反复"]

    url = f"/api/v1/meeting-items/{items['case']['id']}/actions/finish"
    bare = sanitation.post(url, json={})
    assert bare.status_code == 422 and bare.json()["errors"][0]["field"] == "result"
    done = ok(sanitation.post(url, json={"result": "已清运, 临时收集点已设置"}))
    assert (done["status"], done["light"], done["result"]) == ("done", None,
                                                              "已清运, 临时收集点已设置")
    assert sanitation.post(url, json={"result": "再报一次"}).status_code == 409
    # Someone else's task: not theirs to see, so not theirs to finish.
    police_task = f"/api/v1/meeting-items/{items['dispute']['id']}/actions/finish"
    assert sanitation.post(police_task, json={"result": "代报"}).status_code == 404
    # A task done keeps its department and date.
    changed = as_user("dispatcher").patch(f"/api/v1/meeting-items/{items['case']['id']}",
                                          json={"department_code": POLICE})
    assert changed.status_code == 409
    assert ok(as_user("dispatcher").get("/api/v1/workbench"))["queues"]


def test_the_grid_reads_its_own_meetings_and_records_what_it_decides(joint, as_user, client):
    chief = as_user("chief")
    grid_meeting = ok(chief.post("/api/v1/meetings", json={
        "area_code": GRID, "kind": "grid", "title": "新华街第七网格例会", "held_on": _day(-1),
        "attendees": ["王建国", "李秀英"]}), 201)
    assert grid_meeting["chair"] == "网格长"
    # The street's meeting is above the grid: its chief does not read it; the other grid's
    # chief reads neither.
    listed = [m["id"] for m in ok(chief.get("/api/v1/meetings"))["items"]]
    assert joint["meeting"]["id"] not in listed and grid_meeting["id"] in listed
    assert as_user("chief2").get(f"/api/v1/meetings/{grid_meeting['id']}").status_code == 404
    assert ok(as_user("secretary").get(f"/api/v1/meetings/{grid_meeting['id']}"))
    # A later PATCH tasking a department tells it.
    item = ok(chief.post("/api/v1/meeting-items", json={
        "meeting_id": grid_meeting["id"], "subject": "楼道堆物清理",
        "decision": "请环卫处协助清运"}), 201)
    tasked = ok(chief.patch(f"/api/v1/meeting-items/{item['id']}", json={
        "department_code": SANITATION, "due_on": _day(5)}))
    assert tasked["status"] == "assigned" and tasked["light"] == "green"
    notices = ok(as_user("dept-sanitation").get("/api/v1/notifications"))["items"]
    assert any("楼道堆物清理" in n["title"] for n in notices)
    untasked = ok(chief.patch(f"/api/v1/meeting-items/{item['id']}", json={
        "department_code": None, "due_on": None}))
    assert (untasked["status"], untasked["due_at"], untasked["light"]) == ("recorded", None,
                                                                          None)


def test_what_a_meeting_refuses_names_the_field_and_writes_nothing(joint, as_user, client):
    chief, dispatcher = as_user("chief"), as_user("dispatcher")
    base = {"area_code": GRID, "kind": "grid", "title": "例会", "held_on": _day(-1)}
    for change, field in (({"area_code": COMMUNITY}, "area_code"),
                          ({"kind": "joint"}, "area_code"),
                          ({"held_on": _day(1)}, "held_on"),
                          ({"department_codes": ["NOPE1"]}, "department_codes"),
                          ({"attendees": ["王" * 51]}, "attendees"),
                          ({"title": "例会\x00"}, None)):
        refused = dispatcher.post("/api/v1/meetings", json=base | change)
        assert refused.status_code in (400, 422), change
        if field:
            assert refused.json()["errors"][0]["field"].startswith(field), change
    assert chief.post("/api/v1/meetings", json=base | {"area_code": OTHER_GRID}).status_code \
        == 403
    meeting_id = joint["meeting"]["id"]
    item = {"meeting_id": meeting_id, "subject": "议题"}
    other_case = ok(as_user("chief2").post("/api/v1/cases", json={
        "source": "patrol", "category_code": joint["world"].category["code"],
        "grid_code": OTHER_GRID, "title": "红旗社区井盖缺失"}), 201)
    grid_meeting = ok(chief.post("/api/v1/meetings", json=base), 201)
    for body, field, who in (
            (item | {"case_id": joint["case"]["id"],
                     "dispute_id": joint["world"].dispute["id"]}, "dispute_id", dispatcher),
            (item | {"department_code": SANITATION, "decision": "清运"}, "due_on", dispatcher),
            (item | {"due_on": _day(3)}, "department_code", dispatcher),
            (item | {"department_code": SANITATION, "due_on": _day(3)}, "decision", dispatcher),
            (item | {"department_code": SANITATION, "due_on": _day(-30), "decision": "清运"},
             "due_on", dispatcher),
            ({"meeting_id": grid_meeting["id"], "subject": "议题",
              "case_id": other_case["id"]}, "case_id", as_user("secretary"))):
        before = ok(client.get("/api/v1/meeting-items"))["total"]
        refused = who.post("/api/v1/meeting-items", json=body)
        assert refused.status_code == 422, body
        assert refused.json()["errors"][0]["field"] == field, (body, refused.text)
        assert ok(client.get("/api/v1/meeting-items"))["total"] == before
    # A meeting of another grid is unknown to the chief, as any row out of scope.
    chief2_meeting = ok(as_user("chief2").post("/api/v1/meetings", json=base | {
        "area_code": OTHER_GRID}), 201)
    refused = chief.post("/api/v1/meeting-items", json={"meeting_id": chief2_meeting["id"],
                                                         "subject": "越权"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "meeting_id"


def test_the_panel_shows_a_department_its_tasks_from_meetings(app, joint):
    home = html.unescape(panel_login(app, "dept-sanitation").get("/admin/").text)
    assert 'data-queue="meeting_tasks"' in home and "88号院积存垃圾反复" in home
    listed = html.unescape(panel_login(app, "dept-sanitation").get(
        "/admin/meeting-items/list").text)
    assert "88号院积存垃圾反复" in listed and "楼上漏水纠纷久调不决" not in listed
