"""Field work as grid staff do it: a patrol walked from the phone, the daily work log and its
review by the community's secretary, and the coverage the command center and the leading
group watch (backend/kpi/coverage.py)."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from fastapi.testclient import TestClient

from backend.core.db import BEIJING
from tests.builders import (
    COMMUNITY,
    DEMO_PASSWORD,
    GRID,
    OTHER_COMMUNITY,
    OTHER_GRID,
    make_areas,
    make_household,
    make_resident,
    ok,
)
from tests.test_admin_panel import panel_login
from tests.test_references import login

# A week of November 2026 with no holiday: Monday 23 to Friday 27, then the weekend.
MONDAY = dt.date(2026, 11, 23)
WEEK = {"period": "custom", "from": "2026-11-23", "to": "2026-11-29"}


def beijing(day: dt.date, hour: int) -> str:
    moment = dt.datetime.combine(day, dt.time(hour), BEIJING).astimezone(dt.UTC)
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def team(client, accounts) -> dict[str, dict]:
    """The grid's chief (the `chief` login) and full-time worker (the `member` login), each the
    other's A/B partner; the other community's grid has its own chief (`chief2`)."""
    make_areas(client)
    chief = ok(client.post("/api/v1/grid-staff", json={
        "grid_code": GRID, "name": "王建国", "team_role": "grid_chief", "phone": "13812345678",
        "user_id": accounts["chief"]}), 201)
    worker = ok(client.post("/api/v1/grid-staff", json={
        "grid_code": GRID, "name": "李秀英", "team_role": "full_time",
        "user_id": accounts["member"], "partner_id": chief["id"]}), 201)
    ok(client.patch(f"/api/v1/grid-staff/{chief['id']}", json={"partner_id": worker["id"]}))
    other = ok(client.post("/api/v1/grid-staff", json={
        "grid_code": OTHER_GRID, "name": "赵敏", "team_role": "grid_chief",
        "user_id": accounts["chief2"]}), 201)
    volunteer = ok(client.post("/api/v1/grid-staff", json={
        "grid_code": GRID, "name": "孙志愿", "team_role": "volunteer"}), 201)
    return {"chief": chief, "worker": worker, "other": other, "volunteer": volunteer}


def test_who_keeps_a_work_log_follows_the_team_role(team):
    assert team["chief"]["keeps_work_log"] and team["worker"]["keeps_work_log"]
    assert not team["volunteer"]["keeps_work_log"]


def test_a_partner_is_someone_else_of_the_same_grid(client, team):
    myself = client.patch(f"/api/v1/grid-staff/{team['chief']['id']}",
                          json={"partner_id": team["chief"]["id"]})
    assert myself.status_code == 422 and myself.json()["errors"][0]["field"] == "partner_id"
    elsewhere = client.patch(f"/api/v1/grid-staff/{team['chief']['id']}",
                             json={"partner_id": team["other"]["id"]})
    assert elsewhere.status_code == 422 and "同一网格" in elsewhere.text
    same_name = client.post("/api/v1/grid-staff", json={
        "grid_code": GRID, "name": "李秀英", "team_role": "part_time"})
    assert same_name.status_code == 409 and same_name.json()["errors"][0]["field"] == "name"


def test_a_grid_member_walks_the_grid_from_the_phone(client, as_user, team):
    ok(client.post("/api/v1/case-categories", json={
        "code": "01001", "kind": "component", "big_class_code": "01",
        "big_class_name": "公用设施", "name": "井盖", "deadline_value": 3,
        "deadline_unit": "working_hours"}), 201)
    member = as_user("member")
    patrol = ok(member.post("/api/v1/patrols/start", json={"grid_code": GRID}), 201)
    assert patrol["patroller_name"] == "李秀英" and patrol["staff_id"] == team["worker"]["id"]
    assert patrol["ended_at"] is None and patrol["route"] is None

    again = member.post("/api/v1/patrols/start", json={"grid_code": GRID})
    assert again.status_code == 409 and str(patrol["id"]) in again.json()["detail"]

    lonely = member.post(f"/api/v1/patrols/{patrol['id']}/track",
                         json={"points": [[114.171, 35.931]]})
    assert lonely.status_code == 422 and lonely.json()["errors"][0]["field"] == "points"
    walked = ok(member.post(f"/api/v1/patrols/{patrol['id']}/track",
                            json={"points": [[114.171, 35.931], [114.172, 35.931]]}))
    assert len(walked["route"]["coordinates"]) == 2

    case = ok(member.post("/api/v1/cases", json={
        "source": "patrol", "category_code": "01001", "title": "井盖缺失", "grid_code": GRID,
        "patrol_id": patrol["id"]}), 201)
    assert case["patrol_id"] == patrol["id"]

    done = ok(member.post(f"/api/v1/patrols/{patrol['id']}/finish", json={
        "findings": "井盖缺失, 已上报", "points": [[114.173, 35.931]]}))
    assert done["ended_at"] is not None and done["issues_found"] == 1
    assert len(done["route"]["coordinates"]) == 3
    assert 150 < done["distance_m"] < 220  # two steps of 0.001° of longitude at 35.9°N
    late = member.post(f"/api/v1/patrols/{patrol['id']}/track",
                       json={"points": [[114.174, 35.931]]})
    assert late.status_code == 409


def test_only_the_walker_or_those_who_edit_patrols_finish_a_walk(client, as_user, accounts,
                                                                 team):
    patrol = ok(as_user("chief").post("/api/v1/patrols/start", json={"grid_code": GRID}), 201)
    assert patrol["staff_id"] == team["chief"]["id"]
    # The worker of the same grid may read it but not end someone else's walk.
    refused = as_user("member").post(f"/api/v1/patrols/{patrol['id']}/finish", json={})
    assert refused.status_code == 403
    # Another community's chief does not see it at all.
    assert as_user("chief2").post(f"/api/v1/patrols/{patrol['id']}/finish",
                                  json={}).status_code == 404
    # A start in someone else's grid names a grid they do not know, and tells of no walk.
    elsewhere = as_user("chief2").post("/api/v1/patrols/start",
                                       json={"grid_code": GRID, "patroller_name": "王建国"})
    assert elsewhere.status_code == 422 and "王建国" not in elsewhere.text
    ok(as_user("chief").post(f"/api/v1/patrols/{patrol['id']}/finish", json={}))


def test_a_walk_is_refused_bad_points(as_user, team):
    member = as_user("member")
    patrol = ok(member.post("/api/v1/patrols/start", json={"grid_code": GRID}), 201)
    url = f"/api/v1/patrols/{patrol['id']}/track"
    for points in ([[200, 35.9], [114.1, 35.9]], [[114.1]], [], "x", [[114.1, "北"]]):
        answer = member.post(url, json={"points": points})
        assert answer.status_code == 422, points
    huge = member.post(url, json={"points": [[114.1, 35.9]] * 5001})
    assert huge.status_code == 422
    assert member.get(f"/api/v1/patrols/{patrol['id']}").json()["route"] is None


def test_one_work_log_per_team_member_per_day(as_user, team):
    member = as_user("member")
    log = ok(member.post("/api/v1/work-logs", json={
        "grid_code": GRID, "log_date": "2026-11-23", "content": "巡查网格一次, 走访3户"}), 201)
    assert log["author_name"] == "李秀英" and log["staff_id"] == team["worker"]["id"]
    assert log["status"] == "submitted" and log["reviewed_by"] is None
    twice = member.post("/api/v1/work-logs", json={
        "grid_code": GRID, "log_date": "2026-11-23", "content": "又写一份"})
    assert twice.status_code == 409 and twice.json()["errors"][0]["field"] == "log_date"
    # The review is not the author's to write.
    forged = member.post("/api/v1/work-logs", json={
        "grid_code": GRID, "log_date": "2026-11-24", "content": "巡查", "status": "approved"})
    assert forged.status_code == 422


@pytest.fixture
def other_secretary(client, app, anonymous) -> TestClient:
    """The secretary of the other community (红旗社区)."""
    user = ok(client.post("/api/v1/users", json={
        "username": "secretary-hongqi", "password": DEMO_PASSWORD, "display_name": "红旗书记"}),
        201)
    ok(client.post("/api/v1/role-assignments", json={
        "user_id": user["id"], "role": "secretary", "area_code": OTHER_COMMUNITY}), 201)
    return TestClient(app, headers={
        "Authorization": f"Bearer {login(anonymous, 'secretary-hongqi', DEMO_PASSWORD)}"})


def test_the_communitys_secretary_approves_or_returns_a_log(as_user, team, other_secretary):
    member, secretary = as_user("member"), as_user("secretary")
    log = ok(member.post("/api/v1/work-logs", json={
        "grid_code": GRID, "log_date": "2026-11-23", "content": "巡查网格一次"}), 201)
    review = f"/api/v1/work-logs/{log['id']}/review"

    # Only the secretary of the log's community reviews it.
    assert other_secretary.post(review, json={"decision": "approve"}).status_code == 404
    assert as_user("chief").post(review, json={"decision": "approve"}).status_code == 403

    bare = secretary.post(review, json={"decision": "return"})
    assert bare.status_code == 422 and bare.json()["errors"][0]["field"] == "note"
    returned = ok(secretary.post(review, json={"decision": "return",
                                               "note": "请写明走访户的情况"}))
    assert returned["status"] == "returned" and returned["reviewed_by"] == "社区书记"
    assert returned["review_note"] == "请写明走访户的情况"

    # A log is its author's: the chief of the grid does not rewrite the worker's.
    assert as_user("chief").patch(f"/api/v1/work-logs/{log['id']}",
                                  json={"content": "改"}).status_code == 403
    corrected = ok(member.patch(f"/api/v1/work-logs/{log['id']}",
                                json={"content": "巡查网格一次, 走访3户: 均正常"}))
    assert corrected["status"] == "submitted"

    approved = ok(secretary.post(review, json={"decision": "approve"}))
    assert approved["status"] == "approved"
    assert secretary.post(review, json={"decision": "approve"}).status_code == 409
    frozen = member.patch(f"/api/v1/work-logs/{log['id']}", json={"content": "改"})
    assert frozen.status_code == 409

    trail = ok(as_user("admin").get("/api/v1/audit-log", params={
        "entity": "work-logs", "entity_id": str(log["id"]), "sort": "id"}))["items"]
    assert [e["action"] for e in trail] == ["create", "review", "update", "review"]


def test_the_secretarys_desk_lists_the_logs_awaiting_review(as_user, team):
    member, secretary = as_user("member"), as_user("secretary")
    log = ok(member.post("/api/v1/work-logs", json={
        "grid_code": GRID, "log_date": "2026-11-23", "content": "巡查网格一次"}), 201)
    queue = {q["key"]: q for q in ok(secretary.get("/api/v1/workbench"))["queues"]}
    assert [i["id"] for i in queue["logs_to_review"]["items"]] == [log["id"]]
    ok(secretary.post(f"/api/v1/work-logs/{log['id']}/review", json={"decision": "approve"}))
    queue = {q["key"]: q for q in ok(secretary.get("/api/v1/workbench"))["queues"]}
    assert queue["logs_to_review"]["count"] == 0


# --- coverage -------------------------------------------------------------------------------


def test_a_grid_patrolled_yesterday_but_not_today_is_listed(client, as_user, team):
    today = dt.datetime.now(BEIJING).date()
    yesterday = today - dt.timedelta(days=1)
    for grid_code, day in ((GRID, yesterday), (OTHER_GRID, today)):
        ok(client.post("/api/v1/patrols", json={"grid_code": grid_code,
                                                "started_at": beijing(day, 0)}), 201)
    listed = ok(as_user("dispatcher").get("/api/v1/kpi/coverage/unpatrolled"))["items"]
    assert [g["grid_code"] for g in listed] == [GRID]
    assert listed[0]["chief_name"] == "王建国" and listed[0]["chief_phone"] == "13812345678"
    assert listed[0]["last_patrol_at"].startswith(beijing(yesterday, 0)[:13])
    # The chief of the other grid sees only their own grid: walked today, nothing listed.
    assert ok(as_user("chief2").get("/api/v1/kpi/coverage/unpatrolled"))["items"] == []
    # With a rule of every two days, yesterday's walk still covers today.
    ok(client.post("/api/v1/coverage-rules", json={"area_code": COMMUNITY,
                                                   "patrol_every_days": 2}), 201)
    assert ok(as_user("dispatcher").get("/api/v1/kpi/coverage/unpatrolled"))["items"] == []


def test_patrol_coverage_of_a_past_week_counts_grid_days(client, as_user, team):
    for day in (MONDAY, MONDAY + dt.timedelta(days=1)):
        ok(client.post("/api/v1/patrols", json={"grid_code": GRID,
                                                "started_at": beijing(day, 9)}), 201)
    figures = ok(as_user("leader").get("/api/v1/kpi/coverage",
                                       params={**WEEK, "area": GRID}))
    assert (figures["grid_days"], figures["covered_grid_days"]) == (7, 2)
    assert figures["rates"]["patrol_rate"] == round(2 / 7, 4)
    ok(client.post("/api/v1/coverage-rules", json={"area_code": GRID, "patrol_every_days": 2}),
       201)
    figures = ok(as_user("leader").get("/api/v1/kpi/coverage",
                                       params={**WEEK, "area": GRID}))
    assert figures["covered_grid_days"] == 3  # Wednesday is covered by Tuesday's walk


def test_a_key_household_visited_last_quarter_is_overdue(client, as_user, team):
    today = dt.datetime.now(BEIJING).date()
    key = make_household(client, GRID, room="1单元101")
    make_resident(client, key, seq=11, key_groups=["独居老人"])
    plain = make_household(client, GRID, room="1单元102")
    make_resident(client, plain, seq=12)
    never = make_household(client, GRID, room="1单元103")
    long_ago = (today - dt.timedelta(days=100)).isoformat()
    for household in (key, plain):
        ok(client.post("/api/v1/visits", json={
            "household_id": household["id"], "visitor_name": "李秀英",
            "second_visitor_name": "王建国", "visit_date": long_ago, "purpose": "例行走访"}), 201)

    due = ok(as_user("chief").get("/api/v1/kpi/coverage/due-visits"))
    assert [(i["household_id"], i["is_key"], i["last_visit_date"]) for i in due["items"]] == [
        (never["id"], False, None), (key["id"], True, long_ago)]
    assert due["items"][1]["visit_every_months"] == 3
    key_only = ok(as_user("chief").get("/api/v1/kpi/coverage/due-visits",
                                       params={"key_only": "true"}))
    assert [i["household_id"] for i in key_only["items"]] == [key["id"]]

    # Who is a key household is personal data: the grid member and the leader get counts only.
    assert as_user("member").get("/api/v1/kpi/coverage/due-visits").status_code == 403
    assert as_user("leader").get("/api/v1/kpi/coverage/due-visits").status_code == 403
    figures = ok(as_user("leader").get("/api/v1/kpi/coverage", params={"area": GRID}))
    assert (figures["households"], figures["visited"]) == (3, 1)
    assert (figures["key_households"], figures["key_visited"]) == (1, 0)

    # The community's rule gives key households four months: visited in time after all.
    ok(client.post("/api/v1/coverage-rules", json={"area_code": COMMUNITY,
                                                   "key_visit_every_months": 4}), 201)
    due = ok(as_user("chief").get("/api/v1/kpi/coverage/due-visits"))
    assert [i["household_id"] for i in due["items"]] == [never["id"]]


def test_work_logs_owed_on_working_days_except_leave(client, as_user, team):
    member = as_user("member")
    for offset in (0, 1, 2, 5):  # Monday to Wednesday, and Saturday (not a working day)
        day = MONDAY + dt.timedelta(days=offset)
        ok(member.post("/api/v1/work-logs", json={
            "grid_code": GRID, "log_date": day.isoformat(), "content": "巡查网格"}), 201)
    ok(member.post("/api/v1/staff-leaves", json={
        "staff_id": team["worker"]["id"], "first_day": "2026-11-26", "last_day": "2026-11-26",
        "reason": "参加区网格员培训"}), 201)

    missing = ok(as_user("secretary").get("/api/v1/kpi/coverage/work-logs", params=WEEK))
    rows = {r["name"]: r for r in missing["items"]}
    assert (rows["李秀英"]["owed"], rows["李秀英"]["written"], rows["李秀英"]["missing"]) == (
        4, 3, 1)
    assert rows["李秀英"]["awaiting_review"] == 3
    assert (rows["王建国"]["owed"], rows["王建国"]["missing"]) == (5, 5)
    assert "孙志愿" not in rows and "赵敏" not in rows  # a volunteer; another community
    assert [r["name"] for r in missing["items"]] == ["王建国", "李秀英"]

    figures = ok(as_user("leader").get("/api/v1/kpi/coverage",
                                       params={**WEEK, "by": "grid", "area": COMMUNITY}))
    assert (figures["staff"], figures["owed"], figures["written"]) == (2, 9, 3)
    assert figures["rates"]["work_log_rate"] == round(3 / 9, 4)
    assert [u["code"] for u in figures["by"]] == [GRID] and figures["by"][0]["name"]


def test_coverage_is_for_area_roles_within_their_scope(as_user, team):
    assert as_user("dept-sanitation").get("/api/v1/kpi/coverage").status_code == 403
    assert as_user("chief").get("/api/v1/kpi/coverage",
                                params={"area": OTHER_GRID}).status_code == 404
    bad = as_user("leader").get("/api/v1/kpi/coverage", params={"area": "41060x"})
    assert bad.status_code == 422


# --- the panel ------------------------------------------------------------------------------


def test_the_secretary_reviews_a_log_in_the_panel(app, as_user, team):
    log = ok(as_user("member").post("/api/v1/work-logs", json={
        "grid_code": GRID, "log_date": "2026-11-23", "content": "巡查网格一次"}), 201)
    secretary = panel_login(app, "secretary")
    details = secretary.get(f"/admin/work-logs/details/{log['id']}").text
    assert 'data-top-action="review"' in details
    url = f"/admin/work-logs/{log['id']}/review"
    page = secretary.get(url)
    assert page.status_code == 200 and "巡查网格一次" in page.text and "退回" in page.text

    bare = secretary.post(url, data={"decision": "return", "note": ""})
    assert bare.status_code == 400 and "退回须写明意见" in html.unescape(bare.text)
    done = secretary.post(url, data={"decision": "return", "note": "请写明走访户的情况"})
    assert done.status_code == 302
    assert ok(as_user("member").get(f"/api/v1/work-logs/{log['id']}"))["status"] == "returned"

    # The grid chief reads the log but reviews nothing.
    chief = panel_login(app, "chief")
    assert 'data-top-action="review"' not in chief.get(
        f"/admin/work-logs/details/{log['id']}").text
    assert chief.get(url).status_code == 403


def test_the_coverage_page_shows_each_role_its_own(app, client, team):
    make_household(client, GRID, room="1单元103")
    chief = panel_login(app, "chief").get("/admin/coverage")
    assert chief.status_code == 200
    text = html.unescape(chief.text)
    assert "今日未巡查网格" in text and "新华街" in text and 'id="visits_due"' in text
    assert "1单元103" in text and "王建国" in text
    leader = html.unescape(panel_login(app, "leader").get("/admin/coverage").text)
    assert "巡查覆盖率" in leader and 'id="visits_due"' not in leader  # counts, not names
    assert panel_login(app, "member").get("/admin/coverage").status_code == 403
    home = panel_login(app, "chief").get("/admin/").text
    assert 'data-queue="visits_due"' in home and 'data-queue="unpatrolled"' in home


# --- AB岗: while the chief is away, the partner is told --------------------------------------

def _today() -> dt.date:
    return dt.datetime.now(BEIJING).date()


def _leave(client, staff: dict, first: dt.date, last: dt.date) -> dict:
    return ok(client.post("/api/v1/staff-leaves", json={
        "staff_id": staff["id"], "first_day": first.isoformat(), "last_day": last.isoformat(),
        "reason": "年休假"}), 201)


def _hotline_report(client, title: str, grid: str = GRID, **extra) -> dict:
    """The test's one hotline call (its category made with it)."""
    ok(client.post("/api/v1/case-categories", json={
        "code": "01001", "kind": "component", "big_class_code": "01",
        "big_class_name": "公用设施", "name": "井盖", "deadline_value": 3,
        "deadline_unit": "working_hours"}), 201)
    return ok(client.post("/api/v1/cases", json={
        "source": "hotline_12345", "category_code": "01001", "title": title,
        "grid_code": grid} | extra), 201)


def _told(as_user, login: str, kind: str) -> list[str]:
    return [n["title"] for n in ok(as_user(login).get("/api/v1/notifications"))["items"]
            if n["kind"] == kind]


def _handovers(client, case: dict) -> list[dict]:
    return [s for s in ok(client.get(f"/api/v1/cases/{case['id']}/steps"))
            if s["action"] == "handover"]


def test_a_hotline_report_is_a_new_task_for_the_grids_chief(client, as_user, team):
    case = _hotline_report(client, "路灯不亮")
    assert _told(as_user, "chief", "grid_task") == [f"本网格新案卷 {case['code']}: 路灯不亮"]
    assert _told(as_user, "member", "grid_task") == []
    assert _handovers(client, case) == []
    # The grid's own patrol found it: nobody needs telling.
    patrol = ok(as_user("member").post("/api/v1/cases", json={
        "source": "patrol", "category_code": "01001", "title": "井盖缺失", "grid_code": GRID}),
        201)
    assert not any(patrol["code"] in title for title in _told(as_user, "chief", "grid_task"))


def test_while_the_chief_is_on_leave_the_partner_gets_the_new_tasks(client, as_user, team):
    _leave(client, team["chief"], _today() - dt.timedelta(days=1),
           _today() + dt.timedelta(days=2))
    case = _hotline_report(client, "垃圾满溢")
    assert _told(as_user, "member", "grid_task") == [f"本网格新案卷 {case['code']}: 垃圾满溢"]
    assert _told(as_user, "chief", "grid_task") == []
    [step] = _handovers(client, case)
    until = _today() + dt.timedelta(days=2)
    assert step["note"] == (f"网格长 王建国 请假至{until.month}月{until.day}日, "
                            "由AB岗搭档 李秀英 代班")
    assert step["details"]["partner_staff_id"] == team["worker"]["id"]
    assert step["actor"] == "system" and step["to_status"] == case["status"]


def test_a_leave_that_has_ended_hands_nothing_over(client, as_user, team):
    _leave(client, team["chief"], _today() - dt.timedelta(days=10),
           _today() - dt.timedelta(days=1))
    case = _hotline_report(client, "路面破损")
    assert _told(as_user, "chief", "grid_task") == [f"本网格新案卷 {case['code']}: 路面破损"]
    assert _handovers(client, case) == []


def test_with_both_partners_away_the_secretary_arranges_cover(client, as_user, team):
    for who in ("chief", "worker"):
        _leave(client, team[who], _today(), _today())
    case = _hotline_report(client, "占道经营")
    assert _told(as_user, "secretary", "grid_task") == [f"本网格新案卷 {case['code']}: 占道经营"]
    assert _told(as_user, "chief", "grid_task") == _told(as_user, "member", "grid_task") == []
    [step] = _handovers(client, case)
    assert "未设在岗的AB岗搭档, 已通知社区书记安排代班" in step["note"]
    assert step["details"]["partner_staff_id"] is None


def test_an_emergency_next_door_reaches_the_partner_of_a_chief_on_leave(client, as_user, team):
    _leave(client, team["chief"], _today(), _today() + dt.timedelta(days=5))
    case = _hotline_report(client, "燃气泄漏", grid=OTHER_GRID, handling_type="emergency")
    assert _told(as_user, "member", "adjacent_alert") == [
        f"相邻网格紧急情况 {case['code']}: 燃气泄漏"]
    assert _told(as_user, "chief", "adjacent_alert") == []
    assert _told(as_user, "chief2", "grid_task") == [f"本网格新案卷 {case['code']}: 燃气泄漏"]
    [step] = _handovers(client, case)
    assert step["details"]["grid_code"] == GRID and "李秀英 代班" in step["note"]


# --- 党员联系户: a party member keeps in touch with households --------------------------------


def test_a_party_member_keeps_in_touch_with_a_household_and_its_visits_count(
        client, as_user, team):
    household = make_household(client)
    member = ok(client.post("/api/v1/grid-staff", json={
        "grid_code": GRID, "name": "党员刘红", "team_role": "party_member"}), 201)
    chief = as_user("chief")
    link = ok(chief.post("/api/v1/party-contacts", json={
        "staff_id": member["id"], "household_id": household["id"], "since": "2026-01-01"}), 201)
    assert (link["grid_code"], link["visits"], link["last_visit_date"]) == (GRID, 0, None)
    for day in ("2026-10-12", "2026-11-09"):
        ok(chief.post("/api/v1/visits", json={
            "household_id": household["id"], "visitor_name": "党员刘红", "visit_date": day,
            "purpose": "党员联系户走访"}), 201)
    ok(chief.post("/api/v1/visits", json={  # someone else's visit is not the link's
        "household_id": household["id"], "visitor_name": "王建国", "visit_date": "2026-11-20"}),
        201)
    shown = ok(chief.get(f"/api/v1/party-contacts/{link['id']}"))
    assert (shown["visits"], shown["last_visit_date"]) == (2, "2026-11-09")

    again = chief.post("/api/v1/party-contacts", json={
        "staff_id": member["id"], "household_id": household["id"], "since": "2026-02-01"})
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "household_id"
    elsewhere = ok(client.post("/api/v1/grid-staff", json={
        "grid_code": OTHER_GRID, "name": "党员赵刚", "team_role": "party_member"}), 201)
    for staff, why in ((team["volunteer"], "应是本网格团队中的党员"),
                       (elsewhere, "不在联系户所在的网格团队中")):
        refused = client.post("/api/v1/party-contacts", json={
            "staff_id": staff["id"], "household_id": household["id"], "since": "2026-01-01"})
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "staff_id" and why in refused.text
    assert as_user("chief2").get(f"/api/v1/party-contacts/{link['id']}").status_code == 404
