"""Entity declarations of the dispute register: the types, the disputes and their parties."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.cases.models import DeadlineUnit, Light
from backend.cases.sla import live_lights
from backend.core.crud import Caller, EntitySpec, ParentLink, register
from backend.core.db import utcnow
from backend.core.errors import field_error
from backend.disputes.actions import DISPUTE_ACTIONS
from backend.disputes.models import (
    Dispute,
    DisputeLevel,
    DisputeMediation,
    DisputeParty,
    DisputeScreening,
    DisputeStatus,
    DisputeStep,
    DisputeType,
)
from backend.disputes.schemas import (
    DisputeCreate,
    DisputeMediationRead,
    DisputePartyCreate,
    DisputeScreeningCreate,
    DisputeStepRead,
    DisputeTypeCreate,
)
from backend.disputes.screening import prepare_screening, validate_screening
from backend.kpi.periods import beijing_today
from backend.ledgers.models import Resident


def prepare_dispute(_session: Session, changed: dict[str, Any], existing: Dispute | None,
                    caller: Caller) -> None:
    """A new dispute is registered at its grid; its finder is the login when none is named."""
    if existing is None:
        changed["status"], changed["level"] = DisputeStatus.registered, DisputeLevel.grid
    if "found_by" in changed and not changed["found_by"]:
        changed["found_by"] = caller.person


def handover_clock(session: Session, rows: list[dict[str, Any]]) -> None:
    """A dispute handed to an office shows its light as of now (green, yellow near the
    deadline, red past it), counted on the working calendar as a case's is; others none."""
    live_lights(session, rows, "handed_at", "due_at", lambda _row: DeadlineUnit.working_days,
                lambda row: row.get("status") == DisputeStatus.handed_over)


def validate_dispute(session: Session, data: dict[str, Any], _existing: Any) -> None:
    active = session.execute(select(DisputeType.is_active).where(
        DisputeType.code == data["type_code"])).scalar()
    if not active:
        raise field_error(422, "type_code", f"纠纷类型 {data['type_code']} 不存在或已停用")
    if data["found_on"] > beijing_today(utcnow()):
        raise field_error(422, "found_on", "发现日期不能晚于今天")


def validate_party(session: Session, data: dict[str, Any], _existing: Any) -> None:
    if data.get("resident_id") is not None:
        grid = session.execute(select(Resident.grid_code).where(
            Resident.id == data["resident_id"])).scalar()
        if grid is None:
            raise field_error(422, "resident_id", f"居民 {data['resident_id']} 不存在")


def of_department(model):
    """The rows of a dispute handed to the department: a department sees nothing else."""
    def condition(code: str):
        return model.dispute_id.in_(select(Dispute.id).where(Dispute.department_code == code))
    return condition


DISPUTE_TYPES = register(EntitySpec(
    name="dispute-types", model=DisputeType, create_schema=DisputeTypeCreate, label="纠纷类型",
    label_en="dispute types", scope_column=None, default_sort="code", immutable=("code",),
))
DISPUTES = register(EntitySpec(
    name="disputes", model=Dispute, create_schema=DisputeCreate, label="矛盾纠纷",
    label_en="disputes", default_sort="-found_on", prepare_write=prepare_dispute,
    validate=validate_dispute,
    children=(("dispute-parties", "dispute_id"), ("dispute-steps", "dispute_id"),
              ("dispute-mediations", "dispute_id")),
    department_column="department_code", actions=tuple(DISPUTE_ACTIONS),
    computed_fields={"light": (Light | None, "办理时限灯")}, compute=handover_clock,
    read_example={"status": "registered", "level": "grid", "department_code": None,
                  "reopen_count": 0},
))
DISPUTE_PARTIES = register(EntitySpec(
    name="dispute-parties", model=DisputeParty, create_schema=DisputePartyCreate,
    label="纠纷当事人", label_en="dispute parties", parent=ParentLink("dispute_id", Dispute),
    pii={"phone": "phone"}, validate=validate_party, department_scope=of_department(DisputeParty),
    read_example={"grid_code": "410602001002007"},
))
# Written by the workflow only (backend/disputes/workflow.py): the timeline and the sessions.
DISPUTE_STEPS = register(EntitySpec(
    name="dispute-steps", model=DisputeStep, create_schema=DisputeStepRead, label="纠纷流转记录",
    label_en="dispute steps", parent=ParentLink("dispute_id", Dispute), read_only=True,
    department_scope=of_department(DisputeStep),
))
DISPUTE_MEDIATIONS = register(EntitySpec(
    name="dispute-mediations", model=DisputeMediation, create_schema=DisputeMediationRead,
    label="调解记录", label_en="mediation sessions", parent=ParentLink("dispute_id", Dispute),
    read_only=True, default_sort="held_on", department_scope=of_department(DisputeMediation),
))
DISPUTE_SCREENINGS = register(EntitySpec(
    name="dispute-screenings", model=DisputeScreening, create_schema=DisputeScreeningCreate,
    label="矛盾纠纷排查报告", label_en="dispute screenings", default_sort="-period_first",
    immutable=("grid_code", "period_first"), prepare_write=prepare_screening,
    validate=validate_screening,
    read_example={"period_last": "2026-11-30", "due_on": "2026-12-01",
                  "filed_at": "2026-11-30T09:12:00Z", "filed_by": "李秀英", "dispute_count": 1,
                  "late": False},
))
