"""Errors as JSON problem details (RFC 9457): type, title, status, detail, errors[{field, msg}].

Every error a client can provoke is turned into a 4xx here; a 500 means a bug of ours.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from fastapi import FastAPI, Request
from pydantic import BaseModel, Field
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

TITLES = {
    400: "请求参数错误 Bad Request",
    401: "未认证 Unauthorized",
    403: "无权操作 Forbidden",
    404: "未找到 Not Found",
    405: "方法不允许 Method Not Allowed",
    409: "冲突 Conflict",
    412: "数据已被修改 Precondition Failed",
    413: "内容过大 Content Too Large",
    415: "不支持的媒体类型 Unsupported Media Type",
    422: "数据校验失败 Unprocessable Entity",
    428: "缺少前置条件 Precondition Required",
    429: "请求过多 Too Many Requests",
    500: "服务器内部错误 Internal Server Error",
    503: "服务暂不可用 Service Unavailable",
}

# How long a client is told to wait after a 503 (seconds).
RETRY_AFTER_S = 5


def database_busy(exc: OperationalError) -> bool:
    """SQLite's one write lock stayed taken for the whole busy timeout (backend/db.py)."""
    message = str(exc.orig).lower()
    return "database is locked" in message or "database table is locked" in message


class ProblemFieldError(BaseModel):
    field: str = Field(description="出错的字段 (query 参数名或 JSON 路径)")
    msg: str = Field(description="原因")


class Problem(BaseModel):
    """The body of every error answer (application/problem+json)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[ProblemFieldError] | None = None


def problem_docs(*statuses: int) -> dict[int, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, documented as problem details."""
    ref = {"schema": {"$ref": "#/components/schemas/Problem"}}
    return {
        status: {"model": Problem, "description": TITLES[status],
                 "content": {"application/problem+json": ref}}
        for status in statuses
    }


@dataclass
class FieldError:
    field: str
    msg: str


@dataclass
class ProblemError(Exception):
    """Raise anywhere in a request to answer with a problem document."""

    status: int
    detail: str
    errors: list[FieldError] = dataclass_field(default_factory=list)
    headers: dict[str, str] | None = None

    def __str__(self) -> str:
        return f"{self.status}: {self.detail}"


def field_error(status: int, field_name: str, msg: str) -> ProblemError:
    return ProblemError(status, f"{field_name}: {msg}", [FieldError(field_name, msg)])


def not_found(entity_label: str, key: Any) -> ProblemError:
    return ProblemError(404, f"{entity_label} {key} 不存在")


def problem_response(
    status: int, detail: str, errors: list[FieldError] | None = None, headers=None
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = [{"field": e.field, "msg": e.msg} for e in errors]
    return JSONResponse(body, status_code=status, headers=headers,
                        media_type="application/problem+json")


def _loc_to_field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _clean_msg(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def invalid_input(errors: list[dict[str, Any]]) -> ProblemError:
    """A 422 naming every field a pydantic validation refused (`ValidationError.errors()`)."""
    fields = [FieldError(_loc_to_field(tuple(e["loc"])), _clean_msg(e["msg"])) for e in errors]
    return ProblemError(422, "; ".join(f"{e.field}: {e.msg}" for e in fields), fields)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(_request: Request, exc: ProblemError):
        return problem_response(exc.status, exc.detail, exc.errors, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError):
        errors = [FieldError(_loc_to_field(tuple(e["loc"])), _clean_msg(e["msg"]))
                  for e in exc.errors()]
        detail = "; ".join(f"{e.field}: {e.msg}" for e in errors)
        return problem_response(422, detail, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException):
        return problem_response(exc.status_code, str(exc.detail), None,
                                getattr(exc, "headers", None))

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, exc: IntegrityError):
        # Pre-checks name the field in the ordinary case; this is the race between two writers.
        log.info("integrity error: %s", exc.orig)
        return problem_response(409, "数据冲突: 违反唯一性或关联约束, 未写入任何数据")

    # Answered here, not as a 500: an unexpected error also makes uvicorn close the connection
    # (Starlette re-raises it for the server to log), and a client's next request on that
    # kept-alive connection then meets "connection reset by peer".
    @app.exception_handler(OperationalError)
    async def _operational(_request: Request, exc: OperationalError):
        if not database_busy(exc):
            raise exc
        log.warning("database busy: %s", exc.orig)
        return problem_response(503, "数据库繁忙 (正在写入大量数据), 未写入任何数据; 请稍后重试",
                                headers={"Retry-After": str(RETRY_AFTER_S)})

    @app.exception_handler(PoolTimeoutError)
    async def _pool_exhausted(_request: Request, exc: PoolTimeoutError):
        log.warning("database connections exhausted: %s", exc)
        return problem_response(503, "服务繁忙, 请稍后重试",
                                headers={"Retry-After": str(RETRY_AFTER_S)})

    @app.exception_handler(StaleDataError)
    async def _stale(_request: Request, _exc: StaleDataError):
        return problem_response(412, "记录已被他人修改, 请刷新后重试")

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception):
        log.exception("unhandled error", exc_info=exc)
        return problem_response(500, "服务器内部错误")
