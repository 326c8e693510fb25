"""A bot's send budget shared by its replicas (one row per channel and token).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "send_budgets",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("next_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("send_budgets")
