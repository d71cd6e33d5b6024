"""The real app with one thing changed, for the experiments of benchmarks/list_pages.py.

    uvicorn --factory benchmarks.app_variants:create_app

Environment (each optional; with none set this is exactly backend.app:create_app):

- GRIDLINK_BENCH_SQLITE_PRAGMAS="cache_size=-262144;mmap_size=1073741824": more PRAGMAs on
  every new SQLite connection, after the app's own.
- GRIDLINK_BENCH_ASYNC_DEPS=1 (or =light: all but the session): the request dependencies of
  backend.api.deps as `async def` (the app has had async ones since 2026-11-29; this variant's
  session is also closed on the event loop), so FastAPI runs them on the event loop instead of
  sending each to the threadpool (get_db and get_settings_dep only read app.state; get_session only
  creates a Session, which does no I/O until the route's first query; closing it returns the
  connection to the pool, a ROLLBACK on PostgreSQL).
- GRIDLINK_BENCH_CONTROL=1: no change (a restarted, unchanged app to compare with).

Nothing here is used by the app itself.
"""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.orm import Session

if os.environ.get("GRIDLINK_BENCH_ASYNC_DEPS"):
    import backend.api.deps as _deps

    async def _get_db(request: Request):
        return request.app.state.db

    async def _get_settings(request: Request):
        return request.app.state.settings

    async def _get_session(request: Request):
        with request.app.state.db.session() as session:
            yield session

    # Must happen before backend.api.routes is imported: it reads these at import time.
    _deps.DatabaseDep = Annotated[object, Depends(_get_db)]
    _deps.SettingsDep = Annotated[object, Depends(_get_settings)]
    if os.environ["GRIDLINK_BENCH_ASYNC_DEPS"] != "light":  # light: the session stays sync
        _deps.SessionDep = Annotated[Session, Depends(_get_session)]

from backend.app import create_app as _create_app


def create_app():
    app = _create_app()
    pragmas = [p for p in os.environ.get("GRIDLINK_BENCH_SQLITE_PRAGMAS", "").split(";") if p]
    if pragmas:

        @event.listens_for(app.state.db.engine, "connect")
        def _more_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            for pragma in pragmas:
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

    return app
