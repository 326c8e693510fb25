"""ZaloChannel against the fake Zalo Bot API: a real aiohttp server, real HTTP both ways.

The adapter is driven directly with a collecting sink, so these tests pin the channel
contract (what arrives as which ``Inbound``, what goes out as which parts, which error
becomes which ``SendError``) without the rest of the bot.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from bot.channels import zalo as zalo_module
from bot.channels.web import WebServer
from bot.channels.zalo import MAX_TEXT, ZaloChannel, _SeenKeys
from bot.core import (
    Address,
    Attachment,
    ChannelUnavailable,
    Choice,
    Inbound,
    InboundKind,
    InvalidMessage,
    Outbound,
    RateLimited,
    RecipientBlocked,
    Retryable,
    rows,
)
from bot.rendering.markup import markdown_to_plain
from tests.fakes.zalo_api import FakeZalo

SECRET = "webhook-secret-123"
USER = "6ede9afa66b88fe6d6a9"
PREFIX = re.compile(r"^\((\d+)/(\d+)\) ")


class Sink:
    """Collects what the channel hands to the bot; optionally blocks to mimic slow handlers."""

    def __init__(self) -> None:
        self.items: list[Inbound] = []
        self.gate: asyncio.Event | None = None

    async def __call__(self, inbound: Inbound) -> None:
        self.items.append(inbound)
        if self.gate is not None:
            await self.gate.wait()


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as fake:
        yield fake


def make_channel(zalo: FakeZalo, **kw: Any) -> ZaloChannel:
    kw.setdefault("poll_timeout", 2)
    kw.setdefault("part_delay", 0.01)
    return ZaloChannel(zalo.token, api_base_url=zalo.base_url, **kw)


@asynccontextmanager
async def polling(zalo: FakeZalo, **kw: Any) -> AsyncIterator[tuple[ZaloChannel, Sink]]:
    channel, sink = make_channel(zalo, **kw), Sink()
    await channel.start(sink)
    try:
        yield channel, sink
    finally:
        if sink.gate is not None:
            sink.gate.set()
        await channel.stop()


@asynccontextmanager
async def webhook(zalo: FakeZalo, **kw: Any) -> AsyncIterator[tuple[ZaloChannel, Sink, str]]:
    """Our WebServer with the channel's route; the fake posts to it over real HTTP.

    The route is registered before the server starts (aiohttp freezes routes); the port is
    only known afterwards, so the local URL is given to the channel just before start().
    The fake accepts http://127.0.0.1 webhooks for exactly this purpose.
    """
    server = WebServer("127.0.0.1", 0)
    channel = make_channel(zalo, mode="webhook", webhook_url="https://example.test/zalo/webhook",
                           webhook_secret=SECRET, **kw)
    channel.register_routes(server.app)
    await server.start()
    local = f"http://127.0.0.1:{server.port}/zalo/webhook"
    channel.webhook_url = local
    sink = Sink()
    await channel.start(sink)
    try:
        yield channel, sink, local
    finally:
        if sink.gate is not None:
            sink.gate.set()
        await channel.stop()
        await server.stop()


async def settle(seconds: float = 0.2) -> None:
    """Give stray deliveries a chance to show up before asserting that none did."""
    await asyncio.sleep(seconds)


# ---------------------------------------------------------------- receiving by polling


async def test_polling_translates_every_kind_of_message(zalo: FakeZalo) -> None:
    async with polling(zalo) as (channel, sink):
        assert zalo.requests["deleteWebhook"] == 1
        assert channel.me["display_name"] == "Bot TĐKT"
        t = await zalo.push_text(USER, "Xin chào", display_name="Trần Thị B")
        await zalo.push_text(USER, "/start ABC123")
        img = await zalo.push_image(USER, "https://photo.zadn.vn/a.jpg", caption="Ảnh báo cáo")
        await zalo.push_image(USER, "https://photo.zadn.vn/b.jpg", field="photo_url")
        await zalo.push_sticker(USER)
        await zalo.push_voice(USER)
        await zalo.push_unsupported(USER)
        await zalo.push_text("group-1", "hello", chat_type="GROUP", from_id="u9")
        items = await zalo.wait_for(lambda: sink.items if len(sink.items) >= 8 else None)

    text, cmd, photo, photo_url, sticker, voice, unsupported, group = items
    assert text.kind is InboundKind.TEXT and text.text == "Xin chào"
    assert text.address == Address("zalo", USER)
    assert text.sender_name == "Trần Thị B" and text.is_private
    assert text.message_id == t["message"]["message_id"]
    assert text.received_at is not None and text.received_at.year >= 2025

    assert cmd.kind is InboundKind.COMMAND and (cmd.command, cmd.args) == ("start", "ABC123")

    assert photo.kind is InboundKind.FILE and photo.text == "Ảnh báo cáo"
    assert photo.attachment is not None
    assert photo.attachment.name == f"anh_{img['message']['message_id']}.jpg"
    assert (photo.attachment.mime, photo.attachment.ref) == ("image/jpeg", "https://photo.zadn.vn/a.jpg")
    assert photo_url.attachment is not None and photo_url.attachment.ref == "https://photo.zadn.vn/b.jpg"

    assert [i.kind for i in (sticker, voice, unsupported)] == [InboundKind.UNSUPPORTED] * 3
    assert group.address == Address("zalo", "group-1") and not group.is_private


async def test_redelivered_update_is_ignored(zalo: FakeZalo) -> None:
    async with polling(zalo) as (_channel, sink):
        first = await zalo.push_text(USER, "một")
        await zalo.redeliver(first)
        await zalo.push_text(USER, "hai")
        await zalo.wait_for(lambda: len(sink.items) >= 2)
        await settle()
    assert [i.text for i in sink.items] == ["một", "hai"]


async def test_start_with_refused_token_raises_channel_unavailable(zalo: FakeZalo) -> None:
    channel = ZaloChannel("999:wrong", api_base_url=zalo.base_url)
    with pytest.raises(ChannelUnavailable, match="token"):
        await channel.start(Sink())
    await channel.stop()


async def test_start_with_unreachable_api_raises_channel_unavailable(zalo: FakeZalo) -> None:
    base = zalo.base_url
    await zalo.stop()
    channel = ZaloChannel(zalo.token, api_base_url=base)
    with pytest.raises(ChannelUnavailable, match="unreachable") as info:
        await channel.start(Sink())
    assert zalo.token not in str(info.value)


async def test_send_only_start_neither_polls_nor_sets_a_webhook(zalo: FakeZalo) -> None:
    channel = make_channel(zalo)
    await channel.start(Sink(), receive=False)
    await settle(0.1)
    await channel.stop()
    assert zalo.requests["getUpdates"] == 0 and zalo.requests["deleteWebhook"] == 0
    assert zalo.requests["getMe"] == 1


async def test_polling_survives_outages(zalo: FakeZalo) -> None:
    async with polling(zalo) as (_channel, sink):
        zalo.set_down(2)  # the held poll ends normally; the next two calls hit the "edge"
        await zalo.push_text(USER, "trước")
        await zalo.push_text(USER, "sau")
        await zalo.wait_for(lambda: len(sink.items) >= 2, timeout=10)
    assert [i.text for i in sink.items] == ["trước", "sau"]


async def test_duplicate_server_headers_are_tolerated() -> None:
    async with FakeZalo(duplicate_server_header=True) as fake, polling(fake) as (channel, sink):
        await fake.push_text(USER, "chào")
        await fake.wait_for(lambda: sink.items)
        await channel.send(Address("zalo", USER), Outbound("Chào anh/chị"))
    assert fake.messages_to(USER)[0].text == "Chào anh/chị"


# ---------------------------------------------------------------- receiving by webhook


async def test_set_webhook_on_start_registers_url_and_secret(zalo: FakeZalo) -> None:
    channel = make_channel(zalo, mode="webhook", webhook_url="https://example.test/zalo/webhook",
                           webhook_secret=SECRET)
    app = web.Application()
    channel.register_routes(app)
    assert any(r.resource is not None and r.resource.canonical == "/zalo/webhook" for r in app.router.routes())
    await channel.start(Sink())
    await channel.stop()
    assert (zalo.webhook_url, zalo.webhook_secret) == ("https://example.test/zalo/webhook", SECRET)
    assert zalo.requests["getUpdates"] == 0


async def test_webhook_with_right_secret_delivers_both_envelopes(zalo: FakeZalo) -> None:
    async with webhook(zalo) as (_channel, sink, _url):
        await zalo.push_text(USER, "gói", wrapped=True)
        await zalo.push_text(USER, "trần", wrapped=False)
        await zalo.push_image(USER, "https://photo.zadn.vn/c.jpg", wrapped=False)
        await zalo.wait_for(lambda: len(sink.items) >= 3)
    assert [d.status for d in zalo.deliveries] == [200, 200, 200]
    assert [i.text for i in sink.items[:2]] == ["gói", "trần"]
    assert sink.items[2].kind is InboundKind.FILE


async def test_webhook_with_wrong_or_missing_secret_is_refused(zalo: FakeZalo) -> None:
    body = {"ok": True, "result": {"event_name": "message.text.received", "message": {
        "from": {"id": USER, "display_name": "X"}, "chat": {"id": USER, "chat_type": "PRIVATE"},
        "text": "giả mạo", "message_id": "forged1", "date": 1750316131602}}}
    async with webhook(zalo) as (_channel, sink, _url):
        assert await zalo.post_webhook(body, "wrong-secret-000") == 401
        assert await zalo.post_webhook(body, None) == 401
        assert await zalo.post_webhook(body, "") == 401
        await settle()
        assert sink.items == []
        # The same event with the right secret is then accepted: the forged tries left no trace.
        assert await zalo.post_webhook(body, SECRET) == 200
        await zalo.wait_for(lambda: sink.items)
    assert sink.items[0].text == "giả mạo"


@pytest.mark.filterwarnings("ignore:Sending a large body:ResourceWarning")  # the fake's client side
async def test_webhook_rejects_junk_and_oversized_bodies(zalo: FakeZalo) -> None:
    async with webhook(zalo) as (_channel, sink, _url):
        assert await zalo.post_webhook({}, SECRET, raw=b"<html>not json") == 400
        assert await zalo.post_webhook({"ok": True, "result": []}, SECRET) == 400
        assert await zalo.post_webhook({}, SECRET, raw=b"{" + b" " * (1024 * 1024 + 10) + b"}") == 413
        await settle()
    assert sink.items == []


async def test_webhook_refuses_deeply_nested_json_with_400(zalo: FakeZalo) -> None:
    """100 000 nested arrays must not reach json.loads (they raised RecursionError → HTTP 500),
    and a body nested less than the parser's limit but far beyond any update is refused too."""
    async with webhook(zalo) as (_channel, sink, _url):
        assert await zalo.post_webhook({}, SECRET, raw=b"[" * 100_000 + b"]" * 100_000) == 400
        deep_update = b'{"event_name": "message.text.received", "message": ' + b'{"x": ' * 200 + b"1" + b"}" * 201
        assert await zalo.post_webhook({}, SECRET, raw=deep_update) == 400
        await settle()
        assert sink.items == []
        # The channel is unharmed: the next real update goes through.
        await zalo.push_text(USER, "vẫn nhận")
        await zalo.wait_for(lambda: sink.items)
    assert sink.items[0].text == "vẫn nhận"


async def test_webhook_answers_at_once_and_dedupes(zalo: FakeZalo) -> None:
    async with webhook(zalo) as (_channel, sink, _url):
        sink.gate = asyncio.Event()  # handlers are slow; Zalo still needs its 200 within 2 s
        first = await zalo.push_text(USER, "một")
        await zalo.push_text(USER, "hai")
        assert await zalo.redeliver(first) == 200
        assert await zalo.redeliver(first, wrapped=False) == 200
        assert all(d.elapsed < 1.0 for d in zalo.deliveries)
        await zalo.wait_for(lambda: sink.items)
        sink.gate.set()
        await zalo.wait_for(lambda: len(sink.items) >= 2)
        await settle()
    assert [i.text for i in sink.items] == ["một", "hai"]


async def test_webhook_before_receiving_answers_503(zalo: FakeZalo) -> None:
    """A sending-only instance (the CLI) shares the route but must not take updates."""
    server = WebServer("127.0.0.1", 0)
    channel = make_channel(zalo, mode="webhook", webhook_url="https://example.test/zalo/webhook",
                           webhook_secret=SECRET)
    channel.register_routes(server.app)
    await server.start()
    sink = Sink()
    await channel.start(sink, receive=False)
    try:
        url = f"http://127.0.0.1:{server.port}/zalo/webhook"
        body = {"event_name": "message.text.received", "message": {"chat": {"id": USER}, "text": "x",
                                                                   "message_id": "m1"}}
        assert await zalo.post_webhook(body, SECRET, url=url) == 503
        assert await zalo.post_webhook(body, "wrong-secret", url=url) == 401
        await settle(0.1)
    finally:
        await channel.stop()
        await server.stop()
    assert sink.items == [] and zalo.webhook_url is None


# ---------------------------------------------------------------- numbered menus


MENU = rows(Choice("📝 Nộp báo cáo", "rpt:1"), Choice("⬅ Quay lại", "nav:back"), Choice("Hướng dẫn sử dụng", "help"))


async def test_numbered_menu_reply_becomes_the_button_payload(zalo: FakeZalo) -> None:
    async with polling(zalo) as (channel, sink):
        await zalo.push_text(USER, "quay lại")  # no menu yet: a navigation word stays text
        await zalo.wait_for(lambda: sink.items)
        await channel.send(Address("zalo", USER), Outbound("**Chọn việc** cần làm:", choices=MENU))
        shown = zalo.messages_to(USER)[-1].text or ""
        assert "1. Nộp báo cáo\n2. Quay lại\n3. Hướng dẫn sử dụng" in shown
        replies = ["2", "2.", "huong dan su dung", "HƯỚNG DẪN SỬ DỤNG", " 1 ", "7", "xin chào"]
        pushed = [await zalo.push_text(USER, r) for r in replies]
        await zalo.wait_for(lambda: len(sink.items) >= 1 + len(replies))

    first, *answers = sink.items
    assert (first.kind, first.text) == (InboundKind.TEXT, "quay lại")
    got = [(i.kind, i.payload or i.text) for i in answers]
    cb = InboundKind.CALLBACK
    assert got == [(cb, "nav:back"), (cb, "nav:back"), (cb, "help"), (cb, "help"), (cb, "rpt:1"),
                   (InboundKind.TEXT, "7"), (InboundKind.TEXT, "xin chào")]
    # a typed pick keeps the typed message's id: it keys (Inbound.key) like that message would
    assert answers[0].callback_id == "" and answers[0].message_id == pushed[0]["message"]["message_id"]
    assert answers[0].key == Inbound.from_text(answers[0].address, "2",
                                               message_id=answers[0].message_id).key != ""
    assert answers[0].message_id == pushed[0]["message"]["message_id"]


async def test_unnumbered_menu_and_forgotten_menu(zalo: FakeZalo) -> None:
    address = Address("zalo", USER)
    async with polling(zalo) as (channel, sink):
        await zalo.push_text(USER, "chào")
        await zalo.wait_for(lambda: sink.items)
        # A question expecting a number: "1" is the answer 1, choices only by name.
        await channel.send(address, Outbound("Đơn vị có bao nhiêu người?", choices=rows(Choice("Bỏ qua", "skip")),
                                             numbered=False))
        assert "“bỏ qua”" in (zalo.messages_to(USER)[-1].text or "")
        await zalo.push_text(USER, "1")
        await zalo.push_text(USER, "bo qua")
        await zalo.wait_for(lambda: len(sink.items) >= 3)
        # A later message without choices forgets the menu: old numbers must not stick.
        await channel.send(address, Outbound("Cảm ơn.", choices=MENU))
        await channel.send(address, Outbound("Đã ghi nhận."))
        await zalo.push_text(USER, "2")
        await zalo.wait_for(lambda: len(sink.items) >= 4)
    assert [(i.kind, i.payload or i.text) for i in sink.items[1:]] == [
        (InboundKind.TEXT, "1"), (InboundKind.CALLBACK, "skip"), (InboundKind.TEXT, "2")]


# ---------------------------------------------------------------- sending


def long_markdown() -> str:
    paragraphs = []
    for i in range(1, 24):
        paragraphs.append(f"## Mục {i}. Tiêu chuẩn thi đua\n\n"
                          f"Đoạn {i}: các cơ quan, đơn vị căn cứ Luật Thi đua, khen thưởng năm 2022 và "
                          f"Nghị định 98/2023/NĐ-CP để xét danh hiệu **Lao động tiên tiến**. " * 2
                          + f"\n\n- Ý {i}.1: báo cáo thành tích\n- Ý {i}.2: biên bản họp Hội đồng")
    text = "\n\n".join(paragraphs)
    assert 8500 <= len(text) <= 11000
    return text


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


async def test_long_markdown_arrives_in_numbered_ordered_parts(zalo: FakeZalo) -> None:
    md = long_markdown()
    async with polling(zalo) as (channel, sink):
        await zalo.push_text(USER, "chào")
        await zalo.wait_for(lambda: sink.items)
        sent = await channel.send(Address("zalo", USER), Outbound(md))
    msgs = zalo.messages_to(USER)
    texts = [m.text or "" for m in msgs]
    n = len(texts)
    assert n >= 5 and sent.message_ids == tuple(m.message_id for m in msgs)
    assert all(len(t) <= MAX_TEXT for t in texts)
    bodies = []
    for i, t in enumerate(texts, 1):
        m = PREFIX.match(t)
        assert m is not None and (int(m.group(1)), int(m.group(2))) == (i, n), t[:20]
        bodies.append(t[m.end():])
    assert squash("".join(bodies)) == squash(markdown_to_plain(md))
    assert "**" not in "".join(texts)  # plain text, not Markdown


async def test_menu_always_ends_whole_in_the_last_part(zalo: FakeZalo) -> None:
    channel = make_channel(zalo)
    choices = rows(*(Choice(f"Lựa chọn số {i} khá dài cho vui", f"c:{i}") for i in range(1, 8)))
    word = "Thi đua là yêu nước. "
    for size in range(1500, 4300, 37):
        text = (word * (size // len(word) + 1))[:size]
        parts = channel.render(Outbound(text, choices=choices))
        assert all(len(p.text) <= MAX_TEXT for p in parts), size
        assert "7. Lựa chọn số 7 khá dài cho vui" in parts[-1].text
        assert "1. Lựa chọn số 1 khá dài cho vui" in parts[-1].text, size
        assert parts[-1].choices == choices and all(not p.choices for p in parts[:-1])
    with pytest.raises(InvalidMessage):
        channel.render(Outbound(""))


async def test_menu_stays_whole_even_with_a_splitter_that_cuts_anywhere(
    zalo: FakeZalo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard in render(), not the splitter's kindness, keeps the menu in the last part."""

    def hard_cut(text: str, *, limit: int, markup: str) -> list[str]:
        size = limit - 12
        chunks = [text[i : i + size] for i in range(0, len(text), size)] or [""]
        return chunks if len(chunks) == 1 else [f"({i}/{len(chunks)}) {c}" for i, c in enumerate(chunks, 1)]

    monkeypatch.setattr(zalo_module, "split_message", hard_cut)
    channel = make_channel(zalo)
    for size in range(1800, 4100, 53):
        parts = channel.render(Outbound("x" * size, choices=MENU))
        assert all(len(p.text) <= MAX_TEXT for p in parts), size
        assert parts[-1].text.endswith("1. Nộp báo cáo\n2. Quay lại\n3. Hướng dẫn sử dụng\n(Trả lời 1, 2 hoặc 3)")
        assert "".join(p.text for p in parts).count("x") == size


async def test_parts_are_spaced_by_part_delay(zalo: FakeZalo) -> None:
    async with polling(zalo, part_delay=0.2) as (channel, sink):
        await zalo.push_text(USER, "chào")
        await zalo.wait_for(lambda: sink.items)
        await channel.send(Address("zalo", USER), Outbound(long_markdown()[:5000]))
    stamps = [m.at for m in zalo.messages_to(USER)]
    assert len(stamps) >= 3
    assert all(b - a >= 0.18 for a, b in itertools.pairwise(stamps))


async def test_document_becomes_a_line_with_its_link_or_a_hint(zalo: FakeZalo) -> None:
    link = Attachment("Cong van 12.pdf", "application/pdf", 1234, ref="https://bot.example.vn/f/abc?sig=xyz")
    local = Attachment("Bieu mau.xlsx", "application/vnd.ms-excel", 99, ref="BQACAgIAAxkBAAI")
    async with polling(zalo) as (channel, sink):
        await zalo.push_text(USER, "chào")
        await zalo.wait_for(lambda: sink.items)
        address = Address("zalo", USER)
        await channel.send(address, Outbound("Công văn mới", documents=(link,)))
        await channel.send(address, Outbound(documents=(local,)))
        await channel.send(address, Outbound("Kèm phụ lục", documents=(link, local)))
    first, second, both = (m.text or "" for m in zalo.messages_to(USER))
    assert first.startswith("Công văn mới") and "Cong van 12.pdf" in first
    assert "https://bot.example.vn/f/abc?sig=xyz" in first
    assert "Bieu mau.xlsx" in second and "Telegram" in second and "BQACAgIAAxkBAAI" not in second
    assert both.index("Cong van 12.pdf") < both.index("Bieu mau.xlsx"), "every file named, in order"


async def test_edit_sends_anew_and_other_no_ops(zalo: FakeZalo) -> None:
    async with polling(zalo) as (channel, sink):
        await zalo.push_text(USER, "chào")
        await zalo.wait_for(lambda: sink.items)
        address = Address("zalo", USER)
        sent = await channel.send(address, Outbound("bản 1"))
        await channel.edit(address, sent.last_id, Outbound("bản 2"))
        assert await channel.edit_choices(address, sent.last_id, MENU) is False
        await channel.answer_callback(sink.items[0], "ok")
        assert channel.invite_link("ABC123") is None
        info = await channel.bot_info()
    assert [m.text for m in zalo.messages_to(USER)] == ["bản 1", "bản 2"]
    assert info["id"] == zalo.bot_id


# ---------------------------------------------------------------- error classification


async def send_one(channel: ZaloChannel, chat_id: str = USER) -> str:
    return await channel.send_part(Address("zalo", chat_id), channel.render(Outbound("Nhắc báo cáo"))[0])


async def test_429_is_rate_limited_and_pauses_the_pacer(zalo: FakeZalo) -> None:
    zalo.known_chats.add(USER)
    async with polling(zalo) as (channel, _sink):
        zalo.fail_next("sendMessage", error_code=429, description="Quota exceeded")
        with pytest.raises(RateLimited) as info:
            await send_one(channel)
        assert 2.5 <= info.value.retry_after <= 6.0
        assert channel.pacer.paused_for > 2.0


async def test_400_errors_split_into_blocked_and_invalid(zalo: FakeZalo) -> None:
    async with polling(zalo) as (channel, _sink):
        with pytest.raises(RecipientBlocked):
            await send_one(channel, "never-wrote-to-the-bot")
        zalo.known_chats.add(USER)
        zalo.fail_next("sendMessage", error_code=400, description="Bad Request: text is invalid")
        with pytest.raises(InvalidMessage, match="text is invalid"):
            await send_one(channel)
        assert await send_one(channel)  # the chat itself is fine


@pytest.mark.parametrize("code", [403, 404, 408, 500])
async def test_transient_codes_are_retryable(zalo: FakeZalo, code: int) -> None:
    zalo.known_chats.add(USER)
    async with polling(zalo) as (channel, _sink):
        zalo.fail_next("sendMessage", error_code=code, description="Internal server error")
        with pytest.raises(Retryable):
            await send_one(channel)


async def test_edge_502_html_and_json_and_network_errors_are_retryable(zalo: FakeZalo) -> None:
    zalo.known_chats.add(USER)
    channel = make_channel(zalo)
    await channel.start(Sink(), receive=False)
    try:
        zalo.set_down(2)
        with pytest.raises(Retryable, match="non-JSON"):
            await send_one(channel)
        with pytest.raises(Retryable, match="502"):
            await send_one(channel)
        assert await send_one(channel)
        channel.api_base_url = "http://127.0.0.1:9"  # nothing listens there
        with pytest.raises(Retryable) as info:
            await send_one(channel)
        assert zalo.token not in info.value.reason
    finally:
        await channel.stop()


async def test_revoked_token_makes_the_channel_unavailable_and_alerts_once(zalo: FakeZalo) -> None:
    zalo.known_chats.add(USER)
    alerts: list[str] = []

    async def on_unavailable(reason: str) -> None:
        alerts.append(reason)

    async with polling(zalo, on_unavailable=on_unavailable) as (channel, _sink):
        zalo.revoke_token()
        for _ in range(2):
            with pytest.raises(ChannelUnavailable):
                await send_one(channel)
        # The poller meets the 401 on its next getUpdates, stops, and does not alert again.
        poller = channel._poller
        assert poller is not None
        await zalo.wait_for(poller.done, timeout=6)
        assert poller.exception() is None
    assert len(alerts) == 1 and "401" in alerts[0]


async def test_revoked_token_while_polling_alerts(zalo: FakeZalo) -> None:
    alerts: list[str] = []

    async def on_unavailable(reason: str) -> None:
        alerts.append(reason)

    async with polling(zalo, on_unavailable=on_unavailable, poll_timeout=1):
        zalo.revoke_token()
        await zalo.wait_for(lambda: alerts, timeout=6)
        await settle()
    assert len(alerts) == 1


# ---------------------------------------------------------------- files


@asynccontextmanager
async def image_server(payload: bytes) -> AsyncIterator[str]:
    async def image(_request: web.Request) -> web.Response:
        return web.Response(body=payload, content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/anh.jpg", image)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_fetch_file_downloads_the_photo(zalo: FakeZalo) -> None:
    payload = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
    async with image_server(payload) as base, polling(zalo) as (channel, sink):
        await zalo.push_image(USER, f"{base}/anh.jpg")
        await zalo.push_image(USER, f"{base}/het-han.jpg")
        await zalo.wait_for(lambda: len(sink.items) >= 2)
        photo, expired = sink.items
        assert await channel.fetch_file(photo) == payload
        with pytest.raises(InvalidMessage, match="404"):
            await channel.fetch_file(expired)
        channel.max_file_bytes = 1000
        with pytest.raises(InvalidMessage, match=r"too large|larger"):
            await channel.fetch_file(photo)
        with pytest.raises(InvalidMessage):
            await channel.fetch_file(Inbound(Address("zalo", USER), InboundKind.TEXT, text="x"))


# ---------------------------------------------------------------- dedup memory


def test_seen_keys_expire_and_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    seen = _SeenKeys(ttl=10, max_keys=3)
    assert seen.first_time(("e", "1")) and not seen.first_time(("e", "1"))
    assert seen.first_time(("other", "1"))  # the key is (event_name, message_id)
    now[0] += 11
    assert seen.first_time(("e", "1"))  # forgotten after the TTL
    for i in range(10):
        seen.first_time(("e", f"k{i}"))
    assert len(seen) <= 3


async def test_a_reply_refused_with_429_once_is_retried_in_order(zalo: FakeZalo) -> None:
    """Zalo's "Quota exceeded" carries no retry-after: the reply waits a few seconds and goes
    out, its parts still in order — it is not dropped."""
    zalo.known_chats.add(USER)
    async with polling(zalo, part_delay=0.0) as (channel, _sink):
        zalo.fail_next("sendMessage", error_code=429, description="Quota exceeded")
        long = "\n\n".join(f"Đoạn {i}: " + "chữ " * 120 for i in range(8))  # more than one 2000-char part
        sent = await channel.send(Address("zalo", USER), Outbound(long))
        texts = [m.text for m in zalo.messages_to(USER)]
        assert len(sent.message_ids) == len(texts) >= 2
        assert [int(PREFIX.match(t).group(1)) for t in texts] == list(range(1, len(texts) + 1))  # type: ignore[union-attr]
        assert zalo.http_429 == 1
