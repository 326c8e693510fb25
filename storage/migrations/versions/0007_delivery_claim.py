"""Deliveries carry the token of the claim that holds them.

A lease that ran out while its row still waited in the pacer let a second claim send the
same message again; with the token in every write, only the holder of the current claim
can record a part or complete the row.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("claim", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("claim")
