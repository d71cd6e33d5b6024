"""Forged requests: the panel acts only on requests its own pages made.

The session cookie is SameSite=Lax, and the browser sends it along with a form that a page on
another port of the same host (the dashboards, :8501) posts to the panel: ports do not make
another site. So every unsafe request (POST, PUT, PATCH, DELETE) to /admin, the login
included, must pass two checks:

- it carries the session's token: a random value kept in the signed session cookie, rendered
  into every form the panel shows (`csrf_token` field) and sent by the panel's script as the
  `X-CSRF-Token` header (SQLAdmin's delete is an AJAX call), compared in constant time. Another
  page cannot read it, whichever site it is on.
- the browser does not say it came from elsewhere: an `Origin` other than the panel's own
  (scheme, host and port: the dashboards' port is another origin) or a `Sec-Fetch-Site` other
  than same-origin is refused, token or not. Clients that send neither (scripts, old browsers)
  rely on the token alone.

A refused request is answered 403 before anything runs, so nothing is written. Behind a TLS
proxy the panel's own origin is the Host header and scheme it sees: forward the Host and run
uvicorn with --proxy-headers.
"""

from __future__ import annotations

import hmac
import secrets
from contextvars import ContextVar
from urllib.parse import urlsplit

from markupsafe import Markup
from starlette.requests import Request

from admin.i18n import say

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SESSION_KEY = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
DEFAULT_PORTS = {"http": 80, "https": 443}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

# The token of the request being served, for the form macro, which is called without it.
_request_token: ContextVar[str] = ContextVar("gridlink_csrf_token", default="")


def token(request: Request) -> str:
    """The session's token, made on first use (a new login starts a new session, so a new one)."""
    if "session" not in request.scope:
        return ""
    value = request.session.get(SESSION_KEY)
    if not isinstance(value, str) or len(value) < 32:
        value = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = value
    _request_token.set(value)
    return value


def hidden_input(request: Request | None = None) -> Markup:
    """The form field that carries the token (of `request`, or of the request being served)."""
    value = token(request) if request is not None else _request_token.get()
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, value)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        port = -1  # not a port: no origin of ours
    return scheme, (parts.hostname or "").lower(), port


def came_from_elsewhere(request: Request) -> bool:
    """What the browser says about where the request came from, when it says anything."""
    origin = request.headers.get("origin")
    if origin is not None and _origin(origin) != _origin(str(request.base_url)):
        return True  # includes "null": sandboxed frames, file:// pages
    site = request.headers.get("sec-fetch-site")
    return site is not None and site not in ("same-origin", "none")


async def presented_token(request: Request) -> str:
    given = request.headers.get(HEADER)
    if given:
        return given
    if request.headers.get("content-type", "").split(";")[0].strip() in FORM_TYPES:
        # Parsed once: the route reads the same parsed form from the request afterwards.
        value = (await request.form()).get(FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def refusal(request: Request) -> str | None:
    """Why this request is refused as possibly forged, or None when it may go on."""
    if request.method in SAFE_METHODS:
        return None
    if came_from_elsewhere(request):
        return say("请求来自管理台以外的页面, 已拒绝。请在管理台页面上操作。",
                   "Refused: the request came from a page outside the panel. "
                   "Please use the panel's pages.")
    expected = request.session.get(SESSION_KEY) if "session" in request.scope else None
    given = await presented_token(request)
    if not isinstance(expected, str) or not hmac.compare_digest(given.encode(), expected.encode()):
        return say("页面已过期或请求无法验证, 已拒绝。请刷新页面后重试。",
                   "Refused: the page has expired or the request could not be verified. "
                   "Reload the page and try again.")
    return None
