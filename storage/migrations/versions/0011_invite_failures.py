"""Invite codes tried in vain, so guessing is limited per chat and per sender.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invite_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("sender_id", sa.String(64)),
    )
    op.create_index("ix_invite_failures_chat", "invite_failures", ["channel", "chat_id", "at"])
    op.create_index("ix_invite_failures_sender", "invite_failures", ["channel", "sender_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_invite_failures_sender", table_name="invite_failures")
    op.drop_index("ix_invite_failures_chat", table_name="invite_failures")
    op.drop_table("invite_failures")
