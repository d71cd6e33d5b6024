"""Entity declarations of meetings: the meetings and their subjects (with the tasks they open).

Who reads them: the area's staff, the meetings of their area; a department, the meetings it
attended or was tasked at and the subjects tasked to it (which it reports done)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backend.areas.models import Area, Grid
from backend.cases.models import Case, DeadlineUnit, Department, Light
from backend.cases.sla import live_lights
from backend.core import area_codes
from backend.core.crud import Caller, EntitySpec, ParentLink, register
from backend.core.db import BEIJING, has_tag, utcnow
from backend.core.errors import ProblemError, field_error
from backend.disputes.models import Dispute
from backend.meetings.models import ItemStatus, Meeting, MeetingItem, MeetingKind
from backend.meetings.schemas import MeetingCreate, MeetingItemCreate
from backend.notifications import service as notify
from backend.notifications.models import NotificationKind

# The level each kind of meeting is held at: (area code lengths allowed, what to say if not).
KIND_LEVELS = {
    MeetingKind.grid: ((area_codes.GRID_LENGTH,), "网格例会须填网格代码 (15 位)"),
    MeetingKind.community: ((area_codes.COMMUNITY_LENGTH,), "社区例会须填社区代码 (12 位)"),
    MeetingKind.joint: ((area_codes.STREET_LENGTH, area_codes.COMMUNITY_LENGTH),
                        "联席会议须填召开的街道 (9 位) 或社区 (12 位) 代码"),
}


def _chair(session: Session, changed: dict[str, Any], existing: Any, caller: Caller) -> None:
    if "chair" in changed and not changed["chair"]:
        if caller.principal is None:
            raise field_error(422, "chair", "请填写主持人")
        changed["chair"] = caller.principal.display_name


def validate_meeting(session: Session, data: dict[str, Any], _existing: Any) -> None:
    code, kind = data["area_code"], MeetingKind(data["kind"])
    lengths, message = KIND_LEVELS[kind]
    if len(code) not in lengths:
        raise field_error(422, "area_code", message)
    model, column = (Grid, Grid.code) if area_codes.is_grid_code(code) else (Area, Area.code)
    if session.execute(select(model.id).where(column == code)).first() is None:
        raise field_error(422, "area_code", f"区域 {code} 不存在")
    if data["held_on"] > utcnow().astimezone(BEIJING).date():
        raise field_error(422, "held_on", "会议尚未召开: 请会后录入")
    codes = list(dict.fromkeys(data.get("department_codes") or []))
    known = set(session.execute(select(Department.code).where(Department.code.in_(codes)))
                .scalars())
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise field_error(422, "department_codes", f"部门 {'、'.join(unknown)} 不存在")
    data["department_codes"] = codes


def _within(session: Session, model: Any, row_id: int | None, area_code: str, field: str,
            label: str) -> Any:
    if row_id is None:
        return None
    row = session.get(model, row_id)
    if row is None or not area_codes.within(row.grid_code, area_code):
        raise field_error(422, field, f"{label} {row_id} 不在会议所在区域")
    return row


def prepare_item(session: Session, changed: dict[str, Any], existing: MeetingItem | None,
                 caller: Caller) -> None:
    """The task's status and deadline follow from its department and date; a task done is
    done: its department and date no longer change."""
    task_fields = {"department_code", "due_on"} & set(changed)
    if existing is not None and existing.status is ItemStatus.done and task_fields:
        raise ProblemError(409, "交办事项已办结, 承办部门和期限不能再改")
    if not task_fields and existing is not None:
        return
    department = changed.get("department_code", existing.department_code if existing else None)
    due_on = changed.get("due_on", existing.due_on if existing else None)
    if department is None:
        changed.update(status=ItemStatus.recorded, assigned_at=None, due_at=None)
        return
    # Due at the end of the day, Beijing time.
    due_at = _day_start(due_on + dt.timedelta(days=1)) if due_on is not None else None
    changed.update(status=ItemStatus.assigned, due_at=due_at)
    if existing is None:
        # Tasked by the meeting's decision: the clock runs from the meeting's day.
        meeting = session.get(Meeting, changed["meeting_id"])
        if meeting is not None:
            changed["assigned_at"] = _day_start(meeting.held_on)
    elif existing.department_code != department:
        changed["assigned_at"] = utcnow()  # given to another department now
        _tell_department(session, department, changed.get("subject", existing.subject), due_on)


def _day_start(day: dt.date) -> dt.datetime:
    """The first moment of a Beijing day, in UTC."""
    return dt.datetime.combine(day, dt.time(0), BEIJING).astimezone(dt.UTC)


def _tell_department(session: Session, department: str, subject: str,
                     due_on: dt.date | None, at: dt.datetime | None = None) -> None:
    notify.send(session, notify.department_users(session, department),
                NotificationKind.meeting_task, None, f"会议交办: {subject} (限{due_on}前办结)",
                at=at)


def validate_item(session: Session, data: dict[str, Any], _existing: Any) -> None:
    meeting = session.get(Meeting, data["meeting_id"])
    assert meeting is not None  # the reference was checked
    if data.get("case_id") is not None and data.get("dispute_id") is not None:
        raise field_error(422, "dispute_id", "一个议题关联一件案卷或一件矛盾纠纷, 不能同时关联")
    _within(session, Case, data.get("case_id"), meeting.area_code, "case_id", "案卷")
    _within(session, Dispute, data.get("dispute_id"), meeting.area_code, "dispute_id",
            "矛盾纠纷")
    if (data.get("department_code") is None) != (data.get("due_on") is None):
        field = "due_on" if data.get("department_code") else "department_code"
        raise field_error(422, field, "交办须同时填写承办部门和办结期限")
    if data.get("department_code") is not None:
        if not data.get("decision"):
            raise field_error(422, "decision", "交办事项须写明会议决定")
        if data["due_on"] < meeting.held_on:
            raise field_error(422, "due_on", "办结期限不能早于会议日期")


def after_item_created(session: Session, item: MeetingItem, at: dt.datetime | None) -> None:
    if item.department_code is not None:
        _tell_department(session, item.department_code, item.subject, item.due_on, at)


def task_clock(session: Session, rows: list[dict[str, Any]]) -> None:
    """A task not yet done shows the light of its date."""
    live_lights(session, rows, "assigned_at", "due_at", lambda _row: DeadlineUnit.working_days,
                lambda row: row.get("status") == ItemStatus.assigned)


def attended_or_tasked(code: str):
    """The meetings a department attended or was tasked at."""
    return or_(has_tag(Meeting.department_codes, code), Meeting.id.in_(
        select(MeetingItem.meeting_id).where(MeetingItem.department_code == code)))


MEETINGS = register(EntitySpec(
    name="meetings", model=Meeting, create_schema=MeetingCreate, label="会议",
    label_en="meetings", scope_column="area_code", default_sort="-held_on",
    department_scope=attended_or_tasked, prepare_write=_chair, validate=validate_meeting,
    immutable=("area_code",), children=(("meeting-items", "meeting_id"),),
))
MEETING_ITEMS = register(EntitySpec(
    name="meeting-items", model=MeetingItem, create_schema=MeetingItemCreate,
    label="会议议题", label_en="meeting subjects", scope_column="area_code",
    parent=ParentLink("meeting_id", Meeting, copies="area_code"),
    department_column="department_code", prepare_write=prepare_item, validate=validate_item,
    after_create=after_item_created, actions=("finish",),
    computed_fields={"light": (Light | None, "办理时限灯")}, compute=task_clock,
    read_example={"area_code": "410602001", "status": "assigned",
                  "assigned_at": "2026-11-27T08:00:00Z",
                  "due_at": "2026-12-04T16:00:00Z"},
))
