"""The demo data: a believable county whose every row would pass the API's own rules."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest
from sqlalchemy import select

from backend import migrations
from backend.areas.schemas import GridCreate
from backend.cases.models import (
    Case,
)
from backend.cases.reference import (
    BIG_CLASSES,
    CATEGORIES,
    DEPARTMENTS,
    DISPUTE_OFFICES,
    TEAM_ROLE_DEPARTMENTS,
)
from backend.cases.schemas import CaseCategoryCreate, CaseCreate, DepartmentCreate
from backend.core.config import Settings
from backend.core.db import BEIJING, Database
from backend.fieldwork.schemas import PatrolCreate, VisitCreate, WorkLogCreate
from backend.identity.models import User
from backend.ledgers.schemas import (
    BuildingCreate,
    HouseholdCreate,
    OrganizationCreate,
    ResidentCreate,
)
from backend.seed import (
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


def test_disputes_can_be_handed_to_the_justice_office_and_the_petitions_bureau():
    for office in DISPUTE_OFFICES:
        DepartmentCreate.model_validate(office)
    assert {d["kind"] for d in DISPUTE_OFFICES} == {"justice", "petitions"}
    codes = [d["code"] for d in DEPARTMENTS + DISPUTE_OFFICES]
    assert len(codes) == len(set(codes))


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
    assert 0 < rate["闲散青少年"] < 0.005
    assert all(16 <= ages[p["id"]] <= 25 for p in tagged["闲散青少年"])

    kinds = Counter(r["residence_type"] for r in residents)
    assert kinds["registered"] / total >= 0.6
    assert 0.04 <= (kinds["floating"] + kinds["temporary"]) / total <= 0.2
    assert 0.08 <= sum(h["is_rental"] for h in households) / len(households) <= 0.25


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
