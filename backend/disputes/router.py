"""Dispute routes beyond CRUD: the workflow's actions (the timeline and the mediation sessions
are the registry's `dispute-steps` and `dispute-mediations`)."""

from __future__ import annotations

import enum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path

from backend.api.deps import CurrentCaller, SessionDep
from backend.api.problems import problem_docs
from backend.api.routes import etag, json_response
from backend.core import crud
from backend.core.db import MAX_ID
from backend.disputes import workflow
from backend.disputes.actions import DISPUTE_ACTIONS
from backend.disputes.entities import DISPUTES

router = APIRouter(prefix="/disputes", tags=["矛盾纠纷 disputes"],
                   responses=problem_docs(401, 403, 404))

DisputeActionName = enum.Enum(  # type: ignore[misc]
    "DisputeAction", {n.replace("-", "_"): n for n in DISPUTE_ACTIONS})
DisputeId = Annotated[int, Path(ge=1, le=MAX_ID, description="纠纷编号")]

ACTION_DOC = "\n".join(
    f"- `{a.name}` {a.label}: 自 {', '.join(s.value for s in a.from_statuses)} "
    f"至 {a.to_status.value}; 字段 {', '.join(workflow.HANDLERS[a.name][0].model_fields)}"
    for a in DISPUTE_ACTIONS.values())


@router.post(
    "/{dispute_id}/actions/{action}", response_model=DISPUTES.read_schema,
    summary="纠纷操作 Take a dispute workflow action",
    description="调解、化解、上报 (网格→社区→街道)、移交 (司法所、派出所、信访办, 带办理时限)、"
                "办结、重新启动。上报后由上一层级办理; "
                "当前状态不允许时返回 409 并列出可执行的操作。"
                "\n\n" + ACTION_DOC,
    responses=problem_docs(409, 412, 422),
)
def take_action(
    dispute_id: DisputeId,
    action: DisputeActionName,
    session: SessionDep,
    caller: CurrentCaller,
    body: Annotated[dict[str, Any] | None, Body(examples=[{
        "held_on": "2026-11-29", "mediators": "李秀英", "agreed": "双方同意分担维修费用"}])] = None,
    if_match: Annotated[str | None, Header(description="乐观锁: 上次读取的 ETag")] = None,
) -> Any:
    dispute = workflow.perform(session, dispute_id, action.value, body, caller, if_match)
    return json_response(crud.show(caller, DISPUTES, dispute), headers=etag(dispute))
