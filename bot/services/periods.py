"""Reporting periods: open, change (extend the deadline, retarget), close.

Each is ONE transaction: the period, the announcement that tells the units (with its outbox
rows) and the period's reminder plan are written together, so a crash leaves either the
period as it was or the period with everything that goes with it — never a period without
reminders, which somebody would have to plan again by hand.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.core import Clock
from bot.forms.spec import FormSpec
from bot.rendering.templates import render
from bot.services.announcements import stage_announcement, stage_deliveries
from bot.services.audience import Audience, AudienceLike, resolve_units
from bot.services.reminders import PlannedTime, ReminderService
from bot.services.reports import PeriodError, PeriodView, period_view
from storage.errors import Conflict
from storage.models import ReportPeriod
from storage.uow import UnitOfWork, UnitOfWorkFactory

DEFAULT_OFFSETS = ("7d", "3d", "1d", "2h")


@dataclass(frozen=True)
class LeavingUnit:
    """A unit a new audience would take out of the period, and what it has in it already:
    ``"submission"`` (a report sent, accepted or returned), ``"draft"`` or None."""

    code: str
    name: str
    work: str | None = None


@dataclass(frozen=True)
class PlanPreview:
    """What opening (or changing) a period would plan, computed without storing anything:
    how many units it reaches, each unit's reminder times and — for a change of audience —
    the units that would leave the period."""

    units: int
    times: list[PlannedTime]
    leaving: list[LeavingUnit] = field(default_factory=list)
    due_on_rest_day: bool = False
    """The deadline falls on a rest day or holiday: said before confirming, since the office
    usually meant a working day and the reminders before it move to the day before."""

    @property
    def reminders(self) -> int:
        return self.units * len(self.times)

    @property
    def leaving_with_work(self) -> list[LeavingUnit]:
        """The leaving units that have a report or a draft in the period (kept, but hidden)."""
        return [u for u in self.leaving if u.work is not None]

    @property
    def leaving_key(self) -> str:
        """A short digest of which units leave: the dashboard's confirm form carries it, so a
        change that drops units is saved only after its warning was shown for those units."""
        codes = sorted(u.code for u in self.leaving)
        return hashlib.sha256(",".join(codes).encode()).hexdigest()[:16] if codes else ""


CUTOFF_AFTER_DUE_DAYS = 31
"""How long after the deadline the data cut-off may fall. An annual report's figures may be
counted to 14/12 with the dossiers due 30/11–10/12 (../shared/domain/TDKT.md, "Deadlines":
the figures after the deadline are estimated); a month past it is a typing mistake."""


def check_cutoff(cutoff: date | None, due_at: datetime) -> None:
    """The figures are counted up to the cut-off and reported by the deadline: a cut-off more
    than ``CUTOFF_AFTER_DUE_DAYS`` after the deadline's day (chốt 30/06/2027, hạn 10/01/2027)
    is refused."""
    if cutoff is not None and cutoff > due_at.date() + timedelta(days=CUTOFF_AFTER_DUE_DAYS):
        raise PeriodError(f"Ngày chốt số liệu ({cutoff:%d/%m/%Y}) sau hạn nộp ({due_at:%d/%m/%Y}) quá "
                          f"{CUTOFF_AFTER_DUE_DAYS} ngày. Đồng chí kiểm tra lại ngày chốt số liệu hoặc hạn nộp.")


def duplicate_message(p: ReportPeriod) -> str:
    return (f"Đã có kỳ “{p.label}” đang mở (số {p.id}) cho mẫu báo cáo này. Đồng chí xem kỳ đó trong danh sách "
            "Kỳ báo cáo, hoặc đặt tên kỳ khác.")


async def check_not_open_already(uow: UnitOfWork, form_id: str, label: str) -> None:
    """A second open period with the same form and label is a repeat (a double click, the
    chat and the dashboard at once): officers would see the period twice."""
    existing = await uow.reports.open_period_named(form_id, label.strip())
    if existing is not None:
        raise PeriodError(duplicate_message(existing))


async def check_open(uow: UnitOfWork, now: datetime, form_versions: dict[str, int], *, form_id: str,
                     due_at: datetime, audience: AudienceLike | None, label: str | None = None,
                     cutoff: date | None = None) -> int:
    """The checks opening a period makes (the form, the deadline, the cut-off before it, no
    open period of the same form and label, the audience's names); ``PeriodError``/
    ``AudienceError`` otherwise. How many units the audience reaches."""
    if form_id not in form_versions:
        raise PeriodError(f"Không có mẫu báo cáo “{form_id}”. Có: {', '.join(sorted(form_versions))}")
    if due_at <= now:
        raise PeriodError("Hạn nộp phải ở tương lai.")
    check_cutoff(cutoff, due_at)
    if label is not None:
        await check_not_open_already(uow, form_id, label)
    return len(await resolve_units(uow, Audience.of(audience)))


async def stage_open(
    uow: UnitOfWork, now: datetime, form_versions: dict[str, int], *, form_id: str, label: str, due_at: datetime,
    cutoff: date | None = None, audience: AudienceLike | None = None, remind_offsets: list[str] | None = None,
    opens_at: datetime | None = None, created_by: int | None = None, actor: str = "cli",
) -> ReportPeriod:
    """Add an open period to ``uow`` (flushed, audited, not committed) after checking the form,
    the deadline and the audience's names; ``PeriodError``/``AudienceError`` otherwise."""
    await check_open(uow, now, form_versions, form_id=form_id, due_at=due_at, audience=audience, label=label,
                     cutoff=cutoff)
    aud = Audience.of(audience)
    p = ReportPeriod(
        form_id=form_id, form_version=form_versions[form_id], label=label.strip(), cutoff=cutoff,
        opens_at=opens_at or now, due_at=due_at, audience=aud.to_json(),
        remind_offsets=list(remind_offsets or DEFAULT_OFFSETS), status="open", created_by=created_by, created_at=now,
    )
    uow.reports.add(p)
    await uow.flush()
    uow.audit.record(now, actor, "period.open", id=p.id, form=form_id, label=label)
    return p


async def stage_change(uow: UnitOfWork, now: datetime, period_id: int, *, due_at: datetime | None = None,
                       audience: AudienceLike | None = None, status: str | None = None,
                       actor: str = "cli") -> ReportPeriod:
    """Change the period in ``uow`` (audited, not committed); ``PeriodError`` if there is none."""
    p = await uow.reports.period(period_id)
    if p is None:
        raise PeriodError(f"Không có kỳ báo cáo số {period_id}.")
    stored = None
    if due_at is not None:
        if due_at <= now and p.status == "open" and status is None:
            raise PeriodError("Hạn nộp phải ở tương lai.")
        check_cutoff(p.cutoff, due_at)
        p.due_at = due_at
    if audience is not None:
        aud = Audience.of(audience)
        await resolve_units(uow, aud)
        stored = aud.to_json()
        p.audience = stored
    if status is not None:
        p.status = status
        p.closed_at = now if status == "closed" else None
    uow.audit.record(now, actor, "period.update", id=period_id, due_at=str(due_at) if due_at else None,
                     audience=stored, status=status)
    return p


class PeriodService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, forms: dict[str, FormSpec], reminders: ReminderService,
                 *, office_name: str = "Phòng Nội vụ", on_queued: Callable[[], None] | None = None) -> None:
        self.uow = uow
        self.clock = clock
        self.forms = forms
        self.reminders = reminders
        self.office_name = office_name
        self.on_queued = on_queued or (lambda: None)

    @property
    def form_versions(self) -> dict[str, int]:
        return {k: v.version for k, v in self.forms.items()}

    async def preview_open(self, *, form_id: str, due_at: datetime, audience: AudienceLike,
                           remind_offsets: list[str], label: str | None = None,
                           cutoff: date | None = None) -> PlanPreview:
        """The reminder plan ``open`` would store, after the same checks, storing nothing: the
        dashboard shows it (times moved for quiet hours, rest days, holidays) before confirming."""
        async with self.uow() as uow:
            units = await check_open(uow, self.clock.now(), self.form_versions, form_id=form_id, due_at=due_at,
                                     audience=audience, label=label, cutoff=cutoff)
        draft = ReportPeriod(due_at=due_at, remind_offsets=list(remind_offsets or DEFAULT_OFFSETS), status="open")
        return PlanPreview(units, self.reminders.preview(draft), due_on_rest_day=self._rest_day(due_at))

    async def preview_change(self, period_id: int, *, due_at: datetime | None = None,
                             audience: AudienceLike | None = None) -> PlanPreview:
        """The plan ``change`` would store for a new deadline or audience, storing nothing; with
        a new audience, the units it would take out of the period and what they have in it
        (their reports stay stored, hidden while the unit is outside the audience)."""
        now = self.clock.now()
        async with self.uow() as uow:
            p = await uow.reports.period(period_id)
            if p is None:
                raise PeriodError(f"Không có kỳ báo cáo số {period_id}.")
            if due_at is not None:
                if due_at <= now:
                    raise PeriodError("Hạn nộp phải ở tương lai.")
                check_cutoff(p.cutoff, due_at)
            units = await resolve_units(uow, Audience.of(audience if audience is not None else p.audience))
            leaving: list[LeavingUnit] = []
            if audience is not None:
                kept = {u.id for u in units}
                gone = [u for u in await resolve_units(uow, Audience.of(p.audience)) if u.id not in kept]
                work = await uow.reports.work_of_units(p.id, (u.id for u in gone))
                leaving = [LeavingUnit(u.code, u.name, work.get(u.id)) for u in sorted(gone, key=lambda u: u.code)]
            draft = ReportPeriod(due_at=due_at or p.due_at, remind_offsets=list(p.remind_offsets), status="open")
        return PlanPreview(len(units), self.reminders.preview(draft), leaving,
                           due_on_rest_day=self._rest_day(draft.due_at))

    async def open(
        self, *, form_id: str, label: str, due_at: datetime, cutoff: date | None, audience: AudienceLike,
        remind_offsets: list[str], created_by: int | None = None, actor: str = "cli", announce: bool = True,
    ) -> PeriodView:
        """Open a reporting period, announce it to its audience through the outbox and plan its
        reminders — one transaction."""
        try:
            return await self._open(form_id=form_id, label=label, due_at=due_at, cutoff=cutoff, audience=audience,
                                    remind_offsets=remind_offsets, created_by=created_by, actor=actor,
                                    announce=announce)
        except Conflict:
            # Another open of the same form and label committed between our check and our
            # write (``uq_periods_open_label``): the same refusal as when it came first.
            async with self.uow() as uow:
                await check_not_open_already(uow, form_id, label)
            raise

    async def _open(
        self, *, form_id: str, label: str, due_at: datetime, cutoff: date | None, audience: AudienceLike,
        remind_offsets: list[str], created_by: int | None, actor: str, announce: bool,
    ) -> PeriodView:
        now = self.clock.now()
        async with self.uow() as uow:
            p = await stage_open(uow, now, self.form_versions, form_id=form_id, label=label, due_at=due_at,
                                 cutoff=cutoff, audience=audience, remind_offsets=remind_offsets,
                                 created_by=created_by, actor=actor)
            queued = False
            if announce:
                spec = self.forms[form_id]
                body = render("period_announcement", p=period_view(p), title=spec.title, office=self.office_name)
                a = await stage_announcement(
                    uow, now, doc_type="Thông báo", summary=f"V/v {spec.title[0].lower()}{spec.title[1:]} {period_view(p).year}",
                    body=body, audience=p.audience, issuer=self.office_name, created_by=created_by, actor=actor,
                    issued_on=now.date())
                await stage_deliveries(uow, a, now)
                p.announcement_id = a.id
                queued = True
            await self.reminders.stage_plan(uow, p)
            await uow.commit()
            view = period_view(p)
        if queued:
            self.on_queued()
        return view

    async def change(self, period_id: int, *, due_at: datetime | None = None, audience: AudienceLike | None = None,
                     status: str | None = None, announce: bool = False, actor: str = "cli") -> PeriodView:
        """Extend, retarget or close a period; its reminders still due are planned again, and
        with ``announce`` a new deadline is announced — one transaction."""
        now = self.clock.now()
        async with self.uow() as uow:
            p = await stage_change(uow, now, period_id, due_at=due_at, audience=audience, status=status, actor=actor)
            await self.reminders.stage_plan(uow, p)
            view = period_view(p)
            queued = False
            if announce and due_at is not None and view.is_open:
                body = render("period_extended", p=view, office=self.office_name)
                a = await stage_announcement(
                    uow, now, doc_type="Thông báo", summary=f"V/v gia hạn {view.label}", body=body,
                    audience=view.audience, issuer=self.office_name, actor=actor, issued_on=now.date())
                await stage_deliveries(uow, a, now)
                queued = True
            await uow.commit()
        if queued:
            self.on_queued()
        return view

    def _rest_day(self, due_at: datetime) -> bool:
        calendar = self.reminders.calendar
        return calendar.is_rest_day(calendar.local_date(due_at))

    async def close(self, period_id: int, *, actor: str = "cli") -> PeriodView:
        """Close a period: nobody can start on it any more, its reminders not sent are dropped."""
        return await self.change(period_id, status="closed", actor=actor)
