"""Case routes beyond CRUD: workflow actions, the timeline, the tasks."""

from __future__ import annotations

import enum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path
from pydantic import BaseModel

from backend.api.deps import CurrentCaller, SessionDep
from backend.api.problems import problem_docs
from backend.api.routes import etag, json_response
from backend.cases import workflow
from backend.cases.entities import CASES
from backend.core import crud
from backend.core.db import MAX_ID

router = APIRouter(prefix="/cases", tags=["案卷流转 case workflow"],
                   responses=problem_docs(401, 403, 404))

# Members from the workflow's table, at import: more than mypy can read from a literal.
CaseActionName = enum.Enum(  # type: ignore[misc]
    "CaseAction", {n.replace("-", "_"): n for n in workflow.ACTIONS})
CaseId = Annotated[int, Path(ge=1, le=MAX_ID, description="案卷编号")]

ACTION_DOC = "\n".join(
    f"- `{a.name}` {a.label}: 自 {', '.join(s.value for s in a.allowed_from)}; "
    f"字段 {', '.join(a.body.model_fields) or '无'}"
    for a in workflow.ACTIONS.values()
)


@router.post(
    "/{case_id}/actions/{action}",
    response_model=CASES.read_schema,
    summary="案卷操作 Take a workflow action",
    description="谁可以执行哪些操作由权限策略决定; "
                "当前状态不允许时返回 409 并列出可执行的操作。\n\n" + ACTION_DOC,
    responses=problem_docs(409, 412, 422),
)
def take_action(
    case_id: CaseId,
    action: CaseActionName,
    session: SessionDep,
    caller: CurrentCaller,
    body: Annotated[dict[str, Any] | None, Body(examples=[{"note": "已现场核实"}])] = None,
    if_match: Annotated[str | None, Header(description='乐观锁: 上次读取的 ETag')] = None,
) -> Any:
    case = workflow.perform(session, case_id, action.value, body, caller, if_match)
    return json_response(crud.show(caller, CASES, case), headers=etag(case))


class StepRead(BaseModel):
    id: int
    action: str
    from_status: str | None
    to_status: str
    actor: str
    department_code: str | None
    task_id: int | None
    note: str | None
    details: dict[str, Any]
    created_at: Any


class TaskRead(BaseModel):
    id: int
    department_code: str
    is_primary: bool
    status: str
    instructions: str | None
    due_at: Any
    accepted_at: Any
    handled_at: Any
    verified_at: Any
    result: str | None


def _rows(objs, schema: type[BaseModel]) -> list[dict]:
    return [{name: getattr(obj, name) for name in schema.model_fields} for obj in objs]


@router.get("/{case_id}/steps", response_model=list[StepRead], summary="流转记录 Case timeline")
def case_steps(case_id: CaseId, session: SessionDep, caller: CurrentCaller) -> Any:
    case = crud.get_row(session, CASES, case_id, caller)
    return json_response(_rows(workflow.steps(session, case), StepRead))


@router.get("/{case_id}/tasks", response_model=list[TaskRead], summary="处置任务 Case tasks")
def case_tasks(case_id: CaseId, session: SessionDep, caller: CurrentCaller) -> Any:
    case = crud.get_row(session, CASES, case_id, caller)
    return json_response(_rows(workflow.tasks(session, case), TaskRead))
