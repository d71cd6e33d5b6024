"""Case routes beyond CRUD: workflow actions, the timeline, the tasks."""

from __future__ import annotations

import enum
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Header, Path, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel

from backend.api.deps import CurrentCaller, SessionDep, SettingsDep
from backend.api.problems import problem_docs
from backend.api.routes import etag, json_response
from backend.audit import writer as audit
from backend.cases import photos, workflow
from backend.cases.entities import CASES
from backend.core import crud
from backend.core.db import MAX_ID
from backend.core.errors import ProblemError

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


def may_add_photos(caller: crud.Caller) -> bool:
    """Who reports a case or takes it through the workflow may add its photos."""
    principal = caller.principal
    return principal is None or principal.can(CASES.name, "create") or any(
        principal.can(CASES.name, name) for name in workflow.ACTIONS)


PhotoName = Annotated[str, Path(max_length=40, description="照片文件名 (上传时返回)")]


@router.post("/{case_id}/photos", status_code=201, summary="上传现场照片 Upload a photo",
             description=f"JPEG、PNG 或 WebP, 最大 {photos.MAX_PHOTO_MB} MB; 存储时去除 EXIF "
                         "(含拍摄位置)。返回的 url 可填入 feedback 等操作的 photo_urls。",
             responses=problem_docs(400, 413, 422))
def upload_photo(case_id: CaseId, session: SessionDep, caller: CurrentCaller,
                 settings: SettingsDep,
                 file: Annotated[UploadFile, File(description="照片文件")]) -> Any:
    case = crud.get_row(session, CASES, case_id, caller)  # 404 outside the caller's scope
    if not may_add_photos(caller):
        raise ProblemError(403, "无权为案卷上传照片")
    url = photos.save(settings.upload_dir, case.id, file.file.read(photos.MAX_PHOTO_BYTES + 1))
    audit.record(session, caller.actor, "photo", CASES.name, case.id, case.grid_code,
                 {"photo": (None, url)})
    session.commit()
    return json_response({"url": url}, status_code=201)


@router.get("/{case_id}/photos/{name}", summary="现场照片 A case's photo",
            response_class=FileResponse, responses=problem_docs(400))
def case_photo(case_id: CaseId, name: PhotoName, session: SessionDep, caller: CurrentCaller,
               settings: SettingsDep) -> Any:
    case = crud.get_row(session, CASES, case_id, caller)
    path = photos.stored(settings.upload_dir, case.id, name)
    if path is None:
        raise ProblemError(404, f"案卷 {case_id} 没有照片 {name}")
    return photo_response(path)


def photo_response(path) -> FileResponse:
    """A stored photo, as an image and nothing else (never sniffed as a page)."""
    return FileResponse(path, media_type=photos.MEDIA_TYPES[path.suffix], headers={
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600",
        "Content-Security-Policy": "default-src 'none'"})
