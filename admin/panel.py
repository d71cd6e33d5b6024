"""The SQLAdmin panel: one view per registered entity, labelled in Chinese.

Thin for now and read-only: until the panel writes through the same CRUD service as the API
(with its validation, scope and audit), it must not be a second, unchecked way to write.
Role scoping, forms, workflow actions and import/export come with the admin-panel issue.
"""

from __future__ import annotations

from fastapi import FastAPI
from sqladmin import Admin, ModelView

from admin.auth import PanelAuth
from backend.api.schemas import column_label
from backend.db import Database
from backend.entities import ENTITIES


def _view_for(spec) -> type[ModelView]:
    model = spec.model
    columns = list(model.__table__.columns)
    attrs = {
        "name": spec.label,
        "name_plural": spec.label,
        "column_list": [c.name for c in columns][:8],
        "column_labels": {c.name: column_label(c) for c in columns},
        "column_searchable_list": [c.name for c in columns if c.name in ("name", "code", "title")],
        "column_default_sort": [("id", True)],
        "page_size": 50,
        "can_create": False,
        "can_edit": False,
        "can_delete": False,
    }
    return type(f"{model.__name__}Admin", (ModelView,), attrs, model=model)


def mount_admin(app: FastAPI, database: Database, secret_key: str) -> Admin:
    admin = Admin(app, engine=database.engine, title="GridLink 网格联动 管理台", base_url="/admin",
                  authentication_backend=PanelAuth(app, database, secret_key))
    for spec in ENTITIES.values():
        if spec.hidden or spec.pii:
            continue  # accounts and personal data wait for the scoped, masked panel
        admin.add_view(_view_for(spec))
    return admin
