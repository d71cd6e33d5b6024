"""Logging in to the panel with the API's accounts, passwords and login throttling.

Until the panel is scoped row by row (its own issue), only administrators with the whole
system in scope may enter: a panel that showed everything to everyone would leak.
"""

from __future__ import annotations

from sqladmin.authentication import AuthenticationBackend
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from backend.api.errors import ProblemError
from backend.db import Database
from backend.identity import security, service
from backend.identity.service import load_principal
from backend.identity.models import User


class PanelAuth(AuthenticationBackend):
    def __init__(self, app, database: Database, secret_key: str) -> None:
        super().__init__(secret_key=secret_key, session_cookie="gridlink_admin",
                         same_site="lax", https_only=False, max_age=8 * 3600)
        self.app = app  # the API's app, whose policy and principals the panel shares
        self.database = database

    def _may_enter(self, session, user: User, request: Request) -> bool:
        principal = load_principal(session, self.app.state.policy, user)
        return any(g.role == "admin" and g.is_global for g in principal.grants)

    def _login(self, request: Request, username: str, password: str) -> dict | None:
        client = request.client.host if request.client else None
        with self.database.session() as session:
            try:
                user = service.authenticate(session, username, password, client)
            except ProblemError:
                return None
            if not self._may_enter(session, user, request):
                return None
            return {"user_id": user.id,
                    "stamp": security.account_stamp(user.password_hash, user.is_active)}

    async def login(self, request: Request) -> bool:
        form = await request.form()
        identity = await run_in_threadpool(
            self._login, request, str(form.get("username", "")), str(form.get("password", "")))
        if identity is None:
            return False
        request.session.update(identity)
        return True

    async def logout(self, request: Request) -> bool:
        request.session.clear()
        return True

    def _still_valid(self, request: Request, user_id: int, stamp: str) -> bool:
        with self.database.session() as session:
            user = session.get(User, user_id)
            return (user is not None and user.is_active
                    and security.account_stamp(user.password_hash, user.is_active) == stamp
                    and self._may_enter(session, user, request))

    async def authenticate(self, request: Request) -> bool:
        user_id, stamp = request.session.get("user_id"), request.session.get("stamp")
        if not isinstance(user_id, int) or not isinstance(stamp, str):
            return False
        return await run_in_threadpool(self._still_valid, request, user_id, stamp)
