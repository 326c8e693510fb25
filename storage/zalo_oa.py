"""Rows of the Zalo Official Account channel: its token pair and what it knows of users.

Kept apart from ``storage.repositories`` so the OA channel's storage is one small file.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery, ZaloOaContact, ZaloOaToken


class ZaloOaRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ---- tokens ----------------------------------------------------------------------------
    async def token(self, app_id: str, *, for_update: bool = False) -> ZaloOaToken | None:
        """The token row; ``for_update`` locks it until the transaction ends (PostgreSQL: a
        second process asking waits there, then sees the pair the first one committed)."""
        stmt = select(ZaloOaToken).where(ZaloOaToken.app_id == app_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt.execution_options(populate_existing=True))

    def add_token(self, row: ZaloOaToken) -> None:
        self.session.add(row)

    # ---- contacts --------------------------------------------------------------------------
    async def contact(self, user_id: str) -> ZaloOaContact | None:
        return await self.session.get(ZaloOaContact, user_id)

    async def contacts(self, user_ids: list[str]) -> dict[str, ZaloOaContact]:
        if not user_ids:
            return {}
        rows = await self.session.scalars(select(ZaloOaContact).where(ZaloOaContact.user_id.in_(user_ids)))
        return {c.user_id: c for c in rows}

    async def touch(self, user_id: str, at: datetime, *, following: bool | None = None,
                    phone: str | None = None) -> ZaloOaContact:
        """Record an interaction (or a follow/unfollow, a shared phone) of one user."""
        row = await self.session.get(ZaloOaContact, user_id)
        if row is None:
            row = ZaloOaContact(user_id=user_id, last_interaction_at=None, following=True, updated_at=at)
            self.session.add(row)
        if following is not False and (row.last_interaction_at is None or row.last_interaction_at < at):
            row.last_interaction_at = at
        if following is not None:
            row.following = following
        if phone:
            row.phone = phone
        row.updated_at = at
        return row

    async def mark_received(self, message_ids: list[str], at: datetime, *, delivery_id: int | None = None) -> int:
        """A delivery receipt: the OA deliveries whose platform message id is one of
        ``message_ids`` — or the one ``delivery_id`` names (a ZBS template's ``tracking_id``,
        which can arrive before the send recorded the message id) — reached the phone at
        ``at``. The first receipt wins; unknown ids are ignored. Returns the rows marked."""
        ids = [m for m in message_ids if m]  # "" is every row not sent yet
        named: list[ColumnElement[bool]] = [Delivery.message_id.in_(ids)] if ids else []
        if delivery_id is not None:
            named.append(Delivery.id == delivery_id)
        if not named:
            return 0
        match = or_(*named)
        result = await self.session.execute(
            update(Delivery).where(Delivery.channel == "zalo_oa", match, Delivery.received_at.is_(None))
            .values(received_at=at))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def mark_seen(self, message_ids: list[str], at: datetime) -> int:
        """A seen receipt for the OA deliveries with these platform ids (unknown ids are
        ignored; the first receipt wins). Seen implies received: ``received_at`` is set too
        where no delivery receipt came first. Returns the rows newly seen."""
        ids = [m for m in message_ids if m]  # "" is every row not sent yet
        if not ids:
            return 0
        await self.mark_received(ids, at)
        result = await self.session.execute(
            update(Delivery).where(Delivery.channel == "zalo_oa", Delivery.message_id.in_(ids),
                                   Delivery.seen_at.is_(None)).values(seen_at=at))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
