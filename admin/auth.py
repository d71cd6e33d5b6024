"""Logging in to the panel with the API's accounts, passwords and login throttling.

The session cookie holds only the user id and the account stamp (a digest of the password
hash and the active flag): changing a password or disabling the account ends every panel
session at its next request, as it does for API tokens. Each request resolves the user to the
same `Principal` the API uses (and the same per-process cache), so the panel can never grant
more than the policy does. The same hook refuses forged writes (admin/csrf.py), and logging out
is a confirmed POST, so another page cannot log the user out either.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqladmin.authentication import AuthenticationBackend
from sqladmin.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin import csrf
from admin.i18n import english
from backend.audit.writer import Actor
from backend.core.crud import Caller
from backend.core.db import Database
from backend.core.errors import ProblemError
from backend.identity import security, service
from rbac.scope import Principal

SESSION_COOKIE = "gridlink_admin"


@dataclass(frozen=True)
class PanelUser:
    principal: Principal
    caller: Caller
    # Names of the codes and ids this request's page shows (admin/names.py), looked up once.
    names: dict[Any, Any] = field(default_factory=dict, compare=False)


# The user of the request being served. SQLAdmin calls some hooks without the request (form
# scaffolding, value formatting, the delete lookup); they read it from here. It is set by
# `authenticate`, which SQLAdmin awaits at the start of every protected route.
_current: ContextVar[PanelUser | None] = ContextVar("gridlink_panel_user", default=None)


def current_user() -> PanelUser:
    user = _current.get()
    if user is None:  # a hook ran outside an authenticated request: refuse, never fall open
        raise ProblemError(401, "请先登录管理台")
    return user


class SecureCookieOverHttps:
    """Adds `Secure` to the session cookie when the request came over HTTPS (behind a proxy,
    run uvicorn with --proxy-headers), so the same deployment works on http://localhost."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("scheme") != "https":
            await self.app(scope, receive, send)
            return

        async def send_secure(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                cookies = headers.getlist("set-cookie")
                if cookies:
                    del headers["set-cookie"]
                    for cookie in cookies:
                        secure = (cookie.startswith(SESSION_COOKIE)
                                  and "secure" not in cookie.lower())
                        headers.append("set-cookie", f"{cookie}; Secure" if secure else cookie)
            await send(message)

        await self.app(scope, receive, send_secure)


class PanelAuth(AuthenticationBackend):
    # Pages for lockout, logout and refusals: set by mount_admin (SQLAdmin makes its templates
    # after this backend).
    templates: Jinja2Templates

    def __init__(self, app, database: Database, secret_key: str) -> None:
        super().__init__(secret_key=secret_key)
        # Our own session settings: HttpOnly (Starlette's default), SameSite=Lax, 8 hours.

        self.middlewares = [
            Middleware(SecureCookieOverHttps),
            Middleware(SessionMiddleware, secret_key=secret_key, session_cookie=SESSION_COOKIE,
                       same_site="lax", https_only=False, max_age=8 * 3600),
        ]
        self.app = app  # the API's app, whose policy and principal cache the panel shares
        self.database = database

    def _login(self, username: str, password: str) -> dict:
        with self.database.session() as session:
            user = service.authenticate(session, self.app.state.login_throttle, username, password)
            principal = service.load_principal(session, self.app.state.policy, user)
            if not principal.grants:
                raise ProblemError(403, "该账号没有任何角色, 请联系管理员授权")
            return {"user_id": user.id,
                    "stamp": security.account_stamp(user.password_hash, user.is_active)}

    async def login(self, request: Request):
        refused = await csrf.refusal(request)  # logging someone in to an account not theirs
        if refused is not None:
            return await self.templates.TemplateResponse(
                request, "sqladmin/login.html", {"error": refused}, status_code=403)
        form = await request.form()
        try:
            identity = await run_in_threadpool(
                self._login, str(form.get("username", "")), str(form.get("password", "")))
        except ProblemError as exc:
            if exc.status == 401:
                return False  # SQLAdmin's own "invalid credentials": no hint which part was wrong
            # Locked out (429) or no role (403): say so, rather than "wrong password".
            return await self.templates.TemplateResponse(
                request, "sqladmin/login.html", {"error": exc.detail}, status_code=exc.status)
        request.session.clear()  # a new session: a new CSRF token too
        request.session.update(identity)
        return True

    async def logout(self, request: Request):
        """The sidebar's link (GET) asks to confirm; the confirmation (POST) logs out."""
        if request.method != "POST":
            if request.session.get("user_id") is None:
                return False  # nobody to log out: to the login page
            return await self.templates.TemplateResponse(request, "gridlink/logout.html",
                                                         {"english": english()})
        refused = await csrf.refusal(request)
        if refused is not None:
            return await self._refused(request, refused)
        request.session.clear()
        _current.set(None)
        return True

    async def _refused(self, request: Request, reason: str) -> Response:
        return await self.templates.TemplateResponse(
            request, "sqladmin/error.html", {"status_code": 403, "message": reason},
            status_code=403)

    async def authenticate(self, request: Request) -> bool | Response:
        user_id, stamp = request.session.get("user_id"), request.session.get("stamp")
        if not isinstance(user_id, int) or not isinstance(stamp, str):
            return False
        principals = self.app.state.principals
        known, principal = principals.cached_for_user(user_id, stamp)
        if not known:
            principal = await run_in_threadpool(principals.load_for_user, user_id, stamp)
        if principal is None or not principal.grants:
            request.session.clear()
            return False
        client = request.client.host if request.client else None
        request_id = getattr(request.state, "request_id", None)
        actor = Actor(principal.username, request_id, client)
        user = PanelUser(principal, Caller(principal, actor))
        request.state.panel_user = user
        _current.set(user)
        csrf.token(request)  # for the forms this request renders
        # Every protected route, SQLAdmin's and ours, starts here: the one place that refuses
        # forged writes before they run.
        refused = await csrf.refusal(request)
        return True if refused is None else await self._refused(request, refused)

    async def get_user_id(self, request: Request) -> str | None:
        user_id = request.session.get("user_id")
        return str(user_id) if user_id is not None else None
