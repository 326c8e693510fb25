"""What every repository shares: the session of its unit of work."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncSession


class _Repo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, obj: Any) -> None:
        self.session.add(obj)

    async def delete(self, obj: Any) -> None:
        await self.session.delete(obj)


async def plain_rows(session: AsyncSession, stmt: Executable) -> list[Any]:
    """The rows of a column-only query run on the session's connection, past the ORM's result
    machinery (which costs more than the database does for thousands of rows); same transaction."""
    conn = await session.connection()
    return list((await conn.execute(stmt)).all())
