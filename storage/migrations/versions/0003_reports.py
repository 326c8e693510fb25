"""Report collection: periods, drafts (form sessions), submissions and their revisions.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from storage.types import JSONType, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_periods",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("form_id", sa.String(60), nullable=False),
        sa.Column("form_version", sa.Integer, nullable=False),
        sa.Column("label", sa.String(255), nullable=False),
        sa.Column("cutoff", sa.Date),
        sa.Column("opens_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("audience", JSONType, nullable=False),
        sa.Column("remind_offsets", JSONType, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("announcement_id", sa.Integer, sa.ForeignKey("announcements.id", ondelete="SET NULL")),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("members.id", ondelete="SET NULL")),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime()),
    )
    op.create_table(
        "form_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("period_id", sa.Integer, sa.ForeignKey("report_periods.id", ondelete="CASCADE"), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", ondelete="CASCADE"), nullable=False),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
        sa.Column("answers", JSONType, nullable=False),
        sa.Column("history", JSONType, nullable=False),
        sa.Column("position", sa.String(60)),
        sa.Column("return_to_summary", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("unit_id", "period_id", name="uq_session_unit_period"),
    )
    op.create_index("ix_form_sessions_member_id", "form_sessions", ["member_id"])
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("period_id", sa.Integer, sa.ForeignKey("report_periods.id", ondelete="CASCADE"), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("form_version", sa.Integer, nullable=False),
        sa.Column("answers", JSONType, nullable=False),
        sa.Column("submitted_by", sa.Integer, sa.ForeignKey("members.id", ondelete="SET NULL")),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.Column("first_submitted_at", UTCDateTime(), nullable=False),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.Column("receipt_no", sa.String(40), nullable=False),
        sa.Column("return_reason", sa.Text, nullable=False),
        sa.Column("returned_at", UTCDateTime()),
        sa.Column("returned_by", sa.Integer, sa.ForeignKey("members.id", ondelete="SET NULL")),
        sa.Column("accepted_at", UTCDateTime()),
        sa.UniqueConstraint("unit_id", "period_id", name="uq_submission_unit_period"),
    )
    op.create_index("ix_submissions_period_id", "submissions", ["period_id"])
    op.create_table(
        "submission_revisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("form_version", sa.Integer, nullable=False),
        sa.Column("answers", JSONType, nullable=False),
        sa.Column("submitted_by", sa.Integer, sa.ForeignKey("members.id", ondelete="SET NULL")),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.Column("receipt_no", sa.String(40), nullable=False),
        sa.UniqueConstraint("submission_id", "revision", name="uq_revision"),
    )


def downgrade() -> None:
    for table in ("submission_revisions", "submissions", "form_sessions", "report_periods"):
        op.drop_table(table)
