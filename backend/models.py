"""Every model, imported once so that metadata (Alembic, tests) sees all tables."""

from backend.areas.models import Area, Grid
from backend.audit.models import AuditEntry
from backend.cases.models import Case, CaseCategory, CaseStep, Department
from backend.db import Base
from backend.fieldwork.models import Patrol, Visit, WorkLog
from backend.identity.models import ApiKey, LoginFailure, RoleAssignment, User
from backend.ledgers.models import Building, Household, Organization, Resident
from rbac.models import PolicyRule, PolicyVersion

__all__ = [
    "ApiKey", "Area", "AuditEntry", "Base", "Building", "Case", "CaseCategory", "CaseStep",
    "Department", "Grid", "Household", "LoginFailure", "Organization", "Patrol", "PolicyRule",
    "PolicyVersion", "Resident", "RoleAssignment", "User", "Visit", "WorkLog",
]
