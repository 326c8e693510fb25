"""Bursts at the platform's limit: every reply arrives, none is dropped, in order per chat.

The fake Bot API runs with Telegram's limits on (30 messages/s overall, one per second per
chat with bursts of three): what the office sees when it posts invite links in a group and
forty officers join in the same second, or a reminder goes out and everyone answers at once.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from bot.core import Address, FixedClock, Outbound
from storage.models import Delivery
from tests.integration.conftest import start_harness

LINKED = "Đã liên kết"


async def _all_have(tg, chats: list[int], needle: str, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    await tg.wait_for(lambda: all(any(needle in (m.text or "") for m in tg.messages_to(c)) for c in chats),
                      timeout=timeout)


async def test_forty_officers_join_in_the_same_second_and_all_are_told(sqlite_url: str, clock: FixedClock) -> None:
    app, tg = await start_harness(sqlite_url, clock, tg_limits=True)
    try:
        units = [u.code for u, _chats in await app.services.units.list()][:20]
        codes = [(await app.services.members.create_invite(units[i % len(units)])).code for i in range(40)]
        chats = [7000 + i for i in range(40)]
        await asyncio.gather(*(tg.push_text(chat, f"/start {code}") for chat, code in zip(chats, codes, strict=True)))
        await _all_have(tg, chats, LINKED)
        assert tg.http_429 == 0, "the pacer keeps replies under the limit: the platform never has to refuse"
        for chat in chats:
            assert sum(LINKED in (m.text or "") for m in tg.messages_to(chat)) == 1
    finally:
        await app.stop()
        await tg.stop()


async def _hundred_units(app, tmp: Path) -> list[str]:  # type: ignore[no-untyped-def]
    csv = tmp / "units.csv"
    codes = [f"X_T{i:03d}" for i in range(100)]
    csv.write_text("code,name,kind,parent_code,groups\n" + "".join(f"{c},Xã Thử {c[-3:]},xa,," + "\n" for c in codes),
                   encoding="utf-8")
    await app.services.units.import_file(csv, actor="test")
    return codes


async def test_hundred_answers_at_once_each_officer_gets_the_next_question_in_order(
        sqlite_url: str, clock: FixedClock, tmp_path: Path) -> None:
    app, tg = await start_harness(sqlite_url, clock, tg_limits=True)
    try:
        codes = await _hundred_units(app, tmp_path)
        chats = [8000 + i for i in range(100)]
        for chat, unit in zip(chats, codes, strict=True):  # bound without messages: the burst is the answers
            inv = await app.services.members.create_invite(unit)
            await app.services.members.redeem(Address("telegram", str(chat)), inv.code, f"Cán bộ {chat}")
        period = await app.services.open_period(
            form_id="bao-cao-6-thang", label="Sơ kết 6 tháng đầu năm 2026",
            due_at=datetime(2026, 6, 20, 10, 0, tzinfo=UTC), cutoff=date(2026, 6, 14),
            audience={"units": codes}, remind_offsets=["1d"], announce=False)
        await asyncio.gather(*(tg.push_text(chat, "/baocao") for chat in chats))
        await _all_have(tg, chats, "Câu 1/")
        await asyncio.gather(*(tg.push_text(chat, "42") for chat in chats))
        await _all_have(tg, chats, "Câu 2/")
        for chat in chats:
            texts = [m.text or "" for m in tg.messages_to(chat)]
            assert len(texts) == 2, texts
            assert "Câu 1/" in texts[0] and "Câu 2/" in texts[1], "in order, nothing twice"
        assert tg.http_429 == 0
        drafts = await app.services.reports.answers_in_progress(period.id)
        assert sorted(a.get("tong_cbcc") for a in drafts.values()) == [42] * 100, "every answer stored once"
    finally:
        await app.stop()
        await tg.stop()


async def test_a_reply_that_cannot_go_out_in_time_is_queued_and_delivered_after_recovery(
        sqlite_url: str, clock: FixedClock) -> None:
    app, tg = await start_harness(sqlite_url, clock, reply_retry_seconds=1.0)
    try:
        tg.set_down(2)  # two 502s: the reply's retries (0.5 s apart, then 1 s) outlast its 1 s
        await tg.push_text(6001, "/trogiup")
        await tg.wait_for(lambda: app.dispatcher.handled >= 1, timeout=10)
        async with app.uow() as uow:
            rows = list(await uow.session.scalars(select(Delivery).where(Delivery.kind == "reply")))
        assert [(r.chat_id, r.parts_sent, r.priority) for r in rows] == [("6001", 0, 1)]
        await tg.wait_for(lambda: len(tg.messages_to(6001)) == 1, timeout=15)
        assert "/trogiup" in (tg.messages_to(6001)[0].text or "")
        async def status() -> str:
            async with app.uow() as uow:
                row = await uow.deliveries.get(rows[0].id)
                return row.status if row is not None else ""

        for _ in range(200):  # the row is recorded sent just after the fake received the message
            if await status() == "sent":
                break
            await asyncio.sleep(0.05)
        assert await status() == "sent"
    finally:
        await app.stop()
        await tg.stop()


async def test_deferred_replies_of_one_chat_go_out_in_order(sqlite_url: str, clock: FixedClock) -> None:
    """The outbox sends one chat's rows one after another: a reply deferred in three parts and
    the one deferred after it never interleave."""
    app, tg = await start_harness(sqlite_url, clock)
    try:
        long = "\n\n".join(f"Đoạn {i} " + "x" * 900 for i in range(12))  # ~11 000 characters: 3 parts
        where = Address("telegram", "778")
        await app.services.notices.defer_reply(where, Outbound(text=long), parts_sent=0, reason="test")
        await app.services.notices.defer_reply(where, Outbound(text="Câu trả lời thứ hai"), parts_sent=0, reason="test")
        await tg.wait_for(lambda: len(tg.messages_to(778)) >= 4, timeout=15)
        order = ["second" if "thứ hai" in (m.text or "") else "long" for m in tg.messages_to(778)]
        assert order == ["long", "long", "long", "second"], order
    finally:
        await app.stop()
        await tg.stop()
