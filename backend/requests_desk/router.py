"""民情 routes beyond CRUD: settle a request, or refer it to the case or dispute it became."""

from __future__ import annotations

import enum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path

from backend.api.deps import CurrentCaller, SessionDep
from backend.api.problems import problem_docs
from backend.api.routes import etag, json_response
from backend.core import crud
from backend.core.db import MAX_ID
from backend.requests_desk import service
from backend.requests_desk.entities import ERRANDS, RESIDENT_REQUESTS

router = APIRouter(prefix="/resident-requests", tags=["民情诉求 residents' requests"],
                   responses=problem_docs(401, 403, 404))


class RequestAction(enum.StrEnum):
    settle = "settle"
    refer = "refer"


@router.post(
    "/{request_id}/actions/{action}", response_model=RESIDENT_REQUESTS.read_schema,
    summary="办结或转案卷/纠纷 Settle or refer a request",
    description="settle: 办结, 字段 result。refer: 转入已登记的案卷或矛盾纠纷 (case_id 或 "
                "dispute_id 之一), 关联而不复制。仅办理中的诉求; 否则 409。",
    responses=problem_docs(409, 412, 422),
)
def take_action(
    request_id: Annotated[int, Path(ge=1, le=MAX_ID)], action: RequestAction,
    session: SessionDep, caller: CurrentCaller,
    body: Annotated[dict[str, Any] | None,
                    Body(examples=[{"result": "已联系物业更换楼道灯"}])] = None,
    if_match: Annotated[str | None, Header(description="乐观锁: 上次读取的 ETag")] = None,
) -> Any:
    request = service.perform(session, request_id, action.value, body, caller, if_match)
    return json_response(crud.show(caller, RESIDENT_REQUESTS, request), headers=etag(request))


errands = APIRouter(prefix="/errands", tags=["代办事项 errands"],
                    responses=problem_docs(401, 403, 404))


class ErrandAction(enum.StrEnum):
    answer = "answer"
    finish = "finish"
    decline = "decline"


@errands.post(
    "/{errand_id}/actions/{action}", response_model=ERRANDS.read_schema,
    summary="应答、办结或不予代办 Answer, finish or decline an errand",
    description="字段 progress (告知委托人的内容)。answer: 已受理 → 办理中; finish: → 已办结; "
                "decline: → 不予代办。首次告知即为应答 (应答时限: 受理后一个工作日)。",
    responses=problem_docs(409, 412, 422),
)
def take_errand_action(
    errand_id: Annotated[int, Path(ge=1, le=MAX_ID)], action: ErrandAction,
    session: SessionDep, caller: CurrentCaller,
    body: Annotated[dict[str, Any] | None,
                    Body(examples=[{"progress": "材料已收齐, 明日到社保中心办理"}])] = None,
    if_match: Annotated[str | None, Header(description="乐观锁: 上次读取的 ETag")] = None,
) -> Any:
    errand = service.perform_errand(session, errand_id, action.value, body, caller, if_match)
    return json_response(crud.show(caller, ERRANDS, errand), headers=etag(errand))
