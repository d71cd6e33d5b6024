"""Department webhooks (部门回调): signed JSON events POSTed to a department's own system.

The outbox pattern. A workflow step calls `enqueue` inside its own transaction; that only
inserts pending rows in `webhook_delivery`, so the event exists exactly when the step was
committed, and a slow or dead receiver can never slow down or fail the request that caused
it. The `WebhookSender` thread of every API worker (or `gridlink webhooks deliver`) then
sends what is due, retrying with exponential backoff, and the rows are the delivery log.

Delivery is at least once: a receiver deduplicates on the delivery id (`X-GridLink-Delivery`,
also the payload's `id`).

Where a webhook may point is webhook_targets.py's: public addresses, or what the operator
lists; checked when a URL is registered and again, resolved afresh, at every send. The log
keeps the status code and a fixed reason, never what the receiver answered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from backend.cases import webhook_targets
from backend.cases.models import Case, DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent
from backend.cases.schemas import DepartmentCode
from backend.cases.sla import settings_of
from backend.core.config import Settings, get_settings
from backend.core.crud import EntitySpec, register
from backend.core.db import Database, affected_rows, once_per_session, utcnow
from backend.core.errors import field_error
from backend.core.schemas import CreateSchema

log = logging.getLogger(__name__)

USER_AGENT = "GridLink-Webhooks/0.1"
TIMEOUT_SECONDS = 10.0
MAX_ATTEMPTS = 8
FIRST_RETRY = dt.timedelta(seconds=10)
MAX_RETRY_DELAY = dt.timedelta(hours=1)
# A claimed delivery is leased to its sender this long. Longer than any send takes, so only a
# sender that died mid-send loses its claim (and the delivery is then sent again).
LEASE = dt.timedelta(minutes=5)
# Due deliveries taken per pass, and sent side by side: one dead receiver waiting out its
# timeouts must not hold up every other department's events.
BATCH = 50
PARALLEL_SENDS = 8

# What the delivery log says about a failed attempt: the status code, or one of these fixed
# reasons. Never the receiver's answer nor an exception's text: a target inside the network
# would otherwise read its internal service's answers back to the department.
NOT_ALLOWED = "目标地址不允许 address not allowed"
UNRESOLVED = "域名无法解析 name not resolved"
TIMED_OUT = "请求超时 timeout"
UNREACHABLE = "无法连接 connection failed"
FAILED = "发送失败 request failed"
DEACTIVATED = "回调已停用, 不再发送"

# What a department learns about a case: where, what, how urgent, by when. No reporter name or
# phone: departments get no personal data.
CASE_FIELDS = ("code", "title", "status", "category_code", "grid_code", "address", "lat", "lng",
               "department_code", "due_at", "light", "priority", "handling_type")
ENVELOPE = ("id", "event", "occurred_at", "department_code", "case")


# --- entity declarations ------------------------------------------------------------------


class WebhookCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "department_code": "HW01", "url": "https://huanwei.example.gov.cn/gridlink/events",
        "secret": "7f3c9a1e5b2d4f60a8c1e3b5d7f9a2c4", "is_active": True}]})

    department_code: Annotated[DepartmentCode, Field(title="部门")]
    url: Annotated[str, Field(min_length=1, max_length=500, title="回调地址",
                              description="http:// 或 https:// 网址, GridLink 向其 POST 事件")]
    secret: Annotated[str, Field(min_length=16, max_length=200, title="签名密钥",
                                 description="至少 16 个字符, 用于 HMAC-SHA256 签名; 只写不读")]
    is_active: Annotated[bool, Field(title="启用")] = True

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        # Checked the way the sender will read it: whatever httpx cannot POST to is refused now.
        try:
            url = httpx.URL(value)
        except (httpx.InvalidURL, ValueError):  # ValueError: a lone surrogate it cannot encode
            raise ValueError("回调地址不是有效的网址") from None
        if url.scheme not in ("http", "https") or not url.host or any(c <= " " for c in value):
            raise ValueError("回调地址须为 http:// 或 https:// 开头的完整网址")
        if url.port is not None and not 1 <= url.port <= 65535:
            raise ValueError("回调地址的端口应在 1 到 65535 之间")
        return value


class WebhookDeliveryShape(BaseModel):
    """Never written through the API (the sender writes it); describes the log for the docs."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "webhook_id": 1, "department_code": "HW01", "case_id": 1234, "event": "dispatch",
        "delivery_key": "3f2b8c0e9d4a4e1f8b6c2d7a5e9f0b1c",
        "payload": {"id": "3f2b8c0e9d4a4e1f8b6c2d7a5e9f0b1c", "event": "dispatch",
                    "occurred_at": "2026-11-28T08:40:00Z", "department_code": "HW01",
                    "case": {"code": "2026112800001234", "title": "新华街88号院门口积存垃圾",
                             "status": "dispatched", "category_code": "07011",
                             "grid_code": "410602001002007", "address": "鹤山区新华街88号",
                             "lat": 35.9352, "lng": 114.1751, "department_code": "HW01",
                             "due_at": "2026-11-28T14:40:00Z", "light": "green",
                             "priority": "normal", "handling_type": "general"}},
        "status": "failed", "attempts": 8, "next_attempt_at": None, "last_status_code": 500,
        "last_error": "HTTP 500", "delivered_at": None}]})

    webhook_id: int
    event: WebhookEvent
    delivery_key: str


def validate_webhook(session: Session, data: dict[str, Any], existing: Webhook | None) -> None:
    """A new or changed URL must point where webhooks may go (webhook_targets.py). An
    unchanged one is not checked again: a webhook the setting no longer admits can still be
    switched off or given a new secret (its sends are refused meanwhile)."""
    if existing is not None and existing.url == data["url"]:
        return
    why = webhook_targets.refusal(data["url"], settings_of(session).webhook_targets)
    if why is not None:
        raise field_error(422, "url", why)


# Scoped by department: a department's grant matches its own rows. Deliveries carry no area
# code, so an area grant (a dispatcher's) matches none of them; the admin sees all.
WEBHOOKS = register(EntitySpec(
    name="webhooks", model=Webhook, create_schema=WebhookCreate, label="部门回调",
    label_en="webhooks", scope_column="department_code", department_column="department_code",
    hidden=("secret",), immutable=("department_code",), default_sort="department_code",
    validate=validate_webhook,
))
WEBHOOK_DELIVERIES = register(EntitySpec(
    name="webhook-deliveries", model=WebhookDelivery, create_schema=WebhookDeliveryShape,
    label="回调投递记录", label_en="webhook deliveries", scope_column="grid_code",
    department_column="department_code", read_only=True, default_sort="-id",
))


# --- the outbox ---------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """JSON types only, times as UTC ISO-8601 with Z, the way the API writes them."""
    return orjson.loads(orjson.dumps(value, option=orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS))


def case_summary(case: Case) -> dict[str, Any]:
    return _plain({name: getattr(case, name) for name in CASE_FIELDS})


def _delivery(hook_id: int, event: WebhookEvent, summary: dict[str, Any], case_id: int | None,
              grid_code: str | None, department: str, occurred_at: dt.datetime,
              extra: dict[str, Any]) -> dict[str, Any]:
    """A pending delivery row: the event's envelope under a fresh delivery id."""
    key = uuid.uuid4().hex
    payload = {"id": key, "event": event.value, "occurred_at": _plain(occurred_at),
               "department_code": department, "case": summary} | extra
    return {"webhook_id": hook_id, "department_code": department, "grid_code": grid_code,
            "case_id": case_id, "event": event, "delivery_key": key, "payload": payload,
            "status": DeliveryStatus.pending, "attempts": 0, "next_attempt_at": occurred_at}


def _active_hooks(session: Session, departments: list[str]) -> dict[str, list[int]]:
    def load() -> dict[str, list[int]]:
        hooks: dict[str, list[int]] = {code: [] for code in departments}
        for hook_id, department in session.execute(
                select(Webhook.id, Webhook.department_code)
                .where(Webhook.department_code.in_(departments), Webhook.is_active.is_(True))
                .order_by(Webhook.id)):
            hooks[department].append(hook_id)
        return hooks

    return once_per_session(session, ("webhooks", tuple(departments)), load)


def enqueue(session: Session, event: WebhookEvent, case: Case, extra: dict | None = None,
            department_code: str | None = None, at: dt.datetime | None = None
            ) -> list[WebhookDelivery]:
    """Queue `event` about `case` for every active webhook of the department; no network I/O.

    Call it inside the workflow step's transaction, before its commit: the deliveries are
    committed (or rolled back) with the step. The department is the case's, or the one given
    (`summon`: the summoned department). `extra` adds top-level fields to the payload (e.g. a
    note); it cannot replace the envelope's. `at` is when the event happened (default: now).
    Returns the new deliveries (none when the department has no active webhook).
    """
    event = WebhookEvent(event)
    department = department_code or case.department_code
    if department is None:
        return []
    extra = _plain(extra or {})
    clash = set(extra) & set(ENVELOPE)
    if clash:
        raise ValueError(f"extra cannot replace the envelope's {sorted(clash)}")
    hooks = _active_hooks(session, [department])[department]
    if not hooks:
        return []
    now, summary = at or utcnow(), case_summary(case)
    deliveries = [WebhookDelivery(**_delivery(hook_id, event, summary, case.id, case.grid_code,
                                              department, now, extra))
                  for hook_id in hooks]
    session.add_all(deliveries)  # written with the step that caused them
    return deliveries


def enqueue_many(session: Session, events: list[tuple[WebhookEvent, Any]], at: dt.datetime,
                 ) -> int:
    """`enqueue` for many cases at once (the SLA tick): (event, case row) pairs, the row having
    `id` and the CASE_FIELDS; one lookup of the departments' webhooks, one bulk INSERT.
    Returns how many deliveries were queued."""
    departments = sorted({row.department_code for _, row in events if row.department_code})
    if not departments:
        return 0
    hooks = _active_hooks(session, departments)
    rows = []
    for event, row in events:
        for hook_id in hooks.get(row.department_code, ()):
            summary = _plain({name: getattr(row, name) for name in CASE_FIELDS})
            rows.append(_delivery(hook_id, WebhookEvent(event), summary, row.id, row.grid_code,
                                  row.department_code, at, {}))
    for row in rows:
        row.update(created_at=at, updated_at=at, version=1)
    if rows:
        session.execute(insert(WebhookDelivery.__table__), rows)
    return len(rows)


# --- sending ------------------------------------------------------------------------------


def sign(body: bytes, secret: str) -> str:
    """The X-GridLink-Signature of `body`: "sha256=" + hex HMAC-SHA256 with the secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def request_headers(body: bytes, secret: str, event: str, delivery_key: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-GridLink-Event": event,
        "X-GridLink-Delivery": delivery_key,
        "X-GridLink-Signature": sign(body, secret),
    }


def retry_delay(attempts: int) -> dt.timedelta:
    """10 s, 20 s, 40 s ... after the 1st, 2nd, 3rd failure, at most an hour; plus up to 10%
    jitter, so that what failed together is not retried all in the same second."""
    delay = min(FIRST_RETRY * 2 ** (attempts - 1), MAX_RETRY_DELAY)
    return delay * random.uniform(1.0, 1.1)


def _post(http: httpx.Client, url: str, body: bytes, headers: dict,
          allowed: webhook_targets.AllowedTargets) -> tuple[int | None, str | None]:
    """(status code, error): error None on a 2xx, else "HTTP <code>" or a fixed reason.

    The host is resolved and checked now, and the request goes to the address checked (a DNS
    answer that changed since the webhook was registered cannot take it inside the network).
    Redirects are not followed; the answer's body is never read. Nothing a receiver does
    escapes as an exception: it is that delivery's failure, never the sender's.
    """
    try:
        target = webhook_targets.pin(url, allowed)
    except (webhook_targets.NotAllowed, httpx.InvalidURL):
        return None, NOT_ALLOWED
    except (OSError, UnicodeError):
        return None, UNRESOLVED
    try:
        with http.stream("POST", target.url, content=body, extensions=target.extensions,
                         headers=headers | {"Host": target.host_header}) as response:
            code = response.status_code
            return code, None if response.is_success else f"HTTP {code}"
    except httpx.TimeoutException:
        return None, TIMED_OUT
    except httpx.ConnectError:
        return None, UNREACHABLE
    except Exception as exc:  # noqa: BLE001 - any failure of one receiver is that delivery's
        # The operator's log, not the API's (and the host only: a URL may carry a password).
        log.info("webhook send to %s failed: %r", target.host_header, exc)
        return None, FAILED


def _claim(database: Database, delivery_id: int, version: int, now: dt.datetime) -> bool:
    """Take the delivery for this sender: one conditional UPDATE, so of two senders (threads or
    processes, SQLite or PostgreSQL) exactly one sees rowcount 1. The lease moves
    next_attempt_at ahead: if this sender dies, the delivery comes due again after it."""
    table = WebhookDelivery.__table__
    with database.session() as session:
        result = session.execute(
            update(table)
            .where(table.c.id == delivery_id, table.c.version == version,
                   table.c.status == DeliveryStatus.pending, table.c.next_attempt_at <= now)
            .values(next_attempt_at=now + LEASE, version=version + 1, updated_at=utcnow())
        )
        session.commit()
        return affected_rows(result) == 1


def _outcome(error: str | None, attempts: int, now: dt.datetime) -> dict:
    """The row's new state after attempt number `attempts` ended with `error` (None: 2xx)."""
    if error is None:
        return {"status": DeliveryStatus.succeeded, "delivered_at": now, "next_attempt_at": None,
                "last_error": None}
    if attempts >= MAX_ATTEMPTS:
        return {"status": DeliveryStatus.failed, "next_attempt_at": None, "last_error": error}
    return {"next_attempt_at": now + retry_delay(attempts), "last_error": error}


def _deliver_one(database: Database, settings: Settings, http: httpx.Client, delivery_id: int,
                 version: int, now: dt.datetime | None) -> bool:
    """Claim, send and record one delivery; False when another sender had it first."""
    if not _claim(database, delivery_id, version, now or utcnow()):
        return False
    with database.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:  # its webhook was deleted meanwhile, and the log with it
            return False
        hook = session.get(Webhook, delivery.webhook_id)
        if hook is None:  # deleted between the two reads (PostgreSQL's read committed)
            return False
        attempts = delivery.attempts
        body = orjson.dumps(delivery.payload)
        headers = request_headers(body, hook.secret, delivery.event.value, delivery.delivery_key)
    if hook.is_active:
        # No database session held meanwhile.
        code, error = _post(http, hook.url, body, headers, settings.webhook_targets)
        attempts += 1
        values = _outcome(error, attempts, now or utcnow())
    else:  # switched off after the event was queued: the admin wants nothing sent there
        code, error = None, DEACTIVATED
        values = {"status": DeliveryStatus.failed, "next_attempt_at": None, "last_error": error}
    if values.get("status") is DeliveryStatus.failed:
        log.warning("webhook delivery %s failed for good: %s", delivery_id, error)
    elif error is not None:
        log.info("webhook delivery %s, attempt %s: %s", delivery_id, attempts, error)
    table = WebhookDelivery.__table__
    with database.session() as session:
        # Only while the lease is ours: the version is still the one the claim set.
        session.execute(
            update(table).where(table.c.id == delivery_id, table.c.version == version + 1)
            .values(attempts=attempts, last_status_code=code, version=version + 2,
                    updated_at=utcnow(), **values)
        )
        session.commit()
    return True


def deliver_due(database: Database, now: dt.datetime | None = None) -> int:
    """Send the deliveries due at `now` (default: the clock), at most BATCH; how many were sent.

    What the sender thread calls every second; tests and `gridlink webhooks deliver` call it
    directly, tests with `now` to move time forward (retries) without waiting.
    """
    table = WebhookDelivery.__table__
    with database.session() as session:
        due = session.execute(
            select(table.c.id, table.c.version)
            .where(table.c.status == DeliveryStatus.pending,
                   table.c.next_attempt_at <= (now or utcnow()))
            .order_by(table.c.next_attempt_at, table.c.id).limit(BATCH)
        ).all()
    if not due:
        return 0
    settings = database.settings or get_settings()
    # No kept-alive connections: each request is aimed at an address checked for its own URL,
    # and a connection opened for one webhook's host must not carry another's.
    client = httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False,
                          limits=httpx.Limits(max_keepalive_connections=0))
    with (client as http,
          ThreadPoolExecutor(min(PARALLEL_SENDS, len(due)), "webhook-send") as pool):
        sent = pool.map(lambda row: _deliver_one(database, settings, http, row.id, row.version,
                                                 now), due)
        return sum(sent)


class WebhookSender:
    """The background thread of an API worker: delivers what is due, about every second.

    Every worker runs one; the claim in `_deliver_one` keeps them from sending twice.
    """

    def __init__(self, database: Database, poll_seconds: float = 1.0) -> None:
        self.database = database
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="webhook-sender", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sent = deliver_due(self.database)
            except Exception:  # the database away for a moment: try again on the next round
                log.warning("webhook sender: could not deliver", exc_info=True)
                sent = 0
            if sent < BATCH:  # a full batch means more are waiting: go on at once
                self._stop.wait(self.poll_seconds)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT_SECONDS + 5)
            self._thread = None
