"""Who hears of what: notifications addressed to the users whose roles make it their business.

Recipients are found through role assignments: a department's users, the dispatchers whose
area covers a case, the chiefs of given grids. A `dedupe` key makes a notice idempotent (the
SLA tick runs every minute but warns once per deadline).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.cases.models import Case
from backend.identity.models import Role, RoleAssignment, User
from backend.notifications.models import Notification, NotificationKind


def _active_users(session: Session, *conditions) -> list[int]:
    return list(session.execute(
        select(RoleAssignment.user_id).join(User, User.id == RoleAssignment.user_id)
        .where(User.is_active.is_(True), *conditions).distinct()
        .order_by(RoleAssignment.user_id)).scalars())


def send(session: Session, user_ids: list[int], kind: NotificationKind, case: Case | None,
         title: str, body: str | None = None, dedupe: str | None = None) -> int:
    """Add one notification per user; with `dedupe`, users already told are skipped."""
    sent = 0
    for user_id in dict.fromkeys(user_ids):
        key = f"{kind.value}:{case.id if case else '-'}:{user_id}:{dedupe or uuid.uuid4().hex}"
        if dedupe and session.execute(
                select(Notification.id).where(Notification.dedupe_key == key)).first():
            continue
        session.add(Notification(user_id=user_id, kind=kind, case_id=case.id if case else None,
                                 title=title[:200], body=body, dedupe_key=key[:200]))
        sent += 1
    return sent


def department_users(session: Session, department_code: str | None) -> list[int]:
    if department_code is None:
        return []
    return _active_users(session, RoleAssignment.role == Role.department,
                         RoleAssignment.department_code == department_code)


def department(session: Session, department_code: str | None, kind: NotificationKind,
               case: Case, title: str, dedupe: str | None = None) -> int:
    return send(session, department_users(session, department_code), kind, case, title,
                dedupe=dedupe)


def covering_dispatchers(session: Session, code: str, exact_level: bool = False) -> list[int]:
    """Dispatchers whose area covers `code`; with exact_level, only those at that very area."""
    prefixes = [code[:n] for n in (6, 9, 12, 15) if n <= len(code)]
    if exact_level:
        prefixes = [code]
    return _active_users(session, RoleAssignment.role == Role.dispatcher,
                         RoleAssignment.area_code.in_(prefixes))


def dispatchers(session: Session, case: Case, kind: NotificationKind, title: str,
                dedupe: str | None = None) -> int:
    return send(session, covering_dispatchers(session, case.grid_code), kind, case, title,
                dedupe=dedupe)


def grid_chiefs(session: Session, grid_codes: list[str], kind: NotificationKind, case: Case,
                title: str, dedupe: str | None = None) -> int:
    if not grid_codes:
        return 0
    users = _active_users(session, RoleAssignment.role == Role.grid_chief,
                          RoleAssignment.area_code.in_(grid_codes))
    return send(session, users, kind, case, title, dedupe=dedupe)
