"""Entity declarations of departments, the category table and cases."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from backend.areas.geometry import grid_index
from backend.cases.actions import CASE_ACTIONS
from backend.cases.intake import on_intake
from backend.cases.models import (
    CalendarDay,
    Case,
    CaseCategory,
    CaseStatus,
    CaseTask,
    Department,
    RoutingRule,
    TaskStatus,
)
from backend.cases.schemas import (
    CalendarDayCreate,
    CaseCategoryCreate,
    CaseCreate,
    DepartmentCreate,
    RoutingRuleCreate,
)
from backend.cases.sla import deadlines, time_left
from backend.core.crud import Caller, EntitySpec, register
from backend.core.db import BEIJING, utcnow
from backend.core.errors import FieldError, ProblemError, field_error


def case_code(reported_at: dt.datetime, case_id: int) -> str:
    """Readable and unique: the report's (Beijing) date and its id, e.g. 2026112800001234."""
    return f"{reported_at.astimezone(BEIJING):%Y%m%d}{case_id:08d}"


def validate_category(_session: Session, data: dict[str, Any], _existing: Any) -> None:
    if not data["code"].startswith(data["big_class_code"]):
        raise field_error(422, "code", f"分类编码应以大类编码 {data['big_class_code']} 开头")


def validate_case(_session: Session, data: dict[str, Any], _existing: Any) -> None:
    if (data.get("lat") is None) != (data.get("lng") is None):
        field = "lng" if data.get("lng") is None else "lat"
        raise field_error(422, field, "经度和纬度须同时给出")
    if data["reported_at"] > utcnow():
        raise field_error(422, "reported_at", "上报时间不能晚于当前时间")
    if data.get("is_anonymous") and (data.get("reporter_name") or data.get("reporter_phone")):
        raise field_error(422, "is_anonymous", "匿名上报不登记上报人姓名和电话")


def locate_case(session: Session, changed: dict[str, Any], existing: Case | None) -> None:
    """A case with a point lies in the grid the map puts it in.

    grid_code left out (or cleared) is filled from the point; one that names another grid is
    refused; a point outside every grid is refused, unless the case names a grid that has no
    boundary yet (a county mapped only in part). Runs on create, and on an update that moves
    the point or the grid.
    """
    if existing is not None and not {"lat", "lng", "grid_code"} & set(changed):
        return
    current = {name: changed.get(name, getattr(existing, name, None))
               for name in ("lat", "lng", "grid_code")}
    lat, lng, given = current["lat"], current["lng"], current["grid_code"]
    if lat is None or lng is None:
        return  # no point (validate_case names a half one): grid_code is what the client said
    index = grid_index(session)
    found = index.grid_at(lng, lat)
    if found is None:
        if given is not None and given not in index:
            return
        msg = f"坐标 ({lng}, {lat}) 不在任何网格内"
        raise ProblemError(422, f"lat, lng: {msg}",
                           [FieldError("lat", msg), FieldError("lng", msg)])
    if given is None:
        changed["grid_code"] = found
    elif given != found:
        raise field_error(422, "grid_code",
                          f"坐标 ({lng}, {lat}) 位于网格 {found}, 与 {given} 不一致")


def reserve_case_code(_session: Session, data: dict[str, Any], existing: Case | None) -> None:
    # The real code needs the id, which exists only after the insert: hold a unique stand-in.
    if existing is None:
        data["code"] = "tmp" + secrets.token_hex(8)


def prepare_case(session: Session, changed: dict[str, Any], existing: Case | None,
                 _caller: Caller) -> None:
    locate_case(session, changed, existing)
    reserve_case_code(session, changed, existing)


def assign_case_code(session: Session, case: Case) -> None:
    # A Core UPDATE, so that setting the code does not count as a second version of the row.
    code = case_code(case.reported_at, case.id)
    session.execute(update(Case.__table__).where(Case.__table__.c.id == case.id)
                    .values(code=code, updated_at=case.updated_at))
    set_committed_value(case, "code", code)


def after_intake(session: Session, case: Case, at: dt.datetime | None) -> None:
    """A new report, once it has its id: its code; likely duplicates flagged and an emergency's
    alert to the adjacent grids (intake.on_intake), all stamped `at` (default now)."""
    assign_case_code(session, case)
    on_intake(session, case, at)


def case_of_department(code: str):
    """Cases a department works on: dispatched to it, or it was summoned to (a task of its own)."""
    summoned = select(CaseTask.id).where(CaseTask.case_id == Case.id,
                                         CaseTask.department_code == code,
                                         CaseTask.status != TaskStatus.returned).exists()
    return or_(Case.department_code == code, summoned)


# The deadline clock runs from dispatch until the departments have handled the case.
RUNNING_STATUSES = (CaseStatus.dispatched, CaseStatus.processing)


def case_clock(session: Session, rows: list[dict[str, Any]]) -> None:
    """Every case read shows its light and time left as of now, not as of the last tick."""
    running = [r for r in rows if r.get("status") in RUNNING_STATUSES and r.get("due_at")
               and r.get("sla_started_at")]
    units = {}
    if running:
        rules = deadlines(session)
        units = dict(session.execute(select(CaseCategory.code, CaseCategory.deadline_unit)).all())
    now = utcnow()
    for row in rows:
        row["time_left_seconds"] = None
    for row in running:
        row["time_left_seconds"] = round(time_left(row["due_at"], now))
        row["light"] = rules.light(row["sla_started_at"], row["due_at"],
                                   units[row["category_code"]], now)


DEPARTMENTS = register(EntitySpec(
    name="departments", model=Department, create_schema=DepartmentCreate, label="职能部门",
    label_en="departments", scope_column="area_code", scope_lineage=True,
    department_column="code", immutable=("code",), default_sort="code",
))
CASE_CATEGORIES = register(EntitySpec(
    name="case-categories", model=CaseCategory, create_schema=CaseCategoryCreate,
    label="案件分类", label_en="case categories", scope_column=None, immutable=("code",),
    default_sort="code", validate=validate_category,
))
# Corrections to the official calendar the deadlines count on; the SLA code rereads the table
# whenever it changes (backend/cases/sla.py). A row decides its own date, which never changes:
# a correction for another date is another row.
CALENDAR_DAYS = register(EntitySpec(
    name="calendar-days", model=CalendarDay, create_schema=CalendarDayCreate, label="工作日历",
    label_en="calendar days", scope_column=None, immutable=("day",), default_sort="day",
))
CASES = register(EntitySpec(
    name="cases", model=Case, create_schema=CaseCreate, label="案卷", label_en="cases",
    department_column="department_code", department_scope=case_of_department,
    # Who reported is personal data: roles without `pii` (departments, leaders, grid members)
    # read 王** and 139****4321, enough to know there is someone to call back through the
    # command center. An anonymous report stores neither (validate_case), so nobody reads one.
    pii={"reporter_name": "name", "reporter_phone": "phone"},
    computed_fields={"time_left_seconds": (int | None, "剩余时间(秒)")}, compute=case_clock,
    default_sort="-reported_at", validate=validate_case,
    read_example={"code": "2026112800000001", "status": "dispatched", "department_code": "HW01",
                  "filed_at": "2026-11-28T08:35:00Z", "dispatched_at": "2026-11-28T08:40:00Z",
                  "due_at": "2026-11-28T14:40:00Z", "rework_count": 0,
                  "sla_started_at": "2026-11-28T08:40:00Z", "light": "green",
                  "escalation_level": 0, "extension_count": 0, "public_notice": False},
    prepare_write=prepare_case, after_create=after_intake, actions=tuple(CASE_ACTIONS),
))
ROUTING_RULES = register(EntitySpec(
    name="routing-rules", model=RoutingRule, create_schema=RoutingRuleCreate, label="派遣规则",
    label_en="routing rules", scope_column=None, default_sort="category_code",
))
