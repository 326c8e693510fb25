"""Link codes: an invite may bind a further chat (another channel) to an existing member.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invites") as batch:
        batch.add_column(sa.Column("member_id", sa.Integer, nullable=True))
        batch.create_foreign_key("fk_invites_member_id", "members", ["member_id"], ["id"], ondelete="CASCADE")


def downgrade() -> None:
    with op.batch_alter_table("invites") as batch:
        batch.drop_constraint("fk_invites_member_id", type_="foreignkey")
        batch.drop_column("member_id")
