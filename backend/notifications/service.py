"""Who hears of what: notifications addressed to the users whose roles make it their business.

Recipients are found through role assignments: a department's users, the dispatchers whose
area covers a case, the chiefs of given grids (or their A/B partners while they are on leave).
A `dedupe` key makes a notice idempotent (the SLA tick runs every minute but warns once per
deadline).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from backend.cases.models import Case
from backend.core import area_codes
from backend.core.db import affected_rows, once_per_session, utcnow
from backend.core.errors import ProblemError
from backend.identity.models import Role, RoleAssignment, User
from backend.notifications.models import Notification, NotificationKind
from backend.team import cover
from backend.team.cover import Handover

# Keys per IN (...) lookup: well below the parameter limits of SQLite and PostgreSQL.
LOOKUP_CHUNK = 1000


def active_users(session: Session, *conditions) -> list[int]:
    return list(session.execute(
        select(RoleAssignment.user_id).join(User, User.id == RoleAssignment.user_id)
        .where(User.is_active.is_(True), *conditions).distinct()
        .order_by(RoleAssignment.user_id)).scalars())


def _key(kind: NotificationKind, case_id: int | None, user_id: int, dedupe: str | None) -> str:
    case = case_id if case_id is not None else "-"
    return f"{kind.value}:{case}:{user_id}:{dedupe or uuid.uuid4().hex}"[:200]


def send(session: Session, user_ids: list[int], kind: NotificationKind, case: Case | None,
         title: str, body: str | None = None, dedupe: str | None = None,
         at: dt.datetime | None = None) -> int:
    """Add one notification per user; with `dedupe`, users already told are skipped. `at` is
    when it was sent (default: now; the demo's simulated year passes its own clock)."""
    sent = 0
    for user_id in dict.fromkeys(user_ids):
        key = _key(kind, case.id if case else None, user_id, dedupe)
        if dedupe and session.execute(
                select(Notification.id).where(Notification.dedupe_key == key)).first():
            continue
        stamp = {"created_at": at, "updated_at": at} if at is not None else {}
        session.add(Notification(user_id=user_id, kind=kind, case_id=case.id if case else None,
                                 title=title[:200], body=body, dedupe_key=key, **stamp))
        sent += 1
    return sent


@dataclass(frozen=True)
class Notice:
    """One reason to tell some users about a case (for `send_many`)."""

    user_ids: list[int]
    kind: NotificationKind
    case_id: int
    title: str
    dedupe: str


def send_many(session: Session, notices: list[Notice], at: dt.datetime) -> int:
    """`send` for many cases at once (the SLA tick): one lookup of the dedupe keys already used,
    one bulk INSERT; users already told of the same thing are skipped, as by `send`."""
    rows: dict[str, dict] = {}
    for notice in notices:
        for user_id in notice.user_ids:
            key = _key(notice.kind, notice.case_id, user_id, notice.dedupe)
            rows.setdefault(key, {
                "user_id": user_id, "kind": notice.kind, "case_id": notice.case_id,
                "title": notice.title[:200], "body": None, "dedupe_key": key, "read_at": None,
                "created_at": at, "updated_at": at, "version": 1})
    keys = list(rows)
    for start in range(0, len(keys), LOOKUP_CHUNK):
        for taken in session.execute(select(Notification.dedupe_key).where(
                Notification.dedupe_key.in_(keys[start:start + LOOKUP_CHUNK]))).scalars():
            del rows[taken]
    if rows:
        session.execute(insert(Notification.__table__), list(rows.values()))
    return len(rows)


def department_users(session: Session, department_code: str | None) -> list[int]:
    if department_code is None:
        return []
    return once_per_session(session, ("department_users", department_code), lambda: active_users(
        session, RoleAssignment.role == Role.department,
        RoleAssignment.department_code == department_code))


def department(session: Session, department_code: str | None, kind: NotificationKind,
               case: Case, title: str, dedupe: str | None = None,
               at: dt.datetime | None = None) -> int:
    return send(session, department_users(session, department_code), kind, case, title,
                dedupe=dedupe, at=at)


def covering_dispatchers(session: Session, code: str, exact_level: bool = False) -> list[int]:
    """Dispatchers whose area covers `code`; with exact_level, only those at that very area."""
    prefixes = area_codes.lineage(code)
    if exact_level:
        prefixes = [code]
    return once_per_session(session, ("dispatchers", tuple(prefixes)), lambda: active_users(
        session, RoleAssignment.role == Role.dispatcher, RoleAssignment.area_code.in_(prefixes)))


def dispatchers(session: Session, case: Case, kind: NotificationKind, title: str,
                dedupe: str | None = None, at: dt.datetime | None = None) -> int:
    return send(session, covering_dispatchers(session, case.grid_code), kind, case, title,
                dedupe=dedupe, at=at)


def grid_chiefs(session: Session, grid_codes: list[str], kind: NotificationKind, case: Case,
                title: str, dedupe: str | None = None, at: dt.datetime | None = None
                ) -> list[Handover]:
    """Tell the chiefs of these grids, or whoever covers for one on leave (AB岗, see
    backend/team/cover.py); returns the substitutions made, for the case's step log."""
    if not grid_codes:
        return []
    duty = cover.on_duty(session, grid_codes, at or utcnow())
    send(session, duty.user_ids, kind, case, title, dedupe=dedupe, at=at)
    return duty.handovers


def mark_read(session: Session, user_id: int, notification_id: int) -> Notification:
    """One of the user's notifications read (404 for anyone else's, as for a missing one)."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != user_id:
        raise ProblemError(404, f"通知 {notification_id} 不存在")
    if notification.read_at is None:
        notification.read_at = utcnow()
        session.commit()
    return notification


def mark_all_read(session: Session, user_id: int) -> int:
    result = session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    session.commit()
    return affected_rows(result)
