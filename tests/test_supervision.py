"""帮教 as the grid does it: the residents of special groups visited on their schedule, the
overdue ones on the chief's desk, and who they are known only to the grid's own staff and the
roles with personal data; the leading group reads counts (backend/kpi/supervision.py)."""

from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import parse_qs

import pytest

from admin import home as admin_home
from backend.core.db import BEIJING
from tests.builders import (
    COMMUNITY,
    GRID,
    OTHER_GRID,
    id_number,
    make_areas,
    make_household,
    ok,
)
from tests.test_admin_panel import panel_login


def _days_ago(days: int) -> str:
    return (dt.datetime.now(BEIJING).date() - dt.timedelta(days=days)).isoformat()


@pytest.fixture
def supervised(client) -> dict[str, dict]:
    """One household of the grid with a resident under community correction (社区矫正, every
    30 days by default), one released from prison (刑释解教, every 90) and one of neither."""
    make_areas(client)
    household = make_household(client, GRID, room="2单元301")
    people = {}
    for seq, (name, groups) in enumerate((("周某", ["社区矫正"]), ("吴某", ["刑释解教"]),
                                          ("郑某", ["残疾人"])), start=1):
        people[name] = ok(client.post("/api/v1/residents", json={
            "household_id": household["id"], "name": name, "key_groups": groups,
            "id_number": id_number(40 + seq)}), 201)
    people["household"] = household
    return people


def supervision_visit(user, person: dict, days_ago: int, **extra):
    return user.post("/api/v1/visits", json={
        "household_id": person["household_id"], "resident_id": person["id"],
        "kind": "supervision", "visit_date": _days_ago(days_ago),
        "purpose": "社区矫正对象月度帮教", "content": "谈话教育, 了解就业情况"} | extra)


def test_a_supervision_visit_is_of_one_person_of_a_special_group(as_user, supervised):
    chief = as_user("chief")
    household = supervised["household"]
    nobody = chief.post("/api/v1/visits", json={
        "household_id": household["id"], "kind": "supervision", "visit_date": _days_ago(1)})
    assert nobody.status_code == 422 and nobody.json()["errors"][0]["field"] == "resident_id"
    assert "帮教对象" in nobody.text
    not_special = supervision_visit(chief, supervised["郑某"], 1)
    assert not_special.status_code == 422 and "特殊人群" in not_special.text
    assert ok(chief.get("/api/v1/visits", params={"kind": "supervision"}))["total"] == 0
    visit = ok(supervision_visit(chief, supervised["周某"], 3), 201)
    assert visit["kind"] == "supervision" and visit["visitor_name"] == "网格长"


def test_who_is_under_supervision_is_known_to_the_grids_staff_and_the_pii_roles_only(
        client, as_user, new_user, supervised):
    visit = ok(supervision_visit(as_user("chief"), supervised["周某"], 3), 201)
    ok(supervision_visit(as_user("secretary"), supervised["吴某"], 100), 201)  # overdue
    ok(as_user("chief").post("/api/v1/visits", json={
        "household_id": supervised["household"]["id"], "kind": "routine",
        "visit_date": _days_ago(2)}), 201)
    url = f"/api/v1/visits/{visit['id']}"
    # The grid's own staff (its chief, its member: grants at the grid) and the secretary.
    for user in (as_user("chief"), as_user("member"), as_user("secretary")):
        assert ok(user.get(url))["resident_id"] == supervised["周某"]["id"]
        kinds = [v["kind"] for v in ok(user.get("/api/v1/visits"))["items"]]
        assert sorted(kinds) == ["routine", "supervision", "supervision"]
    # The leading group and a grid member at the community level: not the row, not a trace.
    community_member = new_user("grid_member", "社区网格员", area_code=COMMUNITY)
    for user in (as_user("leader"), community_member):
        assert user.get(url).status_code == 404
        listed = ok(user.get("/api/v1/visits"))
        assert [v["kind"] for v in listed["items"]] == ["routine"] and listed["total"] == 1
        assert ok(user.get("/api/v1/visits", params={"kind": "supervision"}))["total"] == 0
    csv = as_user("leader").get("/api/v1/visits", params={"format": "csv"})
    assert csv.status_code == 200 and "帮教走访" not in csv.text and "常规走访" in csv.text
    # ... nor the member of another grid, writing one: the household is unknown to them.
    refused = supervision_visit(new_user("grid_member", "别的网格员", area_code=OTHER_GRID),
                                supervised["周某"], 1)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "household_id"
    # The audit log, which the leading group reads, does not say whom either.
    leader_log = ok(as_user("leader").get("/api/v1/audit-log", params={
        "entity": "visits", "entity_id": visit["id"]}))["items"]
    assert leader_log and leader_log[0]["changes"]["resident_id"] == [None, None]
    assert leader_log[0]["changes"]["household_id"] == [None, None]
    assert leader_log[0]["changes"]["content"] == [None, None]
    assert leader_log[0]["changes"]["kind"] == [None, "supervision"]
    # The counts are everybody's who reads the coverage; the names are not.
    figures = ok(as_user("leader").get("/api/v1/kpi/coverage"))
    assert (figures["supervised"], figures["supervision_overdue"]) == (2, 1)
    refused = as_user("leader").get("/api/v1/kpi/coverage/due-supervision")
    assert refused.status_code == 403 and "人数见" in refused.text
    names = ok(as_user("secretary").get("/api/v1/kpi/coverage/due-supervision"))
    assert [item["name"] for item in names["items"]] == ["吴某"]


def test_overdue_supervision_follows_the_schedule_setting(client, as_user, supervised):
    chief = as_user("chief")
    ok(supervision_visit(chief, supervised["周某"], 20), 201)  # due in 10 days of 30
    ok(supervision_visit(chief, supervised["吴某"], 100), 201)  # 10 days overdue of 90
    due = ok(chief.get("/api/v1/kpi/coverage/due-supervision"))
    assert [(i["name"], i["groups"], i["every_days"], i["days_overdue"], i["room"])
            for i in due["items"]] == [("吴某", ["刑释解教"], 90, 10, "2单元301")]
    everyone = ok(chief.get("/api/v1/kpi/coverage/due-supervision",
                            params={"overdue_only": "false"}))
    assert {i["name"]: i["due_on"] for i in everyone["items"]} == {
        "吴某": _days_ago(10), "周某": _days_ago(-10)}

    # The county sets community correction every fortnight: 周某 is now 6 days overdue.
    setting = ok(client.post("/api/v1/supervision-schedules", json={
        "key_group": "社区矫正", "every_days": 14, "note": "县综治办: 每半月走访一次"}), 201)
    due = ok(chief.get("/api/v1/kpi/coverage/due-supervision"))
    assert [(i["name"], i["days_overdue"]) for i in due["items"]] == [("吴某", 10), ("周某", 6)]
    coverage = ok(as_user("secretary").get("/api/v1/kpi/coverage", params={"by": "grid"}))
    assert (coverage["supervised"], coverage["supervision_overdue"]) == (2, 2)
    assert coverage["rates"]["supervision_rate"] == 0.0
    assert coverage["by"][0]["supervised"] == 2

    # The desk: the chief's to-do lists them, most overdue first.
    desk = ok(chief.get("/api/v1/workbench"))
    queue = next(q for q in desk["queues"] if q["key"] == "supervision_due")
    assert queue["count"] == 2 and queue["items"][0]["name"] == "吴某"
    assert "supervision_due" not in {q["key"] for q in ok(as_user("leader").get(
        "/api/v1/workbench"))["queues"]}

    # A visit today puts 周某 back on schedule; the setting switched off takes the group off.
    ok(supervision_visit(chief, supervised["周某"], 0), 201)
    assert ok(chief.get("/api/v1/kpi/coverage/due-supervision"))["total"] == 1
    ok(client.patch(f"/api/v1/supervision-schedules/{setting['id']}", json={"active": False}))
    assert ok(as_user("secretary").get("/api/v1/kpi/coverage"))["supervised"] == 1
    refused = supervision_visit(chief, supervised["周某"], 0)
    assert refused.status_code == 422 and "特殊人群" in refused.text


def test_the_schedule_setting_refuses_what_is_not_a_schedule(client, as_user):
    for body, field in (({"key_group": "社区矫正", "every_days": 0}, "every_days"),
                        ({"key_group": "社区矫正", "every_days": 367}, "every_days"),
                        ({"key_group": "外星人", "every_days": 30}, "key_group"),
                        ({"key_group": "社区矫正\x00", "every_days": 30}, "key_group")):
        refused = client.post("/api/v1/supervision-schedules", json=body)
        assert refused.status_code == 422, body
        assert refused.json()["errors"][0]["field"] == field
    ok(client.post("/api/v1/supervision-schedules",
                   json={"key_group": "留守儿童", "every_days": 7}), 201)
    twice = client.post("/api/v1/supervision-schedules",
                        json={"key_group": "留守儿童", "every_days": 14})
    assert twice.status_code == 409
    assert ok(client.get("/api/v1/supervision-schedules"))["total"] == 1
    assert as_user("chief").post("/api/v1/supervision-schedules", json={
        "key_group": "吸毒人员", "every_days": 7}).status_code == 403


def test_the_panel_shows_the_chief_whom_and_the_leader_how_many(app, as_user, supervised):
    visit = ok(supervision_visit(as_user("chief"), supervised["吴某"], 100), 201)
    chief = html.unescape(panel_login(app, "chief").get("/admin/coverage").text)
    assert 'id="supervision_due"' in chief and "吴某" in chief and "帮教按期率" in chief
    home = panel_login(app, "chief").get("/admin/").text
    assert 'data-queue="supervision_due"' in home and "吴某" in html.unescape(home)
    leader = html.unescape(panel_login(app, "leader").get("/admin/coverage").text)
    assert "帮教按期率" in leader and 'id="supervision_due"' not in leader
    assert "吴某" not in leader
    browser = panel_login(app, "leader")
    assert browser.get(f"/admin/visits/details/{visit['id']}").status_code == 404
    listed = html.unescape(browser.get("/admin/visits/list").text)
    link = f"/admin/visits/details/{visit['id']}"
    assert link not in listed and "<td>帮教走访</td>" not in listed
    chief_list = html.unescape(panel_login(app, "chief").get("/admin/visits/list").text)
    assert link in chief_list and "<td>帮教走访</td>" in chief_list


def test_the_chief_pages_through_everyone_overdue_for_supervision(
        app, as_user, supervised, monkeypatch):
    monkeypatch.setattr(admin_home, "DUE_VISITS_PAGE", 1)  # two overdue: two pages of one
    for name in ("周某", "吴某"):
        ok(supervision_visit(as_user("chief"), supervised[name], 100), 201)
    panel = panel_login(app, "chief")
    first = html.unescape(panel.get("/admin/coverage").text)
    assert "周某" in first and "吴某" not in first  # the most overdue first
    next_page = re.search(r'href="(\?[^"#]*)#supervision_due">下一页', first)
    assert next_page is not None
    assert parse_qs(next_page[1][1:]) == {"offset": ["0"], "supervision_offset": ["1"]}
    second = html.unescape(panel.get(f"/admin/coverage{next_page[1]}").text)
    assert "吴某" in second and "周某" not in second
    assert "2–2 / 2" in second and "#supervision_due\">下一页" not in second
    assert '#supervision_due">上一页' in second
    # Nonsense offsets show the first page; a NUL is refused, naming the parameter.
    for junk in ("-1", "abc", "9" * 20):
        shown = html.unescape(panel.get("/admin/coverage", params={
            "supervision_offset": junk}).text)
        assert "周某" in shown and "吴某" not in shown
    nul = panel.get("/admin/coverage", params={"supervision_offset": "1\x00"})
    assert nul.status_code == 400 and "supervision_offset" in nul.text
