"""the default policy as last applied, and its version

Revision ID: 0009_policy
Revises: 0008_pii
Create Date: 2026-12-01 09:00:00

A release's changes to the default policy (rbac/policy.csv) are merged into each database's
policy with the default as last applied as the common ancestor (rbac/default_policy.py): that
ancestor is `policy_default_rule`, its version `policy_version.default_version`.

A database that has rules was installed with the default as it was before it had a version:
version 1, whose rules are written here as its ancestor (never read from policy.csv, which
moves on with each release). One without rules gets the default installed, and its ancestor
recorded, by `gridlink migrate` or the API's start. Either way the single policy_version row
exists from here on: the default policy's upgrade locks it.
"""
from collections.abc import Sequence

import sqlalchemy as sa

import backend.core.db
from alembic import op

revision: str = '0009_policy'
down_revision: str | None = '0008_pii'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSION_1 = [
    ('admin', '*', '*'),
    ('leader', 'areas|grids|buildings|households|residents|organizations|departments|'
               'case-categories|calendar-days|cases|patrols|visits|work-logs|audit-log',
     'read|export'),
    ('dispatcher', 'cases', 'read|create|update|export|pii'),
    ('dispatcher', 'cases', 'file|cancel|dispatch|approve-extension|reject-extension|verify|'
                            'close|rework|summon|merge|evaluate|review-approval'),
    ('dispatcher', 'areas|grids|departments|case-categories|calendar-days|routing-rules|'
                   'organizations', 'read'),
    ('dispatcher', 'case-categories|routing-rules', 'create|update'),
    ('dispatcher', 'webhook-deliveries', 'read'),
    ('secretary', 'buildings|households|residents|organizations|patrols|visits|work-logs',
     'read|create|update|delete|export'),
    ('secretary', 'residents|households|cases', 'pii'),
    ('secretary', 'areas|departments|case-categories', 'read'),
    ('secretary', 'grids', 'read|update|export'),
    ('secretary', 'cases', 'read|create|export|file|cancel|handle-on-site|evaluate|'
                           'review-approval|summon'),
    ('grid_chief', 'buildings|households|residents|organizations|patrols|visits|work-logs',
     'read|create|update|export'),
    ('grid_chief', 'residents|households|cases', 'pii'),
    ('grid_chief', 'areas|grids|departments|case-categories', 'read'),
    ('grid_chief', 'cases', 'read|create|handle-on-site'),
    ('grid_member', 'patrols|visits|work-logs', 'read|create'),
    ('grid_member', 'buildings|households|residents|organizations|areas|grids|departments|'
                    'case-categories', 'read'),
    ('grid_member', 'cases', 'read|create'),
    ('department', 'cases', 'read|export|accept|return|feedback|request-extension'),
    ('department', 'departments|case-categories', 'read'),
    ('department', 'webhook-deliveries', 'read'),
]


def _base_columns() -> list[sa.Column]:
    return [
        sa.Column('id', sa.Integer(), nullable=False, comment='编号'),
        sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False,
                  comment='创建时间'),
        sa.Column('updated_at', backend.core.db.UTCDateTime(timezone=True), nullable=False,
                  comment='更新时间'),
        sa.Column('version', sa.Integer(), nullable=False, comment='版本'),
    ]


def _table(name: str, *columns: str) -> sa.TableClause:
    """The table as this revision knows it, for writing rows."""
    return sa.table(name, *(sa.column(c) for c in columns),
                    sa.column('created_at', backend.core.db.UTCDateTime()),
                    sa.column('updated_at', backend.core.db.UTCDateTime()), sa.column('version'))


def upgrade() -> None:
    op.create_table(
        'policy_default_rule',
        sa.Column('role', sa.String(length=30), nullable=False, comment='角色'),
        sa.Column('obj', sa.String(length=500), nullable=False, comment='对象'),
        sa.Column('act', sa.String(length=500), nullable=False, comment='动作'),
        *_base_columns(),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_default_rule')),
        comment='默认权限规则(上次应用)',
    )
    with op.batch_alter_table('policy_default_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_default_rule__created_at'), ['created_at'],
                              unique=False)
    with op.batch_alter_table('policy_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('default_version', sa.Integer(), nullable=True,
                                      comment='默认权限版本'))

    connection = op.get_bind()
    now = backend.core.db.utcnow()
    stamp = {'created_at': now, 'updated_at': now, 'version': 1}
    policy_version = _table('policy_version', 'generation', 'default_version')
    if connection.execute(sa.select(sa.func.count()).select_from(policy_version)).scalar() == 0:
        connection.execute(policy_version.insert().values(generation=0, **stamp))
    has_rules = connection.execute(sa.text('SELECT 1 FROM policy_rule LIMIT 1')).first()
    if has_rules is not None:
        connection.execute(_table('policy_default_rule', 'role', 'obj', 'act').insert(), [
            {'role': role, 'obj': obj, 'act': act, **stamp} for role, obj, act in VERSION_1])
        connection.execute(policy_version.update().values(default_version=1))


def downgrade() -> None:
    with op.batch_alter_table('policy_version', schema=None) as batch_op:
        batch_op.drop_column('default_version')
    with op.batch_alter_table('policy_default_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_default_rule__created_at'))
    op.drop_table('policy_default_rule')
