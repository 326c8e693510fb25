"""Submission revisions remember the draft they were made from.

A second tap on a draft's "Gửi báo cáo" (or two taps racing) finds the draft gone; with its
id on the revision, it gets the same receipt back rather than "this button is old".

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submission_revisions") as batch:
        batch.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch.create_index("ix_submission_revisions_session_id", ["session_id"])


def downgrade() -> None:
    with op.batch_alter_table("submission_revisions") as batch:
        batch.drop_index("ix_submission_revisions_session_id")
        batch.drop_column("session_id")
