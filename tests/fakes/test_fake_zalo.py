"""The fake Zalo Bot API speaks the documented wire format to a plain aiohttp client.

These tests pin the fake itself, so adapter tests can trust it: if the fake
drifts from ZALO.md, the adapter would be tested against fiction.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import helpers as aiohttp_helpers
from aiohttp import web

from tests.fakes.zalo_api import SECRET_HEADER, FakeZalo

HEX20 = re.compile(r"^[0-9a-f]{20}$")
SECRET = "s3cret-webhook-token"


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession, zalo: FakeZalo, method: str, token: str | None = None, **params: Any
) -> tuple[int, dict[str, Any]]:
    async with http.post(zalo.url(method, token), json=params) as resp:
        return resp.status, await resp.json()


@dataclass
class Receiver:
    """A minimal webhook endpoint that checks the secret the way the real adapter must."""

    secret: str
    received: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        if request.headers.get(SECRET_HEADER) != self.secret:
            return web.json_response({"message": "Unauthorized"}, status=403)
        self.received.append((dict(request.headers), await request.json()))
        return web.json_response({"message": "Success"})


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver(secret=SECRET)
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    rec.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield rec
    await runner.cleanup()


# ---------------------------------------------------------------- basics


async def test_get_me_via_get_and_post(zalo: FakeZalo, http: aiohttp.ClientSession) -> None:
    async with http.get(zalo.url("getMe")) as resp:
        assert resp.status == 200
        body = await resp.json()
    assert body["ok"] is True
    me = body["result"]
    assert me["id"] == "12345689"
    assert me["account_type"] == "BASIC"
    assert me["can_join_groups"] is False
    assert {"account_name", "display_name"} <= me.keys()

    status, body2 = await call(http, zalo, "getMe")
    assert (status, body2) == (200, body)
    assert zalo.requests["getMe"] == 2


async def test_bad_token_and_revoked_token_are_401(zalo: FakeZalo, http: aiohttp.ClientSession) -> None:
    status, body = await call(http, zalo, "getMe", token="999:wrong")
    assert status == 401
    assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}

    zalo.revoke_token()
    status, body = await call(http, zalo, "getMe")
    assert (status, body["error_code"]) == (401, 401)


async def test_unknown_or_miscased_method_is_400(zalo: FakeZalo, http: aiohttp.ClientSession) -> None:
    for method in ("sendmessage", "getMEE", "editMessageText"):
        status, body = await call(http, zalo, method, chat_id="u1", text="x")
        assert status == 400
        assert body["ok"] is False and body["error_code"] == 400
    async with http.get(f"{zalo.base_url}/nothing/here") as resp:
        assert resp.status == 400


# ---------------------------------------------------------------- sending


async def test_send_to_chat_that_wrote_first(zalo: FakeZalo, http: aiohttp.ClientSession) -> None:
    await zalo.push_text("u1", "/start ABC")
    await zalo.push_text("u2", "xin chào")
    await zalo.push_text("u3", "hi")

    status, body = await call(http, zalo, "sendMessage", chat_id="u1", text="Chào anh", parse_mode="markdown")
    assert status == 200 and body["ok"] is True
    assert HEX20.match(body["result"]["message_id"])
    assert isinstance(body["result"]["date"], int)
    assert abs(body["result"]["date"] - time.time() * 1000) < 5000

    # Form and query parameters are accepted too.
    async with http.post(zalo.url("sendMessage"), data={"chat_id": "u2", "text": "qua form"}) as resp:
        assert resp.status == 200
    async with http.get(zalo.url("sendMessage"), params={"chat_id": "u3", "text": "qua query"}) as resp:
        assert resp.status == 200

    [sent] = zalo.messages_to("u1")
    assert (sent.method, sent.text, sent.parse_mode) == ("sendMessage", "Chào anh", "markdown")
    assert sent.message_id == body["result"]["message_id"]
    assert zalo.messages_to("u2")[0].text == "qua form"
    assert zalo.messages_to("u3")[0].text == "qua query"


async def test_send_to_chat_that_never_wrote_is_400(zalo: FakeZalo, http: aiohttp.ClientSession) -> None:
    status, body = await call(http, zalo, "sendMessage", chat_id="stranger", text="hello")
    assert status == 400
    assert body["ok"] is False and body["error_code"] == 400 and body["description"]
    assert zalo.sent == []


async def test_prior_message_rule_can_be_disabled(http: aiohttp.ClientSession) -> None:
    async with FakeZalo(require_prior_message=False) as zalo:
        status, _ = await call(http, zalo, "sendMessage", chat_id="anyone", text="hello")
        assert status == 200


async def test_text_length_limits(zalo: FakeZalo, http: aiohttp.ClientSession) -> None:
    await zalo.push_text("u1", "hi")
    status, body = await call(http, zalo, "sendMessage", chat_id="u1", text="ạ" * 2001)
    assert (status, body["ok"]) == (400, False)
    status, _ = await call(http, zalo, "sendMessage", chat_id="u1", text="")
    assert status == 400
    status, _ = await call(http, zalo, "sendMessage", chat_id="u1", text="ạ" * 2000)
    assert status == 200
    assert len(zalo.messages_to("u1")) == 1


async def test_send_photo_and_chat_action(zalo: FakeZalo, http: aiohttp.ClientSession) -> None:
    await zalo.push_text("u1", "hi")
    status, body = await call(
        http, zalo, "sendPhoto", chat_id="u1", photo="https://example.org/a.png", caption="Ảnh"
    )
    assert status == 200 and HEX20.match(body["result"]["message_id"])
    status, _ = await call(http, zalo, "sendPhoto", chat_id="u1", photo="file:///etc/passwd")
    assert status == 400
    status, _ = await call(
        http, zalo, "sendPhoto", chat_id="u1", photo="https://example.org/a.png", caption="x" * 2001
    )
    assert status == 400

    status, body = await call(http, zalo, "sendChatAction", chat_id="u1", action="typing")
    assert (status, body) == (200, {"ok": True})

    [photo] = zalo.messages_to("u1")  # the chat action is not a message
    assert (photo.photo, photo.text) == ("https://example.org/a.png", "Ảnh")
    assert [s.method for s in zalo.sent] == ["sendPhoto", "sendChatAction"]


# ---------------------------------------------------------------- polling


async def test_polling_returns_one_update_then_408(zalo: FakeZalo, http: aiohttp.ClientSession) -> None:
    first = await zalo.push_text("u1", "một")
    await zalo.push_image("u1", "https://example.org/p.jpg", field="photo_url", caption="ảnh")

    status, body = await call(http, zalo, "getUpdates", timeout="1")
    assert status == 200 and body["ok"] is True
    assert body["result"] == first  # one object, not an array
    msg = body["result"]["message"]
    assert body["result"]["event_name"] == "message.text.received"
    assert msg["from"] == {"id": "u1", "display_name": "Nguyễn Văn A", "is_bot": False}
    assert msg["chat"] == {"id": "u1", "chat_type": "PRIVATE"}
    assert msg["text"] == "một" and HEX20.match(msg["message_id"]) and isinstance(msg["date"], int)

    status, body = await call(http, zalo, "getUpdates", timeout="1")
    assert body["result"]["event_name"] == "message.image.received"
    assert body["result"]["message"]["photo_url"] == "https://example.org/p.jpg"

    started = time.monotonic()
    status, body = await call(http, zalo, "getUpdates", timeout="0.3")
    elapsed = time.monotonic() - started
    assert body == {"ok": False, "error_code": 408, "description": "Request timeout"}
    assert status == 408
    assert 0.25 <= elapsed < 2.0


async def test_held_poll_is_released_by_a_new_update(zalo: FakeZalo, http: aiohttp.ClientSession) -> None:
    poll = asyncio.create_task(call(http, zalo, "getUpdates", timeout="5"))
    await asyncio.sleep(0.1)
    assert not poll.done()
    started = time.monotonic()
    await zalo.push_sticker("u9")
    _status, body = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 1.0
    assert body["result"]["event_name"] == "message.sticker.received"
    assert body["result"]["message"]["sticker"]


# ---------------------------------------------------------------- webhook


async def test_webhook_push_carries_secret_and_both_envelopes(
    zalo: FakeZalo, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    status, body = await call(http, zalo, "setWebhook", url=receiver.url, secret_token=SECRET)
    assert status == 200 and body["result"]["url"] == receiver.url
    assert isinstance(body["result"]["updated_at"], int)

    wrapped = await zalo.push_text("u1", "bọc")
    assert zalo.last_delivery_status == 200
    bare = await zalo.push_unsupported("u1", wrapped=False)
    assert zalo.last_delivery_status == 200
    assert zalo.pending_updates == 0

    (headers1, body1), (headers2, body2) = receiver.received
    assert headers1[SECRET_HEADER] == SECRET == headers2[SECRET_HEADER]
    assert headers1["Content-Type"].startswith("application/json")
    assert body1 == {"ok": True, "result": wrapped}
    assert body2 == bare and set(bare) == {"event_name", "message"}
    assert bare["event_name"] == "message.unsupported.received"
    assert "text" not in bare["message"]

    # A redelivery is the very same event, so the adapter can dedupe it.
    assert await zalo.redeliver(wrapped) == 200
    assert receiver.received[-1][1]["result"]["message"]["message_id"] == wrapped["message"]["message_id"]

    # Forged requests: wrong or missing secret.
    assert await zalo.post_webhook({"ok": True, "result": wrapped}, "wrong-secret") == 403
    assert await zalo.post_webhook({"ok": True, "result": wrapped}, None) == 403
    assert len(receiver.received) == 3


async def test_webhook_management(zalo: FakeZalo, http: aiohttp.ClientSession, receiver: Receiver) -> None:
    status, body = await call(http, zalo, "getWebhookInfo")
    assert (status, body["error_code"]) == (404, 404)

    for url, secret in [
        ("http://example.org/hook", SECRET),  # plain http off-box
        ("not a url", SECRET),
        (receiver.url, "short"),
        (receiver.url, "x" * 257),
    ]:
        status, body = await call(http, zalo, "setWebhook", url=url, secret_token=secret)
        assert (status, body["ok"]) == (400, False), url
    status, _ = await call(
        http, zalo, "setWebhook", url="https://bot.example.vn/zalo", secret_token="x" * 256
    )
    assert status == 200

    await call(http, zalo, "setWebhook", url=receiver.url, secret_token=SECRET)
    status, body = await call(http, zalo, "getWebhookInfo")
    assert status == 200 and body["result"]["url"] == receiver.url

    status, body = await call(http, zalo, "getUpdates", timeout="0")
    assert (status, body["ok"]) == (400, False)  # polling and webhook are exclusive

    status, body = await call(http, zalo, "deleteWebhook")
    assert status == 200 and body["result"]["url"] == ""
    status, _ = await call(http, zalo, "getWebhookInfo")
    assert status == 404

    # Back to polling: pushes queue again and redeliver re-queues.
    update = await zalo.push_text("u1", "lại")
    assert await zalo.redeliver(update) is None
    assert zalo.pending_updates == 2


# ---------------------------------------------------------------- fault injection


async def test_fail_next_targets_method_and_chat(zalo: FakeZalo, http: aiohttp.ClientSession) -> None:
    await zalo.push_text("u1", "hi")
    await zalo.push_text("u2", "hi")
    zalo.fail_next("sendMessage", error_code=403, description="Internal server error", chat_id="u2", times=2)

    status, _ = await call(http, zalo, "sendMessage", chat_id="u1", text="a")
    assert status == 200
    for _ in range(2):
        status, body = await call(http, zalo, "sendMessage", chat_id="u2", text="b")
        assert status == 403
        assert body == {"ok": False, "error_code": 403, "description": "Internal server error"}
    status, _ = await call(http, zalo, "sendMessage", chat_id="u2", text="c")
    assert status == 200
    assert [s.text for s in zalo.sent] == ["a", "c"]

    zalo.fail_next("getMe", error_code=-1, description="odd", http_status=200)
    status, body = await call(http, zalo, "getMe")
    assert (status, body["ok"], body["error_code"]) == (200, False, -1)


async def test_rate_limit_429(http: aiohttp.ClientSession) -> None:
    async with FakeZalo(rate_per_second=3) as zalo:
        await zalo.push_text("u1", "hi")
        results = await asyncio.gather(
            *(call(http, zalo, "sendMessage", chat_id="u1", text=str(i)) for i in range(5))
        )
        statuses = sorted(status for status, _ in results)
        assert statuses == [200, 200, 200, 429, 429]
        limited = [body for status, body in results if status == 429]
        assert limited[0] == {"ok": False, "error_code": 429, "description": "Quota exceeded"}
        assert zalo.http_429 == 2
        assert len(zalo.sent) == 3

        await asyncio.sleep(1.05)
        status, _ = await call(http, zalo, "sendMessage", chat_id="u1", text="later")
        assert status == 200


async def test_set_down_answers_html_then_json_502(zalo: FakeZalo, http: aiohttp.ClientSession) -> None:
    zalo.set_down(2)
    async with http.post(zalo.url("getMe"), json={}) as resp:
        assert resp.status == 502
        assert resp.content_type == "text/html"
    async with http.post(zalo.url("getMe"), json={}) as resp:
        assert resp.status == 502
        assert (await resp.json())["error_code"] == 502
    status, _ = await call(http, zalo, "getMe")
    assert status == 200


async def test_duplicate_server_headers(http: aiohttp.ClientSession) -> None:
    """Zalo's edge repeats ``Server``; aiohttp tolerates it except in dev/debug mode (ZALO.md §3)."""
    async with FakeZalo(duplicate_server_header=True) as zalo:
        if aiohttp_helpers.DEBUG:
            with pytest.raises(aiohttp.ClientResponseError):
                await call(http, zalo, "getMe")
            return
        async with http.get(zalo.url("getMe")) as resp:
            assert resp.status == 200
            assert resp.headers.getall("Server") == ["nginx", "ZaloEdge"]


async def test_latency_is_applied(http: aiohttp.ClientSession) -> None:
    async with FakeZalo(latency=0.2) as zalo:
        started = time.monotonic()
        await call(http, zalo, "getMe")
        assert time.monotonic() - started >= 0.2


async def test_wait_for_returns_value_or_dumps(zalo: FakeZalo, http: aiohttp.ClientSession) -> None:
    await zalo.push_text("u1", "hi")

    async def reply_later() -> None:
        await asyncio.sleep(0.05)
        await call(http, zalo, "sendMessage", chat_id="u1", text="xong")

    task = asyncio.create_task(reply_later())
    got = await zalo.wait_for(lambda: zalo.messages_to("u1"), timeout=2)
    await task
    assert got[0].text == "xong"

    with pytest.raises(AssertionError, match="sendMessage -> u1: 'xong'"):
        await zalo.wait_for(lambda: len(zalo.sent) > 5, timeout=0.05)


async def test_stop_releases_a_held_poll(http: aiohttp.ClientSession) -> None:
    zalo = FakeZalo()
    await zalo.start()
    poll = asyncio.create_task(call(http, zalo, "getUpdates", timeout="30"))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await zalo.stop()
    assert time.monotonic() - started < 1.0
    status, _ = await asyncio.wait_for(poll, 1)
    assert status == 408
