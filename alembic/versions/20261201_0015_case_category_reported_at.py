"""case (category_code, reported_at): a class's reports of the last days, for intake

Revision ID: 0013_category_time
Revises: 0012_emergencies
Create Date: 2026-11-30 19:00:00

Every report with a point looks for likely duplicates (the same small class within 50 m in the
last 7 days) and hot spots (the same class within 200 m in the last D days): both ask for one
class's recent reports. The category index alone walked all of a class's cases, 25,000 at a
million (66-98 ms warm, 5 s cold, per question on SQLite); leading with the class and then the
time reads only the window. It replaces the category index, whose lookups it serves as prefix.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0013_category_time'
down_revision: str | None = '0012_emergencies'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_case__category_code_reported_at", "case",
                    ["category_code", "reported_at"])
    op.drop_index("ix_case__category_code", table_name="case")


def downgrade() -> None:
    op.create_index("ix_case__category_code", "case", ["category_code"])
    op.drop_index("ix_case__category_code_reported_at", table_name="case")
