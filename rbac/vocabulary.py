"""The words the policy is written in: objects and actions.

The objects are the registry's entities and a few system objects; the actions are the CRUD
ones, `pii`, and each entity's own (the case workflow's, from backend/cases/actions.py). Read
from the registry when asked, so that a new entity or action is a word of the policy at once.
"""

from __future__ import annotations

from backend.core.crud import REGISTRY

CRUD_ACTIONS = ("read", "create", "update", "delete", "export")
# "pii": sees residents' ID numbers, phones and key-group tags unmasked.
DATA_ACTIONS = ("pii",)

# Objects beyond the CRUD registry's entities.
# `kpi`: the figures of backend/kpi (counts and rates over the cases in one's scope).
SYSTEM_OBJECTS = ("users", "role-assignments", "policy-rules", "api-keys", "audit-log", "kpi")


def known_objects() -> tuple[str, ...]:
    return tuple(dict.fromkeys((*REGISTRY, *SYSTEM_OBJECTS)))


def object_actions(obj: str) -> tuple[str, ...]:
    """The actions of an object beyond CRUD and pii (a case's workflow actions)."""
    spec = REGISTRY.get(obj)
    return spec.actions if spec is not None else ()


def known_actions() -> tuple[str, ...]:
    return tuple(dict.fromkeys((*CRUD_ACTIONS, *DATA_ACTIONS,
                                *(a for spec in REGISTRY.values() for a in spec.actions))))
