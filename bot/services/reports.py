"""Report collection: periods, drafts that survive, submissions with revisions, progress.

The form engine (pure) decides what to ask and whether answers are valid; this service
only stores: every answer the moment it is given, every submitted revision forever.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from bot.core import Clock
from bot.core.durations import normalise_duration, parse_duration
from bot.forms.spec import FormSpec
from bot.rendering.templates import STATE_LABELS as TEMPLATE_STATE_LABELS
from bot.services._convert import unit_view
from bot.services.audience import Audience, check_names, describe, resolve_units
from bot.services.views import UnitView
from storage.errors import Conflict
from storage.models import FormSession, ReportPeriod, Submission, SubmissionRevision, Unit
from storage.records import PeriodRecord, group_tuple
from storage.uow import UnitOfWork, UnitOfWorkFactory

if TYPE_CHECKING:
    from bot.services.submissions import SubmissionService


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


STATE_LABELS = {s: TEMPLATE_STATE_LABELS[s.value] for s in UnitState}
"""Each state's words, from the one table the templates use too."""
MIN_RETURN_REASON = 5
"""A reason the unit can act on is at least this long (the chat and the dashboard both ask it)."""
MAX_RETURN_REASON = 2000
"""And at most this long: the unit reads it in one chat message. The dashboard refuses a longer
one (rather than cutting it, which would send the unit half a sentence)."""
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
    registration: dict[str, Any] | None = None
    """The unit's registration for the report's year, when the form reads one (FormContext)."""
    in_group: bool | None = None
    """Whether the unit belongs to a cụm/khối, when the form asks by it (None: not looked up)."""


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


MISSING_STATES = frozenset({UnitState.NOT_STARTED, UnitState.DRAFTING, UnitState.RETURNED})
"""The states /tiendo lists as still owing a report (and "Nhắc ngay" reminds)."""


@dataclass
class Progress:
    period: PeriodView
    counts: dict[UnitState, int] = field(default_factory=dict)
    missing: list[tuple[UnitView, UnitState]] = field(default_factory=list)
    states: dict[int, UnitState] = field(default_factory=dict)
    total: int = 0
    units: dict[int, UnitView] = field(default_factory=dict)
    """Every audience unit by id (with its groups), in code order: read in the same query as
    the states, so a table of the period needs no second list of units."""

    @property
    def done(self) -> int:
        """Units that no longer owe a report."""
        return self.total - len(self.missing)


@dataclass(frozen=True)
class GroupFigures:
    """One cụm/khối's units by state (``name`` None: the units in none)."""

    name: str | None
    counts: dict[UnitState, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return self.total - sum(self.counts.get(s, 0) for s in MISSING_STATES)


@dataclass(frozen=True)
class ProgressFigures:
    """A period's counts without a row per unit (the overview, the live figures): read as a
    handful of tallies, so it costs the same for 50 units as for 5000."""

    period: PeriodView
    counts: dict[UnitState, int]
    total: int
    done: int
    groups: list[GroupFigures]
    """Per cụm/khối (a unit in two counts in both), by name, the units in none first."""


def period_view(p: ReportPeriod | PeriodRecord) -> PeriodView:
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


class UnitStatusRow(NamedTuple):
    """One unit of a period as its table shows it: the unit, its state (decided by
    ``unit_state`` as everywhere), its report if any (without answers), its latest reminder and
    the chats that reach it. A tuple: a 5000-unit table builds 5000 of them per page, and the
    dashboard keys its rendered rows by them."""

    id: int
    code: str
    name: str
    kind: str
    groups: tuple[str, ...]
    state: UnitState
    submission_id: int | None
    revision: int | None
    submitted_at: datetime | None
    last_reminder: datetime | None
    chats: tuple[tuple[str, int], ...]
    """(channel, active chats) by channel name; empty: no chat reaches the unit."""

    @property
    def missing(self) -> bool:
        return self.state in MISSING_STATES


@dataclass(frozen=True)
class PeriodTable:
    """A period with every audience unit's row, and the counts the same rows make."""

    period: PeriodView
    rows: list[UnitStatusRow]
    counts: dict[UnitState, int]

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def done(self) -> int:
        """Units that no longer owe a report."""
        return self.total - sum(self.counts[s] for s in MISSING_STATES)


@lru_cache(maxsize=4096)
def _chats(joined: str | None) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(Counter(joined.split(",")).items())) if joined else ()


class _DashboardReads:
    """Reads added for the web dashboard (bot/web), kept apart from the chat's use cases."""

    uow: UnitOfWorkFactory

    async def period_table(self, period_id: int) -> PeriodTable | None:
        """Every audience unit of the period with what its table shows, in one query (the
        dashboard's period page: 5000 rows must stay well under 200 ms). The group and chat
        lists repeat across units, so each distinct one is split once (``_groups``,
        ``_chats``: a province has a few dozen combinations)."""
        async with self.uow() as uow:
            p = await uow.reports.period(period_id)
            if p is None:
                return None
            audience = Audience.of(p.audience)
            await check_names(uow, audience)
            found = await uow.dashboard.period_table(period_id, audience)
        counts = {s: 0 for s in UnitState}
        rows = []
        for r in found:
            state = unit_state(r.submission_status, bool(r.late), r.drafting)
            counts[state] += 1
            rows.append(UnitStatusRow(r.id, r.code, r.name, r.kind, group_tuple(r.groups), state, r.submission_id,
                                      r.revision, r.submitted_at, r.last_reminder, _chats(r.channels)))
        return PeriodTable(period_view(p), rows, counts)

    async def figures(self, period_id: int) -> ProgressFigures | None:
        """The counts ``progress`` gives, and per cụm/khối, from tallies (no row per unit); the
        state of each tally is decided by ``unit_state`` like every unit's in ``progress``."""
        async with self.uow() as uow:
            p = await uow.reports.period(period_id)
            return await _figures(uow, p) if p is not None else None

    async def open_figures(self) -> list[ProgressFigures]:
        """``figures`` of every open period (the overview), newest first, in one transaction."""
        async with self.uow() as uow:
            return [await _figures(uow, p) for p in await uow.reports.periods("open")]


async def _figures(uow: UnitOfWork, p: ReportPeriod) -> ProgressFigures:
    audience = Audience.of(p.audience)
    await check_names(uow, audience)
    counts = {s: 0 for s in UnitState}
    groups: dict[str | None, dict[UnitState, int]] = {}
    for t in await uow.reports.state_tallies(p.id, audience):
        state = unit_state(t.submission_status, t.late, t.drafting)
        counts[state] += t.units
        for g in group_tuple(t.groups) or (None,):
            per = groups.setdefault(g, {s: 0 for s in UnitState})
            per[state] += t.units
    total = sum(counts.values())
    done = total - sum(counts[s] for s in MISSING_STATES)
    order = sorted(groups, key=lambda g: (g is not None, g or ""))
    return ProgressFigures(period_view(p), counts, total, done, [GroupFigures(g, groups[g]) for g in order])


class ReportService(_DashboardReads):
    """Drafts, progress and reading periods and submissions; submitting, returning and accepting
    are ``SubmissionService``'s (reached here by their old names too)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, form_versions: dict[str, int],
                 submissions: SubmissionService, *, forms: Mapping[str, FormSpec] | None = None) -> None:
        self.uow = uow
        self.clock = clock
        self.form_versions = form_versions
        self.submissions = submissions
        self.forms = dict(forms or {})
        """What a draft's form reads besides its answers (its registration, the unit's groups)."""

    # ---- periods (opening and changing one: bot.services.periods) ----------------------------
    async def periods(self, status: str | None = None) -> list[PeriodView]:
        async with self.uow() as uow:
            return [period_view(p) for p in await uow.reports.periods(status)]

    async def period(self, period_id: int) -> PeriodView | None:
        async with self.uow() as uow:
            p = await uow.reports.period(period_id)
            return period_view(p) if p else None

    async def open_periods_for(self, unit_id: int) -> list[PeriodView]:
        async with self.uow() as uow:
            return [period_view(p) for p, _ in await uow.audiences.open_periods_including(unit_id)]

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
                periods = await uow.audiences.open_periods_including(unit_id)
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
                unit = await uow.audiences.unit_in(unit_id, Audience.of(p.audience))
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
                except Conflict:  # another officer of the unit started this very moment
                    return StartResult(StartOutcome.BUSY)
                outcome = StartOutcome.NEW
            return StartResult(outcome, draft=await self._draft_view(uow, draft, p, unit, groups=()))

    async def _draft_view(self, uow: UnitOfWork, d: Any, p: Any, unit: Any,
                          groups: tuple[str, ...] | None = None) -> DraftView:
        period = period_view(p)
        return DraftView(session_id=d.id, period=period, unit=unit_view(unit, groups=groups),
                         member_id=d.member_id,
                         answers=dict(d.answers), history=list(d.history), position=d.position,
                         return_to_summary=d.return_to_summary, updated_at=d.updated_at,
                         last_inbound=d.last_inbound, version=d.version,
                         registration=await self.registration(uow, unit.id, period),
                         in_group=await self.in_group(uow, unit.id, period))

    async def in_group(self, uow: UnitOfWork, unit_id: int, period: PeriodView) -> bool | None:
        """Whether the unit belongs to a cụm/khối, looked up only for a form that asks by it."""
        spec = self.forms.get(period.form_id)
        if spec is None or not spec.asks_by_group:
            return None
        return await uow.reports.in_a_group(unit_id)

    async def registration(self, uow: UnitOfWork, unit_id: int, period: PeriodView) -> dict[str, Any] | None:
        """The answers of the unit's registration for the period's year, when its form reads
        one: what the report's checks compare the results with and its staff count starts
        from. The year is the one registered for (``nam``), else the registration period's;
        the newest report of that year counts (returned or not: what the unit registered)."""
        spec = self.forms.get(period.form_id)
        form_id = spec.registration if spec is not None else None
        if form_id is None:
            return None
        for answers, cutoff, due_at in await uow.reports.submissions_of_form(unit_id, form_id):
            year = answers.get("nam")
            if not isinstance(year, int):
                year = cutoff.year if cutoff else due_at.year
            if year == period.year:
                return answers
        return None

    async def draft(self, session_id: int) -> DraftView | None:
        """The draft with its period and unit, in one query (read on every answer), and what
        its form reads besides (the unit's registration, whether it is in a cụm/khối): a small
        query each, only for a form that reads it."""
        async with self.uow() as uow:
            row = await uow.reports.draft_row(session_id)
            if row is None:
                return None
            return await self._draft_view(uow, row.draft, row.period, row.unit, groups=())

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
            return await self._draft_view(uow, d, p, unit)

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
                await uow.reports.delete(d)
                await uow.commit()

    # ---- submitting (the use cases: bot.services.submissions) ----------------------------------
    async def submit(self, session_id: int, member_id: int, clean_answers: dict[str, Any],
                     expected_version: int | None = None) -> SubmitResult | None:
        """See ``SubmissionService.submit`` (kept here: the report flow calls it by this name)."""
        return await self.submissions.submit(session_id, member_id, clean_answers, expected_version)

    async def return_submission(self, submission_id: int, reason: str, admin_id: int | None) -> SubmissionView | None:
        return await self.submissions.return_submission(submission_id, reason, admin_id)

    async def accept(self, submission_id: int, admin_id: int | None) -> SubmissionView | None:
        return await self.submissions.accept(submission_id, admin_id)

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
            return submission_view(s, unit_view(unit))  # type: ignore[arg-type]  # a submission's unit exists (foreign key)

    async def revisions(self, submission_id: int) -> list[SubmissionRevision]:
        async with self.uow() as uow:
            return await uow.reports.revisions(submission_id)

    # ---- progress ---------------------------------------------------------------------------
    async def progress(self, period_id: int) -> Progress | None:
        """Each audience unit's state (/tiendo, the dashboard): plain rows of the three facts a
        state is made of — never the submissions' answers, never unit entities."""
        async with self.uow() as uow:
            p = await uow.reports.period(period_id)
            if p is None:
                return None
            audience = Audience.of(p.audience)
            await check_names(uow, audience)
            rows = await uow.reports.progress_rows(period_id, audience)
        prog = Progress(period=period_view(p), total=len(rows), counts={s: 0 for s in UnitState})
        for r in rows:
            state = unit_state(r.submission_status, r.late, r.drafting)
            unit = UnitView(id=r.id, code=r.code, name=r.name, kind=r.kind, groups=r.groups,
                            closed=r.closed_on is not None)
            prog.counts[state] += 1
            prog.states[r.id] = state
            prog.units[r.id] = unit
            if state in MISSING_STATES:
                prog.missing.append((unit, state))
        return prog

    async def submissions_since(self, period_id: int, since: datetime) -> list[SubmissionView]:
        """The period's reports submitted since ``since`` (the digest's "new"), in one query."""
        async with self.uow() as uow:
            return [submission_view(s, unit_view(u)) for s, u in await uow.reports.submissions_since(period_id, since)]

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


def unit_state(submission_status: str | None, late: bool, drafting: bool) -> UnitState:
    """What /tiendo calls a unit, from its submission's status (None: none yet) and late flag
    and whether one of its officers has a draft."""
    if submission_status is None:
        return UnitState.DRAFTING if drafting else UnitState.NOT_STARTED
    if submission_status == SubmissionStatus.RETURNED:
        return UnitState.RETURNED
    if submission_status == SubmissionStatus.ACCEPTED:
        return UnitState.ACCEPTED
    return UnitState.LATE if late else UnitState.SUBMITTED


MAX_OFFSET = timedelta(days=366)
"""A reminder earlier than a year before the deadline is a typo. Unbounded, "99999999999d"
was accepted here and overflowed ``timedelta`` when the period's reminders were planned."""


def parse_offsets(text: str) -> list[str]:
    """``7d,3d,1d,2h`` → the same, validated (reminder offsets before the deadline): ASCII
    digits ("²d" passed ``isdigit`` and then failed ``int``), at most a year."""
    out = []
    for part in [p.strip().lower() for p in text.split(",") if p.strip()]:
        norm = normalise_duration(part)
        if norm is None or len(norm) > 7:
            raise PeriodError(f"Mốc nhắc không hợp lệ: “{part[:20]}” (ví dụ: 7d,3d,1d,2h)")
        if offset_delta(norm) > MAX_OFFSET:
            raise PeriodError(f"Mốc nhắc “{norm}” quá xa: nhắc sớm nhất 366 ngày trước hạn nộp (ví dụ: 7d,3d,1d,2h)")
        out.append(norm)
    return out


def offset_delta(offset: str) -> timedelta:
    return parse_duration(offset)


async def answers_in_progress(uow: UnitOfWork, period_ids: Iterable[int],
                              unit_ids: Iterable[int] | None = None) -> dict[tuple[int, int], dict[str, Any]]:
    """(period id, unit id) → the answers given so far: the unit's draft, else its report that
    was returned for revision. Two queries for any number of units (reminders word progress)."""
    return await uow.reports.answers_in_progress(period_ids, unit_ids, SubmissionStatus.RETURNED)
