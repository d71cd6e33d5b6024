"""The year of cases, played: each drafted report and its moves through the services the API
uses, in the order things happened.

Intake (map, code, duplicate flag, neighbour alerts) receives each report at its time,
`workflow.perform` takes every move at its own simulated time, and the SLA tick runs at each
moment a case's light was due to change. So every seeded case's steps, status, tasks, due
time, light, escalation and notifications are what the real flow would have produced for the
demo accounts.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.audit.writer import Actor
from backend.cases import escalation
from backend.cases.entities import CASES, RUNNING_STATUSES
from backend.cases.models import OPEN_STATUSES, Case, CaseCategory, CaseTask, TaskStatus
from backend.cases.schemas import CaseCreate
from backend.cases.sla import deadlines
from backend.cases.workflow import perform
from backend.core.crud import Caller, create_row
from backend.seed.case_plans import Move
from backend.seed.vocabulary import BATCH_SIZE, BETWEEN_SLICES


@dataclass
class Playing:
    """A case in play: its planned moves, and how many of them have been taken."""

    case: Case
    moves: list[Move]
    done: int = 0


class CaseYear:
    """Plays the planned cases through intake and the workflow service, in time order.

    One queue of what happens next, ordered by time: reports, moves, and the moments a running
    case's light is due to turn yellow or red, when the SLA tick (which runs every minute in
    a real deployment) is run for that case, at the first whole minute after. Time order is
    what makes the year true: a repeat call is flagged as a duplicate only if the first report
    was still open then, and a light turns only if the case was still running then. Nothing
    after `now` happens.

    In one transaction, the caller's (`gridlink seed`); or, for `gridlink demo`, in slices of
    about `slice_seconds` each committed on its own while the API already serves the county,
    so that the cases arrive oldest first and other writers (a login, a person at work) get
    the database between two slices. A slice starts by locking the database (SQLite) or the
    cases still in play (PostgreSQL) and reading them anew: a case someone else has acted on
    since the last slice is theirs from then on, and the year plays nothing more on it.
    """

    def __init__(self, session: Session, now: dt.datetime) -> None:
        self.session, self.now = session, now
        self.rules = deadlines(session)
        self.units = dict(session.execute(select(CaseCategory.code,
                                                 CaseCategory.deadline_unit)).all())
        self.callers: dict[str, Caller] = {}
        self.queue: list[tuple[dt.datetime, int, str, Any]] = []
        self.order = itertools.count()
        # Cases with something still queued (moves, ticks): case id -> (case, queued events).
        self.in_play: dict[int, tuple[Case, int]] = {}
        self.let_go: set[int] = set()  # cases someone else acted on: played no further
        self.versions: dict[int, int] = {}  # with slices: each case's version as last seen

    def caller(self, name: str) -> Caller:
        """The actor a move is recorded under: the person the demo has do it. A system caller
        (no scope checks): the planner keeps each person to the cases of their own grid."""
        if name not in self.callers:
            self.callers[name] = Caller(None, Actor(name))
        return self.callers[name]

    def push(self, at: dt.datetime, kind: str, item: Any, case: Case | None = None) -> None:
        heapq.heappush(self.queue, (at, next(self.order), kind, item))
        if case is not None:
            queued = self.in_play.get(case.id, (case, 0))[1]
            self.in_play[case.id] = (case, queued + 1)

    def popped(self, case: Case) -> bool:
        """One queued event of the case is due; False when the year has let the case go."""
        held, queued = self.in_play[case.id]
        if queued > 1:
            self.in_play[case.id] = (held, queued - 1)
        else:
            del self.in_play[case.id]
            self.versions.pop(case.id, None)
        return case.id not in self.let_go

    def play(self, reports: list[dict[str, Any]], advance: Callable[[int], None], *,
             slice_seconds: float | None = None, between_slices: float = BETWEEN_SLICES,
             stop: threading.Event | None = None) -> int:
        """Play the year; returns how many reports came in. `advance(n)`: n more reports are
        in (with slices: committed, visible to everyone). `stop`, when set, ends the year
        after the slice under way (the demo stopped with Ctrl-C)."""
        for report in reports:
            self.push(report["reported_at"], "report", report)
        received = unannounced = 0
        sliced = slice_seconds is not None
        if sliced:
            self.begin_slice()
        slice_ends = time.monotonic() + (slice_seconds or 0)
        # Written only when something reads it, so that the steps and audit entries of several
        # moves share a flush: a report writes itself (the duplicate check reads which cases
        # are open), a move on a case changed since the last flush flushes first (one version
        # per action, as over the API), a tick flushes first.
        with self.session.no_autoflush:
            while self.queue and self.queue[0][0] <= self.now:
                if sliced and time.monotonic() >= slice_ends:
                    self.session.commit()
                    advance(unannounced)
                    unannounced = 0
                    if stop is not None and stop.is_set():
                        return received
                    # The database free for a moment: SQLite's busy handler has a writer that
                    # waits for the lock sleep up to 100 ms between tries, and one that never
                    # found it free would give up after the busy timeout.
                    time.sleep(between_slices)
                    self.begin_slice()
                    slice_ends = time.monotonic() + (slice_seconds or 0)
                at, _, kind, item = heapq.heappop(self.queue)
                if kind == "report":
                    self.receive(at, item)
                    received += 1
                    if sliced:
                        unannounced += 1
                    else:
                        advance(1)
                elif kind == "move":
                    if self.popped(item.case):
                        self.take(at, item)
                elif self.popped(item[0]):
                    self.tick(at, *item)
            self.session.flush()
        # The tick that ran in the minute before `now`.
        escalation.tick(self.session, now=self.now, commit=False)
        if sliced:
            self.session.commit()
            advance(unannounced)
        return received

    def begin_slice(self) -> None:
        """Take the database for one slice; let go of the cases others changed meanwhile."""
        session = self.session
        if session.get_bind().dialect.name == "sqlite":
            # The write lock now, before the first read: no other writer can slip in between
            # the check below and this slice's writes (and the busy timeout waits for a
            # writer still at work, where a read-then-write transaction would fail at once).
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        for case_id, (case, _) in self.in_play.items():
            # The version the year last wrote or read: from the object when it holds one (not
            # reloaded for it: a reload would read another writer's version as our own).
            if "version" in case.__dict__:
                self.versions[case_id] = case.__dict__["version"]
        known = {case_id: self.versions[case_id] for case_id in self.in_play
                 if case_id not in self.let_go}
        # What this session holds may be stale now: every object is read anew when next used.
        session.expire_all()
        for start in range(0, len(known), BATCH_SIZE):
            ids = list(known)[start:start + BATCH_SIZE]
            for case_id, version in session.execute(
                    select(Case.id, Case.version).where(Case.id.in_(ids))
                    .with_for_update()):  # PostgreSQL: locked until this slice commits
                if version != known[case_id]:
                    self.let_go.add(case_id)

    def receive(self, at: dt.datetime, report: dict[str, Any]) -> None:
        data = {k: v for k, v in report.items() if k not in ("intake_actor", "moves")}
        # Taken in as POST /api/v1/cases takes a report, on the year's clock.
        caller = self.caller(report["intake_actor"])
        case = create_row(self.session, CASES, CaseCreate(**data), caller, at=at, commit=False)
        self.next_move(Playing(case, report["moves"]), at)

    def next_move(self, playing: Playing, after: dt.datetime) -> None:
        if playing.done >= len(playing.moves):
            return
        move, case = playing.moves[playing.done], playing.case
        at = after + move.wait
        if move.share is not None and case.sla_started_at and case.due_at:
            at = max(at, case.sla_started_at + (case.due_at - case.sla_started_at) * move.share)
        self.push(at, "move", playing, case)

    def take(self, at: dt.datetime, playing: Playing) -> None:
        case, move = playing.case, playing.moves[playing.done]
        playing.done += 1
        action, body = move.action, dict(move.body)
        if action == "file" and case.possible_duplicate_of_id is not None:
            original = self.session.get_one(Case, case.possible_duplicate_of_id)
            if original.status in OPEN_STATUSES:  # the same problem: merged, not filed again
                action = "merge"
                body = {"original_case_id": original.id, "note": "重复上报, 合并至原案卷"}
                playing.done = len(playing.moves)
        if move.department is not None:
            body["task_id"] = self.session.execute(
                select(CaseTask.id).where(CaseTask.case_id == case.id,
                                          CaseTask.department_code == move.department,
                                          CaseTask.status != TaskStatus.returned)
                .order_by(CaseTask.id.desc()).limit(1)).scalar_one()
        if move.extend is not None:
            assert case.due_at is not None, "an extension is asked on a running case"
            body["requested_due_at"] = case.due_at + move.extend
        if self.session.is_modified(case):  # one version per action, as over the API
            self.session.flush()
        was_running = case.status in RUNNING_STATUSES
        clock = (case.sla_started_at, case.due_at)
        perform(self.session, case.id, action, body, self.caller(move.actor), now=at,
                commit=False, flush=False)
        if case.status in RUNNING_STATUSES and (
                not was_running or (case.sla_started_at, case.due_at) != clock):
            self.watch(case, at)
        self.next_move(playing, at)

    def watch(self, case: Case, at: dt.datetime) -> None:
        """Tick the case in the first minute after its light is due to turn yellow, and red
        (after `at`: a case sent back for rework past its due time turns red at once)."""
        unit = self.units[case.category_code]
        started, due = case.sla_started_at, case.due_at
        assert started is not None and due is not None, "a running case has its clock"
        yellow = self.rules.yellow_at(started, due, unit)
        for moment in (yellow, due):
            moment = max(moment, at)
            minute = moment.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
            self.push(minute, "tick", (case, case.due_at), case)

    def tick(self, at: dt.datetime, case: Case, due_at: dt.datetime) -> None:
        if case.status not in RUNNING_STATUSES or case.due_at != due_at:
            return  # handled meanwhile, or given another due time (watched anew)
        self.session.flush()
        escalation.tick(self.session, now=at, case_ids=[case.id], commit=False)
        # The tick writes with Core UPDATEs: what this session holds of the case is stale.
        self.session.expire(case, ["light", "escalation_level", "escalated_at", "updated_at"])
