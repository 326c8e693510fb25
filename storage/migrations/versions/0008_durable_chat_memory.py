"""State that survives a restart: menus on screen, handled message keys, draft versions.

A typed "2" on Zalo means the option of the menu last shown in that chat, and a platform may
deliver a message again after a restart; both used to be remembered in the process only.
Drafts get a version so that a save computed from an older read loses instead of
overwriting what another chat (or process) wrote in between.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from storage.types import JSONType, UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_menus",
        sa.Column("channel", sa.String(20), primary_key=True),
        sa.Column("chat_id", sa.String(64), primary_key=True),
        sa.Column("choices", JSONType, nullable=False),
        sa.Column("numbered", sa.Boolean, nullable=False),
        sa.Column("shown_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_chat_menus_shown_at", "chat_menus", ["shown_at"])
    op.create_table(
        "inbound_keys",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_inbound_keys_seen_at", "inbound_keys", ["seen_at"])
    with op.batch_alter_table("form_sessions") as batch:
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("form_sessions") as batch:
        batch.drop_column("version")
    op.drop_index("ix_inbound_keys_seen_at", table_name="inbound_keys")
    op.drop_table("inbound_keys")
    op.drop_index("ix_chat_menus_shown_at", table_name="chat_menus")
    op.drop_table("chat_menus")
