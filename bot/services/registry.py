"""The services, built once (in ``bot.app``) and handed to handlers, the CLI and the dashboard.

A plain container: every use case lives in a module named for it (see ARCHITECTURE.md for
the map). The few methods below are one-line delegations kept under their old names for the
callers written before the split; new code calls the service itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.core import Clock
from bot.forms.engine import FormContext
from bot.forms.spec import FormSpec
from bot.services.announcements import AnnouncementService
from bot.services.audience import AudienceLike
from bot.services.audit import AuditService
from bot.services.calendar import WorkCalendar
from bot.services.conversations import ConversationService
from bot.services.digest import DigestService
from bot.services.export import ExportService
from bot.services.files import FileStore
from bot.services.members import MemberService
from bot.services.memory import ChatMemory
from bot.services.notices import NoticeService, Wordings
from bot.services.outputs import OfficialOutputs
from bot.services.periods import PeriodService
from bot.services.reminder_sending import ReminderSender
from bot.services.reminder_wording import ReminderWording, WordingCache
from bot.services.reminders import DueReminder, PlanLine, ReminderService
from bot.services.reports import PeriodView, ReportService, SubmissionView, UnitState
from bot.services.status_reports import StatusReportService
from bot.services.submissions import SubmissionService
from bot.services.ticks import SchedulerTick
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
    submissions: SubmissionService
    periods: PeriodService
    notices: NoticeService
    reminders: ReminderService
    reminder_wording: ReminderWording
    reminder_sender: ReminderSender
    digest: DigestService
    exports: ExportService
    status_reports: StatusReportService
    ticks: SchedulerTick
    files: FileStore
    forms: dict[str, FormSpec]
    chat_memory: ChatMemory
    outputs: OfficialOutputs
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
        files = FileStore(files_dir)
        members = MemberService(uow, clock)
        announcements = AnnouncementService(uow, clock, on_queued=on_queued)
        notices = NoticeService(uow, clock, on_queued=on_queued, files=files)
        submissions = SubmissionService(uow, clock, notices, office_name=office_name)
        reports = ReportService(uow, clock, {k: v.version for k, v in forms.items()}, submissions, forms=forms)
        calendar = calendar or WorkCalendar(timezone)
        reminders = ReminderService(uow, clock, calendar, overdue_days=overdue_days)
        wording = ReminderWording(clock, forms, office_name=office_name, timezone=timezone,
                                  escalate_after_days=escalate_after_days)
        sender = ReminderSender(reminders, wording, members, notices, reports)
        digest = DigestService(clock, reports, announcements, members, notices, reminders,
                               office_name=office_name, timezone=timezone, digest_time=digest_time,
                               calendar=calendar)
        chat_memory = ChatMemory(uow, clock)
        return cls(
            clock=clock,
            members=members,
            units=UnitService(uow, clock, reminders),
            conversations=ConversationService(uow, clock),
            announcements=announcements,
            reports=reports,
            submissions=submissions,
            periods=PeriodService(uow, clock, forms, reminders, office_name=office_name, on_queued=on_queued),
            notices=notices,
            reminders=reminders,
            reminder_wording=wording,
            reminder_sender=sender,
            digest=digest,
            exports=ExportService(reports, forms, timezone=timezone),
            status_reports=StatusReportService(announcements),
            ticks=SchedulerTick(announcements, sender, digest, chat_memory, members),
            files=files,
            forms=forms,
            chat_memory=chat_memory,
            outputs=OfficialOutputs(uow, reports, forms, clock, office_name=office_name, timezone=timezone),
            web_access=WebAccessService(uow, clock, base_url=dashboard_url),
            audit=AuditService(uow, clock),
            office_name=office_name,
            timezone=timezone,
            escalate_after_days=escalate_after_days,
            digest_time=digest_time,
        )

    # ---- old names, one line each (see the module docstring) -------------------------------------
    async def open_period(
        self, *, form_id: str, label: str, due_at: datetime, cutoff: date | None, audience: AudienceLike,
        remind_offsets: list[str], created_by: int | None = None, actor: str = "cli", announce: bool = True,
    ) -> PeriodView:
        return await self.periods.open(form_id=form_id, label=label, due_at=due_at, cutoff=cutoff, audience=audience,
                                       remind_offsets=remind_offsets, created_by=created_by, actor=actor,
                                       announce=announce)

    async def change_period(self, period_id: int, *, due_at: datetime | None = None,
                            audience: AudienceLike | None = None, status: str | None = None,
                            announce: bool = False, actor: str = "cli") -> PeriodView:
        return await self.periods.change(period_id, due_at=due_at, audience=audience, status=status,
                                         announce=announce, actor=actor)

    async def plan_reminders(self, period_id: int) -> int:
        return await self.reminders.plan(period_id)

    async def reminder_plan(self, period_id: int) -> list[PlanLine]:
        return await self.reminders.plan_lines(period_id)

    def reminder_text(self, period: PeriodView, unit_kind: str | None, draft_answers: dict[str, Any] | None, *,
                      overdue_days: int = 0, admin_names: str = "", cache: WordingCache | None = None,
                      in_group: bool | None = None) -> Wordings:
        return self.reminder_wording.text(period, unit_kind, draft_answers, overdue_days=overdue_days,
                                          admin_names=admin_names, cache=cache, in_group=in_group)

    def compose_reminder(self, due: DueReminder, admin_names: str,
                         cache: WordingCache | None = None) -> tuple[Wordings, list[list[tuple[str, str]]]]:
        return self.reminder_wording.compose(due, admin_names, cache)

    async def send_due_reminders(self) -> tuple[int, int]:
        return await self.reminder_sender.send_due()

    async def send_due_reminders_batch(self, limit: int) -> tuple[int, int]:
        return await self.reminder_sender.send_due(limit)

    async def send_digest_if_due(self) -> bool:
        return await self.digest.send_if_due()

    async def digest_text(self) -> str:
        return await self.digest.text()

    async def tick(self) -> dict[str, int]:
        return await self.ticks.run()

    async def export_period(self, period_id: int) -> tuple[str, bytes]:
        return await self.exports.export_period(period_id)

    def form_context(self, period: PeriodView, unit_kind: str | None, *,
                     registration: dict[str, Any] | None = None, in_group: bool | None = None) -> FormContext:
        return self.reminder_wording.form_context(period, unit_kind, registration=registration, in_group=in_group)

    def submission_context(self, period: PeriodView, sub: SubmissionView) -> FormContext:
        """The context a submitted report is read back in (chat's review and the dashboard's
        page alike): its unit's kind, and its cụm/khối loaded with it, so Cờ thi đua shows as
        not asked outside a cụm/khối rather than unanswered."""
        return self.form_context(period, sub.unit.kind, in_group=bool(sub.unit.groups))

    async def remind_missing_now(self, period_id: int, *, only: set[int] | None = None) -> tuple[int, list[UnitView]]:
        return await self.reminder_sender.remind_missing_now(period_id, only=only)

    async def notify_returned(self, sub: SubmissionView, period: PeriodView) -> bool:
        return await self.submissions.notify_returned(sub, period)


__all__ = ["Services", "UnitState"]
