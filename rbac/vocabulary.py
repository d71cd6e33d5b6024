"""The words the policy is written in: objects and actions."""

from __future__ import annotations

CRUD_ACTIONS = ("read", "create", "update", "delete", "export")
# "pii": sees residents' ID numbers, phones and key-group tags unmasked.
DATA_ACTIONS = ("pii",)
CASE_ACTIONS = (
    "file", "cancel", "dispatch", "accept", "return", "feedback", "request-extension",
    "approve-extension", "reject-extension", "verify", "close", "rework", "summon", "merge",
    "evaluate", "handle-on-site", "review-approval",
)
ACTIONS = CRUD_ACTIONS + DATA_ACTIONS + CASE_ACTIONS

# Objects beyond the CRUD registry's entities.
SYSTEM_OBJECTS = ("users", "role-assignments", "policy-rules", "api-keys", "audit-log")


def known_objects() -> tuple[str, ...]:
    from backend.entities import ENTITIES

    return tuple(dict.fromkeys((*ENTITIES, *SYSTEM_OBJECTS)))
