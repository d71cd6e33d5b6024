"""open emergencies index: the command center's adjacent-grid alerts, newest first

Revision ID: 0012_emergencies
Revises: 0011_kpi
Create Date: 2026-11-30 18:00:00

The command center lists the open emergencies (each alerted the grids next door), newest
first. Without this index the database reads every open case (44,000 at a million cases,
170 ms on SQLite) to find the few that are emergencies; with it, it walks the emergencies
newest first and stops at the page's twentieth open one.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0012_emergencies'
down_revision: str | None = '0011_kpi'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_case__handling_type_reported_at", "case",
                    ["handling_type", "reported_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_case__handling_type_reported_at", table_name="case")
