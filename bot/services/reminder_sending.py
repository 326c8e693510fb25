"""Sending reminders: the due ones (each scheduler tick) and "Nhắc ngay" (an admin's button),
both only to the units that have not validly submitted."""

from __future__ import annotations

from bot.services.members import MemberService
from bot.services.notices import NoticeService
from bot.services.reminder_wording import ReminderWording, WordingCache, continue_choices
from bot.services.reminders import ReminderService
from bot.services.reports import ReportService
from bot.services.views import UnitView


class ReminderSender:
    def __init__(self, reminders: ReminderService, wording: ReminderWording, members: MemberService,
                 notices: NoticeService, reports: ReportService) -> None:
        self.reminders = reminders
        self.wording = wording
        self.members = members
        self.notices = notices
        self.reports = reports

    async def send_due(self, limit: int = 10_000) -> tuple[int, int]:
        """Claim up to ``limit`` due reminders and queue their messages, in one transaction
        (``ReminderService.claim_and_queue``); (sent, skipped)."""
        names = ", ".join(m.name for m in await self.members.admins())
        cache: WordingCache = {}
        sent, skipped = await self.reminders.claim_and_queue(
            lambda due: self.wording.compose(due, names, cache), limit)
        if sent:
            self.notices.on_queued()
        return sent, skipped

    async def remind_missing_now(self, period_id: int, *,
                                 only: set[int] | None = None) -> tuple[int, list[UnitView]]:
        """'Nhắc ngay': a reminder to exactly the units that have not (validly) submitted —
        with ``only`` (the dashboard's ticked rows), to those of them among these unit ids.
        Returns how many were reached and the missing units no chat reaches (to phone)."""
        prog = await self.reports.progress(period_id)
        if prog is None:
            return 0, []
        missing = [u for u, _ in prog.missing if only is None or u.id in only]
        in_progress = await self.reports.answers_in_progress(period_id)
        cache: WordingCache = {}
        texts = {u.id: self.wording.text(prog.period, u.kind, in_progress.get(u.id), cache=cache,
                                         in_group=bool(u.groups)) for u in missing}
        reached = await self.notices.to_units(texts, continue_choices(period_id), kind="reminder") if texts else set()
        return len(reached), [u for u in missing if u.id not in reached]
