"""Writing the audit log: one entry per write, in the same transaction as the write."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from backend.audit.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who is writing, and from where: a user over HTTP, or a system job (CLI, seed)."""

    name: str
    request_id: str | None = None
    client: str | None = None


SYSTEM = Actor("system")


_PLAIN = frozenset((str, int, float, bool, type(None)))


def _jsonable(value: Any) -> Any:
    if type(value) in _PLAIN:  # the common case, first (an import audits 50,000 rows)
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def entry(actor: Actor, action: str, entity: str, entity_id: int | None,
          scope_code: str | None, changes: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
    """An audit row's values: what `record` writes, and `record_many` takes ready-made."""
    return {
        "actor": actor.name, "action": action, "entity": entity, "entity_id": entity_id,
        "scope_code": scope_code,
        "changes": {k: [_jsonable(before), _jsonable(after)]
                    for k, (before, after) in changes.items()},
        "request_id": actor.request_id, "client": actor.client,
    }


def record(
    session: Session, actor: Actor, action: str, entity: str, entity_id: int | None,
    scope_code: str | None, changes: dict[str, tuple[Any, Any]], at: dt.datetime | None = None,
) -> None:
    """`at`: when the write happened (default now; the demo seed's simulated year passes it)."""
    stamp = {"created_at": at, "updated_at": at} if at is not None else {}
    session.add(AuditEntry(**entry(actor, action, entity, entity_id, scope_code, changes), **stamp))


def record_many(session: Session, entries: list[dict[str, Any]]) -> None:
    """Many entries made by `entry` (an import's rows) as one executemany INSERT."""
    if entries:
        session.execute(insert(AuditEntry.__table__), entries)
