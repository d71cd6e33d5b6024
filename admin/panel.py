"""The SQLAdmin panel: one scoped view per registered entity, in Chinese first.

Who sees which view, button and row comes from the same Casbin policy and scopes as the API
(`admin/views.py`); writes go through the same CRUD service; logins through the same accounts
and throttling (`admin/auth.py`).
"""

from __future__ import annotations

from functools import partial
from html import escape
from pathlib import Path

from fastapi import FastAPI
from sqladmin._menu import ItemMenu
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from admin import csrf, i18n
from admin.assessment import AssessmentEntryView
from admin.auth import PanelAuth
from admin.cases import CaseWorkflowView
from admin.disputes import DisputeWorkflowView
from admin.fieldwork import WorkLogView
from admin.home import PanelAdmin, row_title
from admin.ledgers import ExportingView, LedgerView
from admin.steps import DESKS, DeskStepView
from admin.views import PolicyAuthorization, view_for
from backend.core.db import Database
from backend.core.errors import DATABASE_TROUBLE, FieldError, database_problem
from backend.entities import ENTITIES
from backend.imports.service import IMPORTABLE

TEMPLATES = Path(__file__).parent / "templates"


def any_child_accessible(item: ItemMenu, request: Request) -> bool:
    return any(child.is_accessible(request) for child in item.children)


def mount_admin(app: FastAPI, database: Database, secret_key: str) -> PanelAdmin:
    auth = PanelAuth(app, database, secret_key)
    admin = PanelAdmin(app, engine=database.engine, title="GridLink 网格联动 管理台",
                       base_url="/admin", authentication_backend=auth,
                       authorization_backend=PolicyAuthorization(), i18n_config=i18n.install(),
                       templates_dir=str(TEMPLATES))
    admin.database = database
    auth.templates = admin.templates
    admin.templates.env.globals.update(csrf_token=csrf.token, csrf_input=csrf.hidden_input,
                                       ui_lang=i18n.html_lang, row_title=row_title)
    # Logging out is a POST of the confirmation form (SQLAdmin's own route takes only GET,
    # which a page elsewhere could fire with an <img>); the same handler serves both.
    admin.admin.router.routes.append(
        Route("/logout", endpoint=admin.logout, methods=["POST"], name="logout_confirmed"))
    admin.admin.router.routes.append(Route("/notifications/read", endpoint=admin.read_notifications,
                                           methods=["POST"], name="read_notifications"))
    admin.admin.router.routes.append(Route("/coverage", endpoint=admin.coverage,
                                           methods=["GET"], name="coverage"))
    for spec in ENTITIES.values():
        base = (CaseWorkflowView if spec.name == "cases" else
                DisputeWorkflowView if spec.name == "disputes" else
                DeskStepView if spec.name in DESKS else
                WorkLogView if spec.name == "work-logs" else
                AssessmentEntryView if spec.name == "assessment-entries" else
                LedgerView if spec.name in IMPORTABLE else ExportingView)
        admin.add_view(view_for(spec, database, app.state, base))
    for item in admin._menu.items:  # a group with nothing the user may open is not shown
        if item.children:
            # SQLAdmin has no setting for this: the group's own method is replaced.
            item.is_accessible = partial(any_child_accessible, item)  # type: ignore[method-assign]
    for trouble in DATABASE_TROUBLE:
        admin.admin.add_exception_handler(trouble, database_trouble_page)
    admin.admin.add_middleware(AdminUrls, router=Router(
        routes=[r for r in app.routes if isinstance(r, Mount) and r.app is admin.admin]))
    return admin


def input_refusal(_scope: Scope, _status: int, errors: list[FieldError]) -> HTMLResponse:
    """The input guard's refusal (backend/api/input_guard.py) as a page: 400, like the
    panel's other bad forms. A plain page: the panel's templates need the panel's request."""
    items = "".join(f"<li><code>{escape(e.field)}</code>: {escape(e.msg)}</li>" for e in errors)
    return HTMLResponse(
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
        "<title>请求无效 Bad Request</title><h1>请求无效 Bad Request</h1>"
        f"<p>以下内容含有不允许的控制字符, 请返回修改后重试:</p><ul>{items}</ul></html>", 400)


def database_trouble_page(_request: Request, exc: Exception) -> HTMLResponse:
    """A busy or conflicting database on the panel's own routes, as the API says it (503 with
    Retry-After, 409, 412), not a 500 page: the panel is a Starlette app of its own, out of
    the API's handlers' reach. (Forms' writes report it above the form: views._write.)"""
    problem = database_problem(exc)
    if problem is None:
        raise exc
    return HTMLResponse(
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
        f"<title>{escape(problem.detail)}</title><h1>未能完成</h1><p>{escape(problem.detail)}</p>"
        "</html>", problem.status, headers=problem.headers)


class AdminUrls:
    """Resolves the panel's `url_for` against the panel's own routes.

    Templates call `url_for` a few hundred times per list page; through the API's router
    each call walks every API route first (~0.7 ms each with FastAPI's route contexts: about
    100 ms a page at 50 rows, benchmarks/RESULTS.md). The panel names only its own routes.
    """

    def __init__(self, app: ASGIApp, router: Router) -> None:
        self.app, self.router = app, router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["router"] = self.router
        await self.app(scope, receive, send)
