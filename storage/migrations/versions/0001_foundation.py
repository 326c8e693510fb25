"""Foundation: units, groups, members, chat bindings, invites, chat states, audit log.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from storage.types import JSONType, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("units.id", ondelete="SET NULL")),
        sa.Column("closed_on", sa.Date),
        sa.Column("successor_id", sa.Integer, sa.ForeignKey("units.id", ondelete="SET NULL")),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "unit_groups",
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("name", sa.String(120), primary_key=True),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", ondelete="SET NULL")),
        sa.Column("preferred_channel", sa.String(20)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_members_unit_id", "members", ["unit_id"])
    op.create_table(
        "chat_bindings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(255), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("bound_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("channel", "chat_id", name="uq_binding_address"),
    )
    op.create_index("ix_chat_bindings_member_id", "chat_bindings", ["member_id"])
    op.create_table(
        "invites",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", ondelete="CASCADE")),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("members.id", ondelete="SET NULL")),
        sa.Column("used_at", UTCDateTime()),
        sa.Column("used_by", sa.Integer, sa.ForeignKey("members.id", ondelete="SET NULL")),
    )
    op.create_table(
        "chat_states",
        sa.Column("channel", sa.String(20), primary_key=True),
        sa.Column("chat_id", sa.String(64), primary_key=True),
        sa.Column("flow", sa.String(40), nullable=False),
        sa.Column("data", JSONType, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("detail", JSONType, nullable=False),
    )
    op.create_index("ix_audit_at", "audit_log", ["at"])


def downgrade() -> None:
    for table in ("audit_log", "chat_states", "invites", "chat_bindings", "members", "unit_groups", "units"):
        op.drop_table(table)
