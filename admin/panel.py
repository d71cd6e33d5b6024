"""The SQLAdmin panel: one scoped view per registered entity, in Chinese first.

Who sees which view, button and row comes from the same Casbin policy and scopes as the API
(`admin/views.py`); writes go through the same CRUD service; logins through the same accounts
and throttling (`admin/auth.py`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sqladmin import Admin

from admin import i18n
from admin.auth import PanelAuth
from admin.cases import CaseWorkflowView
from admin.views import EntityView, PolicyAuthorization, view_for
from backend.db import Database
from backend.entities import ENTITIES

TEMPLATES = Path(__file__).parent / "templates"


def mount_admin(app: FastAPI, database: Database, secret_key: str) -> Admin:
    auth = PanelAuth(app, database, secret_key)
    admin = Admin(app, engine=database.engine, title="GridLink 网格联动 管理台", base_url="/admin",
                  authentication_backend=auth, authorization_backend=PolicyAuthorization(),
                  i18n_config=i18n.install(), templates_dir=str(TEMPLATES))
    auth.templates = admin.templates
    for spec in ENTITIES.values():
        base = CaseWorkflowView if spec.name == "cases" else EntityView
        admin.add_view(view_for(spec, database, base))
    for item in admin._menu.items:  # a group with nothing the user may open is not shown
        if item.children:
            item.is_accessible = lambda request, item=item: any(
                child.is_accessible(request) for child in item.children)
    return admin
