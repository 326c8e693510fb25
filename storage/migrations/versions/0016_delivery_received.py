"""When the platform said a delivery reached the person's phone (slug: delivery_received).

Zalo OA sends ``user_received_message`` for that; a seen receipt implies it, so the rows
already seen get ``received_at`` from ``seen_at``. Receipts find their rows by the
platform's message id, hence the index.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("received_at", UTCDateTime()))
    op.create_index("ix_deliveries_message", "deliveries", ["channel", "message_id"])
    op.execute("UPDATE deliveries SET received_at = seen_at WHERE seen_at IS NOT NULL")


def downgrade() -> None:
    op.drop_index("ix_deliveries_message", table_name="deliveries")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("received_at")
