"""Reads the web dashboard needs over whole periods of thousands of units, as plain column
queries (no ORM entities, no answers JSON decoded): a period page of 5000 units stays fast.

Reached as ``uow.dashboard`` by the services (``ReportService.submission_summaries``,
``ReminderService.last_sent`` / ``planned_between``); like the repositories, they never commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Reminder, Submission, Unit
from storage.records import SubmissionRow
from storage.repositories.base import plain_rows


class DashboardQueries:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def submission_rows(self, period_id: int) -> list[SubmissionRow]:
        """A period's submissions without their answers."""
        stmt = select(Submission.id, Submission.unit_id, Submission.status, Submission.revision,
                      Submission.submitted_at, Submission.late, Submission.receipt_no).where(
            Submission.period_id == period_id)
        return [SubmissionRow(*row) for row in await plain_rows(self.session, stmt)]

    async def last_reminders(self, period_id: int) -> dict[int, datetime]:
        """Unit id → when its latest reminder of the period went out."""
        stmt = (select(Reminder.unit_id, func.max(Reminder.sent_at)).where(
            Reminder.period_id == period_id, Reminder.status == "sent", Reminder.sent_at.is_not(None))
            .group_by(Reminder.unit_id))
        return {unit_id: at for unit_id, at in await plain_rows(self.session, stmt) if at is not None}

    async def planned_reminders(self, start: datetime, end: datetime) -> list[Any]:
        """(period_id, unit code, kind, planned_for, send_at, status) planned in [start, end)."""
        stmt = (select(Reminder.period_id, Unit.code, Reminder.kind, Reminder.planned_for, Reminder.send_at,
                       Reminder.status).join(Unit, Unit.id == Reminder.unit_id)
                .where(Reminder.status == "planned", Reminder.send_at >= start, Reminder.send_at < end)
                .order_by(Reminder.send_at, Unit.code))
        return list((await self.session.execute(stmt)).all())
