"""A request's two ends: settled with its result, or referred to the case or dispute it became
(registered first, then linked: "not a copy"). Both only while it is open; each an edit of the
request (its version moves) with its audit entry."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from backend.audit import writer as audit
from backend.core import crud
from backend.core.db import utcnow
from backend.core.errors import ProblemError, field_error, invalid_input
from backend.requests_desk.entities import ERRANDS, RESIDENT_REQUESTS
from backend.requests_desk.models import Errand, ErrandStatus, RequestStatus, ResidentRequest
from backend.requests_desk.schemas import ErrandStepBody, ReferBody, SettleBody

BODIES: dict[str, type[BaseModel]] = {"settle": SettleBody, "refer": ReferBody}
LABELS = {"settle": "办结", "refer": "转案卷/纠纷"}


def _linked(session: Session, caller: crud.Caller, entity: str, row_id: int, field: str) -> Any:
    try:
        return crud.get_row(session, crud.REGISTRY[entity], row_id, caller)
    except ProblemError:  # out of scope is as unknown as missing
        raise field_error(422, field, f"{crud.REGISTRY[entity].label} {row_id} 不存在") from None


def perform(session: Session, request_id: int, action: str, raw: dict[str, Any] | None,
            caller: crud.Caller, if_match: str | None = None) -> ResidentRequest:
    request = crud.get_row(session, RESIDENT_REQUESTS, request_id, caller, action)
    crud.check_if_match(request, if_match)
    if request.status is not RequestStatus.open:
        raise ProblemError(409, f"诉求已{request.status.label}, 不能{LABELS[action]}")
    try:
        body: Any = BODIES[action].model_validate(raw or {})
    except ValidationError as exc:
        raise invalid_input(exc.errors()) from None
    now = utcnow()
    changes: dict[str, tuple[Any, Any]] = {}
    if action == "settle":
        request.status, request.result, request.settled_at = (RequestStatus.settled, body.result,
                                                              now)
        changes["result"] = (None, body.result)
    else:
        if (body.case_id is None) == (body.dispute_id is None):
            raise field_error(422, "case_id", "请指定转入的案卷或矛盾纠纷之一")
        if body.case_id is not None:
            request.case_id = _linked(session, caller, "cases", body.case_id, "case_id").id
            changes["case_id"] = (None, request.case_id)
        else:
            request.dispute_id = _linked(session, caller, "disputes", body.dispute_id,
                                         "dispute_id").id
            changes["dispute_id"] = (None, request.dispute_id)
        request.status, request.settled_at = RequestStatus.referred, now
    changes["status"] = (RequestStatus.open.value, request.status.value)
    request.updated_at = now
    audit.record(session, caller.actor, action, RESIDENT_REQUESTS.name, request.id,
                 request.grid_code, changes, at=now)
    session.commit()
    return request


# 代办: answered (应答) first, then finished or declined; the first word to the resident, of
# whichever kind, is the answer.
ERRAND_STEPS = {
    "answer": ((ErrandStatus.accepted,), ErrandStatus.in_progress, "应答"),
    "finish": ((ErrandStatus.accepted, ErrandStatus.in_progress), ErrandStatus.done, "办结"),
    "decline": ((ErrandStatus.accepted, ErrandStatus.in_progress), ErrandStatus.declined,
                "不予代办"),
}


def perform_errand(session: Session, errand_id: int, action: str, raw: dict[str, Any] | None,
                   caller: crud.Caller, if_match: str | None = None) -> Errand:
    errand = crud.get_row(session, ERRANDS, errand_id, caller, action)
    crud.check_if_match(errand, if_match)
    allowed_from, to_status, label = ERRAND_STEPS[action]
    if errand.status not in allowed_from:
        raise ProblemError(409, f"代办事项{errand.status.label}, 不能{label}")
    try:
        body = ErrandStepBody.model_validate(raw or {})
    except ValidationError as exc:
        raise invalid_input(exc.errors()) from None
    now = utcnow()
    before = errand.status
    errand.status, errand.progress, errand.updated_at = to_status, body.progress, now
    errand.answered_at = errand.answered_at or now
    if to_status in (ErrandStatus.done, ErrandStatus.declined):
        errand.done_at = now
    audit.record(session, caller.actor, action, ERRANDS.name, errand.id, errand.grid_code,
                 {"status": (before.value, to_status.value), "progress": (None, body.progress)},
                 at=now)
    session.commit()
    return errand
