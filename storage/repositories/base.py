"""What every repository shares: the session of its unit of work."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Executable, Result
from sqlalchemy.ext.asyncio import AsyncSession


def rows_matched(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched (0 when the driver cannot tell).

    Executing one gives a CursorResult, which has the count, but ``Session.execute`` is typed
    as returning the general Result; the cast says what SQLAlchemy's types cannot."""
    return int(cast("CursorResult[Any]", result).rowcount or 0)


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
