"""open case tally: the command center's counts kept by triggers on case

Revision ID: 0014_open_case_tally
Revises: 0013_category_time
Create Date: 2026-11-30 21:30:00

The command center counts the open cases by status, light, department, grid and escalation on
every refresh: one grouped pass over every open case (44,000 at a million cases: 40-140 ms,
the whole of a refresh's budget). The tally keeps those counts as the cases change, written
by the database itself (triggers), so that no writer can bypass it: the workflow, the SLA
tick's bulk UPDATEs, imports, the seed and raw SQL. A row is a change (+1 / -1) of one key;
the SLA tick folds them into one row per key (backend/kpi/tally.py). The covering index
(status, light, due_at, ...) finds the running cases whose stored light the clock has
overtaken since the tick last looked.

The tally starts from the open cases as they are.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014_open_case_tally'
down_revision: str | None = '0013_category_time'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The statuses as of this revision (backend/cases/models.py OPEN_STATUSES, and
# backend/cases/entities.py RUNNING_STATUSES: the deadline clock runs).
OPEN = "('reported', 'filed', 'dispatched', 'processing', 'handled')"
RUNNING = "('dispatched', 'processing')"
COLUMNS = "status, light, department_code, grid_code, escalated, n"
TRIGGERS = ("open_case_tally_insert", "open_case_tally_update", "open_case_tally_delete")


def key_columns(row: str) -> list[str]:
    """The tally's key of a case row (NEW or OLD): the light only while the clock runs."""
    return [f"{row}.status",
            f"CASE WHEN {row}.status IN {RUNNING} THEN CASE {row}.light WHEN 'red' THEN 'red' "
            f"WHEN 'yellow' THEN 'yellow' ELSE 'green' END END",
            f"{row}.department_code", f"{row}.grid_code",
            f"CASE WHEN {row}.escalation_level > 0 THEN 1 ELSE 0 END"]


def key(row: str) -> str:
    return ", ".join(key_columns(row))


def changed(distinct: str) -> str:
    """Whether an UPDATE changed a column of the key (`distinct`: the dialect's null-safe <>)."""
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in (
        "status", "light", "department_code", "grid_code")) + (
        f" OR (OLD.escalation_level > 0) {distinct} (NEW.escalation_level > 0)")


def upgrade() -> None:
    op.create_table(
        "open_case_tally",
        sa.Column("id", sa.Integer(), nullable=False, comment="编号"),
        sa.Column("status", sa.String(length=20), nullable=False, comment="状态"),
        sa.Column("light", sa.String(length=10), nullable=True, comment="亮灯(上次计时)"),
        sa.Column("department_code", sa.String(length=20), nullable=True, comment="部门"),
        sa.Column("grid_code", sa.String(length=15), nullable=False, comment="网格"),
        sa.Column("escalated", sa.SmallInteger(), nullable=False, comment="已督办"),
        sa.Column("n", sa.Integer(), nullable=False, comment="增减"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_case_tally")),
        comment="未结案件计数",
    )
    op.create_index("ix_case__status_light_due_at", "case",
                    ["status", "light", "due_at", "department_code", "grid_code",
                     "escalation_level"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION open_case_tally_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP <> 'INSERT' THEN
                IF OLD.status IN {OPEN} THEN
                  INSERT INTO open_case_tally ({COLUMNS}) VALUES ({key('OLD')}, -1);
                END IF;
              END IF;
              IF TG_OP <> 'DELETE' THEN
                IF NEW.status IN {OPEN} THEN
                  INSERT INTO open_case_tally ({COLUMNS}) VALUES ({key('NEW')}, 1);
                END IF;
              END IF;
              RETURN NULL;
            END $$""")
        for name, when in (
                ("open_case_tally_insert", f"AFTER INSERT ON \"case\" FOR EACH ROW "
                                           f"WHEN (NEW.status IN {OPEN})"),
                ("open_case_tally_delete", f"AFTER DELETE ON \"case\" FOR EACH ROW "
                                           f"WHEN (OLD.status IN {OPEN})"),
                ("open_case_tally_update",
                 "AFTER UPDATE OF status, light, department_code, grid_code, escalation_level "
                 f"ON \"case\" FOR EACH ROW WHEN ((OLD.status IN {OPEN} OR NEW.status IN {OPEN})"
                 f" AND ({changed('IS DISTINCT FROM')}))")):
            op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION open_case_tally_change()")
    else:
        op.execute(f"""
            CREATE TRIGGER open_case_tally_insert AFTER INSERT ON "case"
            WHEN NEW.status IN {OPEN} BEGIN
              INSERT INTO open_case_tally ({COLUMNS}) VALUES ({key('NEW')}, 1);
            END""")
        op.execute(f"""
            CREATE TRIGGER open_case_tally_delete AFTER DELETE ON "case"
            WHEN OLD.status IN {OPEN} BEGIN
              INSERT INTO open_case_tally ({COLUMNS}) VALUES ({key('OLD')}, -1);
            END""")
        op.execute(f"""
            CREATE TRIGGER open_case_tally_update
            AFTER UPDATE OF status, light, department_code, grid_code, escalation_level
            ON "case" WHEN (OLD.status IN {OPEN} OR NEW.status IN {OPEN})
              AND ({changed('IS NOT')}) BEGIN
              INSERT INTO open_case_tally ({COLUMNS})
                SELECT {key('OLD')}, -1 WHERE OLD.status IN {OPEN};
              INSERT INTO open_case_tally ({COLUMNS})
                SELECT {key('NEW')}, 1 WHERE NEW.status IN {OPEN};
            END""")
    names = COLUMNS.split(", ")[:-1]
    keyed = ", ".join(f"{expression} AS {name}"
                      for expression, name in zip(key_columns("c"), names, strict=True))
    op.execute(f"""
        INSERT INTO open_case_tally ({COLUMNS})
        SELECT {", ".join(names)}, count(*) FROM (
            SELECT {keyed} FROM "case" c WHERE c.status IN {OPEN}) AS k
        GROUP BY {", ".join(names)}""")


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f'DROP TRIGGER IF EXISTS {name}' + (
            ' ON "case"' if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS open_case_tally_change()")
    op.drop_index("ix_case__status_light_due_at", table_name="case")
    op.drop_table("open_case_tally")
