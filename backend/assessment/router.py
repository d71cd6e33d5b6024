"""/api/v1/assessments: run a scheme over a period, read a run's ranking, finalize it.

The runs and scores are also plain read-only entities (/api/v1/assessment-runs,
/api/v1/assessment-scores: filters, sorting, CSV), the schemes, items and hand scores
editable ones; how a run computes: backend/assessment/service.py.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy.orm import Session

from backend.api.deps import CurrentCaller, SessionDep
from backend.api.problems import problem_docs
from backend.api.routes import json_response
from backend.assessment import service
from backend.assessment.entities import ASSESSMENT_RUNS
from backend.assessment.models import AssessmentRun
from backend.assessment.schemas import AssessmentRunCreate
from backend.core import crud
from backend.core.db import MAX_ID

router = APIRouter(prefix="/assessments", tags=["考核 assessment"],
                   responses=problem_docs(401, 403, 404, 422))

RunId = Annotated[int, Path(ge=1, le=MAX_ID, description="考核批次编号")]


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
