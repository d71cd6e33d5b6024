"""Every model, imported once so that metadata (Alembic, tests) sees all tables."""

from backend.areas.models import Area, Grid
from backend.cases.models import Case, CaseCategory, CaseStep, Department
from backend.db import Base
from backend.fieldwork.models import Patrol, Visit, WorkLog
from backend.ledgers.models import Building, Household, Organization, Resident

__all__ = [
    "Area", "Base", "Building", "Case", "CaseCategory", "CaseStep", "Department", "Grid",
    "Household", "Organization", "Patrol", "Resident", "Visit", "WorkLog",
]
