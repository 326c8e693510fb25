"""Nothing sent twice: outbox leases that hold while a row waits, claims that
only their holder can complete, and several senders on one database."""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App
from bot.channels.telegram import TelegramChannel
from bot.core import Address
from bot.services.outbox import OutboxDispatcher
from storage.models import Delivery
from tests.conftest import make_settings
from tests.fakes.telegram_api import FakeTelegram

DECREES = Path(__file__).resolve().parents[2] / "bot" / "data" / "announcements"
BODY = (DECREES / "2022_CT-UBND_lang-son.md").read_text(encoding="utf-8")
PART = re.compile(r"^\((\d+)/(\d+)\)")


async def officers(app: App, n: int, first_chat: int) -> list[int]:
    """``n`` units in one group, each with one officer's chat bound through a real invite."""
    codes = [f"X_L{i:03d}" for i in range(n)]
    await app.services.units.import_rows([{"code": c, "name": f"Xã thử {i}", "kind": "xa", "parent_code": "",
                                           "groups": "Cụm lease"} for i, c in enumerate(codes)])
    chats = []
    for i, code in enumerate(codes):
        inv = await app.services.members.create_invite(code)
        chat = first_chat + i
        result = await app.services.members.redeem(Address("telegram", str(chat)), inv.code, f"Cán bộ {i}")
        assert result.member is not None
        chats.append(chat)
    return chats


async def sender(app: App, *, lease: float, concurrency: int = 48) -> tuple[TelegramChannel, OutboxDispatcher]:
    """An outbox of its own (own Bot API client, own pacer) over ``app``'s database."""
    ch = app.telegram_channel()
    await ch.start(app.dispatcher, receive=False)
    return ch, OutboxDispatcher(app.uow, app.clock, ch, lease=timedelta(seconds=lease), concurrency=concurrency)


async def rows_of(app: App, announcement_id: int) -> list[Delivery]:
    async with app.uow() as uow:
        return list(await uow.session.scalars(select(Delivery).where(Delivery.announcement_id == announcement_id)))


async def until_settled(app: App, announcement_id: int, timeout: float) -> None:
    """Until no row of the announcement is queued or sending (every outcome recorded)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if (await app.services.announcements.counts(announcement_id)).pending == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"announcement {announcement_id} still pending after {timeout}s")


def parts_received(tg: FakeTelegram, chat: int) -> Counter[int]:
    """How many times the chat got each numbered part ``(i/n)`` of the decree; -1 keys the
    announced total so that a chat that got no part fails too."""
    got: Counter[int] = Counter()
    for m in tg.messages_to(chat):
        mm = PART.match(m.text or "")
        if mm:
            got[int(mm.group(1))] += 1
            got[-int(mm.group(2))] = 1
    return got


def exactly_once(tg: FakeTelegram, chat: int) -> bool:
    got = parts_received(tg, chat)
    totals = [-k for k in got if k < 0]
    if len(totals) != 1:
        return False
    return {k: v for k, v in got.items() if k > 0} == {i: 1 for i in range(1, totals[0] + 1)}


async def test_a_row_that_waits_longer_than_its_lease_is_sent_once(db_url: str) -> None:
    """10 chats × 3+ parts behind a pacer of 5 messages/s: the last rows wait 6 s and more,
    four leases of 1.5 s. The holder renews them all the while; nobody re-claims them."""
    tg = FakeTelegram()
    await tg.start()
    app = App(make_settings(db_url, telegram_bot_token=tg.token, telegram_api_base_url=tg.root, telegram_rate=5.0))
    ch = None
    outbox = None
    try:
        await app.prepare(demo=True)
        chats = await officers(app, 10, 8100)
        a = await app.services.announcements.create(doc_type="Chỉ thị", number="12/CT-UBND", summary="Phát động",
                                                    body=BODY, audience={"groups": ["Cụm lease"]})
        lease = 1.5
        ch, outbox = await sender(app, lease=lease)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await outbox.start()
        await until_settled(app, a.id, 120)
        assert loop.time() - started > 2 * lease  # the test did make rows outlive their lease
        for chat in chats:
            assert exactly_once(tg, chat), (chat, parts_received(tg, chat))
            assert max(parts_received(tg, chat)) >= 3  # a long decree: each chat's parts wait their turn
        rows = await rows_of(app, a.id)
        assert len(rows) == 10 and {r.status for r in rows} == {"sent"}
        assert all(r.claim is None and r.claimed_until is None for r in rows)
    finally:
        if outbox is not None:
            await outbox.stop()
        if ch is not None:
            await ch.stop()
        await app.stop()
        await tg.stop()


async def test_two_senders_share_one_outbox_without_duplicates(db_url: str) -> None:
    """An ``announce`` CLI is sending (its own process: App, engine, pacer) when a
    ``tdkt-bot run`` starts on the same database. The newcomer must not release the rows
    the CLI holds (the old start did: 'single writer'), and the two share the rest."""
    tg = FakeTelegram()
    await tg.start()

    def settings():  # type: ignore[no-untyped-def]
        return make_settings(db_url, telegram_bot_token=tg.token, telegram_api_base_url=tg.root, telegram_rate=5.0)

    cli, bot = App(settings()), App(settings())
    try:
        await cli.prepare(demo=True)
        chats = await officers(cli, 60, 8300)
        a = await cli.services.announcements.create(doc_type="Thông báo", number="9/TB-SNV",
                                                    summary="Lịch họp hội đồng thi đua", body="Nội dung ngắn.",
                                                    audience={"groups": ["Cụm lease"]})
        await cli.start_outboxes_only()
        await tg.wait_for(lambda: len(tg.sent) >= 3, timeout=30)
        assert any(r.status == "sending" for r in await rows_of(cli, a.id))
        await bot.prepare()
        await bot.start(scheduler=False)
        await until_settled(cli, a.id, 120)
        for chat in chats:
            got = [m for m in tg.messages_to(chat) if "9/TB-SNV" in (m.text or "")]
            assert len(got) == 1, (chat, len(got))
        rows = await rows_of(cli, a.id)
        assert len(rows) == 60 and {r.status for r in rows} == {"sent"}
        assert cli.outboxes["telegram"].sent > 0 and bot.outboxes["telegram"].sent > 0
        assert cli.outboxes["telegram"].sent + bot.outboxes["telegram"].sent == 60
    finally:
        await bot.stop()
        await cli.stop()
        await tg.stop()


async def test_a_sender_that_lost_its_claim_neither_sends_nor_writes(
        db_url: str, clock, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    """While the first part of a three-part decree is on its way (the platform answers in
    2 s), another process takes the row (its clock says the lease ran out). The first
    sender must then stop: no second part, no write over the new holder's row."""
    tg = FakeTelegram(latency=2.0)
    await tg.start()
    app = App(make_settings(db_url, telegram_bot_token=tg.token, telegram_api_base_url=tg.root), clock=clock)
    ch = None
    outbox = None
    try:
        await app.prepare(demo=True)
        [chat] = await officers(app, 1, 8500)
        a = await app.services.announcements.create(doc_type="Chỉ thị", number="12/CT-UBND", summary="Phát động",
                                                    body=BODY, audience={"groups": ["Cụm lease"]})
        ch, outbox = await sender(app, lease=30)
        await outbox.start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while not any(r.status == "sending" for r in await rows_of(app, a.id)):
            assert loop.time() < deadline, "the row was never claimed"
            await asyncio.sleep(0.01)
        [mine] = await rows_of(app, a.id)
        assert mine.parts_sent == 0 and mine.claim
        later = clock.now() + timedelta(seconds=31)
        async with app.uow() as uow:
            taken = await uow.deliveries.claim_due("telegram", later, later + timedelta(seconds=30), 10,
                                                   claim="another-process")
            await uow.commit()
        assert [d.id for d in taken] == [mine.id]
        with caplog.at_level(logging.WARNING, logger="bot.services.outbox"):
            assert await outbox.renew() == 0  # a renewal does not extend a row someone else holds
            await tg.wait_for(lambda: not outbox._inflight, timeout=20)
            await asyncio.sleep(0.5)  # room for a (wrong) next part to go out
        assert [PART.match(m.text or "").group(1) for m in tg.messages_to(chat)  # type: ignore[union-attr]
                if PART.match(m.text or "")] == ["1"]
        [row] = await rows_of(app, a.id)
        assert (row.status, row.claim, row.parts_sent, row.message_id) == ("sending", "another-process", 0, "")
        assert row.claimed_until == later + timedelta(seconds=30)
        assert any("taken by another claim" in r.getMessage() for r in caplog.records)
    finally:
        if outbox is not None:
            await outbox.stop()
        if ch is not None:
            await ch.stop()
        await app.stop()
        await tg.stop()
