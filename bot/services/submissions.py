"""Submissions: a draft becomes a report (or its next revision) with a receipt; the office
returns it with a reason, or accepts it. Each is one transaction."""

from __future__ import annotations

from typing import Any

from bot.core import Clock
from bot.rendering.buttons import ReportForPeriod
from bot.rendering.templates import render
from bot.services._convert import unit_view
from bot.services.notices import NoticeService, Wordings
from bot.services.reports import (
    FORM_CODES,
    DraftChanged,
    PeriodView,
    SubmissionStatus,
    SubmissionView,
    SubmitResult,
    submission_view,
)
from storage.models import Submission, SubmissionRevision
from storage.uow import UnitOfWork, UnitOfWorkFactory


class SubmissionService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, notices: NoticeService, *,
                 office_name: str = "Phòng Nội vụ") -> None:
        self.uow = uow
        self.clock = clock
        self.notices = notices
        self.office_name = office_name

    async def submit(self, session_id: int, member_id: int, clean_answers: dict[str, Any],
                     expected_version: int | None = None) -> SubmitResult | None:
        """Turn the draft into a submission (or its next revision) and drop the draft.

        Idempotent: a second tap finds the draft gone and gets the same receipt back. With
        ``expected_version`` (the version ``clean_answers`` were computed from), a draft changed
        meanwhile raises ``DraftChanged`` instead of sending answers the officer never saw.
        """
        now = self.clock.now()
        async with self.uow() as uow:
            d = await uow.reports.form_session(session_id, for_update=True)
            if d is None:
                return await self._submitted_from(uow, session_id, member_id)
            if expected_version is not None and d.version != expected_version:
                raise DraftChanged(session_id)
            p = await uow.reports.period(d.period_id)
            unit = await uow.units.get(d.unit_id)
            assert p is not None and unit is not None
            sub = await uow.reports.submission_for(d.unit_id, d.period_id, for_update=True)
            late = now > p.due_at
            if sub is None:
                sub = Submission(period_id=p.id, unit_id=unit.id, status=SubmissionStatus.SUBMITTED, revision=1,
                                 form_version=p.form_version, answers=clean_answers, submitted_by=member_id,
                                 submitted_at=now, first_submitted_at=now, late=late, receipt_no="",
                                 return_reason="")
                uow.reports.add(sub)
                await uow.flush()
            else:
                sub.revision += 1
                sub.status, sub.answers, sub.submitted_by, sub.submitted_at = (
                    SubmissionStatus.SUBMITTED, clean_answers, member_id, now)
                sub.late = sub.late or late
                sub.form_version = p.form_version
            code = FORM_CODES.get(p.form_id, "BC")
            sub.receipt_no = f"{sub.id:04d}/{now.year}/{code}" + (f"-L{sub.revision}" if sub.revision > 1 else "")
            uow.reports.add(SubmissionRevision(
                submission_id=sub.id, revision=sub.revision, form_version=sub.form_version, answers=clean_answers,
                submitted_by=member_id, submitted_at=now, late=late, receipt_no=sub.receipt_no,
                session_id=session_id))
            await uow.reports.delete(d)
            uow.audit.record(now, f"member:{member_id}", "report.submit", period=p.id, unit=unit.code,
                             revision=sub.revision, late=late)
            await uow.commit()
            return SubmitResult(submission_view(sub, unit_view(unit)), already=False)

    async def return_submission(self, submission_id: int, reason: str, admin_id: int | None) -> SubmissionView | None:
        now = self.clock.now()
        async with self.uow() as uow:
            s = await uow.reports.submission(submission_id)
            if s is None or s.status == SubmissionStatus.RETURNED:
                return None
            s.status, s.return_reason, s.returned_at, s.returned_by = SubmissionStatus.RETURNED, reason, now, admin_id
            uow.audit.record(now, f"member:{admin_id}" if admin_id else "cli", "report.return", submission=s.id,
                             reason=reason)
            await uow.commit()
            unit = await uow.units.get(s.unit_id)
            return submission_view(s, unit_view(unit))  # type: ignore[arg-type]  # a submission's unit exists (foreign key)

    async def accept(self, submission_id: int, admin_id: int | None) -> SubmissionView | None:
        now = self.clock.now()
        async with self.uow() as uow:
            s = await uow.reports.submission(submission_id)
            if s is None or s.status != SubmissionStatus.SUBMITTED:
                return None
            s.status, s.accepted_at = SubmissionStatus.ACCEPTED, now
            uow.audit.record(now, f"member:{admin_id}" if admin_id else "cli", "report.accept", submission=s.id)
            await uow.commit()
            unit = await uow.units.get(s.unit_id)
            return submission_view(s, unit_view(unit))  # type: ignore[arg-type]  # a submission's unit exists (foreign key)


    async def _submitted_from(self, uow: UnitOfWork, session_id: int, member_id: int) -> SubmitResult | None:
        """The draft is gone: if it became this member's report (a second tap on "Gửi", or two
        taps racing), that report with its receipt, ``already`` set; else None (a stale button)."""
        rev = await uow.reports.revision_from_draft(session_id, member_id)
        if rev is None:
            return None
        sub = await uow.reports.submission(rev.submission_id)
        if sub is None or sub.revision != rev.revision:
            return None  # returned and sent again since: that receipt is not the current one
        unit = await uow.units.get(sub.unit_id)
        assert unit is not None
        return SubmitResult(submission_view(sub, unit_view(unit)), already=True)

    async def notify_returned(self, sub: SubmissionView, period: PeriodView) -> bool:
        """Tell the unit its report came back; False when no chat of the unit can be reached."""
        text = Wordings(*(render("report_returned", s=sub, period=period, office=self.office_name, buttons=buttons)
                          for buttons in (True, False)))
        return bool(await self.notices.to_units({sub.unit.id: text}, [[("✏️ Sửa báo cáo", ReportForPeriod(period=period.id).pack())]]))


__all__ = ["SubmissionService"]
