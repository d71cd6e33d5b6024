"""The SLA tick: lights turn yellow and red, people are told, red cases are escalated (督办).

Run every minute by `gridlink serve` and on demand by `gridlink sla tick`. Idempotent: each row
is changed with a conditional UPDATE (only if it still holds the old value), and only the
process whose UPDATE took effect notifies, so two workers ticking at once, or one tick run
twice, warn and escalate once.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.cases.models import Case, CaseCategory, CaseStep, DeadlineUnit, Light, WebhookEvent
from backend.cases.service import RUNNING_STATUSES
from backend.db import Database, utcnow
from backend.identity.models import Role, RoleAssignment
from backend.notifications import service as notify
from backend.notifications.models import NotificationKind

log = logging.getLogger(__name__)


@dataclass
class TickResult:
    scanned: int = 0
    yellow: int = 0
    red: int = 0
    escalated: int = 0
    seconds: float = 0.0


def escalation_recipients(session: Session, grid_code: str) -> list[int]:
    """The dispatchers one level above the closest ones covering the grid; above the county,
    the leading group."""
    covering = session.execute(
        select(RoleAssignment.area_code).where(
            RoleAssignment.role == Role.dispatcher,
            RoleAssignment.area_code.in_([grid_code[:n] for n in (6, 9, 12, 15)]))
    ).scalars().all()
    closest = max((len(code) for code in covering), default=0)
    if closest > 6:
        upper = grid_code[: {9: 6, 12: 9, 15: 12}[closest]]
        return notify.covering_dispatchers(session, upper, exact_level=True)
    return notify._active_users(session, RoleAssignment.role == Role.leader,
                                RoleAssignment.area_code.in_([grid_code[:6], grid_code[:9]]))


def tick(session: Session, now: dt.datetime | None = None) -> TickResult:
    from backend.cases.sla import deadlines

    started = time.perf_counter()
    run = _Tick(session, now or utcnow(), deadlines(session))
    rows = session.execute(
        select(Case.id, Case.sla_started_at, Case.due_at, Case.light, Case.escalation_level,
               CaseCategory.deadline_unit)
        .join(CaseCategory, CaseCategory.code == Case.category_code)
        .where(Case.status.in_(RUNNING_STATUSES), Case.due_at.is_not(None),
               Case.sla_started_at.is_not(None))
    ).all()
    run.result.scanned = len(rows)
    with session.no_autoflush:  # one flush at the end, not one before every lookup
        for row in rows:
            run.case(*row)
    session.commit()
    run.result.seconds = time.perf_counter() - started
    return run.result


class _Tick:
    """One tick: its clock, calendar, and who hears of what, looked up once per department
    and grid (a first tick over a backlog changes thousands of lights)."""

    def __init__(self, session: Session, now: dt.datetime, rules) -> None:
        self.session, self.now, self.rules = session, now, rules
        self.result = TickResult()
        self.department_users = functools.cache(
            lambda code: notify.department_users(session, code))
        self.dispatchers = functools.cache(lambda grid: notify.covering_dispatchers(session, grid))
        self.escalate_to = functools.cache(lambda grid: escalation_recipients(session, grid))

    def case(self, case_id, started_at, due_at, old_light, level, unit) -> None:
        from backend.cases import webhooks
        session, now, result = self.session, self.now, self.result
        light = self.rules.light(started_at, due_at, DeadlineUnit(unit), now)
        changed = light is not old_light and session.execute(
            update(Case).where(Case.id == case_id, Case.light.is_(None) if old_light is None
                               else Case.light == old_light)
            .values(light=light).execution_options(synchronize_session=False)
        ).rowcount == 1
        if changed and light in (Light.yellow, Light.red):
            case = session.get(Case, case_id)
            kind = NotificationKind.yellow if light is Light.yellow else NotificationKind.red
            title = (f"{'即将超期' if light is Light.yellow else '已超期'} {case.code}: {case.title}")
            dedupe = f"{due_at.isoformat()}"
            notify.send(session, self.department_users(case.department_code), kind, case, title,
                        dedupe=dedupe)
            notify.send(session, self.dispatchers(case.grid_code), kind, case, title, dedupe=dedupe)
            webhooks.enqueue(session, WebhookEvent.yellow if light is Light.yellow
                             else WebhookEvent.red, case, department_code=case.department_code)
            if light is Light.yellow:
                result.yellow += 1
            else:
                result.red += 1
        if light is Light.red and level == 0 and session.execute(
                update(Case).where(Case.id == case_id, Case.escalation_level == 0)
                .values(escalation_level=1, escalated_at=now)
                .execution_options(synchronize_session=False)).rowcount == 1:
            case = session.get(Case, case_id)
            session.add(CaseStep(case_id=case.id, grid_code=case.grid_code, action="escalate",
                                 from_status=case.status, to_status=case.status, actor="system",
                                 department_code=case.department_code,
                                 note="超期未处置, 提级督办", details={"due_at": due_at.isoformat()}))
            notify.send(session, self.escalate_to(case.grid_code),
                        NotificationKind.escalation, case, f"督办 {case.code}: {case.title} 已超期",
                        dedupe=due_at.isoformat())
            result.escalated += 1


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
                if result.yellow or result.red or result.escalated:
                    log.info("sla tick: %s", result)
            except Exception:  # the next minute tries again; the request path is unaffected
                log.exception("sla tick failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
