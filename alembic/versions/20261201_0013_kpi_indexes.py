"""kpi indexes: each KPI figure read from one index

Revision ID: 0011_kpi
Revises: 0010_hotspots
Create Date: 2026-11-30 15:30:00

The KPI module (backend/kpi) counts cases by a time (reported, filed, dispatched, due,
closed within a period) or by status (open now), then by area and department. Each of these
indexes leads with that column and holds what the figure counts, so that it is read from the
index alone (benchmarks/RESULTS.md, "KPI endpoints"); the id last, for a department's scope,
which looks its tasks up by the case's id. They replace the single-column indexes
of reported_at, due_at and closed_at and the (status, grid_code, due_at) index, which they
extend: lists sorted or filtered by those columns use them as before.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0011_kpi'
down_revision: str | None = '0010_hotspots'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = {
    "ix_case__kpi_open": ["status", "grid_code", "due_at", "light", "department_code",
                          "escalation_level", "id"],
    "ix_case__kpi_reported": ["reported_at", "grid_code", "department_code", "id"],
    "ix_case__kpi_filed": ["filed_at", "grid_code", "department_code", "id"],
    "ix_case__kpi_dispatched": ["dispatched_at", "grid_code", "department_code", "id"],
    "ix_case__kpi_due": ["due_at", "status", "grid_code", "department_code", "closed_at",
                         "handled_at", "rework_count", "extension_count", "id"],
    "ix_case__kpi_closed": ["closed_at", "status", "grid_code", "department_code", "due_at",
                            "reported_at", "handled_at", "satisfaction", "id"],
}
OLD = {
    "ix_case__status_grid_code_due_at": ["status", "grid_code", "due_at"],
    "ix_case__reported_at": ["reported_at"],
    "ix_case__due_at": ["due_at"],
    "ix_case__closed_at": ["closed_at"],
}


def upgrade() -> None:
    for name in OLD:
        op.drop_index(name, table_name="case")
    for name, columns in NEW.items():
        op.create_index(name, "case", columns)


def downgrade() -> None:
    for name in NEW:
        op.drop_index(name, table_name="case")
    for name, columns in OLD.items():
        op.create_index(name, "case", columns)
