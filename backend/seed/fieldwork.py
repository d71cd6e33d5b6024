"""Field work: the grids' daily patrols, the household visits, and the daily work logs.

Patrols cover the last `FIELDWORK_DAYS` days, work logs their working days. A patrol's
findings are the cases reported on it, so they are written in `finish_patrols`, once the cases
are drafted.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from typing import Any

from backend.areas.geometry import metres_between
from backend.cases.reference import COUNTY_CODE
from backend.fieldwork.models import VisitKind, WorkLogStatus
from backend.fieldwork.supervision import DEFAULT_SCHEDULE
from backend.ledgers.models import KeyGroup
from backend.seed.vocabulary import (
    CONTACT_VISIT_EVERY_DAYS,
    CONTACT_VISIT_NOTES,
    CONTACTS_PER_MEMBER,
    FIELDWORK_DAYS,
    IDLE_YOUTH_RATE,
    KEY_GROUP_ORDER,
    KEY_VISIT_NOTES,
    LEAVE_REASONS,
    PARTY_MEMBERS_PER_GRID,
    PATROL_QUIET_NOTES,
    PATROLLED_DAY_OFF,
    PATROLLED_WORKING_DAY,
    ROUTINE_VISIT_NOTES,
    SUPERVISION_LATE,
    SUPERVISION_ON_TIME,
    VISIT_PURPOSES,
    WORK_LOG_NOTES,
    WORK_LOG_RETURN_NOTES,
    WORK_LOG_REVIEW_NOTES,
)
from backend.seed.world import DemoWorld, GridPlan, age_on
from backend.team.models import TeamRole


def build_coverage_rule(world: DemoWorld) -> None:
    """The county's rule: the plans' numbers, written down as the office would."""
    world.add("coverage_rule", {
        "area_code": COUNTY_CODE, "patrol_every_days": 1, "key_visit_every_months": 3,
        "household_visit_every_months": 12,
        "note": "每个网格每天巡查; 重点人群和困难群众户每季度、其他户每年至少走访一次"},
        world.setup_time)


def build_leaves(world: DemoWorld) -> None:
    """A week's annual leave for each grid's chief and worker, at different times of the
    year; while one is away the other patrols, and the cases' notices go to them (AB岗)."""
    first_day = world.today - dt.timedelta(days=364)
    for grid in world.grids:
        # Its own generator: the leave of one grid does not move the draws of everything else.
        r = random.Random(f"leave-{grid.code}")
        chief_start = r.randrange(0, 358)
        worker_start = (chief_start + r.randrange(60, 300)) % 358
        for person, start in ((grid.chief, chief_start), (grid.worker, worker_start)):
            first = first_day + dt.timedelta(days=start)
            last = first + dt.timedelta(days=r.randint(3, 6))
            staff_id = world.staff_id(grid, person)
            world.add("staff_leave", {
                "staff_id": staff_id, "grid_code": grid.code, "first_day": first,
                "last_day": last, "reason": r.choice(LEAVE_REASONS)},
                world.local_time(first - dt.timedelta(days=r.randint(3, 14)), 9 * 60))
            world.leave_days.update((staff_id, first + dt.timedelta(days=n))
                                    for n in range((last - first).days + 1))


def build_patrols(world: DemoWorld) -> None:
    """A walk of every grid on nearly every day of the field-work days: a working day is
    seldom missed, a weekend or holiday more often."""
    r = world.rng
    for day in world.recent_days(FIELDWORK_DAYS):
        walked = (PATROLLED_WORKING_DAY if world.calendar.is_working_day(day)
                  else PATROLLED_DAY_OFF)
        for grid in world.grids:
            if r.random() >= walked:
                continue
            patroller, partner = ((grid.worker, grid.chief) if r.random() < 0.7
                                  else (grid.chief, grid.worker))
            if world.is_away(grid, patroller, day):
                patroller = partner
            morning = r.random() < 0.7
            started = world.local_time(day, (8 * 60 if morning else 14 * 60 + 30)
                                       + r.randint(0, 120))
            ended = started + dt.timedelta(minutes=r.randint(45, 150))
            if ended > world.now:
                continue
            route = patrol_route(world, grid)
            distance = sum(metres_between(a[1], a[0], b[1], b[0])  # [lng, lat] points
                           for a, b in itertools.pairwise(route))
            patrol = world.add("patrol", {
                "grid_code": grid.code, "patroller_name": patroller.name,
                "staff_id": world.staff_id(grid, patroller),
                "started_at": started, "ended_at": ended,
                "route": {"type": "LineString", "coordinates": route},
                "distance_m": round(distance), "findings": None, "issues_found": 0}, ended)
            world.patrol_of_day[(grid.code, day)] = patrol


def patrol_route(world: DemoWorld, grid: GridPlan) -> list[list[float]]:
    """A loop through the grid: points sorted by bearing from the centre, back to the start."""
    points = [list(world.random_point(grid.polygon)) for _ in range(world.rng.randint(6, 10))]
    centre = grid.polygon.centroid
    points.sort(key=lambda p: math.atan2(p[1] - centre.y, p[0] - centre.x))
    return [*points, points[0]]


def finish_patrols(world: DemoWorld) -> None:
    """Each patrol's findings: the cases reported on it, or a quiet walk's note."""
    for patrol in world.rows["patrol"]:
        found = world.patrol_findings.get(patrol["id"], [])
        patrol["issues_found"] = len(found)
        patrol["findings"] = ("发现问题: " + "; ".join(found) + ", 已上报" if found
                              else world.rng.choice(PATROL_QUIET_NOTES))


def build_visits(world: DemoWorld) -> None:
    """Key and hardship households every quarter; every other household once a year."""
    r = world.rng
    grid_by_code = {g.code: g for g in world.grids}
    for household, residents in world.visit_targets:
        grid = grid_by_code[household["grid_code"]]
        tagged = [p for p in residents if p["key_groups"]]
        person: dict[str, Any] | None
        if tagged:
            person = r.choice(tagged)
            tags = person["key_groups"]
            kind = (VisitKind.hardship if {"低保", "困难群众"} & set(tags)
                    else VisitKind.key_group)
            dates = [world.today - dt.timedelta(days=r.randint(q * 91, q * 91 + 85))
                     for q in range(4)]
            notes = [KEY_VISIT_NOTES[r.choice(tags)] for _ in dates]
        else:
            person = residents[0] if residents else None
            kind = VisitKind.routine
            dates = [world.today - dt.timedelta(days=r.randint(0, 364))]
            notes = [r.choice(ROUTINE_VISIT_NOTES)]
        for visit_date, note in zip(sorted(dates), notes, strict=True):
            visitor = grid.worker if r.random() < 0.75 else grid.chief
            second = grid.chief if visitor is grid.worker else grid.worker
            if world.is_away(grid, visitor, visit_date):
                visitor, second = second, visitor
            paired = kind is not VisitKind.routine or r.random() < 0.3  # 两人一道入户
            paired = paired and not world.is_away(grid, second, visit_date)
            created = min(world.local_time(visit_date, 17 * 60 + r.randint(0, 180)), world.now)
            world.add("visit", {
                "grid_code": grid.code, "household_id": household["id"],
                "resident_id": person["id"] if person else None,
                "visitor_name": visitor.name, "staff_id": world.staff_id(grid, visitor),
                "second_visitor_name": second.name if paired else None,
                "purpose": VISIT_PURPOSES[kind.value], "visit_date": visit_date, "kind": kind,
                "content": note, "needs_follow_up": r.random() < 0.06}, created)


def build_supervision(world: DemoWorld) -> None:
    """帮教: some young people tagged 闲散青少年, then every resident of a special group visited
    on the plans' schedule over the field-work days; the last visit in time for most, a few
    days late for some, weeks late for a few.

    Its own random stream (from the world's seed): the draws of the rest of the demo stay as
    they were without it."""
    r = random.Random(world.seed * 7_919 + 13)
    for person in world.rows["resident"]:
        # 闲散青少年: young people out of school and out of work; the ledgers keep no schooling
        # or job, so a small share of those of that age.
        if 16 <= age_on(person["birth_date"], world.today) <= 25 \
                and r.random() < IDLE_YOUTH_RATE:
            person["key_groups"] = sorted([*person["key_groups"], KeyGroup.idle_youth.value],
                                          key=KEY_GROUP_ORDER.__getitem__)
    grid_by_code = {g.code: g for g in world.grids}
    first_day = world.today - dt.timedelta(days=FIELDWORK_DAYS)
    for person in world.rows["resident"]:
        days = [DEFAULT_SCHEDULE[group] for group in DEFAULT_SCHEDULE
                if group.value in person["key_groups"]]
        if not days or person.get("household_id") is None:
            continue
        every, grid = min(days), grid_by_code[person["grid_code"]]
        chance = r.random()
        late = (0 if chance < SUPERVISION_ON_TIME
                else r.randint(1, 15) if chance < SUPERVISION_ON_TIME + SUPERVISION_LATE
                else r.randint(16, 60))
        visit_date = world.today - dt.timedelta(days=r.randint(0, every - 1) + late)
        notes = [KEY_VISIT_NOTES[t] for t in person["key_groups"] if t in KEY_VISIT_NOTES]
        while visit_date >= first_day:
            visitor = grid.worker if r.random() < 0.6 else grid.chief
            second = grid.chief if visitor is grid.worker else grid.worker
            if world.is_away(grid, visitor, visit_date):
                visitor, second = second, visitor
            created = min(world.local_time(visit_date, 15 * 60 + r.randint(0, 180)), world.now)
            world.add("visit", {
                "grid_code": grid.code, "household_id": person["household_id"],
                "resident_id": person["id"], "visitor_name": visitor.name,
                "staff_id": world.staff_id(grid, visitor),
                "second_visitor_name": (None if world.is_away(grid, second, visit_date)
                                        else second.name),
                "purpose": VISIT_PURPOSES[VisitKind.supervision.value],
                "visit_date": visit_date, "kind": VisitKind.supervision,
                "content": r.choice(notes) if notes else None,
                "needs_follow_up": r.random() < 0.05}, created)
            visit_date -= dt.timedelta(days=every - r.randint(0, max(every // 6, 1)))


def build_party_contacts(world: DemoWorld) -> None:
    """党员联系户: some adult residents of each grid are its party members on the team (the first
    its branch secretary), each keeping in touch with some households of the grid and calling
    on them every couple of months.

    Its own random stream (from the world's seed), as build_supervision's."""
    r = random.Random(world.seed * 7_919 + 29)
    first_day = world.today - dt.timedelta(days=FIELDWORK_DAYS)
    by_grid: dict[str, list[tuple[dict[str, Any], list[dict[str, Any]]]]] = {}
    for household, residents in world.visit_targets:
        by_grid.setdefault(household["grid_code"], []).append((household, residents))
    for grid in world.grids:
        homes = by_grid.get(grid.code, [])
        adults = [p for _h, people in homes for p in people
                  if 25 <= (world.today - p["birth_date"]).days // 365 <= 75
                  and p["name"] not in world.staff_names]
        if not homes or not adults:
            continue
        members = r.sample(adults, min(len(adults), r.randint(*PARTY_MEMBERS_PER_GRID)))
        for n, person in enumerate(members):
            if person["name"] in world.staff_names:
                continue  # names identify actors: a namesake already serves
            world.staff_names.add(person["name"])
            staff = world.add("grid_staff", {
                "grid_code": grid.code, "name": person["name"],
                "team_role": TeamRole.branch_secretary if n == 0 else TeamRole.party_member,
                "phone": person["phone"], "duties": "联系服务群众, 带头参与网格事务",
                "photo": None, "user_id": None, "partner_id": None, "keeps_work_log": False,
                "is_public": True, "is_active": True}, world.setup_time)
            for household, _people in r.sample(homes, min(len(homes),
                                                          r.randint(*CONTACTS_PER_MEMBER))):
                world.add("party_contact", {
                    "staff_id": staff["id"], "household_id": household["id"],
                    "grid_code": grid.code, "since": world.setup_time.date(), "note": None},
                    world.setup_time)
                visit_date = world.today - dt.timedelta(
                    days=r.randint(0, CONTACT_VISIT_EVERY_DAYS + 20))
                while visit_date >= first_day:
                    world.add("visit", {
                        "grid_code": grid.code, "household_id": household["id"],
                        "resident_id": None, "visitor_name": person["name"],
                        "staff_id": staff["id"], "second_visitor_name": None,
                        "purpose": "党员联系户走访", "visit_date": visit_date,
                        "kind": VisitKind.routine, "content": r.choice(CONTACT_VISIT_NOTES),
                        "needs_follow_up": False},
                        min(world.local_time(visit_date, 18 * 60 + r.randint(0, 120)),
                            world.now))
                    visit_date -= dt.timedelta(days=CONTACT_VISIT_EVERY_DAYS
                                               + r.randint(-15, 15))


def build_work_logs(world: DemoWorld) -> None:
    """A daily log from each grid's chief and worker, reviewed the next week by the
    community secretary."""
    r = world.rng
    for day in world.recent_working_days(FIELDWORK_DAYS):
        for grid in world.grids:
            for author in (grid.chief, grid.worker):
                created = world.local_time(day, 17 * 60 + 30 + r.randint(0, 90))
                if created > world.now or world.is_away(grid, author, day):
                    continue
                content = (f"巡查网格{r.randint(1, 2)}次, 走访{r.randint(0, 6)}户; "
                           f"{r.choice(WORK_LOG_NOTES)}")
                next_monday = day + dt.timedelta(days=7 - day.weekday())
                reviewed_at = world.local_time(next_monday, 9 * 60 + r.randint(0, 240))
                reviewed = reviewed_at <= world.now and r.random() < 0.9
                returned = reviewed and r.random() < 0.03
                world.add("work_log", {
                    "grid_code": grid.code, "author_name": author.name,
                    "staff_id": world.staff_id(grid, author), "log_date": day,
                    "status": (WorkLogStatus.returned if returned else WorkLogStatus.approved
                               if reviewed else WorkLogStatus.submitted),
                    "content": content, "hours": r.choice([7.5, 8, 8, 8.5, 9, 9.5]),
                    "reviewed_by": grid.secretary.name if reviewed else None,
                    "reviewed_at": reviewed_at if reviewed else None,
                    "review_note": (r.choice(WORK_LOG_RETURN_NOTES) if returned
                                    else r.choice(WORK_LOG_REVIEW_NOTES) if reviewed else None),
                }, created, reviewed_at if reviewed else created)
