"""Entity declarations of field work: patrols, visits and work logs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.crud import EntitySpec, ParentLink, register
from backend.core.db import utcnow
from backend.core.errors import field_error
from backend.fieldwork.models import Patrol, Visit, WorkLog
from backend.fieldwork.schemas import PatrolCreate, VisitCreate, WorkLogCreate
from backend.ledgers.models import Household, Resident


def validate_patrol(_session: Session, data: dict[str, Any], _existing: Any) -> None:
    if data.get("ended_at") is not None and data["ended_at"] < data["started_at"]:
        raise field_error(422, "ended_at", "结束时间不能早于开始时间")
    if data["started_at"] > utcnow():
        raise field_error(422, "started_at", "开始时间不能晚于当前时间")


def validate_visit(session: Session, data: dict[str, Any], _existing: Any) -> None:
    if data.get("resident_id") is not None:
        household_id = session.execute(
            select(Resident.household_id).where(Resident.id == data["resident_id"])
        ).scalar_one_or_none()
        if household_id != data["household_id"]:
            raise field_error(422, "resident_id", "走访对象不属于该户")


def validate_work_log(_session: Session, data: dict[str, Any], _existing: Any) -> None:
    if (data.get("reviewed_at") is None) != (data.get("reviewed_by") is None):
        raise field_error(422, "reviewed_by", "审阅人和审阅时间须同时给出")


PATROLS = register(EntitySpec(
    name="patrols", model=Patrol, create_schema=PatrolCreate, label="巡查记录",
    label_en="patrols", default_sort="-started_at", validate=validate_patrol,
))
VISITS = register(EntitySpec(
    name="visits", model=Visit, create_schema=VisitCreate, label="走访记录", label_en="visits",
    parent=ParentLink("household_id", Household), default_sort="-visit_date",
    validate=validate_visit,
))
WORK_LOGS = register(EntitySpec(
    name="work-logs", model=WorkLog, create_schema=WorkLogCreate, label="工作日志",
    label_en="work logs", default_sort="-log_date", validate=validate_work_log,
))
