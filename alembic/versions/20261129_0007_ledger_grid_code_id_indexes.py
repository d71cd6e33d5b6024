"""ledger grid_code + id indexes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 02:10:00

Ledgers list a grid's or an area's rows in (grid_code, id) order (the admin panel's default):
with the id in the index neither SQLite nor PostgreSQL needs a sort step. The composite index
replaces the grid_code one, which it covers as a prefix.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("building", "household", "resident", "organization")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}__grid_code_id", ["grid_code", "id"], unique=False)
            batch_op.drop_index(f"ix_{table}__grid_code")


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}__grid_code", ["grid_code"], unique=False)
            batch_op.drop_index(f"ix_{table}__grid_code_id")
