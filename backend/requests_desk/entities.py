"""民情 in the one CRUD registry, with its answer deadlines and their lights."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.cases.models import DeadlineUnit, Light
from backend.cases.sla import deadlines, live_lights
from backend.core.crud import Caller, EntitySpec, register
from backend.core.db import utcnow
from backend.core.errors import field_error
from backend.ledgers.models import Resident
from backend.requests_desk.models import (
    Errand,
    ErrandStatus,
    RequestKind,
    RequestStatus,
    ResidentRequest,
)
from backend.requests_desk.schemas import ErrandCreate, ResidentRequestCreate

# How long each kind may wait for its answer: an ordinary request a working day, one for the
# community five, an urgent one two hours (it is reported at once and becomes a case or a
# dispute).
ANSWER_WITHIN: dict[RequestKind, tuple[int, DeadlineUnit]] = {
    RequestKind.ordinary: (1, DeadlineUnit.working_days),
    RequestKind.coordination: (5, DeadlineUnit.working_days),
    RequestKind.urgent: (2, DeadlineUnit.hours),
}


def prepare_request(session: Session, changed: dict[str, Any], existing: Any,
                    caller: Caller) -> None:
    """Received now by the caller, open, due as its kind allows; an ordinary request settled
    on the spot (its result given) is settled as it is received."""
    if existing is None:
        now = utcnow()
        kind = RequestKind(changed["kind"])
        value, unit = ANSWER_WITHIN[kind]
        changed.update(received_at=now, recorded_by=caller.person, status=RequestStatus.open,
                       due_at=deadlines(session).due_at(now, value, unit))
        if changed.get("result") is not None:
            if kind is not RequestKind.ordinary:
                raise field_error(422, "result", f"{kind.label}不能现场办结, 请受理后按程序办理")
            changed.update(status=RequestStatus.settled, settled_at=now)


# 百姓诉求全应答: a resident who asks for an affair to be handled is answered within a day.
ERRAND_ANSWER_WITHIN = (1, DeadlineUnit.working_days)


def prepare_errand(session: Session, changed: dict[str, Any], existing: Any,
                   caller: Caller) -> None:
    if existing is None:
        now = utcnow()
        changed.update(accepted_at=now, handled_by=caller.person, status=ErrandStatus.accepted,
                       answer_due_at=deadlines(session).due_at(now, *ERRAND_ANSWER_WITHIN))


def errand_clock(session: Session, rows: list[dict[str, Any]]) -> None:
    """An errand not yet answered shows the light of its answer deadline."""
    live_lights(session, rows, "accepted_at", "answer_due_at",
                lambda _row: ERRAND_ANSWER_WITHIN[1],
                lambda row: row.get("answered_at") is None
                and row.get("status") == ErrandStatus.accepted)


def validate_request(session: Session, data: dict[str, Any], _existing: Any) -> None:
    if data.get("resident_id") is not None and session.execute(select(Resident.id).where(
            Resident.id == data["resident_id"])).first() is None:
        raise field_error(422, "resident_id", f"居民 {data['resident_id']} 不存在")


def answer_clock(session: Session, rows: list[dict[str, Any]]) -> None:
    """An open request's light as of now: green, yellow near its deadline, red past it."""
    live_lights(session, rows, "received_at", "due_at",
                lambda row: ANSWER_WITHIN[RequestKind(row["kind"])][1],
                lambda row: row.get("status") == RequestStatus.open and bool(row.get("kind")))


RESIDENT_REQUESTS = register(EntitySpec(
    name="resident-requests", model=ResidentRequest, create_schema=ResidentRequestCreate,
    label="民情诉求", label_en="residents' requests", default_sort="-received_at",
    pii={"phone": "phone"}, immutable=("grid_code", "kind", "result"),  # result: by settle
    prepare_write=prepare_request,
    validate=validate_request, actions=("settle", "refer"),
    computed_fields={"light": (Light | None, "答复时限灯")}, compute=answer_clock,
    read_example={"received_at": "2026-11-28T01:20:00Z", "recorded_by": "李秀英",
                  "due_at": "2026-11-30T10:00:00Z", "status": "open", "settled_at": None,
                  "result": None, "case_id": None, "dispute_id": None},
))
ERRANDS = register(EntitySpec(
    name="errands", model=Errand, create_schema=ErrandCreate, label="代办事项",
    label_en="errands", default_sort="-accepted_at", pii={"phone": "phone"},
    immutable=("grid_code",), prepare_write=prepare_errand, validate=validate_request,
    actions=("answer", "finish", "decline"),
    computed_fields={"light": (Light | None, "应答时限灯")}, compute=errand_clock,
    read_example={"accepted_at": "2026-11-28T01:20:00Z", "handled_by": "李秀英",
                  "answer_due_at": "2026-11-30T10:00:00Z", "answered_at": None,
                  "status": "accepted", "progress": None, "done_at": None},
))
