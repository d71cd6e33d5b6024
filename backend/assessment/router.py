"""/api/v1/assessments: run a scheme over a period, read a run's ranking, finalize it, export
it as printed; the evidence of a hand score or veto.

The runs and scores are also plain read-only entities (/api/v1/assessment-runs,
/api/v1/assessment-scores: filters, sorting, CSV), the schemes, items and hand scores
editable ones; how a run computes: backend/assessment/service.py.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Path, Response, UploadFile
from sqlalchemy.orm import Session

from backend.api.deps import CurrentCaller, SessionDep, SettingsDep
from backend.api.problems import problem_docs
from backend.api.routes import etag, json_response
from backend.assessment import evidence, export, service
from backend.assessment.entities import ASSESSMENT_ENTRIES, ASSESSMENT_RUNS
from backend.assessment.models import AssessmentRun
from backend.assessment.schemas import AssessmentRunCreate
from backend.cases.router import photo_response
from backend.core import crud
from backend.core.db import MAX_ID
from backend.core.errors import ProblemError
from backend.core.images import MAX_PHOTO_BYTES, MAX_PHOTO_MB
from backend.spreadsheets.tabular import XLSX_MEDIA

router = APIRouter(prefix="/assessments", tags=["考核 assessment"],
                   responses=problem_docs(401, 403, 404, 422))

RunId = Annotated[int, Path(ge=1, le=MAX_ID, description="考核批次编号")]
EntryId = Annotated[int, Path(ge=1, le=MAX_ID, description="考核评分录入编号")]


def _run_with_ranking(session: Session, run: AssessmentRun, caller: crud.Caller
                      ) -> dict[str, Any]:
    return crud.show(caller, ASSESSMENT_RUNS, run) | {
        "scores": service.ranking(session, run, caller)}


@router.post("/runs", status_code=201, summary="发起考核 Run an assessment",
             description="按考核方案计算一个考核期 (月、季度、年) 内辖区各考核对象的得分、"
                         "等级与名次, 存为草稿批次; 返回批次及排名。同一考核期再次计算生成"
                         "新批次, changes 列出与上一批次的差异。")
def run_assessment(body: AssessmentRunCreate, session: SessionDep,
                   caller: CurrentCaller) -> Any:
    run = service.start_run(session, body, caller)
    return json_response(_run_with_ranking(session, run, caller), status_code=201)


@router.get("/runs/{run_id}", summary="考核结果 A run and its ranking",
            description="批次信息及得分排名 (名次、各项得分、总分、等级、否决理由), "
                        "只含本人可见的考核对象。")
def read_run(run_id: RunId, session: SessionDep, caller: CurrentCaller) -> Any:
    run = service.get_run(session, run_id, caller)
    return json_response(_run_with_ranking(session, run, caller))


@router.post("/runs/{run_id}/finalize", summary="定稿 Finalize a run",
             description="考核期结束后, 草稿批次定稿为该期结果; 定稿后不再改变。",
             responses=problem_docs(409))
def finalize_run(run_id: RunId, session: SessionDep, caller: CurrentCaller) -> Any:
    run = service.finalize(session, run_id, caller)
    return json_response(_run_with_ranking(session, run, caller))


@router.get("/runs/{run_id}/export.xlsx", summary="导出考核结果 A run as printed (xlsx)",
            description="按打印格式导出: 名次、考核对象、各项得分、总分、等级、否决理由; "
                        "只含本人可见的考核对象。",
            response_class=Response,
            responses={200: {"content": {XLSX_MEDIA: {"schema": {"type": "string",
                                                              "format": "binary"}}}}})
def export_run(run_id: RunId, session: SessionDep, caller: CurrentCaller) -> Response:
    run = service.get_run(session, run_id, caller, "export")
    content = export.run_xlsx(run, service.area_name(session, run.area_code),
                              service.ranking(session, run, caller))
    name = export.file_name(run)
    return Response(content, media_type=XLSX_MEDIA, headers={
        "Content-Disposition": f"attachment; filename=\"assessment-{run.id}.xlsx\"; "
                               f"filename*=UTF-8''{quote(name)}"})


@router.post("/entries/{entry_id}/evidence", summary="上传佐证材料 Attach evidence",
             description=f"人工评分或一票否决的佐证照片 (JPEG、PNG 或 WebP, 最大 {MAX_PHOTO_MB} "
                         "MB; 存储时去除 EXIF), 替换原有的; 需要修改该录入的权限。",
             responses=problem_docs(413))
def upload_evidence(entry_id: EntryId, session: SessionDep, caller: CurrentCaller,
                    settings: SettingsDep,
                    file: Annotated[UploadFile, File(description="佐证照片")]) -> Any:
    entry = crud.get_row(session, ASSESSMENT_ENTRIES, entry_id, caller, "update")
    evidence.attach(session, entry, file.file.read(MAX_PHOTO_BYTES + 1), settings.upload_dir,
                    caller, field="file")
    return json_response(crud.show(caller, ASSESSMENT_ENTRIES, entry), headers=etag(entry))


@router.get("/entries/{entry_id}/evidence", summary="佐证材料 The evidence of an entry",
            response_class=Response, responses=problem_docs(404))
def read_evidence(entry_id: EntryId, session: SessionDep, caller: CurrentCaller,
                  settings: SettingsDep) -> Any:
    entry = crud.get_row(session, ASSESSMENT_ENTRIES, entry_id, caller)
    path = evidence.stored(settings.upload_dir, entry)
    if path is None:
        raise ProblemError(404, f"考核评分录入 {entry_id} 没有佐证材料")
    return photo_response(path)
