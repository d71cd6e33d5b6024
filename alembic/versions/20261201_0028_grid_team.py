"""The grid team lives on the roster alone: Grid.chief_name, chief_phone and members folded in

The roster (grid_staff, 0016_field_work) took each grid's chief and members when it came; a
grid written since with a chief or members the roster lacks gets them now (by name, as then),
and the three columns go.

Revision ID: 0026_grid_team
Revises: 0025_meetings
Create Date: 2026-12-01 14:55:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0026_grid_team'
down_revision: str | None = '0025_meetings'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As 0016_field_work mapped them: the members' free-text roles to the team's; any other (环卫,
# 园林, ...: the "1+5" departments' members) is part-time. A migration keeps its own copy.
MEMBER_ROLES = {"网格员": "full_time", "专职网格员": "full_time", "兼职网格员": "part_time",
                "楼栋长": "building_head", "民警": "police", "社区民警": "police",
                "志愿者": "volunteer", "党员": "party_member", "信息员": "informant",
                "居民小组长": "group_leader", "网格党支部书记": "branch_secretary",
                "党小组长": "branch_secretary"}
LOGGING = ("grid_chief", "full_time")


def upgrade() -> None:
    fold_into_roster()
    # ALTER TABLE ... DROP COLUMN on both (SQLite since 3.35): a batch copy of the grid table
    # would drop a table every ledger row refers to, which SQLite's foreign keys refuse.
    for column in ('members', 'chief_phone', 'chief_name'):
        op.drop_column('grid', column)


def fold_into_roster() -> None:
    bind = op.get_bind()
    grid = sa.table("grid", sa.column("code"), sa.column("chief_name"), sa.column("chief_phone"),
                    sa.column("members", sa.JSON))
    staff = sa.table("grid_staff", *(sa.column(c) for c in (
        "grid_code", "name", "team_role", "phone", "duties", "keeps_work_log", "is_public",
        "is_active", "created_at", "updated_at", "version")))
    on_roster = set(bind.execute(sa.select(staff.c.grid_code, staff.c.name)).tuples())
    now = sa.func.current_timestamp()
    batch: list[dict] = []
    for code, chief, chief_phone, members in bind.execute(
            sa.select(grid.c.code, grid.c.chief_name, grid.c.chief_phone, grid.c.members)):
        people = [(chief, "grid_chief", chief_phone, None)] if chief else []
        for member in members or []:
            role = MEMBER_ROLES.get(member.get("role") or "", "part_time")
            duty = member.get("duty")
            if role == "part_time" and member.get("role") not in MEMBER_ROLES:
                duty = "; ".join(x for x in (member.get("role"), duty) if x)
            people.append((member.get("name"), role, member.get("phone"), duty))
        for name, role, phone, duties in people:
            if not name or (code, name[:50]) in on_roster:
                continue
            on_roster.add((code, name[:50]))
            batch.append({"grid_code": code, "name": name[:50], "team_role": role,
                          "phone": phone, "duties": duties, "keeps_work_log": role in LOGGING,
                          "is_public": True, "is_active": True, "version": 1})
    for start in range(0, len(batch), 1000):
        bind.execute(staff.insert().values(created_at=now, updated_at=now),
                     batch[start:start + 1000])


def downgrade() -> None:
    # The columns come back empty: the roster is where the team is.
    op.add_column('grid', sa.Column('chief_name', sa.String(length=50), nullable=True,
                                    comment='网格长'))
    op.add_column('grid', sa.Column('chief_phone', sa.String(length=30), nullable=True,
                                    comment='网格长电话'))
    op.add_column('grid', sa.Column('members', sa.JSON(), nullable=False,
                                    server_default='[]', comment='网格员'))
