"""The current user's notifications."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel
from sqlalchemy import func, select

from backend.api.deps import CurrentPrincipal, SessionDep
from backend.api.problems import problem_docs
from backend.api.routes import json_response
from backend.core.db import MAX_ID
from backend.notifications import service
from backend.notifications.models import NEWEST_FIRST, Notification, NotificationKind

router = APIRouter(prefix="/notifications", tags=["通知 notifications"],
                   responses=problem_docs(401))


class NotificationRead(BaseModel):
    id: int
    kind: NotificationKind
    case_id: int | None
    title: str
    body: str | None
    created_at: Any
    read_at: Any


class NotificationPage(BaseModel):
    items: list[NotificationRead]
    unread: int


FIELDS = list(NotificationRead.model_fields)


@router.get("", response_model=NotificationPage, summary="我的通知 My notifications")
def my_notifications(
    session: SessionDep, principal: CurrentPrincipal,
    unread: Annotated[bool, Query(description="只看未读")] = False,
    kind: Annotated[NotificationKind | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> Any:
    mine = Notification.user_id == principal.user_id
    stmt = select(Notification).where(mine)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    if kind is not None:
        stmt = stmt.where(Notification.kind == kind)
    rows = session.execute(stmt.order_by(*NEWEST_FIRST).limit(limit).offset(offset)
                           ).scalars()
    count = session.execute(select(func.count()).select_from(Notification)
                            .where(mine, Notification.read_at.is_(None))).scalar_one()
    return json_response({"items": [{f: getattr(n, f) for f in FIELDS} for n in rows],
                          "unread": count})


@router.post("/{notification_id}/read", response_model=NotificationRead,
             summary="标为已读 Mark as read", responses=problem_docs(404, 422))
def mark_read(notification_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep,
              principal: CurrentPrincipal) -> Any:
    notification = service.mark_read(session, principal.user_id, notification_id)
    return json_response({f: getattr(notification, f) for f in FIELDS})


@router.post("/read-all", summary="全部标为已读 Mark all as read")
def mark_all_read(session: SessionDep, principal: CurrentPrincipal) -> dict[str, int]:
    return {"marked": service.mark_all_read(session, principal.user_id)}
