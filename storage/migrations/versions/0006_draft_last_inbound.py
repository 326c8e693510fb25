"""Drafts remember the platform id of the last message applied to them.

A webhook that was not answered (the bot died after committing an answer, before replying)
is delivered again after the restart; the same message must not answer the next question.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("form_sessions") as batch:
        batch.add_column(sa.Column("last_inbound", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("form_sessions") as batch:
        batch.drop_column("last_inbound")
