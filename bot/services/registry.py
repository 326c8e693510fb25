"""The bundle of services handed to handlers (built once, in ``bot.app``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.core import Clock
from bot.forms.engine import FormContext, FormEngine
from bot.forms.spec import FormSpec
from bot.rendering.templates import render
from bot.services.announcements import AnnouncementService
from bot.services.audience import Audience
from bot.services.audit import AuditService
from bot.services.calendar import WorkCalendar
from bot.services.conversations import ConversationService
from bot.services.export import build_workbook
from bot.services.files import FileStore
from bot.services.members import MemberService
from bot.services.memory import ChatMemory
from bot.services.notices import NoticeService
from bot.services.reminders import DueReminder, PlanLine, ReminderService
from bot.services.reports import PeriodView, ReportService, SubmissionView, UnitState, period_view
from bot.services.units import UnitService
from bot.services.views import UnitView
from bot.services.web_access import WebAccessService
from storage.uow import UnitOfWorkFactory


@dataclass
class Services:
    clock: Clock
    members: MemberService
    units: UnitService
    conversations: ConversationService
    announcements: AnnouncementService
    reports: ReportService
    notices: NoticeService
    reminders: ReminderService
    files: FileStore
    forms: dict[str, FormSpec]
    chat_memory: ChatMemory
    web_access: WebAccessService
    audit: AuditService
    office_name: str = "Phòng Nội vụ"
    timezone: str = "Asia/Ho_Chi_Minh"
    escalate_after_days: int = 2
    digest_time: str = "08:00"

    @classmethod
    def build(cls, uow: UnitOfWorkFactory, clock: Clock, *, forms: dict[str, FormSpec],
              files_dir: Path = Path("data/files"), on_queued: Callable[[], None] | None = None,
              office_name: str = "Phòng Nội vụ", timezone: str = "Asia/Ho_Chi_Minh",
              calendar: WorkCalendar | None = None, overdue_days: int = 5, escalate_after_days: int = 2,
              digest_time: str = "08:00", dashboard_url: str = "http://127.0.0.1:8080") -> Services:
        return cls(
            clock=clock,
            members=MemberService(uow, clock),
            units=UnitService(uow, clock),
            conversations=ConversationService(uow, clock),
            announcements=AnnouncementService(uow, clock, on_queued=on_queued),
            reports=ReportService(uow, clock, {k: v.version for k, v in forms.items()}),
            notices=NoticeService(uow, clock, on_queued=on_queued, files=FileStore(files_dir)),
            reminders=ReminderService(uow, clock, calendar or WorkCalendar(timezone), overdue_days=overdue_days),
            files=FileStore(files_dir),
            forms=forms,
            chat_memory=ChatMemory(uow, clock),
            web_access=WebAccessService(uow, clock, base_url=dashboard_url),
            audit=AuditService(uow, clock),
            office_name=office_name,
            timezone=timezone,
            escalate_after_days=escalate_after_days,
            digest_time=digest_time,
        )

    async def open_period(
        self, *, form_id: str, label: str, due_at: datetime, cutoff: date | None, audience: Audience,
        remind_offsets: list[str], created_by: int | None = None, actor: str = "cli", announce: bool = True,
    ) -> PeriodView:
        """Open a reporting period and announce it to its audience through the outbox."""
        period = await self.reports.open_period(
            form_id=form_id, label=label, due_at=due_at, cutoff=cutoff, audience=audience,
            remind_offsets=remind_offsets, created_by=created_by, actor=actor)
        if announce:
            spec = self.forms[form_id]
            body = render("period_announcement", p=period, title=spec.title, office=self.office_name)
            ann = await self.announcements.create(
                doc_type="Thông báo", summary=f"V/v {spec.title[0].lower()}{spec.title[1:]} {period.year}", body=body,
                audience=audience, issuer=self.office_name, created_by=created_by, actor=actor,
                issued_on=self.clock.now().date())
            await self.reports.link_announcement(period.id, ann.id)
        await self.reminders.plan(period.id)
        return period

    async def plan_reminders(self, period_id: int) -> int:
        return await self.reminders.plan(period_id)

    async def reminder_plan(self, period_id: int) -> list[PlanLine]:
        return await self.reminders.plan_lines(period_id)

    async def change_period(self, period_id: int, *, due_at: datetime | None = None, audience: Audience | None = None,
                            status: str | None = None, announce: bool = False, actor: str = "cli") -> PeriodView:
        """Extend, retarget or close a period; reminders still due are planned again."""
        period = await self.reports.update_period(period_id, due_at=due_at, audience=audience, status=status,
                                                  actor=actor)
        await self.reminders.plan(period_id)
        if announce and due_at is not None and period.is_open:
            body = render("period_extended", p=period, office=self.office_name)
            await self.announcements.create(doc_type="Thông báo", summary=f"V/v gia hạn {period.label}", body=body,
                                            audience=period.audience, issuer=self.office_name, actor=actor,
                                            issued_on=self.clock.now().date())
        return period

    def reminder_text(self, period: PeriodView, unit_kind: str | None, draft_answers: dict[str, Any] | None, *,
                      overdue_days: int = 0, admin_names: str = "",
                      cache: dict[tuple[object, ...], str] | None = None) -> str:
        """The reminder a unit gets: which report, the deadline, how far its draft is.

        One wording for the scheduler and for "Nhắc ngay"; with ``cache``, identical texts
        (same period, kind, progress) render once in a tick of thousands.
        """
        progress = None
        if draft_answers is not None:
            progress = FormEngine(self.forms[period.form_id]).progress(
                draft_answers, self.form_context(period, unit_kind))
        admins = admin_names if overdue_days >= self.escalate_after_days else ""
        key = (period.id, overdue_days, progress, admins)
        text = cache.get(key) if cache is not None else None
        if text is None:
            text = render("reminder", p=period, progress=progress, now=self.clock.now(),
                          kind="overdue" if overdue_days else "before", admins=admins, office=self.office_name)
            if cache is not None:
                cache[key] = text
        return text

    def compose_reminder(self, due: DueReminder, admin_names: str,
                         cache: dict[tuple[object, ...], str] | None = None) -> tuple[str, list[list[tuple[str, str]]]]:
        period = period_view(due.period)
        text = self.reminder_text(period, due.unit.kind, due.draft_answers, overdue_days=due.overdue_days,
                                  admin_names=admin_names, cache=cache)
        return text, [[("▶️ Tiếp tục báo cáo", f"bc:p:{period.id}")]]

    async def send_due_reminders(self) -> tuple[int, int]:
        return await self.send_due_reminders_batch(10_000)

    async def send_due_reminders_batch(self, limit: int) -> tuple[int, int]:
        """Claim up to ``limit`` due reminders and queue their messages; (sent, skipped)."""
        names = ", ".join(m.name for m in await self.members.admins())
        cache: dict[tuple[object, ...], str] = {}
        sent, skipped = await self.reminders.claim_and_queue(
            lambda due: self.compose_reminder(due, names, cache), limit)
        if sent:
            self.notices.on_queued()
        return sent, skipped

    async def send_digest_if_due(self) -> bool:
        """Once a day at DIGEST_TIME (local), the admins get where things stand."""
        from zoneinfo import ZoneInfo

        now = self.clock.now()
        local = now.astimezone(ZoneInfo(self.timezone))
        hh, mm = (int(x) for x in self.digest_time.split(":"))
        if (local.hour, local.minute) < (hh, mm):
            return False
        if not await self.reminders.claim_job(f"digest:{local:%Y-%m-%d}"):
            return False
        await self.notices.to_admins(await self.digest_text(), kind="digest")
        return True

    async def digest_text(self) -> str:
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

    async def tick(self) -> dict[str, int]:
        """One scheduler tick: scheduled announcements, due reminders, the daily digest, and
        forgetting chat menus and message keys older than a week and failed invite codes
        older than a day."""
        released = await self.announcements.release_due()
        sent, skipped = await self.send_due_reminders()
        digest = await self.send_digest_if_due()
        forgotten = await self.chat_memory.forget_old() + await self.members.forget_failures()
        return {"released": len(released), "reminders": sent, "skipped": skipped, "digest": int(digest),
                "forgotten": forgotten}

    async def export_period(self, period_id: int) -> tuple[str, bytes]:
        """(file name, XLSX bytes) for a period."""
        period, rows = await self.reports.export_rows(period_id)
        data = build_workbook(period, self.forms[period.form_id], rows, tz=self.timezone)
        return f"tdkt_ky{period.id}_{period.form_id}.xlsx", data

    def form_context(self, period: PeriodView, unit_kind: str | None) -> FormContext:
        from zoneinfo import ZoneInfo

        today = self.clock.now().astimezone(ZoneInfo(self.timezone)).date()
        year = period.year
        return FormContext(unit_kind=unit_kind, today=today, cutoff=period.cutoff, default_year=year,
                           report_year=year)

    async def remind_missing_now(self, period_id: int, *, only: set[int] | None = None) -> tuple[int, list[UnitView]]:
        """'Nhắc ngay': a reminder to exactly the units that have not (validly) submitted —
        with ``only`` (the dashboard's ticked rows), to those of them among these unit ids.
        Returns how many were reached and the missing units no chat reaches (to phone)."""
        prog = await self.reports.progress(period_id)
        if prog is None:
            return 0, []
        missing = [u for u, _ in prog.missing if only is None or u.id in only]
        in_progress = await self.reports.answers_in_progress(period_id)
        cache: dict[tuple[object, ...], str] = {}
        texts = {u.id: self.reminder_text(prog.period, u.kind, in_progress.get(u.id), cache=cache) for u in missing}
        reached = await self.notices.to_units(texts, [[("▶️ Tiếp tục báo cáo", f"bc:p:{period_id}")]],
                                              kind="reminder") if texts else set()
        return len(reached), [u for u in missing if u.id not in reached]

    async def notify_returned(self, sub: SubmissionView, period: PeriodView) -> bool:
        """Tell the unit its report came back; False when no chat of the unit can be reached."""
        text = render("report_returned", s=sub, period=period, office=self.office_name)
        return bool(await self.notices.to_units({sub.unit.id: text}, [[("✏️ Sửa báo cáo", f"bc:p:{period.id}")]]))


__all__ = ["Services", "UnitState"]
