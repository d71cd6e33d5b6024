"""Writing the audit log: one entry per write, in the same transaction as the write."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from backend.audit.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who is writing, and from where: a user over HTTP, or a system job (CLI, seed)."""

    name: str
    request_id: str | None = None
    client: str | None = None


SYSTEM = Actor("system")


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def record(
    session: Session, actor: Actor, action: str, entity: str, entity_id: int | None,
    scope_code: str | None, changes: dict[str, tuple[Any, Any]], at: dt.datetime | None = None,
) -> None:
    """`at`: when the write happened (default now; the demo seed's simulated year passes it)."""
    stamp = {"created_at": at, "updated_at": at} if at is not None else {}
    session.add(AuditEntry(
        actor=actor.name, action=action, entity=entity, entity_id=entity_id,
        scope_code=scope_code,
        changes={k: [_jsonable(before), _jsonable(after)] for k, (before, after) in changes.items()},
        request_id=actor.request_id, client=actor.client, **stamp,
    ))
