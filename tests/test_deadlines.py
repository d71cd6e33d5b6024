"""Deadlines at work: lights on every read, warnings and escalation from the tick, once."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.cases.escalation import tick
from backend.cases.models import Case, CaseCategory, CaseStep, DeadlineUnit
from backend.cases.sla import WorkingCalendar
from backend.core.db import BEIJING
from backend.core.office_hours import WorkingHours
from backend.notifications.models import Notification
from tests.builders import GRID, ok
from tests.conftest import client_as
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
    assert shown["light"] == "green" and shown["time_left_seconds"] > 0
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
    _move_clock(app, case["id"], due=now + dt.timedelta(hours=1),
                started=now - dt.timedelta(hours=9))
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
    notices = ok(as_user("dept-sanitation").get("/api/v1/notifications"))["items"]
    kinds = [n["kind"] for n in notices]
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


# --- the office hours and the yellow share are the settings' ---------------------------------

CUSTOM_HOURS = "09:00-12:00,13:00-17:00"


@pytest.fixture
def custom_office(app, settings, tokens):
    """A second app on the same database, started with other office hours and yellow share:
    what an operator gets by setting GRIDLINK_WORK_PERIODS and GRIDLINK_YELLOW_SHARE."""
    custom = create_app(settings.model_copy(update={"work_periods": CUSTOM_HOURS,
                                                    "yellow_share": 0.5}))
    with TestClient(custom):
        yield custom, lambda user: client_as(custom, tokens[user])


def test_the_dispatch_action_counts_the_configured_office_hours(client, as_user, custom_office):
    _custom, custom_user = custom_office
    world = make_world(client)
    ok(client.post("/api/v1/case-categories", json={
        "code": "07002", "kind": "event", "big_class_code": "07", "big_class_name": "市容环境",
        "name": "道路不洁", "default_department_code": "HW01", "deadline_value": 1,
        "deadline_unit": "working_days"}), 201)

    def dispatch(dispatcher, category: str) -> dict:
        case = ok(as_user("member").post("/api/v1/cases", json={
            "source": "patrol", "category_code": category, "title": "积存垃圾",
            "grid_code": GRID}), 201)
        for action in ("file", "dispatch"):
            case = ok(dispatcher.post(f"/api/v1/cases/{case['id']}/actions/{action}", json={}))
        return case

    def beijing(value: str) -> dt.datetime:
        return dt.datetime.fromisoformat(value).astimezone(BEIJING)

    # A working-days limit ends when the office closes: 18:00 by default, 17:00 as configured.
    assert beijing(dispatch(as_user("dispatcher"), "07002")["due_at"]).time() == dt.time(18)
    assert beijing(dispatch(custom_user("dispatcher"), "07002")["due_at"]).time() == dt.time(17)
    # 6 working hours are counted within 09:00-12:00 and 13:00-17:00 only.
    case = dispatch(custom_user("dispatcher"), world.category["code"])
    office = WorkingCalendar(hours=WorkingHours.parse(CUSTOM_HOURS))
    assert dt.datetime.fromisoformat(case["due_at"]) == office.due_at(
        dt.datetime.fromisoformat(case["dispatched_at"]), 6, DeadlineUnit.working_hours)


def test_the_configured_yellow_share_turns_reads_and_the_tick_yellow(
        app, client, as_user, custom_office):
    custom, custom_user = custom_office
    world = make_world(client)
    with app.state.db.session() as session:  # clock hours: the share does not depend on today
        session.query(CaseCategory).filter_by(code=world.category["code"]).one().deadline_unit = \
            DeadlineUnit.hours
        session.commit()
    case = dispatched_case(client, as_user, world)
    now = dt.datetime.now(dt.UTC)
    # 6 of 10 hours used: past a share of 0.5, short of the default 0.8.
    _move_clock(app, case["id"], due=now + dt.timedelta(hours=4),
                started=now - dt.timedelta(hours=6))
    path = f"/api/v1/cases/{case['id']}"
    assert ok(as_user("dispatcher").get(path))["light"] == "green"
    assert ok(custom_user("dispatcher").get(path))["light"] == "yellow"
    with app.state.db.session() as session:
        assert tick(session, now=now).yellow == 0
    with custom.state.db.session() as session:
        assert tick(session, now=now).yellow == 1
    notices = ok(as_user("dept-sanitation").get("/api/v1/notifications"))["items"]
    kinds = [n["kind"] for n in notices]
    assert kinds == ["yellow", "dispatch"]


class Crash(Exception):
    """The process dying between two statements of a tick."""


def test_a_tick_that_dies_mid_way_is_finished_by_the_next_without_telling_anyone_twice(
        app, client, as_user):
    world = make_world(client)
    with app.state.db.session() as session:
        session.query(CaseCategory).filter_by(code=world.category["code"]).one().deadline_unit = \
            DeadlineUnit.hours
        session.commit()
    cases = [dispatched_case(client, as_user, world) for _ in range(5)]
    now = dt.datetime.now(dt.UTC)
    for case in cases:  # a backlog: all five overdue at once
        _move_clock(app, case["id"], due=now - dt.timedelta(minutes=1),
                    started=now - dt.timedelta(hours=10))

    def die_in_the_second_chunk(progress) -> None:
        if progress.chunks == 2:  # written, not yet committed
            raise Crash

    with app.state.db.session() as session, pytest.raises(Crash):
        tick(session, now=now, chunk_size=2, progress=die_in_the_second_chunk)

    def state() -> tuple[list[str], int, list[str]]:
        with app.state.db.session() as session:
            lights = sorted(session.get(Case, c["id"]).light.value for c in cases)
            steps = session.query(CaseStep).filter_by(action="escalate").count()
            kinds = sorted(n.kind.value for n in session.query(Notification)
                           .filter(Notification.kind.in_(["red", "escalation"])))
        return lights, steps, kinds

    # The first chunk is whole, the second left no trace.
    lights, steps, kinds = state()
    assert lights == ["green"] * 3 + ["red"] * 2 and steps == 2
    assert kinds == ["escalation"] * 2 + ["red"] * 4  # department and dispatcher; the leader

    with app.state.db.session() as session:
        rest = tick(session, now=now, chunk_size=2)
    assert (rest.red, rest.escalated, rest.chunks) == (3, 3, 2)
    lights, steps, kinds = state()
    assert lights == ["red"] * 5 and steps == 5
    assert kinds == ["escalation"] * 5 + ["red"] * 10
    with app.state.db.session() as session:
        again = tick(session, now=now, chunk_size=2)
    assert (again.scanned, again.red, again.escalated, again.chunks) == (5, 0, 0, 0)
    assert state() == (lights, steps, kinds)
