"""Entity declarations of field work: patrols, visits, work logs and the coverage rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.areas.models import Area, Grid
from backend.core import area_codes
from backend.core.crud import Caller, EntitySpec, ParentLink, SensitiveRows, register
from backend.core.db import utcnow
from backend.core.errors import ProblemError, field_error
from backend.fieldwork.models import (
    CoverageRule,
    Patrol,
    SupervisionSchedule,
    Visit,
    VisitKind,
    WorkLog,
    WorkLogStatus,
)
from backend.fieldwork.schemas import (
    CoverageRuleCreate,
    PatrolCreate,
    SupervisionScheduleCreate,
    VisitCreate,
    WorkLogCreate,
)
from backend.fieldwork.supervision import schedules
from backend.ledgers.models import Household, Resident
from backend.team.entities import fill_in_staff
from backend.team.models import GridStaff

WORK_LOGS_NAME = "work-logs"


def _author(name_field: str, label: str):
    """prepare_write of a field-work record: who did it, from the roster or the login."""

    def prepare(session: Session, changed: dict[str, Any], existing: Any,
                caller: Caller) -> None:
        fill_in_staff(session, changed, existing, caller, name_field)
        if name_field in changed and not changed[name_field]:
            if caller.principal is None:
                raise field_error(422, name_field, f"请填写{label}")
            changed[name_field] = caller.principal.display_name

    return prepare


def validate_patrol(_session: Session, data: dict[str, Any], _existing: Any) -> None:
    if data.get("ended_at") is not None and data["ended_at"] < data["started_at"]:
        raise field_error(422, "ended_at", "结束时间不能早于开始时间")
    if data["started_at"] > utcnow():
        raise field_error(422, "started_at", "开始时间不能晚于当前时间")


def validate_visit(session: Session, data: dict[str, Any], _existing: Any) -> None:
    resident = None
    if data.get("resident_id") is not None:
        resident = session.execute(
            select(Resident.household_id, Resident.key_groups)
            .where(Resident.id == data["resident_id"])).one_or_none()
        if resident is None or resident.household_id != data["household_id"]:
            raise field_error(422, "resident_id", "走访对象不属于该户")
    if data.get("kind") is VisitKind.supervision:
        # A 帮教 visit is of one person of a group on a schedule (backend/kpi/supervision.py).
        if resident is None:
            raise field_error(422, "resident_id", "帮教走访须填写帮教对象")
        if not set(resident.key_groups or []) & {g.value for g in schedules(session)}:
            raise field_error(422, "resident_id", "走访对象不属于需帮教的特殊人群")
    if data.get("second_visitor_name") and data["second_visitor_name"] == data["visitor_name"]:
        raise field_error(422, "second_visitor_name", "同行走访人不能是走访人本人")


def prepare_work_log(session: Session, changed: dict[str, Any], existing: WorkLog | None,
                     caller: Caller) -> None:
    if existing is not None and existing.status is WorkLogStatus.approved:
        raise field_error(409, "status", "日志已审阅通过, 不能再修改")
    if existing is not None and not _may_edit_log(session, existing, caller):
        raise ProblemError(403, "只能修改本人的工作日志")
    _author("author_name", "记录人")(session, changed, existing, caller)
    if existing is not None and existing.status is WorkLogStatus.returned:
        changed["status"] = WorkLogStatus.submitted  # corrected: submitted again


def _may_edit_log(session: Session, log: WorkLog, caller: Caller) -> bool:
    """A log is its author's: others may change it only if they review logs (the secretary,
    the admin). A log of no login (written for someone without one) is anyone's in scope."""
    principal = caller.principal
    if principal is None or principal.can(WORK_LOGS_NAME, "review") or log.staff_id is None:
        return True
    author = session.execute(select(GridStaff.user_id).where(GridStaff.id == log.staff_id)
                             ).scalar_one_or_none()
    return author is None or author == principal.user_id


def validate_work_log(session: Session, data: dict[str, Any], existing: WorkLog | None) -> None:
    staff_id = data.get("staff_id", existing.staff_id if existing is not None else None)
    if staff_id is None:
        return
    same_day = select(WorkLog.id).where(WorkLog.staff_id == staff_id,
                                        WorkLog.log_date == data["log_date"])
    if existing is not None:
        same_day = same_day.where(WorkLog.id != existing.id)
    if session.execute(same_day).first() is not None:
        raise field_error(409, "log_date",
                          f"{data['author_name']} 在 {data['log_date']} 已有工作日志")


def validate_rule(session: Session, data: dict[str, Any], _existing: Any) -> None:
    code = data["area_code"]
    model, column = (Grid, Grid.code) if area_codes.is_grid_code(code) else (Area, Area.code)
    if session.execute(select(model.id).where(column == code)).first() is None:
        raise field_error(422, "area_code", f"区域 {code} 不存在")
    if data["key_visit_every_months"] > data["household_visit_every_months"]:
        raise field_error(422, "key_visit_every_months", "重点户走访周期不应长于普通户")


PATROLS = register(EntitySpec(
    name="patrols", model=Patrol, create_schema=PatrolCreate, label="巡查记录",
    label_en="patrols", default_sort="-started_at", validate=validate_patrol,
    actions=("finish",),  # uploading the track of one's own walk, and ending it
    read_example={"staff_id": 2},
    prepare_write=_author("patroller_name", "巡查人"),
))
VISITS = register(EntitySpec(
    name="visits", model=Visit, create_schema=VisitCreate, label="走访记录", label_en="visits",
    parent=ParentLink("household_id", Household), default_sort="-visit_date",
    validate=validate_visit, prepare_write=_author("visitor_name", "走访人"),
    read_example={"staff_id": 2},
    # Who gets a 帮教 visit is who is under supervision: only for the `pii` roles and the
    # grid's own staff (rbac/scope.py); the audit log does not say whom either.
    sensitive=SensitiveRows("kind", VisitKind.supervision,
                            ("household_id", "resident_id", "purpose", "content")),
))
WORK_LOGS = register(EntitySpec(
    name=WORK_LOGS_NAME, model=WorkLog, create_schema=WorkLogCreate, label="工作日志",
    label_en="work logs", default_sort="-log_date", validate=validate_work_log,
    prepare_write=prepare_work_log, actions=("review",),
    read_example={"status": "submitted", "staff_id": 2},
))
COVERAGE_RULES = register(EntitySpec(
    name="coverage-rules", model=CoverageRule, create_schema=CoverageRuleCreate,
    label="覆盖规则", label_en="coverage rules", scope_column="area_code", scope_lineage=True,
    immutable=("area_code",), default_sort="area_code", validate=validate_rule,
))
SUPERVISION_SCHEDULES = register(EntitySpec(
    name="supervision-schedules", model=SupervisionSchedule,
    create_schema=SupervisionScheduleCreate, label="帮教周期", label_en="supervision schedules",
    scope_column=None, immutable=("key_group",), default_sort="key_group",
))
