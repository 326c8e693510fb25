"""Units, members, chat bindings and invites."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, func, select
from sqlalchemy.orm import aliased, lazyload, selectinload

from storage.models import (
    BindingStatus,
    ChatBinding,
    Invite,
    InviteFailure,
    Member,
    Role,
    Unit,
    UnitGroup,
)
from storage.records import UnitListingRow, group_tuple
from storage.repositories.audience import with_group_names
from storage.repositories.base import _Repo, plain_rows, rows_matched
from storage.repositories.statements import SPEAKER, SPEAKER_BY_PERSON


class UnitRepository(_Repo):
    async def by_code(self, code: str) -> Unit | None:
        return await self.session.scalar(select(Unit).where(Unit.code == code))

    async def by_codes(self, codes: Sequence[str]) -> dict[str, Unit]:
        if not codes:
            return {}
        rows = await self.session.scalars(select(Unit).where(Unit.code.in_(list(codes))))
        return {u.code: u for u in rows}

    async def get(self, unit_id: int) -> Unit | None:
        return await self.session.get(Unit, unit_id)

    async def all(self, *, include_closed: bool = False) -> list[Unit]:
        stmt = select(Unit).order_by(Unit.code)
        if not include_closed:
            stmt = stmt.where(Unit.closed_on.is_(None))
        return list(await self.session.scalars(stmt))

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count(Unit.id))) or 0)

    async def listing(self, *, unreached_only: bool = False) -> list[UnitListingRow]:
        """Every open unit by code with its parent's code, groups and active chats, as plain
        rows: two column queries, no entities (the dashboard lists 5000 of them per page).
        ``unreached_only``: just the units no active chat reaches (the overview's list)."""
        parent = aliased(Unit)
        where: ColumnElement[bool] = Unit.closed_on.is_(None)
        if unreached_only:
            # NOT EXISTS, not NOT IN: PostgreSQL plans it as an anti-join (NOT IN must allow
            # for NULLs and cannot be), a third of the time with 5000 units.
            reached = (select(Member.id).join(ChatBinding, ChatBinding.member_id == Member.id)
                       .where(Member.unit_id == Unit.id, ChatBinding.status == BindingStatus.ACTIVE))
            where = where & ~reached.exists()
        base, groups = with_group_names(select(Unit).outerjoin(parent, parent.id == Unit.parent_id), self.session)
        stmt = (base.with_only_columns(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.closed_on,
                                       parent.code.label("parent_code"), groups, maintain_column_froms=False)
                .where(where).order_by(Unit.code))
        rows = await plain_rows(self.session, stmt)
        chats = {} if unreached_only else await self.bound_chat_counts()
        return [UnitListingRow(id_, code, name, kind, closed_on, parent_code, group_tuple(names), chats.get(id_, 0))
                for id_, code, name, kind, closed_on, parent_code, names in rows]

    async def group_names(self) -> list[str]:
        rows = await self.session.scalars(select(UnitGroup.name).distinct().order_by(UnitGroup.name))
        return list(rows)

    async def bound_chat_counts(self) -> dict[int, int]:
        """Active chats per unit (officers' bindings), for ``/donvi``."""
        return {uid: sum(per.values()) for uid, per in (await self.bound_chats_by_channel()).items()}

    async def bound_chats_by_channel(self) -> dict[int, dict[str, int]]:
        """Unit id → {channel: active chats} (units with none are left out): which platforms
        reach each unit, for the dashboard's tables."""
        stmt = (
            select(Member.unit_id, ChatBinding.channel, func.count(ChatBinding.id))
            .join(ChatBinding, ChatBinding.member_id == Member.id)
            .where(ChatBinding.status == BindingStatus.ACTIVE, Member.unit_id.is_not(None))
            .group_by(Member.unit_id, ChatBinding.channel)
        )
        out: dict[int, dict[str, int]] = {}
        for uid, channel, n in await plain_rows(self.session, stmt):
            out.setdefault(uid, {})[channel] = n
        return out


class MemberRepository(_Repo):
    async def get(self, member_id: int) -> Member | None:
        return await self.session.get(Member, member_id)

    async def admins(self) -> list[Member]:
        rows = await self.session.scalars(
            select(Member).where(Member.role == Role.ADMIN).order_by(Member.id).options(selectinload(Member.bindings)))
        return list(rows)

    async def of_unit(self, unit_id: int) -> list[Member]:
        rows = await self.session.scalars(select(Member).where(Member.unit_id == unit_id).order_by(Member.id))
        return list(rows)


class BindingRepository(_Repo):
    async def at(self, channel: str, chat_id: str) -> ChatBinding | None:
        return await self.session.scalar(
            select(ChatBinding).where(ChatBinding.channel == channel, ChatBinding.chat_id == chat_id)
        )

    async def speaker(self, channel: str, chat_id: str) -> Row[*tuple[Any, ...]]:
        """Member, unit and flow state behind a chat, in one query (read on every message).

        Always one row (see ``SPEAKER``); its member and flow columns are NULL where the chat
        has no active binding or no flow.
        """
        return (await self.session.execute(SPEAKER, {"channel": channel, "chat_id": chat_id})).one()

    async def speaker_in_group(self, channel: str, chat_id: str, person_id: str, state_key: str) -> Row[*tuple[Any, ...]]:
        """Like ``speaker``, for one person in a group chat (see ``SPEAKER_BY_PERSON``)."""
        params = {"channel": channel, "chat_id": chat_id, "person_id": person_id, "state_key": state_key}
        return (await self.session.execute(SPEAKER_BY_PERSON, params)).one()

    async def of_member(self, member_id: int) -> list[ChatBinding]:
        rows = await self.session.scalars(
            select(ChatBinding).where(ChatBinding.member_id == member_id).order_by(ChatBinding.id)
            .options(lazyload(ChatBinding.member))
        )
        return list(rows)


class InviteRepository(_Repo):
    async def by_code(self, code: str, *, for_update: bool = False) -> Invite | None:
        stmt = select(Invite).where(Invite.code == code)
        if for_update:
            stmt = stmt.with_for_update(of=Invite)
        return await self.session.scalar(stmt)

    async def exists(self, code: str) -> bool:
        return (await self.session.scalar(select(func.count(Invite.id)).where(Invite.code == code)) or 0) > 0


class InviteFailureRepository(_Repo):
    # a log of attempts, not an entity store: add takes the fields, not a row
    def add(self, at: datetime, channel: str, chat_id: str, sender_id: str | None) -> None:  # type: ignore[override]
        self.session.add(InviteFailure(at=at, channel=channel, chat_id=chat_id, sender_id=sender_id or None))

    async def of_chat(self, channel: str, chat_id: str, since: datetime, limit: int) -> list[datetime]:
        """When this chat's newest ``limit`` failures since ``since`` happened, newest first."""
        rows = await self.session.scalars(
            select(InviteFailure.at).where(InviteFailure.channel == channel, InviteFailure.chat_id == chat_id,
                                           InviteFailure.at > since)
            .order_by(InviteFailure.at.desc()).limit(limit))
        return list(rows)

    async def of_sender(self, channel: str, sender_id: str, since: datetime, limit: int) -> list[datetime]:
        """When this person's newest ``limit`` failures since ``since`` happened (any chat)."""
        rows = await self.session.scalars(
            select(InviteFailure.at).where(InviteFailure.channel == channel, InviteFailure.sender_id == sender_id,
                                           InviteFailure.at > since)
            .order_by(InviteFailure.at.desc()).limit(limit))
        return list(rows)

    async def forget_before(self, cutoff: datetime) -> int:
        result = await self.session.execute(delete(InviteFailure).where(InviteFailure.at < cutoff))
        return rows_matched(result)
