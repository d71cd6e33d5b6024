"""Field-work routes beyond CRUD: a patrol walked live from a phone, a work log's review."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from backend.api.deps import CurrentCaller, SessionDep
from backend.api.problems import problem_docs
from backend.api.routes import etag, json_response
from backend.core import crud
from backend.core.db import MAX_ID
from backend.fieldwork import service
from backend.fieldwork.entities import PATROLS, WORK_LOGS
from backend.fieldwork.schemas import PatrolFinish, PatrolStart, PatrolTrack, WorkLogReview

router = APIRouter(tags=["巡查走访 field work"], responses=problem_docs(401, 403, 404, 422))

PatrolId = Annotated[int, Path(ge=1, le=MAX_ID, description="巡查记录编号")]
WorkLogId = Annotated[int, Path(ge=1, le=MAX_ID, description="工作日志编号")]


@router.post("/patrols/start", status_code=201, response_model=PATROLS.read_schema,
             summary="开始巡查 Start a patrol",
             description="开始时间为现在; 巡查人省略时为当前账号在该网格的工作人员。"
                         "同一人有未结束的巡查时返回 409。巡查中上报案卷时带上 patrol_id。",
             responses=problem_docs(409))
def start_patrol(body: PatrolStart, session: SessionDep, caller: CurrentCaller) -> Any:
    patrol = service.start_patrol(session, body, caller)
    return json_response(crud.show(caller, PATROLS, patrol), status_code=201,
                         headers=etag(patrol))


@router.post("/patrols/{patrol_id}/track", response_model=PATROLS.read_schema,
             summary="上传巡查轨迹 Add track points",
             description="本次上传的轨迹点 (按时间顺序) 接在已有轨迹之后; "
                         "只能上传本人未结束的巡查。",
             responses=problem_docs(409))
def track_patrol(patrol_id: PatrolId, body: PatrolTrack, session: SessionDep,
                 caller: CurrentCaller) -> Any:
    patrol = service.track_patrol(session, patrol_id, body, caller)
    return json_response(crud.show(caller, PATROLS, patrol), headers=etag(patrol))


@router.post("/patrols/{patrol_id}/finish", response_model=PATROLS.read_schema,
             summary="结束巡查 Finish a patrol",
             description="结束时间为现在; 里程省略时按轨迹计算, "
                         "发现问题数省略时为巡查中上报的案卷数。",
             responses=problem_docs(409))
def finish_patrol(patrol_id: PatrolId, body: PatrolFinish, session: SessionDep,
                  caller: CurrentCaller) -> Any:
    patrol = service.finish_patrol(session, patrol_id, body, caller)
    return json_response(crud.show(caller, PATROLS, patrol), headers=etag(patrol))


@router.post("/work-logs/{log_id}/review", response_model=WORK_LOGS.read_schema,
             summary="审阅工作日志 Review a work log",
             description="社区书记审阅本社区网格工作人员的日志: 通过, 或退回 (须写意见); "
                         "退回的日志由记录人修改后即重新提交。",
             responses=problem_docs(409))
def review_work_log(log_id: WorkLogId, body: WorkLogReview, session: SessionDep,
                    caller: CurrentCaller) -> Any:
    log = service.review_work_log(session, log_id, body, caller)
    return json_response(crud.show(caller, WORK_LOGS, log), headers=etag(log))
