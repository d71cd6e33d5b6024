"""/api/v1/workbench: the user's to-do by deadline, their scope and unread notifications
(backend/workbench/service.py), the panel's home page over HTTP for any client."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from backend.api.deps import CurrentCaller, SessionDep
from backend.api.problems import problem_docs
from backend.api.routes import json_response
from backend.workbench.service import workbench

router = APIRouter(tags=["工作台 workbench"], responses=problem_docs(401))


@router.get("/workbench", summary="我的工作台 My to-do",
            description="待办队列 (每队列: 总数, 最紧迫的 10 条, 及列表查询条件), 本月指标 (领导), "
                        "未读通知, 我的角色与辖区")
def my_workbench(session: SessionDep, caller: CurrentCaller) -> Any:
    return json_response(workbench(session, caller))
