"""Meeting routes beyond CRUD: a task reported done."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path

from backend.api.deps import CurrentCaller, SessionDep
from backend.api.problems import problem_docs
from backend.api.routes import etag, json_response
from backend.core import crud
from backend.core.db import MAX_ID
from backend.meetings import service
from backend.meetings.entities import MEETING_ITEMS

router = APIRouter(prefix="/meeting-items", tags=["会议 meetings"],
                   responses=problem_docs(401, 403, 404))


@router.post(
    "/{item_id}/actions/finish", response_model=MEETING_ITEMS.read_schema,
    summary="交办事项办结 Report a meeting's task done",
    description="承办部门 (或跟进的社区、街道) 报告会议交办事项办结, 字段 result。"
                "仅待办理的事项; 否则 409。",
    responses=problem_docs(409, 412, 422),
)
def finish_task(
    item_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep, caller: CurrentCaller,
    body: Annotated[dict[str, Any] | None,
                    Body(examples=[{"result": "摊点已规范至便民市场, 门口已清理"}])] = None,
    if_match: Annotated[str | None, Header(description="乐观锁: 上次读取的 ETag")] = None,
) -> Any:
    item = service.finish(session, item_id, body, caller, if_match)
    return json_response(crud.show(caller, MEETING_ITEMS, item), headers=etag(item))
