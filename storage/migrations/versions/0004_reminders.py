"""Reminders and once-only job runs for the scheduler.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("period_id", sa.Integer, sa.ForeignKey("report_periods.id", ondelete="CASCADE"), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("planned_for", UTCDateTime(), nullable=False),
        sa.Column("send_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("claim", sa.String(40)),
        sa.Column("sent_at", UTCDateTime()),
        sa.Column("deliveries", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("period_id", "unit_id", "kind", name="uq_reminder"),
    )
    op.create_index("ix_reminders_due", "reminders", ["status", "send_at"])
    op.create_table(
        "job_runs",
        sa.Column("name", sa.String(80), primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
    op.drop_table("reminders")
