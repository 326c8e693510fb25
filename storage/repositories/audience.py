"""Audiences in SQL: the one mapping from an ``Audience`` to the units it designates, and the
queries built on it (who is in it, which chats reach them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload

from storage.audience import Audience
from storage.models import BindingStatus, ChatBinding, Member, ReportPeriod, Role, Unit, UnitGroup
from storage.records import GROUP_SEP, Recipient
from storage.repositories.base import _Repo, plain_rows

_CHUNK = 5000  # stays under the backends' bind-parameter limits


def audience_filter(audience: Audience) -> ColumnElement[bool]:
    """The WHERE clause on ``Unit`` an audience stands for (open units only; "all" leaves out
    the province itself)."""
    cond = Unit.closed_on.is_(None)
    if audience.kind == "units":
        return cond & Unit.code.in_([c.upper() for c in audience.values])
    if audience.kind == "groups":
        return cond & Unit.id.in_(select(UnitGroup.unit_id).where(UnitGroup.name.in_(list(audience.values))))
    if audience.kind == "kinds":
        return cond & Unit.kind.in_(list(audience.values))
    return cond & Unit.kind.not_in(["tinh"])


def with_group_names(stmt: Select[Any], session: AsyncSession) -> tuple[Select[Any], ColumnElement[str | None]]:
    """``stmt`` (over ``Unit``) able to select each unit's cụm/khối names joined by
    ``GROUP_SEP`` (in no particular order; NULL: in none), and that column.

    Each database gets the form it runs fastest with 5000 units: PostgreSQL aggregates the
    groups once and hash-joins them (a lookup per unit took three times as long); SQLite looks
    each unit's up in the ``unit_groups`` primary key, which holds the names (aggregating
    first and joining took twice as long)."""
    names = func.aggregate_strings(UnitGroup.name, GROUP_SEP)
    if session.get_bind().dialect.name == "sqlite":
        return stmt, select(names).where(UnitGroup.unit_id == Unit.id).scalar_subquery()
    joined = select(UnitGroup.unit_id, names.label("names")).group_by(UnitGroup.unit_id).subquery()
    return stmt.outerjoin(joined, joined.c.unit_id == Unit.id), joined.c.names


class AudienceRepository(_Repo):
    async def unknown_names(self, audience: Audience) -> list[str]:
        """The unit codes (any unit, open or closed) or cụm/khối names of the audience that do
        not exist, in the order given; empty for "all" and kinds (those are checked on parsing)."""
        if audience.kind == "units":
            codes = [c.upper() for c in audience.values]
            known = set(await self.session.scalars(select(Unit.code).where(Unit.code.in_(codes)))) if codes else set()
            return [c for c in codes if c not in known]
        if audience.kind == "groups":
            known = set(await self.session.scalars(select(UnitGroup.name).distinct()))
            return [g for g in audience.values if g not in known]
        return []

    async def units(self, audience: Audience) -> list[Unit]:
        """The open units an audience designates, by code."""
        return list(await self.session.scalars(select(Unit).where(audience_filter(audience)).order_by(Unit.code)))

    async def ids_in(self, audience: Audience, unit_ids: Iterable[int]) -> set[int]:
        """Which of these units the audience designates now (open ones only)."""
        ids = list(unit_ids)
        out: set[int] = set()
        for chunk in range(0, len(ids), _CHUNK):
            stmt = select(Unit.id).where(audience_filter(audience), Unit.id.in_(ids[chunk:chunk + _CHUNK]))
            out |= set(await self.session.scalars(stmt))
        return out

    async def unit_names(self, audience: Audience) -> list[tuple[int, str, str]]:
        """(id, code, name) of the open units an audience designates, by code: what a table of
        the audience shows, without loading 5000 units as entities."""
        stmt = select(Unit.id, Unit.code, Unit.name).where(audience_filter(audience)).order_by(Unit.code)
        return [(i, c, n) for i, c, n in await plain_rows(self.session, stmt)]

    async def unit_in(self, unit_id: int, audience: Audience) -> Unit | None:
        """The unit if the audience includes it: one indexed lookup, for the hot path of a
        conversation (not a list of every unit); its group links are not loaded (and raise if touched)."""
        stmt = select(Unit).where(Unit.id == unit_id, audience_filter(audience)).options(raiseload(Unit.group_links))
        return await self.session.scalar(stmt)

    async def open_periods_including(self, unit_id: int) -> list[tuple[ReportPeriod, Unit]]:
        """The open periods whose audience includes the unit, with the unit, earliest deadline
        first: two queries however many periods are open — the unit is read once, with one
        column per period saying whether that period's audience holds it."""
        periods = list(await self.session.scalars(
            select(ReportPeriod).where(ReportPeriod.status == "open").order_by(ReportPeriod.id.desc())))
        if not periods:
            return []
        tests = [audience_filter(Audience.of(p.audience)).label(f"in_{n}") for n, p in enumerate(periods)]
        row = (await self.session.execute(
            select(Unit, *tests).where(Unit.id == unit_id).options(raiseload(Unit.group_links)))).first()
        if row is None:
            return []
        unit, included = row[0], row[1:]
        return sorted(((p, unit) for p, inside in zip(periods, included, strict=True) if inside),
                      key=lambda pair: pair[0].due_at)

    async def recipients(self, unit_ids: list[int]) -> list[Recipient]:
        """Active officer chats of these units; a member who chose a channel gets only that one."""
        if not unit_ids:
            return []
        stmt = (
            select(ChatBinding.id, ChatBinding.member_id, Member.unit_id, ChatBinding.channel, ChatBinding.chat_id,
                   Member.preferred_channel)
            .join(Member, ChatBinding.member_id == Member.id)
            .where(Member.unit_id.in_(unit_ids), Member.role == Role.OFFICER,
                   ChatBinding.status == BindingStatus.ACTIVE)
            .order_by(ChatBinding.id)
        )
        by_member: dict[int, list[tuple[Recipient, str | None]]] = {}
        for row in (await self.session.execute(stmt)).all():
            rec = Recipient(row.id, row.member_id, row.unit_id, row.channel, row.chat_id)
            by_member.setdefault(row.member_id, []).append((rec, row.preferred_channel))
        chosen: list[Recipient] = []
        for items in by_member.values():
            pref = items[0][1]
            preferred = [r for r, _ in items if r.channel == pref]
            chosen.extend(preferred or [r for r, _ in items])
        return chosen
