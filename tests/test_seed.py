"""The demo data: a believable county whose every row would pass the API's own rules."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict

import pytest
from shapely.geometry import Point, box, shape
from shapely.ops import unary_union
from sqlalchemy import select

from backend import migrations
from backend.areas.schemas import GridCreate
from backend.cases.entities import case_code
from backend.cases.escalation import tick
from backend.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseCategory,
    CaseStatus,
    CaseStep,
    CaseTask,
    Light,
    TaskStatus,
)
from backend.cases.reference import BIG_CLASSES, CATEGORIES, DEPARTMENTS, TEAM_ROLE_DEPARTMENTS
from backend.cases.schemas import CaseCategoryCreate, CaseCreate, DepartmentCreate
from backend.cases.sla import deadlines
from backend.core.config import Settings
from backend.core.db import BEIJING, Database
from backend.fieldwork.schemas import PatrolCreate, VisitCreate, WorkLogCreate
from backend.identity.models import User
from backend.ledgers.id_number import parse_id_number
from backend.ledgers.schemas import (
    BuildingCreate,
    HouseholdCreate,
    OrganizationCreate,
    ResidentCreate,
)
from backend.notifications.models import Notification
from backend.seed import (
    BBOX,
    build_demo_data,
    is_empty,
    play_year,
    run_seed,
    seed_county,
)
from tests.builders import ok
from tests.conftest import fresh_database

FIXED_NOW = dt.datetime(2026, 11, 28, 6, 0, tzinfo=dt.UTC)  # 14:00 in Beijing
# The seeded database's "now": a moment ago, fixed, so that its lights can be checked exactly.
SEED_NOW = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=1)
TABLES = {
    "areas": "area", "departments": "department", "case-categories": "case_category",
    "grids": "grid", "buildings": "building", "households": "household",
    "residents": "resident", "organizations": "organization", "patrols": "patrol",
    "cases": "case", "visits": "visit", "work-logs": "work_log",
}


def fetch_all(client, entity: str, **params) -> list[dict]:
    items: list[dict] = []
    while True:
        page = ok(client.get(f"/api/v1/{entity}",
                             params={**params, "limit": 1000, "offset": len(items)}))
        items += page["items"]
        if len(items) >= page["total"]:
            return items


def when(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def age_on(birth: str, day: dt.date) -> int:
    born = dt.date.fromisoformat(birth)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def beijing_today() -> dt.date:
    return dt.datetime.now(BEIJING).date()


@pytest.fixture
def seeded(app, client) -> dict[str, int]:
    return run_seed(app.state.db, progress=False, residents=600, cases=1000, now=SEED_NOW)


# --- reference data ------------------------------------------------------------------------


def test_categories_have_unique_codes_a_department_and_a_deadline():
    codes = [c["code"] for c in CATEGORIES]
    assert len(codes) == len(set(codes)) and 35 <= len(codes) <= 50
    department_codes = {d["code"] for d in DEPARTMENTS}
    for category in CATEGORIES:
        CaseCategoryCreate.model_validate(category)
        assert category["code"].startswith(category["big_class_code"])
        kind, big_class_name = BIG_CLASSES[category["big_class_code"]]
        assert (category["kind"], category["big_class_name"]) == (kind, big_class_name)
        assert category["default_department_code"] in department_codes
    big_classes = {c["big_class_code"]: c["kind"] for c in CATEGORIES}
    assert {code for code, kind in big_classes.items() if kind == "component"} == {
        "01", "02", "03", "04", "05", "06"}
    assert {code for code, kind in big_classes.items() if kind == "event"} == {
        "07", "08", "09", "10", "11", "12"}

    deadlines = {c["name"]: (c["deadline_value"], c["deadline_unit"]) for c in CATEGORIES}
    assert deadlines["井盖缺失"] == (3, "hours")
    assert deadlines["污水冒溢"] == (4, "working_hours")
    assert deadlines["积存垃圾渣土"] == (6, "working_hours")
    assert deadlines["路灯不亮"] == (8, "working_hours")


def test_departments_cover_the_1_plus_5_team_and_the_other_linkage_departments():
    for department in DEPARTMENTS:
        DepartmentCreate.model_validate(department)
    kinds = {d["kind"] for d in DEPARTMENTS}
    assert kinds >= {"sanitation", "greening", "municipal", "enforcement", "lighting", "police",
                     "civil_affairs", "work_safety", "fire", "housing", "market"}
    assert set(TEAM_ROLE_DEPARTMENTS.values()) <= {d["code"] for d in DEPARTMENTS}


# --- generation without a database ---------------------------------------------------------


def test_the_same_seed_draws_the_same_world_and_another_seed_another():
    first = build_demo_data(seed=7, residents=300, cases=100, now=FIXED_NOW)
    assert build_demo_data(seed=7, residents=300, cases=100, now=FIXED_NOW) == first
    other = build_demo_data(seed=8, residents=300, cases=100, now=FIXED_NOW)
    assert other["resident"] != first["resident"] and other["case"] != first["case"]


def test_scale_one_has_20000_residents_with_unique_ids_and_6000_cases():
    rows = build_demo_data(now=FIXED_NOW)
    assert len(rows["resident"]) == 20_000 and len(rows["case"]) == 6_000
    assert len({r["id_number"] for r in rows["resident"]}) == 20_000
    reported = [c["reported_at"] for c in rows["case"]]
    assert reported == sorted(reported) and reported[-1] < FIXED_NOW  # in the order they come in
    credit_codes = [o["credit_code"] for o in rows["organization"] if o["credit_code"]]
    assert len(credit_codes) == len(set(credit_codes))
    assert 36 <= len(rows["grid"]) <= 45
    buildings_per_grid = Counter(b["grid_code"] for b in rows["building"])
    assert 8 <= sum(buildings_per_grid.values()) / len(rows["grid"]) <= 15


def test_every_row_passes_the_api_create_schema():
    """The demo never holds what a user could not have entered through the API."""
    rows = build_demo_data(seed=3, residents=400, cases=200, now=FIXED_NOW)
    schemas = {
        "grid": GridCreate, "building": BuildingCreate, "household": HouseholdCreate,
        "resident": ResidentCreate, "organization": OrganizationCreate, "case": CaseCreate,
        "patrol": PatrolCreate, "visit": VisitCreate, "work_log": WorkLogCreate,
    }
    for table, schema in schemas.items():
        for row in rows[table][:500]:
            body = {k: v for k, v in row.items() if k in schema.model_fields}
            schema.model_validate(body)


# GB 32100-2015, written out here rather than taken from the seed: 31 characters (no I, O, S,
# V, Z), the i-th of the first 17 weighted 3^i mod 31.
GB32100_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def gb32100_check(first17: str) -> str:
    total = sum(GB32100_CHARS.index(c) * (3 ** i % 31) for i, c in enumerate(first17))
    return GB32100_CHARS[(31 - total % 31) % 31]


def test_credit_codes_carry_a_valid_check_character():
    assert gb32100_check("91350100M000100Y4") == "3"  # a widely published example code
    rows = build_demo_data(seed=5, residents=2000, cases=10, now=FIXED_NOW)
    codes = [o["credit_code"] for o in rows["organization"] if o["credit_code"]]
    assert codes
    for code in codes:
        assert len(code) == 18 and code[2:8] == "410602"
        assert set(code) <= set(GB32100_CHARS), code
        assert gb32100_check(code[:17]) == code[17], code


# --- a seeded database, read through the API -----------------------------------------------


def test_seed_fills_an_empty_database_and_refuses_a_full_one(app, client):
    database = app.state.db
    assert is_empty(database)
    counts = run_seed(database, progress=False, residents=500, cases=200)
    assert not is_empty(database)
    assert counts["resident"] == 500 and counts["case"] == 200
    for entity, table in TABLES.items():
        total = ok(client.get(f"/api/v1/{entity}", params={"limit": 1}))["total"]
        assert total == counts[table], entity
    with pytest.raises(ValueError):
        run_seed(database, progress=False, residents=10, cases=10)

    # The seed wrote explicit ids: new rows still get fresh ones (PostgreSQL sequences moved
    # on). Cases came in through intake, numbered by the database in the order reported.
    grid = fetch_all(client, "grids")[0]
    household = ok(client.post("/api/v1/households", json={
        "building_id": fetch_all(client, "buildings")[0]["id"], "room": "9单元999"}), 201)
    assert household["id"] == counts["household"] + 1
    seeded = fetch_all(client, "cases", sort="id")
    assert [c["reported_at"] for c in seeded] == sorted(c["reported_at"] for c in seeded)
    created = ok(client.post("/api/v1/cases", json={
        "source": "hotline_12345", "category_code": "07011", "title": "楼下积存垃圾",
        "grid_code": grid["code"]}), 201)
    assert created["id"] == seeded[-1]["id"] + 1
    assert created["code"].endswith(f"{created['id']:08d}")
    assert grid["created_at"] == grid["updated_at"]  # linking AB岗 partners is not an edit


def test_the_area_tree_is_410602_with_3_streets_9_communities_and_about_40_grids(client, seeded):
    areas = {a["code"]: a for a in fetch_all(client, "areas")}
    assert areas["410602"]["name"] == "鹤山区" and areas["410602"]["level"] == "county"
    streets = [a for a in areas.values() if a["level"] == "street"]
    communities = [a for a in areas.values() if a["level"] == "community"]
    assert len(streets) == 3 and len(communities) == 9
    assert {s["name"] for s in streets} >= {"中山街道", "鹤山街街道", "九矿广场街道"}
    for area in streets + communities:
        assert area["code"].startswith(area["parent_code"])
        assert len(area["code"]) == len(area["parent_code"]) + 3

    grids = fetch_all(client, "grids")
    assert 36 <= len(grids) <= 45
    for grid in grids:
        community = areas[grid["community_code"]]
        assert community["level"] == "community"
        assert len(grid["code"]) == 15 and grid["code"].startswith(grid["community_code"])
        assert grid["name"].startswith(community["name"]) and grid["name"].endswith("网格")
        assert [m["role"] for m in grid["members"]] == [
            "网格员", "环卫", "园林", "市政", "执法", "照明"]
        assert grid["chief_name"] and grid["chief_phone"]
        assert 300 <= grid["household_target"] <= 500
    per_community = Counter(g["community_code"] for g in grids)
    assert set(per_community.values()) <= {4, 5} and len(per_community) == 9


def test_grids_tile_the_map_without_gaps_or_overlaps_and_partners_are_neighbours(client, seeded):
    grids = {g["code"]: g for g in fetch_all(client, "grids")}
    polygons = {code: shape(g["boundary"]) for code, g in grids.items()}
    assert all(p.is_valid and p.area > 0 for p in polygons.values())
    for (a, pa), (b, pb) in itertools.combinations(polygons.items(), 2):
        assert pa.intersection(pb).area < 1e-12, (a, b)
    bbox = box(*BBOX)
    assert unary_union(list(polygons.values())).symmetric_difference(bbox).area < 1e-12
    for code, grid in grids.items():
        partner = grid["partner_grid_code"]
        assert partner in grids and partner != code
        assert polygons[code].intersection(polygons[partner]).length > 0  # a shared edge


def test_residents_have_valid_unique_id_numbers_and_sit_in_their_households(client, seeded):
    residents = fetch_all(client, "residents")
    households = {h["id"]: h for h in fetch_all(client, "households")}
    buildings = {b["id"]: b for b in fetch_all(client, "buildings")}
    assert len(residents) == 600
    assert len({r["id_number"] for r in residents}) == len(residents)
    for resident in residents:
        info = parse_id_number(resident["id_number"])
        assert info.sex == resident["sex"]
        assert info.birth_date.isoformat() == resident["birth_date"]
        if resident["residence_type"] == "registered":
            assert info.region_code == "410602"
        household = households[resident["household_id"]]
        assert resident["grid_code"] == household["grid_code"]
        assert household["grid_code"] == buildings[household["building_id"]]["grid_code"]

    heads = defaultdict(list)
    for resident in residents:
        if resident["relation_to_head"] == "户主":
            heads[resident["household_id"]].append(resident["name"])
    for household in households.values():
        assert heads[household["id"]] == [household["head_name"]]
        if not household["is_rental"]:
            assert household["landlord_name"] is None and household["landlord_phone"] is None
        else:
            assert household["landlord_name"] and household["landlord_phone"]
    for building in buildings.values():
        assert building["head_name"] and building["head_phone"]


def test_key_groups_and_ages_are_at_realistic_rates(app, client):
    run_seed(app.state.db, progress=False, residents=4000, cases=20)
    residents = fetch_all(client, "residents", fields="id,birth_date,sex,key_groups,residence_type")
    households = fetch_all(client, "households", fields="id,is_rental")
    today = beijing_today()
    ages = {r["id"]: age_on(r["birth_date"], today) for r in residents}
    total = len(residents)
    assert 0.14 <= sum(a >= 60 for a in ages.values()) / total <= 0.28
    assert 0.10 <= sum(a < 15 for a in ages.values()) / total <= 0.25

    tagged = defaultdict(list)
    for resident in residents:
        for tag in resident["key_groups"]:
            tagged[tag].append(resident)
    rate = {tag: len(people) / total for tag, people in tagged.items()}
    # The list filter answers the same question the way a user would ask it.
    subsistence = ok(client.get("/api/v1/residents",
                                params={"key_groups__contains": "低保", "limit": 1}))["total"]
    assert subsistence == len(tagged["低保"])
    assert 0.01 <= rate["低保"] <= 0.04
    assert 0.007 <= rate["残疾人"] <= 0.03
    assert 0.003 <= rate["4050人员"] <= 0.03
    assert 0.03 <= rate["空巢老人"] + rate["独居老人"] <= 0.15
    for tag in ("刑释解教", "社区矫正", "吸毒人员", "精神障碍"):
        assert rate.get(tag, 0) < 0.005, tag
    assert {r["id"] for r in tagged["低保"]} <= {r["id"] for r in tagged["困难群众"]}

    for person in tagged["空巢老人"] + tagged["独居老人"]:
        assert ages[person["id"]] >= 60
    for person in tagged["留守儿童"]:
        assert ages[person["id"]] < 16
    for person in tagged["4050人员"]:
        low = 40 if person["sex"] == "female" else 50
        assert low <= ages[person["id"]] < low + 10
    for tag in ("刑释解教", "社区矫正", "吸毒人员", "精神障碍"):
        assert all(ages[p["id"]] >= 18 for p in tagged[tag])

    kinds = Counter(r["residence_type"] for r in residents)
    assert kinds["registered"] / total >= 0.6
    assert 0.04 <= (kinds["floating"] + kinds["temporary"]) / total <= 0.2
    assert 0.08 <= sum(h["is_rental"] for h in households) / len(households) <= 0.25


def test_cases_lie_in_their_grid_follow_their_timeline_and_reach_the_right_department(
        app, client, seeded):
    cases = fetch_all(client, "cases")
    grids = {g["code"]: shape(g["boundary"]) for g in fetch_all(client, "grids")}
    patrols = {p["id"]: p for p in fetch_all(client, "patrols")}
    now = dt.datetime.now(dt.UTC)
    statuses = Counter(c["status"] for c in cases)
    assert statuses["closed"] / len(cases) > 0.8
    assert statuses["cancelled"] > 0
    assert sum(statuses[s]
               for s in ("reported", "filed", "dispatched", "processing", "handled")) > 0
    assert any(c["rework_count"] > 0 for c in cases)
    assert any(c["satisfaction"] for c in cases)
    assert any(when(c["closed_at"]) > when(c["due_at"]) for c in cases
               if c["closed_at"] and c["due_at"])
    assert len({c["source"] for c in cases}) >= 5

    linked: Counter[int] = Counter()
    for case in cases:
        assert grids[case["grid_code"]].contains(Point(case["lng"], case["lat"])), case["code"]
        reported = when(case["reported_at"])
        assert case["code"] == case_code(reported, case["id"])
        assert reported <= now
        times = [when(case[k]) for k in ("reported_at", "filed_at", "dispatched_at",
                                         "handled_at", "closed_at")]
        present = [t for t in times if t is not None]
        assert present == sorted(present), case["code"]
        status = case["status"]
        if status == "closed":  # handled on site or by departments; approvals are decided
            assert case["filed_at"] and case["closed_at"]
            assert case["handled_at"] or case["handling_type"] == "approval"
        if status not in ("closed", "cancelled"):
            assert case["closed_at"] is None and case["satisfaction"] is None
        if case["dispatched_at"]:
            assert when(case["due_at"]) > when(case["dispatched_at"])
        if case["satisfaction"] is not None:
            assert 1 <= case["satisfaction"] <= 5
        if case["patrol_id"]:
            patrol = patrols[case["patrol_id"]]
            assert case["source"] == "patrol" and patrol["grid_code"] == case["grid_code"]
            assert when(patrol["started_at"]) <= reported <= when(patrol["ended_at"])
            linked[case["patrol_id"]] += 1
    for patrol in patrols.values():
        assert patrol["issues_found"] == linked[patrol["id"]]



def test_field_work_happens_in_the_grid_and_in_the_past(client, seeded):
    grids = {g["code"]: g for g in fetch_all(client, "grids")}
    polygons = {code: shape(g["boundary"]) for code, g in grids.items()}
    now = dt.datetime.now(dt.UTC)
    patrols = fetch_all(client, "patrols")
    assert len(patrols) >= 50 * len(grids)  # every grid, every working day of 90 days
    for patrol in patrols:
        started, ended = when(patrol["started_at"]), when(patrol["ended_at"])
        assert now - dt.timedelta(days=91) < started < ended <= now
        grid = grids[patrol["grid_code"]]
        staff = {grid["chief_name"], grid["members"][0]["name"]}
        assert patrol["patroller_name"] in staff
        assert all(polygons[patrol["grid_code"]].contains(Point(p))
                   for p in patrol["route"]["coordinates"])
        assert patrol["distance_m"] > 0

    residents = {r["id"]: r for r in fetch_all(client, "residents")}
    households = {h["id"]: h for h in fetch_all(client, "households")}
    visits = fetch_all(client, "visits")
    visited = Counter(v["household_id"] for v in visits)
    assert set(visited) == set(households)  # every household at least once a year
    for visit in visits:
        assert visit["grid_code"] == households[visit["household_id"]]["grid_code"]
        assert residents[visit["resident_id"]]["household_id"] == visit["household_id"]
        assert dt.date.fromisoformat(visit["visit_date"]) <= beijing_today()
    for resident in residents.values():
        if resident["key_groups"]:  # key households every quarter
            assert visited[resident["household_id"]] >= 4

    for log in fetch_all(client, "work-logs"):
        if log["reviewed_at"]:
            assert log["reviewed_by"]
            assert when(log["reviewed_at"]).astimezone(BEIJING).date() > dt.date.fromisoformat(
                log["log_date"])


# --- the seeded cases are what the workflow produced --------------------------------------

# Actions that leave the status as it is: a step on the side of the chain.
CLOSING = {"close", "verify", "handle-on-site", "review-approval"}


def test_seeded_cases_are_exactly_what_the_workflow_produced(app, client, seeded):
    """Every seeded case went through intake and workflow.perform at its own time: its step
    log replays to its status, its times, due time, light, escalation and notices follow."""
    with app.state.db.session() as session:
        rules = deadlines(session)
        categories = {c.code: c for c in session.execute(select(CaseCategory)).scalars()}
        cases = list(session.execute(select(Case).order_by(Case.id)).scalars())
        steps = defaultdict(list)
        for step in session.execute(select(CaseStep).order_by(CaseStep.id)).scalars():
            steps[step.case_id].append(step)
        tasks = defaultdict(list)
        for task in session.execute(select(CaseTask).order_by(CaseTask.id)).scalars():
            tasks[task.case_id].append(task)
        sanitation = session.execute(select(User.id).where(User.username == "dept-sanitation")
                                     ).scalar_one()
        notices = list(session.execute(select(Notification).where(
            Notification.user_id == sanitation, Notification.kind == "dispatch")).scalars())
    assert len(cases) == seeded["case"] == 1000

    actions: Counter[str] = Counter()
    for case in cases:
        chain = steps[case.id]
        actions.update(s.action for s in chain)
        moves = [s for s in chain if s.action not in ("escalate", "merged")]
        # The chain: from `reported`, each step where the last one left the case, ending where
        # the case is; in time order, after the report and before the seed's now.
        status = CaseStatus.reported
        for step in chain:
            assert step.from_status is status, (case.code, step.action)
            status = step.to_status
        assert status is case.status, case.code
        times = [case.reported_at, *(s.created_at for s in chain)]
        assert times == sorted(times) and times[-1] <= SEED_NOW, case.code
        last_move = moves[-1].created_at if moves else case.reported_at
        # Written last by its last action, or by a tick since that lit it yellow or red.
        assert case.updated_at == last_move or (
            case.updated_at > last_move and case.light in (Light.yellow, Light.red))
        assert case.version == len(moves) + 1  # one version per action, as over the API

        changes = [s for s in moves if s.to_status is not s.from_status]
        last = changes[-1] if changes else None  # what brought the case where it is
        if case.status is CaseStatus.closed:
            assert last.action in CLOSING and case.closed_at == last.created_at
            assert all(t.status in (TaskStatus.verified, TaskStatus.returned)
                       for t in tasks[case.id])
        if case.status is CaseStatus.cancelled:
            assert last.action in ("cancel", "merge", "review-approval")
            assert case.closed_at == last.created_at and case.cancel_reason
        if case.duplicate_of_id is not None:
            assert last.action == "merge" and case.possible_duplicate_of_id is not None
        assert case.rework_count == actions_of(chain, "rework")
        assert case.extension_count == sum(
            s.action == "approve-extension" and s.details["approved"] for s in chain)
        if case.satisfaction is not None:
            assert chain[-1].action == "evaluate" or actions_of(chain, "evaluate") == 1

        # The clock: started by the last dispatch (or first summons), due as the calendar of
        # the settings counts the class's limit, unless an extension moved it.
        started = [s for s in chain if s.action in ("dispatch", "summon")
                   and s.from_status is CaseStatus.filed]
        if case.sla_started_at is None:
            assert case.due_at is None or case.status is CaseStatus.filed
            continue
        assert case.sla_started_at == started[-1].created_at
        category = categories[case.category_code]
        extended = [s for s in chain if s.action == "approve-extension"
                    and s.created_at > case.sla_started_at]
        expected = (dt.datetime.fromisoformat(extended[-1].details["requested_due_at"])
                    if extended else rules.due_at(case.sla_started_at, category.deadline_value,
                                                  category.deadline_unit))
        assert case.due_at == expected, case.code
        if case.status in (CaseStatus.dispatched, CaseStatus.processing):
            # The last tick ran at the seed's now: the light it left is the light of now.
            assert case.light is rules.light(case.sla_started_at, case.due_at,
                                             category.deadline_unit, SEED_NOW), case.code
            if case.light is Light.red:
                assert case.escalation_level == 1
        escalations = [s for s in chain if s.action == "escalate"]
        assert len(escalations) >= case.escalation_level
        for escalation in escalations:  # by the tick of the minute after the case was overdue
            due = dt.datetime.fromisoformat(escalation.details["due_at"])
            before = max(due, *(s.created_at for s in chain if s.id < escalation.id))
            assert dt.timedelta(0) < escalation.created_at - before <= dt.timedelta(minutes=1)

    # The department's inbox: one notice per dispatch to it, sent when it was dispatched.
    dispatched = sorted((s.case_id, s.created_at) for c in steps.values() for s in c
                        if s.action == "dispatch" and s.department_code == "HW01")
    assert sorted((n.case_id, n.created_at) for n in notices) == dispatched

    # A year has every kind of step and every status in it.
    assert set(actions) >= {
        "file", "cancel", "dispatch", "accept", "return", "feedback", "request-extension",
        "approve-extension", "verify", "close", "rework", "handle-on-site", "evaluate",
        "summon", "review-approval", "escalate"}, actions
    statuses = Counter(c.status for c in cases)  # (a thousand cases: not every open status)
    assert {CaseStatus.closed, CaseStatus.cancelled} < set(statuses), statuses
    assert sum(n for status, n in statuses.items() if status in OPEN_STATUSES) > 0
    assert any(c.light is Light.red and c.status is CaseStatus.processing for c in cases)
    assert any(len({t.department_code for t in tasks[c.id]}) > 1 for c in cases)


def actions_of(chain: list, action: str) -> int:
    return sum(s.action == action for s in chain)


def test_a_tick_at_the_seeds_now_finds_nothing_left_to_do(app, seeded):
    with app.state.db.session() as session:
        result = tick(session, now=SEED_NOW)
    assert result.scanned > 0 and (result.yellow, result.red, result.escalated) == (0, 0, 0)


# --- the demo's year, played while the API already serves the county -----------------------

# Rows the year writes, and the columns that differ by design between two runs (random keys).
YEAR_TABLES = {"case": (), "case_step": (), "case_task": (), "audit_log": (),
               "notification": ("dedupe_key",)}


def year_rows(database: Database) -> dict[str, list[dict]]:
    tables = Case.metadata.tables
    with database.engine.connect() as conn:
        return {name: [{k: v for k, v in row._mapping.items() if k not in skipped}
                       for row in conn.execute(select(tables[name]).order_by(tables[name].c.id))]
                for name, skipped in YEAR_TABLES.items()}


@pytest.fixture
def second_scratch_database_url(tmp_path_factory):
    yield from fresh_database(tmp_path_factory)


def test_the_year_played_in_slices_is_the_year_played_in_one_go(
        scratch_database_url, second_scratch_database_url):
    """`gridlink demo` serves the county first and plays the cases after, committing a slice at
    a time; `gridlink seed` does it all in one transaction. Same seed, same now: same year."""
    years = {}
    for url, sliced in ((scratch_database_url, False), (second_scratch_database_url, True)):
        migrations.upgrade(url)
        database = Database(url, settings=Settings(database_url=url))
        try:
            world = {"progress": False, "residents": 300, "cases": 200, "now": SEED_NOW}
            if sliced:
                arrived: list[int] = []
                year = seed_county(database, **world)
                with database.session() as session:  # the county is in, the cases are not
                    assert session.execute(select(Case.id)).first() is None
                    assert session.execute(select(User.id)).first() is not None
                # Slices of no time at all: a commit after every report, move and tick.
                assert play_year(database, year, arrived.append, slice_seconds=0,
                                 between_slices=0) == 200
                assert sum(arrived) == 200 and len(arrived) > 100
            else:
                assert run_seed(database, **world)["case"] == 200
            years[sliced] = year_rows(database)
        finally:
            database.dispose()
    for table in YEAR_TABLES:
        assert years[True][table] == years[False][table], table


def test_a_case_someone_acts_on_while_the_year_plays_is_left_to_them(app, client):
    """The year's slices leave the database to others in between: the dispatcher who cancels
    a case the year is still playing keeps it cancelled; the year plays on with the rest."""
    database = app.state.db
    year = seed_county(database, progress=False, residents=300, cases=200, now=SEED_NOW)
    taken: dict = {}

    def act_between_slices(arrived: int) -> None:
        if taken or not arrived:
            return
        filed = ok(client.get("/api/v1/cases", params={"status": "filed", "limit": 1}))["items"]
        if filed:  # the year will dispatch it next: the dispatcher cancels it first
            taken.update(ok(client.post(f"/api/v1/cases/{filed[0]['id']}/actions/cancel",
                                        json={"note": "市民来电撤回, 予以作废"})))

    assert play_year(database, year, act_between_slices, slice_seconds=0,
                     between_slices=0) == 200
    assert taken, "no case was filed between two slices"
    steps = ok(client.get(f"/api/v1/cases/{taken['id']}/steps"))
    assert steps[-1]["action"] == "cancel" and steps[-1]["note"] == "市民来电撤回, 予以作废"
    case = ok(client.get(f"/api/v1/cases/{taken['id']}"))
    assert case["status"] == "cancelled" and case["version"] == taken["version"]
    assert ok(client.get("/api/v1/cases", params={"limit": 1}))["total"] == 200
