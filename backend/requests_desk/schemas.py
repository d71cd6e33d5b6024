"""What clients send for residents' requests (民情)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from backend.core.db import MAX_ID
from backend.core.schemas import CreateSchema
from backend.core.validation import Name, Phone
from backend.ledgers.schemas import GridCode
from backend.requests_desk.models import ErrandKind, RequestKind


class ResidentRequestCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "grid_code": "410602001002007", "resident_id": 1, "requester_name": "刘志强",
        "phone": "13512345678", "content": "楼道灯坏了一周, 老人夜里上下楼不方便",
        "kind": "ordinary"}]})

    grid_code: GridCode
    resident_id: Annotated[int | None, Field(ge=1, le=MAX_ID, title="居民",
                                             description="台账中的居民; 外来人员省略")] = None
    requester_name: Annotated[Name, Field(title="反映人")]
    phone: Phone | None = None
    content: Annotated[str, Field(min_length=1, max_length=5000, title="诉求内容")]
    kind: Annotated[RequestKind, Field(title="事项类别")] = RequestKind.ordinary
    result: Annotated[str | None, Field(
        min_length=1, max_length=5000, title="现场解决结果",
        description="一般事项当场解决的, 写明结果即办结 (解决一件注销一件); "
                    "其余留空, 办结时再填")] = None


class SettleBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    result: Annotated[str, Field(min_length=1, max_length=5000, description="办理结果")]


class ReferBody(BaseModel):
    """转案卷或纠纷: the case or dispute it became, registered first (a link, not a copy)."""

    model_config = ConfigDict(extra="forbid")

    case_id: Annotated[int | None, Field(ge=1, le=MAX_ID, description="转入的案卷")] = None
    dispute_id: Annotated[int | None, Field(ge=1, le=MAX_ID, description="转入的矛盾纠纷")] = None


class ErrandCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "grid_code": "410602001002007", "resident_id": 1, "requester_name": "刘志强",
        "phone": "13512345678", "kind": "pension", "affair": "代办养老保险资格认证",
        "office": "区社保中心"}]})

    grid_code: GridCode
    resident_id: Annotated[int | None, Field(ge=1, le=MAX_ID, title="居民")] = None
    requester_name: Annotated[Name, Field(title="委托人")]
    phone: Phone | None = None
    kind: Annotated[ErrandKind, Field(title="代办类别")] = ErrandKind.other
    affair: Annotated[str, Field(min_length=1, max_length=200, title="代办事项")]
    office: Annotated[str | None, Field(max_length=100, title="办理部门/窗口")] = None


class ErrandStepBody(BaseModel):
    """应答 answer, 办结 finish or 不予代办 decline: what the resident is told."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    progress: Annotated[str, Field(min_length=1, max_length=5000, description="告知委托人的内容")]
