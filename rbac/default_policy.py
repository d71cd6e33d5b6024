"""The default policy (rbac/policy.csv), versioned, and how a release's changes to it are
merged into a database's policy.

A database keeps the default rules as last applied (`policy_default_rule`) and their version
(`policy_version.default_version`). A release whose default has a higher version is merged
three ways, with the last applied default as the common ancestor:

    to add    = rules the new default has and the last applied had not (unless already there)
    to remove = rules the last applied had and the new default has not (where still there)

Everything else in `policy_rule` is as the operator left it: a rule they added by hand is in
neither default, a default rule they removed is in both, so the merge touches neither. A new
database has nothing applied yet: every default rule is added. Databases from before the
default had a version got version 1's rules as their last applied default from migration
0009_policy.

Writing the changes (validated, audited, the generation bumped) is the policy-rules service's
job: backend/identity/policy_release.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from rbac.models import PolicyDefaultRule, PolicyVersion

DEFAULT_POLICY_PATH = Path(__file__).resolve().parent / "policy.csv"

Rule = tuple[str, str, str]  # role, objects, actions, as in a `p` line


class DefaultPolicyError(ValueError):
    """The default policy file cannot be read, or cannot be applied as it stands."""


@dataclass(frozen=True)
class DefaultPolicy:
    version: int
    rules: tuple[Rule, ...]


def read_default_policy(path: Path | None = None) -> DefaultPolicy:
    """The `version, N` line and the `p, role, objects, actions` lines of a policy file."""
    path = path or DEFAULT_POLICY_PATH
    version, rules = None, []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        kind, *fields = (part.strip() for part in line.split(","))
        if kind == "version" and len(fields) == 1 and fields[0].isdigit():
            version = int(fields[0])
        elif kind == "p" and len(fields) == 3 and all(fields):
            rules.append((fields[0], fields[1], fields[2]))
        else:
            raise DefaultPolicyError(
                f"{path}:{number}: neither `version, N` nor `p, role, objects, actions`: {line}")
    if version is None:
        raise DefaultPolicyError(f"{path}: no `version, N` line")
    return DefaultPolicy(version, tuple(dict.fromkeys(rules)))


def default_rules() -> list[Rule]:
    """This release's default rules (the README's permission matrix shows them)."""
    return list(read_default_policy().rules)


def last_applied(session: Session) -> DefaultPolicy | None:
    """The default policy as last applied to this database; None on a new one."""
    version = session.execute(select(PolicyVersion.default_version)).scalar()
    if version is None:
        return None
    rows = session.execute(select(PolicyDefaultRule.role, PolicyDefaultRule.obj,
                                  PolicyDefaultRule.act).order_by(PolicyDefaultRule.id))
    return DefaultPolicy(version, tuple((role, obj, act) for role, obj, act in rows))


def record_applied(session: Session, policy: DefaultPolicy) -> None:
    """In the transaction that applied `policy`: it is the common ancestor of the next merge.
    The policy_version row exists by then (bump_generation wrote it)."""
    session.execute(delete(PolicyDefaultRule))
    session.add_all(PolicyDefaultRule(role=role, obj=obj, act=act)
                    for role, obj, act in policy.rules)
    session.execute(update(PolicyVersion).values(default_version=policy.version))


@dataclass(frozen=True)
class PolicyMerge:
    add: tuple[Rule, ...]
    remove: tuple[Rule, ...]


def merge(*, last_applied: Iterable[Rule], new_default: Iterable[Rule],
          current: Iterable[Rule]) -> PolicyMerge:
    """The three-way merge above: what to add to and remove from the `current` rules."""
    ancestor, new, present = list(last_applied), list(new_default), set(current)
    in_ancestor, in_new = set(ancestor), set(new)
    return PolicyMerge(
        add=tuple(rule for rule in new if rule not in in_ancestor and rule not in present),
        remove=tuple(rule for rule in ancestor if rule not in in_new and rule in present),
    )
