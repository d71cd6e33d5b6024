"""Demo data: 鹤山区 (410602) with its streets, communities and grids, and a year of work in it.

`run_seed()` fills an empty, migrated database; `gridlink seed` and `gridlink demo` call it.
Everything is generated in memory first, as plain dicts with explicit ids (children point at
their parents without a round trip to the database), then written with bulk Core inserts in
one transaction: an ORM object per row would take minutes for 100,000 rows.

Cases are the exception. The builder only plans each case: its report and the moves people
make on it (file, dispatch, accept, feedback, close, and the returns, extensions, reworks,
summons, cancellations, approvals, evaluations). `CaseYear` then plays the year in the order
things happened, through the services the API uses: intake (map, code, duplicate flag,
neighbour alerts), `workflow.perform` for every move at its own simulated time, and the SLA
tick at each moment a case's light was due to change. So every seeded case's steps, status,
tasks, due time, light, escalation and notifications are what the real flow would have
produced for the demo accounts: in the same transaction as the rest (`run_seed`, for
`gridlink seed`), or, for `gridlink demo`, after the county is committed and served
(`seed_county`), in slices committed one by one while the API is in use (`play_year`).

The output is deterministic for a given seed and `now`: one random.Random and one seeded Faker
draw everything in a fixed order (no iteration over sets, whose order varies between runs).
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import shapely
from faker import Faker
from shapely.geometry import shape
from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from backend import models
from backend.core.crud import Caller, create_row
from backend.areas.models import Area, AreaLevel, Grid, GridLevel
from backend.audit.writer import Actor
from backend.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseCategory,
    CasePriority,
    CaseSource,
    CaseStep,
    CaseTask,
    CategoryKind,
    DeadlineUnit,
    DepartmentKind,
    HandlingType,
    TaskStatus,
)
from backend.cases.reference import CATEGORIES, COUNTY_CODE, DEPARTMENTS, TEAM_ROLE_DEPARTMENTS
from backend.cases.schemas import CaseCreate
from backend.cases.entities import CASES, RUNNING_STATUSES
from backend.cases.sla import WorkingCalendar
from backend.core.config import get_settings
from backend.core.db import BEIJING, Database, utcnow
from backend.fieldwork.models import VisitKind
from backend.identity.service import DemoLayout, create_demo_accounts
from backend.ledgers.id_number import make_id_number
from backend.ledgers.models import KeyGroup, OrganizationKind, ResidenceType, RiskGrade, Sex

RESIDENTS_PER_SCALE = 20_000
CASES_PER_SCALE = 6_000
FIELDWORK_DAYS = 90  # patrols and work logs cover the last 90 days
BATCH_SIZE = 5_000
# The demo's year (CaseYear): a slice holds the database about this long, then leaves it free
# to other writers for BETWEEN_SLICES.
SLICE_SECONDS = 1.0
BETWEEN_SLICES = 0.15

# The map the grids tile: (lng_min, lat_min, lng_max, lat_max), around the 鹤山区 town centre.
BBOX = (114.15, 35.93, 114.20, 35.97)

# Parents before children, so that every foreign key points at a row already written. Cases
# are not among them: they come in through intake and the workflow (CaseYear).
TABLE_ORDER = (
    "area", "department", "case_category", "grid", "building", "household", "resident",
    "organization", "patrol", "visit", "work_log",
)

# street name, [(community name, its roads)]; the real street names of 鹤山区.
STREETS: list[tuple[str, list[tuple[str, list[str]]]]] = [
    ("中山街道", [
        ("中山社区", ["中山路", "建设路", "和平路"]),
        ("新华街社区", ["新华街", "跃进路", "团结路"]),
        ("红旗社区", ["红旗街", "东风路", "光明路"]),
    ]),
    ("鹤山街街道", [
        ("鹤山街社区", ["鹤山街", "胜利路", "文化路"]),
        ("人民街社区", ["人民街", "解放路", "工农路"]),
        ("朝阳社区", ["朝阳路", "友谊路", "青年路"]),
    ]),
    ("九矿广场街道", [
        ("九矿社区", ["九矿路", "矿山路", "鹤煤大道"]),
        ("广场社区", ["广场路", "振兴路", "鹤源路"]),
        ("南山社区", ["南山路", "北山路", "汤河路"]),
    ]),
]
CHINESE_NUMERALS = "零一二三四五六七八九十"
PLACE_WORDS = ["幸福", "阳光", "翠苑", "金山", "鹤翔", "康乐", "建业", "锦绣", "富民", "和谐",
               "紫荆", "桂花", "文昌", "春晖"]
FIRM_WORDS = ["鑫源", "恒达", "华鑫", "宏运", "金鹤", "中原", "天诚", "瑞丰", "永盛", "兴隆",
              "佳和", "泰和", "安达", "德信", "汇通", "聚丰", "昌盛", "嘉禾"]

# The "1+5" grid team: the full-time grid worker and one member from each of five departments.
TEAM_DUTIES = {
    "网格员": "人口信息采集、日常巡查、矛盾纠纷排查",
    "环卫": "道路清扫保洁、垃圾清运",
    "园林": "绿地养护、树木修剪",
    "市政": "道路、井盖、排水设施维护",
    "执法": "占道经营、违法建设查处",
    "照明": "路灯设施维护",
}

# Household make-up: kind -> (weight, chance that the home is rented). Together they give about
# 2.9 people per household, a fifth of them 60 or older and a sixth under 15, and about 15%
# rented homes, as in an older mining town.
HOUSEHOLD_KINDS: dict[str, tuple[int, float]] = {
    "独居老人": (7, 0.02),
    "老年夫妇": (13, 0.02),
    "单身": (7, 0.7),
    "年轻夫妇": (7, 0.4),
    "中年夫妇": (8, 0.05),
    "核心家庭": (33, 0.08),
    "三代同堂": (15, 0.02),
    "留守家庭": (3, 0.0),  # grandparents raising grandchildren whose parents work elsewhere
    "合租": (4, 1.0),
}
# Where people registered elsewhere come from (GB/T 2260 codes of nearby counties).
OTHER_REGIONS = ["410603", "410611", "410621", "410622", "410522", "410523", "410526",
                 "410782", "130481"]
# The rarer tags, per adult (18+); all of them well under 0.5% of the population.
RARE_TAG_RATES = {
    KeyGroup.released_prisoner: 0.002,
    KeyGroup.community_correction: 0.001,
    KeyGroup.drug_user: 0.001,
    KeyGroup.mental_disorder: 0.003,
}
KEY_GROUP_ORDER = {group.value: n for n, group in enumerate(KeyGroup)}

SOURCE_WEIGHTS = {
    CaseSource.patrol: 45, CaseSource.hotline_12345: 22, CaseSource.hotline_12319: 8,
    CaseSource.app: 12, CaseSource.department: 5, CaseSource.video: 8,
}
SOURCE_PHRASES = {
    CaseSource.patrol: "网格员巡查发现", CaseSource.hotline_12345: "市民致电12345反映",
    CaseSource.hotline_12319: "市民致电12319城建热线反映", CaseSource.app: "市民通过APP反映",
    CaseSource.department: "部门巡查发现", CaseSource.video: "视频监控发现",
}
CITIZEN_SOURCES = (CaseSource.hotline_12345, CaseSource.hotline_12319, CaseSource.app)
# How often each small class is reported, relative to 1 for the classes not listed: garbage,
# fly-posting and street trading are the bulk of a city-management hotline's work.
CASE_FREQUENCY = {
    "07001": 14, "07011": 10, "07002": 8, "08001": 12, "10001": 12, "10002": 8, "10004": 8,
    "01005": 6, "03001": 4, "02001": 3, "12001": 3, "09002": 3, "09003": 2, "10005": 2,
    "08002": 3, "07003": 3, "02002": 2, "01002": 2,
}
# Seasonal classes are reported only in their months: snow in winter, waterlogging in the
# rainy season, leaf burning in autumn and spring, dust on building sites outside winter.
CASE_SEASONS = {
    "11005": (12, 1, 2), "11004": (6, 7, 8), "07003": (3, 4, 10, 11),
    "09002": (3, 4, 5, 6, 9, 10, 11),
}
CANCEL_NOTES = ["重复上报, 予以作废", "不属于受理范围, 予以作废", "现场核实无此问题, 予以作废"]
FEEDBACK_NOTES = ["已处置完毕, 附处置后照片", "已安排人员现场处置完毕", "问题已整改到位",
                  "已清理完毕, 恢复原状"]
ON_SITE_NOTES = ["已现场劝离占道摊贩", "已现场清理完毕", "已联系物业当场处理", "已现场劝导整改到位"]
EXTENSION_NOTES = ["需协调产权单位, 申请延期", "材料需采购, 申请延期", "连续降雨无法施工, 申请延期"]
REWORK_NOTES = ["核查未通过: 现场问题仍存在, 请返工", "核查未通过: 清理不彻底, 请返工"]
APPROVAL_NOTES = ["社区已受理, 材料齐全", "街道审核通过", "区级审批通过, 予以公示"]
REJECT_NOTES = ["不符合审批条件", "材料不全, 不予批准"]
# Departments a community may summon besides the one a class goes to (社区吹哨、部门报到), and
# where a wrong dispatch is sent on to.
SUMMONED = ["HW01", "YL01", "SZ01", "ZF01", "GA01", "MZ01", "ZJ01"]
ROUTINE_VISIT_NOTES = ["入户核实人口信息, 无变化", "宣传燃气安全与防诈骗知识", "登记家庭成员变动情况",
                       "了解居民诉求, 无异常", "宣传垃圾分类, 发放宣传资料"]
KEY_VISIT_NOTES = {
    "独居老人": "看望老人, 身体状况良好, 提醒用电用气安全",
    "空巢老人": "看望老人, 了解生活需求, 留下联系电话",
    "残疾人": "了解康复情况和补贴发放情况",
    "低保": "核实家庭收入情况, 宣传救助政策",
    "困难群众": "了解家庭困难情况, 协助申请临时救助",
    "4050人员": "宣传就业援助政策, 推荐公益性岗位",
    "留守儿童": "了解学习生活情况, 与监护人沟通",
    "刑释解教": "了解思想动态和就业情况, 做好帮教记录",
    "社区矫正": "了解思想动态, 提醒按时报到",
    "吸毒人员": "配合社区戒毒康复, 了解近期情况",
    "精神障碍": "了解服药和监护情况, 情绪稳定",
}
WORK_LOG_NOTES = ["协助环卫清理卫生死角", "调解邻里纠纷一起", "更新人口台账", "宣传反诈知识",
                  "排查出租房屋安全隐患", "参加社区例会", "核查低保家庭情况", "配合开展燃气安全检查",
                  "督促商户落实门前三包", "跟进已上报案件处置情况"]
PATROL_QUIET_NOTES = ["未发现问题", "网格内秩序良好, 未发现问题", "提醒沿街商户落实门前三包",
                      "检查消防通道, 畅通"]


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


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# --- codes with check characters ---------------------------------------------------------

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organization_code_check(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]  # A=10 ... Z=35
    check = 11 - sum(v * w for v, w in zip(values, ORG_CODE_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code(prefix: str, region: str, body: str) -> str:
    """An 18-character unified social credit code (GB 32100) with both check characters.

    prefix: registering authority and type, e.g. 91 company, 92 sole trader, 12 public
    institution, 51/52 social organisation; body: 8 characters of the organisation code.
    """
    first17 = prefix + region + body + organization_code_check(body)
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return first17 + CREDIT_CHARS[(31 - total % 31) % 31]


def polygon_geojson(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    """A rectangle as a GeoJSON Polygon, counter-clockwise as RFC 7946 asks."""
    return {"type": "Polygon",
            "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def metres_between(a: list[float], b: list[float]) -> float:
    """Distance of two [lng, lat] points; flat-earth is exact enough within one grid."""
    mean_lat = math.radians((a[1] + b[1]) / 2)
    dx = (b[0] - a[0]) * 111_320 * math.cos(mean_lat)
    dy = (b[1] - a[1]) * 110_574
    return math.hypot(dx, dy)


class DemoBuilder:
    """Draws the whole demo world into `rows` (table name -> list of row dicts)."""

    def __init__(self, seed: int, now: dt.datetime) -> None:
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
        self.grids: list[GridPlan] = []
        self.staff_names: set[str] = set()
        self.department_staff: dict[str, list[Person]] = {}
        self.dispatchers: list[Person] = []
        self.categories: list[dict[str, Any]] = []
        self.patrol_of_day: dict[tuple[str, dt.date], dict[str, Any]] = {}
        self.patrol_findings: dict[int, list[str]] = {}
        self.visit_targets: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        self.used_ids: dict[tuple[str, dt.date, str], set[int]] = {}
        self.used_credit_codes: set[str] = set()
        self.used_org_names: set[str] = set()

    # --- small helpers -------------------------------------------------------------------

    def add(self, table: str, row: dict[str, Any], created_at: dt.datetime,
            updated_at: dt.datetime | None = None) -> dict[str, Any]:
        rows = self.rows[table]
        full = {"id": len(rows) + 1, **row, "created_at": created_at,
                "updated_at": updated_at or created_at, "version": 1}
        rows.append(full)
        return full

    def ledger_time(self) -> dt.datetime:
        return self.setup_time + dt.timedelta(days=self.rng.uniform(0, 50))

    def mobile(self) -> str:
        return self.fake.phone_number()

    def landline(self) -> str:
        return f"0392-{self.rng.randint(2_200_000, 3_399_999)}"  # 0392: 鹤壁

    def person_name(self, sex: Sex, surname: str | None = None) -> str:
        given = self.fake.first_name_male() if sex is Sex.male else self.fake.first_name_female()
        return (surname or self.fake.last_name()) + given

    def new_staff(self) -> Person:
        """A staff member with a name no other staff member has (names identify actors)."""
        while True:
            name = self.person_name(self.rng.choice([Sex.male, Sex.female]))
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

    def local_time(self, day: dt.date, minutes_after_midnight: float) -> dt.datetime:
        return (dt.datetime.combine(day, dt.time(0), BEIJING)
                + dt.timedelta(minutes=minutes_after_midnight)).astimezone(dt.UTC)

    def recent_working_days(self, days: int) -> list[dt.date]:
        oldest = self.today - dt.timedelta(days=days - 1)
        return [d for d in (oldest + dt.timedelta(days=n) for n in range(days))
                if self.calendar.is_working_day(d)]

    # --- areas, departments, categories, grids ----------------------------------------------

    def build_reference(self) -> None:
        at = self.setup_time
        self.add("area", {"code": COUNTY_CODE, "name": "鹤山区", "level": AreaLevel.county,
                          "parent_code": None, "phone": "0392-2612345"}, at)
        for department in DEPARTMENTS:
            code = department["code"]
            self.add("department", {**department, "kind": DepartmentKind(department["kind"])}, at)
            # The "1+5" departments put a member in every grid, one person per four grids or so.
            staff = 10 if code in TEAM_ROLE_DEPARTMENTS.values() else 4
            self.department_staff[code] = [self.new_staff() for _ in range(staff)]
        self.dispatchers = [self.new_staff() for _ in range(6)]
        for category in CATEGORIES:
            row = self.add("case_category", {
                **category, "kind": CategoryKind(category["kind"]),
                "deadline_unit": DeadlineUnit(category["deadline_unit"])}, at)
            self.categories.append(row)

    def build_grids(self) -> None:
        at = self.setup_time
        lng_min, lat_min, lng_max, lat_max = BBOX
        street_edges = self.split(lng_min, lng_max, len(STREETS))
        team_turn = 0
        for s, (street_name, communities) in enumerate(STREETS):
            street_code = f"{COUNTY_CODE}{s + 1:03d}"
            self.add("area", {"code": street_code, "name": street_name, "level": AreaLevel.street,
                              "parent_code": COUNTY_CODE, "phone": self.landline()}, at)
            x0, x1 = street_edges[s], street_edges[s + 1]
            # Communities are numbered from the north, as the bands run down the strip.
            band_edges = self.split(lat_min, lat_max, len(communities))[::-1]
            for c, (community_name, roads) in enumerate(communities):
                community_code = f"{street_code}{c + 1:03d}"
                self.add("area", {"code": community_code, "name": community_name,
                                  "level": AreaLevel.community, "parent_code": street_code,
                                  "phone": self.landline()}, at)
                y_top, y_bottom = band_edges[c], band_edges[c + 1]
                secretary = self.new_staff()
                cells = self.community_cells(x0, x1, y_bottom, y_top)
                for g, (cell, partner) in enumerate(cells):
                    team = {}
                    for department_code in TEAM_ROLE_DEPARTMENTS.values():
                        pool = self.department_staff[department_code]
                        team[department_code] = pool[team_turn % len(pool)]
                    team_turn += 1
                    self.add_grid(community_code, community_name, g + 1, cell, partner + 1,
                                  roads, secretary, team)

    def community_cells(self, x0: float, x1: float, y0: float, y1: float
                        ) -> list[tuple[dict[str, Any], int]]:
        """4 or 5 grid cells tiling a community: 2 in the north row, the rest in the south.

        Returns (polygon, index of the AB岗 partner cell) in numbering order, north-west first.
        """
        count = self.rng.choice([4, 5])
        y_mid = self.split(y0, y1, 2)[1]
        cells: list[tuple[dict[str, Any], int]] = []
        for row_bottom, row_top, in_row in ((y_mid, y1, 2), (y0, y_mid, count - 2)):
            first = len(cells)
            edges = self.split(x0, x1, in_row)
            for i in range(in_row):
                # AB岗: neighbours in a row pair up (1-2, 3-4); an odd last one joins its left
                # neighbour, so that a partner is always next door.
                mate = i + 1 if i % 2 == 0 else i - 1
                if mate >= in_row:
                    mate = i - 1
                polygon = polygon_geojson(edges[i], row_bottom, edges[i + 1], row_top)
                cells.append((polygon, first + mate))
        return cells

    def add_grid(self, community_code: str, community_name: str, number: int,
                 boundary: dict[str, Any], partner_number: int, roads: list[str],
                 secretary: Person, team: dict[str, Person]) -> None:
        chief, worker = self.new_staff(), self.new_staff()
        members = [{"name": worker.name, "role": "网格员", "phone": worker.phone,
                    "duty": TEAM_DUTIES["网格员"]}]
        for role, department_code in TEAM_ROLE_DEPARTMENTS.items():
            member = team[department_code]
            members.append({"name": member.name, "role": role, "phone": member.phone,
                            "duty": TEAM_DUTIES[role]})
        code = f"{community_code}{number:03d}"
        name = f"{community_name}第{CHINESE_NUMERALS[number]}网格"
        self.add("grid", {
            "code": code, "name": name, "community_code": community_code,
            "level": GridLevel.grid, "boundary": boundary, "chief_name": chief.name,
            "chief_phone": chief.phone, "members": members,
            "partner_grid_code": f"{community_code}{partner_number:03d}",
            "household_target": self.rng.randrange(300, 501, 10)}, self.setup_time)
        self.grids.append(GridPlan(
            code=code, name=name, community_name=community_name, roads=roads,
            polygon=shape(boundary), chief=chief, worker=worker, secretary=secretary, team=team,
            case_weight=self.rng.uniform(0.5, 2.0)))

    # --- people and houses ----------------------------------------------------------------

    def household_members(self, kind: str) -> list[dict[str, Any]]:
        """Who lives together: relation to the head, sex, age and whose surname they carry."""
        r = self.rng

        def member(relation: str, sex: Sex, age: int, surname: str = "own") -> dict[str, Any]:
            return {"relation": relation, "sex": sex, "age": max(0, min(age, 98)),
                    "surname": surname}

        def any_sex() -> Sex:
            return r.choice([Sex.male, Sex.female])

        def couple(age: int) -> list[dict[str, Any]]:
            head_sex = Sex.male if r.random() < 0.75 else Sex.female
            spouse_sex = Sex.female if head_sex is Sex.male else Sex.male
            gap = r.randint(-5, 2) if head_sex is Sex.male else r.randint(-2, 5)
            return [member("户主", head_sex, age), member("配偶", spouse_sex, age + gap)]

        def children(parent_age: int, relations: tuple[str, str], oldest: int = 24
                     ) -> list[dict[str, Any]]:
            kids = []
            for _ in range(r.choice([1, 1, 2])):
                sex = any_sex()
                age = r.randint(0, max(0, min(parent_age - 22, oldest)))
                kids.append(member(relations[0] if sex is Sex.male else relations[1], sex, age,
                                   "family"))
            return kids

        if kind == "独居老人":
            return [member("户主", Sex.female if r.random() < 0.65 else Sex.male, r.randint(60, 92))]
        if kind == "老年夫妇":
            return couple(r.randint(62, 88))
        if kind == "单身":
            return [member("户主", any_sex(), r.randint(20, 45))]
        if kind == "年轻夫妇":
            return couple(r.randint(23, 38))
        if kind == "中年夫妇":
            return couple(r.randint(45, 59))
        if kind == "核心家庭":
            age = r.randint(27, 55)
            return couple(age) + children(age, ("子", "女"))
        if kind == "三代同堂":
            age = r.randint(28, 52)
            people = couple(age) + children(age, ("子", "女"), oldest=22)
            parent_age = age + r.randint(22, 32)
            people.append(member("父亲", Sex.male, parent_age, "head"))
            if r.random() < 0.6:
                people.append(member("母亲", Sex.female, parent_age - r.randint(0, 4)))
            return people
        if kind == "留守家庭":
            age = r.randint(56, 76)
            grandparents = couple(age) if r.random() < 0.7 else [member("户主", any_sex(), age)]
            grandchildren = [member("孙子" if sex is Sex.male else "孙女", sex, r.randint(1, 15),
                                    "family")
                             for sex in (any_sex() for _ in range(r.choice([1, 1, 2])))]
            return grandparents + grandchildren
        if kind == "合租":
            return [member("户主" if n == 0 else "其他", any_sex(), r.randint(20, 40))
                    for n in range(r.choice([2, 2, 3]))]
        raise ValueError(kind)

    def id_number(self, region: str, birth: dt.date, sex: Sex) -> str:
        # make_id_number has 500 sequence numbers per region, birth date and sex: track the ones
        # used so that no two people share a number.
        used = self.used_ids.setdefault((region, birth, sex.value), set())
        if len(used) >= 499:
            raise RuntimeError(f"too many people born on {birth} in {region}")
        while True:
            sequence = self.rng.randrange(1, 500)  # never 000: real sequence numbers start at 001
            if sequence not in used:
                used.add(sequence)
                return make_id_number(region, birth, sequence, sex.value)

    def birth_date(self, age: int) -> dt.date:
        return self.today - dt.timedelta(days=int(age * 365.25) + self.rng.randrange(1, 365))

    def build_ledgers(self, resident_target: int) -> None:
        """Households of realistic make-up until there are `resident_target` residents."""
        r = self.rng
        kinds = list(HOUSEHOLD_KINDS)
        kind_weights = [HOUSEHOLD_KINDS[k][0] for k in kinds]
        grid_rows = self.rows["grid"]
        grid_weights = [row["household_target"] for row in grid_rows]
        planned: dict[str, list[tuple[str, list[dict[str, Any]]]]] = {g.code: [] for g in self.grids}
        total = 0
        while total < resident_target:
            kind = r.choices(kinds, kind_weights)[0]
            members = self.household_members(kind)[: resident_target - total]
            grid_code = r.choices(grid_rows, grid_weights)[0]["code"]
            planned[grid_code].append((kind, members))
            total += len(members)
        for grid in self.grids:
            rooms = self.build_buildings(grid, len(planned[grid.code]))
            for (kind, members), (building, room) in zip(planned[grid.code], rooms, strict=True):
                self.add_household(grid, building, room, kind, members)
            self.choose_building_heads(grid)

    def build_buildings(self, grid: GridPlan, households: int) -> list[tuple[dict[str, Any], str]]:
        """Buildings with room for the grid's households and some empty flats; returns the
        (building, room) of each household."""
        r = self.rng
        compounds = []
        for _ in range(r.randint(1, 3)):
            template = r.choice(["鹤煤{n}矿家属院", "{road}小区", "{word}花园", "{word}小区",
                                 "{word}新村", "{word}苑"])
            compounds.append(template.format(n=CHINESE_NUMERALS[r.randint(2, 10)],
                                             road=r.choice(grid.roads), word=r.choice(PLACE_WORDS)))
        slots: list[tuple[dict[str, Any], str]] = []
        numbers: dict[str, int] = {}
        while not slots or len(slots) < households * 1.3:  # old mining town: many flats stand empty
            compound = r.choice(compounds)
            numbers[compound] = numbers.get(compound, 0) + 1
            floors = r.choices([2, 5, 6, 7, 11, 18], [8, 15, 45, 12, 12, 8])[0]
            units = r.choice([1, 2, 2, 3]) if floors <= 7 else r.randint(1, 2)
            lng, lat = self.random_point(grid.polygon)
            name = f"{compound}{numbers[compound]}号楼"
            building = self.add("building", {
                "grid_code": grid.code, "name": name,
                "address": f"鹤山区{r.choice(grid.roads)}{r.randint(1, 300)}号{name}",
                "floors": floors, "units": units, "head_name": None, "head_phone": None,
                "lat": lat, "lng": lng}, self.ledger_time())
            slots += [(building, f"{unit}单元{floor}{door:02d}")
                      for unit in range(1, units + 1)
                      for floor in range(1, floors + 1)
                      for door in (1, 2)]
        taken = sorted(r.sample(range(len(slots)), households))
        return [slots[n] for n in taken]

    def add_household(self, grid: GridPlan, building: dict[str, Any], room: str, kind: str,
                      members: list[dict[str, Any]]) -> None:
        r = self.rng
        rented = r.random() < HOUSEHOLD_KINDS[kind][1]
        if rented:
            residence = r.choices([ResidenceType.floating, ResidenceType.temporary,
                                   ResidenceType.permanent], [55, 25, 20])[0]
        else:
            residence = ResidenceType.registered if r.random() < 0.88 else ResidenceType.permanent
        if residence is ResidenceType.registered:
            region = COUNTY_CODE
        elif residence is ResidenceType.permanent and r.random() < 0.7:
            region = COUNTY_CODE
        else:
            region = r.choice(OTHER_REGIONS)
        # Subsistence allowance (低保) is granted per household, more often to old people alone.
        subsistence = r.random() < (0.05 if kind in ("独居老人", "老年夫妇", "留守家庭") else 0.02)
        hardship = subsistence or r.random() < 0.01

        created = self.ledger_time()
        household = self.add("household", {
            "grid_code": grid.code, "building_id": building["id"], "room": room,
            "head_name": None, "is_rental": rented,
            "landlord_name": self.person_name(r.choice([Sex.male, Sex.female])) if rented else None,
            "landlord_phone": self.mobile() if rented else None,
            "note": ("合租" if kind == "合租" else "整租") if rented else None}, created)

        head_surname = self.fake.last_name()
        own_surnames = [head_surname if m["relation"] == "户主" else self.fake.last_name()
                        for m in members]
        # Children take the father's surname: the man among the head and the spouse.
        father_surname = next((s for m, s in zip(members, own_surnames, strict=True)
                               if m["relation"] in ("户主", "配偶") and m["sex"] is Sex.male),
                              head_surname)
        family_surnames = {"own": None, "head": head_surname, "family": father_surname}
        residents: list[dict[str, Any]] = []
        for member, own_surname in zip(members, own_surnames, strict=True):
            sex = member["sex"]
            birth = self.birth_date(member["age"])
            age = age_on(birth, self.today)
            name = self.person_name(sex, family_surnames[member["surname"]] or own_surname)
            if member["relation"] == "户主":
                household["head_name"] = name
            has_phone = age >= 16 and r.random() < (0.5 if age >= 80 else 0.92)
            residents.append(self.add("resident", {
                "grid_code": grid.code, "household_id": household["id"], "name": name,
                "id_number": self.id_number(region, birth, sex), "sex": sex,
                "birth_date": birth, "phone": self.mobile() if has_phone else None,
                "residence_type": residence, "relation_to_head": member["relation"],
                "key_groups": self.key_groups(kind, member["relation"], sex, age, residence,
                                              subsistence, hardship),
                "note": None}, created))
        self.visit_targets.append((household, residents))

    def key_groups(self, kind: str, relation: str, sex: Sex, age: int,
                   residence: ResidenceType, subsistence: bool, hardship: bool) -> list[str]:
        r = self.rng
        tags: list[KeyGroup] = []
        if age >= 60 and kind == "独居老人":
            tags.append(KeyGroup.elderly_alone)
        if age >= 60 and kind == "老年夫妇":
            tags.append(KeyGroup.empty_nest_elderly)
        if r.random() < (0.03 if age >= 60 else 0.01):
            tags.append(KeyGroup.disabled)
        if subsistence:
            tags.append(KeyGroup.subsistence)
        if hardship:
            tags.append(KeyGroup.hardship)
        # 4050人员: jobless women from 40 and men from 50 up to retirement age (the official
        # definition of the employment-aid programme), among people with local registration.
        in_4050_age = (40 <= age < 50) if sex is Sex.female else (50 <= age < 60)
        local = residence in (ResidenceType.registered, ResidenceType.permanent)
        if in_4050_age and local and r.random() < 0.08:
            tags.append(KeyGroup.jobless_4050)
        if kind == "留守家庭" and relation in ("孙子", "孙女") and age < 16:
            tags.append(KeyGroup.left_behind_child)
        if age >= 18:
            for group, rate in RARE_TAG_RATES.items():
                if group is KeyGroup.released_prisoner and sex is Sex.female:
                    rate /= 5  # most released prisoners are men
                if r.random() < rate:
                    tags.append(group)
        return sorted((t.value for t in tags), key=KEY_GROUP_ORDER.__getitem__)

    def choose_building_heads(self, grid: GridPlan) -> None:
        """The 楼栋长 is a settled middle-aged resident of the building, when there is one."""
        buildings = [b for b in self.rows["building"] if b["grid_code"] == grid.code]
        candidates: dict[int, list[dict[str, Any]]] = {b["id"]: [] for b in buildings}
        for household, residents in self.visit_targets:
            if household["grid_code"] != grid.code:
                continue
            for resident in residents:
                age = age_on(resident["birth_date"], self.today)
                if (35 <= age <= 72 and resident["phone"]
                        and resident["residence_type"] is ResidenceType.registered):
                    candidates[household["building_id"]].append(resident)
        for building in buildings:
            pool = candidates[building["id"]]
            if pool:
                head = self.rng.choice(pool)
                building["head_name"], building["head_phone"] = head["name"], head["phone"]
            else:  # an empty building: a neighbour looks after it
                building["head_name"] = self.person_name(Sex.female)
                building["head_phone"] = self.mobile()

    # --- organisations ----------------------------------------------------------------------

    def new_credit_code(self, prefix: str) -> str:
        while True:
            if self.rng.random() < 0.6:  # codes issued since 2015 carry an "MA" organisation code
                body = "MA" + "".join(self.rng.choice(CREDIT_CHARS) for _ in range(6))
            else:
                body = "".join(self.rng.choice("0123456789") for _ in range(8))
            code = credit_code(prefix, COUNTY_CODE, body)
            if code not in self.used_credit_codes:
                self.used_credit_codes.add(code)
                return code

    def organization(self, grid: GridPlan) -> dict[str, Any]:
        """A drawn organisation: kind, name, credit code prefix (None: unregistered),
        employees and safety risk grade."""
        r = self.rng
        road, word = r.choice(grid.roads), r.choice(FIRM_WORDS)
        surname = self.fake.last_name()
        kind = r.choices(list(OrganizationKind), [20, 55, 7, 5, 4, 5, 4])[0]
        risk: RiskGrade | None = None
        prefix: str | None
        if kind is OrganizationKind.enterprise:
            template, risks = r.choice([
                ("鹤壁{word}煤矿机械有限公司", {"high": 3, "general": 5, "low": 2}),
                ("鹤壁{word}建材有限公司", {"general": 6, "low": 4}),
                ("鹤壁{word}物流有限公司", {"general": 4, "low": 6}),
                ("鹤山区{road}加油站", {"major": 3, "high": 7}),
                ("鹤壁{word}液化气供应站", {"major": 5, "high": 5}),
                ("鹤壁{word}化工有限公司", {"major": 2, "high": 6, "general": 2}),
                ("鹤壁{word}洗煤有限公司", {"high": 5, "general": 5}),
                ("鹤壁{word}商贸有限公司", {"low": 10}),
                ("鹤壁{word}食品有限公司", {"general": 5, "low": 5}),
                ("鹤壁{word}电子科技有限公司", {"general": 2, "low": 8}),
                ("鹤壁{word}物业服务有限公司", {"low": 10}),
            ])
            name = template.format(word=word, road=road)
            risk = RiskGrade(r.choices(list(risks), list(risks.values()))[0])
            prefix, employees = "91", int(r.lognormvariate(3.3, 0.8)) + 3
        elif kind is OrganizationKind.shop:
            trade = r.choice(["便利店", "超市", "五金店", "理发店", "烩面馆", "包子铺", "药店",
                              "水果店", "烟酒店", "手机店", "服装店", "早餐店", "汽修店", "烧烤店",
                              "干洗店", "副食店", "粮油店", "饭店"])
            owner = r.choice([f"{surname}记", road, word, f"老{surname}家"])
            name = owner + trade
            if trade in ("烩面馆", "包子铺", "早餐店", "烧烤店", "饭店") and r.random() < 0.5:
                risk = r.choice([RiskGrade.general, RiskGrade.low])  # cooking gas
            prefix = "92" if r.random() < 0.8 else None  # some stalls never registered
            employees = r.randint(1, 8)
        elif kind is OrganizationKind.social:
            name = f"{grid.community_name}" + r.choice(
                ["志愿者服务队", "老年人协会", "文体协会", "红白理事会", "慈善工作站"])
            prefix = r.choice(["51", None])  # community groups are often only on file (备案)
            employees = r.randint(3, 30)
        elif kind is OrganizationKind.public:
            # Credit code prefixes: 11 government organ, 12 public institution.
            name, prefix = r.choice([(f"鹤山区{road}派出所", "11"), (f"鹤山区{road}供电所", "12"),
                                     (f"鹤山区{road}邮政支局", "12"), (f"鹤山区{road}税务所", "11")])
            employees = r.randint(8, 60)
        elif kind is OrganizationKind.school:
            name, prefix = r.choice([(f"鹤山区{road}小学", "12"), (f"鹤山区{word}幼儿园", "52"),
                                     (f"鹤山区{road}中学", "12")])
            employees = r.randint(15, 120)
            risk = r.choice([RiskGrade.general, RiskGrade.low])  # schools are fire-safety units
        elif kind is OrganizationKind.medical:
            name, prefix = r.choice([(f"{road}社区卫生服务站", "12"), (f"{surname}氏诊所", "92"),
                                     (f"鹤壁{word}大药房", "91")])
            employees = r.randint(3, 40)
            risk = RiskGrade.low if r.random() < 0.5 else None
        else:
            name, prefix = r.choice([(f"{road}农贸市场", "91"), (f"{word}停车场", None),
                                     (f"{grid.community_name}快递驿站", "92"),
                                     (f"鹤山区{word}农民专业合作社", "93")])
            employees = r.randint(2, 30)
        return {"kind": kind, "name": name, "prefix": prefix, "employees": employees, "risk": risk}

    def build_organizations(self, per_grid_factor: float) -> None:
        r = self.rng
        for grid in self.grids:
            for _ in range(max(1, round(r.uniform(10, 20) * per_grid_factor))):
                for _attempt in range(20):  # names are unique: draw again when one is taken
                    draft = self.organization(grid)
                    if draft["name"] not in self.used_org_names:
                        break
                name, branch = draft["name"], 2
                while name in self.used_org_names:  # a second branch of the same shop
                    name, branch = f"{draft['name']}({branch}号店)", branch + 1
                self.used_org_names.add(name)
                lng, lat = self.random_point(grid.polygon)
                risk = draft["risk"]
                self.add("organization", {
                    "grid_code": grid.code, "name": name, "kind": draft["kind"],
                    "credit_code": self.new_credit_code(draft["prefix"]) if draft["prefix"] else None,
                    "legal_person": self.person_name(r.choice([Sex.male, Sex.female])),
                    "phone": self.mobile() if r.random() < 0.7 else self.landline(),
                    "address": f"鹤山区{r.choice(grid.roads)}{r.randint(1, 300)}号",
                    "employees": draft["employees"], "risk_grade": risk,
                    "is_key_supervised": risk in (RiskGrade.major, RiskGrade.high),
                    "lat": lat, "lng": lng}, self.ledger_time())

    # --- field work -----------------------------------------------------------------------

    def build_patrols(self) -> None:
        """One walk of every grid on every working day of the last 90 days."""
        r = self.rng
        for day in self.recent_working_days(FIELDWORK_DAYS):
            for grid in self.grids:
                patroller = grid.worker if r.random() < 0.7 else grid.chief
                morning = r.random() < 0.7
                started = self.local_time(day, (8 * 60 if morning else 14 * 60 + 30)
                                          + r.randint(0, 120))
                ended = started + dt.timedelta(minutes=r.randint(45, 150))
                if ended > self.now:
                    continue
                route = self.patrol_route(grid)
                distance = sum(metres_between(a, b) for a, b in zip(route, route[1:]))
                patrol = self.add("patrol", {
                    "grid_code": grid.code, "patroller_name": patroller.name,
                    "started_at": started, "ended_at": ended,
                    "route": {"type": "LineString", "coordinates": route},
                    "distance_m": round(distance), "findings": None, "issues_found": 0}, ended)
                self.patrol_of_day[(grid.code, day)] = patrol

    def patrol_route(self, grid: GridPlan) -> list[list[float]]:
        """A loop through the grid: points sorted by bearing from the centre, back to the start."""
        points = [list(self.random_point(grid.polygon)) for _ in range(self.rng.randint(6, 10))]
        centre = grid.polygon.centroid
        points.sort(key=lambda p: math.atan2(p[1] - centre.y, p[0] - centre.x))
        return [*points, points[0]]

    def finish_patrols(self) -> None:
        for patrol in self.rows["patrol"]:
            found = self.patrol_findings.get(patrol["id"], [])
            patrol["issues_found"] = len(found)
            patrol["findings"] = ("发现问题: " + "; ".join(found) + ", 已上报" if found
                                  else self.rng.choice(PATROL_QUIET_NOTES))

    def build_visits(self) -> None:
        """Key and hardship households every quarter; every other household once a year."""
        r = self.rng
        grid_by_code = {g.code: g for g in self.grids}
        for household, residents in self.visit_targets:
            grid = grid_by_code[household["grid_code"]]
            tagged = [p for p in residents if p["key_groups"]]
            if tagged:
                person = r.choice(tagged)
                tags = person["key_groups"]
                kind = (VisitKind.hardship if {"低保", "困难群众"} & set(tags)
                        else VisitKind.key_group)
                dates = [self.today - dt.timedelta(days=r.randint(q * 91, q * 91 + 85))
                         for q in range(4)]
                notes = [KEY_VISIT_NOTES[r.choice(tags)] for _ in dates]
            else:
                person = residents[0] if residents else None
                kind = VisitKind.routine
                dates = [self.today - dt.timedelta(days=r.randint(0, 364))]
                notes = [r.choice(ROUTINE_VISIT_NOTES)]
            for visit_date, note in zip(sorted(dates), notes, strict=True):
                visitor = grid.worker if r.random() < 0.75 else grid.chief
                created = min(self.local_time(visit_date, 17 * 60 + r.randint(0, 180)), self.now)
                self.add("visit", {
                    "grid_code": grid.code, "household_id": household["id"],
                    "resident_id": person["id"] if person else None,
                    "visitor_name": visitor.name, "visit_date": visit_date, "kind": kind,
                    "content": note, "needs_follow_up": r.random() < 0.06}, created)

    def build_work_logs(self) -> None:
        """A daily log from each grid's chief and worker, reviewed the next week by the
        community secretary."""
        r = self.rng
        for day in self.recent_working_days(FIELDWORK_DAYS):
            for grid in self.grids:
                for author in (grid.chief, grid.worker):
                    created = self.local_time(day, 17 * 60 + 30 + r.randint(0, 90))
                    if created > self.now:
                        continue
                    content = (f"巡查网格{r.randint(1, 2)}次, 走访{r.randint(0, 6)}户; "
                               f"{r.choice(WORK_LOG_NOTES)}")
                    next_monday = day + dt.timedelta(days=7 - day.weekday())
                    reviewed_at = self.local_time(next_monday, 9 * 60 + r.randint(0, 240))
                    reviewed = reviewed_at <= self.now and r.random() < 0.9
                    self.add("work_log", {
                        "grid_code": grid.code, "author_name": author.name, "log_date": day,
                        "content": content, "hours": r.choice([7.5, 8, 8, 8.5, 9, 9.5]),
                        "reviewed_by": grid.secretary.name if reviewed else None,
                        "reviewed_at": reviewed_at if reviewed else None,
                        "review_note": r.choice(["已阅", "内容翔实", "请补充走访记录", "按时完成"])
                        if reviewed else None}, created, reviewed_at if reviewed else created)

    # --- cases ----------------------------------------------------------------------------

    def report_time(self) -> dt.datetime:
        """Some moment of the last year, mostly in the day time."""
        while True:
            day = self.today - dt.timedelta(days=self.rng.randint(0, 364))
            minutes = (self.rng.uniform(6.5 * 60, 21.5 * 60) if self.rng.random() < 0.92
                       else self.rng.uniform(0, 24 * 60))
            at = self.local_time(day, minutes)
            if at < self.now - dt.timedelta(minutes=5):
                return at

    def pick_category(self, at: dt.datetime) -> dict[str, Any]:
        month = at.astimezone(BEIJING).month
        choices = [c for c in self.categories
                   if month in CASE_SEASONS.get(c["code"], range(1, 13))]
        weights = [CASE_FREQUENCY.get(c["code"], 1) for c in choices]
        return self.rng.choices(choices, weights)[0]

    def handler(self, grid: GridPlan, department_code: str) -> Person:
        """Who works a case: the grid's own "1+5" member when the department has one there."""
        return grid.team.get(department_code) or self.rng.choice(
            self.department_staff[department_code])

    def build_cases(self, count: int) -> None:
        r = self.rng
        sources, source_weights = list(SOURCE_WEIGHTS), list(SOURCE_WEIGHTS.values())
        grid_weights = [g.case_weight for g in self.grids]
        drafts: list[dict[str, Any]] = []
        for _ in range(count):
            if drafts and r.random() < 0.02:
                repeat = self.repeat_call(r.choice(drafts))
                if repeat is not None:
                    drafts.append(repeat)
                    continue
            reported = self.report_time()
            grid = r.choices(self.grids, grid_weights)[0]
            source = r.choices(sources, source_weights)[0]
            patrol = None
            if source is CaseSource.patrol:
                patrol = self.patrol_of_day.get((grid.code, reported.astimezone(BEIJING).date()))
                if patrol is not None:  # found on that day's walk
                    span = patrol["ended_at"] - patrol["started_at"]
                    reported = patrol["started_at"] + span * r.uniform(0.1, 0.9)
            category = self.pick_category(reported)
            drafts.append(self.draft_case(reported, grid, source, category, patrol))
        # Reported in this order, so ids and codes follow it, as they would in real life.
        drafts.sort(key=lambda d: d["reported_at"])
        for draft in drafts:
            if draft["patrol_id"] is not None:
                self.patrol_findings.setdefault(draft["patrol_id"], []).append(draft["title"])
        self.rows["case"] = drafts

    def repeat_call(self, original: dict[str, Any]) -> dict[str, Any] | None:
        """Another citizen calling about the same problem a day or two later, a few metres off:
        intake flags it as a likely duplicate, and the dispatcher merges it if the first is
        still open."""
        r = self.rng
        reported = original["reported_at"] + dt.timedelta(hours=r.uniform(1, 48))
        if reported > self.now - dt.timedelta(minutes=5):
            return None
        grid = next(g for g in self.grids if g.code == original["grid_code"])
        lng = original["lng"] + r.uniform(-0.00015, 0.00015)
        lat = original["lat"] + r.uniform(-0.00015, 0.00015)
        if not shapely.contains_xy(grid.polygon, lng, lat):
            return None
        category = next(c for c in self.categories if c["code"] == original["category_code"])
        draft = self.draft_case(reported, grid, r.choice(CITIZEN_SOURCES), category, None)
        draft.update(lat=round(lat, 6), lng=round(lng, 6), address=original["address"])
        return draft

    def draft_case(self, reported: dt.datetime, grid: GridPlan, source: CaseSource,
                   category: dict[str, Any], patrol: dict[str, Any] | None) -> dict[str, Any]:
        """The report as intake receives it (CaseCreate's fields), who takes it in, and the
        moves planned on it."""
        r = self.rng
        road = r.choice(grid.roads)
        number = r.randint(1, 300)
        where = r.choice(["附近", "门前", "对面", "路口", "东侧", "西侧"])
        address = f"鹤山区{road}{number}号"
        title = f"{road}{number}号{where}{category['name']}"
        lng, lat = self.random_point(grid.polygon)

        anonymous = source in CITIZEN_SOURCES and r.random() < 0.25
        reporter: Person | None
        if source is CaseSource.patrol:
            on_walk = patrol is not None and patrol["patroller_name"] == grid.chief.name
            reporter = grid.chief if on_walk else grid.worker
        elif source in CITIZEN_SOURCES:
            reporter = (None if anonymous
                        else Person(self.person_name(r.choice([Sex.male, Sex.female])),
                                    self.mobile()))
        elif source is CaseSource.department:
            department = r.choice(DEPARTMENTS)
            reporter = Person(r.choice(self.department_staff[department["code"]]).name,
                              department["phone"])
        else:  # video: an operator of the command centre watching the cameras
            reporter = Person(r.choice(self.dispatchers).name, None)
        # Who enters the report: staff their own, the command centre's call takers the rest.
        intake_actor = (reporter.name if reporter is not None and source not in CITIZEN_SOURCES
                        else r.choice(self.dispatchers).name)

        big_class = category["big_class_code"]
        handling = {"11": HandlingType.emergency, "12": HandlingType.coordination,
                    "05": HandlingType.approval}.get(big_class, HandlingType.general)
        if big_class == "11" and category["deadline_unit"] is DeadlineUnit.hours:
            priority = CasePriority.critical
        elif big_class == "11" or category["deadline_unit"] is DeadlineUnit.hours:
            priority = CasePriority.urgent
        else:
            priority = CasePriority.urgent if r.random() < 0.03 else CasePriority.normal

        moves = self.plan_case(reported, grid, category, source, reporter, anonymous, handling)
        return {
            "source": source, "category_code": category["code"], "title": title,
            "description": f"{SOURCE_PHRASES[source]}: {address}{where}{category['name']}, 请尽快处置。",
            "address": address, "lat": lat, "lng": lng, "grid_code": grid.code,
            "reporter_name": reporter.name if reporter else None,
            "reporter_phone": reporter.phone if reporter else None,
            "is_anonymous": anonymous, "priority": priority, "handling_type": handling,
            "patrol_id": patrol["id"] if patrol else None, "reported_at": reported,
            "intake_actor": intake_actor, "moves": moves,
        }

    def minutes(self, low: int, high: int) -> dt.timedelta:
        return dt.timedelta(minutes=self.rng.randint(low, high))

    def plan_case(self, reported: dt.datetime, grid: GridPlan, category: dict[str, Any],
                  source: CaseSource, reporter: Person | None, anonymous: bool,
                  handling: HandlingType) -> list[Move]:
        """What people will do with a case. Most go report → file → dispatch → accept →
        feedback → close; a grid chief puts some right on the spot; some are cancelled as
        invalid, returned as a wrong dispatch, extended, sent back for rework, handled late;
        approval cases climb community, street and district; some coordination cases summon
        several departments; citizens who left a name are asked how satisfied they are. The
        newest are still on their way, and some recent ones stall at one step."""
        r = self.rng
        dispatcher = r.choice(self.dispatchers).name
        if (handling is HandlingType.general and source is CaseSource.patrol
                and reporter is grid.chief and r.random() < 0.4):
            return [Move("handle-on-site", grid.chief.name, {"note": r.choice(ON_SITE_NOTES)},
                         self.minutes(5, 40))]
        if r.random() < 0.04:
            return [Move("cancel", dispatcher, {"note": r.choice(CANCEL_NOTES)},
                         self.minutes(5, 90))]
        moves = [Move("file", dispatcher, {"note": "符合立案条件, 予以立案"}, self.minutes(5, 90))]
        if handling is HandlingType.approval:
            handled, unhappy = self.approval_moves(grid, dispatcher)
        elif handling is HandlingType.coordination and r.random() < 0.5:
            handled, unhappy = self.summons_moves(grid, category, dispatcher)
        else:
            handled, unhappy = self.dispatch_moves(grid, category, dispatcher)
        moves += handled
        closes = moves[-1].action in ("close", "verify") or (
            moves[-1].action == "review-approval" and moves[-1].body["decision"] == "approve")
        if closes and source in CITIZEN_SOURCES and not anonymous and r.random() < 0.75:
            satisfaction = r.choices([5, 4, 3, 2, 1],
                                     [20, 25, 25, 18, 12] if unhappy else [55, 25, 10, 6, 4])[0]
            moves.append(Move("evaluate", dispatcher, {"satisfaction": satisfaction,
                                                       "note": "电话回访"},
                              dt.timedelta(hours=r.uniform(2, 72))))
        return self.stall(moves, reported)

    def dispatch_moves(self, grid: GridPlan, category: dict[str, Any], dispatcher: str
                       ) -> tuple[list[Move], bool]:
        """Dispatch to one department and what follows; (moves, whether the resident has
        reason to be unhappy: late or reworked)."""
        r = self.rng
        department = category["default_department_code"]
        unit = DeadlineUnit(category["deadline_unit"])
        quick = unit is DeadlineUnit.hours
        limit = f"{category['deadline_value']}{unit.label}"
        moves = [Move("dispatch", dispatcher, {"note": f"派遣处置, 时限{limit}"},
                      self.minutes(5, 60))]
        handler = self.handler(grid, department).name
        if r.random() < 0.03:  # a wrong dispatch: sent back, and on to another department
            moves.append(Move("return", handler, {"note": "不属于本部门职责, 请重新派遣"},
                              self.minutes(10, 120)))
            department = r.choice([code for code in SUMMONED if code != department])
            handler = self.handler(grid, department).name
            moves.append(Move("dispatch", dispatcher, {"department_code": department,
                                                       "note": f"改派, 时限{limit}"},
                              self.minutes(5, 60)))
        moves.append(Move("accept", handler, {"note": "已接收, 安排人员处置"},
                          self.minutes(5, 30) if quick else self.minutes(10, 120)))
        if r.random() < 0.04:  # the department asks for more time
            moves.append(Move("request-extension", handler, {"note": r.choice(EXTENSION_NOTES)},
                              self.minutes(30, 240), extend=dt.timedelta(days=r.randint(1, 3))))
            decision = "approve-extension" if r.random() < 0.7 else "reject-extension"
            moves.append(Move(decision, dispatcher, {"note": "同意延期" if decision.startswith(
                "approve") else "时限内可完成, 不予延期"}, self.minutes(20, 240)))
        reworks = 0 if r.random() > 0.05 else r.choice([1, 1, 1, 2])
        late = r.random() < 0.07
        for round_no in range(reworks + 1):
            last = round_no == reworks
            share = (r.uniform(1.05, 2.5) if late and last
                     else (round_no + r.uniform(0.1, 0.8)) / (reworks + 1))
            body: dict[str, Any] = {"note": r.choice(FEEDBACK_NOTES)}
            if r.random() < 0.6:
                body["photo_urls"] = [f"https://oss.hebi.example/gridlink/{r.getrandbits(64):016x}.jpg"]
            moves.append(Move("feedback", handler, body, share=share))
            if last:
                moves.append(Move("close", dispatcher, {"note": "核查通过, 予以结案"},
                                  self.minutes(20, 240)))
            else:
                moves.append(Move("rework", dispatcher, {"note": r.choice(REWORK_NOTES)},
                                  self.minutes(20, 240)))
                moves.append(Move("accept", handler, {"note": "已接收返工任务"},
                                  self.minutes(10, 120)))
        return moves, late or reworks > 0

    def summons_moves(self, grid: GridPlan, category: dict[str, Any], dispatcher: str
                      ) -> tuple[list[Move], bool]:
        """社区吹哨、部门报到: the community's secretary summons the class's department and one
        or two others; each accepts and reports back on its own task; the command centre
        verifies each, and the case closes with the last."""
        r = self.rng
        primary = category["default_department_code"]
        others = r.sample([code for code in SUMMONED if code != primary], r.choice([1, 1, 2]))
        codes = [primary, *others]
        moves = [Move("summon", grid.secretary.name, {
            "department_codes": codes, "instructions": "社区吹哨, 请各部门到场联合处置",
            "note": "涉及多个部门, 社区吹哨"}, self.minutes(10, 180))]
        handlers = {code: self.handler(grid, code).name for code in codes}
        for code in codes:
            moves.append(Move("accept", handlers[code], {"note": "已到场报到"},
                              self.minutes(10, 120), department=code))
        for code in codes:
            moves.append(Move("feedback", handlers[code], {"note": r.choice(FEEDBACK_NOTES)},
                              share=r.uniform(0.2, 0.75), department=code))
        for code in codes:
            moves.append(Move("verify", dispatcher, {"note": "核查通过"}, self.minutes(20, 240),
                              department=code))
        return moves, False

    def approval_moves(self, grid: GridPlan, dispatcher: str) -> tuple[list[Move], bool]:
        """审批类: the community accepts, the street reviews, the district approves and the
        result is published; a few are refused on the way."""
        r = self.rng
        reviewers = [grid.secretary.name, r.choice(self.dispatchers).name, dispatcher]
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

    def stall(self, moves: list[Move], reported: dt.datetime) -> list[Move]:
        """Leave some recent cases waiting at one step: unfiled, undispatched, not accepted,
        not handled (the usual overdue case) or not yet verified."""
        waiting = [("file",), ("dispatch", "summon"), ("accept",), ("feedback",),
                   ("close", "verify")]
        age = self.now - reported
        if age < dt.timedelta(days=3):  # the last days' work is still on the desks
            chance, weights = 0.25, [3, 1, 1, 2, 2]
        elif age < dt.timedelta(days=60):  # nobody leaves a report unread for days
            chance, weights = 0.08, [0, 1, 2, 5, 2]
        else:
            return moves
        if self.rng.random() >= chance:
            return moves
        waits_for = self.rng.choices(waiting, weights)[0]
        cut = next((n for n, m in enumerate(moves) if m.action in waits_for), len(moves))
        return moves[:cut]




class CaseYear:
    """Plays the planned cases through intake and the workflow service, in time order.

    One queue of what happens next, ordered by time: reports, moves, and the moments a running
    case's light is due to turn yellow or red, when the SLA tick (which runs every minute in
    a real deployment) is run for that case, at the first whole minute after. Time order is
    what makes the year true: a repeat call is flagged as a duplicate only if the first report
    was still open then, and a light turns only if the case was still running then. Nothing
    after `now` happens.

    In one transaction, the caller's (`gridlink seed`); or, for `gridlink demo`, in slices of
    about `slice_seconds` each committed on its own while the API already serves the county,
    so that the cases arrive oldest first and other writers (a login, a person at work) get
    the database between two slices. A slice starts by locking the database (SQLite) or the
    cases still in play (PostgreSQL) and reading them anew: a case someone else has acted on
    since the last slice is theirs from then on, and the year plays nothing more on it.
    """

    def __init__(self, session: Session, now: dt.datetime) -> None:
        from backend.cases.sla import deadlines

        self.session, self.now = session, now
        self.rules = deadlines(session)
        self.units = dict(session.execute(select(CaseCategory.code,
                                                 CaseCategory.deadline_unit)).all())
        self.callers: dict[str, Caller] = {}
        self.queue: list[tuple[dt.datetime, int, str, Any]] = []
        self.order = itertools.count()
        # Cases with something still queued (moves, ticks): case id -> (case, queued events).
        self.in_play: dict[int, tuple[Case, int]] = {}
        self.let_go: set[int] = set()  # cases someone else acted on: played no further
        self.versions: dict[int, int] = {}  # with slices: each case's version as last seen

    def caller(self, name: str) -> Caller:
        """The actor a move is recorded under: the person the demo has do it. A system caller
        (no scope checks): the planner keeps each person to the cases of their own grid."""
        if name not in self.callers:
            self.callers[name] = Caller(None, Actor(name))
        return self.callers[name]

    def push(self, at: dt.datetime, kind: str, item: Any, case: Case | None = None) -> None:
        heapq.heappush(self.queue, (at, next(self.order), kind, item))
        if case is not None:
            queued = self.in_play.get(case.id, (case, 0))[1]
            self.in_play[case.id] = (case, queued + 1)

    def popped(self, case: Case) -> bool:
        """One queued event of the case is due; False when the year has let the case go."""
        held, queued = self.in_play[case.id]
        if queued > 1:
            self.in_play[case.id] = (held, queued - 1)
        else:
            del self.in_play[case.id]
            self.versions.pop(case.id, None)
        return case.id not in self.let_go

    def play(self, reports: list[dict[str, Any]], advance: Callable[[int], None], *,
             slice_seconds: float | None = None, between_slices: float = BETWEEN_SLICES,
             stop: threading.Event | None = None) -> int:
        """Play the year; returns how many reports came in. `advance(n)`: n more reports are
        in (with slices: committed, visible to everyone). `stop`, when set, ends the year
        after the slice under way (the demo stopped with Ctrl-C)."""
        from backend.cases.escalation import tick

        for report in reports:
            self.push(report["reported_at"], "report", report)
        received = unannounced = 0
        sliced = slice_seconds is not None
        if sliced:
            self.begin_slice()
        slice_ends = time.monotonic() + (slice_seconds or 0)
        # Written only when something reads it, so that the steps and audit entries of several
        # moves share a flush: a report writes itself (the duplicate check reads which cases
        # are open), a move on a case changed since the last flush flushes first (one version
        # per action, as over the API), a tick flushes first.
        with self.session.no_autoflush:
            while self.queue and self.queue[0][0] <= self.now:
                if sliced and time.monotonic() >= slice_ends:
                    self.session.commit()
                    advance(unannounced)
                    unannounced = 0
                    if stop is not None and stop.is_set():
                        return received
                    # The database free for a moment: SQLite's busy handler has a writer that
                    # waits for the lock sleep up to 100 ms between tries, and one that never
                    # found it free would give up after the busy timeout.
                    time.sleep(between_slices)
                    self.begin_slice()
                    slice_ends = time.monotonic() + slice_seconds
                at, _, kind, item = heapq.heappop(self.queue)
                if kind == "report":
                    self.receive(at, item)
                    received += 1
                    if sliced:
                        unannounced += 1
                    else:
                        advance(1)
                elif kind == "move":
                    if self.popped(item.case):
                        self.take(at, item)
                elif self.popped(item[0]):
                    self.tick(at, *item)
            self.session.flush()
        # The tick that ran in the minute before `now`.
        tick(self.session, now=self.now, commit=False)
        if sliced:
            self.session.commit()
            advance(unannounced)
        return received

    def begin_slice(self) -> None:
        """Take the database for one slice; let go of the cases others changed meanwhile."""
        session = self.session
        if session.get_bind().dialect.name == "sqlite":
            # The write lock now, before the first read: no other writer can slip in between
            # the check below and this slice's writes (and the busy timeout waits for a
            # writer still at work, where a read-then-write transaction would fail at once).
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        for case_id, (case, _) in self.in_play.items():
            # The version the year last wrote or read: from the object when it holds one (not
            # reloaded for it: a reload would read another writer's version as our own).
            if "version" in case.__dict__:
                self.versions[case_id] = case.__dict__["version"]
        known = {case_id: self.versions[case_id] for case_id in self.in_play
                 if case_id not in self.let_go}
        # What this session holds may be stale now: every object is read anew when next used.
        session.expire_all()
        for start in range(0, len(known), BATCH_SIZE):
            ids = list(known)[start:start + BATCH_SIZE]
            for case_id, version in session.execute(
                    select(Case.id, Case.version).where(Case.id.in_(ids))
                    .with_for_update()):  # PostgreSQL: locked until this slice commits
                if version != known[case_id]:
                    self.let_go.add(case_id)

    def receive(self, at: dt.datetime, report: dict[str, Any]) -> None:
        data = {k: v for k, v in report.items() if k not in ("intake_actor", "moves")}
        # Taken in as POST /api/v1/cases takes a report, on the year's clock.
        caller = self.caller(report["intake_actor"])
        case = create_row(self.session, CASES, CaseCreate(**data), caller, at=at, commit=False)
        self.next_move(_Playing(case, report["moves"]), at)

    def next_move(self, playing: _Playing, after: dt.datetime) -> None:
        if playing.done >= len(playing.moves):
            return
        move, case = playing.moves[playing.done], playing.case
        at = after + move.wait
        if move.share is not None and case.sla_started_at and case.due_at:
            at = max(at, case.sla_started_at + (case.due_at - case.sla_started_at) * move.share)
        self.push(at, "move", playing, case)

    def take(self, at: dt.datetime, playing: _Playing) -> None:
        from backend.cases.workflow import perform

        case, move = playing.case, playing.moves[playing.done]
        playing.done += 1
        action, body = move.action, dict(move.body)
        if action == "file" and case.possible_duplicate_of_id is not None:
            original = self.session.get(Case, case.possible_duplicate_of_id)
            if original.status in OPEN_STATUSES:  # the same problem: merged, not filed again
                action = "merge"
                body = {"original_case_id": original.id, "note": "重复上报, 合并至原案卷"}
                playing.done = len(playing.moves)
        if move.department is not None:
            body["task_id"] = self.session.execute(
                select(CaseTask.id).where(CaseTask.case_id == case.id,
                                          CaseTask.department_code == move.department,
                                          CaseTask.status != TaskStatus.returned)
                .order_by(CaseTask.id.desc()).limit(1)).scalar_one()
        if move.extend is not None:
            body["requested_due_at"] = case.due_at + move.extend
        if self.session.is_modified(case):  # one version per action, as over the API
            self.session.flush()
        was_running = case.status in RUNNING_STATUSES
        clock = (case.sla_started_at, case.due_at)
        perform(self.session, case.id, action, body, self.caller(move.actor), now=at,
                commit=False, flush=False)
        if case.status in RUNNING_STATUSES and (
                not was_running or (case.sla_started_at, case.due_at) != clock):
            self.watch(case, at)
        self.next_move(playing, at)

    def watch(self, case: Case, at: dt.datetime) -> None:
        """Tick the case in the first minute after its light is due to turn yellow, and red
        (after `at`: a case sent back for rework past its due time turns red at once)."""
        unit = self.units[case.category_code]
        yellow = self.rules.yellow_at(case.sla_started_at, case.due_at, unit)
        for moment in (yellow, case.due_at):
            moment = max(moment, at)
            minute = moment.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
            self.push(minute, "tick", (case, case.due_at), case)

    def tick(self, at: dt.datetime, case: Case, due_at: dt.datetime) -> None:
        from backend.cases.escalation import tick

        if case.status not in RUNNING_STATUSES or case.due_at != due_at:
            return  # handled meanwhile, or given another due time (watched anew)
        self.session.flush()
        tick(self.session, now=at, case_ids=[case.id], commit=False)
        # The tick writes with Core UPDATEs: what this session holds of the case is stale.
        self.session.expire(case, ["light", "escalation_level", "escalated_at", "updated_at"])


@dataclass
class _Playing:
    case: Case
    moves: list[Move]
    done: int = 0  # moves taken so far


class ProgressBars:
    """Rich progress bars for the long steps, or nothing at all when disabled."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: Any = None

    @contextmanager
    def running(self) -> Iterator[ProgressBars]:
        if not self.enabled:
            yield self
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn()) as bars:
            self.bars = bars
            yield self

    def task(self, description: str, total: int) -> Callable[[int], None]:
        """A new bar; returns the function that advances it."""
        if self.bars is None:
            return lambda _n: None
        task_id = self.bars.add_task(description, total=total)
        return lambda n: self.bars.advance(task_id, n)


def build_demo_data(
    scale: int = 1, seed: int = 2026, *, residents: int | None = None, cases: int | None = None,
    now: dt.datetime | None = None, progress: ProgressBars | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The demo world as rows per table (in TABLE_ORDER), without touching a database; and
    under "case" the reports, in the order they come in, each with its planned `moves`."""
    resident_target = RESIDENTS_PER_SCALE * scale if residents is None else residents
    case_count = CASES_PER_SCALE * scale if cases is None else cases
    builder = DemoBuilder(seed, (now or utcnow()).astimezone(dt.UTC))
    steps: list[Callable[[], None]] = [
        builder.build_reference,
        builder.build_grids,
        lambda: builder.build_ledgers(resident_target),
        lambda: builder.build_organizations(resident_target / RESIDENTS_PER_SCALE),
        builder.build_patrols,
        lambda: builder.build_cases(case_count),
        builder.finish_patrols,
        builder.build_visits,
        builder.build_work_logs,
    ]
    advance = (progress or ProgressBars(False)).task("生成数据", len(steps))
    for step in steps:
        step()
        advance(1)
    return builder.rows


def is_empty(database: Database) -> bool:
    """True when the area table has no rows (nothing has been set up yet)."""
    with database.session() as session:
        return session.execute(select(Area.id).limit(1)).first() is None


def run_seed(
    database: Database, scale: int = 1, progress: bool = True, seed: int = 2026, *,
    residents: int | None = None, cases: int | None = None, now: dt.datetime | None = None,
    demo_password: str | None = None,
) -> dict[str, int]:
    """Fill an empty, migrated database with demo data and the demo accounts (README), all in
    one transaction; returns row counts per table name.

    scale multiplies residents (20,000), their houses, organisations and cases (6,000);
    `residents` and `cases` override those counts (the tests seed small worlds). The area tree,
    grids, departments and categories are the same at every scale.
    """
    now = _seed_now(database, scale, now)
    with ProgressBars(progress).running() as bars:
        rows = build_demo_data(scale, seed, residents=residents, cases=cases, now=now,
                               progress=bars)
        with database.session() as session, session.begin():
            accounts = write_county(session, rows, bars, demo_password)
            advance = bars.task("案卷流转", len(rows["case"]))
            played = CaseYear(session, now).play(rows["case"], advance)
            steps = session.execute(select(func.count()).select_from(CaseStep)).scalar_one()
    return ({table: len(rows[table]) for table in TABLE_ORDER}
            | {"case": played, "case_step": steps, "user_account": len(accounts)})


@dataclass
class PendingYear:
    """The year of cases `seed_county` left to play: the reports with their planned moves."""

    reports: list[dict[str, Any]]
    now: dt.datetime


def seed_county(
    database: Database, scale: int = 1, progress: bool = True, seed: int = 2026, *,
    residents: int | None = None, cases: int | None = None, now: dt.datetime | None = None,
    demo_password: str | None = None,
) -> PendingYear:
    """`run_seed` less the cases, committed: the county, its ledgers, field work and the demo
    accounts, ready to serve in seconds. The same world as `run_seed` draws; `play_year` then
    brings its cases in."""
    now = _seed_now(database, scale, now)
    with ProgressBars(progress).running() as bars:
        rows = build_demo_data(scale, seed, residents=residents, cases=cases, now=now,
                               progress=bars)
        with database.session() as session, session.begin():
            write_county(session, rows, bars, demo_password)
    return PendingYear(rows["case"], now)


def play_year(database: Database, year: PendingYear, advance: Callable[[int], None], *,
              slice_seconds: float = SLICE_SECONDS, between_slices: float = BETWEEN_SLICES,
              stop: threading.Event | None = None) -> int:
    """Play the cases of `seed_county`'s year while others use the database: in slices of
    about `slice_seconds`, each committed (see CaseYear). `advance(n)`: n more cases are in.
    Returns how many cases came in."""
    with database.session() as session:
        return CaseYear(session, year.now).play(year.reports, advance,
                                                slice_seconds=slice_seconds,
                                                between_slices=between_slices, stop=stop)


def _seed_now(database: Database, scale: int, now: dt.datetime | None) -> dt.datetime:
    if scale < 1:
        raise ValueError("scale must be at least 1")
    if not is_empty(database):
        raise ValueError("the database already has areas: demo data goes into an empty database")
    return (now or utcnow()).astimezone(dt.UTC)


def write_county(session: Session, rows: dict[str, list[dict[str, Any]]], bars: ProgressBars,
                 demo_password: str | None) -> list[Any]:
    """Everything but the cases, and the demo accounts; returns the accounts."""
    write_rows(session, rows, bars)
    # Before the cases: the accounts are who hears of them (notifications).
    database_settings = session.info.get("settings")
    password = demo_password or (database_settings or get_settings()).demo_password
    return create_demo_accounts(session, password, demo_layout(rows))


def demo_layout(rows: dict[str, list[dict[str, Any]]]) -> DemoLayout:
    """The demo accounts' places: the first community and grid, a grid elsewhere, 环卫."""
    communities = [a["code"] for a in rows["area"] if a["level"] is AreaLevel.community]
    grids = [g["code"] for g in rows["grid"]]
    first_grid = min(g for g in grids if g.startswith(communities[0]))
    other_grid = min(g for g in grids if not g.startswith(communities[0]))
    sanitation = next(d["code"] for d in rows["department"]
                      if d["kind"] in (DepartmentKind.sanitation, "sanitation"))
    return DemoLayout(county=COUNTY_CODE, community=communities[0], grid=first_grid,
                      other_grid=other_grid, sanitation=sanitation)


def write_rows(session: Session, rows: dict[str, list[dict[str, Any]]],
               bars: ProgressBars) -> None:
    """Bulk Core inserts, parents first, in batches."""
    tables = models.Base.metadata.tables
    for name in TABLE_ORDER:
        table, table_rows = tables[name], rows[name]
        if name == "grid":
            # Partners point at grids written later in the same list: link them afterwards.
            table_rows = [{**row, "partner_grid_code": None} for row in table_rows]
        advance = bars.task(table.comment or name, len(table_rows))
        for start in range(0, len(table_rows), BATCH_SIZE):
            batch = table_rows[start:start + BATCH_SIZE]
            session.execute(insert(table), batch)
            advance(len(batch))
    grid = Grid.__table__
    partners = [{"grid": row["code"], "partner": row["partner_grid_code"],
                 "updated": row["updated_at"]} for row in rows["grid"]]
    if partners:
        # updated_at given explicitly, or its onupdate would stamp today on the setup rows.
        session.execute(update(grid).where(grid.c.code == bindparam("grid"))
                        .values(partner_grid_code=bindparam("partner"),
                                updated_at=bindparam("updated")), partners)
    if session.get_bind().dialect.name == "postgresql":
        # Rows came with explicit ids: move each id sequence past them for later inserts.
        for name in TABLE_ORDER:
            session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM \"{name}\"), 0) + 1, false)"))
