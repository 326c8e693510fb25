"""AiohttpRequest (PTB's networking on aiohttp) against a small real HTTP server.

The whole-bot tests already send messages, documents and long-poll through it against the
fake Bot API; these pin what the fake never does: a slow server, a closed port, an error
answer passed through to PTB's own exception mapping, the exact form fields on the wire.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.channels.telegram_http import AiohttpRequest

TOKEN = "123:abc"


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    async def method(request: web.Request) -> web.Response:
        name = request.match_info["method"]
        form = await request.post()
        fields = {k: (v.filename, v.file.read()) if isinstance(v, web.FileField) else v for k, v in form.items()}
        seen.append({"method": name, "content_type": request.content_type, **fields})
        if name == "slow":
            await asyncio.sleep(2)
        if name == "sendMessage" and fields.get("text") == "bad":
            return web.json_response({"ok": False, "error_code": 400,
                                      "description": "Bad Request: message text is empty"}, status=400)
        if name == "getMe":
            return web.json_response({"ok": True, "result": {"id": 123, "is_bot": True, "first_name": "B",
                                                             "username": "b_bot"}})
        return web.json_response({"ok": True, "result": {
            "message_id": 7, "date": 0, "chat": {"id": int(str(fields.get("chat_id", 1))), "type": "private"}}})

    app = web.Application()
    app.router.add_post(f"/bot{TOKEN}/{{method}}", method)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/bot", seen
    await runner.cleanup()


def bot_at(base: str, **kwargs: Any) -> Bot:
    request = AiohttpRequest(connection_pool_size=4, **kwargs)
    return Bot(TOKEN, base_url=base, request=request, get_updates_request=AiohttpRequest())


async def test_message_goes_out_as_form_fields_and_the_answer_comes_back(server) -> None:  # type: ignore[no-untyped-def]
    base, seen = server
    async with bot_at(base) as bot:
        msg = await bot.send_message(42, "Câu 1/35. Tổng số CBCC?", parse_mode="HTML")
    assert msg.message_id == 7 and msg.chat.id == 42
    sent = next(s for s in seen if s["method"] == "sendMessage")
    assert sent["content_type"] == "application/x-www-form-urlencoded"
    assert sent["chat_id"] == "42" and sent["text"] == "Câu 1/35. Tổng số CBCC?" and sent["parse_mode"] == "HTML"


async def test_document_goes_out_as_multipart_with_the_file(server) -> None:  # type: ignore[no-untyped-def]
    base, seen = server
    async with bot_at(base) as bot:
        await bot.send_document(42, document=b"%PDF-1.4 bao cao", filename="bao-cao.pdf", caption="Báo cáo")
    sent = next(s for s in seen if s["method"] == "sendDocument")
    assert sent["content_type"] == "multipart/form-data"
    assert sent["caption"] == "Báo cáo"
    assert ("bao-cao.pdf", b"%PDF-1.4 bao cao") in [v for v in sent.values() if isinstance(v, tuple)]


async def test_telegram_error_answer_reaches_ptbs_own_mapping(server) -> None:  # type: ignore[no-untyped-def]
    base, _ = server
    async with bot_at(base) as bot:
        with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
            await bot.send_message(42, "bad")


async def test_slow_server_is_a_timeout(server) -> None:  # type: ignore[no-untyped-def]
    base, _ = server
    async with bot_at(base, read_timeout=0.2) as bot:
        with pytest.raises(TimedOut):
            await bot.do_api_request("slow")


async def test_closed_port_is_a_network_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nobody listens once the socket is closed
    bot = bot_at(f"http://127.0.0.1:{port}/bot")
    await bot.request.initialize()  # Bot.initialize would call getMe, which is what fails here
    try:
        with pytest.raises(NetworkError) as info:
            await bot.send_message(42, "x")
        assert not isinstance(info.value, TimedOut)
    finally:
        await bot.request.shutdown()


async def test_unopened_request_refuses_clearly() -> None:
    with pytest.raises(RuntimeError, match="not initialized"):
        await AiohttpRequest().do_request("http://127.0.0.1:9/x", "POST")
