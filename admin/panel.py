"""The SQLAdmin panel: one scoped view per registered entity, in Chinese first.

Who sees which view, button and row comes from the same Casbin policy and scopes as the API
(`admin/views.py`); writes go through the same CRUD service; logins through the same accounts
and throttling (`admin/auth.py`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.routing import Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send
from sqladmin import Admin

from admin import csrf, i18n
from admin.auth import PanelAuth
from admin.cases import CaseWorkflowView
from admin.ledgers import ExportingView, LedgerView
from admin.views import PolicyAuthorization, view_for
from backend.imports.service import IMPORTABLE
from backend.db import Database
from backend.entities import ENTITIES

TEMPLATES = Path(__file__).parent / "templates"


def mount_admin(app: FastAPI, database: Database, secret_key: str) -> Admin:
    auth = PanelAuth(app, database, secret_key)
    admin = Admin(app, engine=database.engine, title="GridLink 网格联动 管理台", base_url="/admin",
                  authentication_backend=auth, authorization_backend=PolicyAuthorization(),
                  i18n_config=i18n.install(), templates_dir=str(TEMPLATES))
    auth.templates = admin.templates
    admin.templates.env.globals.update(csrf_token=csrf.token, csrf_input=csrf.hidden_input)
    # Logging out is a POST of the confirmation form (SQLAdmin's own route takes only GET,
    # which a page elsewhere could fire with an <img>); the same handler serves both.
    admin.admin.router.routes.append(
        Route("/logout", endpoint=admin.logout, methods=["POST"], name="logout_confirmed"))
    for spec in ENTITIES.values():
        base = (CaseWorkflowView if spec.name == "cases" else
                LedgerView if spec.name in IMPORTABLE else ExportingView)
        admin.add_view(view_for(spec, database, app.state, base))
    for item in admin._menu.items:  # a group with nothing the user may open is not shown
        if item.children:
            item.is_accessible = lambda request, item=item: any(
                child.is_accessible(request) for child in item.children)
    admin.admin.add_middleware(AdminUrls, router=Router(
        routes=[r for r in app.routes if isinstance(r, Mount) and r.app is admin.admin]))
    return admin


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
