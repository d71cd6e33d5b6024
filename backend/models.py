"""Every model, imported once so that metadata (Alembic, tests) sees all tables."""

from backend.areas.models import Area, Grid
from backend.audit.models import AuditEntry
from backend.cases.models import (
    CalendarDay,
    Case,
    CaseCategory,
    CaseStep,
    CaseTask,
    Department,
    RoutingRule,
    Webhook,
    WebhookDelivery,
)
from backend.db import Base
from backend.fieldwork.models import Patrol, Visit, WorkLog
from backend.imports.models import ImportJob
from backend.identity.models import ApiKey, LoginThrottle, RefreshFamily, RoleAssignment, User
from backend.ledgers.models import Building, Household, Organization, Resident
from backend.notifications.models import Notification
from rbac.models import PolicyDefaultRule, PolicyRule, PolicyVersion

__all__ = [
    "ApiKey", "Area", "AuditEntry", "Base", "Building", "CalendarDay", "Case", "CaseCategory",
    "CaseStep", "CaseTask", "Department", "Grid", "Household", "ImportJob", "LoginThrottle",
    "Notification", "Organization", "Patrol", "PolicyDefaultRule", "PolicyRule", "PolicyVersion",
    "RefreshFamily", "Resident", "RoleAssignment", "RoutingRule", "User", "Visit", "Webhook",
    "WebhookDelivery", "WorkLog",
]
