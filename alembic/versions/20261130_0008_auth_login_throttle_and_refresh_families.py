"""login throttle counters and refresh token families

Revision ID: 0008_auth
Revises: 0007
Create Date: 2026-11-30 09:00:00

`login_throttle` replaces `login_failure`: one counter per username, taken by a conditional
upsert before the password is checked, so parallel guesses cannot all pass the check (a row
per failure was counted first and written after, and 40 guesses in flight all saw 0).
`refresh_family` holds each login's current refresh token id: refresh rotates it, a reused
one ends the login. Failures counted in the old table are dropped (at most 15 minutes' worth).
"""
from collections.abc import Sequence

import sqlalchemy as sa

import backend.core.db
from alembic import op

revision: str = '0008_auth'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _base_columns() -> list[sa.Column]:
    return [
        sa.Column('id', sa.Integer(), nullable=False, comment='编号'),
        sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False,
                  comment='创建时间'),
        sa.Column('updated_at', backend.core.db.UTCDateTime(timezone=True), nullable=False,
                  comment='更新时间'),
        sa.Column('version', sa.Integer(), nullable=False, comment='版本'),
    ]


def upgrade() -> None:
    op.create_table(
        'login_throttle',
        sa.Column('username', sa.String(length=100), nullable=False, comment='用户名'),
        sa.Column('failures', sa.Integer(), nullable=False, comment='失败次数'),
        sa.Column('window_started_at', backend.core.db.UTCDateTime(timezone=True), nullable=False,
                  comment='计数窗口开始'),
        *_base_columns(),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_throttle')),
        sa.UniqueConstraint('username', name=op.f('uq_login_throttle_username')),
        comment='登录失败计数',
    )
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_throttle__created_at'), ['created_at'],
                              unique=False)

    op.create_table(
        'refresh_family',
        sa.Column('user_id', sa.Integer(), nullable=False, comment='用户'),
        sa.Column('current_jti', sa.String(length=32), nullable=False, comment='当前刷新令牌编号'),
        sa.Column('expires_at', backend.core.db.UTCDateTime(timezone=True), nullable=False,
                  comment='过期时间'),
        sa.Column('revoked_at', backend.core.db.UTCDateTime(timezone=True), nullable=True,
                  comment='注销时间'),
        *_base_columns(),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_refresh_family_user_id_user_account'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_refresh_family')),
        comment='刷新令牌(登录会话)',
    )
    with op.batch_alter_table('refresh_family', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refresh_family__created_at'), ['created_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_refresh_family__user_id'), ['user_id'],
                              unique=False)

    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failure__username'))
        batch_op.drop_index(batch_op.f('ix_login_failure__created_at'))
    op.drop_table('login_failure')


def downgrade() -> None:
    op.create_table(
        'login_failure',
        sa.Column('username', sa.String(length=100), nullable=False, comment='用户名'),
        sa.Column('client', sa.String(length=100), nullable=True, comment='客户端地址'),
        *_base_columns(),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failure')),
        comment='登录失败记录',
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failure__created_at'), ['created_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_login_failure__username'), ['username'],
                              unique=False)

    with op.batch_alter_table('refresh_family', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refresh_family__user_id'))
        batch_op.drop_index(batch_op.f('ix_refresh_family__created_at'))
    op.drop_table('refresh_family')

    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_throttle__created_at'))
    op.drop_table('login_throttle')
