"""hot-spot alerts (聚集性预警)

Revision ID: 0010_hotspots
Revises: 0009_policy
Create Date: 2026-11-30 14:47:24.898167

One row per alert, raised at intake when a small class is reported again and again in one
place, and one row per report it links (a report belongs to at most one alert).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.core.db

revision: str = '0010_hotspots'
down_revision: str | None = '0009_policy'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('hotspot_alert',
    sa.Column('category_code', sa.String(length=5), nullable=False, comment='案件小类'),
    sa.Column('area_code', sa.String(length=15), nullable=False, comment='所在区域'),
    sa.Column('lat', sa.Float(), nullable=False, comment='纬度'),
    sa.Column('lng', sa.Float(), nullable=False, comment='经度'),
    sa.Column('status', sa.Enum('open', 'acknowledged', 'expired', name='hotspotstatus', native_enum=False, length=20), nullable=False, comment='状态'),
    sa.Column('raised_by_case_id', sa.Integer(), nullable=True, comment='触发案卷'),
    sa.Column('case_count', sa.Integer(), nullable=False, comment='关联案卷数'),
    sa.Column('first_reported_at', backend.core.db.UTCDateTime(timezone=True), nullable=False, comment='首次上报'),
    sa.Column('last_reported_at', backend.core.db.UTCDateTime(timezone=True), nullable=False, comment='最近上报'),
    sa.Column('expires_at', backend.core.db.UTCDateTime(timezone=True), nullable=False, comment='到期时间'),
    sa.Column('threshold', sa.SmallInteger(), nullable=False, comment='阈值(起)'),
    sa.Column('radius_m', sa.Integer(), nullable=False, comment='半径(米)'),
    sa.Column('window_days', sa.SmallInteger(), nullable=False, comment='时间窗(天)'),
    sa.Column('ended_at', backend.core.db.UTCDateTime(timezone=True), nullable=True, comment='结束时间'),
    sa.Column('acknowledged_by', sa.String(length=50), nullable=True, comment='确认人'),
    sa.Column('note', sa.Text(), nullable=True, comment='确认意见'),
    sa.Column('id', sa.Integer(), nullable=False, comment='编号'),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False, comment='创建时间'),
    sa.Column('updated_at', backend.core.db.UTCDateTime(timezone=True), nullable=False, comment='更新时间'),
    sa.Column('version', sa.Integer(), nullable=False, comment='版本'),
    sa.ForeignKeyConstraint(['category_code'], ['case_category.code'], name=op.f('fk_hotspot_alert_category_code_case_category'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['raised_by_case_id'], ['case.id'], name=op.f('fk_hotspot_alert_raised_by_case_id_case'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hotspot_alert')),
    comment='聚集性预警'
    )
    with op.batch_alter_table('hotspot_alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hotspot_alert__area_code'), ['area_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_hotspot_alert__category_code'), ['category_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_hotspot_alert__created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_hotspot_alert__expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_hotspot_alert__last_reported_at'), ['last_reported_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_hotspot_alert__raised_by_case_id'), ['raised_by_case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hotspot_alert__status'), ['status'], unique=False)

    op.create_table('hotspot_alert_case',
    sa.Column('alert_id', sa.Integer(), nullable=False, comment='预警'),
    sa.Column('case_id', sa.Integer(), nullable=False, comment='案卷'),
    sa.Column('id', sa.Integer(), nullable=False, comment='编号'),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False, comment='创建时间'),
    sa.Column('updated_at', backend.core.db.UTCDateTime(timezone=True), nullable=False, comment='更新时间'),
    sa.Column('version', sa.Integer(), nullable=False, comment='版本'),
    sa.ForeignKeyConstraint(['alert_id'], ['hotspot_alert.id'], name=op.f('fk_hotspot_alert_case_alert_id_hotspot_alert'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_hotspot_alert_case_case_id_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hotspot_alert_case')),
    sa.UniqueConstraint('case_id', name=op.f('uq_hotspot_alert_case_case_id')),
    comment='聚集性预警关联案卷'
    )
    with op.batch_alter_table('hotspot_alert_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hotspot_alert_case__alert_id'), ['alert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hotspot_alert_case__created_at'), ['created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('hotspot_alert_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hotspot_alert_case__created_at'))
        batch_op.drop_index(batch_op.f('ix_hotspot_alert_case__alert_id'))

    op.drop_table('hotspot_alert_case')
    with op.batch_alter_table('hotspot_alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hotspot_alert__status'))
        batch_op.drop_index(batch_op.f('ix_hotspot_alert__raised_by_case_id'))
        batch_op.drop_index(batch_op.f('ix_hotspot_alert__last_reported_at'))
        batch_op.drop_index(batch_op.f('ix_hotspot_alert__expires_at'))
        batch_op.drop_index(batch_op.f('ix_hotspot_alert__created_at'))
        batch_op.drop_index(batch_op.f('ix_hotspot_alert__category_code'))
        batch_op.drop_index(batch_op.f('ix_hotspot_alert__area_code'))

    op.drop_table('hotspot_alert')
