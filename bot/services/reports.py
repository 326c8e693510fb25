"""Report collection: periods, drafts that survive, submissions with revisions, progress.

The form engine (pure) decides what to ask and whether answers are valid; this service
only stores: every answer the moment it is given, every submitted revision forever.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.core import Clock
from bot.services._convert import prefixed, unit_view
from bot.services.audience import Audience, audience_unit, describe, resolve_units
from bot.services.views import UnitView
from storage import dashboard_queries
from storage.models import FormSession, ReportPeriod, Submission, SubmissionRevision, Unit
from storage.uow import UnitOfWork, UnitOfWorkFactory


class SubmissionStatus:
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACCEPTED = "accepted"


class UnitState(StrEnum):
    """What /tiendo counts."""

    NOT_STARTED = "chua_bat_dau"
    DRAFTING = "dang_soan"
    SUBMITTED = "da_nop"
    LATE = "nop_muon"
    RETURNED = "bi_tra_lai"
    ACCEPTED = "da_tiep_nhan"


STATE_LABELS = {
    UnitState.NOT_STARTED: "chưa bắt đầu", UnitState.DRAFTING: "đang soạn", UnitState.SUBMITTED: "đã nộp",
    UnitState.LATE: "nộp muộn", UnitState.RETURNED: "bị trả lại", UnitState.ACCEPTED: "đã tiếp nhận",
}
MIN_RETURN_REASON = 5
"""A reason the unit can act on is at least this long (the chat and the dashboard both ask it)."""
FORM_CODES = {"bao-cao-6-thang": "BC6T", "bao-cao-nam": "BCN", "dang-ky-thi-dua": "ĐKTĐ"}


class PeriodError(ValueError):
    """A period cannot be opened/changed as asked (Vietnamese message)."""


class DraftChanged(Exception):
    """The draft was written (or sent, or dropped) by someone else since it was read: nothing
    was saved. The caller reads it again and asks the current question again."""

    def __init__(self, session_id: int) -> None:
        super().__init__(f"draft {session_id} changed since it was read")
        self.session_id = session_id


@dataclass(frozen=True)
class PeriodView:
    id: int
    form_id: str
    form_version: int
    label: str
    cutoff: date | None
    opens_at: datetime
    due_at: datetime
    audience: dict[str, Any]
    audience_text: str
    remind_offsets: tuple[str, ...]
    status: str
    announcement_id: int | None

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def year(self) -> int:
        """The year the report is about: the data cut-off's, else the deadline's (registration)."""
        return self.cutoff.year if self.cutoff else self.due_at.year


@dataclass(frozen=True)
class DraftView:
    session_id: int
    period: PeriodView
    unit: UnitView
    member_id: int
    answers: dict[str, Any]
    history: list[str]
    position: str | None
    return_to_summary: bool
    updated_at: datetime
    last_inbound: str | None = None  # Inbound.key of the last message applied
    version: int = 0  # what a save of this view expects to find (FormSession.version)


@dataclass(frozen=True)
class SubmissionView:
    id: int
    period_id: int
    unit: UnitView
    status: str
    revision: int
    form_version: int
    answers: dict[str, Any]
    submitted_by: int | None
    submitted_at: datetime
    first_submitted_at: datetime
    late: bool
    receipt_no: str
    return_reason: str


class StartOutcome(StrEnum):
    NEW = "new"
    RESUME = "resume"
    BUSY = "busy"
    SUBMITTED = "submitted"
    CLOSED = "closed"
    NOT_IN_AUDIENCE = "not_in_audience"
    NO_PERIOD = "no_period"  # no period given and none open for the unit
    CHOOSE = "choose"  # no period given and several open: ``periods`` lists them


@dataclass(frozen=True)
class StartResult:
    outcome: StartOutcome
    draft: DraftView | None = None
    submission: SubmissionView | None = None
    other_name: str = ""
    other_progress_at: datetime | None = None
    periods: tuple[PeriodView, ...] = ()


@dataclass(frozen=True)
class SubmitResult:
    submission: SubmissionView
    already: bool


@dataclass
class Progress:
    period: PeriodView
    counts: dict[UnitState, int] = field(default_factory=dict)
    missing: list[tuple[UnitView, UnitState]] = field(default_factory=list)
    states: dict[int, UnitState] = field(default_factory=dict)
    total: int = 0


def period_view(p: ReportPeriod) -> PeriodView:
    return PeriodView(
        id=p.id, form_id=p.form_id, form_version=p.form_version, label=p.label, cutoff=p.cutoff, opens_at=p.opens_at,
        due_at=p.due_at, audience=dict(p.audience), audience_text=describe(p.audience),
        remind_offsets=tuple(p.remind_offsets), status=p.status, announcement_id=p.announcement_id,
    )


def submission_view(s: Submission, unit: UnitView) -> SubmissionView:
    return SubmissionView(
        id=s.id, period_id=s.period_id, unit=unit, status=s.status, revision=s.revision, form_version=s.form_version,
        answers=dict(s.answers), submitted_by=s.submitted_by, submitted_at=s.submitted_at,
        first_submitted_at=s.first_submitted_at, late=s.late, receipt_no=s.receipt_no, return_reason=s.return_reason,
    )


@dataclass(frozen=True)
class SubmissionSummary:
    """A submission without its answers: what a table of thousands of units shows."""

    id: int
    unit_id: int
    status: str
    revision: int
    submitted_at: datetime
    late: bool
    receipt_no: str


class _DashboardReads:
    """Reads added for the web dashboard (bot/web), kept apart from the chat's use cases."""

    uow: UnitOfWorkFactory

    async def submission_summaries(self, period_id: int) -> dict[int, SubmissionSummary]:
        """Unit id → its submission of the period, without the answers (one column query)."""
        async with self.uow() as uow:
            rows = await dashboard_queries.submission_rows(uow.session, period_id)
        return {r.unit_id: SubmissionSummary(r.id, r.unit_id, r.status, r.revision, r.submitted_at, r.late,
                                             r.receipt_no) for r in rows}


class ReportService(_DashboardReads):
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, form_versions: dict[str, int]) -> None:
        self.uow = uow
        self.clock = clock
        self.form_versions = form_versions

    # ---- periods ----------------------------------------------------------------------------
    async def open_period(
        self, *, form_id: str, label: str, due_at: datetime, cutoff: date | None = None,
        audience: Audience | None = None, remind_offsets: list[str] | None = None, opens_at: datetime | None = None,
        created_by: int | None = None, actor: str = "cli",
    ) -> PeriodView:
        if form_id not in self.form_versions:
            raise PeriodError(f"Không có mẫu báo cáo “{form_id}”. Có: {', '.join(sorted(self.form_versions))}")
        now = self.clock.now()
        if due_at <= now:
            raise PeriodError("Hạn nộp phải ở tương lai.")
        audience = audience or {"all": True}
        async with self.uow() as uow:
            await resolve_units(uow, audience)
            p = ReportPeriod(
                form_id=form_id, form_version=self.form_versions[form_id], label=label.strip(), cutoff=cutoff,
                opens_at=opens_at or now, due_at=due_at, audience=audience,
                remind_offsets=list(remind_offsets or ["7d", "3d", "1d", "2h"]), status="open",
                created_by=created_by, created_at=now,
            )
            uow.reports.add(p)
            await uow.flush()
            uow.audit.record(now, actor, "period.open", id=p.id, form=form_id, label=label)
            await uow.commit()
            return period_view(p)

    async def link_announcement(self, period_id: int, announcement_id: int) -> None:
        async with self.uow() as uow:
            p = await uow.reports.period(period_id)
            if p is not None:
                p.announcement_id = announcement_id
                await uow.commit()

    async def periods(self, status: str | None = None) -> list[PeriodView]:
        async with self.uow() as uow:
            return [period_view(p) for p in await uow.reports.periods(status)]

    async def period(self, period_id: int) -> PeriodView | None:
        async with self.uow() as uow:
            p = await uow.reports.period(period_id)
            return period_view(p) if p else None

    async def update_period(self, period_id: int, *, due_at: datetime | None = None, audience: Audience | None = None,
                            status: str | None = None, actor: str = "cli") -> PeriodView:
        now = self.clock.now()
        async with self.uow() as uow:
            p = await uow.reports.period(period_id)
            if p is None:
                raise PeriodError(f"Không có kỳ báo cáo số {period_id}.")
            if due_at is not None:
                p.due_at = due_at
            if audience is not None:
                await resolve_units(uow, audience)
                p.audience = audience
            if status is not None:
                p.status = status
                p.closed_at = now if status == "closed" else None
            uow.audit.record(now, actor, "period.update", id=period_id, due_at=str(due_at) if due_at else None,
                             audience=audience, status=status)
            await uow.commit()
            return period_view(p)

    async def open_periods_for(self, unit_id: int) -> list[PeriodView]:
        async with self.uow() as uow:
            return [period_view(p) for p, _ in await _open_periods_of(uow, unit_id)]

    # ---- drafts -----------------------------------------------------------------------------
    async def start(self, member_id: int, unit_id: int, period_id: int | None = None) -> StartResult:
        """Find or create this unit's draft; tell who else is drafting if not this member.

        Without ``period_id`` the unit's only open period is meant (/baocao): finding it and
        starting on it share one transaction, or the outcome says there is none or several.
        """
        now = self.clock.now()
        async with self.uow() as uow:
            p: ReportPeriod | None
            unit: Unit | None
            if period_id is None:
                periods = await _open_periods_of(uow, unit_id)
                if not periods:
                    return StartResult(StartOutcome.NO_PERIOD)
                if len(periods) > 1:
                    return StartResult(StartOutcome.CHOOSE, periods=tuple(period_view(p) for p, _ in periods))
                p, unit = periods[0]
                period_id = p.id
            else:
                p = await uow.reports.period(period_id)
                if p is None or p.status != "open":
                    return StartResult(StartOutcome.CLOSED)
                unit = await audience_unit(uow, unit_id, p.audience)
                if unit is None:
                    return StartResult(StartOutcome.NOT_IN_AUDIENCE)
            sub = await uow.reports.submission_for(unit_id, period_id)
            draft = await uow.reports.session_for(unit_id, period_id)
            if sub is not None and sub.status != SubmissionStatus.RETURNED and draft is None:
                return StartResult(StartOutcome.SUBMITTED, submission=submission_view(sub, unit_view(unit, groups=())))
            if draft is not None and draft.member_id != member_id:
                other = await uow.members.get(draft.member_id)
                return StartResult(StartOutcome.BUSY, other_name=other.name if other else "",
                                   other_progress_at=draft.updated_at)
            outcome = StartOutcome.RESUME
            if draft is None:
                answers: dict[str, Any] = dict(sub.answers) if sub is not None else {}
                draft = FormSession(period_id=period_id, unit_id=unit_id, member_id=member_id, answers=answers,
                                    history=list(answers), position="summary" if sub is not None else None,
                                    return_to_summary=sub is not None, created_at=now, updated_at=now)
                uow.reports.add(draft)
                try:
                    await uow.commit()
                except IntegrityError:  # another officer of the unit started this very moment
                    return StartResult(StartOutcome.BUSY)
                outcome = StartOutcome.NEW
            return StartResult(outcome, draft=self._draft_view(draft, p, unit, groups=()))

    def _draft_view(self, d: FormSession, p: ReportPeriod, unit: Any,
                    groups: tuple[str, ...] | None = None) -> DraftView:
        return DraftView(session_id=d.id, period=period_view(p), unit=unit_view(unit, groups=groups),
                         member_id=d.member_id,
                         answers=dict(d.answers), history=list(d.history), position=d.position,
                         return_to_summary=d.return_to_summary, updated_at=d.updated_at,
                         last_inbound=d.last_inbound, version=d.version)

    async def draft(self, session_id: int) -> DraftView | None:
        """The draft with its period and unit, in one query (read on every answer)."""
        async with self.uow() as uow:
            row = await uow.reports.draft_row(session_id)
        if row is None:
            return None
        return self._draft_view(prefixed(row, "d_"), prefixed(row, "p_"), prefixed(row, "u_"), groups=())

    async def draft_of_member(self, member_id: int, period_id: int) -> DraftView | None:
        async with self.uow() as uow:
            member = await uow.members.get(member_id)
            if member is None or member.unit_id is None:
                return None
            d = await uow.reports.session_for(member.unit_id, period_id)
            if d is None or d.member_id != member_id:
                return None
            p = await uow.reports.period(d.period_id)
            unit = await uow.units.get(d.unit_id)
            return self._draft_view(d, p, unit)  # type: ignore[arg-type]

    async def draft_answers(self, unit_id: int, period_id: int) -> dict[str, Any] | None:
        async with self.uow() as uow:
            return (await answers_in_progress(uow, [period_id], [unit_id])).get((period_id, unit_id))

    async def answers_in_progress(self, period_id: int) -> dict[int, dict[str, Any]]:
        """Unit id → answers so far (its draft, else its returned report), for the whole period."""
        async with self.uow() as uow:
            return {unit_id: a for (_, unit_id), a in (await answers_in_progress(uow, [period_id])).items()}

    async def save_draft(self, session_id: int, *, expected_version: int, answers: dict[str, Any],
                         history: list[str], position: str | None, return_to_summary: bool,
                         last_inbound: str | None) -> int:
        """Write the draft's whole state in one short transaction (it is small JSON), with the
        key of the message that caused it, so a redelivery of that message is recognised.

        The draft was read in an earlier transaction: the write happens only if it is still at
        ``expected_version`` (two chats of the unit, or two processes, may have read the same
        one). Returns the new version; raises ``DraftChanged`` when the other writer won."""
        async with self.uow() as uow:
            saved = await uow.reports.save_draft(
                session_id, expected_version, answers=dict(answers), history=list(history), position=position,
                return_to_summary=return_to_summary, last_inbound=last_inbound, updated_at=self.clock.now())
            if not saved:
                raise DraftChanged(session_id)
            await uow.commit()
        return expected_version + 1

    async def discard_draft(self, session_id: int) -> None:
        async with self.uow() as uow:
            d = await uow.reports.form_session(session_id)
            if d is not None:
                await uow.session.delete(d)
                await uow.commit()

    # ---- submitting -------------------------------------------------------------------------
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
                return None
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
                submitted_by=member_id, submitted_at=now, late=late, receipt_no=sub.receipt_no))
            await uow.session.delete(d)
            uow.audit.record(now, f"member:{member_id}", "report.submit", period=p.id, unit=unit.code,
                             revision=sub.revision, late=late)
            await uow.commit()
            return SubmitResult(submission_view(sub, unit_view(unit)), already=False)

    async def submission(self, unit_id: int, period_id: int) -> SubmissionView | None:
        async with self.uow() as uow:
            s = await uow.reports.submission_for(unit_id, period_id)
            unit = await uow.units.get(unit_id)
            return submission_view(s, unit_view(unit)) if s and unit else None

    async def submission_by_id(self, submission_id: int) -> SubmissionView | None:
        async with self.uow() as uow:
            s = await uow.reports.submission(submission_id)
            if s is None:
                return None
            unit = await uow.units.get(s.unit_id)
            return submission_view(s, unit_view(unit))  # type: ignore[arg-type]

    async def revisions(self, submission_id: int) -> list[SubmissionRevision]:
        async with self.uow() as uow:
            return await uow.reports.revisions(submission_id)

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
            return submission_view(s, unit_view(unit))  # type: ignore[arg-type]

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
            return submission_view(s, unit_view(unit))  # type: ignore[arg-type]

    # ---- progress ---------------------------------------------------------------------------
    async def progress(self, period_id: int) -> Progress | None:
        async with self.uow() as uow:
            p = await uow.reports.period(period_id)
            if p is None:
                return None
            units = await resolve_units(uow, p.audience)
            subs = {s.unit_id: s for s in await uow.reports.submissions_of_period(period_id)}
            drafts = {d.unit_id for d in await uow.reports.sessions_of_period(period_id)}
        prog = Progress(period=period_view(p), total=len(units), counts={s: 0 for s in UnitState})
        for u in units:
            s = subs.get(u.id)
            if s is None:
                state = UnitState.DRAFTING if u.id in drafts else UnitState.NOT_STARTED
            elif s.status == SubmissionStatus.RETURNED:
                state = UnitState.RETURNED
            elif s.status == SubmissionStatus.ACCEPTED:
                state = UnitState.ACCEPTED
            else:
                state = UnitState.LATE if s.late else UnitState.SUBMITTED
            prog.counts[state] += 1
            prog.states[u.id] = state
            if state in (UnitState.NOT_STARTED, UnitState.DRAFTING, UnitState.RETURNED):
                prog.missing.append((unit_view(u), state))
        return prog

    async def submissions_since(self, period_id: int, since: datetime) -> list[SubmissionView]:
        async with self.uow() as uow:
            out = []
            for s in await uow.reports.submissions_of_period(period_id):
                if s.submitted_at >= since:
                    unit = await uow.units.get(s.unit_id)
                    out.append(submission_view(s, unit_view(unit)))  # type: ignore[arg-type]
            return out

    async def export_rows(self, period_id: int) -> tuple[PeriodView, list[tuple[UnitView, UnitState, SubmissionView | None]]]:
        """Every audience unit with its state and submission (for the Excel export)."""
        prog = await self.progress(period_id)
        if prog is None:
            raise PeriodError(f"Không có kỳ báo cáo số {period_id}.")
        async with self.uow() as uow:
            units = await resolve_units(uow, prog.period.audience)
            subs = {s.unit_id: s for s in await uow.reports.submissions_of_period(period_id)}
            rows = []
            for u in units:
                uv = unit_view(u, None)
                s = subs.get(u.id)
                rows.append((uv, prog.states[u.id], submission_view(s, uv) if s else None))
        return prog.period, rows


def parse_offsets(text: str) -> list[str]:
    """``7d,3d,1d,2h`` → the same, validated (reminder offsets before the deadline)."""
    out = []
    for part in [p.strip().lower() for p in text.split(",") if p.strip()]:
        if not part[:-1].isdigit() or part[-1] not in "dhm":
            raise PeriodError(f"Mốc nhắc không hợp lệ: “{part}” (ví dụ: 7d,3d,1d,2h)")
        out.append(part)
    return out


def offset_delta(offset: str) -> timedelta:
    n, unit = int(offset[:-1]), offset[-1]
    return {"d": timedelta(days=n), "h": timedelta(hours=n), "m": timedelta(minutes=n)}[unit]


async def _open_periods_of(uow: UnitOfWork, unit_id: int) -> list[tuple[ReportPeriod, Unit]]:
    """The open periods whose audience includes the unit (with the unit, read once), earliest
    deadline first."""
    found = []
    for p in await uow.reports.periods("open"):
        unit = await audience_unit(uow, unit_id, p.audience)
        if unit is not None:
            found.append((p, unit))
    return sorted(found, key=lambda pair: pair[0].due_at)


async def answers_in_progress(uow: UnitOfWork, period_ids: Iterable[int],
                              unit_ids: Iterable[int] | None = None) -> dict[tuple[int, int], dict[str, Any]]:
    """(period id, unit id) → the answers given so far: the unit's draft, else its report that
    was returned for revision. Two queries for any number of units (reminders word progress)."""
    periods = list(period_ids)
    draft_q = select(FormSession.period_id, FormSession.unit_id, FormSession.answers).where(
        FormSession.period_id.in_(periods))
    returned_q = select(Submission.period_id, Submission.unit_id, Submission.answers).where(
        Submission.period_id.in_(periods), Submission.status == SubmissionStatus.RETURNED)
    if unit_ids is not None:
        units = list(unit_ids)
        draft_q = draft_q.where(FormSession.unit_id.in_(units))
        returned_q = returned_q.where(Submission.unit_id.in_(units))
    found = {(r.period_id, r.unit_id): dict(r.answers) for r in (await uow.session.execute(returned_q)).all()}
    found.update({(r.period_id, r.unit_id): dict(r.answers) for r in (await uow.session.execute(draft_q)).all()})
    return found
