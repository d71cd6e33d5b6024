"""The year's cases, drafted: each report as intake receives it, and the moves planned on it.

A report comes from a patrol, a hotline, the app, a department or a camera, in a grid and a
month that suit its class (`CASE_FREQUENCY`, `CASE_SEASONS`). Its moves are what people will
do with it: most go report → file → dispatch → accept → feedback → close; some are put right
on the spot, cancelled, returned, extended, reworked, handled late, climb an approval, summon
several departments, are evaluated; some recent ones stall at one step. Nothing is played
here: `CaseYear` (case_year.py) takes each move through the workflow service in its turn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import shapely

from backend.cases.models import CasePriority, CaseSource, DeadlineUnit, HandlingType
from backend.cases.reference import DEPARTMENTS
from backend.core.db import BEIJING
from backend.seed.vocabulary import (
    APPROVAL_NOTES,
    CANCEL_NOTES,
    CASE_FREQUENCY,
    CASE_SEASONS,
    CITIZEN_SOURCES,
    EXTENSION_NOTES,
    FEEDBACK_NOTES,
    ON_SITE_NOTES,
    REJECT_NOTES,
    REWORK_NOTES,
    SOURCE_PHRASES,
    SOURCE_WEIGHTS,
    SPOTS,
    SUMMONED,
)
from backend.seed.world import DemoWorld, GridPlan, Person

# The handling type of a big class: 11 emergencies, 12 coordination, 05 approvals.
HANDLING_OF_BIG_CLASS = {"11": HandlingType.emergency, "12": HandlingType.coordination,
                         "05": HandlingType.approval}


@dataclass
class Move:
    """One action the demo plans on a case, taken through the workflow service in its turn.

    It happens `wait` after the case's previous move; a feedback also no earlier than `share`
    of the allowed time (from the clock's start to the due time the workflow set; above 1:
    late). What depends on the workflow's own results is filled in when the move is taken:
    `department` names the task it acts on (summoned departments), `extend` asks for that
    much more time than the due time the case has then.
    """

    action: str
    actor: str
    body: dict[str, Any] = field(default_factory=dict)
    wait: dt.timedelta = dt.timedelta(minutes=10)
    share: float | None = None
    department: str | None = None
    extend: dt.timedelta | None = None


# --- reports -------------------------------------------------------------------------------

def build_cases(world: DemoWorld, count: int) -> None:
    """`count` reports over the last year, in the order they come in, under rows["case"]."""
    r = world.rng
    sources, source_weights = list(SOURCE_WEIGHTS), list(SOURCE_WEIGHTS.values())
    grid_weights = [g.case_weight for g in world.grids]
    drafts: list[dict[str, Any]] = []
    for _ in range(count):
        if drafts and r.random() < 0.02:
            repeat = repeat_call(world, r.choice(drafts))
            if repeat is not None:
                drafts.append(repeat)
                continue
        reported = report_time(world)
        grid = r.choices(world.grids, grid_weights)[0]
        source = r.choices(sources, source_weights)[0]
        patrol = None
        if source is CaseSource.patrol:
            patrol = world.patrol_of_day.get((grid.code, reported.astimezone(BEIJING).date()))
            if patrol is not None:  # found on that day's walk
                span = patrol["ended_at"] - patrol["started_at"]
                reported = patrol["started_at"] + span * r.uniform(0.1, 0.9)
        category = pick_category(world, reported)
        drafts.append(draft_case(world, reported, grid, source, category, patrol))
    # Reported in this order, so ids and codes follow it, as they would in real life.
    drafts.sort(key=lambda d: d["reported_at"])
    for draft in drafts:
        if draft["patrol_id"] is not None:
            world.patrol_findings.setdefault(draft["patrol_id"], []).append(draft["title"])
    world.rows["case"] = drafts


def report_time(world: DemoWorld) -> dt.datetime:
    """Some moment of the last year, mostly in the day time."""
    r = world.rng
    while True:
        day = world.today - dt.timedelta(days=r.randint(0, 364))
        minutes = (r.uniform(6.5 * 60, 21.5 * 60) if r.random() < 0.92
                   else r.uniform(0, 24 * 60))
        at = world.local_time(day, minutes)
        if at < world.now - dt.timedelta(minutes=5):
            return at


def pick_category(world: DemoWorld, at: dt.datetime) -> dict[str, Any]:
    month = at.astimezone(BEIJING).month
    choices = [c for c in world.categories
               if month in CASE_SEASONS.get(c["code"], range(1, 13))]
    weights = [CASE_FREQUENCY.get(c["code"], 1) for c in choices]
    return world.rng.choices(choices, weights)[0]


def repeat_call(world: DemoWorld, original: dict[str, Any]) -> dict[str, Any] | None:
    """Another citizen calling about the same problem a day or two later, a few metres off:
    intake flags it as a likely duplicate, and the dispatcher merges it if the first is
    still open."""
    r = world.rng
    reported = original["reported_at"] + dt.timedelta(hours=r.uniform(1, 48))
    if reported > world.now - dt.timedelta(minutes=5):
        return None
    grid = next(g for g in world.grids if g.code == original["grid_code"])
    lng = original["lng"] + r.uniform(-0.00015, 0.00015)
    lat = original["lat"] + r.uniform(-0.00015, 0.00015)
    if not shapely.contains_xy(grid.polygon, lng, lat):
        return None
    category = next(c for c in world.categories if c["code"] == original["category_code"])
    draft = draft_case(world, reported, grid, r.choice(CITIZEN_SOURCES), category, None)
    draft.update(lat=round(lat, 6), lng=round(lng, 6), address=original["address"])
    return draft


def draft_case(world: DemoWorld, reported: dt.datetime, grid: GridPlan, source: CaseSource,
               category: dict[str, Any], patrol: dict[str, Any] | None) -> dict[str, Any]:
    """The report as intake receives it (CaseCreate's fields), who takes it in, and the
    moves planned on it."""
    r = world.rng
    road = r.choice(grid.roads)
    number = r.randint(1, 300)
    where = r.choice(SPOTS)
    address = f"鹤山区{road}{number}号"
    title = f"{road}{number}号{where}{category['name']}"
    lng, lat = world.random_point(grid.polygon)

    anonymous = source in CITIZEN_SOURCES and r.random() < 0.25
    reporter = draw_reporter(world, grid, source, patrol, anonymous)
    # Who enters the report: staff their own, the command centre's call takers the rest.
    intake_actor = (reporter.name if reporter is not None and source not in CITIZEN_SOURCES
                    else r.choice(world.dispatchers).name)

    big_class = category["big_class_code"]
    handling = HANDLING_OF_BIG_CLASS.get(big_class, HandlingType.general)
    if big_class == "11" and category["deadline_unit"] is DeadlineUnit.hours:
        priority = CasePriority.critical
    elif big_class == "11" or category["deadline_unit"] is DeadlineUnit.hours:
        priority = CasePriority.urgent
    else:
        priority = CasePriority.urgent if r.random() < 0.03 else CasePriority.normal

    moves = plan_case(world, reported, grid, category, source, reporter, anonymous, handling)
    return {
        "source": source, "category_code": category["code"], "title": title,
        "description":
            f"{SOURCE_PHRASES[source]}: {address}{where}{category['name']}, 请尽快处置。",
        "address": address, "lat": lat, "lng": lng, "grid_code": grid.code,
        "reporter_name": reporter.name if reporter else None,
        "reporter_phone": reporter.phone if reporter else None,
        "is_anonymous": anonymous, "priority": priority, "handling_type": handling,
        "patrol_id": patrol["id"] if patrol else None, "reported_at": reported,
        "intake_actor": intake_actor, "moves": moves,
    }


def draw_reporter(world: DemoWorld, grid: GridPlan, source: CaseSource,
                  patrol: dict[str, Any] | None, anonymous: bool) -> Person | None:
    """Who reports: the grid's walker, a citizen (None when anonymous), a department's staff
    member, or a command-centre operator watching the cameras."""
    r = world.rng
    if source is CaseSource.patrol:
        on_walk = patrol is not None and patrol["patroller_name"] == grid.chief.name
        return grid.chief if on_walk else grid.worker
    if source in CITIZEN_SOURCES:
        return None if anonymous else Person(world.person_name(world.any_sex()), world.mobile())
    if source is CaseSource.department:
        department = r.choice(DEPARTMENTS)
        return Person(r.choice(world.department_staff[department["code"]]).name,
                      department["phone"])
    return Person(r.choice(world.dispatchers).name, None)  # video


# --- moves ---------------------------------------------------------------------------------

def plan_case(world: DemoWorld, reported: dt.datetime, grid: GridPlan, category: dict[str, Any],
              source: CaseSource, reporter: Person | None, anonymous: bool,
              handling: HandlingType) -> list[Move]:
    """What people will do with a case. Most go report → file → dispatch → accept →
    feedback → close; a grid chief puts some right on the spot; some are cancelled as
    invalid, returned as a wrong dispatch, extended, sent back for rework, handled late;
    approval cases climb community, street and district; some coordination cases summon
    several departments; citizens who left a name are asked how satisfied they are. The
    newest are still on their way, and some recent ones stall at one step."""
    r = world.rng
    dispatcher = r.choice(world.dispatchers).name
    if (handling is HandlingType.general and source is CaseSource.patrol
            and reporter is grid.chief and r.random() < 0.4):
        return [Move("handle-on-site", grid.chief.name, {"note": r.choice(ON_SITE_NOTES)},
                     world.minutes(5, 40))]
    if r.random() < 0.04:
        return [Move("cancel", dispatcher, {"note": r.choice(CANCEL_NOTES)},
                     world.minutes(5, 90))]
    moves = [Move("file", dispatcher, {"note": "符合立案条件, 予以立案"}, world.minutes(5, 90))]
    if handling is HandlingType.approval:
        handled, unhappy = approval_moves(world, grid, dispatcher)
    elif handling is HandlingType.coordination and r.random() < 0.5:
        handled, unhappy = summons_moves(world, grid, category, dispatcher)
    else:
        handled, unhappy = dispatch_moves(world, grid, category, dispatcher)
    moves += handled
    closes = moves[-1].action in ("close", "verify") or (
        moves[-1].action == "review-approval" and moves[-1].body["decision"] == "approve")
    if closes and source in CITIZEN_SOURCES and not anonymous and r.random() < 0.75:
        satisfaction = r.choices([5, 4, 3, 2, 1],
                                 [20, 25, 25, 18, 12] if unhappy else [55, 25, 10, 6, 4])[0]
        moves.append(Move("evaluate", dispatcher, {"satisfaction": satisfaction,
                                                   "note": "电话回访"},
                          dt.timedelta(hours=r.uniform(2, 72))))
    return stall(world, moves, reported)


def handler(world: DemoWorld, grid: GridPlan, department_code: str) -> Person:
    """Who works a case: the grid's own "1+5" member when the department has one there."""
    return grid.team.get(department_code) or world.rng.choice(
        world.department_staff[department_code])


def dispatch_moves(world: DemoWorld, grid: GridPlan, category: dict[str, Any], dispatcher: str
                   ) -> tuple[list[Move], bool]:
    """Dispatch to one department and what follows; (moves, whether the resident has
    reason to be unhappy: late or reworked)."""
    r = world.rng
    department = category["default_department_code"]
    unit = DeadlineUnit(category["deadline_unit"])
    quick = unit is DeadlineUnit.hours
    limit = f"{category['deadline_value']}{unit.label}"
    moves = [Move("dispatch", dispatcher, {"note": f"派遣处置, 时限{limit}"},
                  world.minutes(5, 60))]
    worker = handler(world, grid, department).name
    if r.random() < 0.03:  # a wrong dispatch: sent back, and on to another department
        moves.append(Move("return", worker, {"note": "不属于本部门职责, 请重新派遣"},
                          world.minutes(10, 120)))
        department = r.choice([code for code in SUMMONED if code != department])
        worker = handler(world, grid, department).name
        moves.append(Move("dispatch", dispatcher, {"department_code": department,
                                                   "note": f"改派, 时限{limit}"},
                          world.minutes(5, 60)))
    moves.append(Move("accept", worker, {"note": "已接收, 安排人员处置"},
                      world.minutes(5, 30) if quick else world.minutes(10, 120)))
    if r.random() < 0.04:  # the department asks for more time
        moves.append(Move("request-extension", worker, {"note": r.choice(EXTENSION_NOTES)},
                          world.minutes(30, 240), extend=dt.timedelta(days=r.randint(1, 3))))
        decision = "approve-extension" if r.random() < 0.7 else "reject-extension"
        moves.append(Move(decision, dispatcher, {"note": "同意延期" if decision.startswith(
            "approve") else "时限内可完成, 不予延期"}, world.minutes(20, 240)))
    reworks = 0 if r.random() > 0.05 else r.choice([1, 1, 1, 2])
    late = r.random() < 0.07
    for round_no in range(reworks + 1):
        last = round_no == reworks
        share = (r.uniform(1.05, 2.5) if late and last
                 else (round_no + r.uniform(0.1, 0.8)) / (reworks + 1))
        body: dict[str, Any] = {"note": r.choice(FEEDBACK_NOTES)}
        if r.random() < 0.6:
            body["photo_urls"] = [f"https://oss.hebi.example/gridlink/{r.getrandbits(64):016x}.jpg"]
        moves.append(Move("feedback", worker, body, share=share))
        if last:
            moves.append(Move("close", dispatcher, {"note": "核查通过, 予以结案"},
                              world.minutes(20, 240)))
        else:
            moves.append(Move("rework", dispatcher, {"note": r.choice(REWORK_NOTES)},
                              world.minutes(20, 240)))
            moves.append(Move("accept", worker, {"note": "已接收返工任务"},
                              world.minutes(10, 120)))
    return moves, late or reworks > 0


def summons_moves(world: DemoWorld, grid: GridPlan, category: dict[str, Any], dispatcher: str
                  ) -> tuple[list[Move], bool]:
    """社区吹哨、部门报到: the community's secretary summons the class's department and one
    or two others; each accepts and reports back on its own task; the command centre
    verifies each, and the case closes with the last."""
    r = world.rng
    primary = category["default_department_code"]
    others = r.sample([code for code in SUMMONED if code != primary], r.choice([1, 1, 2]))
    codes = [primary, *others]
    moves = [Move("summon", grid.secretary.name, {
        "department_codes": codes, "instructions": "社区吹哨, 请各部门到场联合处置",
        "note": "涉及多个部门, 社区吹哨"}, world.minutes(10, 180))]
    handlers = {code: handler(world, grid, code).name for code in codes}
    for code in codes:
        moves.append(Move("accept", handlers[code], {"note": "已到场报到"},
                          world.minutes(10, 120), department=code))
    for code in codes:
        moves.append(Move("feedback", handlers[code], {"note": r.choice(FEEDBACK_NOTES)},
                          share=r.uniform(0.2, 0.75), department=code))
    for code in codes:
        moves.append(Move("verify", dispatcher, {"note": "核查通过"}, world.minutes(20, 240),
                          department=code))
    return moves, False


def approval_moves(world: DemoWorld, grid: GridPlan, dispatcher: str) -> tuple[list[Move], bool]:
    """审批类: the community accepts, the street reviews, the district approves and the
    result is published; a few are refused on the way."""
    r = world.rng
    reviewers = [grid.secretary.name, r.choice(world.dispatchers).name, dispatcher]
    moves = []
    for stage, reviewer in enumerate(reviewers):
        wait = dt.timedelta(hours=r.uniform(4, 72))
        if r.random() < 0.05:
            moves.append(Move("review-approval", reviewer, {
                "decision": "reject", "note": r.choice(REJECT_NOTES)}, wait))
            break
        moves.append(Move("review-approval", reviewer, {
            "decision": "approve", "publish": True, "note": APPROVAL_NOTES[stage]}, wait))
    return moves, False


def stall(world: DemoWorld, moves: list[Move], reported: dt.datetime) -> list[Move]:
    """Leave some recent cases waiting at one step: unfiled, undispatched, not accepted,
    not handled (the usual overdue case) or not yet verified."""
    waiting = [("file",), ("dispatch", "summon"), ("accept",), ("feedback",),
               ("close", "verify")]
    age = world.now - reported
    if age < dt.timedelta(days=3):  # the last days' work is still on the desks
        chance, weights = 0.25, [3, 1, 1, 2, 2]
    elif age < dt.timedelta(days=60):  # nobody leaves a report unread for days
        chance, weights = 0.08, [0, 1, 2, 5, 2]
    else:
        return moves
    if world.rng.random() >= chance:
        return moves
    waits_for = world.rng.choices(waiting, weights)[0]
    cut = next((n for n, m in enumerate(moves) if m.action in waits_for), len(moves))
    return moves[:cut]
