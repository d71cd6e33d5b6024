"""No request body larger than an upload may be: refused as it streams in (413)."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.spreadsheets.limits import MAX_UPLOAD_BYTES, MAX_UPLOAD_MB, REQUEST_ROOM_BYTES

TOO_LARGE = (f"上传内容超过 {MAX_UPLOAD_MB} MB 上限: 导入文件最大 {MAX_UPLOAD_MB} MB, "
             "请拆分后再导入")


class RequestSizeLimit:
    """Every request body at most MAX_UPLOAD_BYTES + REQUEST_ROOM_BYTES, or 413, raised where
    the route (or the panel's form) reads it: at its first read when the Content-Length says
    more, else at the first chunk beyond. Nothing is buffered first (Starlette would spool an
    upload of any size to disk before the route saw it)."""

    max_bytes = MAX_UPLOAD_BYTES + REQUEST_ROOM_BYTES

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        received = 0

        async def limited() -> Message:
            nonlocal received
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise HTTPException(413, TOO_LARGE)  # a problem (backend/api/problems.py)
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise HTTPException(413, TOO_LARGE)
            return message

        await self.app(scope, limited, send)
