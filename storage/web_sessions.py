"""Queries of the web dashboard's sign-in: links, sessions, failed attempts.

Kept apart from ``storage/repositories.py``: the dashboard is an adapter of its own, and its
tables change with it. Like every repository, it never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member, WebLink, WebSession, WebSignInFailure


class WebSessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, obj: WebLink | WebSession | WebSignInFailure) -> None:
        self.session.add(obj)

    async def link(self, token_hash: str) -> WebLink | None:
        """The link row, locked on PostgreSQL: two tabs opening one link cannot both win."""
        return await self.session.scalar(
            select(WebLink).where(WebLink.token_hash == token_hash).with_for_update())

    async def session_by_token(self, token_hash: str) -> WebSession | None:
        return await self.session.scalar(select(WebSession).where(WebSession.token_hash == token_hash))

    async def touch(self, session_id: int, at: datetime) -> None:
        await self.session.execute(update(WebSession).where(WebSession.id == session_id).values(last_seen_at=at))

    async def revoke(self, session_id: int, at: datetime) -> None:
        await self.session.execute(update(WebSession).where(WebSession.id == session_id, WebSession.revoked_at.is_(None))
                                   .values(revoked_at=at))

    async def revoke_member(self, member_id: int, at: datetime) -> int:
        result = await self.session.execute(
            update(WebSession).where(WebSession.member_id == member_id, WebSession.revoked_at.is_(None))
            .values(revoked_at=at))
        return result.rowcount or 0  # type: ignore[attr-defined]

    async def failures_since(self, address: str, since: datetime) -> int:
        return await self.session.scalar(
            select(func.count()).select_from(WebSignInFailure)
            .where(WebSignInFailure.address == address, WebSignInFailure.at >= since)) or 0

    async def forget_failures(self, address: str) -> None:
        await self.session.execute(delete(WebSignInFailure).where(WebSignInFailure.address == address))

    # ---- whom a link may be made for (the CLI's bootstrap) --------------------------------
    async def members_with_role(self, role: str) -> list[Member]:
        rows = await self.session.scalars(select(Member).where(Member.role == role).order_by(Member.id))
        return list(rows)

    async def unit_officer(self, unit_id: int) -> Member | None:
        """The unit's first officer (the one a ``--unit`` link signs in as)."""
        return await self.session.scalar(
            select(Member).where(Member.unit_id == unit_id, Member.role == "officer").order_by(Member.id).limit(1))
