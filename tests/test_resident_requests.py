"""民情 as the grid takes it: a resident's request answered within its kind's deadline, settled
("解决一件注销一件"), or referred to the case or dispute it became; the community keeps its
grids', no other grid sees it, phones masked for who may not read them."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.cases.models import DeadlineUnit
from backend.cases.sla import WorkingCalendar
from backend.core.crud import Caller
from backend.kpi.periods import PeriodKind, parse_period
from backend.kpi.requests import request_figures
from backend.kpi.scope import Subject
from tests.builders import GRID, OTHER_GRID, ok
from tests.world import make_world


@pytest.fixture
def world(client):
    return make_world(client)


def take(user, request: dict, action: str, **body):
    return user.post(f"/api/v1/resident-requests/{request['id']}/actions/{action}", json=body)


def when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_an_ordinary_request_is_answered_within_a_working_day_and_settled(world, as_user):
    member = as_user("member")
    request = ok(member.post("/api/v1/resident-requests", json={
        "grid_code": GRID, "resident_id": world.resident["id"], "requester_name": "刘志强",
        "phone": "13512345678", "content": "楼道灯坏了一周, 老人夜里上下楼不方便"}), 201)
    assert (request["status"], request["kind"], request["light"]) == ("open", "ordinary", "green")
    assert request["recorded_by"] == "网格员"
    received = when(request["received_at"])
    assert when(request["due_at"]) == WorkingCalendar().due_at(
        received, 1, DeadlineUnit.working_days)
    assert request["phone"] == "135****5678"  # the member reads phones masked

    settled = ok(take(member, request, "settle", result="已联系物业更换楼道灯"))
    assert (settled["status"], settled["result"], settled["light"]) == (
        "settled", "已联系物业更换楼道灯", None)
    again = take(member, request, "settle", result="再次")
    assert again.status_code == 409
    assert ok(as_user("secretary").get(
        f"/api/v1/resident-requests/{request['id']}"))["phone"] == "13512345678"
    assert as_user("chief2").get(f"/api/v1/resident-requests/{request['id']}").status_code == 404
    assert as_user("dept-sanitation").get("/api/v1/resident-requests").status_code == 403


def test_a_request_settled_on_the_spot_is_noted_settled_at_once(world, as_user):
    member = as_user("member")
    noted = ok(member.post("/api/v1/resident-requests", json={
        "grid_code": GRID, "requester_name": "王桂兰", "content": "垃圾桶满了",
        "result": "当场联系保洁清运"}), 201)
    assert (noted["status"], noted["result"], noted["light"]) == (
        "settled", "当场联系保洁清运", None)
    assert noted["settled_at"] == noted["received_at"]
    assert take(member, noted, "settle", result="再次").status_code == 409
    # Only an ordinary request is settled on the spot; the result is then the settle step's.
    for kind in ("coordination", "urgent"):
        refused = member.post("/api/v1/resident-requests", json={
            "grid_code": GRID, "requester_name": "王桂兰", "content": "小区停车难",
            "kind": kind, "result": "已解决"})
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "result"
    opened = ok(member.post("/api/v1/resident-requests", json={
        "grid_code": GRID, "requester_name": "王桂兰", "content": "楼道灯坏了"}), 201)
    patched = as_user("chief").patch(f"/api/v1/resident-requests/{opened['id']}",
                                     json={"result": "已修好"})
    assert patched.status_code == 422 and patched.json()["errors"][0]["field"] == "result"
    listed = ok(member.get("/api/v1/resident-requests", params={"sort": "id"}))["items"]
    assert [(r["status"], r["result"]) for r in listed] == [
        ("settled", "当场联系保洁清运"), ("open", None)]
    # It counts as received and closed in time.
    figures = ok(as_user("secretary").get("/api/v1/kpi/requests"))
    assert {k: figures[k] for k in ("requests", "requests_closed_in_time", "requests_open")} == {
        "requests": 2, "requests_closed_in_time": 1, "requests_open": 1}


def test_an_urgent_request_becomes_a_dispute_linked_not_copied(world, as_user):
    chief = as_user("chief")
    request = ok(chief.post("/api/v1/resident-requests", json={
        "grid_code": GRID, "requester_name": "王芳", "kind": "urgent",
        "content": "邻居因漏水争吵, 已有推搡"}), 201)
    assert when(request["due_at"]) - when(request["received_at"]) == dt.timedelta(hours=2)
    referred = ok(take(chief, request, "refer", dispute_id=world.dispute["id"]))
    assert (referred["status"], referred["dispute_id"], referred["case_id"]) == (
        "referred", world.dispute["id"], None)
    log = ok(as_user("admin").get("/api/v1/audit-log", params={
        "entity": "resident-requests", "entity_id": request["id"], "action": "refer"}))["items"]
    assert log and log[0]["changes"]["dispute_id"] == [None, world.dispute["id"]]


@pytest.mark.parametrize(("body", "status", "field"), [
    ({}, 422, "case_id"),  # neither
    ({"case_id": 1, "dispute_id": 1}, 422, "case_id"),  # both
    ({"dispute_id": 999999}, 422, "dispute_id"),
    ({"dispute_id": "x"}, 422, "dispute_id"),
    ({"result": "多余"}, 422, "result"),
])
def test_a_bad_referral_is_refused_naming_the_field_and_changes_nothing(world, as_user, body,
                                                                          status, field):
    chief = as_user("chief")
    request = ok(chief.post("/api/v1/resident-requests", json={
        "grid_code": GRID, "requester_name": "王芳", "content": "噪音扰民"}), 201)
    refused = take(chief, request, "refer", **body)
    assert refused.status_code == status, refused.text
    assert refused.json()["errors"][0]["field"] == field
    after = ok(chief.get(f"/api/v1/resident-requests/{request['id']}"))
    assert (after["status"], after["version"]) == ("open", request["version"])


def test_another_communitys_dispute_cannot_be_linked(world, client, as_user):
    theirs = ok(client.post("/api/v1/disputes", json={
        "grid_code": OTHER_GRID, "type_code": "01", "title": "他处纠纷",
        "found_on": "2026-11-20"}), 201)
    chief = as_user("chief")
    request = ok(chief.post("/api/v1/resident-requests", json={
        "grid_code": GRID, "requester_name": "王芳", "content": "噪音扰民"}), 201)
    refused = take(chief, request, "refer", dispute_id=theirs["id"])
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "dispute_id"
    bad = chief.post("/api/v1/resident-requests", json={
        "grid_code": GRID, "requester_name": "王芳", "content": "x", "kind": "someday"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "kind"


# --- 代办: affairs handled on a resident's behalf ---------------------------------------------


def test_an_errand_is_answered_within_a_working_day_then_followed_until_done(world, as_user):
    member = as_user("member")
    errand = ok(member.post("/api/v1/errands", json={
        "grid_code": GRID, "resident_id": world.resident["id"], "requester_name": "刘志强",
        "phone": "13512345678", "kind": "pension", "affair": "代办养老保险资格认证",
        "office": "区社保中心"}), 201)
    assert (errand["status"], errand["light"], errand["answered_at"]) == (
        "accepted", "green", None)
    assert when(errand["answer_due_at"]) == WorkingCalendar().due_at(
        when(errand["accepted_at"]), 1, DeadlineUnit.working_days)
    answered = ok(member.post(f"/api/v1/errands/{errand['id']}/actions/answer",
                              json={"progress": "材料已收齐, 明日到社保中心办理"}))
    assert (answered["status"], answered["light"]) == ("in_progress", None)
    assert answered["answered_at"] is not None
    assert member.post(f"/api/v1/errands/{errand['id']}/actions/answer",
                       json={"progress": "再次"}).status_code == 409
    done = ok(member.post(f"/api/v1/errands/{errand['id']}/actions/finish",
                          json={"progress": "认证已通过, 已电话告知本人"}))
    assert (done["status"], done["answered_at"]) == ("done", answered["answered_at"])
    assert done["done_at"] is not None
    refused = member.post(f"/api/v1/errands/{errand['id']}/actions/decline", json={})
    assert refused.status_code == 409
    assert as_user("chief2").get(f"/api/v1/errands/{errand['id']}").status_code == 404


def test_a_declined_errand_is_answered_by_its_refusal_and_bad_steps_change_nothing(
        world, as_user):
    chief = as_user("chief")
    errand = ok(chief.post("/api/v1/errands", json={
        "grid_code": GRID, "requester_name": "王芳", "affair": "代办护照"}), 201)
    for body, field in (({}, "progress"), ({"progress": ""}, "progress"),
                        ({"progress": "x", "extra": 1}, "extra")):
        refused = chief.post(f"/api/v1/errands/{errand['id']}/actions/finish", json=body)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == field
    assert ok(chief.get(f"/api/v1/errands/{errand['id']}"))["version"] == errand["version"]
    declined = ok(chief.post(f"/api/v1/errands/{errand['id']}/actions/decline",
                             json={"progress": "护照须本人到出入境窗口办理, 已告知"}))
    assert declined["status"] == "declined" and declined["answered_at"] is not None


def test_the_figures_count_what_was_answered_in_time_open_and_overdue(world, as_user, app):
    chief = as_user("chief")
    requests = [ok(chief.post("/api/v1/resident-requests", json={
        "grid_code": GRID, "requester_name": name, "content": what, "kind": "ordinary"}), 201)
        for name, what in (("刘志强", "楼道灯坏了"), ("王芳", "垃圾桶满溢"), ("张伟", "噪音扰民"))]
    ok(take(chief, requests[0], "settle", result="已更换楼道灯"))
    errands = [ok(chief.post("/api/v1/errands", json={
        "grid_code": GRID, "requester_name": "刘志强", "kind": "pension", "affair": affair}),
        201) for affair in ("养老保险资格认证", "残疾人证换领")]
    url = f"/api/v1/errands/{errands[0]['id']}/actions"
    ok(chief.post(f"{url}/answer", json={"progress": "已受理, 明日办理"}))
    ok(chief.post(f"{url}/finish", json={"progress": "已办结"}))

    figures = ok(as_user("secretary").get("/api/v1/kpi/requests", params={"by": "grid"}))
    assert {k: figures[k] for k in ("requests", "requests_closed", "requests_closed_in_time",
                                    "requests_open", "requests_overdue")} == {
        "requests": 3, "requests_closed": 1, "requests_closed_in_time": 1, "requests_open": 2,
        "requests_overdue": 0}
    assert {k: figures[k] for k in ("errands", "errands_answered_in_time", "errands_done",
                                    "errands_declined", "errands_unanswered_overdue")} == {
        "errands": 2, "errands_answered_in_time": 1, "errands_done": 1, "errands_declined": 0,
        "errands_unanswered_overdue": 0}
    assert figures["rates"] == {"request_on_time_rate": round(1 / 3, 4),
                                "errand_answer_rate": 0.5, "errand_done_rate": 0.5}
    assert [unit["code"] for unit in figures["by"]] == [GRID]
    assert ok(as_user("chief2").get("/api/v1/kpi/requests"))["requests"] == 0  # not his grid
    assert as_user("dept-sanitation").get("/api/v1/kpi/requests").status_code == 403

    # Three weeks on, nothing more done: the open requests and the unanswered errand are late.
    today = dt.datetime.now(dt.UTC).date()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=21)
    period = parse_period(PeriodKind.custom, None, today - dt.timedelta(days=1),
                          today + dt.timedelta(days=30))
    with app.state.db.session() as session:
        late = request_figures(session, caller=Caller.system(), period=period,
                               subject=Subject(), now=later)
    assert (late["requests_open"], late["requests_overdue"]) == (2, 2)
    assert late["errands_unanswered_overdue"] == 1
