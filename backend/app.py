"""create_app(): the one entry point, where the parts are put together.

The REST API (backend/api and each domain's router), the admin panel (admin/), Open311
(backend/open311) and the background work every worker runs (policy sync, the deadline tick,
webhook sending) meet here and nowhere else: the core knows none of them, the API not the panel.
"""

from __future__ import annotations

import gc
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

from admin.panel import input_refusal as panel_refusal
from admin.panel import mount_admin
from backend.api.docs import install_docs
from backend.api.input_guard import InputGuard
from backend.api.problems import install_error_handlers
from backend.api.request_id import RequestIdMiddleware
from backend.api.request_size import RequestSizeLimit
from backend.api.routes import build_router
from backend.assessment.router import router as assessment_router
from backend.cases.escalation import TickScheduler
from backend.cases.router import router as case_router
from backend.cases.webhooks import WebhookSender
from backend.core.config import Settings, get_settings
from backend.core.db import Database
from backend.disputes.router import router as dispute_router
from backend.entities import ENTITIES
from backend.fieldwork.router import router as fieldwork_router
from backend.hotspots.router import router as hotspot_router
from backend.identity.policy_release import apply_default_policy
from backend.identity.principals import PrincipalCache
from backend.identity.router import keys as api_keys_router
from backend.identity.router import router as auth_router
from backend.identity.throttle import throttle_for
from backend.imports.router import build_router as build_import_router
from backend.kpi.router import router as kpi_router
from backend.labels.router import router as labels_router
from backend.meetings.router import router as meetings_router
from backend.notifications.router import router as notifications_router
from backend.open311.router import PREFIX as OPEN311_PREFIX
from backend.open311.router import input_refusal as open311_refusal
from backend.open311.router import mount as mount_open311
from backend.requests_desk.router import errands as errands_router
from backend.requests_desk.router import router as requests_router
from backend.team.public import router as public_router
from backend.team.router import router as team_router
from backend.workbench.router import router as workbench_router
from rbac.enforcer import PolicyEngine
from rbac.sync import PolicySync

API_PREFIX = "/api/v1"
log = logging.getLogger(__name__)

DESCRIPTION = """
GridLink 网格联动: 社区网格化管理平台的 REST API。

网格员维护人、房、组织台账并巡查上报; 指挥中心立案、派遣、督办、核查结案; 领导小组查看考核指标。
每个实体都提供列表(筛选、排序、分页、CSV 导出)、新建、详情、修改(乐观锁 ETag/If-Match)与删除。
错误一律以 problem details (application/problem+json) 返回, 并在 `errors` 中指明字段与原因。

认证: `POST /api/v1/auth/token` 取得 Bearer 令牌, 或以 `X-API-Key` 头发送 API 密钥。
每个用户只能看到并操作其授权区域(或部门)内的数据; 无权查看个人信息的角色看到的是脱敏数据。
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = Database(settings.database_url, echo=settings.sql_echo, settings=settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        sync = start_policy(app)
        ticker = TickScheduler(database, app.state.settings.sla_tick_seconds)
        ticker.start()
        # This lifespan's own sender: a second lifespan on the same app (test tools start
        # one) replaces app.state's, and each must still stop the thread it started.
        sender = start_webhooks(app)
        # What start-up made lives as long as the worker: out of the cyclic collector's way.
        # Its full collections otherwise walk all of it again and again (a command-center
        # refresh at a million cases: p95 251 -> 67 ms, benchmarks/RESULTS.md "KPI endpoints").
        gc.collect()
        gc.freeze()
        yield
        if sender is not None:
            sender.stop()
        ticker.stop()
        sync.stop()  # the one this lifespan started, even if another lifespan replaced it
        database.dispose()

    app = FastAPI(
        title="GridLink 网格联动 API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc from install_docs: their assets served from here
        redoc_url=None,
    )
    install_docs(app)
    app.state.settings = settings
    app.state.db = database
    app.state.login_throttle = throttle_for(settings.redis_url)  # the API's and the panel's
    install_error_handlers(app)


    # No control character reaches any route (API, panel, Open311); each part refuses in its
    # own format. Inside the request id's middleware, so that a refusal carries the id too.
    app.add_middleware(InputGuard, responders={OPEN311_PREFIX: open311_refusal,
                                               "/admin": panel_refusal})
    app.add_middleware(RequestSizeLimit)
    app.add_middleware(RequestIdMiddleware)

    # Each router straight into the app under /api/v1, not through an /api/v1 router of their
    # own: FastAPI matches a request by walking included routers, once to match and again to
    # dispatch at every level, so a level less is about half the routing cost of a request.
    routers = [auth_router, api_keys_router,
               case_router,  # before the generic /cases/{id} routes
               # before the generic /{id} routes
               hotspot_router, fieldwork_router, team_router, assessment_router, dispute_router,
               requests_router, errands_router, meetings_router,
               notifications_router, kpi_router, labels_router, workbench_router,
               build_import_router(),  # before the generic /{entity}/{id} routes
               *(build_router(spec) for spec in ENTITIES.values())]
    for router in routers:
        app.include_router(router, prefix=API_PREFIX)

    @app.get(f"{API_PREFIX}/health", tags=["系统 system"], summary="健康检查 Health check")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    # Open311 GeoReport v2 for citizens' apps and partner systems, outside /api/v1: the spec's
    # paths, formats and error bodies, not ours.
    mount_open311(app)
    # The grids' public notices (网格公示): no login, only what is put up on the board.
    app.include_router(public_router)
    mount_admin(app, database, settings.secret_key)
    return app


def start_policy(app: FastAPI) -> PolicySync:
    """Load the policy (with this release's default applied, as `gridlink migrate` does) and
    keep it in sync."""
    database: Database = app.state.db
    apply_default_policy(database, policy_file=app.state.settings.default_policy_file,
                         redis_url=app.state.settings.redis_url)
    engine = PolicyEngine(database)
    app.state.policy = engine
    app.state.principals = PrincipalCache(engine, database, app.state.settings.secret_key)
    app.state.policy_sync = PolicySync(engine, app.state.settings.redis_url,
                                       app.state.settings.policy_poll_seconds)
    app.state.policy_sync.start()
    log.info("policy ready (generation %s, sync via %s)", engine.generation,
             "redis" if app.state.settings.redis_url else "polling")
    return app.state.policy_sync


def start_webhooks(app: FastAPI) -> WebhookSender | None:
    """Send queued webhook deliveries in the background (every worker: claims keep it once)."""
    settings: Settings = app.state.settings
    app.state.webhook_sender = None
    if settings.webhooks_enabled:
        app.state.webhook_sender = WebhookSender(app.state.db, settings.webhook_poll_seconds)
        app.state.webhook_sender.start()
    return app.state.webhook_sender
