"""A release's default policy, applied to a database by `gridlink migrate` and the API's start.

The merge itself (what to add and remove, and why hand edits survive) is rbac/default_policy.py.
Here it is written the way every policy write is: through the policy-rules service, checked
against the vocabulary, audited (actor `migrate`), the generation bumped so that every worker
reloads; all in one transaction, with the last applied default recorded for the next release.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core import crud
from backend.core.db import Database
from backend.core.errors import ProblemError
from backend.identity.entities import POLICY_RULES
from backend.identity.schemas import PolicyRuleCreate
from rbac.default_policy import (
    DEFAULT_POLICY_PATH,
    DefaultPolicyError,
    Rule,
    last_applied,
    merge,
    read_default_policy,
    record_applied,
)
from rbac.enforcer import bump_generation
from rbac.models import PolicyRule
from rbac.sync import announce_change

log = logging.getLogger(__name__)
ACTOR = "migrate"


def _words(rule: Rule) -> str:
    role, obj, act = rule
    return f"role {role}, objects {obj}, actions {act}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


@dataclass(frozen=True)
class PolicyUpgrade:
    """What applying a release's default policy did, and how to say it."""

    applied: int | None  # the version applied before (None: a new database)
    release: int  # this release's version
    added: tuple[Rule, ...] = ()
    removed: tuple[Rule, ...] = ()
    added_by_hand: int = 0  # rules beyond the last applied default: kept
    removed_by_hand: int = 0  # rules of the last applied default no longer there: kept away

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)

    def lines(self) -> list[str]:
        if self.applied is None:
            return [f"default policy version {self.release} installed: "
                    f"{_count(len(self.added), 'rule')} added"]
        if self.applied > self.release:
            return [f"default policy: the database has version {self.applied}, newer than "
                    f"this release's {self.release}; left as it is"]
        if self.applied == self.release:
            return [f"default policy version {self.release}: up to date, nothing changed"]
        lines = [f"default policy upgraded from version {self.applied} to {self.release} "
                 f"(audit log actor: {ACTOR})"]
        lines += [f"  added:   {_words(rule)}" for rule in self.added]
        lines += [f"  removed: {_words(rule)}" for rule in self.removed]
        if not self.changed:
            lines.append("  no rule to add or remove: the policy already had these changes")
        if self.added_by_hand or self.removed_by_hand:
            lines.append(f"  kept as edited by hand: {_count(self.added_by_hand, 'rule')} "
                         f"added, {_count(self.removed_by_hand, 'default rule')} removed")
        return lines


def apply_default_policy(database: Database, *, policy_file: Path | None = None,
                         redis_url: str | None = None) -> PolicyUpgrade:
    """Merge this release's default policy (rbac/policy.csv, or `policy_file`) into the
    database's; see rbac/default_policy.py. A version at or below the one applied changes
    nothing, so that an older release's workers, still running during an upgrade, leave the
    newer default alone. Raises DefaultPolicyError when the file cannot be applied."""
    path = policy_file or DEFAULT_POLICY_PATH
    release = read_default_policy(path)
    with database.session() as session:
        # The generation's row is the lock (bump_generation): a second process applying the
        # same release at once waits here, then finds it applied. The session closes without
        # committing when there is nothing to do, so that the bump is undone.
        bump_generation(session)
        applied = last_applied(session)
        if applied is not None and applied.version >= release.version:
            if applied.version == release.version and set(applied.rules) != set(release.rules):
                raise DefaultPolicyError(
                    f"{path}: its rules differ from version {release.version} as applied to "
                    "this database; a changed default needs a higher `version` line")
            return PolicyUpgrade(applied.version, release.version)
        rows = list(session.execute(select(PolicyRule).order_by(PolicyRule.id)).scalars())
        current = [(row.role, row.obj, row.act) for row in rows]
        ancestor = applied.rules if applied is not None else ()
        changes = merge(last_applied=ancestor, new_default=release.rules, current=current)
        _write(session, path, changes.add, [row for row, rule in zip(rows, current, strict=True)
                                            if rule in changes.remove])
        record_applied(session, release)
        session.commit()
    upgrade = PolicyUpgrade(
        applied.version if applied is not None else None, release.version,
        changes.add, changes.remove,
        added_by_hand=len(set(current) - set(ancestor)),
        removed_by_hand=len(set(ancestor) - set(current)))
    if upgrade.changed:
        for line in upgrade.lines():
            log.info(line)
        if redis_url:
            announce_change(redis_url)
    return upgrade


def _write(session: Session, path: Path, add: tuple[Rule, ...], remove: list[PolicyRule]) -> None:
    """Through the policy-rules service, as the API writes, without committing yet."""
    caller = crud.Caller.system(ACTOR)
    for rule in add:
        try:
            fields = dict(zip(("role", "obj", "act"), rule, strict=True))
            payload = PolicyRuleCreate.model_validate(fields)
            crud.create_row(session, POLICY_RULES, payload, caller, commit=False)
        except ValidationError as exc:
            reasons = "; ".join(f"{'.'.join(map(str, error['loc']))}: {error['msg']}"
                                for error in exc.errors())
            raise DefaultPolicyError(f"{path}: cannot add {_words(rule)}: {reasons}") from exc
        except ProblemError as exc:
            raise DefaultPolicyError(f"{path}: cannot add {_words(rule)}: {exc.detail}") from exc
    for row in remove:
        try:
            crud.delete_row(session, POLICY_RULES, row, None, caller, commit=False)
        except ProblemError as exc:
            rule = (row.role, row.obj, row.act)
            raise DefaultPolicyError(f"{path}: cannot remove {_words(rule)}: {exc.detail}") from exc
