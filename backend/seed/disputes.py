"""The demo's disputes: what the grids found over the field-work days, worked through the
disputes' workflow service, and each grid's half-monthly screening reports.

At the rates a county of this size sees: about one dispute per grid a month; most settled in
the grid within days, some at the community, a few at the street, a few handed to the police,
the justice office (司法所) or the petitions bureau (信访); the latest still open.
Screenings: nearly every grid reports every half month on time (a nil report when it found
none), a few late, a few never.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from backend.areas.models import Area, Grid
from backend.cases.sla import deadlines
from backend.core import crud
from backend.core.db import BEIJING
from backend.disputes import workflow
from backend.disputes.entities import DISPUTE_PARTIES, DISPUTES
from backend.disputes.models import DisputeScreening
from backend.disputes.schemas import DisputeCreate, DisputePartyCreate
from backend.disputes.screening import due_on, half_month
from backend.ledgers.models import Resident
from backend.seed.vocabulary import FIELDWORK_DAYS
from backend.team.models import GridStaff, TeamRole

# The offices a dispute is handed to (backend/cases/reference.py): code, who concludes, why.
HANDED_TO = {
    "police": ("GA01", "鹤山分局", "矛盾激化, 涉嫌治安违法, 移交公安"),
    "justice": ("SF01", "街道司法所", "涉及法律关系复杂, 移交司法所专业调解"),
    "petitions": ("XW01", "区信访局", "当事人已上访, 移交信访部门按程序办理"),
}
# (type, title, what happened, what was agreed)
STORIES = [
    ("01", "楼上漏水引发邻里纠纷", "卫生间防水层老化, 渗漏至楼下顶棚",
     "楼上负责维修防水并赔偿楼下粉刷费用"),
    ("01", "楼道堆物引发邻里争执", "一户在楼道长期堆放杂物, 邻居多次劝说未果",
     "三日内清理楼道, 今后不再堆放"),
    ("01", "饲养宠物扰邻纠纷", "夜间犬吠影响邻居休息",
     "养犬户加装隔音并夜间将犬只关养在室内"),
    ("02", "赡养老人费用纠纷", "兄妹三人对母亲赡养费分担有分歧",
     "三人按月平均分担赡养费, 轮流照料"),
    ("02", "家庭婚姻矛盾", "夫妻因家务琐事多次争吵",
     "双方同意冷静处理, 由社区定期回访"),
    ("03", "物业费收缴纠纷", "业主以电梯维修不及时为由拒交物业费",
     "物业限期维修电梯, 业主补交物业费"),
    ("03", "停车位占用纠纷", "小区车位被外来车辆长期占用",
     "物业加装道闸, 规范停车管理"),
    ("05", "拖欠务工人员工资", "装修队拖欠3名工人工资共1.2万元",
     "包工头分两次结清欠薪"),
    ("07", "医疗费用争议", "居民对诊所收费有异议",
     "诊所退还多收费用并书面致歉"),
    ("08", "餐饮油烟扰民", "沿街饭店油烟直排影响楼上住户",
     "饭店安装油烟净化器并改造排烟管道"),
    ("99", "宅基地界址争议", "两户对院墙界址各执一词",
     "按原始档案重新确认界址, 双方签字认可"),
]
# How a dispute ends, with its share: settled at the grid, the community, the street, or
# handed to the police, the justice office or the petitions bureau.
OUTCOMES = (("grid", 0.72), ("community", 0.15), ("street", 0.05), ("police", 0.04),
            ("justice", 0.03), ("petitions", 0.01))


@dataclass(frozen=True)
class SeedGrid:
    code: str
    community_name: str
    chief: str
    residents: list[tuple[int, str]]


def seed_grids(session: Session) -> list[SeedGrid]:
    """The county's grids with their community's name, chief and residents."""
    communities = dict(session.execute(select(Area.code, Area.name)).tuples().all())
    chiefs = dict(session.execute(select(GridStaff.grid_code, GridStaff.name).where(
        GridStaff.team_role == TeamRole.grid_chief).order_by(GridStaff.id.desc())).tuples().all())
    residents: dict[str, list[tuple[int, str]]] = {}
    for resident_id, name, grid_code in session.execute(
            select(Resident.id, Resident.name, Resident.grid_code).order_by(Resident.id)):
        residents.setdefault(grid_code, []).append((resident_id, name))
    return [SeedGrid(code, communities.get(community, community), chiefs.get(code, "网格长"),
                     residents.get(code, []))
            for code, community in session.execute(
                select(Grid.code, Grid.community_code).order_by(Grid.code)).tuples()]


def _at(day: dt.date, hour: int, r: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, r.randint(0, 59)), BEIJING).astimezone(dt.UTC)


def seed_disputes(session: Session, now: dt.datetime, seed: int) -> int:
    """The disputes of the field-work days and their screenings; returns how many disputes."""
    r = random.Random(f"disputes-{seed}")
    today = now.astimezone(BEIJING).date()
    first_day = today - dt.timedelta(days=FIELDWORK_DAYS - 1)
    grids = seed_grids(session)
    found: dict[tuple[str, dt.date], int] = {}
    made = 0
    for grid in grids:
        day = first_day
        while day <= today:
            if r.random() < 1 / 30 and _play_dispute(session, grid, day, now, r):  # monthly
                half, _last = half_month(day)
                found[(grid.code, half)] = found.get((grid.code, half), 0) + 1
                made += 1
            day += dt.timedelta(days=1)
    _write_screenings(session, grids, found, first_day, now, r)
    return made


def _play_dispute(session: Session, grid: SeedGrid, day: dt.date, now: dt.datetime,
                  r: random.Random) -> bool:
    """One dispute found that day, worked as far as `now`; False if found after `now`."""
    type_code, title, summary, agreement = r.choice(STORIES)
    found_at = _at(day, r.randint(8, 17), r)
    if found_at > now:
        return False
    chief = crud.Caller.system(grid.chief)
    dispute = crud.create_row(session, DISPUTES, DisputeCreate(
        grid_code=grid.code, type_code=type_code, title=title, summary=summary,
        risk_level=r.choices(("low", "medium", "high"), (0.65, 0.27, 0.08))[0],
        found_how=r.choices(("screening", "visit", "report", "petition"),
                            (0.45, 0.35, 0.15, 0.05))[0],
        found_by=grid.chief, found_on=day), chief, at=found_at, commit=False)
    parties = r.sample(grid.residents, min(2, len(grid.residents)))
    for side, (resident_id, name) in zip(("申请人", "被申请人"), parties, strict=False):
        crud.create_row(session, DISPUTE_PARTIES, DisputePartyCreate(
            dispute_id=dispute.id, name=name, resident_id=resident_id, side=side), chief,
            at=found_at, commit=False)
    outcome = r.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
    community = crud.Caller.system(f"{grid.community_name}人民调解委员会")
    street = crud.Caller.system("街道综治中心")
    at = found_at
    steps: list[tuple[crud.Caller, str, dict[str, Any]]] = [
        (chief, "mediate", {"mediators": grid.chief, "place": "当事人家中",
                            "agreed": "了解双方诉求, 初步疏导"})]
    if outcome in ("community", "street"):
        steps += [(chief, "escalate", {"note": "双方分歧较大, 网格调解未果, 提请社区调解"}),
                  (community, "mediate", {"mediators": f"{grid.community_name}调委会",
                                          "place": "社区调解室", "agreed": "双方陈述, 待再次调解"})]
    if outcome == "street":
        steps += [(community, "escalate", {"note": "涉及多方利益, 提请街道调处"}),
                  (street, "mediate", {"mediators": "街道司法所", "place": "街道综治中心",
                                       "agreed": "组织联合调处"})]
    if outcome in HANDED_TO:
        office, concluder, why = HANDED_TO[outcome]
        steps.append((community, "hand-over", {"department_code": office, "days": 10,
                                               "note": why}))
        steps.append((crud.Caller.system(concluder), "conclude",
                      {"result": f"依法调处: {agreement}"}))
    else:
        actor = {"grid": chief, "community": community, "street": street}[outcome]
        steps.append((actor, "settle", {"agreement": agreement}))
    for caller, action, body in steps:
        at += dt.timedelta(hours=r.randint(20, 100))
        if at > now:
            break  # still being worked
        if action == "mediate":
            body = body | {"held_on": at.astimezone(BEIJING).date().isoformat()}
        workflow.perform(session, dispute.id, action, body, caller, now=at, commit=False)
    return True


def _write_screenings(session: Session, grids: list[SeedGrid],
                      found: dict[tuple[str, dt.date], int], first_day: dt.date,
                      now: dt.datetime, r: random.Random) -> None:
    working = deadlines(session).calendar
    today = now.astimezone(BEIJING).date()
    rows = []
    half, last = half_month(first_day)
    halves = []
    while last <= today:
        halves.append((half, last))
        half, last = half_month(last + dt.timedelta(days=1))
    for grid in grids:
        for half, last in halves:
            due = due_on(working, last)
            draw = r.random()
            if draw < 0.03:
                continue  # never reported
            filed_on = due + dt.timedelta(days=r.randint(1, 5)) if draw < 0.08 else r.choice(
                (last, due))
            filed_at = _at(filed_on, r.randint(9, 17), r)
            if filed_at > now:
                continue
            count = found.get((grid.code, half), 0)
            rows.append({
                "grid_code": grid.code, "period_first": half, "period_last": last,
                "due_on": due, "filed_at": filed_at, "filed_by": grid.chief,
                "nil_report": count == 0, "dispute_count": count, "late": filed_on > due,
                "note": (f"排查发现矛盾纠纷 {count} 起, 已登记" if count
                         else "走访排查, 未发现矛盾纠纷"),
                "created_at": filed_at, "updated_at": filed_at, "version": 1})
    if rows:
        session.execute(insert(DisputeScreening.__table__), rows)
