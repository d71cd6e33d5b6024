"""A meeting's task reported done: by the department tasked, or by the area's staff who
follow it, with the result; only while it is assigned. An edit of the subject (its version
moves) with its audit entry."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from backend.audit import writer as audit
from backend.core import crud
from backend.core.db import utcnow
from backend.core.errors import ProblemError, invalid_input
from backend.meetings.entities import MEETING_ITEMS
from backend.meetings.models import ItemStatus, MeetingItem
from backend.meetings.schemas import FinishBody


def finish(session: Session, item_id: int, raw: dict[str, Any] | None, caller: crud.Caller,
           if_match: str | None = None) -> MeetingItem:
    item = crud.get_row(session, MEETING_ITEMS, item_id, caller, "finish")
    crud.check_if_match(item, if_match)
    if item.status is not ItemStatus.assigned:
        raise ProblemError(409, f"议题{item.status.label}, 没有待办结的交办事项")
    try:
        body = FinishBody.model_validate(raw or {})
    except ValidationError as exc:
        raise invalid_input(exc.errors()) from None
    now = utcnow()
    item.status, item.result, item.done_at, item.updated_at = (ItemStatus.done, body.result,
                                                               now, now)
    audit.record(session, caller.actor, "finish", MEETING_ITEMS.name, item.id, item.area_code,
                 {"status": (ItemStatus.assigned.value, ItemStatus.done.value),
                  "result": (None, body.result),
                  "on_time": (None, item.due_at is None or now <= item.due_at)}, at=now)
    session.commit()
    return item
