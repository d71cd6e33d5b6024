"""Hot-spot routes beyond the registry's list and detail: acknowledging an alert."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path

from backend.api.deps import CurrentCaller, SessionDep
from backend.api.problems import problem_docs
from backend.api.routes import etag, json_response
from backend.core import crud
from backend.core.db import MAX_ID
from backend.hotspots import service
from backend.hotspots.entities import HOTSPOT_ALERTS
from backend.hotspots.schemas import AcknowledgeBody

router = APIRouter(prefix=f"/{HOTSPOT_ALERTS.name}", tags=["聚集性预警 hotspot alerts"],
                   responses=problem_docs(401, 403, 404))

AlertId = Annotated[int, Path(ge=1, le=MAX_ID, description="预警编号")]


@router.post(
    "/{alert_id}/actions/acknowledge",
    response_model=HOTSPOT_ALERTS.read_schema,
    summary="确认预警 Acknowledge a hotspot alert",
    description="指挥中心确认已掌握并安排处置, 预警结束; 其关联案卷不再计入新的预警。"
                "已确认或已过期的预警返回 409。",
    responses=problem_docs(409, 412, 422),
)
def acknowledge(
    alert_id: AlertId,
    session: SessionDep,
    caller: CurrentCaller,
    body: Annotated[AcknowledgeBody | None,
                    Body(examples=[{"note": "已通知环卫处加密清运"}])] = None,
    if_match: Annotated[str | None, Header(description='乐观锁: 上次读取的 ETag')] = None,
) -> Any:
    alert = crud.get_row(session, HOTSPOT_ALERTS, alert_id, caller, "acknowledge")
    alert = service.acknowledge(session, alert, caller, body.note if body else None, if_match)
    return json_response(crud.show(caller, HOTSPOT_ALERTS, alert), headers=etag(alert))
