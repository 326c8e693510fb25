"""Zalo Official Account: the rotating token pair, what the OA knows of each user (last
interaction, shared phone), how each delivery reached its person, and units' phones.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zalo_oa_tokens",
        sa.Column("app_id", sa.String(40), primary_key=True),
        sa.Column("access_token", sa.Text, nullable=False, server_default=""),
        sa.Column("refresh_token", sa.Text, nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("refreshed_at", UTCDateTime(), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "zalo_oa_contacts",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("last_interaction_at", UTCDateTime()),
        sa.Column("following", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("phone", sa.String(15)),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("route", sa.String(20), nullable=False, server_default=""))
        batch.add_column(sa.Column("seen_at", UTCDateTime()))
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("phone", sa.String(15)))


def downgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.drop_column("phone")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("seen_at")
        batch.drop_column("route")
    op.drop_table("zalo_oa_contacts")
    op.drop_table("zalo_oa_tokens")
