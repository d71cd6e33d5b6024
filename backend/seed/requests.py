"""The demo's 民情 and 代办 over the field-work days: what residents asked of their grids and
what the staff handled for them, at the rates of a county this size (about a request a week
and an errand a fortnight per grid), mostly answered in time, the latest still open.

Written in bulk (Core inserts): a request's due time is its kind's on the working calendar,
as the API's would be; an urgent one is referred to a dispute of its grid where there is one.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from backend.cases.sla import Deadlines, deadlines
from backend.core.db import BEIJING
from backend.disputes.models import Dispute
from backend.requests_desk.entities import ANSWER_WITHIN, ERRAND_ANSWER_WITHIN
from backend.requests_desk.models import (
    Errand,
    ErrandKind,
    ErrandStatus,
    RequestKind,
    RequestStatus,
    ResidentRequest,
)
from backend.seed.disputes import SeedGrid, seed_grids
from backend.seed.vocabulary import FIELDWORK_DAYS

# (kind, what was asked, what was done)
REQUESTS = [
    (RequestKind.ordinary, "楼道灯坏了, 夜里上下楼不方便", "已联系物业更换楼道灯"),
    (RequestKind.ordinary, "小区垃圾桶满溢无人清理", "已通知保洁当日清运"),
    (RequestKind.ordinary, "咨询高龄津贴申领条件", "已当面解答并发放办事指南"),
    (RequestKind.coordination, "小区电梯频繁故障", "社区协调物业与维保单位检修, 已恢复"),
    (RequestKind.coordination, "楼顶防水层破损漏雨", "社区协调专项维修资金, 已修复"),
    (RequestKind.coordination, "门前道路坑洼积水", "社区报街道协调市政维修"),
    (RequestKind.urgent, "邻居争吵升级, 已有推搡", "已转矛盾纠纷调处"),
]
ERRANDS = [
    (ErrandKind.pension, "代办养老保险资格认证", "区社保中心"),
    (ErrandKind.subsidy, "代办高龄津贴申领", "街道民政所"),
    (ErrandKind.medical, "代办城乡居民医保缴费", "区医保中心"),
    (ErrandKind.certificate, "代办居住证", "派出所户籍窗口"),
    (ErrandKind.household, "代办户口迁移材料审核", "派出所户籍窗口"),
]


def _at(day: dt.date, r: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(r.randint(8, 17), r.randint(0, 59)),
                               BEIJING).astimezone(dt.UTC)


def seed_requests(session: Session, now: dt.datetime, seed: int) -> tuple[int, int]:
    """The requests and errands of the field-work days; returns how many of each."""
    r = random.Random(f"requests-{seed}")
    rules = deadlines(session)
    today = now.astimezone(BEIJING).date()
    first = today - dt.timedelta(days=FIELDWORK_DAYS - 1)
    disputes: dict[str, list[int]] = {}
    for dispute_id, grid_code in session.execute(select(Dispute.id, Dispute.grid_code)):
        disputes.setdefault(grid_code, []).append(dispute_id)
    requests: list[dict[str, Any]] = []
    errands: list[dict[str, Any]] = []
    for grid in seed_grids(session):
        day = first
        while day <= today:
            if r.random() < 1 / 7 and (row := _request(grid, _at(day, r), now, rules,
                                                        disputes, r)):
                requests.append(row)
            if r.random() < 1 / 14 and (row := _errand(grid, _at(day, r), now, rules, r)):
                errands.append(row)
            day += dt.timedelta(days=1)
    if requests:
        session.execute(insert(ResidentRequest.__table__), requests)
    if errands:
        session.execute(insert(Errand.__table__), errands)
    return len(requests), len(errands)


def _person(grid: SeedGrid, r: random.Random) -> tuple[int | None, str]:
    if grid.residents and r.random() < 0.9:
        return r.choice(grid.residents)
    return None, r.choice(("王女士", "李先生", "张大爷", "刘阿姨"))


def _request(grid: SeedGrid, received: dt.datetime, now: dt.datetime, rules: Deadlines,
             disputes: dict[str, list[int]], r: random.Random) -> dict[str, Any] | None:
    if received > now:
        return None
    kind, content, result = r.choices(REQUESTS, weights=[
        30 if k is RequestKind.ordinary else 12 if k is RequestKind.coordination else 3
        for k, _c, _r in REQUESTS])[0]
    value, unit = ANSWER_WITHIN[kind]
    due = rules.due_at(received, value, unit)
    resident_id, name = _person(grid, r)
    # Mostly answered in time; now and then late; the newest may still be open.
    taken = (due - received) * r.uniform(0.2, 0.9 if r.random() < 0.93 else 1.8)
    settled = received + taken
    open_still = settled > now
    status, dispute_id = RequestStatus.settled, None
    if kind is RequestKind.urgent and disputes.get(grid.code):
        status, dispute_id = RequestStatus.referred, r.choice(disputes[grid.code])
    return {"grid_code": grid.code, "resident_id": resident_id, "requester_name": name,
            "phone": None, "content": content, "kind": kind, "received_at": received,
            "recorded_by": grid.chief, "due_at": due,
            "status": RequestStatus.open if open_still else status,
            "settled_at": None if open_still else settled,
            "result": None if open_still or dispute_id else result, "case_id": None,
            "dispute_id": None if open_still else dispute_id,
            "created_at": received, "updated_at": received if open_still else settled,
            "version": 1 if open_still else 2}


def _errand(grid: SeedGrid, accepted: dt.datetime, now: dt.datetime, rules: Deadlines,
            r: random.Random) -> dict[str, Any] | None:
    if accepted > now:
        return None
    kind, affair, office = r.choice(ERRANDS)
    due = rules.due_at(accepted, *ERRAND_ANSWER_WITHIN)
    answered = accepted + (due - accepted) * r.uniform(0.1, 0.95 if r.random() < 0.95 else 1.5)
    done = answered + dt.timedelta(days=r.randint(2, 15))
    resident_id, name = _person(grid, r)
    if answered > now:
        status, answered_at, done_at, progress = ErrandStatus.accepted, None, None, None
    elif done > now:
        status, answered_at, done_at = ErrandStatus.in_progress, answered, None
        progress = f"材料已收齐, 正在{office}办理"
    elif r.random() < 0.05:
        status, answered_at, done_at = ErrandStatus.declined, answered, answered
        progress = "须本人到窗口办理, 已告知所需材料"
    else:
        status, answered_at, done_at = ErrandStatus.done, answered, done
        progress = "已办结, 已电话告知本人"
    changed = done_at or answered_at or accepted
    return {"grid_code": grid.code, "resident_id": resident_id, "requester_name": name,
            "phone": None, "kind": kind, "affair": affair, "office": office,
            "accepted_at": accepted, "handled_by": grid.chief, "answer_due_at": due,
            "answered_at": answered_at, "status": status, "progress": progress,
            "done_at": done_at, "created_at": accepted, "updated_at": changed, "version": 1}
