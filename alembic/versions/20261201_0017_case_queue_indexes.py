"""case queue indexes: a status's cases in id order; the command center's waiting cases

Revision ID: 0015_case_queues
Revises: 0014_open_case_tally
Create Date: 2026-12-01 02:00:00

The panel lists cases sorted by status a status at a time, in id order: `(status, id)`
replaces the index on status alone (on SQLite the same thing: its rowid follows every key).
The workbench's queues (reports to file, cases to dispatch or approve, handled cases to
verify) are the few cases waiting in one status, oldest first: a partial index each, holding
only those cases. At a million cases PostgreSQL took 360-410 ms for each of them, and for the
first page sorted by status, scanning an index of time or the primary key; with these, under
a millisecond.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015_case_queues'
down_revision: str | None = '0014_open_case_tally'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUES = (("reported", "reported_at"), ("filed", "filed_at"), ("handled", "handled_at"))


def upgrade() -> None:
    op.create_index("ix_case__status_id", "case", ["status", "id"])
    op.drop_index("ix_case__status", table_name="case")
    for status, column in QUEUES:
        where = sa.text(f"status = '{status}'")
        op.create_index(f"ix_case__{status}_queue", "case", [column, "id"],
                        postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    for status, _ in QUEUES:
        op.drop_index(f"ix_case__{status}_queue", table_name="case")
    op.create_index("ix_case__status", "case", ["status"])
    op.drop_index("ix_case__status_id", table_name="case")
