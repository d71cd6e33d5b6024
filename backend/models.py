"""Every domain's models, imported once so that the metadata (Alembic, tests) sees all tables.

A new model in an existing domain's models.py needs nothing here; a new domain adds a line.
"""

from backend.areas import models as areas
from backend.assessment import models as assessment
from backend.audit import models as audit
from backend.cases import models as cases
from backend.core.db import Base
from backend.disputes import models as disputes
from backend.fieldwork import models as fieldwork
from backend.hotspots import models as hotspots
from backend.identity import models as identity
from backend.imports import models as imports
from backend.kpi import models as kpi
from backend.ledgers import models as ledgers
from backend.meetings import models as meetings
from backend.notifications import models as notifications
from backend.requests_desk import models as requests_desk
from backend.team import models as team
from rbac import models as policy

__all__ = ["Base", "areas", "assessment", "audit", "cases", "disputes", "fieldwork", "hotspots",
           "identity", "imports", "kpi", "ledgers", "meetings", "notifications", "policy",
           "requests_desk", "team"]
