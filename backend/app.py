"""create_app(): the one FastAPI application (REST API, admin panel, error handlers)."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from backend.api.errors import install_error_handlers
from backend.api.routes import build_router
from backend.config import Settings, get_settings
from backend.db import Database
from backend.entities import ENTITIES

API_PREFIX = "/api/v1"

DESCRIPTION = """
GridLink 网格联动: 社区网格化管理平台的 REST API。

网格员维护人、房、组织台账并巡查上报; 指挥中心立案、派遣、督办、核查结案; 领导小组查看考核指标。
每个实体都提供列表(筛选、排序、分页、CSV 导出)、新建、详情、修改(乐观锁 ETag/If-Match)与删除。
错误一律以 problem details (application/problem+json) 返回, 并在 `errors` 中指明字段与原因。
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = Database(settings.database_url, echo=settings.sql_echo)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        database.dispose()

    app = FastAPI(
        title="GridLink 网格联动 API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = database
    install_error_handlers(app)

    api = APIRouter(prefix=API_PREFIX)
    for spec in ENTITIES.values():
        api.include_router(build_router(spec))

    @api.get("/health", tags=["系统 system"], summary="健康检查 Health check")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(api)

    from admin.panel import mount_admin

    mount_admin(app, database)
    logging.getLogger(__name__).info("GridLink app created (%s)", database.engine.url.get_backend_name())
    return app
