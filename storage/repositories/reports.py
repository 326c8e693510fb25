"""Periods, drafts and submissions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, select

from storage.audience import Audience
from storage.models import (
    FormSession,
    ReportPeriod,
    Submission,
    SubmissionRevision,
    Unit,
    UnitGroup,
)
from storage.records import (
    DraftRecord,
    DraftWithContext,
    PeriodRecord,
    StateTally,
    UnitProgressRow,
    UnitRecord,
    group_tuple,
    pick,
)
from storage.repositories.audience import audience_filter, with_group_names
from storage.repositories.base import _Repo, plain_rows, rows_matched
from storage.repositories.statements import DRAFT, SAVE_DRAFT


class ReportRepository(_Repo):
    """Periods, drafts and submissions."""

    async def period(self, period_id: int) -> ReportPeriod | None:
        return await self.session.get(ReportPeriod, period_id)

    async def periods(self, status: str | None = None) -> list[ReportPeriod]:
        stmt = select(ReportPeriod).order_by(ReportPeriod.id.desc())
        if status:
            stmt = stmt.where(ReportPeriod.status == status)
        return list(await self.session.scalars(stmt))

    async def open_period_named(self, form_id: str, label: str) -> ReportPeriod | None:
        """The open period of this form with this label, if any (``uq_periods_open_label``
        allows one)."""
        return await self.session.scalar(
            select(ReportPeriod).where(ReportPeriod.form_id == form_id, ReportPeriod.label == label,
                                       ReportPeriod.status == "open").order_by(ReportPeriod.id).limit(1))

    async def work_of_units(self, period_id: int, unit_ids: Iterable[int]) -> dict[int, str]:
        """Which of these units have something in the period: ``"submission"`` (a report sent,
        whatever its status) or ``"draft"`` (one being written); units with neither are left out."""
        ids = list(unit_ids)
        if not ids:
            return {}
        found: dict[int, str] = {}
        for (unit_id,) in await self.session.execute(
                select(FormSession.unit_id).where(FormSession.period_id == period_id, FormSession.unit_id.in_(ids))):
            found[unit_id] = "draft"
        for (unit_id,) in await self.session.execute(
                select(Submission.unit_id).where(Submission.period_id == period_id, Submission.unit_id.in_(ids))):
            found[unit_id] = "submission"
        return found

    async def session_for(self, unit_id: int, period_id: int, *, for_update: bool = False) -> FormSession | None:
        stmt = select(FormSession).where(FormSession.unit_id == unit_id, FormSession.period_id == period_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def form_session(self, session_id: int, *, for_update: bool = False) -> FormSession | None:
        stmt = select(FormSession).where(FormSession.id == session_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def draft_row(self, session_id: int) -> DraftWithContext | None:
        """The draft with its period and unit (see ``DRAFT``), read on every answer."""
        row = (await self.session.execute(DRAFT, {"session_id": session_id})).first()
        if row is None:
            return None
        return DraftWithContext(pick(DraftRecord, row, "d_"), pick(PeriodRecord, row, "p_"),
                                pick(UnitRecord, row, "u_"))

    async def answers_in_progress(self, period_ids: Iterable[int], unit_ids: Iterable[int] | None,
                                  returned_status: str) -> dict[tuple[int, int], dict[str, Any]]:
        """(period id, unit id) → the answers given so far: the unit's draft, else its report that
        was returned for revision. Two queries for any number of units (reminders word progress)."""
        periods = list(period_ids)
        draft_q = select(FormSession.period_id, FormSession.unit_id, FormSession.answers).where(
            FormSession.period_id.in_(periods))
        returned_q = select(Submission.period_id, Submission.unit_id, Submission.answers).where(
            Submission.period_id.in_(periods), Submission.status == returned_status)
        if unit_ids is not None:
            units = list(unit_ids)
            draft_q = draft_q.where(FormSession.unit_id.in_(units))
            returned_q = returned_q.where(Submission.unit_id.in_(units))
        found = {(r.period_id, r.unit_id): dict(r.answers) for r in (await self.session.execute(returned_q)).all()}
        found.update({(r.period_id, r.unit_id): dict(r.answers) for r in (await self.session.execute(draft_q)).all()})
        return found

    async def progress_rows(self, period_id: int, audience: Audience) -> list[UnitProgressRow]:
        """Every unit of the period's audience (by code) with its submission's status and late
        flag and whether a draft exists, and its groups: one column query (both outer joins are
        unique per unit and period), however many units there are."""
        base, groups = with_group_names(
            select(Unit)
            .outerjoin(Submission, and_(Submission.unit_id == Unit.id, Submission.period_id == period_id))
            .outerjoin(FormSession, and_(FormSession.unit_id == Unit.id, FormSession.period_id == period_id)),
            self.session)
        stmt = (base.with_only_columns(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.closed_on, groups,
                                       Submission.status, Submission.late, FormSession.id.is_not(None),
                                       maintain_column_froms=False)
                .where(audience_filter(audience)).order_by(Unit.code))
        return [UnitProgressRow(id_, code, name, kind, closed_on, group_tuple(names), status, bool(late),
                                bool(drafting))
                for id_, code, name, kind, closed_on, names, status, late, drafting
                in await plain_rows(self.session, stmt)]

    async def state_tallies(self, period_id: int, audience: Audience) -> list[StateTally]:
        """Units of the audience counted per (set of cụm/khối, submission status, late,
        drafting): a few dozen rows whatever the number of units, from which the counts over
        all units and per cụm/khối both follow exactly (a unit in two groups is one unit
        overall and one in each) — one query where there were two."""
        drafting = FormSession.id.is_not(None)
        base, groups = with_group_names(
            select(Unit)
            .outerjoin(Submission, and_(Submission.unit_id == Unit.id, Submission.period_id == period_id))
            .outerjoin(FormSession, and_(FormSession.unit_id == Unit.id, FormSession.period_id == period_id)),
            self.session)
        keys = [groups, Submission.status, Submission.late, drafting]
        stmt = (base.with_only_columns(*keys, func.count(Unit.id), maintain_column_froms=False)
                .where(audience_filter(audience)).group_by(*keys))
        return [StateTally(g, status, bool(late), bool(d), n) for g, status, late, d, n in await plain_rows(self.session, stmt)]

    async def submissions_since(self, period_id: int, since: datetime) -> list[tuple[Submission, Unit]]:
        """The period's submissions made since ``since``, each with its unit: one query."""
        rows = await self.session.execute(
            select(Submission, Unit).join(Unit, Unit.id == Submission.unit_id)
            .where(Submission.period_id == period_id, Submission.submitted_at >= since).order_by(Submission.id))
        return [(s, u) for s, u in rows.all()]

    async def save_draft(self, session_id: int, expected_version: int, **values: Any) -> bool:
        """Write the draft if it is still at ``expected_version`` (the version moves on by one);
        False when another writer got there first and nothing was written."""
        result = await self.session.execute(
            SAVE_DRAFT, {"session_id": session_id, "expected_version": expected_version, **values})
        return bool(rows_matched(result))

    async def sessions_of_period(self, period_id: int) -> list[FormSession]:
        return list(await self.session.scalars(select(FormSession).where(FormSession.period_id == period_id)))

    async def submission(self, submission_id: int) -> Submission | None:
        return await self.session.get(Submission, submission_id)

    async def submission_for(self, unit_id: int, period_id: int, *, for_update: bool = False) -> Submission | None:
        stmt = select(Submission).where(Submission.unit_id == unit_id, Submission.period_id == period_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def submissions_of_form(self, unit_id: int, form_id: str) -> list[tuple[dict[str, Any], date | None, datetime]]:
        """The unit's reports of one form (its registrations), newest first: the answers and
        their period's cut-off and deadline, which tell the year (a handful per unit)."""
        rows = await self.session.execute(
            select(Submission.answers, ReportPeriod.cutoff, ReportPeriod.due_at)
            .join(ReportPeriod, ReportPeriod.id == Submission.period_id)
            .where(Submission.unit_id == unit_id, ReportPeriod.form_id == form_id)
            .order_by(Submission.id.desc()))
        return [(dict(answers), cutoff, due_at) for answers, cutoff, due_at in rows]

    async def in_a_group(self, unit_id: int) -> bool:
        """Whether the unit belongs to some cụm/khối thi đua."""
        found = await self.session.scalar(select(UnitGroup.unit_id).where(UnitGroup.unit_id == unit_id).limit(1))
        return found is not None

    async def submissions_of_period(self, period_id: int) -> list[Submission]:
        return list(await self.session.scalars(
            select(Submission).where(Submission.period_id == period_id).order_by(Submission.id)))

    async def revision_from_draft(self, session_id: int, member_id: int) -> SubmissionRevision | None:
        """The newest revision this member made from draft ``session_id`` (SQLite may give a
        later draft the same id: the newest one is the one that draft became)."""
        return await self.session.scalar(
            select(SubmissionRevision).where(SubmissionRevision.session_id == session_id,
                                             SubmissionRevision.submitted_by == member_id)
            .order_by(SubmissionRevision.id.desc()).limit(1))

    async def revisions(self, submission_id: int) -> list[SubmissionRevision]:
        return list(await self.session.scalars(
            select(SubmissionRevision).where(SubmissionRevision.submission_id == submission_id)
            .order_by(SubmissionRevision.revision)))
