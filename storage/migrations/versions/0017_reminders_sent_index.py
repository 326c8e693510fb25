"""An index for each unit's latest reminder of a period (slug: reminders_sent_index).

The dashboard's period page shows, for each of up to 5000 units, when its latest reminder
went out. Without this index SQLite and PostgreSQL read every reminder of the period (nine a
unit) to find the sent ones; with it each unit's is one index lookup.

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


def downgrade() -> None:
    op.drop_index("ix_reminders_sent", table_name="reminders")
