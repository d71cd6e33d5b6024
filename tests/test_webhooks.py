"""Department webhooks: signed events to a real HTTP receiver, retries, the delivery log.

The receiver is a small http.server on 127.0.0.1 answering scripted status codes. Time is
driven by passing `now` to deliver_due, so that retries an hour apart take no time at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from backend.cases import webhooks
from backend.cases.escalation import tick
from backend.cases.models import (
    Case,
    CaseCategory,
    DeadlineUnit,
    DeliveryStatus,
    Webhook,
    WebhookDelivery,
    WebhookEvent,
)
from backend.cases.webhooks import (
    MAX_ATTEMPTS,
    WebhookSender,
    deliver_due,
    enqueue,
    sign,
)
from backend.core.db import utcnow
from tests.builders import COUNTY, GRID, SANITATION, dispatch_case, ok
from tests.servers import ROOT, eventually, free_port
from tests.test_cli import gridlink
from tests.world import make_world

SECRET = "hw01-secret-7f3c9a1e5b2d4f60"
OTHER = "YL01"  # a second department, 园林绿化所
REPORTER_PHONE = "13987654321"


# --- a receiver: a department's system ------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    # Status codes to answer, in order; 200 once the script has run out.
    script: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    # What it says when it fails (an internal service's error page, say).
    error_body: bytes = "服务暂不可用".encode()
    location: str | None = None  # where a 3xx answer points


@contextmanager
def listening(host: str = "127.0.0.1", port: int | None = None,
              tls: tuple[Path, Path] | None = None) -> Iterator[Receiver]:
    """A department's system: a real HTTP server on `host`, answering as scripted; HTTPS with
    `tls` (certificate, key)."""
    port = port or free_port()
    state = Receiver(url=f"{'https' if tls else 'http'}://{host}:{port}/gridlink/events")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                state.requests.append(Received(self.path, dict(self.headers), body))
                status = state.script.pop(0) if state.script else 200
            answer = "好的".encode() if status < 300 else state.error_body
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            if state.location and 300 <= status < 400:
                self.send_header("Location", state.location)
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with listening() as state:
        yield state


@pytest.fixture(autouse=True)
def local_receivers_allowed(settings, monkeypatch):
    """The receivers here listen on 127.0.0.1, where webhooks may go only because the operator
    says so (GRIDLINK_WEBHOOK_ALLOWED_HOSTS); the tests of that rule change it themselves."""
    monkeypatch.setattr(settings, "webhook_allowed_hosts", "127.0.0.1")


@pytest.fixture(scope="module", autouse=True)
def no_background_sender(app, server):
    """These tests drive deliveries themselves (deliver_due with `now`), so the app's own
    sender must not take them first; one test runs a sender of its own."""
    sender = app.state.webhook_sender
    if sender is not None:
        sender.stop()
    yield
    if sender is not None:
        sender.start()


# --- helpers ------------------------------------------------------------------------------


@pytest.fixture
def make_case(client, as_user, world):
    """make_case() → a case reported through the API and dispatched to 环卫 by the dispatcher,
    over HTTP; the dispatch queues a `dispatch` event for each of the department's active
    webhooks (`deliveries_of`). make_case(department_code=None) → a case still reported, held
    by no department."""
    dispatcher = as_user("dispatcher")

    def make(department_code: str | None = SANITATION) -> dict:
        case = ok(client.post("/api/v1/cases", json={
            "source": "hotline_12345", "category_code": "07011",
            "title": "新华街88号院门口积存垃圾", "address": "鹤山区新华街88号",
            "lat": 35.9352, "lng": 114.1751, "grid_code": GRID,
            "reporter_name": "李秀英", "reporter_phone": REPORTER_PHONE}), 201)
        if department_code is None:
            return case
        return dispatch_case(dispatcher, case, department_code)

    return make


def deliveries_of(app, case: dict) -> list[WebhookDelivery]:
    """The deliveries queued for the case so far (by its workflow steps or `queue`), in order."""
    with app.state.db.session() as session:
        return list(session.execute(select(WebhookDelivery).where(
            WebhookDelivery.case_id == case["id"]).order_by(WebhookDelivery.id)).scalars())


def add_webhook(client, url: str, department_code: str = SANITATION, **extra) -> dict:
    return ok(client.post("/api/v1/webhooks", json={
        "department_code": department_code, "url": url, "secret": SECRET} | extra), 201)


def queue(app, case_id: int, event=WebhookEvent.dispatch, **kwargs) -> list[WebhookDelivery]:
    """What a workflow step does: enqueue inside its transaction, then commit."""
    with app.state.db.session() as session:
        deliveries = enqueue(session, event, session.get(Case, case_id), **kwargs)
        session.commit()
        return deliveries


def delivery(app, delivery_id: int) -> WebhookDelivery:
    with app.state.db.session() as session:
        return session.get(WebhookDelivery, delivery_id)


def delivery_count(app) -> int:
    with app.state.db.session() as session:
        return session.execute(select(func.count()).select_from(WebhookDelivery)).scalar_one()


def soon() -> dt.datetime:
    return utcnow() + dt.timedelta(seconds=1)


@pytest.fixture
def world(client):
    world = make_world(client)
    ok(client.post("/api/v1/departments", json={
        "code": OTHER, "name": "鹤山区园林绿化所", "kind": "greening", "area_code": COUNTY}), 201)
    return world


# --- sending -------------------------------------------------------------------------------


def test_an_event_arrives_signed_with_its_headers_and_no_personal_data(app, client, make_case,
                                                                        receiver):
    case = make_case()  # before the webhook: the one event sent is the one queued below
    add_webhook(client, receiver.url)
    (queued,) = queue(app, case["id"], extra={"note": "请于今日14:40前处置"})

    assert deliver_due(app.state.db, now=soon()) == 1

    (request,) = receiver.requests
    assert request.path == "/gridlink/events"
    expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-GridLink-Signature"] == expected == sign(request.body, SECRET)
    assert request.headers["X-GridLink-Event"] == "dispatch"
    assert request.headers["X-GridLink-Delivery"] == queued.delivery_key
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("GridLink")

    payload = request.payload
    assert payload["id"] == queued.delivery_key and payload["event"] == "dispatch"
    assert payload["department_code"] == SANITATION and payload["note"] == "请于今日14:40前处置"
    assert payload["occurred_at"].endswith("Z")
    assert payload["case"]["code"] == case["code"]
    assert payload["case"]["title"] == "新华街88号院门口积存垃圾"
    assert set(payload["case"]) == set(webhooks.CASE_FIELDS)
    # Departments get no personal data: neither the reporter's phone nor name.
    assert REPORTER_PHONE not in request.body.decode() and "李秀英" not in request.body.decode()

    # The README's snippet verifies it too, and tells a tampered body.
    readme = (ROOT / "README.md").read_text(encoding="utf-8").split("## Webhooks", 1)[1]
    snippet = readme.split("```python", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(snippet, namespace)
    signature = request.headers["X-GridLink-Signature"]
    assert namespace["verify"](request.body, signature, SECRET)
    assert not namespace["verify"](request.body.replace(b"dispatch", b"cancel"), signature, SECRET)

    done = delivery(app, queued.id)
    assert done.status is DeliveryStatus.succeeded and done.attempts == 1
    assert done.last_status_code == 200 and done.delivered_at is not None
    assert done.next_attempt_at is None
    # Sent once: nothing is due any more.
    assert deliver_due(app.state.db, now=soon() + dt.timedelta(hours=1)) == 0


def test_a_failing_receiver_gets_retries_with_growing_delays_until_it_answers(
        app, client, make_case, receiver):
    receiver.script = [500, 500, 200]
    add_webhook(client, receiver.url)
    (queued,) = deliveries_of(app, make_case())

    now = soon()
    assert deliver_due(app.state.db, now=now) == 1
    first = delivery(app, queued.id)
    assert first.status is DeliveryStatus.pending and first.attempts == 1
    assert first.last_status_code == 500 and first.last_error == "HTTP 500"
    first_delay = first.next_attempt_at - now
    assert dt.timedelta(seconds=10) <= first_delay <= dt.timedelta(seconds=11)

    # Not yet due: nothing is sent before its time.
    assert deliver_due(app.state.db, now=now + dt.timedelta(seconds=5)) == 0

    now = first.next_attempt_at
    assert deliver_due(app.state.db, now=now) == 1
    second = delivery(app, queued.id)
    assert second.attempts == 2 and second.status is DeliveryStatus.pending
    assert second.next_attempt_at - now > first_delay  # the backoff grows

    assert deliver_due(app.state.db, now=second.next_attempt_at) == 1
    third = delivery(app, queued.id)
    assert third.status is DeliveryStatus.succeeded and third.attempts == 3
    assert third.last_status_code == 200 and third.last_error is None
    # The same delivery, three times: one id, one signature per body.
    assert len(receiver.requests) == 3
    assert {r.headers["X-GridLink-Delivery"] for r in receiver.requests} == {queued.delivery_key}


def test_an_unreachable_receiver_ends_failed_after_the_last_attempt(app, client, make_case):
    add_webhook(client, f"http://127.0.0.1:{free_port()}/nobody-listens")
    (queued,) = deliveries_of(app, make_case())

    now, delays = soon(), []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert deliver_due(app.state.db, now=now) == 1
        row = delivery(app, queued.id)
        assert row.attempts == attempt and row.last_status_code is None
        assert row.last_error == webhooks.UNREACHABLE
        if attempt < MAX_ATTEMPTS:
            assert row.status is DeliveryStatus.pending
            delays.append(row.next_attempt_at - now)
            now = row.next_attempt_at
    assert row.status is DeliveryStatus.failed and row.next_attempt_at is None
    assert delays == sorted(delays) and delays[-1] > 30 * delays[0]
    # Failed for good: never sent again.
    assert deliver_due(app.state.db, now=now + dt.timedelta(days=1)) == 0


def test_two_senders_at_once_send_each_delivery_exactly_once(app, client, make_case, receiver):
    add_webhook(client, receiver.url)
    add_webhook(client, receiver.url + "?copy=2")
    for _ in range(5):
        make_case()
    assert delivery_count(app) == 10

    now, start = soon(), threading.Barrier(3)
    counts = []

    def sender():
        start.wait()
        counts.append(deliver_due(app.state.db, now=now))

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    keys = [r.headers["X-GridLink-Delivery"] for r in receiver.requests]
    assert sum(counts) == 10 and len(keys) == 10 and len(set(keys)) == 10
    with app.state.db.session() as session:
        statuses = set(session.execute(select(WebhookDelivery.status)).scalars())
    assert statuses == {DeliveryStatus.succeeded}


def test_the_apps_background_sender_delivers_on_its_own(app, client, make_case, receiver):
    add_webhook(client, receiver.url)
    make_case()
    sender = WebhookSender(app.state.db, poll_seconds=0.1)
    sender.start()
    try:
        eventually(lambda: len(receiver.requests) == 1)
    finally:
        sender.stop()
    assert receiver.requests[0].headers["X-GridLink-Event"] == "dispatch"


def test_the_command_line_delivers_what_is_due(settings, app, client, make_case, receiver):
    case = make_case()  # before the webhook: only the red light below is sent
    add_webhook(client, receiver.url)
    (queued,) = queue(app, case["id"], event=WebhookEvent.red)
    result = gridlink(settings, "webhooks", "deliver")
    assert result.returncode == 0, result.stderr
    assert "1 webhook deliveries sent" in result.stdout
    assert receiver.requests[0].headers["X-GridLink-Event"] == "red"
    assert delivery(app, queued.id).status is DeliveryStatus.succeeded


# --- queueing ------------------------------------------------------------------------------


def test_enqueue_writes_nothing_without_an_active_webhook(app, client, make_case, receiver):
    add_webhook(client, receiver.url, is_active=False)
    case = make_case()  # its dispatch queued nothing either
    assert queue(app, case["id"]) == []
    # A case no department holds yet, and a department with no webhook at all.
    assert queue(app, make_case(department_code=None)["id"]) == []
    assert queue(app, case["id"], event=WebhookEvent.summon, department_code=OTHER) == []
    assert delivery_count(app) == 0


def test_enqueue_does_no_network_io_and_is_undone_with_the_step(app, client, make_case, receiver,
                                                                 monkeypatch):
    case = make_case()  # before the webhook: nothing queued yet
    add_webhook(client, receiver.url)

    def no_network(*_args, **_kwargs):
        raise AssertionError("enqueue must not touch the network")

    monkeypatch.setattr(httpx.Client, "send", no_network)
    monkeypatch.setattr(httpx.AsyncClient, "send", no_network)
    started = time.monotonic()
    with app.state.db.session() as session:
        (queued,) = enqueue(session, WebhookEvent.yellow, session.get(Case, case["id"]))
        assert queued.status is DeliveryStatus.pending and queued.attempts == 0
        session.rollback()  # the step failed: its event goes with it (the outbox)
    assert time.monotonic() - started < 1
    monkeypatch.undo()
    assert receiver.requests == [] and delivery_count(app) == 0


def test_a_summon_goes_to_the_summoned_department(app, client, make_case, receiver):
    add_webhook(client, receiver.url, department_code=OTHER)
    case = make_case()
    (queued,) = queue(app, case["id"], event=WebhookEvent.summon, department_code=OTHER)
    assert queued.department_code == OTHER
    assert queued.payload["department_code"] == OTHER
    assert queued.payload["case"]["department_code"] == SANITATION  # who handles the case


def test_extra_cannot_replace_the_envelope(app, client, make_case, receiver):
    case = make_case()  # before the webhook: nothing queued yet
    add_webhook(client, receiver.url)
    with pytest.raises(ValueError, match="case"):
        queue(app, case["id"], extra={"case": {"title": "别的"}})
    assert delivery_count(app) == 0


# --- the API: webhooks and the delivery log ---------------------------------------------------


def test_the_secret_is_write_only(app, client, make_case, receiver):
    hook = add_webhook(client, receiver.url)
    assert "secret" not in hook
    patched = ok(client.patch(f"/api/v1/webhooks/{hook['id']}",
                              json={"secret": "a-rotated-secret-0123456789"}))
    make_case()  # dispatched: queued for the webhook
    deliver_due(app.state.db, now=soon())
    # The sender signs with the rotated secret.
    (request,) = receiver.requests
    assert request.headers["X-GridLink-Signature"] == sign(request.body,
                                                           "a-rotated-secret-0123456789")

    answers = [
        json.dumps(patched),
        client.get("/api/v1/webhooks").text,
        client.get(f"/api/v1/webhooks/{hook['id']}").text,
        client.get("/api/v1/webhooks", params={"format": "csv"}).text,
        client.get("/api/v1/webhook-deliveries").text,
        client.get("/api/v1/audit-log", params={"entity": "webhooks"}).text,
    ]
    for text in answers:
        assert SECRET not in text and "a-rotated-secret" not in text
    # Nor can it be probed through a filter.
    assert client.get("/api/v1/webhooks", params={"secret": SECRET}).status_code == 400


def test_webhook_urls_and_secrets_are_validated(client, world):
    good = {"department_code": SANITATION, "url": "https://huanwei.example.gov.cn/events",
            "secret": SECRET}
    for url in ("ftp://huanwei.example.gov.cn/x", "javascript:alert(1)", "huanwei.example.gov.cn",
                "http://", "https://huan wei.example.gov.cn/x", "http://a.cn:99999/x",
                "http://a.cn:0/x", "http://a.cn:abc/x"):
        answer = client.post("/api/v1/webhooks", json=good | {"url": url})
        assert answer.status_code == 422, (url, answer.text)
        assert answer.json()["errors"][0]["field"] == "url"
    short = client.post("/api/v1/webhooks", json=good | {"secret": "too-short"})
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "secret"
    nobody = client.post("/api/v1/webhooks", json=good | {"department_code": "XX99"})
    assert nobody.status_code == 422


def test_only_admins_manage_webhooks(client, as_user, world):
    for user in ("dept-sanitation", "dispatcher", "leader"):
        assert as_user(user).get("/api/v1/webhooks").status_code == 403
        answer = as_user(user).post("/api/v1/webhooks", json={
            "department_code": SANITATION, "url": "https://a.example.cn/", "secret": SECRET})
        assert answer.status_code == 403


def test_the_delivery_log_shows_attempts_to_each_department_its_own(app, client, as_user, make_case,
                                                                     receiver):
    receiver.script = [503]
    add_webhook(client, receiver.url)
    add_webhook(client, receiver.url, department_code=OTHER)
    case = make_case()
    (ours,) = deliveries_of(app, case)  # the dispatch's, to 环卫 only
    deliver_due(app.state.db, now=soon())
    (theirs,) = queue(app, case["id"], event=WebhookEvent.summon, department_code=OTHER)

    everything = ok(client.get("/api/v1/webhook-deliveries"))
    assert {row["department_code"] for row in everything["items"]} == {SANITATION, OTHER}
    assert everything["total"] == 2

    department = as_user("dept-sanitation")
    (row,) = ok(department.get("/api/v1/webhook-deliveries"))["items"]
    assert row["id"] == ours.id and row["event"] == "dispatch" and row["status"] == "pending"
    assert row["attempts"] == 1 and row["last_status_code"] == 503
    assert row["last_error"] == "HTTP 503" and row["next_attempt_at"] is not None
    assert row["payload"]["case"]["code"] == case["code"]
    assert REPORTER_PHONE not in json.dumps(row)
    assert department.get(f"/api/v1/webhook-deliveries/{theirs.id}").status_code == 404
    assert ok(department.get(f"/api/v1/webhook-deliveries/{ours.id}"))["attempts"] == 1
    # The log is the sender's: nobody writes it through the API.
    assert department.post("/api/v1/webhook-deliveries", json={}).status_code == 405
    assert client.delete(f"/api/v1/webhook-deliveries/{ours.id}").status_code == 405

    # A dispatcher reads the deliveries of its area's cases (by grid), of every department.
    answer = ok(as_user("dispatcher").get("/api/v1/webhook-deliveries"))
    assert {row["id"] for row in answer["items"]} == {ours.id, theirs.id}
    assert as_user("chief").get("/api/v1/webhook-deliveries").status_code == 403


# --- what an event says about its case ---------------------------------------------------------


def queued_events(app, event: WebhookEvent) -> list[dict]:
    with app.state.db.session() as session:
        return [row.payload for row in session.execute(
            select(WebhookDelivery).where(WebhookDelivery.event == event)
            .order_by(WebhookDelivery.id)).scalars()]


def assert_describes(payload: dict, case: dict) -> None:
    """The event's case is the case as the API shows it once the action is done."""
    for name in webhooks.CASE_FIELDS:
        sent, shown = payload["case"][name], case[name]
        if name == "due_at" and shown is not None:
            sent, shown = dt.datetime.fromisoformat(sent), dt.datetime.fromisoformat(shown)
        assert sent == shown, (payload["event"], name, sent, shown)


def test_every_event_describes_the_case_after_its_action(app, client, as_user, world, make_case):
    add_webhook(client, "https://huanwei.example.gov.cn/gridlink/events")
    add_webhook(client, "https://yuanlin.example.gov.cn/gridlink/events", department_code=OTHER)
    dispatcher, department = as_user("dispatcher"), as_user("dept-sanitation")

    def act(case: dict, action: str, **body) -> dict:
        user = department if action in ("accept", "feedback") else dispatcher
        ok(user.post(f"/api/v1/cases/{case['id']}/actions/{action}", json=body))
        return ok(dispatcher.get(f"/api/v1/cases/{case['id']}"))

    # Dispatched: the department gets the case as dispatched, with its due time.
    case = make_case(department_code=None)
    act(case, "file")
    case = act(case, "dispatch", department_code=SANITATION)
    (dispatched,) = queued_events(app, WebhookEvent.dispatch)
    assert dispatched["case"]["status"] == "dispatched"
    assert dispatched["case"]["department_code"] == SANITATION and dispatched["case"]["due_at"]
    assert_describes(dispatched, case)

    # Sent back to work: the case is dispatched again, no longer handled.
    act(case, "accept")
    act(case, "feedback", note="已清运")
    case = act(case, "rework", note="现场仍有垃圾")
    (rework,) = queued_events(app, WebhookEvent.rework)
    assert rework["case"]["status"] == "dispatched"
    assert_describes(rework, case)

    # Summoned to a filed case: the summoned department now holds it, dispatched.
    summoned = make_case(department_code=None)
    act(summoned, "file")
    summoned = act(summoned, "summon", department_codes=[OTHER])
    (summon,) = queued_events(app, WebhookEvent.summon)
    assert summon["case"]["status"] == "dispatched" and summon["case"]["department_code"] == OTHER
    assert_describes(summon, summoned)

    # Yellow, then red: the light the tick has just turned.
    now = utcnow()
    with app.state.db.session() as session:
        row = session.get(Case, case["id"])
        row.sla_started_at, row.due_at = now - dt.timedelta(hours=9), now + dt.timedelta(hours=1)
        session.get(CaseCategory, world.category["id"]).deadline_unit = DeadlineUnit.hours
        session.commit()
    with app.state.db.session() as session:
        tick(session, now=now)
    (yellow,) = queued_events(app, WebhookEvent.yellow)
    assert yellow["case"]["light"] == "yellow"
    assert_describes(yellow, ok(dispatcher.get(f"/api/v1/cases/{case['id']}")))
    with app.state.db.session() as session:
        session.get(Case, case["id"]).due_at = now - dt.timedelta(minutes=1)
        session.commit()
    with app.state.db.session() as session:
        tick(session, now=now)
    (red,) = queued_events(app, WebhookEvent.red)
    assert red["case"]["light"] == "red"
    assert_describes(red, ok(dispatcher.get(f"/api/v1/cases/{case['id']}")))


# --- where a webhook may point -----------------------------------------------------------------

# Every way of naming this machine, the cloud's metadata service, the private networks and the
# reserved ranges that a URL can take (each resolves here without any DNS server).
INTERNAL_URLS = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://localhost:8080/hook", "http://LOCALHOST./hook", "http://hooks.localhost/hook",
    "http://127.0.0.1/hook", "http://127.0.0.1.:8080/hook", "http://127.1/hook",
    "http://2130706433/hook", "http://0x7f000001/hook", "http://0177.0.0.1/hook",
    "http://a@127.0.0.1/hook", "http://user:pw@127.0.0.1:9000/hook",
    "http://[::1]/hook", "http://[::ffff:127.0.0.1]/hook", "http://[::ffff:7f00:1]/hook",
    "http://[2002:7f00:1::]/hook", "http://[64:ff9b::a9fe:a9fe]/hook", "http://[::7f00:1]/hook",
    "http://0/hook", "http://0.0.0.0/hook", "http://[::]/hook",
    "https://10.1.2.3:8443/hook", "http://172.16.0.5/hook", "http://192.168.1.1/hook",
    "http://100.64.0.1/hook", "http://198.18.0.1/hook", "http://240.0.0.1/hook",
    "http://224.0.0.1/hook", "http://255.255.255.255/hook", "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
]


def webhook_rows(client) -> list[dict]:
    return ok(client.get("/api/v1/webhooks"))["items"]


def test_internal_targets_are_refused_on_create_and_update_naming_the_url(
        client, world, monkeypatch, settings):
    monkeypatch.setattr(settings, "webhook_allowed_hosts", "")
    hook = add_webhook(client, "https://huanwei.example.gov.cn/gridlink/events")
    body = {"department_code": SANITATION, "secret": SECRET}
    for url in INTERNAL_URLS:
        created = client.post("/api/v1/webhooks", json=body | {"url": url})
        assert created.status_code == 422, (url, created.text)
        assert [e["field"] for e in created.json()["errors"]] == ["url"], url
        patched = client.patch(f"/api/v1/webhooks/{hook['id']}", json={"url": url})
        assert patched.status_code == 422, (url, patched.text)
        assert [e["field"] for e in patched.json()["errors"]] == ["url"], url
    assert [row["url"] for row in webhook_rows(client)] == [hook["url"]]
    # A public address, and a name that resolves nowhere yet (checked again at each send).
    for url in ("http://8.8.8.8/hook", "https://[2001:4860:4860::8888]:8443/hook",
                "https://not-yet-online.huanwei.example.gov.cn/hook"):
        ok(client.patch(f"/api/v1/webhooks/{hook['id']}", json={"url": url}))


def test_the_operator_allowlist_admits_listed_hosts_addresses_and_networks(
        app, client, make_case, monkeypatch, settings):
    body = {"department_code": OTHER, "secret": SECRET}
    monkeypatch.setattr(settings, "webhook_allowed_hosts", "10.20.0.0/16, hooks.localhost")
    ok(client.post("/api/v1/webhooks", json=body | {"url": "http://10.20.3.4:8080/hook"}), 201)
    ok(client.post("/api/v1/webhooks", json=body | {"url": "http://hooks.localhost/hook"}), 201)
    refused = client.post("/api/v1/webhooks", json=body | {"url": "http://10.21.3.4/hook"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "url"

    # A listed name is sent to at the address it resolves to, under its own name.
    monkeypatch.setattr(settings, "webhook_allowed_hosts", "localhost")
    with listening() as local:
        add_webhook(client, local.url.replace("127.0.0.1", "localhost"))
        (queued,) = deliveries_of(app, make_case())
        assert deliver_due(app.state.db, now=soon()) == 1
    (request,) = local.requests
    assert request.headers["Host"] == f"localhost:{local.url.split(':')[2].split('/')[0]}"
    assert delivery(app, queued.id).status is DeliveryStatus.succeeded


def test_a_target_no_longer_allowed_is_refused_at_send_time_and_hears_nothing(
        app, client, make_case, receiver, monkeypatch, settings):
    add_webhook(client, receiver.url)
    add_webhook(client, receiver.url.replace("127.0.0.1", "0x7f000001"))
    queued = deliveries_of(app, make_case())
    # The operator takes 127.0.0.1 off the list: what was queued is not sent there.
    monkeypatch.setattr(settings, "webhook_allowed_hosts", "")

    assert deliver_due(app.state.db, now=soon()) == 2
    assert receiver.requests == []
    for row in queued:
        row = delivery(app, row.id)
        assert row.last_error == webhooks.NOT_ALLOWED and row.last_status_code is None
        assert row.status is DeliveryStatus.pending and row.attempts == 1


def test_a_dns_answer_that_changes_after_the_check_is_never_used(
        app, client, make_case, monkeypatch, settings):
    """DNS rebinding: the name resolves to an allowed address when it is checked and to a
    forbidden one a moment later. No DNS server can be run here, so the system resolver is
    wrapped to answer like one; the receivers are real."""
    with listening("127.0.0.1") as allowed, listening("127.0.0.2", port=int(
            allowed.url.split(":")[2].split("/")[0])) as forbidden:
        monkeypatch.setattr(settings, "webhook_allowed_hosts", "127.0.0.1")
        real = socket.getaddrinfo
        answers = iter(["127.0.0.1"] + ["127.0.0.2"] * 10)

        def rebinding_dns(host, *args, **kwargs):
            if host == "hooks.rebind.example.cn":
                host = next(answers)
            return real(host, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
        url = allowed.url.replace("127.0.0.1", "hooks.rebind.example.cn")
        with app.state.db.session() as session:  # registered while it pointed elsewhere
            session.add(Webhook(department_code=SANITATION, url=url, secret=SECRET))
            session.commit()
        (queued,) = deliveries_of(app, make_case())
        assert deliver_due(app.state.db, now=soon()) == 1
    assert forbidden.requests == []
    (request,) = allowed.requests
    assert request.headers["Host"].startswith("hooks.rebind.example.cn:")
    assert delivery(app, queued.id).status is DeliveryStatus.succeeded


def test_an_https_receiver_is_reached_at_the_checked_address_under_its_own_name(
        app, client, make_case, monkeypatch, settings, tmp_path):
    """Sent to the address checked, the request still names the URL's host: in the Host header
    and in TLS, where the receiver's certificate (for localhost, trusted through
    SSL_CERT_FILE as an operator would add a CA) is checked against it, not against 127.0.0.1."""
    cert, key = tmp_path / "localhost.pem", tmp_path / "localhost.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost"], check=True, capture_output=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setattr(settings, "webhook_allowed_hosts", "localhost")
    with listening("localhost", tls=(cert, key)) as receiver:
        add_webhook(client, receiver.url)
        (queued,) = deliveries_of(app, make_case())
        assert deliver_due(app.state.db, now=soon()) == 1
    assert delivery(app, queued.id).status is DeliveryStatus.succeeded
    (request,) = receiver.requests
    assert request.headers["Host"] == receiver.url.split("/")[2]


def test_the_delivery_log_never_shows_what_the_receiver_answered(
        app, client, as_user, make_case, receiver):
    receiver.script = [500, 302]
    receiver.error_body = "内部服务 token=SECRET-INTERNAL-7f3c9a1e 数据库 10.0.0.8".encode()
    with listening() as elsewhere:
        receiver.location = elsewhere.url
        add_webhook(client, receiver.url)
        (queued,) = deliveries_of(app, make_case())
        assert deliver_due(app.state.db, now=soon()) == 1
        row = delivery(app, queued.id)
        assert row.last_status_code == 500 and row.last_error == "HTTP 500"
        # A redirect is not followed: it is a failed attempt like any other.
        assert deliver_due(app.state.db, now=row.next_attempt_at) == 1
    assert elsewhere.requests == [] and len(receiver.requests) == 2
    row = delivery(app, queued.id)
    assert row.last_status_code == 302 and row.last_error == "HTTP 302"
    for reader in (client, as_user("dept-sanitation"), as_user("dispatcher")):
        log = reader.get("/api/v1/webhook-deliveries").text
        assert "SECRET-INTERNAL" not in log and "10.0.0.8" not in log


def test_the_delivery_log_names_a_failure_without_naming_the_target(app, client, make_case):
    port = free_port()
    add_webhook(client, f"http://127.0.0.1:{port}/nobody-listens")
    (queued,) = deliveries_of(app, make_case())
    deliver_due(app.state.db, now=soon())
    row = ok(client.get(f"/api/v1/webhook-deliveries/{queued.id}"))
    assert row["last_error"] == webhooks.UNREACHABLE and str(port) not in row["last_error"]
