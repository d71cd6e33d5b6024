"""The KPI figures against a month of cases whose every figure was counted by hand.

March 2026, Beijing time. The cases are reported over HTTP with their `reported_at`, then
played through the real workflow at their own times (workflow.perform's clock). The admin
declares Thursday 12 and Friday 13 March holidays (calendar-days), so deadlines and one
extension cross a long weekend. Category 04001 allows 2 working days: a case dispatched on a
day is due at 18:00 on the second working day after it.

    case  grid   dept  reported  what happens                                    due (BJ)
    A     GRID   HW01  03-02     handled 03-03, closed 03-03, satisfaction 5     03-04 18:00
    B     GRID   HW01  03-02     handled 03-05, closed 03-05 (late), sat. 3      03-04 18:00
    C     GRID   HW01  03-16     reworked twice, handled 03-18 09:00, closed    03-18 18:00
    D     GRID   HW01  03-10     due 03-16 across the holiday and the weekend;   03-18 18:00
                                 extended to 03-18, closed 03-18 10:00
    E     GRID   HW01  03-23     accepted, never handled: open and overdue       03-25 18:00
    F     GRID   -     03-05     handled on site by the grid chief (no deadline) (closed 03-05)
    G     GRID   -     03-06     cancelled                                        -
    H     GRID   -     03-30     reported, never filed: open, no deadline         -
    I     OTHER  YL01  03-24     handled and closed 03-25                         03-26 18:00
    J     GRID   HW01  03-30     closed 03-31, but due in April                   04-01 18:00
"""

from __future__ import annotations

import datetime as dt

import pytest

from backend.cases import workflow
from backend.cases.models import Case
from backend.core.config import Settings
from backend.core.crud import Caller
from backend.kpi.rates import score_of
from tests.builders import (
    COMMUNITY,
    COUNTY,
    GRID,
    OTHER_COMMUNITY,
    OTHER_GRID,
    SANITATION,
    STREET,
    id_number,
    ok,
)
from tests.world import make_world

BJ = dt.timezone(dt.timedelta(hours=8))
MARCH = {"period": "month", "date": "2026-03-15"}


def bj(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BJ)


def z(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


class March:
    """The month above, built once per test that asks for it."""

    def __init__(self, app, client) -> None:
        self.app, self.client = app, client
        self.world = make_world(client)
        ok(client.post("/api/v1/departments", json={
            "code": "YL01", "name": "园林绿化所", "kind": "greening", "area_code": COUNTY}), 201)
        ok(client.post("/api/v1/case-categories", json={
            "code": "04001", "kind": "component", "big_class_code": "04",
            "big_class_name": "园林绿化", "name": "行道树", "default_department_code": SANITATION,
            "deadline_value": 2, "deadline_unit": "working_days"}), 201)
        for day in ("2026-03-12", "2026-03-13"):
            ok(client.post("/api/v1/calendar-days", json={
                "day": day, "is_working_day": False, "note": "测试假日"}), 201)
        self.ids: dict[str, int] = {}

    def report(self, name: str, at: dt.datetime, grid: str = GRID, **extra) -> int:
        case = ok(self.client.post("/api/v1/cases", json={
            "source": "patrol", "category_code": "04001", "title": f"案卷{name}",
            "grid_code": grid, "reported_at": z(at)} | extra), 201)
        self.ids[name] = case["id"]
        return case["id"]

    def play(self, name: str, *steps: tuple[str, dt.datetime, dict]) -> None:
        with self.app.state.db.session() as session:
            for action, at, body in steps:
                workflow.perform(session, self.ids[name], action, body,
                                 Caller.system("dispatcher"), now=at)

    def case(self, name: str) -> dict:
        return ok(self.client.get(f"/api/v1/cases/{self.ids[name]}"))

    def dispatched(self, name: str, day: tuple[int, int], grid: str = GRID,
                   department: dict | None = None, **extra) -> None:
        month, d = day
        self.report(name, bj(month, d, 8, 30), grid, **extra)
        self.play(name, ("file", bj(month, d, 8, 50), {}),
                  ("dispatch", bj(month, d, 9), department or {}))

    def build(self) -> March:
        note = {"note": "已处理"}
        self.dispatched("A", (3, 2))
        self.play("A", ("accept", bj(3, 2, 10), {}), ("feedback", bj(3, 3, 10), note),
                  ("close", bj(3, 3, 15), {}), ("evaluate", bj(3, 4, 9), {"satisfaction": 5}))
        self.dispatched("B", (3, 2))
        self.play("B", ("accept", bj(3, 2, 10), {}), ("feedback", bj(3, 5, 10), note),
                  ("close", bj(3, 5, 11), {}), ("evaluate", bj(3, 6, 9), {"satisfaction": 3}))
        self.dispatched("C", (3, 16))
        rework = {"note": "现场仍未清理"}
        self.play("C", ("accept", bj(3, 16, 10), {}), ("feedback", bj(3, 16, 15), note),
                  ("rework", bj(3, 16, 16), rework), ("accept", bj(3, 16, 17), {}),
                  ("feedback", bj(3, 17, 10), note), ("rework", bj(3, 17, 11), rework),
                  ("accept", bj(3, 17, 12), {}), ("feedback", bj(3, 18, 9), note),
                  ("close", bj(3, 18, 10), {}))
        self.dispatched("D", (3, 10))
        self.play("D", ("accept", bj(3, 10, 10), {}),
                  ("request-extension", bj(3, 11, 9),
                   {"note": "需协调产权单位", "requested_due_at": z(bj(3, 18, 18))}),
                  ("approve-extension", bj(3, 11, 10), {}),
                  ("feedback", bj(3, 18, 9), note), ("close", bj(3, 18, 10), {}))
        self.dispatched("E", (3, 23), lat=35.935, lng=114.175)
        self.play("E", ("accept", bj(3, 23, 10), {}))
        self.report("F", bj(3, 5, 10))
        self.play("F", ("handle-on-site", bj(3, 5, 10, 30), {"note": "已现场处置"}))
        self.report("G", bj(3, 6, 10))
        self.play("G", ("cancel", bj(3, 6, 11), {"note": "重复上报"}))
        self.report("H", bj(3, 30, 10))
        self.dispatched("I", (3, 24), OTHER_GRID, {"department_code": "YL01"})
        self.play("I", ("accept", bj(3, 24, 10), {}), ("feedback", bj(3, 25, 10), note),
                  ("close", bj(3, 25, 11), {}))
        self.dispatched("J", (3, 30))
        self.play("J", ("accept", bj(3, 30, 10), {}), ("feedback", bj(3, 31, 9), note),
                  ("close", bj(3, 31, 10), {}))
        return self


@pytest.fixture
def march(app, client) -> March:
    return March(app, client).build()


def summary(user, **params) -> dict:
    return ok(user.get("/api/v1/kpi/summary", params=params))


def test_the_fixture_deadlines_are_the_working_days_counted_by_hand(march):
    # D: dispatched Tuesday 10th; Wed 11th is day 1, Thu 12th and Fri 13th are holidays, the
    # weekend follows, so day 2 is Monday 16th; the approved extension moved it to the 18th.
    assert march.case("A")["due_at"] == z(bj(3, 4, 18))
    assert march.case("C")["due_at"] == z(bj(3, 18, 18))
    assert march.case("D")["due_at"] == z(bj(3, 18, 18))
    assert march.case("D")["extension_count"] == 1 and march.case("C")["rework_count"] == 2
    assert march.case("J")["due_at"] == z(bj(4, 1, 18))
    with march.app.state.db.session() as session:
        case = session.get(Case, march.ids["D"])
        dispatch = next(s for s in workflow.steps(session, case) if s.action == "dispatch")
    assert dispatch.details["due_at"] == bj(3, 16, 18).astimezone(dt.UTC).isoformat()


def test_a_month_of_cases_counted_by_hand(march, as_user):
    figures = summary(as_user("leader"), **MARCH)
    assert figures["period"] == {"kind": "month", "from": "2026-03-01", "to": "2026-03-31",
                                 "label": "2026年3月"}
    assert figures["counts"] == {"reported": 10, "filed": 8, "dispatched": 7, "closed": 7,
                                 "cancelled": 1}
    # Due in March: A B C D E F I (J is due in April, G cancelled, H has no deadline).
    assert figures["due"] == {"due": 7, "closed": 6, "closed_on_time": 5, "handled": 6,
                              "handled_on_time": 5, "reworked": 1, "reworks": 2, "extended": 1}
    # Open at the end of March: E (overdue since the 25th) and H (no deadline).
    assert figures["open"] == {"open": 2, "overdue": 1}
    assert figures["satisfaction"] == {"evaluated": 2, "satisfied": 1, "average": 4.0}
    assert figures["rates"] == {
        "closure_rate": 0.8571, "on_time_closure_rate": 0.7143, "handling_rate": 0.8571,
        "on_time_handling_rate": 0.7143, "rework_rate": 0.1429, "extension_rate": 0.1429,
        "overdue_rate": 0.5, "satisfaction_rate": 0.5}
    # 30·6/7 + 20·5/7 + 20·(1 − 1/7) + 20·(1 − 1/2) + 10·(1 − 1/7) = 460/7 + 10 = 75.71
    assert figures["score"] == 75.7 and figures["grade"] == "B"
    assert figures["as_of"] == z(bj(4, 1, 0))


def test_nothing_due_gives_no_rates_rather_than_zero(march, as_user):
    figures = summary(as_user("leader"), period="month", date="2026-02-10")
    assert figures["due"]["due"] == 0 and figures["counts"]["reported"] == 0
    assert set(figures["rates"].values()) == {None}
    assert figures["score"] is None and figures["grade"] is None


def test_the_weights_and_the_grade_thresholds_are_settings():
    figures = {"due": 10, "closed": 9, "closed_on_time": 8, "handled": 9, "handled_on_time": 8,
               "reworked": 1, "extended": 0, "open": 4, "overdue": 1}
    # 30·0.9 + 20·0.8 + 20·0.9 + 20·0.75 + 10·1 = 86
    assert score_of(figures, Settings(secret_key="k" * 32)) == (86.0, "B")
    # 20 each: 18 + 16 + 18 + 15 + 20 = 87, and A from 86 up
    even = Settings(secret_key="k" * 32, kpi_weight_handled=20, kpi_weight_handled_on_time=20,
                    kpi_weight_not_reworked=20, kpi_weight_not_overdue=20,
                    kpi_weight_not_extended=20, kpi_grade_a=86, kpi_grade_b=80, kpi_grade_c=70)
    assert score_of(figures, even) == (87.0, "A")
    with pytest.raises(ValueError, match="add up to 100"):
        Settings(secret_key="k" * 32, kpi_weight_handled=40)


def test_a_period_where_everything_due_was_on_time(march, as_user):
    # Due 16–20 March: C (reworked twice) and D (extended), both closed on time.
    figures = summary(as_user("leader"), **{"from": "2026-03-16", "to": "2026-03-20"})
    assert figures["due"] == {"due": 2, "closed": 2, "closed_on_time": 2, "handled": 2,
                              "handled_on_time": 2, "reworked": 1, "reworks": 2, "extended": 1}
    assert figures["rates"]["on_time_closure_rate"] == 1.0
    assert figures["rates"]["rework_rate"] == 0.5 and figures["rates"]["extension_rate"] == 0.5
    # Nothing open on the 21st: 1 − 超期率 counts whole. 30 + 20 + 20·½ + 20 + 10·½ = 85.
    assert figures["open"] == {"open": 0, "overdue": 0}
    assert figures["rates"]["overdue_rate"] is None
    assert figures["score"] == 85.0 and figures["grade"] == "B"


def test_the_extension_moved_the_due_day_and_the_holiday_the_deadline(march, as_user):
    leader = as_user("leader")
    # D's original deadline (the 16th, past the holiday) no longer counts: it is due the 18th.
    assert summary(leader, period="day", date="2026-03-16")["due"]["due"] == 0
    on_the_18th = summary(leader, period="day", date="2026-03-18")
    assert on_the_18th["due"]["due"] == 2 and on_the_18th["due"]["extended"] == 1
    assert on_the_18th["counts"]["closed"] == 2


def test_a_secretary_sees_her_community_only(march, as_user):
    secretary = as_user("secretary")
    figures = summary(secretary, **MARCH)  # I lies in the other community
    assert figures["counts"]["reported"] == 9
    assert figures["due"]["due"] == 6 and figures["due"]["closed_on_time"] == 4
    assert summary(secretary, area=GRID, **MARCH)["counts"]["reported"] == 9
    for code in (OTHER_COMMUNITY, OTHER_GRID, STREET, COUNTY):
        response = secretary.get("/api/v1/kpi/summary", params={"area": code, **MARCH})
        assert response.status_code == 404, code
        assert response.json()["errors"][0]["field"] == "area"


def test_a_department_sees_its_own_cases_only(march, as_user):
    department = as_user("dept-sanitation")
    figures = summary(department, **MARCH)  # A B C D E J
    assert figures["counts"]["dispatched"] == 6
    assert figures["due"] == {"due": 5, "closed": 4, "closed_on_time": 3, "handled": 4,
                              "handled_on_time": 3, "reworked": 1, "reworks": 2, "extended": 1}
    assert figures["open"] == {"open": 1, "overdue": 1}
    assert summary(department, area=COUNTY, **MARCH)["due"]["due"] == 5
    assert summary(department, department=SANITATION, **MARCH)["due"]["due"] == 5
    response = department.get("/api/v1/kpi/summary", params={"department": "YL01", **MARCH})
    assert response.status_code == 404 and response.json()["errors"][0]["field"] == "department"


def test_a_leader_narrows_the_figures_to_a_department_or_an_area(march, as_user):
    leader = as_user("leader")
    assert summary(leader, department="YL01", **MARCH)["due"]["due"] == 1
    assert summary(leader, area=OTHER_COMMUNITY, **MARCH)["counts"]["reported"] == 1
    assert summary(leader, area=STREET, **MARCH)["counts"]["reported"] == 10
    missing = leader.get("/api/v1/kpi/summary", params={"area": "410602009"})
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "area"
    assert leader.get("/api/v1/kpi/summary", params={"department": "XX99"}).status_code == 404


def test_roles_without_the_kpi_permission_are_refused(march, as_user):
    assert as_user("member").get("/api/v1/kpi/summary").status_code == 403
    chief2 = as_user("chief2")  # another community's grid chief
    assert chief2.get("/api/v1/kpi/summary", params={"area": GRID}).status_code == 404
    assert summary(chief2, **MARCH)["counts"]["reported"] == 1  # I, in its own grid


def test_departments_are_ranked_by_the_published_score(march, as_user):
    items = ok(as_user("leader").get("/api/v1/kpi/rankings", params={"by": "department",
                                                                      **MARCH}))["items"]
    # YL01: I due and closed on time, nothing open: 100. HW01: A B C D E due, 4 handled, 3 on
    # time, 1 reworked, 1 extended, E open and overdue: 30·4/5 + 20·3/5 + 20·4/5 + 0 + 10·4/5.
    assert [(r["rank"], r["code"], r["name"], r["score"], r["grade"]) for r in items] == [
        (1, "YL01", "园林绿化所", 100.0, "A"), (2, SANITATION, "鹤山区环境卫生管理处", 60.0, "C")]
    assert items[1]["due"] == 5 and items[1]["open"] == 1 and items[1]["overdue"] == 1


def test_a_department_summoned_to_anothers_case_ranks_itself_only(march, as_user):
    march.dispatched("S", (3, 25), department={"department_code": "YL01"})
    march.play("S", ("summon", bj(3, 25, 10), {"department_codes": [SANITATION]}))
    ranked = ok(as_user("dept-sanitation").get("/api/v1/kpi/rankings", params={
        "by": "department", **MARCH}))["items"]
    assert [r["code"] for r in ranked] == [SANITATION]  # not YL01, from its one shared case
    leader = ok(as_user("leader").get("/api/v1/kpi/rankings", params={
        "by": "department", **MARCH}))["items"]
    assert {r["code"] for r in leader} == {"YL01", SANITATION}


def test_grids_and_communities_are_ranked_the_same_way(march, as_user):
    leader = as_user("leader")
    grids = ok(leader.get("/api/v1/kpi/rankings", params={"by": "grid", **MARCH}))["items"]
    # GRID: A B C D E F due; 5 closed, 4 on time; C reworked, D extended; E and H open, E
    # overdue: 30·5/6 + 20·4/6 + 20·5/6 + 20·½ + 10·5/6 = 73.33.
    assert [(r["code"], r["score"], r["grade"]) for r in grids] == [
        (OTHER_GRID, 100.0, "A"), (GRID, 73.3, "C")]
    communities = ok(leader.get("/api/v1/kpi/rankings",
                                params={"by": "community", **MARCH}))["items"]
    assert [(r["code"], r["name"]) for r in communities] == [
        (OTHER_COMMUNITY, "红旗社区"), (COMMUNITY, "新华街社区")]
    streets = ok(leader.get("/api/v1/kpi/rankings", params={"by": "street", **MARCH}))["items"]
    assert [(r["code"], r["name"], r["due"]) for r in streets] == [(STREET, "中山路街道", 7)]
    secretary = ok(as_user("secretary").get("/api/v1/kpi/rankings",
                                            params={"by": "grid", **MARCH}))["items"]
    assert [r["code"] for r in secretary] == [GRID]


def test_trends_count_each_beijing_day_and_week(march, as_user):
    leader = as_user("leader")
    days = ok(leader.get("/api/v1/kpi/trends", params=MARCH))["items"]
    assert len(days) == 31 and days[0]["bucket"] == "2026-03-01"
    by_day = {d["bucket"]: d for d in days}
    assert by_day["2026-03-02"]["reported"] == 2  # A, B
    assert by_day["2026-03-04"]["due"]["due"] == 2  # A, B
    assert by_day["2026-03-04"]["due"]["closed_on_time"] == 1
    assert by_day["2026-03-04"]["rates"]["on_time_closure_rate"] == 0.5
    assert by_day["2026-03-05"]["due"]["due"] == 1  # F, due when it closed on site
    assert by_day["2026-03-18"]["closed"] == 2 and by_day["2026-03-31"]["closed"] == 1
    assert by_day["2026-03-01"]["rates"]["closure_rate"] is None
    weeks = ok(leader.get("/api/v1/kpi/trends", params={"interval": "week", **MARCH}))["items"]
    assert [(w["bucket"], w["reported"]) for w in weeks] == [
        ("2026-02-23", 0), ("2026-03-02", 4), ("2026-03-09", 1), ("2026-03-16", 1),
        ("2026-03-23", 2), ("2026-03-30", 2)]
    assert sum(w["due"]["due"] for w in weeks) == 7


def test_the_command_center_shows_what_is_open_now(march, as_user):
    before = dt.datetime.now(dt.UTC)
    center = ok(as_user("dispatcher").get("/api/v1/kpi/command-center"))
    after = dt.datetime.now(dt.UTC)
    assert center["open"] == 2  # E (processing, long overdue) and H (reported)
    assert center["by_status"] == {"reported": 1, "filed": 0, "dispatched": 0,
                                   "processing": 1, "handled": 0}
    assert center["by_light"] == {"green": 0, "yellow": 0, "red": 1}
    assert center["by_department"] == [
        {"code": SANITATION, "name": "鹤山区环境卫生管理处", "open": 1, "red": 1},
        {"code": None, "name": "未派遣", "open": 1, "red": 0}]
    assert center["grids"] == [{"code": GRID, "open": 2, "red": 1}]
    (red,) = center["red_list"]
    assert red["id"] == march.ids["E"] and red["department_name"] == "鹤山区环境卫生管理处"
    due = bj(3, 25, 18)
    assert (before - due).total_seconds() / 3600 - 0.1 <= red["hours_overdue"] <= (
        after - due).total_seconds() / 3600 + 0.1
    assert [c["id"] for c in center["newest"][:2]] == [march.ids["H"], march.ids["J"]]
    assert center["points"] == {"id": [march.ids["E"]], "status": ["processing"],
                                "light": ["red"], "grid_code": [GRID], "lat": [35.935],
                                "lng": [114.175]}
    assert center["points_truncated"] is False
    elsewhere = ok(as_user("chief2").get("/api/v1/kpi/command-center"))
    assert elsewhere["open"] == 0 and elsewhere["points"]["id"] == []


def test_the_command_center_names_grids_and_categories_and_lists_open_emergencies(
        march, as_user):
    # An emergency next door: the chiefs of the adjacent grid were alerted at intake, and the
    # command center lists it with the grids it called, until it is closed.
    march.report("K", bj(3, 30, 11), OTHER_GRID, handling_type="emergency")
    center = ok(as_user("dispatcher").get("/api/v1/kpi/command-center"))
    (emergency,) = center["emergencies"]
    assert emergency["id"] == march.ids["K"] and emergency["neighbour_grids"] == [GRID]
    assert emergency["grid_name"] == "红旗第一网格" and emergency["category_name"] == "行道树"
    newest = center["newest"][0]
    assert (newest["id"], newest["grid_name"], newest["category_name"]) == (
        march.ids["K"], "红旗第一网格", "行道树")
    assert center["red_list"][0]["grid_name"] == "新华街第七网格"
    # Outside the scope of the chief of the grid it happened next to: their own grid's only.
    assert ok(as_user("chief").get("/api/v1/kpi/command-center"))["emergencies"] == []
    march.play("K", ("cancel", bj(3, 30, 12), {"note": "误报"}))
    assert ok(as_user("dispatcher").get("/api/v1/kpi/command-center"))["emergencies"] == []


def test_the_map_is_one_feature_collection_of_the_grids_in_scope(march, as_user):
    features = ok(as_user("leader").get("/api/v1/kpi/map"))["features"]
    assert [f["properties"]["code"] for f in features] == [GRID, OTHER_GRID]
    assert features[0]["geometry"]["type"] == "Polygon"
    mine = ok(as_user("secretary").get("/api/v1/kpi/map"))["features"]
    assert [f["properties"]["code"] for f in mine] == [GRID]
    # A department: the grids its cases lie in.
    theirs = ok(as_user("dept-sanitation").get("/api/v1/kpi/map"))["features"]
    assert [f["properties"]["code"] for f in theirs] == [GRID]


def test_ledger_counts_are_counts_of_the_callers_area_and_never_names(app, client, as_user):
    world = make_world(client)  # one building, household and resident (低保) in GRID
    ok(client.post("/api/v1/residents", json={
        "household_id": world.household["id"], "name": "王芳",
        "id_number": id_number(2, "female"), "key_groups": ["低保", "残疾人"]}), 201)
    ok(client.post("/api/v1/organizations", json={
        "grid_code": OTHER_GRID, "name": "红旗商店", "kind": "shop"}), 201)
    counts = ok(as_user("leader").get("/api/v1/kpi/ledgers", params={"by": "community"}))
    assert (counts["grids"], counts["buildings"], counts["households"], counts["residents"],
            counts["organizations"]) == (2, 1, 1, 2, 1)
    assert counts["key_groups"]["低保"] == 2 and counts["key_groups"]["残疾人"] == 1
    assert counts["key_groups"]["独居老人"] == 0
    assert [(u["code"], u["name"], u["residents"]) for u in counts["by"]] == [
        (COMMUNITY, "新华街社区", 2), (OTHER_COMMUNITY, "红旗社区", 0)]
    assert "王芳" not in str(counts) and "刘志强" not in str(counts)
    mine = ok(as_user("secretary").get("/api/v1/kpi/ledgers"))
    assert (mine["grids"], mine["residents"], mine["organizations"]) == (1, 2, 0)
    assert as_user("dept-sanitation").get("/api/v1/kpi/ledgers").status_code == 403
    assert as_user("secretary").get("/api/v1/kpi/ledgers",
                                    params={"area": OTHER_COMMUNITY}).status_code == 404
    by_department = client.get("/api/v1/kpi/ledgers", params={"department": SANITATION})
    assert by_department.status_code == 422
    assert by_department.json()["errors"][0]["field"] == "department"


@pytest.mark.parametrize(("params", "field"), [
    ({"period": "fortnight"}, "period"),
    ({"date": "2026-13-01"}, "date"),
    ({"date": "1900-01-01"}, "date"),
    ({"from": "2026-03-10", "to": "2026-03-01"}, "from"),
    ({"from": "2024-01-01", "to": "2026-03-01"}, "to"),
    ({"from": "2026-03-01"}, "to"),
    ({"period": "month", "from": "2026-03-01", "to": "2026-03-05"}, "period"),
    ({"period": "custom"}, "from"),
    ({"area": "4106"}, "area"),
    ({"area": "41060200100200x"}, "area"),
    ({"area": "4106020010020071"}, "area"),
    ({"department": "HW01' OR 1=1"}, "department"),
    ({"department": "x" * 21}, "department"),
])
def test_bad_input_answers_422_naming_the_parameter(client, params, field):
    response = client.get("/api/v1/kpi/summary", params=params)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize(("path", "params", "field"), [
    ("rankings", {"by": "planet"}, "by"),
    ("rankings", {}, "by"),
    ("trends", {"interval": "hour"}, "interval"),
    ("command-center", {"limit": 0}, "limit"),
    ("command-center", {"points": 10**6}, "points"),
    ("ledgers", {"by": "county"}, "by"),
])
def test_each_route_names_its_bad_parameters(client, path, params, field):
    response = client.get(f"/api/v1/kpi/{path}", params=params)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
