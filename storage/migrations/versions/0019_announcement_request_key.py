"""An announcement remembers the form that made it (slug: announcement_request_key).

- ``announcements.request_key``: the one-time key the dashboard's compose form carries. A
  double-clicked "Gửi ngay" (or a reload of the POST) made the announcement twice, and every
  unit got the decree twice; now the second request finds the first announcement. Unique
  (NULL for announcements made in chat or by the CLI, which have their own guards).

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("announcements") as batch:
        batch.add_column(sa.Column("request_key", sa.String(64), nullable=True))
    op.create_index("uq_announcements_request_key", "announcements", ["request_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_announcements_request_key", table_name="announcements")
    with op.batch_alter_table("announcements") as batch:
        batch.drop_column("request_key")
