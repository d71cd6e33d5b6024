"""Deadlines at work: lights on every read, warnings and escalation from the tick, once."""

from __future__ import annotations

import datetime as dt

from backend.cases.escalation import tick
from backend.cases.models import Case, CaseStep
from backend.notifications.models import Notification
from tests.builders import GRID, ok
from tests.world import make_world


def dispatched_case(client, as_user, world) -> dict:
    dispatcher = as_user("dispatcher")
    case = ok(as_user("member").post("/api/v1/cases", json={
        "source": "patrol", "category_code": world.category["code"], "title": "积存垃圾",
        "grid_code": GRID}), 201)
    for action in ("file", "dispatch"):
        case = ok(dispatcher.post(f"/api/v1/cases/{case['id']}/actions/{action}", json={}))
    return case


def test_every_case_read_shows_its_light_and_time_left(client, as_user):
    world = make_world(client)
    case = dispatched_case(client, as_user, world)
    department = as_user("dept-sanitation")
    shown = ok(department.get(f"/api/v1/cases/{case['id']}"))
    assert shown["light"] == "green" and 0 < shown["time_left_seconds"]
    queue = ok(department.get("/api/v1/cases", params={"sort": "due_at"}))  # its queue
    assert queue["items"][0]["time_left_seconds"] == shown["time_left_seconds"] or \
        abs(queue["items"][0]["time_left_seconds"] - shown["time_left_seconds"]) <= 2
    reported = ok(client.post("/api/v1/cases", json={
        "source": "patrol", "category_code": world.category["code"], "title": "未派遣",
        "grid_code": GRID}), 201)
    assert reported["time_left_seconds"] is None  # no clock before dispatch


def _move_clock(app, case_id: int, due: dt.datetime, started: dt.datetime) -> None:
    with app.state.db.session() as session:
        row = session.get(Case, case_id)
        row.sla_started_at, row.due_at = started, due
        session.commit()


def test_the_tick_warns_yellow_then_red_and_escalates_once(app, client, as_user):
    world = make_world(client)
    case = dispatched_case(client, as_user, world)
    now = dt.datetime.now(dt.UTC)
    # Clock hours for this category, so the shares below do not depend on today's office hours.
    with app.state.db.session() as session:
        from backend.cases.models import CaseCategory, DeadlineUnit

        category = session.query(CaseCategory).filter_by(code=world.category["code"]).one()
        category.deadline_unit = DeadlineUnit.hours
        session.commit()
    # 9 of 10 hours used: yellow.
    _move_clock(app, case["id"], due=now + dt.timedelta(hours=1), started=now - dt.timedelta(hours=9))
    with app.state.db.session() as session:
        first = tick(session, now=now)
    assert (first.yellow, first.red, first.escalated) == (1, 0, 0)
    with app.state.db.session() as session:
        again = tick(session, now=now)
    assert (again.yellow, again.red, again.escalated) == (0, 0, 0)  # idempotent

    _move_clock(app, case["id"], due=now - dt.timedelta(minutes=1),
                started=now - dt.timedelta(hours=10))
    with app.state.db.session() as session:
        red = tick(session, now=now)
        red_again = tick(session, now=now)
    assert (red.red, red.escalated) == (1, 1)
    assert (red_again.red, red_again.escalated) == (0, 0)

    with app.state.db.session() as session:
        row = session.get(Case, case["id"])
        assert row.light.value == "red" and row.escalation_level == 1
        escalations = session.query(CaseStep).filter_by(case_id=row.id, action="escalate").count()
        assert escalations == 1
    kinds = [n["kind"] for n in ok(as_user("dept-sanitation").get("/api/v1/notifications"))["items"]]
    assert kinds.count("yellow") == 1 and kinds.count("red") == 1
    # The dispatcher covers the county, the closest level: the leading group is told of it.
    leader_kinds = [n["kind"] for n in ok(as_user("leader").get("/api/v1/notifications"))["items"]]
    assert leader_kinds == ["escalation"]


def test_an_emergency_alerts_the_chiefs_of_adjacent_grids(app, client, as_user):
    make_world(client)  # grids 007 and the other community's 001 share an edge (builders.square)
    world_category = ok(client.get("/api/v1/case-categories"))["items"][0]["code"]
    ok(as_user("chief").post("/api/v1/cases", json={
        "source": "patrol", "category_code": world_category, "title": "燃气泄漏",
        "grid_code": GRID, "handling_type": "emergency"}), 201)
    alerts = ok(as_user("chief2").get("/api/v1/notifications"))["items"]
    assert [a["kind"] for a in alerts] == ["adjacent_alert"] and "燃气泄漏" in alerts[0]["title"]
    assert ok(as_user("chief").get("/api/v1/notifications"))["items"] == []  # not its neighbour
    with app.state.db.session() as session:
        assert session.query(Notification).count() == 1
