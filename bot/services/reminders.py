"""Deadline reminders: plan rows per (period, unit, kind), claim due ones atomically, queue
them in the outbox only for units that have not validly submitted; the once-a-day job claim.
How they read is ``reminder_wording``; who sends them when is ``reminder_sending``.

Claiming is ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)`` with a claim token,
in the same transaction that queues the deliveries: two scheduler processes on one
PostgreSQL never send the same reminder twice, and a crash between ticks loses nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from bot.core import Clock
from bot.services.audience import Audience, recipient_bindings, resolve_units
from bot.services.calendar import WorkCalendar
from bot.services.notices import ChoiceRows, NoticeText, notice_row
from bot.services.reports import SubmissionStatus, answers_in_progress, offset_delta
from storage.errors import Conflict
from storage.models import ReportPeriod
from storage.records import PlannedReminder
from storage.uow import UnitOfWork, UnitOfWorkFactory

STATUS_LABELS = {"planned": "dự kiến", "sent": "đã gửi", "skipped": "bỏ qua (đơn vị đã nộp)",
                 "cancelled": "hủy (kỳ đã đóng/đổi, hoặc đơn vị không còn thuộc đối tượng)", "claimed": "đang gửi",
                 "merged": "gộp với lời nhắc cùng lúc"}


@dataclass(frozen=True)
class PlanLine:
    unit_code: str
    kind: str
    planned_for: datetime
    send_at: datetime
    status: str

    @classmethod
    def of(cls, r: PlannedReminder) -> PlanLine:
        return cls(r.unit_code, r.kind.split("@")[0], r.planned_for, r.send_at, r.status)

    @property
    def moved(self) -> bool:
        return abs((self.send_at - self.planned_for).total_seconds()) >= 60

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class PlannedTime:
    """One reminder of a plan not stored yet (the dashboard's preview before a period is
    opened or its deadline changed): when it was meant for and when it will really go."""

    kind: str
    planned_for: datetime
    send_at: datetime

    @property
    def moved(self) -> bool:
        return abs((self.send_at - self.planned_for).total_seconds()) >= 60

    @property
    def overdue(self) -> bool:
        return self.kind.startswith("od")


@dataclass(frozen=True)
class DueReminder:
    """A claimed reminder with what is needed to word it."""

    id: int
    period: ReportPeriod
    unit: Any
    kind: str
    overdue_days: int
    draft_answers: dict[str, Any] | None
    in_group: bool | None = None  # in a cụm/khối: the progress counts the questions asked of it


class _DashboardReads:
    """Reads added for the web dashboard (bot/web), kept apart from planning and sending."""

    uow: UnitOfWorkFactory

    async def planned_between(self, start: datetime, end: datetime) -> list[tuple[int, PlanLine]]:
        """(period id, line) of every reminder still planned in [start, end), soonest first."""
        async with self.uow() as uow:
            rows = await uow.dashboard.planned_reminders(start, end)
        return [(r.period_id, PlanLine(r.code, r.kind.split("@")[0], r.planned_for, r.send_at, r.status))
                for r in rows]


class ReminderService(_DashboardReads):
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, calendar: WorkCalendar, *,
                 overdue_days: int = 5, reminder_time: time = time(8, 0)) -> None:
        self.uow = uow
        self.clock = clock
        self.calendar = calendar
        self.overdue_days = overdue_days
        self.reminder_time = reminder_time

    def desired(self, period: ReportPeriod) -> list[tuple[str, datetime, datetime]]:
        """(kind, planned_for, send_at) for one unit of this period, before and after the deadline."""
        stamp = period.due_at.strftime("%m%d%H%M")
        out = []
        for offset in period.remind_offsets:
            planned = period.due_at - offset_delta(offset)
            send_at = self.calendar.next_allowed(planned)
            if send_at >= period.due_at:
                send_at = self.calendar.previous_allowed(planned)
            out.append((f"{offset}@{stamp}", planned, send_at))
        due_day = self.calendar.local_date(period.due_at)
        for k in range(1, self.overdue_days + 1):
            day = self.calendar.working_days_after(due_day, k)
            planned = self.calendar.at_local(day, self.reminder_time)
            out.append((f"od{k}@{stamp}", planned, self.calendar.next_allowed(planned)))
        return out

    def schedule(self, period: ReportPeriod, now: datetime) -> list[tuple[str, datetime, datetime]]:
        """``desired`` without the offsets already behind us when the period is (re)planned:
        what ``stage_plan`` stores for each unit, and what a preview shows."""
        return [(kind, planned, send_at) for kind, planned, send_at in self.desired(period)
                if not (send_at < now - timedelta(minutes=1) and not kind.startswith("od"))]

    def preview(self, period: ReportPeriod) -> list[PlannedTime]:
        """The plan ``stage_plan`` would store for one unit of ``period`` (which need not be
        stored), times already moved out of quiet hours, rest days and holidays; soonest first."""
        lines = [PlannedTime(kind.split("@")[0], planned, send_at)
                 for kind, planned, send_at in self.schedule(period, self.clock.now())]
        return sorted(lines, key=lambda t: t.send_at)

    async def plan(self, period_id: int) -> int:
        """Create (or re-plan) the period's reminders; those already sent stay as they are."""
        async with self.uow() as uow:
            p = await uow.reports.period(period_id)
            if p is None:
                return 0
            created = await self.stage_plan(uow, p)
            await uow.commit()
            return created

    async def stage_plan(self, uow: UnitOfWork, p: ReportPeriod) -> int:
        """Plan the period's reminders inside ``uow`` (not committed), so a period is opened or
        changed together with its reminders: the reminders not sent yet are dropped and planned
        again from the period as it is now (none for a closed one). How many were planned."""
        now = self.clock.now()
        await uow.reminders.drop_planned(p.id)
        if p.status != "open":
            return 0
        units = await resolve_units(uow, p.audience)
        existing = await uow.reminders.kinds_of(p.id)
        return await self._add(uow, p, [u.id for u in units], existing, now)

    async def stage_units_changed(self, uow: UnitOfWork, unit_ids: Collection[int]) -> int:
        """Units were added or changed (an import) inside ``uow`` (flushed, not committed): in
        every open period, those its audience now includes get the period's reminders they do
        not have yet, planned as ``stage_plan`` plans them — times already behind us left out
        the same way, and never a second reminder of a kind a unit has or was sent — and those
        it no longer includes lose the ones not sent. Without this a unit added after a period
        opened would never be reminded, though the period's table lists it as missing.
        How many reminders were planned."""
        if not unit_ids:
            return 0
        now = self.clock.now()
        ids = sorted(unit_ids)
        planned = 0
        for p in await uow.reports.periods(status="open"):
            inside = await uow.audiences.ids_in(Audience.of(p.audience), ids)
            await uow.reminders.drop_planned_for(p.id, [i for i in ids if i not in inside])
            members = [i for i in ids if i in inside]
            if members:
                planned += await self._add(uow, p, members, await uow.reminders.kinds_of(p.id, members), now)
        return planned

    async def _add(self, uow: UnitOfWork, p: ReportPeriod, unit_ids: list[int], existing: set[tuple[int, str]],
                   now: datetime) -> int:
        """Store ``schedule(p)`` for these units, leaving out the (unit, kind) in ``existing``."""
        rows = []
        for kind, planned, send_at in self.schedule(p, now):
            for unit_id in unit_ids:
                if (unit_id, kind) not in existing:
                    rows.append({"period_id": p.id, "unit_id": unit_id, "kind": kind, "planned_for": planned,
                                 "send_at": send_at, "status": "planned", "deliveries": 0, "created_at": now})
        await uow.reminders.add_planned(rows)
        return len(rows)

    async def plan_lines(self, period_id: int) -> list[PlanLine]:
        async with self.uow() as uow:
            return [PlanLine.of(r) for r in await uow.reminders.plan_of(period_id)]

    async def claim_and_queue(self, compose: Callable[[DueReminder], tuple[NoticeText, ChoiceRows]],
                              limit: int = 10_000) -> tuple[int, int]:
        """Claim every due reminder and, in the same transaction, queue its messages.

        ``compose(due: DueReminder) -> (text, choices)``, text a str or ``Wordings`` (press / type,
        each chat reads the one its channel needs). Units that submitted are skipped.
        Bulk statements throughout: a tick with thousands of due reminders stays well
        under a second. Returns (sent, skipped).
        """
        now = self.clock.now()
        token = uuid.uuid4().hex
        async with self.uow() as uow:
            claimed = await uow.reminders.claim_due(now, limit, token)
            if not claimed:
                await uow.commit()
                return 0, 0
            period_ids = {r.period_id for r in claimed}
            unit_ids = {r.unit_id for r in claimed}
            periods = await uow.reminders.periods(period_ids)
            units = await uow.reminders.units(unit_ids)
            grouped = await uow.reminders.in_a_group(unit_ids)
            done = await uow.reminders.reported(period_ids, not_status=SubmissionStatus.RETURNED)
            in_progress = await answers_in_progress(uow, period_ids)
            bindings_by_unit: dict[int, list[Any]] = {}
            for b in await recipient_bindings(uow, list(unit_ids)):
                bindings_by_unit.setdefault(b.unit_id, []).append(b)
            by_status: dict[str, list[int]] = {"sent": [], "skipped": [], "cancelled": [], "merged": []}
            reminded: set[tuple[int, int]] = set()
            counts: dict[int, int] = {}
            rows: list[dict[str, Any]] = []
            # a unit closed, or moved out of the period's cụm/khối or kind, since it was planned
            audience_of = {pid: await uow.audiences.ids_in(Audience.of(p.audience),
                                                           {r.unit_id for r in claimed if r.period_id == pid})
                           for pid, p in periods.items() if p.status == "open"}
            for r in claimed:
                p = periods[r.period_id]
                if p.status != "open" or r.unit_id not in audience_of[r.period_id]:
                    by_status["cancelled"].append(r.id)
                    continue
                if (r.period_id, r.unit_id) in done:
                    by_status["skipped"].append(r.id)
                    continue
                if (r.period_id, r.unit_id) in reminded:  # two offsets moved onto one time: one message
                    by_status["merged"].append(r.id)
                    continue
                reminded.add((r.period_id, r.unit_id))
                kind = r.kind.split("@")[0]
                overdue = int(kind[2:]) if kind.startswith("od") else 0
                answers = in_progress.get((r.period_id, r.unit_id))
                text, choices = compose(DueReminder(r.id, p, units[r.unit_id], kind, overdue, answers,
                                                    in_group=r.unit_id in grouped))
                for b in bindings_by_unit.get(r.unit_id, []):
                    rows.append(notice_row(b, r.unit_id, text, choices, now, kind="reminder", priority=4))
                counts[r.id] = len(bindings_by_unit.get(r.unit_id, []))
                by_status["sent"].append(r.id)
            await uow.reminders.queue_deliveries(rows)
            for status, ids in by_status.items():
                if status != "sent":
                    await uow.reminders.set_status(ids, status=status, sent_at=None)
            # ``deliveries`` of a sent one is how many chats it was queued to — 0 when the unit has
            # no chat, which is how a "sent" reminder that reached nobody is told apart afterwards;
            # one statement per distinct chat count (a handful), not one per reminder
            sent_by_count: dict[int, list[int]] = {}
            for rid in by_status["sent"]:
                sent_by_count.setdefault(counts[rid], []).append(rid)
            for count, ids in sent_by_count.items():
                await uow.reminders.set_status(ids, status="sent", sent_at=now, deliveries=count)
            await uow.commit()
            return len(by_status["sent"]), len(by_status["skipped"])

    async def claim_job(self, name: str) -> bool:
        """True exactly once per name, across processes (the primary key decides)."""
        async with self.uow() as uow:
            uow.jobs.claim(name, self.clock.now())
            try:
                await uow.commit()
            except Conflict:
                return False
            return True
