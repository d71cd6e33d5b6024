"""Entity declarations of the dispute register: the types, the disputes and their parties."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.crud import Caller, EntitySpec, ParentLink, register
from backend.core.db import utcnow
from backend.core.errors import field_error
from backend.disputes.models import (
    Dispute,
    DisputeLevel,
    DisputeParty,
    DisputeStatus,
    DisputeType,
)
from backend.disputes.schemas import DisputeCreate, DisputePartyCreate, DisputeTypeCreate
from backend.kpi.periods import beijing_today
from backend.ledgers.models import Resident


def prepare_dispute(_session: Session, changed: dict[str, Any], existing: Dispute | None,
                    caller: Caller) -> None:
    """A new dispute is registered at its grid; its finder is the login when none is named."""
    if existing is None:
        changed["status"], changed["level"] = DisputeStatus.registered, DisputeLevel.grid
    if "found_by" in changed and not changed["found_by"]:
        changed["found_by"] = caller.person


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


DISPUTE_TYPES = register(EntitySpec(
    name="dispute-types", model=DisputeType, create_schema=DisputeTypeCreate, label="纠纷类型",
    label_en="dispute types", scope_column=None, default_sort="code", immutable=("code",),
))
DISPUTES = register(EntitySpec(
    name="disputes", model=Dispute, create_schema=DisputeCreate, label="矛盾纠纷",
    label_en="disputes", default_sort="-found_on", prepare_write=prepare_dispute,
    validate=validate_dispute, children=(("dispute-parties", "dispute_id"),),
    read_example={"status": "registered", "level": "grid"},
))
DISPUTE_PARTIES = register(EntitySpec(
    name="dispute-parties", model=DisputeParty, create_schema=DisputePartyCreate,
    label="纠纷当事人", label_en="dispute parties", parent=ParentLink("dispute_id", Dispute),
    pii={"phone": "phone"}, validate=validate_party,
    read_example={"grid_code": "410602001002007"},
))
