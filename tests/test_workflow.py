"""The linkage workflow as the people in it live it: report, file, dispatch, handle, verify.

Accounts: dispatcher (指挥中心, county), dept-sanitation (环卫, HW01), secretary (社区书记),
chief and member (grid 007), chief2 (another community's grid).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.builders import COUNTY, GRID, OTHER_GRID, SANITATION, ok
from tests.world import make_world


@pytest.fixture
def world(client):
    world = make_world(client)
    ok(client.post("/api/v1/departments", json={
        "code": "YL01", "name": "园林绿化所", "kind": "greening", "area_code": COUNTY}), 201)
    return world


def report(user, world, **extra) -> dict:
    body = {"source": "patrol", "category_code": world.category["code"],
            "title": "88号院门口积存垃圾", "grid_code": GRID} | extra
    return ok(user.post("/api/v1/cases", json=body), 201)


def act(user, case: dict, action: str, status: int = 200, **body) -> dict:
    response = user.post(f"/api/v1/cases/{case['id']}/actions/{action}", json=body)
    assert response.status_code == status, response.text
    return response.json()


def steps(user, case) -> list[dict]:
    return ok(user.get(f"/api/v1/cases/{case['id']}/steps"))


def test_a_report_goes_all_the_way_to_a_satisfied_resident(as_user, world):
    member, dispatcher = as_user("member"), as_user("dispatcher")
    department = as_user("dept-sanitation")
    case = report(member, world)
    assert case["status"] == "reported"
    case = act(dispatcher, case, "file")
    case = act(dispatcher, case, "dispatch")
    assert case["status"] == "dispatched" and case["department_code"] == SANITATION
    assert case["due_at"] > case["dispatched_at"] and case["light"] == "green"
    case = act(department, case, "accept")
    assert case["status"] == "processing"
    case = act(department, case, "feedback", note="已清运, 现场已恢复", photo_urls=["https://img/1.jpg"])
    assert case["status"] == "handled"
    case = act(dispatcher, case, "close")
    assert case["status"] == "closed" and case["closed_at"]
    case = act(dispatcher, case, "evaluate", satisfaction=5)
    assert case["satisfaction"] == 5

    timeline = steps(dispatcher, case)
    assert [s["action"] for s in timeline] == ["file", "dispatch", "accept", "feedback", "close",
                                               "evaluate"]
    assert [s["actor"] for s in timeline] == ["dispatcher", "dispatcher", "dept-sanitation",
                                              "dept-sanitation", "dispatcher", "dispatcher"]
    assert timeline[1]["from_status"] == "filed" and timeline[1]["to_status"] == "dispatched"
    assert timeline[3]["details"] == {"photo_urls": ["https://img/1.jpg"]}


def test_an_action_the_status_does_not_allow_answers_409_with_the_allowed_ones(
        client, as_user, world):
    dispatcher = as_user("dispatcher")
    case = report(as_user("member"), world)
    problem = act(dispatcher, case, "close", 409)
    assert set(problem["errors"][0]["msg"].removeprefix("allowed: ").split(", ")) == {
        "file", "cancel", "handle-on-site", "merge"}
    assert steps(dispatcher, case) == []
    assert ok(client.get(f"/api/v1/cases/{case['id']}"))["version"] == case["version"]


def test_a_stale_if_match_answers_412_and_changes_nothing(as_user, world):
    dispatcher = as_user("dispatcher")
    case = report(as_user("member"), world)
    act(dispatcher, case, "file")
    response = dispatcher.post(f"/api/v1/cases/{case['id']}/actions/cancel",
                               json={"note": "重复"}, headers={"If-Match": f'"{case["version"]}"'})
    assert response.status_code == 412
    assert ok(dispatcher.get(f"/api/v1/cases/{case['id']}"))["status"] == "filed"


def test_each_role_takes_only_its_own_actions(as_user, world):
    case = report(as_user("member"), world)
    assert act(as_user("member"), case, "file", 403)["status"] == 403
    assert act(as_user("dept-sanitation"), case, "file", 403)["status"] == 403  # not its job
    assert act(as_user("leader"), case, "file", 403)["status"] == 403
    assert act(as_user("chief2"), case, "handle-on-site", 404, note="x")["status"] == 404
    act(as_user("dispatcher"), case, "file")
    assert act(as_user("chief"), case, "dispatch", 403)["status"] == 403


def test_a_wrong_dispatch_comes_back_and_goes_to_the_right_department(as_user, world):
    dispatcher, department = as_user("dispatcher"), as_user("dept-sanitation")
    case = act(dispatcher, act(dispatcher, report(as_user("member"), world), "file"), "dispatch")
    assert act(department, case, "return", 422)["errors"][0]["field"] == "note"
    case = act(department, case, "return", note="不属于环卫职责, 应为绿化")
    assert case["status"] == "filed" and case["department_code"] is None and case["due_at"] is None
    assert department.get(f"/api/v1/cases/{case['id']}").status_code == 404  # no longer its case
    case = act(dispatcher, case, "dispatch", department_code="YL01")
    assert case["department_code"] == "YL01"


def test_rework_sends_the_case_back_and_is_counted(as_user, world):
    dispatcher, department = as_user("dispatcher"), as_user("dept-sanitation")
    case = act(dispatcher, act(dispatcher, report(as_user("member"), world), "file"), "dispatch")
    act(department, case, "accept")
    act(department, case, "feedback", note="已处理")
    case = act(dispatcher, case, "rework", note="现场仍有垃圾")
    assert case["status"] == "dispatched" and case["rework_count"] == 1
    case = act(department, case, "accept")
    case = act(department, case, "feedback", note="已彻底清运")
    assert act(dispatcher, case, "close")["status"] == "closed"
    kinds = [n["kind"] for n in ok(department.get("/api/v1/notifications"))["items"]]
    assert "rework" in kinds and "dispatch" in kinds


def test_an_extension_moves_the_deadline_only_when_approved(as_user, world):
    dispatcher, department = as_user("dispatcher"), as_user("dept-sanitation")
    case = act(dispatcher, act(dispatcher, report(as_user("member"), world), "file"), "dispatch")
    due = case["due_at"]
    later = (dt.datetime.fromisoformat(due) + dt.timedelta(days=10)).isoformat()
    years_away = act(department, case, "request-extension", 422, note="x",
                     requested_due_at="2099-01-01T00:00:00Z")
    assert years_away["errors"][0]["field"] == "requested_due_at"
    case = act(department, case, "request-extension", note="需协调产权单位", requested_due_at=later)
    assert case["due_at"] == due and case["extension_requested_due_at"]
    act(department, case, "request-extension", 409, note="再次", requested_due_at=later)
    case = act(dispatcher, case, "reject-extension", note="时限内可完成")
    assert case["due_at"] == due and case["extension_count"] == 0
    act(department, case, "request-extension", note="需协调产权单位", requested_due_at=later)
    case = act(dispatcher, case, "approve-extension")
    assert case["due_at"] == later.replace("+00:00", "Z") and case["extension_count"] == 1
    act(dispatcher, case, "approve-extension", 409)  # nothing pending any more


def test_a_grid_chief_handles_a_general_case_on_site_in_one_step(as_user, world):
    chief = as_user("chief")
    case = report(chief, world)
    case = act(chief, case, "handle-on-site", note="已劝离占道摊贩")
    assert case["status"] == "closed" and case["filed_at"] == case["closed_at"]
    assert [s["action"] for s in steps(chief, case)] == ["handle-on-site"]
    coordination = report(chief, world, handling_type="coordination")
    assert act(chief, coordination, "handle-on-site", 409, note="x")["status"] == 409


def test_cancel_needs_a_reason(as_user, world):
    dispatcher = as_user("dispatcher")
    case = report(as_user("member"), world)
    assert act(dispatcher, case, "cancel", 422)["errors"][0]["field"] == "note"
    case = act(dispatcher, case, "cancel", note="非管辖范围的无效上报")
    assert case["status"] == "cancelled" and case["cancel_reason"] == "非管辖范围的无效上报"


def department_user(client, anonymous, code: str) -> dict[str, str]:
    user = ok(client.post("/api/v1/users", json={
        "username": f"dept-{code.lower()}", "password": "department-password",
        "display_name": f"{code} 部门"}), 201)
    ok(client.post("/api/v1/role-assignments", json={
        "user_id": user["id"], "role": "department", "department_code": code}), 201)
    token = ok(anonymous.post("/api/v1/auth/token", data={
        "username": f"dept-{code.lower()}", "password": "department-password"}))["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_the_community_summons_several_departments_to_one_case(client, anonymous, as_user, world):
    secretary, dispatcher = as_user("secretary"), as_user("dispatcher")
    sanitation = as_user("dept-sanitation")
    greening = department_user(client, anonymous, "YL01")
    case = act(dispatcher, report(as_user("member"), world), "file")
    case = act(secretary, case, "summon", department_codes=[SANITATION, "YL01"],
               instructions="倒伏树木压住垃圾箱, 请环卫、园林同时到场")
    assert case["status"] == "dispatched" and case["department_code"] == SANITATION
    tasks = ok(secretary.get(f"/api/v1/cases/{case['id']}/tasks"))
    assert [(t["department_code"], t["is_primary"]) for t in tasks] == [(SANITATION, True),
                                                                          ("YL01", False)]
    act(sanitation, case, "accept")
    case = act(sanitation, case, "feedback", note="垃圾箱已更换")
    assert case["status"] == "processing"  # greening is still at work
    assert ok(anonymous.get(f"/api/v1/cases/{case['id']}", headers=greening))["id"] == case["id"]
    url = f"/api/v1/cases/{case['id']}/actions"
    assert anonymous.post(f"{url}/accept", json={}, headers=greening).status_code == 200
    response = anonymous.post(f"{url}/feedback", json={"note": "树木已移除"}, headers=greening)
    assert response.status_code == 200 and response.json()["status"] == "handled"
    assert act(dispatcher, case, "close")["status"] == "closed"


def test_duplicates_are_flagged_on_intake_and_merged(as_user, world):
    member, dispatcher = as_user("member"), as_user("dispatcher")
    first = report(member, world, lat=35.935, lng=114.175)
    near = report(member, world, lat=35.9352, lng=114.1751, title="门口有垃圾")  # about 25 m
    far = report(member, world, lat=35.939, lng=114.175)  # about 450 m
    assert near["possible_duplicate_of_id"] == first["id"]
    assert far["possible_duplicate_of_id"] is None
    merged = act(dispatcher, near, "merge", original_case_id=first["id"])
    assert merged["status"] == "cancelled" and merged["duplicate_of_id"] == first["id"]
    assert steps(dispatcher, first)[-1]["details"] == {"duplicate_case_id": near["id"]}
    listed = ok(dispatcher.get("/api/v1/cases", params={"duplicate_of_id": first["id"]}))
    assert [c["id"] for c in listed["items"]] == [near["id"]]


def test_routing_rules_pick_the_department_by_category_and_area(client, as_user, world):
    dispatcher = as_user("dispatcher")
    ok(client.post("/api/v1/routing-rules", json={
        "category_code": world.category["code"], "area_code": "410602001",
        "department_code": "YL01"}), 201)
    case = act(dispatcher, act(dispatcher, report(as_user("member"), world), "file"), "dispatch")
    assert case["department_code"] == "YL01"


def test_an_approval_case_climbs_community_street_and_district(client, as_user, world, anonymous):
    street = ok(client.post("/api/v1/users", json={
        "username": "street-dispatcher", "password": "street-password-1",
        "display_name": "街道受理员"}), 201)
    ok(client.post("/api/v1/role-assignments", json={
        "user_id": street["id"], "role": "dispatcher", "area_code": "410602001"}), 201)
    token = ok(anonymous.post("/api/v1/auth/token", data={
        "username": "street-dispatcher", "password": "street-password-1"}))["access_token"]
    street_user = {"Authorization": f"Bearer {token}"}

    secretary, district = as_user("secretary"), as_user("dispatcher")
    case = report(as_user("member"), world, handling_type="approval", title="申请临时占道")
    case = act(district, case, "file")
    problem = act(district, case, "review-approval", 403, decision="approve")
    assert "待社区受理" in problem["detail"]  # not the district's turn yet
    case = act(secretary, case, "review-approval", decision="approve")
    assert case["approval_stage"] == "community_accepted"
    response = anonymous.post(f"/api/v1/cases/{case['id']}/actions/review-approval",
                              json={"decision": "approve"}, headers=street_user)
    assert response.status_code == 200 and response.json()["approval_stage"] == "street_reviewed"
    case = act(district, case, "review-approval", decision="approve", publish=True)
    assert case["status"] == "closed" and case["public_notice"] is True


def test_notifications_reach_the_department_and_are_marked_read(as_user, world):
    dispatcher, department = as_user("dispatcher"), as_user("dept-sanitation")
    act(dispatcher, act(dispatcher, report(as_user("member"), world), "file"), "dispatch")
    page = ok(department.get("/api/v1/notifications", params={"unread": "true"}))
    assert page["unread"] == 1 and page["items"][0]["kind"] == "dispatch"
    ok(department.post(f"/api/v1/notifications/{page['items'][0]['id']}/read"))
    assert ok(department.get("/api/v1/notifications"))["unread"] == 0
    assert as_user("member").post(
        f"/api/v1/notifications/{page['items'][0]['id']}/read").status_code == 404


def test_a_dispatcher_cannot_merge_into_a_case_outside_their_area(client, as_user, world,
                                                                   anonymous):
    community = ok(client.post("/api/v1/users", json={
        "username": "community-dispatcher", "password": "community-password-1",
        "display_name": "社区受理员"}), 201)
    ok(client.post("/api/v1/role-assignments", json={
        "user_id": community["id"], "role": "dispatcher", "area_code": GRID[:12]}), 201)
    token = ok(anonymous.post("/api/v1/auth/token", data={
        "username": "community-dispatcher", "password": "community-password-1"}))["access_token"]
    mine = report(as_user("member"), world)
    theirs = report(client, world, grid_code=OTHER_GRID, title="另一社区的案卷")
    response = anonymous.post(f"/api/v1/cases/{mine['id']}/actions/merge",
                              json={"original_case_id": theirs["id"]},
                              headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "original_case_id"
    assert theirs["code"] not in response.text  # learns nothing about the other area's case
    assert ok(client.get(f"/api/v1/cases/{mine['id']}"))["status"] == "reported"
