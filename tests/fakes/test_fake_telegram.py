"""Tests of the fake Telegram Bot API, driven by a real ``telegram.Bot`` and by raw HTTP.

The fake is only useful if python-telegram-bot cannot tell it from Telegram, so most tests go
through PTB and assert on the exceptions PTB raises for Telegram's error replies.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
import pytest
import telegram
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, ChatMigrated, Conflict, Forbidden, NetworkError, RetryAfter

from tests.fakes.telegram_api import (
    SECRET_HEADER,
    FakeTelegram,
    SentMessage,
    parse_html,
    parse_markdown_v2,
    utf16_len,
)


class ManualClock:
    """Deterministic clock for the flood-limit tests."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


def make_bot(fake: FakeTelegram) -> telegram.Bot:
    return telegram.Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[telegram.Bot]:
    b = make_bot(fake)
    await b.initialize()
    yield b
    await b.shutdown()


def retry_seconds(exc: RetryAfter) -> float:
    """PTB 22 returns an int or a timedelta depending on the PTB_TIMEDELTA setting."""
    value: Any = exc.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in row] for row in rows])


# ------------------------------------------------------------------------------------- basics


async def test_get_me(bot: telegram.Bot, fake: FakeTelegram) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.is_bot
    assert me.username == "tdkt_test_bot"
    assert me.can_join_groups is True
    assert fake.requests["getMe"] >= 1


async def test_send_message_with_inline_keyboard(bot: telegram.Bot, fake: FakeTelegram) -> None:
    markup = keyboard([("Đồng ý", "ok:1"), ("Từ chối", "no:1")], [("Xem", "view")])
    msg = await bot.send_message(
        42, "<b>Quyết định</b> số 12 &amp; 13", parse_mode="HTML", reply_markup=markup
    )

    assert msg.message_id == 1
    assert msg.chat.id == 42 and msg.chat.type == "private"
    assert msg.from_user is not None and msg.from_user.id == fake.bot_id
    assert msg.text == "Quyết định số 12 & 13"
    assert msg.entities[0].type == "bold" and msg.entities[0].length == len("Quyết định")
    assert msg.reply_markup == markup

    sent = fake.last_to(42)
    assert sent.method == "sendMessage"
    assert sent.text == "<b>Quyết định</b> số 12 &amp; 13"
    assert sent.plain == "Quyết định số 12 & 13"
    assert sent.parse_mode == "HTML"
    assert fake.buttons(sent) == [("Đồng ý", "ok:1"), ("Từ chối", "no:1"), ("Xem", "view")]

    second = await bot.send_message(42, "tiếp")
    assert second.message_id == 2  # ids increase per chat
    assert (await bot.send_message(-1001, "nhóm")).chat.type == "supergroup"
    assert [m.message_id for m in fake.messages_to(42)] == [1, 2]


# ------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("<br>xin chào", 'Unsupported start tag "br"'),
        ("<b>đậm", "Can't find end tag"),
        ("<b><i>x</b></i>", "Unmatched end tag"),
        ("a < b", 'Unsupported start tag ""'),
        ("AT&T", "&"),
        ("a &nbsp; b", "&"),
        ("x</b>", "Unexpected end tag"),
        ('<span class="bold">x</span>', 'must have class "tg-spoiler"'),
        ("<b", "Unclosed start tag"),
    ],
)
async def test_bad_html_is_rejected(bot: telegram.Bot, fake: FakeTelegram, text: str, fragment: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)[Cc]an't parse entities") as info:
        await bot.send_message(1, text, parse_mode="HTML")
    assert fragment.lower() in str(info.value).lower()  # PTB capitalize()s the description
    assert fake.sent == []


async def test_all_telegram_html_tags_are_accepted(bot: telegram.Bot) -> None:
    text = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike>"
        '<del>d</del><a href="https://x.vn/?a=1&b=2">link</a><code>c</code>'
        '<pre><code class="language-python">print(1)</code></pre><blockquote expandable>q</blockquote>'
        '<tg-spoiler>sp</tg-spoiler><span class="tg-spoiler">sp2</span>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> &lt;&gt;&quot;&#65;&#x42;'
    )
    msg = await bot.send_message(1, text, parse_mode="HTML")
    assert msg.text.endswith(' <>"AB')
    types = {e.type for e in msg.entities}
    assert {"bold", "italic", "underline", "strikethrough", "text_link", "code", "pre", "spoiler"} <= types
    pre = next(e for e in msg.entities if e.type == "pre")
    assert pre.language == "python"
    link = next(e for e in msg.entities if e.type == "text_link")
    assert link.url == "https://x.vn/?a=1&b=2"


async def test_empty_and_too_long_text(bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(1, "   \n ")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(1, "<b></b>", parse_mode="HTML")
    await bot.send_message(1, "x" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(1, "x" * 4097)
    # tags do not count, entities count as one character
    await bot.send_message(1, "<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML")
    # astral characters count as two UTF-16 code units
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(1, "😀" * 2049)


async def test_callback_data_must_be_at_most_64_bytes(bot: telegram.Bot, fake: FakeTelegram) -> None:
    await bot.send_message(1, "ok", reply_markup=keyboard([("a", "x" * 64)]))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(1, "no", reply_markup=keyboard([("a", "x" * 65)]))
    # 22 characters but 22 × 3 = 66 bytes: the limit is in bytes
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(1, "no", reply_markup=keyboard([("a", "ệ" * 22)]))
    assert len(fake.sent) == 1


async def test_markdown_v2_validation(bot: telegram.Bot) -> None:
    msg = await bot.send_message(
        1, r"*đậm* _nghiêng_ __gạch__ ||ẩn|| `mã` \. [web](https://a\.b)", parse_mode="MarkdownV2"
    )
    assert msg.text == "đậm nghiêng gạch ẩn mã . web"
    with pytest.raises(BadRequest, match=r"(?i)Character '\.' is reserved"):
        await bot.send_message(1, "Hết.", parse_mode="MarkdownV2")
    with pytest.raises(BadRequest, match=r"(?i)Can't find end of Bold entity"):
        await bot.send_message(1, "*đậm", parse_mode="MarkdownV2")


def test_parsers_compute_utf16_offsets() -> None:
    text, entities = parse_html("😀 <b>xin</b> <i>chào</i>")
    assert text == "😀 xin chào"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 3},
        {"type": "italic", "offset": 7, "length": 4},
    ]
    assert utf16_len(text) == 11
    text, entities = parse_markdown_v2(">trích\n>dẫn\nhết")
    assert text == "trích\ndẫn\nhết"
    assert entities == [{"type": "blockquote", "offset": 0, "length": 9}]
    assert parse_html("a & b", strict=False)[0] == "a & b"


# -------------------------------------------------------------------------- limits and faults


async def test_limits_private_chat_burst_then_retry_after() -> None:
    clock = ManualClock()
    async with FakeTelegram(limits=True, clock=clock) as fake:
        bot = make_bot(fake)
        await bot.initialize()
        try:
            for i in range(3):  # burst of 3
                await bot.send_message(7, f"m{i}")
            with pytest.raises(RetryAfter) as info:
                await bot.send_message(7, "too fast")
            assert retry_seconds(info.value) == 1
            assert fake.http_429 == 1 and fake.violations == 1
            assert len(fake.messages_to(7)) == 3  # the rejected one is not delivered
            await bot.send_message(8, "other chat is fine")
            clock.advance(1.0)
            await bot.send_message(7, "after waiting")
            assert len(fake.messages_to(7)) == 4
        finally:
            await bot.shutdown()


async def test_limits_group_and_global() -> None:
    clock = ManualClock()
    async with FakeTelegram(limits=True, clock=clock, group_per_minute=2, global_per_second=5) as fake:
        bot = make_bot(fake)
        await bot.initialize()
        try:
            await bot.send_message(-100, "1")
            clock.advance(10)
            await bot.send_message(-100, "2")
            with pytest.raises(RetryAfter) as info:
                await bot.send_message(-100, "3")
            assert retry_seconds(info.value) == 50  # the first slot frees after 60 s
            clock.advance(60)
            for chat in range(1, 6):
                await bot.send_message(chat, "x")
            with pytest.raises(RetryAfter):
                await bot.send_message(99, "global limit")
            assert fake.http_429 == fake.violations == 2
        finally:
            await bot.shutdown()


async def test_violations_counted_without_limits() -> None:
    async with FakeTelegram(clock=ManualClock()) as fake:
        bot = make_bot(fake)
        await bot.initialize()
        try:
            for i in range(5):
                await bot.send_message(7, str(i))
        finally:
            await bot.shutdown()
        assert len(fake.messages_to(7)) == 5
        assert fake.violations == 2 and fake.http_429 == 0


async def test_blocked_chat_is_forbidden(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.block_chat(5)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(5, "hello")
    fake.unblock_chat(5)
    await bot.send_message(5, "hello")


async def test_migrated_chat(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.migrate_chat(-555, -1009876543210)
    with pytest.raises(ChatMigrated) as info:
        await bot.send_message(-555, "hello")
    assert info.value.new_chat_id == -1009876543210
    await bot.send_message(-1009876543210, "hello")


async def test_server_down_is_network_error(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.set_down(2)
    for _ in range(2):
        with pytest.raises(NetworkError, match=r"(?i)Bad Gateway"):
            await bot.send_message(1, "x")
    await bot.get_me()  # not a delivery method
    await bot.send_message(1, "x")
    assert len(fake.sent) == 1


async def test_fail_next(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.fail_next(
        "sendmessage",
        status=429,
        description="Too Many Requests: retry after 7",
        parameters={"retry_after": 7},
        chat_id=2,
    )
    await bot.send_message(1, "other chat unaffected")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(2, "x")
    assert retry_seconds(info.value) == 7
    await bot.send_message(2, "only once")
    assert fake.http_429 == 1 and fake.violations == 0


# ------------------------------------------------------------------------------------ updates


async def test_get_updates_long_poll_receives_pushed_text(bot: telegram.Bot, fake: FakeTelegram) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    assert not poll.done()  # really held open
    pushed = await fake.push_text(10, "/start", username="nva")
    updates = await poll
    assert loop.time() - started < 3
    assert [u.update_id for u in updates] == [pushed["update_id"]]
    message = updates[0].message
    assert message is not None and message.text == "/start"
    assert message.from_user is not None and message.from_user.username == "nva"
    assert message.entities[0].type == "bot_command"
    # not confirmed yet: delivered again; confirmed by offset: gone
    assert len(await bot.get_updates()) == 1
    assert await bot.get_updates(offset=pushed["update_id"] + 1) == ()
    assert fake.pending_updates == []


async def test_get_updates_times_out_empty(bot: telegram.Bot) -> None:
    assert await bot.get_updates(timeout=1) == ()


async def test_ptb_application_polling_end_to_end(fake: FakeTelegram) -> None:
    """The whole PTB stack (Updater + handlers) works against the fake."""
    from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler

    async def start(update: telegram.Update, context: Any) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(
            update.effective_chat.id, "Chào bạn", reply_markup=keyboard([("Tiếp", "next")])
        )

    async def pressed(update: telegram.Update, context: Any) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("đã nhận")
        await query.edit_message_text(f"Bạn chọn: {query.data}")

    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .get_updates_read_timeout(5)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            await fake.push_text(77, "/start")
            await fake.wait_for(lambda: len(fake.messages_to(77)) == 1)
            shown = fake.last_to(77)
            await fake.push_callback(77, "next", message_id=shown.message_id)
            await fake.wait_for(lambda: fake.message(77, shown.message_id)["text"] == "Bạn chọn: next")
            assert fake.callback_answers[0]["text"] == "đã nhận"
            assert "reply_markup" not in fake.message(77, shown.message_id)  # edit without markup drops it
        finally:
            await app.updater.stop()
            await app.stop()


# ------------------------------------------------------------------------------------ webhook


async def test_webhook_push_carries_secret(bot: telegram.Bot, fake: FakeTelegram) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def hook(request: web.Request) -> web.Response:
        secret = request.headers.get(SECRET_HEADER)
        received.append((secret, await request.json()))
        return web.Response(status=200 if secret == "s3cr3t_-X" else 403)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        await fake.push_text(3, "queued before the webhook")
        assert await bot.set_webhook(url, secret_token="s3cr3t_-X")
        assert fake.webhook == {
            "url": url,
            "secret_token": "s3cr3t_-X",
            "max_connections": 40,
            "allowed_updates": None,
        }
        await fake.wait_for(lambda: len(received) == 1)  # pending updates are flushed to the webhook
        assert received[0][1]["message"]["text"] == "queued before the webhook"

        pushed = await fake.push_text(3, "xin chào")
        assert pushed.webhook_status == 200
        assert received[-1] == ("s3cr3t_-X", dict(pushed))

        assert await fake.post_webhook(dict(pushed), "wrong") == 403
        assert await fake.post_webhook(dict(pushed), None) == 403
        assert received[-1][0] is None

        with pytest.raises(Conflict, match=r"(?i)webhook is active"):
            await bot.get_updates()
        info = await bot.get_webhook_info()
        assert info.url == url and info.pending_update_count == 0
        assert info.last_error_message is not None  # the bot answered 403 above

        with pytest.raises(BadRequest, match=r"(?i)secret token"):
            await bot.set_webhook(url, secret_token="bad secret!")
        assert await bot.delete_webhook()
        assert fake.webhook is None
        queued = await fake.push_text(3, "polling again")
        assert queued.webhook_status is None
        assert [u.update_id for u in await bot.get_updates()][-1] == queued["update_id"]
    finally:
        await runner.cleanup()


async def test_set_webhook_terminates_running_long_poll(bot: telegram.Bot, fake: FakeTelegram) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    async with httpx.AsyncClient() as client:
        resp = await client.post(f"{fake.api_url}/setWebhook", data={"url": "http://127.0.0.1:1/hook"})
    assert resp.json() == {"ok": True, "result": True, "description": "Webhook was set"}
    with pytest.raises(Conflict, match=r"(?i)terminated by setWebhook request"):
        await poll


async def test_webhook_retry_redelivers_per_chat_in_order_through_hosts(bot: telegram.Bot) -> None:
    """Like Telegram's WebhookActor: a failed update is sent again until a 2xx, the chat's later
    updates wait behind it, other chats go on; a public origin is reached through ``hosts``."""
    received: list[tuple[int, str]] = []
    failures = {"left": 2}
    gate = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        body = await request.json()
        chat, text = body["message"]["chat"]["id"], body["message"]["text"]
        received.append((chat, text))
        if chat == 1 and failures["left"] > 0:
            failures["left"] -= 1
            await gate.wait()
            return web.Response(status=502)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/tg/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    async with FakeTelegram(webhook_retry=0.01,
                            hosts={"https://bot.example.gov.vn": f"http://127.0.0.1:{runner.addresses[0][1]}"}) as fake:
        b = make_bot(fake)
        await b.initialize()
        try:
            assert await b.set_webhook("https://bot.example.gov.vn/tg/hook")
            first = asyncio.create_task(fake.push_text(1, "một"))
            second = asyncio.create_task(fake.push_text(1, "hai"))
            await fake.wait_for(lambda: received == [(1, "một")])
            other = await asyncio.wait_for(fake.push_text(2, "khác"), 5)  # chat 2 is not held up by chat 1
            assert other.webhook_status == 200 and not second.done()
            gate.set()
            assert [(await first).webhook_status, (await second).webhook_status] == [200, 200]
            assert [t for c, t in received if c == 1] == ["một", "một", "một", "hai"]
            assert [d.status for d in fake.webhook_deliveries if d.update_id == first.result()["update_id"]] == \
                [502, 502, 200]
        finally:
            await b.shutdown()
    await runner.cleanup()


async def test_hold_keeps_a_method_unanswered_until_released(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.hold("sendMessage")
    sending = asyncio.create_task(bot.send_message(5, "chờ"))
    await fake.wait_for(lambda: fake.requests["sendMessage"] == 1)
    await asyncio.sleep(0.1)
    assert not sending.done() and fake.messages_to(5) == []
    assert (await bot.get_me()).username  # other methods are answered meanwhile
    fake.release("sendMessage")
    assert (await sending).text == "chờ"


async def test_two_pollers_conflict_is_counted(bot: telegram.Bot, fake: FakeTelegram) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    async with httpx.AsyncClient() as client:  # another process with the same token
        second = asyncio.create_task(client.post(f"{fake.api_url}/getUpdates", data={"timeout": "1"}))
        with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates request"):
            await poll
        assert (await second).json() == {"ok": True, "result": []}
    assert fake.conflicts == 1


# ------------------------------------------------------------------------------- files, edits


async def test_send_document_get_file_download_roundtrip(bot: telegram.Bot, fake: FakeTelegram) -> None:
    content = "Báo cáo thi đua".encode() * 1000
    msg = await bot.send_document(
        9, document=content, filename="bao_cao.xlsx", caption="<i>Báo cáo</i>", parse_mode="HTML"
    )
    assert msg.document is not None and msg.document.file_name == "bao_cao.xlsx"
    assert msg.caption == "Báo cáo"
    sent = fake.last_to(9)
    assert sent.method == "sendDocument" and sent.document == ("bao_cao.xlsx", content)
    assert sent.text == "<i>Báo cáo</i>"

    file = await bot.get_file(msg.document.file_id)
    assert file.file_size == len(content)
    assert bytes(await file.download_as_bytearray()) == content

    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_document(9, document=b"x", filename="a.txt", caption="c" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_user_document_can_be_downloaded(bot: telegram.Bot, fake: FakeTelegram) -> None:
    pushed = await fake.push_document(11, "danh_sach.csv", "text/csv", b"a,b\n1,2\n", caption="đây")
    doc = pushed["message"]["document"]
    assert doc["file_name"] == "danh_sach.csv" and doc["mime_type"] == "text/csv"
    file = await bot.get_file(doc["file_id"])
    assert bytes(await file.download_as_bytearray()) == b"a,b\n1,2\n"

    photo = await fake.push_photo(11, b"\xff\xd8jpeg", caption="ảnh")
    largest = photo["message"]["photo"][-1]
    assert bytes(await (await bot.get_file(largest["file_id"])).download_as_bytearray()) == b"\xff\xd8jpeg"


async def test_edit_message_text(bot: telegram.Bot, fake: FakeTelegram) -> None:
    markup = keyboard([("A", "a")])
    msg = await bot.send_message(4, "<b>v1</b>", parse_mode="HTML", reply_markup=markup)
    edited = await bot.edit_message_text(
        "<b>v2</b>", chat_id=4, message_id=msg.message_id, parse_mode="HTML", reply_markup=markup
    )
    assert isinstance(edited, telegram.Message)
    assert edited.text == "v2" and edited.edit_date is not None and edited.reply_markup == markup
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "<b>v2</b>", chat_id=4, message_id=msg.message_id, parse_mode="HTML", reply_markup=markup
        )
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=4, message_id=999)
    await bot.edit_message_reply_markup(
        chat_id=4, message_id=msg.message_id, reply_markup=keyboard([("B", "b")])
    )
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=4, message_id=msg.message_id, reply_markup=keyboard([("B", "b")])
        )

    assert [s.method for s in fake.sent] == ["sendMessage", "editMessageText", "editMessageReplyMarkup"]
    assert len(fake.messages_to(4)) == 1  # edits are not new messages
    assert fake.edits_of(4, msg.message_id)[0].plain == "v2"
    assert fake.buttons(fake.message(4, msg.message_id) or {}) == [("B", "b")]


async def test_callback_query_answer(bot: telegram.Bot, fake: FakeTelegram) -> None:
    msg = await bot.send_message(6, "chọn", reply_markup=keyboard([("Có", "yes")]))
    pushed = await fake.push_callback(6, "yes", message_id=msg.message_id)
    query = pushed["callback_query"]
    assert query["message"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"
    assert telegram.Update.de_json(dict(pushed), bot).callback_query.message.message_id == msg.message_id
    assert await bot.answer_callback_query(query["id"], text="ok")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query["id"])
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("12345")
    assert fake.callback_answers[0]["text"] == "ok"
    with pytest.raises(LookupError):
        await fake.push_callback(6, "yes", message_id=999)


async def test_misc_methods(bot: telegram.Bot, fake: FakeTelegram) -> None:
    assert await bot.send_chat_action(1, "typing")
    assert fake.chat_actions == [(1, "typing")]
    assert await bot.set_my_commands([("start", "Bắt đầu"), ("help", "Trợ giúp")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest):
        await bot.set_my_commands([("Bad-Command", "x")])
    chat = await bot.get_chat(-100123)
    assert chat.id == -100123 and chat.type == "supergroup"


# ----------------------------------------------------------------------------------- raw HTTP


async def test_raw_http_wire_format(fake: FakeTelegram) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{fake.root}/bot999:WRONG/getMe") as resp:
            assert resp.status == 401
            assert await resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        async with http.post(f"{fake.api_url}/noSuchMethod") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        # case-insensitive method names, params from the query string
        async with http.get(f"{fake.api_url}/SENDMESSAGE", params={"chat_id": "5", "text": "hi"}) as resp:
            body = await resp.json()
            assert resp.status == 200 and body["ok"] and body["result"]["text"] == "hi"
        # JSON body with a nested object (not a JSON string)
        payload = {
            "chat_id": 5,
            "text": "json",
            "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]},
        }
        async with http.post(f"{fake.api_url}/sendMessage", json=payload) as resp:
            assert (await resp.json())["result"]["reply_markup"] == payload["reply_markup"]
        # urlencoded body with the markup JSON-encoded, as PTB does
        form = {"chat_id": "5", "text": "form", "reply_markup": json.dumps(payload["reply_markup"])}
        async with http.post(f"{fake.api_url}/sendMessage", data=form) as resp:
            assert (await resp.json())["result"]["reply_markup"] == payload["reply_markup"]
        # multipart upload
        data = aiohttp.FormData()
        data.add_field("chat_id", "5")
        data.add_field("document", b"%PDF", filename="qd.pdf", content_type="application/pdf")
        async with http.post(f"{fake.api_url}/sendDocument", data=data) as resp:
            doc = (await resp.json())["result"]["document"]
            assert doc["mime_type"] == "application/pdf"
        async with http.post(f"{fake.api_url}/sendMessage", data={"chat_id": "5"}) as resp:
            assert resp.status == 400
            assert await resp.json() == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: message text is empty",
            }
        async with http.get(f"{fake.root}/file/bot{fake.token}/documents/missing.pdf") as resp:
            assert resp.status == 404
    assert fake.requests["sendMessage"] == 4 and fake.requests["noSuchMethod"] == 1
    assert [m.text for m in fake.messages_to(5)] == ["hi", "json", "form", None]
    assert isinstance(fake.sent[1], SentMessage) and fake.sent[2].reply_markup == payload["reply_markup"]


async def test_wait_for_timeout_dumps_state(fake: FakeTelegram) -> None:
    with pytest.raises(AssertionError, match=r"(?i)condition not met") as info:
        await fake.wait_for(lambda: False, timeout=0.05)
    assert "requests:" in str(info.value)


async def test_latency_is_applied() -> None:
    async with FakeTelegram(latency=0.2) as fake:
        bot = make_bot(fake)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await bot.initialize()  # getMe
        assert loop.time() - started >= 0.2
        await bot.shutdown()
