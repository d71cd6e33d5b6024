"""the delivery log keeps no receiver's answer

Revision ID: 0008_hooks
Revises: 0008_auth
Create Date: 2026-11-30 10:45:00

`last_error` used to hold the first 300 bytes of a failed receiver's answer, or the text of the
exception (which names the target): for a webhook pointed inside the network, an internal
service's answer that the department read back through the delivery log. The sender now writes
only "HTTP <code>" or a fixed reason; the rows written before are cut down to the same.
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0008_hooks'
down_revision: str | None = '0008_auth'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEACTIVATED = "回调已停用, 不再发送"  # the one message of ours, quoting nobody
FAILED = "发送失败 request failed"

delivery = sa.table("webhook_delivery", sa.column("last_status_code", sa.SmallInteger),
                    sa.column("last_error", sa.Text))


def upgrade() -> None:
    answered = delivery.c.last_status_code.is_not(None)
    op.execute(delivery.update().where(answered, delivery.c.last_error.is_not(None))
               .values(last_error=sa.literal("HTTP ") + sa.cast(delivery.c.last_status_code,
                                                                 sa.String)))
    op.execute(delivery.update().where(~answered, delivery.c.last_error.is_not(None),
                                       delivery.c.last_error != DEACTIVATED)
               .values(last_error=FAILED))


def downgrade() -> None:
    pass  # what the receivers answered is gone for good, as intended
