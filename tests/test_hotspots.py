"""Hot spots (聚集性预警): the same small class reported 3 times within 200 m within 7 days
raises one alert for the command center, linking the reports; over HTTP, as users work.

Points are placed by their offsets in metres from one spot of the test grid (BASE), so that
each distance below can be checked by hand: reports of a cluster lie more than 50 m apart,
or intake would flag them as repeat calls about one problem (which are not counted).
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time

import pytest
from sqlalchemy import text

from backend.cases.entities import CASES
from backend.cases.escalation import tick
from backend.cases.schemas import CaseCreate
from backend.core.crud import Caller, create_row
from tests.builders import (
    COMMUNITY,
    GRID,
    OTHER_COMMUNITY,
    OTHER_GRID,
    STREET,
    dispatch_case,
    ok,
)
from tests.test_admin_panel import panel_login
from tests.world import make_world

# A spot inside GRID (square from 114.17, 35.93, 0.01° a side); 35.935° N.
BASE_LAT, BASE_LNG = 35.935, 114.175
# Metres per degree at this latitude: 111,320 north-south, 111,320 x cos(35.935°) east-west.
M_PER_DEG_LAT = 111_320.0
M_PER_DEG_LNG = 111_320.0 * math.cos(math.radians(BASE_LAT))
GARBAGE = "07011"  # 积存垃圾渣土, made by make_world
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=5)


def at_offset(north_m: float, east_m: float, lng: float = BASE_LNG) -> dict[str, float]:
    return {"lat": round(BASE_LAT + north_m / M_PER_DEG_LAT, 7),
            "lng": round(lng + east_m / M_PER_DEG_LNG, 7)}


def report(client, north_m: float, east_m: float, *, days_ago: float = 0,
           category: str = GARBAGE, lng: float = BASE_LNG) -> dict:
    """A citizen's report through POST /api/v1/cases, the map placing it in its grid."""
    reported = NOW - dt.timedelta(days=days_ago)
    return ok(client.post("/api/v1/cases", json={
        "source": "hotline_12345", "category_code": category, "title": "路边积存垃圾",
        "address": "新华街88号", "reported_at": reported.isoformat(),
        **at_offset(north_m, east_m, lng)}), 201)


def alerts(client, **params) -> list[dict]:
    return ok(client.get("/api/v1/hotspot-alerts", params=params))["items"]


def hotspot_notices(user) -> list[dict]:
    return ok(user.get("/api/v1/notifications", params={"kind": "hotspot"}))["items"]


def when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture
def dispatcher_of(new_user):
    """dispatcher_of(area_code) → the client of a new dispatcher working there."""
    return lambda area_code: new_user("dispatcher", f"坐席{area_code}", area_code=area_code)


@pytest.fixture
def world(client):
    return make_world(client)


def test_two_reports_raise_nothing_and_a_third_within_200_m_and_7_days_raises_one_alert(
        client, as_user, world, dispatcher_of):
    county = as_user("dispatcher")
    street = dispatcher_of(STREET)
    other_community = dispatcher_of(OTHER_COMMUNITY)
    first = report(client, 0, 80, days_ago=6)  # 80 m east of the spot
    second = report(client, 80, 0, days_ago=2)  # 80 m north; 113 m from the first
    assert alerts(client) == []
    assert hotspot_notices(county) == []

    third = report(client, 0, 0)  # the spot: 80 m from each
    (alert,) = alerts(client)
    assert alert["status"] == "open" and alert["category_code"] == GARBAGE
    assert alert["case_count"] == 3
    assert [c["id"] for c in alert["cases"]] == [first["id"], second["id"], third["id"]]
    assert alert["raised_by_case_id"] == third["id"]
    assert (alert["lat"], alert["lng"]) == (third["lat"], third["lng"])
    assert alert["area_code"] == GRID  # all three in the grid
    assert when(alert["first_reported_at"]) == when(first["reported_at"])
    assert when(alert["last_reported_at"]) == when(third["reported_at"])
    assert when(alert["expires_at"]) == when(third["reported_at"]) + dt.timedelta(days=7)
    assert (alert["threshold"], alert["radius_m"], alert["window_days"]) == (3, 200, 7)

    # One notice for each dispatcher whose area covers the grid, none for another community's.
    for covering in (county, street):
        (notice,) = hotspot_notices(covering)
        assert notice["case_id"] == third["id"]
        assert "聚集性预警" in notice["title"] and "积存垃圾渣土" in notice["title"]
        assert f"预警 {alert['id']}" in notice["body"]
        assert all(c["code"] in notice["body"] for c in (first, second, third))
    assert hotspot_notices(other_community) == []


def test_another_class_a_report_beyond_200_m_and_one_older_than_7_days_do_not_count(
        client, world):
    other_class = ok(client.post("/api/v1/case-categories", json={
        "code": "07012", "kind": "event", "big_class_code": "07", "big_class_name": "市容环境",
        "name": "暴露垃圾", "default_department_code": "HW01", "deadline_value": 6,
        "deadline_unit": "working_hours"}), 201)
    report(client, 0, 80, category=other_class["code"])  # near, but another class
    report(client, 250, 0, days_ago=1)  # same class, 250 m north
    report(client, 0, -80, days_ago=8)  # same class, near, 8 days ago
    counted = [report(client, -80, 0, days_ago=1), report(client, 0, 0)]
    assert alerts(client) == []

    # The third that counts, 60 m south and 60 m east of the spot: 63 m from the report 80 m
    # south, 85 m from the spot, 63 m from the other class's, 152 m from the old one and
    # 316 m from the far one.
    third = report(client, -60, 60)
    (alert,) = alerts(client)
    assert [c["id"] for c in alert["cases"]] == [c["id"] for c in [*counted, third]]


def test_repeat_calls_about_one_problem_are_not_a_hot_spot(client, world):
    original = report(client, 0, 0, days_ago=1)
    repeat = report(client, 20, 0)  # 20 m off, while the first is open: a likely duplicate
    assert repeat["possible_duplicate_of_id"] == original["id"]
    report(client, 0, 80)
    assert alerts(client) == []  # two problems, three calls


def waiting_for_a_lock(app) -> bool:
    # A connection of its own per look: pg_stat_activity is read once per transaction.
    with app.state.db.engine.connect() as watcher:
        return bool(watcher.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND datname = current_database()")).scalar())


def test_two_reports_coming_in_at_once_make_one_alert_not_two(app, client, world):
    """Two workers taking in reports of one cluster together: the second waits for the
    first's commit (a lock on the class), then joins the alert the first raised. Without the
    lock both would raise one over the same two earlier reports, and the second fail."""
    if app.state.db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes one writer at a time: no two intakes overlap")
    earlier = [report(client, 0, 80, days_ago=2), report(client, 80, 0, days_ago=1)]
    first_at = at_offset(0, 0)
    with app.state.db.session() as first_worker:
        first = create_row(first_worker, CASES, CaseCreate(
            source="hotline_12345", category_code=GARBAGE, title="路边积存垃圾",
            reported_at=NOW, **first_at), Caller.system(), commit=False)
        answers = []
        second = threading.Thread(target=lambda: answers.append(
            client.post("/api/v1/cases", json={
                "source": "app", "category_code": GARBAGE, "title": "路边积存垃圾",
                "reported_at": NOW.isoformat(), **at_offset(-60, -60)})))
        second.start()
        deadline = time.monotonic() + 60
        while not waiting_for_a_lock(app):  # until the second report waits for the first
            assert time.monotonic() < deadline, "the second report never waited"
            time.sleep(0.05)
        first_worker.commit()
        first_id = first.id
    second.join(timeout=60)
    (answer,) = answers
    assert answer.status_code == 201, answer.text
    (alert,) = alerts(client)
    assert [c["id"] for c in alert["cases"]] == [
        *(c["id"] for c in earlier), first_id, answer.json()["id"]]


def test_a_further_report_joins_the_open_alert_and_nobody_is_told_twice(client, as_user, world):
    county = as_user("dispatcher")
    cluster = [report(client, 0, 80, days_ago=3), report(client, 80, 0, days_ago=2),
               report(client, 0, 0, days_ago=1)]
    (raised,) = alerts(client)
    further = report(client, -60, -60)  # 85 m from the spot, 152 m from the other two
    (alert,) = alerts(client)
    assert alert["id"] == raised["id"] and alert["version"] == raised["version"] + 1
    assert alert["case_count"] == 4
    assert [c["id"] for c in alert["cases"]] == [c["id"] for c in [*cluster, further]]
    assert when(alert["first_reported_at"]) == when(cluster[0]["reported_at"])
    assert when(alert["last_reported_at"]) == when(further["reported_at"])
    assert when(alert["expires_at"]) == when(further["reported_at"]) + dt.timedelta(days=7)
    assert len(hotspot_notices(county)) == 1


def test_the_detail_lists_the_reports_with_codes_titles_live_lights_and_points(
        client, as_user, world):
    cluster = [report(client, 0, 80, days_ago=2), report(client, 80, 0, days_ago=1),
               report(client, 0, 0)]
    dispatch_case(as_user("dispatcher"), cluster[1])  # its deadline clock runs: green
    (listed,) = alerts(client, status="open")
    detail = ok(client.get(f"/api/v1/hotspot-alerts/{listed['id']}"))
    assert detail == listed
    shown = {c["id"]: c for c in detail["cases"]}
    for case in cluster:
        row = shown[case["id"]]
        assert (row["code"], row["title"], row["grid_code"]) == (case["code"], case["title"], GRID)
        assert (row["lat"], row["lng"], row["address"]) == (case["lat"], case["lng"], "新华街88号")
    assert [shown[c["id"]]["status"] for c in cluster] == ["reported", "dispatched", "reported"]
    assert [shown[c["id"]]["light"] for c in cluster] == [None, "green", None]


def test_a_dispatcher_of_another_area_does_not_see_the_alert(client, as_user, world,
                                                              dispatcher_of):
    for n, (north, east) in enumerate(((0, 80), (80, 0), (0, 0))):
        report(client, north, east, days_ago=3 - n)
    (alert,) = alerts(client)
    url = f"/api/v1/hotspot-alerts/{alert['id']}"
    other = dispatcher_of(OTHER_COMMUNITY)
    assert ok(other.get("/api/v1/hotspot-alerts"))["total"] == 0
    assert other.get(url).status_code == 404
    assert other.post(f"{url}/actions/acknowledge", json={}).status_code == 404
    assert as_user("chief2").get(url).status_code == 404  # the other grid's chief
    # Those whose area holds the grid see it.
    for user in (dispatcher_of(COMMUNITY), as_user("leader"), as_user("secretary"),
                 as_user("chief")):
        assert ok(user.get(url))["id"] == alert["id"]


def test_an_alert_across_two_communities_belongs_to_their_street(client, as_user, world,
                                                                 dispatcher_of):
    # Both sides of the border between GRID and OTHER_GRID (lng 114.18).
    border = 114.18
    community = dispatcher_of(COMMUNITY)
    street = dispatcher_of(STREET)
    west = [report(client, 0, -40, lng=border, days_ago=2), report(client, 80, -60, lng=border)]
    east = report(client, 40, 40, lng=border)
    assert {c["grid_code"] for c in [*west, east]} == {GRID, OTHER_GRID}
    (alert,) = ok(street.get("/api/v1/hotspot-alerts"))["items"]
    assert alert["area_code"] == STREET and alert["case_count"] == 3
    # Whoever cannot read all of its reports does not see it, nor hears of it.
    assert community.get(f"/api/v1/hotspot-alerts/{alert['id']}").status_code == 404
    assert as_user("secretary").get(f"/api/v1/hotspot-alerts/{alert['id']}").status_code == 404
    assert hotspot_notices(community) == []
    assert len(hotspot_notices(street)) == len(hotspot_notices(as_user("dispatcher"))) == 1


def test_an_acknowledged_alert_ends_and_its_reports_count_no_more(client, as_user, world):
    county = as_user("dispatcher")
    for n, (north, east) in enumerate(((0, 80), (80, 0), (0, 0))):
        report(client, north, east, days_ago=3 - n)
    (alert,) = alerts(client)
    url = f"/api/v1/hotspot-alerts/{alert['id']}/actions/acknowledge"
    assert county.post(url, json={}, headers={"If-Match": '"7"'}).status_code == 412
    done = ok(county.post(url, json={"note": "已通知环卫处加密清运"},
                          headers={"If-Match": f'"{alert["version"]}"'}))
    assert done["status"] == "acknowledged" and done["acknowledged_by"] == "dispatcher"
    assert done["note"] == "已通知环卫处加密清运" and done["ended_at"] is not None
    again = county.post(url, json={})
    assert again.status_code == 409 and "已由 dispatcher 确认" in again.json()["detail"]
    (entry,) = ok(client.get("/api/v1/audit-log", params={"entity": "hotspot-alerts"}))["items"]
    assert (entry["action"], entry["actor"], entry["entity_id"]) == (
        "acknowledge", "dispatcher", alert["id"])
    assert entry["changes"]["status"] == ["open", "acknowledged"]

    # Two more reports there: with the acknowledged three spent, two is not a hot spot ...
    report(client, -60, -60)
    report(client, -60, 60)
    assert [a["id"] for a in alerts(client, status="open")] == []
    # ... and a third is a new one, of the three new reports alone.
    newest = report(client, -120, 0)  # 60 m south of both, 85 m from each
    (second,) = alerts(client, status="open")
    assert second["id"] != alert["id"] and second["case_count"] == 3
    assert second["cases"][-1]["id"] == newest["id"]
    assert len(hotspot_notices(county)) == 2


def test_an_alert_with_no_new_report_for_7_days_expires_at_the_tick(app, client, as_user, world):
    reports = [report(client, 0, 80, days_ago=10), report(client, 80, 0, days_ago=9),
               report(client, 0, 0, days_ago=8)]
    (alert,) = alerts(client, status="open")  # raised now: its window ran out yesterday
    with app.state.db.session() as session:
        assert tick(session).hotspots_expired == 1
    with app.state.db.session() as session:
        assert tick(session).hotspots_expired == 0  # once
    (expired,) = alerts(client, status="expired")
    assert expired["ended_at"] == expired["expires_at"]
    assert when(expired["ended_at"]) == when(reports[-1]["reported_at"]) + dt.timedelta(days=7)
    response = as_user("dispatcher").post(
        f"/api/v1/hotspot-alerts/{alert['id']}/actions/acknowledge", json={})
    assert response.status_code == 409 and "已过期" in response.json()["detail"]


def test_bad_input_and_roles_without_the_permission_get_4xx(client, as_user, world):
    for n, (north, east) in enumerate(((0, 80), (80, 0), (0, 0))):
        report(client, north, east, days_ago=3 - n)
    (alert,) = alerts(client)
    url = f"/api/v1/hotspot-alerts/{alert['id']}/actions/acknowledge"
    dispatcher = as_user("dispatcher")
    wrong = dispatcher.post(url, json={"note": "x" * 2001})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "note"
    unknown = dispatcher.post(url, json={"reason": "seen"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "reason"
    assert dispatcher.post("/api/v1/hotspot-alerts/0/actions/acknowledge",
                           json={}).status_code == 422
    assert dispatcher.post("/api/v1/hotspot-alerts/999999/actions/acknowledge",
                           json={}).status_code == 404
    bad_filter = dispatcher.get("/api/v1/hotspot-alerts", params={"status": "burning"})
    assert bad_filter.status_code == 400 and bad_filter.json()["errors"][0]["field"] == "status"
    assert dispatcher.get("/api/v1/hotspot-alerts",
                          params={"case_count__gte": "many"}).status_code == 400
    # Raised by intake only: no route writes an alert.
    assert client.post("/api/v1/hotspot-alerts", json={}).status_code == 405
    assert client.patch(f"/api/v1/hotspot-alerts/{alert['id']}", json={}).status_code == 405
    # Reading is not acknowledging; a grid member reads no alerts at all.
    assert as_user("leader").post(url, json={}).status_code == 403
    assert as_user("chief").post(url, json={}).status_code == 403
    assert as_user("member").get("/api/v1/hotspot-alerts").status_code == 403
    assert ok(client.get(f"/api/v1/hotspot-alerts/{alert['id']}"))["status"] == "open"


def test_the_panel_lists_the_alerts_of_the_dispatchers_area_read_only(app, client, world):
    for n, (north, east) in enumerate(((0, 80), (80, 0), (0, 0))):
        report(client, north, east, days_ago=3 - n)
    (alert,) = alerts(client)
    dispatcher = panel_login(app, "dispatcher")
    page = dispatcher.get("/admin/hotspot-alerts/list")
    assert page.status_code == 200 and "聚集性预警" in page.text and "预警中" in page.text
    details = dispatcher.get(f"/admin/hotspot-alerts/details/{alert['id']}")
    assert details.status_code == 200 and GRID in details.text
    assert dispatcher.get(f"/admin/hotspot-alerts/edit/{alert['id']}").status_code in (403, 404)
    other_chief = panel_login(app, "chief2")
    assert other_chief.get(
        f"/admin/hotspot-alerts/details/{alert['id']}").status_code in (403, 404)
