"""Indexes for the dashboard's figures over thousands of rows (slug: figure_indexes).

- ``ix_reminders_sent``: each unit's latest reminder of a period (the period page shows it for
  up to 5000 units). Without it every reminder of the period (nine a unit) is read to find
  the sent ones.
- ``ix_deliveries_figures`` replaces ``ix_deliveries_announcement`` (its first two columns
  are the same): an announcement's copies by status and acknowledged are counted from the
  index alone instead of from rows that hold the message; ``ix_deliveries_oa_figures`` gives
  the Zalo OA's copies of an announcement, the only ones with routes and receipts (received,
  seen), without reading the others.

Revision ID: 0017
Revises: 0016
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_reminders_sent", "reminders", ["period_id", "status", "unit_id", "sent_at"])
    op.create_index("ix_deliveries_figures", "deliveries", ["announcement_id", "status", "acknowledged_at"])
    op.create_index("ix_deliveries_oa_figures", "deliveries",
                    ["announcement_id", "channel", "route", "received_at", "seen_at"])
    op.drop_index("ix_deliveries_announcement", table_name="deliveries")


def downgrade() -> None:
    op.create_index("ix_deliveries_announcement", "deliveries", ["announcement_id", "status"])
    op.drop_index("ix_deliveries_oa_figures", table_name="deliveries")
    op.drop_index("ix_deliveries_figures", table_name="deliveries")
    op.drop_index("ix_reminders_sent", table_name="reminders")
