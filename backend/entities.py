"""Every domain's entity declarations, in the order users meet them (menus, docs, the README)."""

from backend.core.crud import REGISTRY
from backend.areas import service as _areas  # noqa: F401
from backend.audit import service as _audit  # noqa: F401
from backend.cases import service as _cases  # noqa: F401
from backend.cases import webhooks as _webhooks  # noqa: F401
from backend.fieldwork import service as _fieldwork  # noqa: F401
from backend.identity import service as _identity  # noqa: F401
from backend.ledgers import service as _ledgers  # noqa: F401

ORDER = (
    "areas", "grids", "buildings", "households", "residents", "organizations",
    "departments", "case-categories", "calendar-days", "routing-rules", "cases", "webhooks",
    "webhook-deliveries", "patrols", "visits", "work-logs",
    "users", "role-assignments", "policy-rules", "audit-log",
)
if set(ORDER) != set(REGISTRY):
    raise RuntimeError(f"entities without a place in ORDER: {set(REGISTRY) ^ set(ORDER)}")
# The registry itself put in this order, so every reader of it (the policy's vocabulary, the
# permission matrix) lists entities as users meet them.
_registered = dict(REGISTRY)
REGISTRY.clear()
REGISTRY.update((name, _registered[name]) for name in ORDER)
ENTITIES = REGISTRY
