"""The fake Zalo OA itself: the wire shapes and refusals the adapter is tested against."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from tests.fakes.zalo_oa_api import FakeZaloOA

USER = "6100000000000000001"


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeZaloOA, aiohttp.ClientSession, str]]:
    async with FakeZaloOA() as f, aiohttp.ClientSession() as s:
        f.user(USER)
        form = {"refresh_token": f.refresh_token, "app_id": f.app_id, "grant_type": "refresh_token"}
        async with s.post(f"{f.oauth_base_url}/v4/oa/access_token", data=form,
                          headers={"secret_key": f.app_secret}) as r:
            token = (await r.json())["access_token"]
        yield f, s, token


async def _post(s: aiohttp.ClientSession, url: str, token: str, **kw: object) -> dict:  # type: ignore[type-arg]
    async with s.post(url, headers={"access_token": token}, **kw) as r:  # type: ignore[arg-type]
        assert r.status == 200  # errors too come as HTTP 200
        return await r.json()  # type: ignore[no-any-return]


async def test_oauth_needs_the_secret_key_header(fake) -> None:  # type: ignore[no-untyped-def]
    f, s, _ = fake
    async with s.post(f"{f.oauth_base_url}/v4/oa/access_token",
                      data={"refresh_token": f.refresh_token, "app_id": f.app_id, "grant_type": "refresh_token"}) as r:
        assert (await r.json())["error"] < 0


async def test_cs_shapes_are_checked(fake) -> None:  # type: ignore[no-untyped-def]
    f, s, token = fake
    url = f"{f.api_base_url}/v3.0/oa/message/cs"
    six = [{"title": str(i), "type": "oa.query.hide", "payload": str(i)} for i in range(6)]
    body = {"recipient": {"user_id": USER}, "message": {"text": "x", "attachment": {
        "type": "template", "payload": {"buttons": six}}}}
    assert (await _post(s, url, token, json=body))["error"] == -201
    body["message"]["attachment"]["payload"]["buttons"] = [{"title": "a", "type": "oa.bogus", "payload": "x"}]  # type: ignore[index]
    assert (await _post(s, url, token, json=body))["error"] == -201
    ok = await _post(s, url, token, json={"recipient": {"user_id": USER}, "message": {"text": "xin chào"}})
    assert ok["error"] == 0 and ok["data"]["message_id"] and ok["data"]["quota"]["quota_type"] == "reply"
    f.user(USER, days_ago=8)
    assert (await _post(s, url, token, json={"recipient": {"user_id": USER}, "message": {"text": "x"}}))["error"] == -230


async def test_uploads_limits_and_templates(fake) -> None:  # type: ignore[no-untyped-def]
    f, s, token = fake
    form = aiohttp.FormData()
    form.add_field("file", b"0" * (5 * 1024 * 1024 + 1), filename="big.pdf", content_type="application/pdf")
    assert (await _post(s, f"{f.api_base_url}/v2.0/oa/upload/file", token, data=form))["error"] == -210
    form = aiohttp.FormData()
    form.add_field("file", b"%PDF", filename="ok.pdf", content_type="application/pdf")
    assert (await _post(s, f"{f.api_base_url}/v2.0/oa/upload/file", token, data=form))["data"]["token"]
    phone = {"phone": "0912345678", "template_id": "1", "template_data": {}, "tracking_id": "t"}
    assert (await _post(s, f"{f.business_base_url}/message/template", token, json=phone))["error"] == -108
    phone["phone"] = "84912345678"
    assert (await _post(s, f"{f.business_base_url}/message/template", token, json=phone))["error"] == -131
    assert (await _post(s, f"{f.api_base_url}/v3.0/oa/message/transaction", token, json={}))["error"] == -240
    quota = await _post(s, f"{f.api_base_url}/v3.0/oa/quota/message", token, json={"user_id": USER})
    assert int(quota["data"]["last_interaction"]) > 0


async def test_webhook_is_retried_with_num_retry_until_200(fake) -> None:  # type: ignore[no-untyped-def]
    f, _s, _ = fake
    f.retry_delays = (0.05, 0.05)
    seen: list[tuple[str, str]] = []

    async def flaky(request: web.Request) -> web.Response:
        seen.append((request.headers.get("num_retry", "0"), request.headers["X-ZEvent-Signature"]))
        return web.Response(status=500 if len(seen) < 3 else 200)

    app = web.Application()
    app.router.add_post("/hook", flaky)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        f.webhook_url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/hook"  # type: ignore[union-attr]
        await f.push_text(USER, "xin chào")
        assert [n for n, _ in seen] == ["0", "1", "2"] and all(sig.startswith("mac=") for _, sig in seen)
    finally:
        await runner.cleanup()
