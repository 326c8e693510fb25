"""The admins' morning digest: where every open period stands, what came in since yesterday,
what failed to go out, which chats were locked out for guessing invite codes."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.core import Clock
from bot.rendering.templates import render
from bot.services.announcements import AnnouncementService
from bot.services.calendar import WorkCalendar
from bot.services.members import MemberService
from bot.services.notices import NoticeService
from bot.services.reminders import ReminderService
from bot.services.reports import ReportService


class DigestService:
    def __init__(self, clock: Clock, reports: ReportService, announcements: AnnouncementService,
                 members: MemberService, notices: NoticeService, reminders: ReminderService, *,
                 office_name: str = "Phòng Nội vụ", timezone: str = "Asia/Ho_Chi_Minh",
                 digest_time: str = "08:00", calendar: WorkCalendar | None = None) -> None:
        self.clock = clock
        self.reports = reports
        self.announcements = announcements
        self.members = members
        self.notices = notices
        self.reminders = reminders
        self.office_name = office_name
        self.timezone = timezone
        self.digest_time = digest_time
        self.calendar = calendar or WorkCalendar(timezone)

    async def send_if_due(self) -> bool:
        """Once a day at DIGEST_TIME (local), the admins get where things stand. The day's
        claim (``claim_job``) is taken before the message is queued: a crash between the two
        loses that day's digest rather than sending it twice. Not in the quiet hours: a bot
        started (or back) late in the evening leaves that day's morning digest out instead of
        waking the office at night; the next morning's covers the day."""
        now = self.clock.now()
        local = now.astimezone(ZoneInfo(self.timezone))
        hh, mm = (int(x) for x in self.digest_time.split(":"))
        if (local.hour, local.minute) < (hh, mm) or self.calendar.quiet_at(now):
            return False
        if not await self.reminders.claim_job(f"digest:{local:%Y-%m-%d}"):
            return False
        await self.notices.to_admins(await self.text(), kind="digest")
        return True

    async def text(self) -> str:
        since = self.clock.now() - timedelta(days=1)
        items = []
        for p in await self.reports.periods("open"):
            prog = await self.reports.progress(p.id)
            new = await self.reports.submissions_since(p.id, since)
            items.append((prog, new))
        failed = await self.announcements.failed_since(since)
        lockouts = await self.members.lockouts_since(since)
        return render("digest", items=items, failed=failed, lockouts=lockouts, now=self.clock.now(),
                      office=self.office_name)
