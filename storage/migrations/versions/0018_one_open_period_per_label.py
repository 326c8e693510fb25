"""One open period per form and label (slug: one_open_period_per_label).

- ``uq_periods_open_label``: a partial unique index on ``report_periods (form_id, label)``
  over the open periods only. A double-clicked "Mở kỳ và thông báo" opened the same period
  twice (two announcements, officers saw it twice); ``PeriodService.open`` checks first, and
  this index refuses the second of two opens racing past that check.
- Open duplicates made before this revision would stop the index being built; they are kept
  open (units may have reported to either) and the later ones get their number in the label,
  e.g. "Sơ kết 6 tháng (số 12)", so the office can tell them apart and close the extra one.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

OPEN = "status = 'open'"


def upgrade() -> None:
    op.execute(sa.text(
        "UPDATE report_periods SET label = SUBSTR(label, 1, 230) || ' (số ' || CAST(id AS VARCHAR(12)) || ')' "
        "WHERE status = 'open' AND EXISTS (SELECT 1 FROM report_periods AS o WHERE o.status = 'open' "
        "AND o.form_id = report_periods.form_id AND o.label = report_periods.label AND o.id < report_periods.id)"))
    op.create_index("uq_periods_open_label", "report_periods", ["form_id", "label"], unique=True,
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade() -> None:
    op.drop_index("uq_periods_open_label", table_name="report_periods")
