"""The one policy: a Casbin enforcer over the policy_rule table, with cached decisions.

Every process holds one `PolicyEngine`. A change (rule, role assignment, account) bumps the
generation in `policy_version`; the process that made it reloads at once and tells the others,
through Redis when configured, otherwise each notices within a short poll.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import casbin
from casbin import persist
from sqlalchemy import select, update

from backend.core.db import Database
from rbac.models import PolicyRule, PolicyVersion

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
MODEL_PATH = HERE / "model.conf"


def one_of(value: str, pattern: str) -> bool:
    """`*` matches anything; `a|b|c` matches exactly a, b or c."""
    return pattern == "*" or value in pattern.split("|")


class DatabaseAdapter(persist.Adapter):
    """Casbin reads its `p` lines from our policy_rule table (written through the API)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def load_policy(self, model) -> None:
        with self.database.session() as session:
            for rule in session.execute(select(PolicyRule).order_by(PolicyRule.id)).scalars():
                persist.load_policy_line(f"{rule.ptype}, {rule.role}, {rule.obj}, {rule.act}",
                                         model)

    # Writes go through the CRUD registry (validated and audited), never through Casbin.
    def save_policy(self, model) -> bool:
        return False

    def add_policy(self, sec, ptype, rule) -> bool:
        return False

    def remove_policy(self, sec, ptype, rule) -> bool:
        return False

    def remove_filtered_policy(self, sec, ptype, field_index, *field_values) -> bool:
        return False


def current_generation(database: Database) -> int:
    with database.session() as session:
        return session.execute(select(PolicyVersion.generation)).scalar() or 0


def bump_generation(session) -> None:
    """Called inside the transaction that changes rules, roles or accounts.

    Its UPDATE also locks the row until that transaction ends (on SQLite, the database): the
    default policy's upgrade takes it first, so that two processes never apply it at once."""
    if session.execute(update(PolicyVersion).values(
            generation=PolicyVersion.generation + 1)).rowcount == 0:
        session.add(PolicyVersion(generation=1))


class PolicyEngine:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.enforcer = casbin.Enforcer(str(MODEL_PATH), DatabaseAdapter(database))
        self.enforcer.add_function("oneOf", one_of)
        self._decisions: dict[tuple[str, str, str], bool] = {}
        self._lock = threading.Lock()
        self._listeners: list = []
        self.generation = -1
        self.reload()

    def on_reload(self, callback) -> None:
        """Caches built on the policy (e.g. resolved principals) register to be cleared."""
        self._listeners.append(callback)

    def reload(self) -> None:
        with self._lock:
            self.generation = current_generation(self.database)
            self.enforcer.load_policy()
            self._decisions = {}
        for callback in self._listeners:
            callback()
        log.info("policy loaded (generation %s)", self.generation)

    def reload_if_changed(self) -> bool:
        if current_generation(self.database) != self.generation:
            self.reload()
            return True
        return False

    def allowed(self, role: str, obj: str, act: str) -> bool:
        key = (role, obj, act)
        decision = self._decisions.get(key)
        if decision is None:
            decision = bool(self.enforcer.enforce(role, obj, act))
            self._decisions[key] = decision
        return decision
