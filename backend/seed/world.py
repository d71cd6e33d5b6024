"""The demo world while it is drawn: one random source, one clock, the rows so far, who is who.

Each part of the demo (geography, ledgers, field work, cases) is a function that takes the
`DemoWorld`, draws from its `rng` and `fake`, and adds rows with `add`. The output depends on
the order of those draws: one random.Random and one seeded Faker draw everything in a fixed
order (no iteration over sets, whose order varies between runs).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

import shapely
from faker import Faker

from backend.cases.sla import WorkingCalendar
from backend.core.db import BEIJING
from backend.ledgers.models import Sex

# Parents before children, so that every foreign key points at a row already written. Cases
# are not among them: they come in through intake and the workflow (CaseYear).
TABLE_ORDER = (
    "area", "department", "case_category", "grid", "grid_staff", "staff_leave", "coverage_rule",
    "building",
    "household", "resident", "organization", "patrol", "visit", "work_log", "party_contact",
)


@dataclass(frozen=True)
class Person:
    name: str
    phone: str | None


@dataclass
class GridPlan:
    code: str
    name: str
    community_name: str
    roads: list[str]
    polygon: Any  # shapely Polygon
    chief: Person
    worker: Person  # the full-time 网格员
    secretary: Person  # the community's 社区书记, who reviews the work logs
    team: dict[str, Person]  # department code -> the team member from that department
    case_weight: float  # some grids (market streets) report far more than others


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


class DemoWorld:
    """The shared state of the drawing: `rows` (table name -> list of row dicts, ids given
    here) and what one part draws for the next to use."""

    def __init__(self, seed: int, now: dt.datetime) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.now = now
        self.today = now.astimezone(BEIJING).date()
        self.calendar = WorkingCalendar()  # the official calendar: the demo has no corrections
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLE_ORDER}
        self.rows["case"] = []  # reports with their planned moves, played by CaseYear
        # Reference data and the ledgers were entered in one campaign a little over a year ago.
        self.setup_time = now - dt.timedelta(days=420)
        self.staff_names: set[str] = set()  # names identify actors: no two staff share one
        self.staff_ids: dict[tuple[str, str], int] = {}  # (grid code, name) -> grid_staff id
        self.leave_days: set[tuple[int, dt.date]] = set()  # (grid_staff id, day away)
        # Geography: the grids with their people, the departments' staff, the call takers.
        self.grids: list[GridPlan] = []
        self.department_staff: dict[str, list[Person]] = {}
        self.dispatchers: list[Person] = []
        self.categories: list[dict[str, Any]] = []
        # Ledgers: each household with its residents (visited in field work), and the numbers
        # and names already given out.
        self.visit_targets: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        self.used_ids: dict[tuple[str, dt.date, str], set[int]] = {}
        self.used_credit_codes: set[str] = set()
        self.used_org_names: set[str] = set()
        # Field work and cases: the patrol of each grid and day, and what each patrol found.
        self.patrol_of_day: dict[tuple[str, dt.date], dict[str, Any]] = {}
        self.patrol_findings: dict[int, list[str]] = {}

    def staff_id(self, grid: GridPlan, person: Person) -> int:
        return self.staff_ids[(grid.code, person.name)]

    def is_away(self, grid: GridPlan, person: Person, day: dt.date) -> bool:
        return (self.staff_id(grid, person), day) in self.leave_days

    def add(self, table: str, row: dict[str, Any], created_at: dt.datetime,
            updated_at: dt.datetime | None = None) -> dict[str, Any]:
        rows = self.rows[table]
        full = {"id": len(rows) + 1, **row, "created_at": created_at,
                "updated_at": updated_at or created_at, "version": 1}
        rows.append(full)
        return full

    # --- drawing people and places ------------------------------------------------------------

    def ledger_time(self) -> dt.datetime:
        return self.setup_time + dt.timedelta(days=self.rng.uniform(0, 50))

    def mobile(self) -> str:
        return self.fake.phone_number()

    def landline(self) -> str:
        return f"0392-{self.rng.randint(2_200_000, 3_399_999)}"  # 0392: 鹤壁

    def person_name(self, sex: Sex, surname: str | None = None) -> str:
        given = self.fake.first_name_male() if sex is Sex.male else self.fake.first_name_female()
        return (surname or self.fake.last_name()) + given

    def any_sex(self) -> Sex:
        return self.rng.choice([Sex.male, Sex.female])

    def new_staff(self) -> Person:
        """A staff member with a name no other staff member has (names identify actors)."""
        while True:
            name = self.person_name(self.any_sex())
            if name not in self.staff_names:
                self.staff_names.add(name)
                return Person(name, self.mobile())

    def random_point(self, polygon: Any) -> tuple[float, float]:
        min_x, min_y, max_x, max_y = polygon.bounds
        while True:
            lng = round(self.rng.uniform(min_x, max_x), 6)
            lat = round(self.rng.uniform(min_y, max_y), 6)
            if shapely.contains_xy(polygon, lng, lat):
                return lng, lat

    def split(self, low: float, high: float, parts: int) -> list[float]:
        """Edges cutting [low, high] into `parts` pieces of roughly equal size."""
        step = (high - low) / parts
        inner = [round(low + step * (i + self.rng.uniform(-0.2, 0.2)), 6) for i in range(1, parts)]
        return [low, *inner, high]

    # --- drawing times ------------------------------------------------------------------------

    def local_time(self, day: dt.date, minutes_after_midnight: float) -> dt.datetime:
        return (dt.datetime.combine(day, dt.time(0), BEIJING)
                + dt.timedelta(minutes=minutes_after_midnight)).astimezone(dt.UTC)

    def recent_days(self, days: int) -> list[dt.date]:
        oldest = self.today - dt.timedelta(days=days - 1)
        return [oldest + dt.timedelta(days=n) for n in range(days)]

    def recent_working_days(self, days: int) -> list[dt.date]:
        return [d for d in self.recent_days(days) if self.calendar.is_working_day(d)]

    def minutes(self, low: int, high: int) -> dt.timedelta:
        return dt.timedelta(minutes=self.rng.randint(low, high))
