"""The demo's county as seeded: one small county (600 residents, 1,000 cases played through the
workflow up to a minute ago), seeded once for this module and read by each test.

Its tests only read, so the world is built once (a seed takes half a minute) rather than once
per test; the tables are emptied when the module ends (conftest.py, `shared_world`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Iterator

import pytest
from shapely.geometry import Point, box, shape
from shapely.ops import unary_union
from sqlalchemy import select

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
from backend.cases.sla import deadlines
from backend.core.db import BEIJING
from backend.identity.models import User
from backend.ledgers.id_number import parse_id_number
from backend.notifications.models import Notification
from backend.seed import (
    BBOX,
    run_seed,
)
from backend.seed.vocabulary import FIELDWORK_DAYS
from tests.builders import ok
from tests.conftest import empty_all_tables
from tests.test_seed import SEED_NOW, beijing_today, fetch_all, when

pytestmark = pytest.mark.shared_world

# Actions that close a case (a closed case's last step is one of them).
CLOSING = {"close", "verify", "handle-on-site", "review-approval"}

@pytest.fixture(scope="module")
def seeded(app, accounts, baseline) -> Iterator[dict[str, int]]:
    yield run_seed(app.state.db, progress=False, residents=600, cases=1000, now=SEED_NOW)
    empty_all_tables(app, baseline)


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
        assert 300 <= grid["household_target"] <= 500
    # Each grid's team: its chief, its full-time worker and the "1+5" departments' members.
    team = Counter((m["grid_code"], m["team_role"]) for m in fetch_all(client, "grid-staff"))
    for grid in grids:
        assert [team[(grid["code"], role)] for role in ("grid_chief", "full_time", "part_time")
                ] == [1, 1, 5]
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
    walkers: dict[str, set[str]] = defaultdict(set)  # the chief and the full-time worker
    for member in fetch_all(client, "grid-staff"):
        if member["team_role"] in ("grid_chief", "full_time"):
            walkers[member["grid_code"]].add(member["name"])
    patrols = fetch_all(client, "patrols")
    # Nearly every grid, nearly every day of the field-work days.
    assert len(patrols) >= 0.8 * FIELDWORK_DAYS * len(grids)
    for patrol in patrols:
        started, ended = when(patrol["started_at"]), when(patrol["ended_at"])
        assert now - dt.timedelta(days=FIELDWORK_DAYS + 1) < started < ended <= now
        assert patrol["patroller_name"] in walkers[patrol["grid_code"]]
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
        if visit["resident_id"] is not None:  # a party member's call names no one
            assert residents[visit["resident_id"]]["household_id"] == visit["household_id"]
        assert dt.date.fromisoformat(visit["visit_date"]) <= beijing_today()
    for resident in residents.values():
        if resident["key_groups"]:  # key households every quarter
            assert visited[resident["household_id"]] >= 4

    # Nobody patrols or logs a day of their leave: the partner walks the grid (AB岗).
    leaves = fetch_all(client, "staff-leaves")
    assert len(leaves) == 2 * len(grids)  # the chief's and the worker's week off
    away_days = set()
    for leave in leaves:
        first, last = (dt.date.fromisoformat(leave[k]) for k in ("first_day", "last_day"))
        away_days |= {(leave["staff_id"], first + dt.timedelta(days=n))
                      for n in range((last - first).days + 1)}
    for patrol in patrols:
        day = when(patrol["started_at"]).astimezone(BEIJING).date()
        assert (patrol["staff_id"], day) not in away_days
    logs = fetch_all(client, "work-logs")
    assert not {(log["staff_id"], dt.date.fromisoformat(log["log_date"])) for log in logs
                } & away_days

    for log in logs:
        if log["reviewed_at"]:
            assert log["reviewed_by"]
            assert when(log["reviewed_at"]).astimezone(BEIJING).date() > dt.date.fromisoformat(
                log["log_date"])


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
        moves = [s for s in chain if s.action not in ("escalate", "merged", "handover")]
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
        "summon", "review-approval", "escalate", "handover"}, actions
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



def test_the_closed_quarters_of_the_year_are_assessed_and_final(client, seeded):
    schemes = {s["id"]: s for s in fetch_all(client, "assessment-schemes")}
    assert {s["level"] for s in schemes.values()} == {"grid", "grid_chief", "community",
                                                      "department"}
    runs = fetch_all(client, "assessment-runs")
    quarters = {run["period_first"] for run in runs}
    assert quarters and all(run["status"] == "final" for run in runs)
    assert len(runs) == len(quarters) * len(schemes)  # every scheme, every closed quarter
    grids = fetch_all(client, "grids")
    first = min(quarters)
    grid_run = next(r for r in runs if r["period_first"] == first
                    and schemes[r["scheme_id"]]["level"] == "grid")
    ranking = ok(client.get(f"/api/v1/assessments/runs/{grid_run['id']}"))["scores"]
    assert len(ranking) == len(grids)
    vetoed = [s for s in ranking if s["vetoed"]]
    assert len(vetoed) == 1 and vetoed[0]["grade"] == "unqualified"
    assert vetoed[0]["rank"] == len(grids)  # after every grid not vetoed
    assert [s["rank"] for s in ranking] == sorted(s["rank"] for s in ranking)
    chief_run = next(r for r in runs if r["period_first"] == first
                     and schemes[r["scheme_id"]]["level"] == "grid_chief")
    chiefs = ok(client.get(f"/api/v1/assessments/runs/{chief_run['id']}"))["scores"]
    cutoff = math.ceil(len(chiefs) * 0.1)  # the top tenth (those tied with it too)
    assert [s["star"] for s in chiefs] == [s["rank"] <= cutoff and not s["vetoed"]
                                           for s in chiefs]
    assert any(s["star"] for s in chiefs)


def test_the_grids_disputes_screenings_requests_and_errands_hold_together(client, seeded):
    grids = {g["code"] for g in fetch_all(client, "grids")}
    disputes = fetch_all(client, "disputes")
    assert len(disputes) > len(grids)  # about one per grid a month
    assert {d["grid_code"] for d in disputes} <= grids
    for dispute in disputes:
        assert (dispute["status"] == "settled") == (dispute["settled_at"] is not None)
    levels = {d["settled_level"] for d in disputes if d["status"] == "settled"}
    assert {"grid", "community", "street", None} <= levels  # None: concluded by an office
    handed = {d["department_code"] for d in disputes if d["department_code"]}
    assert handed and handed <= {"GA01", "SF01", "XW01"}  # police, 司法所, 信访
    found: dict[tuple[str, str], int] = {}
    for dispute in disputes:
        day = dt.date.fromisoformat(dispute["found_on"])
        half = day.replace(day=1 if day.day <= 15 else 16)
        found[(dispute["grid_code"], str(half))] = found.get(
            (dispute["grid_code"], str(half)), 0) + 1
    screenings = fetch_all(client, "dispute-screenings")
    assert {s["grid_code"] for s in screenings} == grids
    for report in screenings:
        assert report["dispute_count"] == found.get((report["grid_code"],
                                                     report["period_first"]), 0)
        assert report["nil_report"] == (report["dispute_count"] == 0)
        assert report["late"] == (when(report["filed_at"]).astimezone(BEIJING).date()
                                  > dt.date.fromisoformat(report["due_on"]))
    assert any(r["late"] for r in screenings) and not all(r["late"] for r in screenings)

    by_id = {d["id"]: d for d in disputes}
    requests = fetch_all(client, "resident-requests")
    assert {r["kind"] for r in requests} == {"ordinary", "coordination", "urgent"}
    for request in requests:
        assert when(request["received_at"]) < when(request["due_at"])
        if request["status"] == "referred":
            assert by_id[request["dispute_id"]]["grid_code"] == request["grid_code"]
        if request["status"] != "open":
            assert when(request["settled_at"]) >= when(request["received_at"])
    errands = fetch_all(client, "errands")
    assert {e["status"] for e in errands} >= {"done", "in_progress"}
    for errand in errands:
        if errand["status"] != "accepted":
            assert when(errand["answered_at"]) >= when(errand["accepted_at"])


def test_the_justice_office_signs_in_to_the_disputes_handed_to_it(client, as_user, seeded):
    """The demo's 司法局 and 信访局 accounts: each office sees the disputes handed to it, and
    those still with it wait on its desk, soonest due first."""
    disputes = fetch_all(client, "disputes")
    for username, office in (("dept-justice", "SF01"), ("dept-petitions", "XW01")):
        handed = [d for d in disputes if d["department_code"] == office]
        seen = fetch_all(as_user(username), "disputes")
        assert sorted(d["id"] for d in seen) == sorted(d["id"] for d in handed)
        desk = {q["key"]: q for q in ok(as_user(username).get("/api/v1/workbench"))["queues"]}
        waiting = [d for d in handed if d["status"] == "handed_over"]
        assert desk["disputes_handed"]["count"] == len(waiting)
        dues = [item["due_at"] for item in desk["disputes_handed"]["items"]]
        assert dues == sorted(dues)
    # 3 % of the year's disputes go to the justice office: some in this county, never none.
    assert any(d["department_code"] == "SF01" for d in disputes)


def test_each_grid_has_party_members_who_call_on_the_households_they_keep_in_touch_with(
        client, seeded):
    team = fetch_all(client, "grid-staff")
    party = {s["id"]: s for s in team if s["team_role"] in ("party_member", "branch_secretary")}
    households = {h["id"]: h for h in fetch_all(client, "households")}
    lived_in = {h["grid_code"] for h in households.values()}
    assert {s["grid_code"] for s in party.values()} == lived_in  # every grid people live in
    secretaries = Counter(s["grid_code"] for s in party.values()
                          if s["team_role"] == "branch_secretary")
    assert set(secretaries.values()) == {1}
    contacts = fetch_all(client, "party-contacts")
    assert contacts and {c["staff_id"] for c in contacts} <= set(party)
    for contact in contacts:
        assert households[contact["household_id"]]["grid_code"] == contact["grid_code"] \
            == party[contact["staff_id"]]["grid_code"]
    kept = {(c["staff_id"], c["household_id"]) for c in contacts}
    calls = [v for v in fetch_all(client, "visits") if v["staff_id"] in party]
    assert calls and all((v["staff_id"], v["household_id"]) in kept for v in calls)
    # The counts the grid's notice and the dashboards read are those members' and contacts'.
    assert any(c["visits"] > 0 for c in contacts)


def test_the_street_and_the_community_meet_monthly_and_tasks_are_mostly_done_in_time(
        client, seeded):
    meetings = fetch_all(client, "meetings")
    kinds = Counter(m["kind"] for m in meetings)
    assert kinds["community"] > 0 and kinds["joint"] > 0 and set(kinds) == {"community", "joint"}
    assert all(dt.date.fromisoformat(m["held_on"]) <= beijing_today() for m in meetings)
    items = fetch_all(client, "meeting-items")
    tasks = [i for i in items if i["department_code"]]
    done = [t for t in tasks if t["status"] == "done"]
    assert tasks and len(done) >= 0.7 * len(tasks)
    in_time = [t for t in done if when(t["done_at"]) <= when(t["due_at"])]
    assert len(in_time) >= 0.7 * len(done)
    assert all(t["light"] is None for t in done)
    joint = {m["id"] for m in meetings if m["kind"] == "joint"}
    assert {t["meeting_id"] for t in tasks} <= joint  # departments are tasked at joint meetings
