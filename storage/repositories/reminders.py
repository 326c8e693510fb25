"""Reminder rows and once-only job claims: bulk statements, so a tick with thousands of due
reminders stays well under a second."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import raiseload

from storage.models import Delivery, JobRun, Reminder, ReportPeriod, Submission, Unit, UnitGroup, table_of
from storage.records import ClaimedReminder, PlannedReminder
from storage.repositories.base import _Repo, rows_matched

_CHUNK = 5000  # stays under the backends' bind-parameter limits


class ReminderRepository(_Repo):
    async def drop_planned(self, period_id: int) -> None:
        """Forget the period's reminders not sent yet (they are planned again from its current state)."""
        await self.session.execute(
            delete(Reminder).where(Reminder.period_id == period_id, Reminder.status == "planned"))

    async def drop_planned_for(self, period_id: int, unit_ids: Sequence[int]) -> None:
        """Forget the period's reminders not sent yet to these units (they left its audience)."""
        for chunk in range(0, len(unit_ids), _CHUNK):
            await self.session.execute(delete(Reminder).where(
                Reminder.period_id == period_id, Reminder.status == "planned",
                Reminder.unit_id.in_(list(unit_ids[chunk:chunk + _CHUNK]))))

    async def kinds_of(self, period_id: int, unit_ids: Sequence[int] | None = None) -> set[tuple[int, str]]:
        """(unit id, kind) of every reminder the period still has (sent ones are never planned
        again); with ``unit_ids``, of those units only."""
        stmt = select(Reminder.unit_id, Reminder.kind).where(Reminder.period_id == period_id)
        if unit_ids is None:
            return {(u, k) for u, k in (await self.session.execute(stmt)).all()}
        out: set[tuple[int, str]] = set()
        for chunk in range(0, len(unit_ids), _CHUNK):
            rows = await self.session.execute(stmt.where(Reminder.unit_id.in_(list(unit_ids[chunk:chunk + _CHUNK]))))
            out |= {(u, k) for u, k in rows.all()}
        return out

    async def add_planned(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(Reminder), rows)

    async def plan_of(self, period_id: int) -> list[PlannedReminder]:
        stmt = (select(Unit.code, Reminder.kind, Reminder.planned_for, Reminder.send_at, Reminder.status)
                .join(Unit, Unit.id == Reminder.unit_id)
                .where(Reminder.period_id == period_id).order_by(Reminder.send_at, Unit.code))
        return [PlannedReminder(code, kind, planned, send_at, status)
                for code, kind, planned, send_at, status in (await self.session.execute(stmt)).all()]

    async def claim_due(self, now: datetime, limit: int, token: str) -> list[ClaimedReminder]:
        """Claim up to ``limit`` due reminders under ``token``:
        ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)``, so two scheduler processes
        on one PostgreSQL never take the same row."""
        due_ids = (select(Reminder.id).where(Reminder.status == "planned", Reminder.send_at <= now)
                   .order_by(Reminder.send_at).limit(limit).with_for_update(skip_locked=True))
        result = await self.session.execute(
            update(Reminder).where(Reminder.id.in_(due_ids)).values(status="claimed", claim=token)
            .execution_options(synchronize_session=False))
        if not rows_matched(result):
            return []
        rows = await self.session.execute(select(Reminder.id, Reminder.period_id, Reminder.unit_id, Reminder.kind)
                                          .where(Reminder.claim == token))
        return [ClaimedReminder(*row) for row in rows.all()]

    async def periods(self, period_ids: Iterable[int]) -> dict[int, ReportPeriod]:
        rows = await self.session.scalars(select(ReportPeriod).where(ReportPeriod.id.in_(list(period_ids))))
        return {p.id: p for p in rows}

    async def units(self, unit_ids: Iterable[int]) -> dict[int, Unit]:
        """The units by id; their cụm/khối are not loaded (the wording needs the unit, not those)."""
        rows = await self.session.scalars(
            select(Unit).where(Unit.id.in_(list(unit_ids))).options(raiseload(Unit.group_links)))
        return {u.id: u for u in rows}

    async def in_a_group(self, unit_ids: Iterable[int]) -> set[int]:
        """Which of these units belong to some cụm/khối (a question may be asked only of them)."""
        rows = await self.session.scalars(
            select(UnitGroup.unit_id).where(UnitGroup.unit_id.in_(list(unit_ids))).distinct())
        return set(rows)

    async def reported(self, period_ids: Iterable[int], not_status: str) -> set[tuple[int, int]]:
        """(period id, unit id) of every submission of these periods not in ``not_status``."""
        rows = await self.session.execute(select(Submission.period_id, Submission.unit_id).where(
            Submission.period_id.in_(list(period_ids)), Submission.status != not_status))
        return {(p, u) for p, u in rows.all()}

    async def queue_deliveries(self, rows: list[dict[str, Any]]) -> None:
        """Core executemany: thousands of plain outbox rows, no ORM bookkeeping."""
        if rows:
            await self.session.execute(insert(table_of(Delivery)), rows)

    async def set_status(self, ids: Sequence[int], **values: Any) -> None:
        """Bulk update of claimed reminders, in chunks."""
        for chunk in range(0, len(ids), _CHUNK):
            await self.session.execute(update(Reminder).where(Reminder.id.in_(list(ids[chunk:chunk + _CHUNK])))
                                       .values(**values).execution_options(synchronize_session=False))


class JobRepository(_Repo):
    def claim(self, name: str, at: datetime) -> None:
        """Mark the job run; the commit raises ``Conflict`` when another process already did."""
        self.session.add(JobRun(name=name, at=at))
