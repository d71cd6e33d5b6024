"""Principals cached per process, emptied whenever the policy generation moves."""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session

from backend.identity.models import User
from backend.identity.service import load_principal
from rbac.enforcer import PolicyEngine
from rbac.scope import Principal


class PrincipalCache:
    """User id → principal. Grants change only with the policy generation, which clears this."""

    def __init__(self, engine: PolicyEngine) -> None:
        self.engine = engine
        self._cache: dict[int, Principal] = {}
        self._lock = threading.Lock()
        engine.on_reload(self.clear)

    def clear(self) -> None:
        with self._lock:
            self._cache = {}

    def get(self, session: Session, user: User) -> Principal:
        principal = self._cache.get(user.id)
        if principal is None:
            principal = load_principal(session, self.engine, user)
            with self._lock:
                self._cache[user.id] = principal
        return principal
