"""Import routes: upload a ledger file, poll its job, download the template.

(No `from __future__ import annotations`: FastAPI reads the closures' annotations.)
"""

from enum import Enum
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile

from backend.api.deps import CurrentCaller, DatabaseDep, SessionDep, SettingsDep
from backend.api.problems import problem_docs
from backend.api.routes import json_response
from backend.core import crud
from backend.core.db import MAX_ID
from backend.imports import service
from backend.imports.models import ImportMode
from backend.imports.schemas import ImportJobRead
from backend.spreadsheets import tabular
from backend.spreadsheets.limits import MAX_COLUMNS, MAX_ROWS, MAX_UPLOAD_MB

FILE_DOC = (f"Excel (.xlsx) 或 CSV (UTF-8 / GB18030) 文件, 最大 {MAX_UPLOAD_MB} MB、"
            f"{MAX_ROWS:,} 行数据、{MAX_COLUMNS} 列; 表头用中文列名或字段名, "
            "可下载模板 (import-template) 填写")
MODE_DOC = ("导入方式: all_or_nothing 全部或全不 (默认, 任何一行有错都不写入); "
            "dry_run 试运行 (只检查不写入); valid_only 仅导入有效行 (须明确选择)")
JobId = Annotated[int, Path(ge=1, le=MAX_ID, description="导入任务编号")]
BINARY = {"schema": {"type": "string", "format": "binary"}}


def attachment(file_name: str) -> dict[str, str]:
    ascii_name = file_name.encode("ascii", "replace").decode().replace('"', "")
    return {"Content-Disposition":
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name)}"}


def _job_response(view: dict, status_code: int = 200) -> Any:
    return json_response(view, status_code, {"Location": f"/api/v1/imports/{view['id']}"})


def build_router() -> APIRouter:
    router = APIRouter(responses=problem_docs(401, 403))
    for name in service.IMPORTABLE:
        _add_entity_routes(router, crud.REGISTRY[name])

    @router.get(
        "/imports/{job_id}", response_model=ImportJobRead, tags=["导入 imports"],
        summary="导入任务进度与结果 Import job status",
        description="轮询直到 finished 为 true。只能查看自己提交的任务 (管理员可查看全部)。",
        responses=problem_docs(404, 422), operation_id="get_import_job",
    )
    def get_import_job(job_id: JobId, session: SessionDep, caller: CurrentCaller) -> Any:
        return json_response(service.job_view(service.get_job(session, job_id, caller)))

    @router.get(
        "/imports", response_model=list[ImportJobRead], tags=["导入 imports"],
        summary="我的导入任务 My import jobs",
        description="最近的导入任务, 新的在前 (管理员: 所有人的)。",
        responses=problem_docs(422), operation_id="list_import_jobs",
    )
    def list_import_jobs(
        session: SessionDep, caller: CurrentCaller,
        limit: Annotated[int, Query(ge=1, le=100, description="条数")] = 20,
    ) -> Any:
        return json_response([service.job_view(job)
                              for job in service.list_jobs(session, caller, limit)])

    return router


def _add_entity_routes(router: APIRouter, spec: crud.EntitySpec) -> None:
    tags: list[str | Enum] = [f"{spec.label} {spec.label_en}"]
    operation = spec.name.replace("-", "_")

    @router.post(
        f"/{spec.name}/import", response_model=ImportJobRead, status_code=202, tags=tags,
        summary=f"导入{spec.label} Import {spec.label_en}",
        description=(
            f"上传{spec.label}台账 (.xlsx 或 .csv), 每行按与「新建{spec.label}」完全相同的规则校验"
            " (格式、所属关系与网格、管辖范围、唯一性, 包括文件内重复)。返回导入任务: 小文件当场"
            "处理完毕, 大文件在后台处理, 请轮询 `GET /api/v1/imports/{id}` 直到 finished。"
            "错误逐行列出 (行号与 Excel 一致, 列名为文件中的表头)。需要该对象的 create 权限。"),
        responses=problem_docs(413, 415, 422), operation_id=f"import_{operation}",
    )
    def import_file(
        caller: CurrentCaller, db: DatabaseDep, settings: SettingsDep,
        file: Annotated[UploadFile, File(description=FILE_DOC)],
        mode: Annotated[ImportMode, Form(description=MODE_DOC)] = ImportMode.all_or_nothing,
    ) -> Any:
        crud.require(caller, spec, "create")
        content = file.file.read()  # the app's max_body_size stopped a larger one (413)
        view = service.submit(db, spec.name, file.filename or "upload", content, caller, mode,
                              inline_rows=settings.import_inline_rows)
        return _job_response(view, 202)

    @router.get(
        f"/{spec.name}/import-template", tags=tags, response_class=Response,
        summary=f"{spec.label}导入模板 Import template",
        description=("中文表头 (带 * 为必填) 与字段名两行表头、一行示例 (原样保留时导入会跳过); "
                     "xlsx 另有「填写说明」工作表: 必填列、可选值、日期格式。"),
        responses={200: {"description": "模板文件",
                         "content": {tabular.XLSX_MEDIA: BINARY, "text/csv": BINARY}},
                   **problem_docs(422)},
        operation_id=f"import_template_{operation}",
    )
    def import_template(
        caller: CurrentCaller,
        format: Annotated[str, Query(pattern="^(xlsx|csv)$", description="xlsx 或 csv")] = "xlsx",
    ) -> Response:
        crud.require(caller, spec, "create")
        content, media_type, _ = service.template(spec.name, format)
        return Response(content, media_type=media_type,
                        headers=attachment(f"{spec.label}导入模板.{format}"))
