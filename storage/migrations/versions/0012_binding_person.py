"""Who a chat binding speaks for on the platform: the person, not only the chat.

In a group chat everyone shares the chat id, so authorising by chat made anyone in a group
bound by an admin that admin. ``person_id`` is the platform's id of the person who bound the
chat (Telegram ``from.id``, Zalo sender id); in a group, commands and answers are authorised
by it. A private chat's id is its person's id on both platforms, which is the backfill; a
Telegram group (negative id) bound before this revision has no known person and speaks for
nobody until someone binds again — refusing is the safe side.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chat_bindings") as batch:
        batch.add_column(sa.Column("person_id", sa.String(64)))
    op.execute("UPDATE chat_bindings SET person_id = chat_id "
               "WHERE NOT (channel = 'telegram' AND chat_id LIKE '-%')")
    op.create_index("ix_chat_bindings_person", "chat_bindings", ["channel", "person_id"])


def downgrade() -> None:
    op.drop_index("ix_chat_bindings_person", table_name="chat_bindings")
    with op.batch_alter_table("chat_bindings") as batch:
        batch.drop_column("person_id")
