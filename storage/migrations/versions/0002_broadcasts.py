"""Broadcasting: announcements and the delivery outbox.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from storage.types import JSONType, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("doc_type", sa.String(60), nullable=False),
        sa.Column("number", sa.String(80), nullable=False),
        sa.Column("issued_on", sa.Date),
        sa.Column("issuer", sa.String(255), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attachments", JSONType, nullable=False),
        sa.Column("audience", JSONType, nullable=False),
        sa.Column("send_at", UTCDateTime()),
        sa.Column("needs_ack", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("members.id", ondelete="SET NULL")),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("released_at", UTCDateTime()),
        sa.Column("report_channel", sa.String(20)),
        sa.Column("report_chat_id", sa.String(64)),
        sa.Column("report_message_id", sa.String(64)),
        sa.Column("report_text", sa.Text),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("announcement_id", sa.Integer, sa.ForeignKey("announcements.id", ondelete="CASCADE")),
        sa.Column("binding_id", sa.Integer, sa.ForeignKey("chat_bindings.id", ondelete="SET NULL")),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="SET NULL")),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", ondelete="SET NULL")),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("payload", JSONType, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("parts_sent", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column("next_try_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_until", UTCDateTime()),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime()),
        sa.Column("acknowledged_at", UTCDateTime()),
        sa.Column("acknowledged_by", sa.Integer, sa.ForeignKey("members.id", ondelete="SET NULL")),
        sa.UniqueConstraint("announcement_id", "binding_id", name="uq_delivery_announcement_binding"),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["channel", "status", "next_try_at"])
    op.create_index("ix_deliveries_announcement", "deliveries", ["announcement_id", "status"])
    op.create_index("ix_deliveries_unit_id", "deliveries", ["unit_id"])


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("announcements")
