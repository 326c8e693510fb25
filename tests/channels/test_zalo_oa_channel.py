"""The Zalo OA adapter against the fake OA platform: tokens, rendering, buttons, webhook."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web

from bot.channels.zalo_oa import ZaloOaChannel
from bot.core import (
    Address,
    Attachment,
    Choice,
    FixedClock,
    Inbound,
    InboundKind,
    InvalidMessage,
    Outbound,
    OutsideWindow,
    Part,
    RateLimited,
    RecipientBlocked,
    TemplateRequest,
)
from bot.services.zalo_oa import OaTokenStore
from storage.db import create_engine, is_sqlite, session_factory
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory
from tests.fakes.zalo_oa_api import FakeZaloOA

USER = "5100000000000000001"


def _channel(fake: FakeZaloOA, store: OaTokenStore, clock: FixedClock, **kw: object) -> ZaloOaChannel:
    return ZaloOaChannel(app_id=fake.app_id, app_secret=fake.app_secret, secret_key=fake.oa_secret_key,
                         tokens=store, api_base_url=fake.api_base_url, oauth_base_url=fake.oauth_base_url,
                         business_base_url=fake.business_base_url, clock=clock, part_delay=0.0,
                         **kw)  # type: ignore[arg-type]


async def _noop(_inbound: Inbound) -> None:
    return None


@pytest.fixture
async def fake() -> AsyncIterator[FakeZaloOA]:
    async with FakeZaloOA() as f:
        f.user(USER)
        yield f


async def test_token_refresh_under_two_concurrent_senders_happens_once(db_url: str, clock: FixedClock) -> None:
    """Two processes (each its own engine, store and channel) and two senders in each find the
    token due for refresh at once: Zalo sees one refresh, and every message goes out."""
    async with FakeZaloOA(refresh_delay=0.3) as fake:
        fake.user(USER)
        engines = [create_engine(db_url), create_engine(db_url)]
        try:
            await upgrade(engines[0])
            stores = [OaTokenStore(UnitOfWorkFactory(session_factory(e)), clock, fake.app_id, fake.refresh_token,
                                   row_lock=not is_sqlite(db_url)) for e in engines]
            channels = [_channel(fake, s, clock) for s in stores]
            for ch in channels:
                await ch.start(_noop, receive=False)
            assert fake.refreshes == 1  # the first token, once, by whichever started first
            clock.advance(hours=21)  # 4 h left of the 25: inside the refresh margin of both
            ids = await asyncio.gather(*(ch.send_part(Address("zalo_oa", USER), Part(text=f"tin {i}"))
                                         for i, ch in enumerate(channels * 2)))
            assert all(ids) and len(fake.messages_to(USER)) == 4
            assert fake.refreshes == 2
            if not is_sqlite(db_url):  # the row lock: the second process never even asks
                assert fake.requests["oauth"] == 2
            else:  # one connection per process: the loser's refused tries (its stale token, then
                # ZALO_OA_REFRESH_TOKEN in case the operator renewed it) end in the winner's pair
                assert fake.requests["oauth"] <= 4
            pair = await stores[0].current()
            assert pair is not None and pair.refresh_token == fake.refresh_token  # the live one is stored
            for ch in channels:
                await ch.stop()
        finally:
            for e in engines:
                await e.dispose()


async def test_concurrent_senders_of_one_process_refresh_once(sqlite_url: str, clock: FixedClock) -> None:
    async with FakeZaloOA(refresh_delay=0.2) as fake:
        fake.user(USER)
        engine = create_engine(sqlite_url)
        try:
            store = OaTokenStore(UnitOfWorkFactory(session_factory(engine)), clock, fake.app_id, fake.refresh_token)
            ch = _channel(fake, store, clock)
            await ch.start(_noop, receive=False)
            clock.advance(hours=21)
            await asyncio.gather(*(ch.send_part(Address("zalo_oa", USER), Part(text=f"{i}")) for i in range(5)))
            assert fake.requests["oauth"] == 2 and fake.refreshes == 2 and store.refreshes == 2
            await ch.stop()
        finally:
            await engine.dispose()


class _MemoryTokens:
    """A token store for adapter tests that need no database (same contract, one process)."""

    def __init__(self, first: str) -> None:
        self.first = first
        self.pair = None
        self.lock = asyncio.Lock()

    async def current(self):  # type: ignore[no-untyped-def]
        return self.pair

    async def rotate(self, stale, fresh_until, refresh):  # type: ignore[no-untyped-def]
        async with self.lock:
            if self.pair is not None and self.pair.access_token != stale and self.pair.expires_at > fresh_until:
                return self.pair
            self.pair = await refresh(self.pair.refresh_token if self.pair else self.first)
            return self.pair


@pytest.fixture
async def channel(fake: FakeZaloOA, clock: FixedClock) -> AsyncIterator[ZaloOaChannel]:
    ch = _channel(fake, _MemoryTokens(fake.refresh_token), clock)  # type: ignore[arg-type]
    await ch.start(_noop, receive=False)
    yield ch
    await ch.stop()


def test_render_real_buttons_up_to_five_numbered_list_beyond(channel: ZaloOaChannel) -> None:
    five = tuple((Choice(f"Mục {i}", f"p:{i}"),) for i in range(5))
    parts = channel.render(Outbound(text="**Chọn** một mục", choices=five))
    assert len(parts) == 1 and parts[0].text == "Chọn một mục" and len(parts[0].choices) == 5
    six = tuple((Choice(f"Mục {i}", f"p:{i}"),) for i in range(6))
    parts = channel.render(Outbound(text="Chọn", choices=six))
    assert "1. Mục 0" in parts[-1].text and "6. Mục 5" in parts[-1].text


def test_render_splits_at_2000_and_puts_buttons_on_the_last_part(channel: ZaloOaChannel) -> None:
    text = "\n\n".join(f"Đoạn {i}: " + "chữ " * 60 for i in range(40))
    parts = channel.render(Outbound(text=text, choices=((Choice("Đã nhận", "ack:1"),),)))
    assert len(parts) > 1 and all(len(p.text) <= 2000 for p in parts)
    assert not any(p.choices for p in parts[:-1]) and parts[-1].choices


def test_render_documents_as_files_up_to_5_mb_else_a_link(fake: FakeZaloOA, clock: FixedClock) -> None:
    ch = _channel(fake, _MemoryTokens(""), clock, link_for=lambda a: f"https://bot.example/f/{a.name}")  # type: ignore[arg-type]
    small = Attachment("ke-hoach.pdf", "application/pdf", 10, content=b"%PDF-1.4 x")
    big = Attachment("phu-luc.pdf", "application/pdf", 6 * 1024 * 1024, content=b"0" * (6 * 1024 * 1024))
    parts = ch.render(Outbound(text="Kế hoạch", documents=(small, big), choices=((Choice("Đã nhận", "ack:1"),),)))
    assert parts[0].text.startswith("Kế hoạch") and "https://bot.example/f/phu-luc.pdf" in parts[0].text
    assert parts[1].document == small
    assert parts[-1].choices and parts[-1].document is None


async def test_consultation_with_buttons_and_a_file_reach_the_platform(channel: ZaloOaChannel,
                                                                      fake: FakeZaloOA) -> None:
    addr = Address("zalo_oa", USER)
    doc = Attachment("bc.pdf", "application/pdf", 8, content=b"%PDF-1.4")
    await channel.send(addr, Outbound(text="Báo cáo", documents=(doc,),
                                      choices=((Choice("Gửi", "bc:submit:1"), Choice("Sửa", "bc:edit:1")),)))
    sent = fake.messages_to(USER)
    assert sent[0].text == "Báo cáo" and sent[1].file_token in fake.uploads
    assert sent[2].buttons == (("Gửi", "oa.query.hide", "bc:submit:1"), ("Sửa", "oa.query.hide", "bc:edit:1"))


async def test_errors_are_classified(channel: ZaloOaChannel, fake: FakeZaloOA) -> None:
    addr = Address("zalo_oa", USER)
    fake.user(USER, days_ago=8)
    with pytest.raises(OutsideWindow):
        await channel.send_part(addr, Part(text="x"))
    fake.user(USER, follower=False)
    with pytest.raises(OutsideWindow):
        await channel.send_part(addr, Part(text="x"))
    fake.user(USER)
    with pytest.raises(InvalidMessage):
        await channel.send_part(addr, Part(text="x" * 2001))
    fake.fail_next["cs"] = deque([-32])  # last: the pacer now pauses every sender a few seconds
    with pytest.raises(RateLimited):
        await channel.send_part(addr, Part(text="x"))


async def test_template_by_uid_then_phone_then_unreachable(channel: ZaloOaChannel, fake: FakeZaloOA) -> None:
    fake.approved_templates.add("777")
    fake.user(USER, days_ago=30, phone="84912000001")
    req = TemplateRequest("reminder", "777", {"title": "Nhắc hạn"}, phone="84912000001", tracking_id="t-1")
    assert (await channel.send_template(Address("zalo_oa", USER), req))[0] == "template_uid"
    fake.users[USER].uid_template_ok = False
    assert (await channel.send_template(Address("zalo_oa", USER), req))[0] == "template_phone"
    with pytest.raises(RecipientBlocked):
        await channel.send_template(Address("zalo_oa", USER), TemplateRequest("reminder", "777", {}))
    fake.night = True
    with pytest.raises(RateLimited) as night:
        await channel.send_template(Address("zalo_oa", USER), req)
    assert "06:05" in night.value.reason


async def test_webhook_answers_at_once_and_works_after(fake: FakeZaloOA, clock: FixedClock) -> None:
    got: list[Inbound] = []

    async def slow(inbound: Inbound) -> None:
        await asyncio.sleep(2.5)
        got.append(inbound)

    ch = _channel(fake, _MemoryTokens(fake.refresh_token), clock)  # type: ignore[arg-type]
    app = web.Application()
    ch.register_routes(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        await ch.start(slow)
        fake.webhook_url = f"http://127.0.0.1:{port}{ch.webhook_path}"
        began = time.monotonic()
        await fake.push_text(USER, "xin chào")
        assert time.monotonic() - began < 1.0 and fake.webhook_posts[-1] == (0, 200)
        await fake.wait_for(lambda: got, timeout=5)
        assert got[0].kind is InboundKind.TEXT and got[0].is_private and got[0].sender_id == USER
        # an unsigned call: 401
        async with aiohttp.ClientSession() as s, s.post(fake.webhook_url, data=b"{}") as resp:
            assert resp.status == 401
    finally:
        await ch.stop()
        await runner.cleanup()


async def test_a_typed_number_picks_from_a_list_of_more_than_five(channel: ZaloOaChannel) -> None:
    addr = Address("zalo_oa", USER)
    six = tuple((Choice(f"Mục {i}", f"p:{i}"),) for i in range(6))
    for part in channel.render(Outbound(text="Chọn", choices=six)):
        await channel.send_part(addr, part)
    picked = await channel._pressed(Inbound.from_text(addr, "3"))
    assert picked.kind is InboundKind.CALLBACK and picked.payload == "p:2"
    tapped = await channel._pressed(Inbound.from_text(addr, "p:5"))
    assert tapped.kind is InboundKind.CALLBACK and tapped.payload == "p:5"


async def test_refresh_token_is_single_use_on_the_fake(fake: FakeZaloOA) -> None:
    async with aiohttp.ClientSession() as s:
        form = {"refresh_token": fake.refresh_token, "app_id": fake.app_id, "grant_type": "refresh_token"}
        url = f"{fake.oauth_base_url}/v4/oa/access_token"
        async with s.post(url, data=form, headers={"secret_key": fake.app_secret}) as r:
            first = await r.json()
        async with s.post(url, data=form, headers={"secret_key": fake.app_secret}) as r:
            again = await r.json()
        async with s.post(f"{fake.api_base_url}/v3.0/oa/message/cs", json={},
                          headers={"access_token": "Bearer " + first["access_token"]}) as r:
            bearer = await r.json()
    assert first["expires_in"] == "90000" and first["refresh_token"] != form["refresh_token"]
    assert again["error"] < 0 and bearer["error"] == -216


async def test_fake_enforces_the_request_limit() -> None:
    async with FakeZaloOA(rate_per_minute=3) as fake:
        fake.user(USER)
        ch = _channel(fake, _MemoryTokens(fake.refresh_token), FixedClock(datetime.now(UTC)))  # type: ignore[arg-type]
        await ch.start(_noop, receive=False)
        try:
            for i in range(3):
                await ch.send_part(Address("zalo_oa", USER), Part(text=f"{i}"))
            with pytest.raises(RateLimited):
                await ch.send_part(Address("zalo_oa", USER), Part(text="4"))
            assert fake.rate_limited == 1
        finally:
            await ch.stop()



async def test_a_button_of_an_older_message_still_counts(channel: ZaloOaChannel) -> None:
    addr = Address("zalo_oa", USER)
    await channel.send_part(addr, Part(text="Kế hoạch 12", choices=((Choice("✅ Đã nhận", "ack:12"),),)))
    await channel.send_part(addr, Part(text="Nhắc hạn báo cáo"))  # no buttons: the menu on screen is gone
    tapped = await channel._pressed(Inbound.from_text(addr, "ack:12"))
    assert tapped.kind is InboundKind.CALLBACK and tapped.payload == "ack:12"
    typed = await channel._pressed(Inbound.from_text(addr, "ack:13"))
    assert typed.kind is InboundKind.TEXT
