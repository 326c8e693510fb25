"""TelegramChannel against the fake Bot API: a 429 on any kind of send is waited out and retried."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.channels.telegram import TelegramChannel
from bot.core import Address, Attachment, Inbound, InboundKind, Outbound, Pacer, RecipientBlocked
from tests.fakes.telegram_api import FakeTelegram

CHAT = 4242


@pytest.fixture
async def channel() -> AsyncIterator[tuple[TelegramChannel, FakeTelegram]]:
    tg = FakeTelegram(limits=True)
    await tg.start()
    ch = TelegramChannel(tg.token, api_base_url=tg.root, pacer=Pacer(30), reply_deadline=20)

    async def sink(_inbound: Inbound) -> None:
        return None

    await ch.start(sink, receive=False)
    try:
        yield ch, tg
    finally:
        await ch.stop()
        await tg.stop()


RETRY = {"status": 429, "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}}


async def test_a_429_on_an_edit_is_waited_out_and_retried(channel: tuple[TelegramChannel, FakeTelegram]) -> None:
    ch, tg = channel
    sent = await ch.send(Address("telegram", str(CHAT)), Outbound("Đang gửi: 0/40"))
    tg.fail_next("editMessageText", **RETRY)
    await ch.edit(Address("telegram", str(CHAT)), sent.last_id, Outbound("Đang gửi: 40/40"))
    assert [m.text for m in tg.edits_of(CHAT, int(sent.last_id))] == ["Đang gửi: 40/40"]


async def test_a_429_on_a_document_is_waited_out_and_retried(channel: tuple[TelegramChannel, FakeTelegram]) -> None:
    ch, tg = channel
    tg.fail_next("sendDocument", **RETRY)
    doc = Attachment(name="tong-hop.xlsx", mime="application/vnd.ms-excel", size=4, content=b"PK\x03\x04")
    sent = await ch.send(Address("telegram", str(CHAT)), Outbound(documents=(doc,)))
    got = tg.messages_to(CHAT)
    assert len(sent.message_ids) == 1 and [m.method for m in got] == ["sendDocument"]
    assert got[0].document == ("tong-hop.xlsx", b"PK\x03\x04")


async def test_a_429_on_a_button_answer_is_retried_without_pausing_messages(
        channel: tuple[TelegramChannel, FakeTelegram]) -> None:
    ch, tg = channel
    sent = await ch.send(Address("telegram", str(CHAT)), Outbound("Văn bản mới"))
    update = await tg.push_callback(CHAT, "ack:1", message_id=int(sent.last_id))
    query_id = update["callback_query"]["id"]
    tg.fail_next("answerCallbackQuery", **RETRY)
    inbound = Inbound(address=Address("telegram", str(CHAT)), kind=InboundKind.CALLBACK, payload="ack:1",
                      callback_id=query_id)
    await ch.answer_callback(inbound, "Đã ghi nhận")
    assert [a.get("callback_query_id") for a in tg.callback_answers] == [query_id]
    assert ch.pacer.paused_for == 0, "a button answer has its own budget"


async def test_errors_that_retrying_cannot_fix_are_raised_at_once(
        channel: tuple[TelegramChannel, FakeTelegram]) -> None:
    ch, tg = channel
    tg.block_chat(CHAT)
    with pytest.raises(RecipientBlocked):
        await ch.send(Address("telegram", str(CHAT)), Outbound("Xin chào"))


async def test_an_update_whose_handling_failed_is_polled_again_not_confirmed() -> None:
    """The sink itself failed (no database, say): Telegram must give the update again."""
    tg = FakeTelegram()
    await tg.start()
    ch = TelegramChannel(tg.token, api_base_url=tg.root, pacer=Pacer(30), poll_timeout=1)
    seen: list[str] = []

    async def sink(inbound: Inbound) -> None:
        seen.append(inbound.text)
        if len(seen) == 1:
            raise TimeoutError("the chat lock's pool timed out")

    await ch.start(sink)
    try:
        await tg.push_text(111, "xin chào")
        await tg.wait_for(lambda: len(seen) >= 2, timeout=10)
        await tg.wait_for(lambda: tg.pending_updates == [], timeout=10)  # confirmed once handled
        assert seen == ["xin chào", "xin chào"]
    finally:
        await ch.stop()
        await tg.stop()
