"""The SLA tick: lights turn yellow and red, people are told, red cases are escalated (督办);
hot-spot alerts with no new report within their window end (backend/hotspots/service.py).

Run every minute by `gridlink serve` and on demand by `gridlink sla tick`.

Idempotent and restartable. The tick first works out, for every running case, the light it
should show now; the cases that need a change are then handled in chunks of CHUNK, each chunk
one transaction: conditional UPDATEs (only rows still holding the old value, RETURNING the ids
that did change), then for exactly those ids the notifications, the webhook outbox rows and the
escalation steps, inserted in bulk. So two workers ticking at once, or one tick run twice, warn
and escalate once; and a tick that dies mid-way leaves whole chunks done or undone, never half
a case: the next tick finishes the rest without telling anyone twice (the notifications' dedupe
keys are a second guard). A first tick over a large backlog (benchmarks/RESULTS.md) costs a few
statements per chunk instead of a dozen per case.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from backend.cases import webhooks
from backend.cases.entities import RUNNING_STATUSES
from backend.cases.models import Case, CaseCategory, CaseStep, Light, WebhookEvent
from backend.cases.sla import deadlines
from backend.cases.webhooks import CASE_FIELDS
from backend.core import area_codes
from backend.core.db import Database, utcnow
from backend.hotspots import service as hotspots
from backend.identity.models import Role, RoleAssignment
from backend.kpi import tally
from backend.notifications import service as notify
from backend.notifications.models import NotificationKind

log = logging.getLogger(__name__)

# Cases per transaction: big enough that a backlog takes few round trips, small enough that a
# crash loses little work and no IN (...) list nears a parameter limit.
CHUNK = 1000


@dataclass
class TickResult:
    scanned: int = 0
    yellow: int = 0
    red: int = 0
    escalated: int = 0
    hotspots_expired: int = 0
    chunks: int = 0
    seconds: float = 0.0


def escalation_recipients(session: Session, grid_code: str) -> list[int]:
    """The dispatchers one level above the closest ones covering the grid; above the county,
    the leading group."""
    covering = session.execute(
        select(RoleAssignment.area_code).where(
            RoleAssignment.role == Role.dispatcher,
            RoleAssignment.area_code.in_(area_codes.lineage(grid_code)))
    ).scalars().all()
    closest = max(filter(None, covering), key=len, default=None)
    upper = area_codes.parent(closest) if closest else None
    if upper is not None:
        return notify.covering_dispatchers(session, upper, exact_level=True)
    return notify.active_users(session, RoleAssignment.role == Role.leader,
                                RoleAssignment.area_code.in_(area_codes.lineage(grid_code)[:2]))


@dataclass(frozen=True)
class _Change:
    case_id: int
    old: Light | None
    new: Light
    escalate: bool  # red and not escalated yet (when scanned)


def tick(session: Session, now: dt.datetime | None = None, *,
         case_ids: Iterable[int] | None = None, chunk_size: int = CHUNK,
         progress: Callable[[TickResult], None] | None = None, commit: bool = True
         ) -> TickResult:
    """Set the lights of the running cases as of `now` (default: the clock), tell whom it
    concerns, escalate the overdue; commit chunk by chunk.

    `case_ids` limits the tick to those cases (the demo seed ticks each case when its light is
    due to change). `progress` is called after each chunk is written, before its commit.
    `commit` False leaves the whole tick to the caller's transaction (the seed's).
    A whole tick (no `case_ids`) also ends the hot-spot alerts whose time has run out.
    """
    started = time.perf_counter()
    now = now or utcnow()
    rules = deadlines(session)
    stmt = (select(Case.id, Case.sla_started_at, Case.due_at, Case.light, Case.escalation_level,
                   CaseCategory.deadline_unit)
            .join(CaseCategory, CaseCategory.code == Case.category_code)
            .where(Case.status.in_(RUNNING_STATUSES), Case.due_at.is_not(None),
                   Case.sla_started_at.is_not(None)))
    if case_ids is not None:
        stmt = stmt.where(Case.id.in_(list(case_ids)))
    result = TickResult()
    changes = []
    for case_id, started_at, due_at, old, level, unit in session.execute(stmt):
        result.scanned += 1
        if started_at is None or due_at is None:  # never (the WHERE): said for the type checker
            continue
        light = rules.light(started_at, due_at, unit, now)
        escalate = light is Light.red and level == 0
        if light is not old or escalate:
            changes.append(_Change(case_id, old, light, escalate))
    run = _Tick(session, now, result)
    for start in range(0, len(changes), chunk_size):
        run.chunk(changes[start:start + chunk_size])
        result.chunks += 1
        if progress is not None:
            progress(result)
        if commit:
            session.commit()
    if case_ids is None:
        result.hotspots_expired = hotspots.expire_alerts(session, now)
        tally.compact(session)  # the changes of this minute's cases, folded by key
    if commit:
        session.commit()  # ends the scan's transaction when nothing changed
    result.seconds = time.perf_counter() - started
    return result


# What the notices, steps and webhook payloads of a changed case need to know about it.
def _detail_columns():
    table = Case.__table__
    return [table.c.id, *(table.c[name] for name in CASE_FIELDS)]


class _Tick:
    """One tick: its clock, and who hears of what, looked up once per department and grid."""

    def __init__(self, session: Session, now: dt.datetime, result: TickResult) -> None:
        self.session, self.now, self.result = session, now, result
        self.department_users = functools.cache(
            lambda code: notify.department_users(session, code))
        self.dispatchers = functools.cache(lambda grid: notify.covering_dispatchers(session, grid))
        self.escalate_to = functools.cache(lambda grid: escalation_recipients(session, grid))

    def chunk(self, changes: list[_Change]) -> None:
        session, now, table = self.session, self.now, Case.__table__
        # The conditional UPDATEs: only rows still holding the light this tick read change, and
        # RETURNING says which, so only this tick tells anyone of them.
        transitions: dict[tuple[Light | None, Light], list[int]] = defaultdict(list)
        for change in changes:
            if change.new is not change.old:
                transitions[(change.old, change.new)].append(change.case_id)
        lit: dict[int, Light] = {}
        for (old, new), ids in transitions.items():
            held = table.c.light.is_(None) if old is None else table.c.light == old
            for case_id in session.execute(
                    update(table).where(table.c.id.in_(ids), held)
                    .values(light=new, updated_at=now).returning(table.c.id)).scalars():
                lit[case_id] = new
        overdue = [c.case_id for c in changes if c.escalate]
        escalated = set(session.execute(
            update(table).where(table.c.id.in_(overdue), table.c.escalation_level == 0)
            .values(escalation_level=1, escalated_at=now, updated_at=now)
            .returning(table.c.id)).scalars()) if overdue else set()
        warned = {case_id: light for case_id, light in lit.items() if light is not Light.green}
        if not warned and not escalated:
            return
        cases = {row.id: row for row in session.execute(
            select(*_detail_columns()).where(table.c.id.in_(sorted(set(warned) | escalated))))}

        notices, events, steps = [], [], []
        for case_id, light in sorted(warned.items()):
            case = cases[case_id]
            yellow = light is Light.yellow
            kind = NotificationKind.yellow if yellow else NotificationKind.red
            title = f"{'即将超期' if yellow else '已超期'} {case.code}: {case.title}"
            users = (self.department_users(case.department_code)
                     + self.dispatchers(case.grid_code))
            notices.append(notify.Notice(users, kind, case_id, title, case.due_at.isoformat()))
            events.append((WebhookEvent.yellow if yellow else WebhookEvent.red, case))
            if yellow:
                self.result.yellow += 1
            else:
                self.result.red += 1
        for case_id in sorted(escalated):
            case = cases[case_id]
            steps.append({
                "case_id": case_id, "grid_code": case.grid_code, "action": "escalate",
                "from_status": case.status, "to_status": case.status, "actor": "system",
                "department_code": case.department_code, "task_id": None,
                "note": "超期未处置, 提级督办", "details": {"due_at": case.due_at.isoformat()},
                "created_at": now, "updated_at": now, "version": 1})
            notices.append(notify.Notice(self.escalate_to(case.grid_code),
                                         NotificationKind.escalation, case_id,
                                         f"督办 {case.code}: {case.title} 已超期",
                                         case.due_at.isoformat()))
            self.result.escalated += 1
        if steps:
            session.execute(insert(CaseStep.__table__), steps)
        notify.send_many(session, notices, now)
        webhooks.enqueue_many(session, events, now)


class TickScheduler:
    """Runs the tick every `interval` seconds in a thread of the serving process."""

    def __init__(self, database: Database, interval: float) -> None:
        self.database = database
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval <= 0:
            return
        self._thread = threading.Thread(target=self._run, name="sla-tick", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self.database.session() as session:
                    result = tick(session)
                if result.yellow or result.red or result.escalated or result.hotspots_expired:
                    log.info("sla tick: %s", result)
            except Exception:  # the next minute tries again; the request path is unaffected
                log.exception("sla tick failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
