"""Every request gets an id, carried into the audit log and echoed in the response."""

from __future__ import annotations

import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RequestIdMiddleware:
    """Every request gets an id (the client's X-Request-ID, or a new one), carried into the
    audit log and echoed in the response, so that a log line and an audit entry can be matched.

    Plain ASGI: `@app.middleware("http")` (BaseHTTPMiddleware) runs the app in a task of its
    own with memory streams between them, a fixed cost on every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-request-id")
        request_id = (given or uuid.uuid4().hex)[:64]
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)
