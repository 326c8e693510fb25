"""Per-chat state read and written on every update: flow state, menus, message keys, the inbox,
and the shared send budget."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.models import (
    ChatMenu,
    ChatState,
    InboundKey,
    InboxItem,
)
from storage.repositories.base import _Repo, rows_matched
from storage.repositories.statements import BEGIN_KEY, FINISH_KEY, MENU, SHOW_MENU


class ChatStateRepository(_Repo):
    async def get(self, channel: str, chat_id: str) -> ChatState | None:
        return await self.session.get(ChatState, (channel, chat_id))

    async def set(self, channel: str, chat_id: str, flow: str, data: dict[str, Any], now: datetime) -> None:
        """One upsert statement (both dialects speak ``ON CONFLICT``): no read, no ORM flush."""
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        stmt = insert(ChatState).values(channel=channel, chat_id=chat_id, flow=flow, data=dict(data), updated_at=now)
        await self.session.execute(stmt.on_conflict_do_update(
            index_elements=[ChatState.channel, ChatState.chat_id],
            set_={"flow": stmt.excluded.flow, "data": stmt.excluded.data, "updated_at": stmt.excluded.updated_at}))

    async def clear(self, channel: str, chat_id: str) -> bool:
        result = await self.session.execute(
            delete(ChatState).where(ChatState.channel == channel, ChatState.chat_id == chat_id)
        )
        return bool(rows_matched(result))


class ChatMemoryRepository(_Repo):
    """Menus on screen and handled message keys: small rows read and written on every update,
    so each operation is one prebuilt statement."""

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    async def menu(self, channel: str, chat_id: str, since: datetime) -> Row[*tuple[Any, ...]] | None:
        """``(choices, numbered)`` of the menu shown in the chat since ``since``, if any."""
        return (await self.session.execute(MENU, {"m_channel": channel, "m_chat_id": chat_id,
                                                  "since": since})).first()

    async def show_menu(self, channel: str, chat_id: str, choices: list[list[str]], numbered: bool,
                        now: datetime) -> None:
        await self.session.execute(SHOW_MENU[self._dialect], {
            "m_channel": channel, "m_chat_id": chat_id, "m_choices": choices, "m_numbered": numbered, "now": now})

    async def forget_menu(self, channel: str, chat_id: str) -> None:
        await self.session.execute(delete(ChatMenu).where(ChatMenu.channel == channel, ChatMenu.chat_id == chat_id))

    async def begin_key(self, key: str, now: datetime) -> int | None:
        """The attempt number if the caller now holds ``key`` (1: first time), else None (done)."""
        row = (await self.session.execute(BEGIN_KEY[self._dialect], {"k": key, "now": now})).first()
        return int(row[0]) if row is not None else None

    async def finish_key(self, key: str, now: datetime) -> None:
        await self.session.execute(FINISH_KEY, {"k": key, "now": now})

    async def forget_before(self, cutoff: datetime) -> tuple[int, int]:
        """Delete menus shown and keys last seen before ``cutoff``; (menus, keys) deleted."""
        menus = await self.session.execute(delete(ChatMenu).where(ChatMenu.shown_at < cutoff))
        keys = await self.session.execute(delete(InboundKey).where(InboundKey.seen_at < cutoff))
        return rows_matched(menus), rows_matched(keys)


class SendBudgetRepository(_Repo):
    """The shared send budget (PostgreSQL only: SQLite runs one process, whose pacer is enough).

    Times are the database server's ``clock_timestamp()``, one clock for every replica."""

    async def take(self, key: str, interval: float) -> float:
        """Reserve the next slot and return the seconds to wait for it (≤ 0: go now)."""
        await self.session.execute(
            text("INSERT INTO send_budgets (key, next_at) VALUES (:key, clock_timestamp()) ON CONFLICT DO NOTHING"),
            {"key": key})
        wait = await self.session.scalar(text(
            "UPDATE send_budgets SET next_at = greatest(next_at, clock_timestamp()) + make_interval(secs => :interval) "
            "WHERE key = :key RETURNING extract(epoch FROM next_at - clock_timestamp()) - :interval"),
            {"key": key, "interval": interval})
        return float(wait or 0.0)

    async def pause(self, key: str, seconds: float) -> None:
        """A 429 seen by one replica holds every replica's next slot back as long."""
        await self.session.execute(text(
            "UPDATE send_budgets SET next_at = greatest(next_at, clock_timestamp() + make_interval(secs => :s)) "
            "WHERE key = :key"), {"key": key, "s": seconds})


class InboxRepository(_Repo):
    """Updates kept before handling (see ``InboxItem``)."""

    async def keep(self, channel: str, key: str, update: dict[str, Any], now: datetime, until: datetime) -> int | None:
        """Store the update, claimed by the caller until ``until``; None if it was kept before
        (a redelivery: whoever kept it first sees it through)."""
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        stmt = insert(InboxItem).values(channel=channel, key=key, update=update, received_at=now, attempts=1,
                                        claimed_until=until).on_conflict_do_nothing(index_elements=[InboxItem.key])
        return await self.session.scalar(stmt.returning(InboxItem.id))

    async def done(self, item_id: int, now: datetime) -> None:
        await self.session.execute(update(InboxItem).where(InboxItem.id == item_id).values(done_at=now))

    async def claim_orphans(self, channel: str, now: datetime, until: datetime, max_attempts: int,
                            limit: int) -> list[tuple[int, dict[str, Any]]]:
        """Take undone items whose claim ran out (their process died or gave up), one
        statement, so two processes never take the same one."""
        due = (select(InboxItem.id)
               .where(InboxItem.channel == channel, InboxItem.done_at.is_(None), InboxItem.claimed_until < now,
                      InboxItem.attempts < max_attempts)
               .order_by(InboxItem.id).limit(limit).with_for_update(skip_locked=True))
        rows = await self.session.execute(
            update(InboxItem).where(InboxItem.id.in_(due))
            .values(claimed_until=until, attempts=InboxItem.attempts + 1)
            .returning(InboxItem.id, InboxItem.update).execution_options(synchronize_session=False))
        return sorted((int(i), dict(u)) for i, u in rows.all())

    async def forget_before(self, cutoff: datetime) -> int:
        result = await self.session.execute(delete(InboxItem).where(InboxItem.received_at < cutoff))
        return rows_matched(result)
