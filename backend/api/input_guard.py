"""One guard at the door: no NUL or other control character gets into the application.

PostgreSQL refuses NUL in text (a 500 wherever one reached a query), and no field of ours has a
use for the other C0 and C1 control characters (U+0001–U+001F, U+007F–U+009F): they hide text in
the panel, break CSV and Excel exports and end up in the audit log. So `InputGuard`, an ASGI
middleware at the head of the app's chain, reads every request before any route does — the REST
API, the SQLAdmin panel at /admin and Open311 at /open311 alike — and refuses:

- in the URL path (percent-decoded) and in the name of every query parameter, form field and
  JSON key: any control character;
- in the value of every query parameter and urlencoded or multipart form field (an upload's
  file name too, not its contents: imports check those cell by cell, with the same rule, in
  crud) and in every string of a JSON body, at any depth: any control character except tab,
  line feed and carriage return, which are text (browsers send a textarea's line breaks as
  CR LF).

A refusal names each field (`path`, a parameter's name, a JSON path like `department_codes.0`)
and the character: 400 for the URL, 422 for the body, as problem details; the panel and Open311
answer in their own formats (`responders`). The application never sees the request.

The guard reads a request as the application will, with the same parsers (Starlette's query and
form parsers, the json module FastAPI uses), so that the two cannot disagree about what it
holds. It is cheap where it matters: a URL or a JSON or urlencoded body without a byte that
could spell a control character (a raw one, a %-escape or a JSON \\u escape of one) goes on
after one scan of its bytes; only a suspicious one is parsed (2,000 list requests:
benchmarks/RESULTS.md). A body is read whole before the app runs (spooled to disk past 1 MiB,
as Starlette spools uploads) and handed on unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Callable, Mapping
from tempfile import SpooledTemporaryFile
from typing import Any

from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData, Headers, QueryParams, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api.problems import problem_response
from backend.core.errors import FieldError
from backend.core.text import REFUSED_IN_NAMES, REFUSED_IN_TEXT, printable, reason

# Bytes that may spell a control character once decoded. Starlette decodes a query string and
# an urlencoded body as latin-1, then %-escapes as UTF-8: a raw byte 0x00-0x1F or 0x7F-0x9F, or
# an escape %00-%1F, %7F or %C2%80-%C2%9F. A JSON body: a raw control byte (tab, LF and CR are
# JSON's whitespace), the UTF-8 of U+0080-U+009F, or an escape \u0000-\u001F, \u007F or
# \u0080-\u009F. Raw bytes are looked for with bytes.translate (deleting every other byte), a
# few times faster than a regular expression over a body of Chinese text.
CONTROL_BYTES_IN_URL = bytes([*range(0x20), *range(0x7F, 0xA0)])
CONTROL_BYTES_IN_JSON = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
ESCAPED_IN_URL = re.compile(rb"%(?:[01][0-9a-fA-F]|7[fF]|[cC]2%[89][0-9a-fA-F])")
ESCAPED_IN_JSON = re.compile(rb"\\u00(?:[0189][0-9a-fA-F]|7[fF])")
C1_IN_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")


def _other_bytes(control: bytes) -> bytes:
    return bytes(b for b in range(256) if b not in control)


NOT_CONTROL_IN_URL = _other_bytes(CONTROL_BYTES_IN_URL)
NOT_CONTROL_IN_JSON = _other_bytes(CONTROL_BYTES_IN_JSON)


def suspect_in_url(data: bytes) -> bool:
    """Whether a query string or an urlencoded body may hold a control character."""
    return bool(data.translate(None, NOT_CONTROL_IN_URL) or ESCAPED_IN_URL.search(data))


def suspect_in_json(data: bytes) -> bool:
    """Whether a JSON body may hold a control character in one of its strings."""
    return bool(data.translate(None, NOT_CONTROL_IN_JSON)
                or (b"\xc2" in data and C1_IN_UTF8.search(data))
                or (b"\\u00" in data and ESCAPED_IN_JSON.search(data)))


SPOOL_IN_MEMORY = 2**20
CHUNK = 64 * 2**10
# Limits of the guard's own form parsing, above any route's (Starlette's default 1 MiB per
# field; the panel's import form 32 MiB), so that a form the guard cannot read is one the app
# refuses too: the guard then lets the app answer it, in its own words.
MAX_FIELD_BYTES = 64 * 2**20

Responder = Callable[[Scope, int, list[FieldError]], Response]


def _check(errors: list[FieldError], field: str, name: str | None, value: str | None) -> None:
    """A field's name (no control character at all) and value (text: tab, LF, CR allowed)."""
    found = (name is not None and REFUSED_IN_NAMES.search(name)) or (
        value is not None and REFUSED_IN_TEXT.search(value))
    if found:
        errors.append(FieldError(printable(field), reason(found[0])))


# --- what a request holds -------------------------------------------------------------------


def url_problems(scope: Scope) -> list[FieldError]:
    errors: list[FieldError] = []
    found = REFUSED_IN_NAMES.search(scope["path"])
    if found:
        errors.append(FieldError("path", reason(found[0])))
    query = scope.get("query_string", b"")
    if query and suspect_in_url(query):
        for name, value in QueryParams(query).multi_items():
            _check(errors, name, name, value)
    return errors


def json_problems(document: Any) -> list[FieldError]:
    """Every string of a JSON document, keys included, at any depth (without recursion)."""
    errors: list[FieldError] = []
    pending: list[tuple[str, Any]] = [("", document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            _check(errors, path or "body", None, value)
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                field = f"{path}.{key}" if path else key
                _check(errors, field, key, None)
                pending.append((field, item))
        elif isinstance(value, list):
            pending.extend((f"{path}.{n}" if path else str(n), item)
                           for n, item in reversed(list(enumerate(value))))
    return errors


def form_problems(form: FormData) -> list[FieldError]:
    errors: list[FieldError] = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):  # its name; its contents are the importer's
            _check(errors, name, name, None)
            _check(errors, name, value.filename, None)
        else:
            _check(errors, name, name, value)
    return errors


def body_kind(scope: Scope) -> str | None:
    """"json", "form" or "multipart" for a body the app would parse (FastAPI parses one with
    no content type as JSON); None when there is no body or the app reads it as bytes."""
    length = encoding = content_type = None
    for key, value in scope["headers"]:
        if key == b"content-length":
            length = value
        elif key == b"transfer-encoding":
            encoding = value
        elif key == b"content-type":
            content_type = value
    if encoding is None and (length is None or length.strip() == b"0"):
        return None
    media_type = parse_options_header(content_type)[0].lower() if content_type else b""
    if media_type == b"multipart/form-data":
        return "multipart"
    if media_type == b"application/x-www-form-urlencoded":
        return "form"
    if not media_type or media_type == b"application/json" or (
            media_type.startswith(b"application/") and media_type.endswith(b"+json")):
        return "json"
    return None


class Body:
    """A request body read whole: in memory, or spooled to disk once past SPOOL_IN_MEMORY (a
    temporary file costs more than a small body's whole check, so only large ones get one)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.file: SpooledTemporaryFile | None = None
        self.size = 0

    @classmethod
    async def receive(cls, receive: Receive) -> Body | None:
        """The whole body; None when the client went away first."""
        body = cls()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                body.close()
                return None
            body.add(message.get("body", b""))
            if not message.get("more_body", False):
                return body

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.file is None and self.size > SPOOL_IN_MEMORY:
            self.file = SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - close()
            self.file.writelines(self.parts)
            self.parts = []
        if self.file is not None:
            self.file.write(chunk)
        elif chunk:
            self.parts.append(chunk)

    def content(self) -> bytes:
        if self.file is None:
            if len(self.parts) > 1:
                self.parts = [b"".join(self.parts)]
            return self.parts[0] if self.parts else b""
        self.file.seek(0)
        return self.file.read()

    async def chunks(self) -> AsyncGenerator[bytes, None]:
        if self.file is None:
            for part in self.parts:
                yield part
            return
        self.file.seek(0)
        while chunk := self.file.read(CHUNK):
            yield chunk

    def replay(self, receive: Receive) -> Receive:
        """`receive` for the app: the body again (in chunks, from disk); then the client's."""
        file = self.file
        whole = self.content() if file is None else b""
        if file is not None:
            file.seek(0)
        sent = False

        async def replayed() -> Message:
            nonlocal sent
            if sent:
                return await receive()  # the disconnect, when it comes
            if file is None:
                sent = True
                return {"type": "http.request", "body": whole, "more_body": False}
            chunk = file.read(CHUNK)
            sent = file.tell() >= self.size
            return {"type": "http.request", "body": chunk, "more_body": not sent}

        return replayed

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


async def body_problems(kind: str, scope: Scope, body: Body) -> list[FieldError]:
    if kind == "json":
        data = body.content()
        if not suspect_in_json(data):
            return []
        try:
            document = json.loads(data)  # what FastAPI parses the body with
        except (ValueError, RecursionError):
            return []  # not JSON: the app answers that (422)
        return json_problems(document)
    headers = Headers(scope=scope)
    parser: FormParser | MultiPartParser
    if kind == "form":
        data = body.content()
        if not suspect_in_url(data):
            return []
        parser = FormParser(headers, body.chunks(), max_fields=float("inf"),
                            max_part_size=MAX_FIELD_BYTES)
    else:  # multipart: its fields are raw bytes, no escape to scan for; always read
        parser = MultiPartParser(headers, body.chunks(), max_files=float("inf"),
                                 max_fields=float("inf"), max_part_size=MAX_FIELD_BYTES)
    try:
        form = await parser.parse()
    except MultiPartException:
        return []  # malformed: the app's own parser refuses it as well
    try:
        return form_problems(form)
    finally:
        await form.close()


# --- the middleware ---------------------------------------------------------------------------


def raising(refusal: HTTPException) -> Receive:
    """A `receive` that raises `refusal` each time it is called.

    The exception is bound here, as an argument: a closure over an `except ... as` name would
    fail with NameError once the handler ends (Python unbinds the name there).
    """

    async def refused_again() -> Message:
        raise refusal

    return refused_again


def problem_refusal(_scope: Scope, status: int, errors: list[FieldError]) -> Response:
    return problem_response(status, "; ".join(f"{e.field}: {e.msg}" for e in errors), errors)


class InputGuard:
    """Refuses a request holding a control character anywhere a route could read it.

    `responders` maps a path prefix to the refusal in that part's own format (Open311's error
    list, the panel's page); elsewhere problem details. Plain ASGI, like RequestIdMiddleware.
    """

    def __init__(self, app: ASGIApp, responders: Mapping[str, Responder] | None = None) -> None:
        self.app = app
        # Longest prefix first.
        self.responders = sorted((responders or {}).items(), key=lambda item: -len(item[0]))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        errors = url_problems(scope)
        if errors:
            await self.refuse(scope, receive, send, 400, errors)
            return
        kind = body_kind(scope)
        if kind is None:
            await self.app(scope, receive, send)
            return
        try:
            body = await Body.receive(receive)
        except HTTPException as refusal:
            # Over the size limit (RequestSizeLimit, outside us): the route meets the refusal
            # where it reads its body, as it would without this guard, and answers in its own
            # format (problem details, the panel's import page).
            await self.app(scope, raising(refusal), send)
            return
        if body is None:
            return
        try:
            errors = await body_problems(kind, scope, body)
            if errors:
                await self.refuse(scope, receive, send, 422, errors)
                return
            await self.app(scope, body.replay(receive), send)
        finally:
            body.close()

    async def refuse(self, scope: Scope, receive: Receive, send: Send, status: int,
                     errors: list[FieldError]) -> None:
        responder = next((responder for prefix, responder in self.responders
                          if scope["path"].startswith(prefix)), problem_refusal)
        await responder(scope, status, errors)(scope, receive, send)
