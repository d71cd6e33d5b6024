"""Every domain's entity declarations, in the order users meet them (menus, docs, the README)."""

from backend.areas import entities as _areas  # noqa: F401
from backend.assessment import entities as _assessment  # noqa: F401
from backend.audit import entities as _audit  # noqa: F401
from backend.cases import entities as _cases  # noqa: F401
from backend.cases import webhooks as _webhooks  # noqa: F401
from backend.core.crud import REGISTRY
from backend.disputes import entities as _disputes  # noqa: F401
from backend.fieldwork import entities as _fieldwork  # noqa: F401
from backend.hotspots import entities as _hotspots  # noqa: F401
from backend.identity import entities as _identity  # noqa: F401
from backend.ledgers import entities as _ledgers  # noqa: F401
from backend.meetings import entities as _meetings  # noqa: F401
from backend.requests_desk import entities as _requests  # noqa: F401
from backend.team import entities as _team  # noqa: F401

ORDER = (
    "areas", "grids", "buildings", "households", "residents", "organizations",
    "departments", "case-categories", "calendar-days", "routing-rules", "cases", "hotspot-alerts",
    "webhooks", "webhook-deliveries", "grid-staff", "staff-leaves", "patrols", "visits",
    "work-logs", "coverage-rules", "supervision-schedules", "party-contacts", "dispute-types",
    "disputes", "dispute-parties", "dispute-steps", "dispute-mediations", "dispute-screenings",
    "resident-requests", "errands", "meetings", "meeting-items",
    "assessment-schemes", "assessment-items", "assessment-entries",
    "assessment-runs", "assessment-scores",
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
