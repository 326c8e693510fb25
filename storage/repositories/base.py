"""What every repository shares: the session of its unit of work."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


class _Repo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, obj: Any) -> None:
        self.session.add(obj)

    async def delete(self, obj: Any) -> None:
        await self.session.delete(obj)
