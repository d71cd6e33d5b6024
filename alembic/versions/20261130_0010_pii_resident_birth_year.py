"""resident birth_year, computed from the ID number

Revision ID: 0008_pii
Revises: 0008_hooks
Create Date: 2026-11-30 09:00:00

Roles without `pii` no longer read a resident's birth date: with the masked ID number
(410602********3324) it is the whole number. They read the birth year instead, a generated
column (VIRTUAL on SQLite, which adds no other kind to an existing table; STORED on
PostgreSQL, which has no other kind), filled for the existing rows by the database itself.
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0008_pii'
down_revision: str | None = '0008_hooks'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIRTH_YEAR_SQL = "CAST(substr(id_number, 7, 4) AS INTEGER)"  # as in backend/ledgers/models.py


def upgrade() -> None:
    # STORED said outright on PostgreSQL (before 18 its only kind; SQLAlchemy warns otherwise);
    # SQLite's default, VIRTUAL, is the only kind ALTER TABLE may add there.
    stored = True if op.get_bind().dialect.name == 'postgresql' else None
    op.add_column('resident', sa.Column('birth_year', sa.Integer(),
                                        sa.Computed(BIRTH_YEAR_SQL, persisted=stored),
                                        nullable=False, comment='出生年份'))


def downgrade() -> None:
    op.drop_column('resident', 'birth_year')
