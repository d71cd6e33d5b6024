"""The demo's meetings: each community's monthly work meeting (社区例会) and each street's
monthly joint meeting of departments (联席会议) over the field-work days.

A community's meeting hears the month's field work and the disputes raised to it; a street's
takes up the disputes raised to the street and a matter or two for a department, tasked by a
date. Written through the one CRUD registry (crud.create_row, the demo's clock as `at`); a
task is then dated and, when its date has passed, reported done as the department would
(most in time), the newest still open. Its own random stream: the rest of the demo draws as
it did without it.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.areas.models import Area, AreaLevel
from backend.cases.models import Department
from backend.core import crud
from backend.core.db import BEIJING
from backend.disputes.models import Dispute
from backend.meetings.entities import MEETING_ITEMS, MEETINGS
from backend.meetings.models import ItemStatus, MeetingItem
from backend.meetings.schemas import MeetingCreate, MeetingItemCreate
from backend.seed.vocabulary import FIELDWORK_DAYS
from backend.team.models import GridStaff, TeamRole

# What a street's joint meeting tasks a department with: (department kind, subject, decision,
# what the department reports).
JOINT_TASKS = (
    ("sanitation", "背街小巷垃圾清运不及时", "环卫处加密清运频次, 设置临时收集点",
     "已调整清运线路, 每日两次清运"),
    ("enforcement", "主干道早市占道经营回潮", "执法大队牵头规范, 社区配合劝导",
     "已引导摊贩进入便民市场, 每日巡查"),
    ("lighting", "老旧小区路灯损坏较多", "路灯所集中排查维修", "已维修路灯23盏"),
    ("municipal", "雨后道路积水点位", "市政处疏通雨水管网", "已疏通管网5处"),
    ("housing", "无物业小区管理缺位", "住建局指导成立业委会, 引入物业", "已召开业主大会"),
    ("market", "校园周边小食品店卫生", "市场监管局联合检查", "已检查12家, 责令整改3家"),
)
COMMUNITY_SUBJECT = ("本月巡查走访情况通报", "各网格通报巡查、走访和案卷办理情况, 布置下月工作")


def _working_day_near_month_end(day: dt.date) -> dt.date:
    """The 25th of `day`'s month, or the Friday before when it is a weekend."""
    held = day.replace(day=25)
    while held.weekday() >= 5:
        held -= dt.timedelta(days=1)
    return held


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), BEIJING).astimezone(dt.UTC)


def seed_meetings(session: Session, now: dt.datetime, seed: int) -> int:
    """The meetings of the field-work days; returns how many."""
    r = random.Random(f"meetings-{seed}")
    today = now.astimezone(BEIJING).date()
    first_day = today - dt.timedelta(days=FIELDWORK_DAYS - 1)
    months = sorted({_working_day_near_month_end(first_day + dt.timedelta(days=n))
                     for n in range(FIELDWORK_DAYS)})
    days = [d for d in months if first_day <= d <= today]
    areas = session.execute(select(Area.code, Area.name, Area.level)).all()
    departments = {kind.value: code for kind, code in session.execute(
        select(Department.kind, Department.code).order_by(Department.code))}
    chiefs: dict[str, list[str]] = {}
    for grid_code, name in session.execute(select(GridStaff.grid_code, GridStaff.name).where(
            GridStaff.team_role == TeamRole.grid_chief).order_by(GridStaff.grid_code)):
        chiefs.setdefault(grid_code[:12], []).append(name)
    made = 0
    for held_on in days:
        for code, name, level in areas:
            if level is AreaLevel.community:
                made += _community_meeting(session, code, name, held_on, chiefs.get(code, []))
            elif level is AreaLevel.street:
                made += _joint_meeting(session, code, name, held_on, departments, now, r)
    return made


def _raised(session: Session, area_code: str, level: str, held_on: dt.date) -> list[Dispute]:
    """The disputes raised to this level, found in the month before the meeting."""
    return list(session.execute(select(Dispute).where(
        Dispute.grid_code.startswith(area_code), Dispute.level == level,
        Dispute.found_on > held_on - dt.timedelta(days=31), Dispute.found_on <= held_on)
        .order_by(Dispute.id)).scalars())


def _community_meeting(session: Session, code: str, name: str, held_on: dt.date,
                       chiefs: list[str]) -> int:
    secretary = crud.Caller.system(f"{name}书记")
    meeting = crud.create_row(session, MEETINGS, MeetingCreate(
        area_code=code, kind="community", title=f"{name}{held_on.month}月工作例会",
        held_on=held_on, place=f"{name}党群服务中心", chair=f"{name}书记", attendees=chiefs,
        minutes="通报本月巡查走访和矛盾纠纷排查情况, 研判上报社区的纠纷"),
        secretary, at=_at(held_on, 16), commit=False)
    subjects: list[tuple[str, int | None, str]] = [
        (COMMUNITY_SUBJECT[0], None, COMMUNITY_SUBJECT[1])]
    subjects += [(f"研判: {d.title}", d.id, "社区调委会牵头再次调解")
                 for d in _raised(session, code, "community", held_on)]
    for subject, dispute_id, decision in subjects:
        crud.create_row(session, MEETING_ITEMS, MeetingItemCreate(
            meeting_id=meeting.id, subject=subject, dispute_id=dispute_id, decision=decision),
            secretary, at=_at(held_on, 17), commit=False)
    return 1


def _joint_meeting(session: Session, code: str, name: str, held_on: dt.date,
                   departments: dict, now: dt.datetime, r: random.Random) -> int:
    center = crud.Caller.system(f"{name}综治中心")
    tasks = r.sample(JOINT_TASKS, 2)
    attending = [departments[kind] for kind, *_rest in tasks if kind in departments]
    meeting = crud.create_row(session, MEETINGS, MeetingCreate(
        area_code=code, kind="joint", title=f"{name}{held_on.month}月联席会议",
        held_on=held_on, place=f"{name}综治中心会议室", chair=f"{name}分管领导",
        attendees=[f"{name}综治中心主任"], department_codes=attending,
        minutes="研究街道层面难点问题, 明确责任单位和办结时限"),
        center, at=_at(held_on, 9), commit=False)
    for dispute in _raised(session, code, "street", held_on):
        crud.create_row(session, MEETING_ITEMS, MeetingItemCreate(
            meeting_id=meeting.id, subject=f"疑难纠纷: {dispute.title}", dispute_id=dispute.id,
            decision="街道综治中心组织联合调解"), center, at=_at(held_on, 10), commit=False)
    for kind, subject, decision, result in tasks:
        if kind not in departments:
            continue
        due_on = held_on + dt.timedelta(days=r.choice((5, 7, 10, 14)))
        item = crud.create_row(session, MEETING_ITEMS, MeetingItemCreate(
            meeting_id=meeting.id, subject=subject, decision=decision,
            department_code=departments[kind], due_on=due_on), center,
            at=_at(held_on, 10), commit=False)
        _play_task(item, due_on, result, now, r)
    return 1


def _play_task(item: MeetingItem, due_on: dt.date, result: str,
               now: dt.datetime, r: random.Random) -> None:
    """The task reported done as its department would: in time for most, a few days late for
    some, the ones whose report would come after now open."""
    done_on = due_on - dt.timedelta(days=r.randint(0, 3)) if r.random() < 0.85 \
        else due_on + dt.timedelta(days=r.randint(1, 4))
    done_at = _at(done_on, 15)
    if done_at <= now:
        item.status, item.result, item.done_at = ItemStatus.done, result, done_at
