"""Errors as JSON problem details (RFC 9457): type, title, status, detail, errors[{field, msg}].

Every error a client can provoke is turned into a 4xx here; a 500 means a bug of ours.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.core.errors import (
    DATABASE_TROUBLE,
    FieldError,
    ProblemError,
    clean_msg,
    database_problem,
    loc_to_field,
)

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


def problem_docs(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, documented as problem details."""
    ref = {"schema": {"$ref": "#/components/schemas/Problem"}}
    return {
        status: {"model": Problem, "description": TITLES[status],
                 "content": {"application/problem+json": ref}}
        for status in statuses
    }


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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(_request: Request, exc: ProblemError):
        return problem_response(exc.status, exc.detail, exc.errors, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError):
        errors = [FieldError(loc_to_field(tuple(e["loc"])), clean_msg(e["msg"]))
                  for e in exc.errors()]
        detail = "; ".join(f"{e.field}: {e.msg}" for e in errors)
        return problem_response(422, detail, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException):
        return problem_response(exc.status_code, str(exc.detail), None,
                                getattr(exc, "headers", None))

    # Answered here, not as a 500: an unexpected error also makes uvicorn close the connection
    # (Starlette re-raises it for the server to log), and a client's next request on that
    # kept-alive connection then meets "connection reset by peer".
    async def _database(_request: Request, exc: Exception):
        problem = database_problem(exc)
        if problem is None:
            raise exc
        log.log(logging.WARNING if problem.status == 503 else logging.INFO, "%s: %s",
                type(exc).__name__, getattr(exc, "orig", exc))
        return problem_response(problem.status, problem.detail, None, problem.headers)

    for trouble in DATABASE_TROUBLE:
        app.add_exception_handler(trouble, _database)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception):
        log.exception("unhandled error", exc_info=exc)
        return problem_response(500, "服务器内部错误")
