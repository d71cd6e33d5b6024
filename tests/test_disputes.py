"""The dispute register as a grid works it: what the grid chief finds on a visit, with the
parties (a resident of the ledger, an outsider), seen by the community and the command center
and by no other grid; the types the plans name installed with the database."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.cases.models import DeadlineUnit
from backend.cases.sla import WorkingCalendar
from backend.core.db import BEIJING
from backend.disputes import screening
from backend.disputes.screening import due_on, half_month
from tests.builders import GRID, OTHER_GRID, STREET, ok
from tests.world import make_world


@pytest.fixture
def world(client):
    return make_world(client)


def test_a_fresh_install_knows_the_plans_dispute_types(as_user):
    types = ok(as_user("chief").get("/api/v1/dispute-types", params={"limit": 20}))["items"]
    assert [t["name"] for t in types][:3] == ["邻里纠纷", "婚姻家庭纠纷", "物业纠纷"]
    assert len(types) == 9


def test_the_chief_registers_a_dispute_found_on_a_visit_with_its_parties(world, as_user):
    chief = as_user("chief")
    dispute = ok(chief.post("/api/v1/disputes", json={
        "grid_code": GRID, "type_code": "03", "title": "物业停水引发业主与物业公司争执",
        "place": "新华街88号院", "risk_level": "medium", "found_how": "visit",
        "found_on": "2026-11-28"}), 201)
    assert (dispute["status"], dispute["level"]) == ("registered", "grid")
    assert dispute["found_by"] == "网格长"  # the login's name, none given
    ok(chief.post("/api/v1/dispute-parties", json={
        "dispute_id": dispute["id"], "name": "刘志强", "resident_id": world.resident["id"],
        "phone": "13512345678", "side": "申请人"}), 201)
    party = ok(chief.post("/api/v1/dispute-parties", json={
        "dispute_id": dispute["id"], "name": "鹤山物业公司", "side": "被申请人"}), 201)
    assert party["grid_code"] == GRID  # the dispute's

    parties = ok(as_user("secretary").get("/api/v1/dispute-parties",
                                          params={"dispute_id": dispute["id"]}))["items"]
    assert [p["phone"] for p in parties] == ["13512345678", None]
    masked = ok(as_user("leader").get("/api/v1/dispute-parties",
                                      params={"dispute_id": dispute["id"]}))["items"]
    assert masked[0]["phone"] == "135****5678"
    assert as_user("chief2").get(f"/api/v1/disputes/{dispute['id']}").status_code == 404
    # A department reads only what is handed to it: nothing yet.
    assert ok(as_user("dept-sanitation").get("/api/v1/disputes"))["items"] == []


@pytest.mark.parametrize(("change", "field"), [
    ({"type_code": "77"}, "type_code"),
    ({"found_on": (dt.date.today() + dt.timedelta(days=3)).isoformat()}, "found_on"),
    ({"risk_level": "extreme"}, "risk_level"),
    ({"title": ""}, "title"),
    ({"grid_code": OTHER_GRID}, None),  # another community's grid: not hers
])
def test_a_bad_dispute_is_refused_naming_the_field(world, as_user, change, field):
    refused = as_user("secretary").post("/api/v1/disputes", json={
        "grid_code": GRID, "type_code": "01", "title": "邻里纠纷", "found_on": "2026-11-28",
        } | change)
    assert refused.status_code in (403, 422), refused.text
    if field is not None:
        assert refused.json()["errors"][0]["field"] == field
    listed = ok(as_user("secretary").get("/api/v1/disputes"))["items"]
    assert [d["id"] for d in listed] == [world.dispute["id"]]  # nothing new written


# --- the workflow: mediation, escalation, hand-over -------------------------------------------


def act(user, dispute: dict, action: str, **body):
    return user.post(f"/api/v1/disputes/{dispute['id']}/actions/{action}", json=body)


def steps(user, dispute: dict) -> list[dict]:
    return ok(user.get("/api/v1/dispute-steps",
                       params={"dispute_id": dispute["id"], "sort": "id"}))["items"]


def test_a_dispute_the_grid_cannot_settle_goes_up_to_the_street_and_is_settled_there(
        world, as_user, new_user):
    chief, secretary = as_user("chief"), as_user("secretary")
    street = new_user("dispatcher", "中山路街道综治中心", area_code=STREET)
    dispute = world.dispute
    mediated = ok(act(chief, dispute, "mediate", held_on="2026-11-21", mediators="李秀英",
                      place="3号楼楼道", agreed="双方各执一词, 未达成一致"))
    assert mediated["status"] == "mediating"
    raised = ok(act(chief, dispute, "escalate", note="涉及房屋结构, 网格无法认定责任"))
    assert (raised["status"], raised["level"]) == ("registered", "community")
    told = ok(secretary.get("/api/v1/notifications", params={"kind": "dispute_raised"}))["items"]
    assert [n["title"] for n in told] == ["矛盾纠纷上报至社区: 楼上漏水引发邻里纠纷"]

    # Above the grid now: its chief reads it but no longer works it.
    refused = act(chief, dispute, "settle", agreement="已和解")
    assert refused.status_code == 403 and "社区" in refused.json()["detail"]
    assert ok(chief.get(f"/api/v1/disputes/{dispute['id']}"))["level"] == "community"

    ok(act(secretary, dispute, "mediate", held_on="2026-11-25", mediators="张书记、李秀英",
           place="社区调解室", agreed="302同意先行维修, 费用待鉴定后分担"))
    ok(act(secretary, dispute, "escalate", note="双方对鉴定结论有争议, 提请街道调处"))
    assert as_user("chief2").get(f"/api/v1/disputes/{dispute['id']}").status_code == 404
    assert act(secretary, dispute, "mediate", held_on="2026-11-26", mediators="张书记",
               agreed="-").status_code == 403
    settled = ok(act(street, dispute, "settle",
                     agreement="街道司法所主持调解: 402承担维修费用70%, 302承担30%"))
    assert (settled["status"], settled["level"], settled["settled_level"]) == (
        "settled", "street", "street")

    timeline = steps(secretary, dispute)
    assert [(s["action"], s["level"]) for s in timeline] == [
        ("mediate", "grid"), ("escalate", "community"), ("mediate", "community"),
        ("escalate", "street"), ("settle", "street")]
    assert timeline[-1]["actor"] == street_username(street)
    sessions = ok(chief.get("/api/v1/dispute-mediations",
                            params={"dispute_id": dispute["id"]}))["items"]
    assert [(m["held_on"], m["level"], m["recorded_by"]) for m in sessions] == [
        ("2026-11-21", "grid", "网格长"), ("2026-11-25", "community", "社区书记")]
    # At the street the dispute stays: 矛盾不上交.
    assert act(street, dispute, "escalate", note="?").status_code == 403  # not its action
    assert act(as_user("admin"), dispute, "reopen", note="当事人反悔").status_code == 200
    top = act(as_user("admin"), dispute, "escalate", note="再上交")
    assert top.status_code == 409 and "移交" in top.json()["detail"]


def street_username(user) -> str:
    return ok(user.get("/api/v1/auth/me"))["username"]


def test_a_dispute_handed_to_the_police_runs_to_their_deadline_and_they_see_only_it(
        world, client, as_user, new_user):
    ok(client.post("/api/v1/departments", json={
        "code": "PCS01", "name": "鹤山分局中山路派出所", "kind": "police",
        "area_code": STREET}), 201)
    police = new_user("department", "中山路派出所", department_code="PCS01")
    secretary = as_user("secretary")
    other = ok(secretary.post("/api/v1/disputes", json={
        "grid_code": GRID, "type_code": "03", "title": "物业费纠纷", "found_on": "2026-11-22"}),
        201)
    ok(secretary.post("/api/v1/dispute-parties", json={
        "dispute_id": world.dispute["id"], "name": "刘志强", "phone": "13512345678"}), 201)

    handed = ok(act(secretary, world.dispute, "hand-over", department_code="PCS01", days=5,
                    note="双方发生肢体冲突, 涉嫌治安案件"))
    assert (handed["status"], handed["department_code"], handed["light"]) == (
        "handed_over", "PCS01", "green")
    handed_at = dt.datetime.fromisoformat(handed["handed_at"])
    calendar = WorkingCalendar()
    expected = calendar.due_at(handed_at, 5, DeadlineUnit.working_days)
    assert dt.datetime.fromisoformat(handed["due_at"]) == expected
    assert expected.astimezone(BEIJING).time() == calendar.hours.closing  # the day's close
    assert (expected - handed_at).days >= 5  # five working days: a week or more
    told = ok(police.get("/api/v1/notifications", params={"kind": "dispute_sent"}))["items"]
    assert told[0]["title"] == "移交矛盾纠纷: 楼上漏水引发邻里纠纷 (限5个工作日)"

    # The police see what was handed to them and nothing else; phones masked, as a department
    # always reads them (they reach the parties through the community).
    assert [d["id"] for d in ok(police.get("/api/v1/disputes"))["items"]] == [world.dispute["id"]]
    assert police.get(f"/api/v1/disputes/{other['id']}").status_code == 404
    parties = ok(police.get("/api/v1/dispute-parties"))["items"]
    assert [p["phone"] for p in parties] == ["135****5678"]
    assert [s["action"] for s in steps(police, world.dispute)] == ["hand-over"]
    assert as_user("dept-sanitation").get(
        f"/api/v1/disputes/{world.dispute['id']}").status_code in (403, 404)
    assert act(police, world.dispute, "mediate", held_on="2026-11-23", mediators="民警",
               agreed="-").status_code == 403

    concluded = ok(act(police, world.dispute, "conclude",
                       result="已依法调解, 双方签订治安调解协议书"))
    assert (concluded["status"], concluded["settled_level"], concluded["light"]) == (
        "settled", None, None)
    assert steps(secretary, world.dispute)[-1]["details"] == {
        "department_code": "PCS01", "on_time": True}

    # Reopened, it is the community's again, and no longer the police's business.
    reopened = ok(act(secretary, world.dispute, "reopen", note="一方拒不履行协议"))
    assert (reopened["status"], reopened["department_code"], reopened["reopen_count"]) == (
        "registered", None, 1)
    assert police.get(f"/api/v1/disputes/{world.dispute['id']}").status_code == 404


@pytest.mark.parametrize(("action", "body", "status", "field"), [
    ("mediate", {"held_on": "2099-01-01", "mediators": "李秀英", "agreed": "-"}, 422, "held_on"),
    ("mediate", {"held_on": "2026-11-19", "mediators": "李秀英", "agreed": "-"}, 422, "held_on"),
    ("mediate", {"held_on": "2026-11-21", "mediators": "", "agreed": "-"}, 422, "mediators"),
    ("mediate", {"held_on": "2026-11-21", "mediators": "李秀英"}, 422, "agreed"),
    ("settle", {}, 422, "agreement"),
    ("settle", {"agreement": "x" * 5001}, 422, "agreement"),
    ("escalate", {}, 422, "note"),
    ("hand-over", {"department_code": "NOPE", "note": "-"}, 422, "department_code"),
    ("hand-over", {"department_code": "HW01", "note": "-", "days": 0}, 422, "days"),
    ("hand-over", {"department_code": "HW01", "note": "-", "days": 61}, 422, "days"),
    ("hand-over", {"department_code": "HW01"}, 422, "note"),
    ("settle", {"agreement": "ok", "extra": 1}, 422, "extra"),
    ("conclude", {"result": "done"}, 409, "action"),
    ("reopen", {"note": "?"}, 409, "action"),
])
def test_a_bad_step_is_refused_naming_the_field_and_changes_nothing(
        world, as_user, action, body, status, field):
    secretary = as_user("secretary")
    refused = act(secretary, world.dispute, action, **body)
    assert refused.status_code == status, refused.text
    assert refused.json()["errors"][0]["field"] == field
    after = ok(secretary.get(f"/api/v1/disputes/{world.dispute['id']}"))
    assert (after["status"], after["version"]) == ("registered", world.dispute["version"])
    assert steps(secretary, world.dispute) == []
    assert ok(secretary.get("/api/v1/dispute-mediations"))["items"] == []


def test_only_those_who_work_disputes_take_their_steps(world, as_user):
    assert act(as_user("member"), world.dispute, "mediate", held_on="2026-11-21",
               mediators="李秀英", agreed="-").status_code == 403
    assert act(as_user("leader"), world.dispute, "settle", agreement="-").status_code == 403
    assert act(as_user("chief2"), world.dispute, "settle", agreement="-").status_code == 404
    assert act(as_user("chief"), world.dispute, "hand-over", department_code="HW01",
               note="-").status_code == 403
    assert as_user("chief").post("/api/v1/disputes/999999/actions/settle",
                                 json={"agreement": "-"}).status_code == 404
    assert as_user("chief").post(f"/api/v1/disputes/{world.dispute['id']}/actions/explode",
                                 json={}).status_code == 422
    assert as_user("chief").post("/api/v1/dispute-steps", json={}).status_code == 405


# --- the half-monthly screening (半月一排查一上报) --------------------------------------------


def latest_half(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last half month over by today (its last day may be today)."""
    first, last = half_month(today)
    return (first, last) if last == today else half_month(first - dt.timedelta(days=1))


def test_a_screening_cycle_with_a_nil_report_and_a_late_grid(world, as_user, monkeypatch):
    chief, chief2, dispatcher = as_user("chief"), as_user("chief2"), as_user("dispatcher")
    half, half_last = latest_half(dt.datetime.now(BEIJING).date())
    before, _ = half_month(half - dt.timedelta(days=1))
    due = due_on(WorkingCalendar(), half_last)
    found = ok(chief.post("/api/v1/disputes", json={
        "grid_code": GRID, "type_code": "03", "title": "物业费纠纷", "found_how": "screening",
        "found_on": half.isoformat()}), 201)

    def file(user, grid: str, first: dt.date, **body):
        return user.post("/api/v1/dispute-screenings",
                         json={"grid_code": grid, "period_first": first.isoformat()} | body)

    # Both grids report the latest half month on its due day: one found a dispute, one none.
    on_due_day = dt.datetime.combine(due, dt.time(9), BEIJING).astimezone(dt.UTC)
    monkeypatch.setattr(screening, "utcnow", lambda: on_due_day)
    report = ok(file(chief, GRID, half, note="排查 126 户, 发现物业纠纷 1 起"), 201)
    in_world = dt.date.fromisoformat(world.dispute["found_on"])  # the world's, if in this half
    found_in_half = 1 + (half <= in_world <= half_last)
    assert (report["dispute_count"], report["late"], report["due_on"]) == (
        found_in_half, False, due.isoformat())
    assert report["filed_by"] == "网格长"
    nil = ok(file(chief2, OTHER_GRID, half, nil_report=True), 201)
    assert (nil["dispute_count"], nil["late"]) == (0, False)
    # The half before: the first grid reports it only now, late; the other never does.
    monkeypatch.undo()
    assert ok(file(chief, GRID, before, nil_report=True), 201)["late"] is True

    status = ok(dispatcher.get("/api/v1/kpi/disputes/screenings",
                               params={"date": before.isoformat()}))
    assert [(i["grid_name"], i["status"]) for i in status["items"]] == [
        ("新华街第七网格", "late"), ("红旗第一网格", "missing")]
    assert (status["late"], status["missing"]) == (1, 1)
    current = ok(dispatcher.get("/api/v1/kpi/disputes/screenings",
                                params={"date": half.isoformat()}))
    assert [i["status"] for i in current["items"]] == ["on_time", "on_time"]
    assert [i["nil_report"] for i in current["items"]] == [False, True]

    figures = ok(dispatcher.get("/api/v1/kpi/disputes", params={
        "period": "custom", "from": before.isoformat(), "to": half_last.isoformat(),
        "by": "grid"}))
    assert (figures["screenings_due"], figures["screenings_on_time"],
            figures["screenings_late"], figures["screenings_missing"]) == (4, 2, 1, 1)
    assert figures["rates"]["screening_on_time_rate"] == 0.5
    by_grid = {row["code"]: row for row in figures["by"]}
    assert by_grid[OTHER_GRID]["rates"]["screening_on_time_rate"] == 0.5
    assert by_grid[GRID]["found"] == 1 + (before <= in_world <= half_last)
    # The secretary sees her community's grid only; the other grid's chief its own.
    mine = ok(as_user("secretary").get("/api/v1/kpi/disputes/screenings",
                                       params={"date": before.isoformat()}))
    assert [i["grid_code"] for i in mine["items"]] == [GRID]
    assert found["id"]


@pytest.mark.parametrize(("change", "status", "field"), [
    ({"nil_report": True}, 422, "nil_report"),  # a dispute was registered in it
    ({"period_first": "2026-11-05"}, 422, "period_first"),
    ({"period_first": "2099-01-01"}, 422, "period_first"),
    ({"period_first": "1999-12-16"}, 422, "period_first"),
    ({"period_first": "2026-11-16\u0000"}, 422, "period_first"),
    ({"grid_code": OTHER_GRID, "nil_report": True}, 422, "grid_code"),  # not the chief's
    ({"note": "x" * 2001}, 422, "note"),
])
def test_a_bad_screening_report_is_refused_naming_the_field_and_writes_nothing(
        world, as_user, change, status, field):
    chief = as_user("chief")
    refused = chief.post("/api/v1/dispute-screenings", json={
        "grid_code": GRID, "period_first": "2026-11-16"} | change)
    assert refused.status_code == status, refused.text
    assert refused.json()["errors"][0]["field"] == field
    assert ok(chief.get("/api/v1/dispute-screenings"))["items"] == []


def test_a_grid_reports_each_half_month_once_and_a_nil_report_needs_no_dispute(world, as_user):
    chief = as_user("chief")
    body = {"grid_code": GRID, "period_first": "2026-11-01", "nil_report": True}
    ok(chief.post("/api/v1/dispute-screenings", json=body), 201)
    again = chief.post("/api/v1/dispute-screenings", json=body)
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "period_first"
    empty = chief.post("/api/v1/dispute-screenings", json=body | {
        "period_first": "2026-10-16", "nil_report": False})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "nil_report"


@pytest.mark.parametrize(("path", "figures"), [
    ("/api/v1/kpi/disputes", "矛盾纠纷统计"),
    ("/api/v1/kpi/disputes/screenings", "矛盾纠纷排查上报情况"),
    ("/api/v1/kpi/requests", "民情诉求与代办统计"),
    ("/api/v1/kpi/coverage/due-supervision", "帮教统计"),
    ("/api/v1/kpi/coverage", "网格工作统计"),
    ("/api/v1/kpi/ledgers", "台账统计"),
])
def test_a_department_asking_for_figures_counted_by_area_is_told_which_and_why(
        world, as_user, path, figures):
    refused = as_user("dept-sanitation").get(path)
    assert refused.status_code == 403
    assert refused.json()["detail"] == f"职能部门无权查看{figures}"
    by_department = as_user("leader").get(path, params={"department": "HW01"})
    assert by_department.status_code == 422
    assert by_department.json()["errors"][0] == {
        "field": "department", "msg": f"{figures}按区域, 不按部门"}


def test_the_figures_count_what_was_found_and_where_it_was_settled(world, as_user, new_user):
    chief, secretary = as_user("chief"), as_user("secretary")
    today = dt.datetime.now(BEIJING).date()  # the figures' day is Beijing's

    def register(title: str, risk: str = "low") -> dict:
        return ok(chief.post("/api/v1/disputes", json={
            "grid_code": GRID, "type_code": "01", "title": title, "risk_level": risk,
            "found_on": today.isoformat()}), 201)

    at_grid, at_community, open_high = register("a"), register("b"), register("c", "high")
    ok(act(chief, at_grid, "settle", agreement="和解"))
    ok(act(chief, at_community, "escalate", note="网格调解未果"))
    ok(act(secretary, at_community, "settle", agreement="社区调解成功"))
    figures = ok(as_user("leader").get("/api/v1/kpi/disputes", params={
        "period": "day", "date": today.isoformat(), "by": "community"}))
    assert (figures["found"], figures["found_settled"], figures["settled"]) == (3, 2, 2)
    assert (figures["settled_grid"], figures["settled_community"],
            figures["settled_street"], figures["settled_office"]) == (1, 1, 0, 0)
    assert (figures["unsettled"], figures["high_risk_open"]) == (
        2, 1)  # the world's dispute (found earlier) and the high-risk one
    assert figures["rates"]["settlement_rate"] == round(2 / 3, 4)
    assert figures["rates"]["low_level_share"] == 1.0
    assert [row["code"] for row in figures["by"]] == ["410602001002", "410602001003"]
    assert open_high["id"]


def test_each_desk_holds_the_disputes_at_its_level(world, as_user):
    def waiting(user, queue: str) -> list[str]:
        desk = {q["key"]: q for q in ok(user.get("/api/v1/workbench"))["queues"]}
        return [item["title"] for item in desk[queue]["items"]]

    chief, secretary = as_user("chief"), as_user("secretary")
    title = world.dispute["title"]
    assert waiting(chief, "disputes_grid") == [title]
    assert waiting(secretary, "disputes_community") == []
    ok(act(chief, world.dispute, "escalate", note="网格调解未果"))
    assert waiting(chief, "disputes_grid") == []
    assert waiting(secretary, "disputes_community") == [title]
    ok(act(secretary, world.dispute, "escalate", note="提请街道调处"))
    assert waiting(as_user("dispatcher"), "disputes_street") == [title]
    ok(act(as_user("dispatcher"), world.dispute, "hand-over", department_code="HW01",
           note="移交环卫"))
    assert waiting(as_user("dept-sanitation"), "disputes_handed") == [title]
    assert waiting(as_user("chief2"), "disputes_grid") == []
