"""State that survives a restart: Zalo menus and handled-message keys in the
database, and draft saves that cannot overwrite each other silently.

A restart is what production does: stop the App, build a new one over the same database and
the same fake platform.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web

from bot.app import App
from bot.core import Address, Choice, FixedClock, Inbound, Seen
from bot.services.reports import DraftChanged
from tests.conftest import make_settings
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.integration.conftest import Harness, start_harness
from tests.integration.test_reports import ANSWERS_6T, open_period
from tests.integration.test_zalo import ZCHAT, ZCHAT2, Both, _fast, zbind

OFFICER = 5401
SECRET = "memory-Secret_123"
HOOK = "https://bot.example.gov.vn/telegram/hook"


async def zalo_app(db_url: str, clock: FixedClock, zalo: FakeZalo) -> Both:
    """The bot with only the Zalo channel (long polling the fake), started."""
    app = App(make_settings(db_url, zalo_bot_token=zalo.token, zalo_api_base_url=zalo.base_url), clock=clock)
    for_zalo = app.zalo_channel
    app.zalo_channel = lambda: _fast(for_zalo())  # type: ignore[method-assign]
    await app.prepare(demo=True)
    await app.start(scheduler=False)
    return Both(app, FakeTelegram(), zalo)


@asynccontextmanager
async def fake_zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as zalo:
        yield zalo


async def test_zalo_menu_on_screen_still_counts_after_a_restart(db_url: str, clock: FixedClock) -> None:
    async with fake_zalo() as zalo:
        both = await zalo_app(db_url, clock, zalo)
        try:
            await open_period(both.app)
            await both.app.services.open_period(
                form_id="dang-ky-thi-dua", label="Đăng ký thi đua năm 2027",
                due_at=datetime(2026, 7, 15, 10, 0, tzinfo=UTC), cutoff=None, audience={"kinds": ["xa"]},
                remind_offsets=["1d"], announce=False)
            await zbind(both, ZCHAT, "X_CAOLOC")
            menu = await both.zsay(ZCHAT, "/baocao")
            assert "1. Sơ kết 6 tháng đầu năm 2026" in menu[-1].text
            assert "2. Đăng ký thi đua năm 2027" in menu[-1].text
        finally:
            await both.app.stop()
        both = await zalo_app(db_url, clock, zalo)  # a new process: nothing of the old one's memory
        try:
            picked = await both.zsay(ZCHAT, "2")
            assert "Kỳ: Đăng ký thi đua năm 2027" in picked[-1].text and "Câu 1/" in picked[-1].text
        finally:
            await both.app.stop()


async def test_zalo_update_delivered_again_after_a_restart_is_handled_once(db_url: str, clock: FixedClock) -> None:
    async with fake_zalo() as zalo:
        both = await zalo_app(db_url, clock, zalo)
        try:
            await zbind(both, ZCHAT, "X_CAOLOC")
            handled = both.app.dispatcher.handled
            update = await zalo.push_text(ZCHAT, "/toi")
            await zalo.wait_for(lambda: both.app.dispatcher.handled > handled)
        finally:
            await both.app.stop()
        count = len(zalo.messages_to(ZCHAT))
        both = await zalo_app(db_url, clock, zalo)
        try:
            await zalo.redeliver(update)  # Zalo sends the event again, now to the new process
            await zalo.wait_for(lambda: both.app.dispatcher.dropped == 1)
            new = await both.zsay(ZCHAT, "/toi")  # a new message is handled as usual …
            assert "Xã Cao Lộc" in new[-1].text
            assert len(zalo.messages_to(ZCHAT)) == count + 1  # … and the redelivered one said nothing
        finally:
            await both.app.stop()


def webhook_settings(db_url: str, tg: FakeTelegram) -> dict[str, object]:
    return {"telegram_bot_token": tg.token, "telegram_api_base_url": tg.root, "telegram_mode": "webhook",
            "webhook_url": HOOK, "webhook_secret": SECRET, "webhook_listen": "127.0.0.1:0"}


async def webhook_app(db_url: str, clock: FixedClock, tg: FakeTelegram) -> App:
    app = App(make_settings(db_url, **webhook_settings(db_url, tg)), clock=clock)
    await app.prepare(demo=True)
    await app.start(scheduler=False)
    return app


async def post(app: App, update: dict[str, object]) -> int:
    assert app.web is not None
    async with aiohttp.ClientSession() as http, http.post(
            f"http://127.0.0.1:{app.web.port}/telegram/hook", json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as resp:
        return resp.status


def text_update(update_id: int, message_id: int, text: str) -> dict[str, object]:
    return {"update_id": update_id, "message": {
        "message_id": message_id, "date": 1_780_000_000, "text": text,
        "chat": {"id": OFFICER, "type": "private"}, "from": {"id": OFFICER, "is_bot": False, "first_name": "Lan"}}}


async def test_telegram_webhook_update_posted_again_after_a_restart_is_handled_once(
        db_url: str, clock: FixedClock) -> None:
    async with FakeTelegram() as tg:
        app = await webhook_app(db_url, clock, tg)
        try:
            inv = await app.services.members.create_invite("X_CAOLOC")
            assert await post(app, text_update(1, 1, f"/start {inv.code}")) == 200
            assert await post(app, text_update(2, 2, "/toi")) == 200
            assert "Xã Cao Lộc" in tg.messages_to(OFFICER)[-1].text
        finally:
            await app.stop()
        count = len(tg.messages_to(OFFICER))
        app = await webhook_app(db_url, clock, tg)
        try:
            # Telegram did not get our 200 in time and posts the update again, to the new process.
            assert await post(app, text_update(2, 2, "/toi")) == 200
            assert app.dispatcher.dropped == 1 and app.dispatcher.handled == 0
            assert len(tg.messages_to(OFFICER)) == count
            assert await post(app, text_update(3, 3, "/toi")) == 200  # the next message is answered
            assert len(tg.messages_to(OFFICER)) == count + 1
        finally:
            await app.stop()


async def test_message_left_in_progress_by_a_dead_process_is_handled_again_at_once(
        db_url: str, clock: FixedClock) -> None:
    """Another process began handling this message and died (its mark stays "in progress").
    The dispatcher holds the chat's turn in every process, so nobody else can have it in hand:
    the redelivery is handled here at once, exactly once more, and a further copy is dropped."""
    app, tg = await start_harness(db_url, clock)
    bot = Harness(app, tg)
    try:
        await bot.bind(OFFICER, "X_CAOLOC")
        inbound = Inbound.from_text(Address("telegram", str(OFFICER)), "/toi", message_id="900001")
        assert await app.services.chat_memory.ledger.begin(inbound.key) is Seen.NEW  # the other process
        count = len(tg.messages_to(OFFICER))
        await app.dispatcher(inbound)
        assert len(tg.messages_to(OFFICER)) == count + 1 and "Xã Cao Lộc" in bot.last_text(OFFICER)
        await app.dispatcher(inbound)  # now it is done: a further copy is dropped
        assert app.dispatcher.dropped == 1 and len(tg.messages_to(OFFICER)) == count + 1
    finally:
        await app.stop()
        await tg.stop()


async def test_two_saves_of_one_draft_version_exactly_one_wins(db_url: str, clock: FixedClock) -> None:
    app = App(make_settings(db_url), clock=clock)
    await app.prepare(demo=True)
    try:
        period_id = await open_period(app)
        await app.services.members.ensure_console_member(Address("console", "1"), unit_code="X_CAOLOC",
                                                         role="officer")
        member = await app.services.members.member_at(Address("console", "1"))
        assert member is not None and member.unit is not None
        started = await app.services.reports.start(member.id, member.unit.id, period_id)
        assert started.draft is not None
        draft = await app.services.reports.draft(started.draft.session_id)
        assert draft is not None and draft.version == 0

        async def save(staff: int) -> int:
            return await app.services.reports.save_draft(
                draft.session_id, expected_version=draft.version, answers={"tong_cbcc": staff},
                history=["tong_cbcc"], position=None, return_to_summary=False, last_inbound=None)

        outcomes = await asyncio.gather(save(30), save(40), return_exceptions=True)
        won = [o for o in outcomes if isinstance(o, int)]
        lost = [o for o in outcomes if isinstance(o, DraftChanged)]
        assert won == [1] and len(lost) == 1, outcomes
        stored = await app.services.reports.draft(draft.session_id)
        assert stored is not None and stored.version == 1
        assert stored.answers == {"tong_cbcc": 30 if outcomes[0] == 1 else 40}
        # the loser read again: over the new version its save goes through
        assert await app.services.reports.save_draft(
            stored.session_id, expected_version=stored.version, answers={**stored.answers, "vb_chi_dao": 3},
            history=["tong_cbcc", "vb_chi_dao"], position=None, return_to_summary=False, last_inbound=None) == 2
        # and a submission computed from an older version is refused too
        with pytest.raises(DraftChanged):
            await app.services.reports.submit(stored.session_id, member.id, dict(stored.answers),
                                              expected_version=stored.version)
    finally:
        await app.stop()


@asynccontextmanager
async def slow_photo_host() -> AsyncIterator[tuple[str, asyncio.Event, asyncio.Event]]:
    """Where Zalo keeps a photo (its CDN): answers only once ``release`` is set."""
    asked, release = asyncio.Event(), asyncio.Event()

    async def photo(_request: web.Request) -> web.Response:
        asked.set()
        await release.wait()
        return web.Response(body=b"\xff\xd8\xff\xe0 trang 1", content_type="image/jpeg")

    host = web.Application()
    host.router.add_get("/anh.jpg", photo)
    runner = web.AppRunner(host)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/anh.jpg", asked, release
    finally:
        release.set()
        await runner.cleanup()


async def test_answer_from_one_chat_loses_to_another_chat_and_is_asked_again(
        db_url: str, clock: FixedClock) -> None:
    """One officer, two Zalo chats, one draft. The photo sent in the first chat is still
    downloading when the second chat goes back a question: the first save must lose, say so and
    ask the question the draft is now at, instead of overwriting the step back."""
    async with fake_zalo() as zalo:
        both = await zalo_app(db_url, clock, zalo)
        try:
            await open_period(both.app)
            await zbind(both, ZCHAT, "X_CAOLOC")
            member = await both.app.services.members.member_at(Address("zalo", ZCHAT))
            assert member is not None
            code = await both.app.services.members.create_link_code(member.id)
            assert "Đã liên kết" in (await both.zsay(ZCHAT2, f"/start {code}"))[-1].text
            await both.zsay(ZCHAT, "/baocao")
            for qid, value in ANSWERS_6T:
                text = "bỏ qua" if value == "Bỏ qua" else "tm" if qid == "tham_quyen_ky" else value
                assert not (await both.zsay(ZCHAT, text))[0].text.startswith("❌"), qid
            assert "chỉ gửi được ảnh" in zalo.messages_to(ZCHAT)[-1].text  # at the file question
            await both.zsay(ZCHAT2, "/baocao")  # the second chat joins the same draft
            state = await both.app.services.conversations.get(Address("zalo", ZCHAT))
            assert state is not None
            before = await both.app.services.reports.draft(int(state.data["session_id"]))
            assert before is not None

            async with slow_photo_host() as (url, asked, release):
                handled = both.app.dispatcher.handled
                first_chat = len(zalo.messages_to(ZCHAT))
                await zalo.push_image(ZCHAT, url)
                await asyncio.wait_for(asked.wait(), 10)  # the first chat's handler read the draft
                back = await both.zsay(ZCHAT2, "quay lại")
                assert "Câu 34/" in back[-1].text
                release.set()
                await zalo.wait_for(lambda: both.app.dispatcher.handled > handled + 1, timeout=10)

            told = "\n".join(m.text for m in zalo.messages_to(ZCHAT)[first_chat:])
            assert "vừa được cập nhật từ một cuộc trò chuyện khác" in told and "chưa được lưu" in told
            assert "Câu 34/" in told  # the question the draft is at now, not the summary
            after = await both.app.services.reports.draft(before.session_id)
            assert after is not None and "file" not in after.answers  # the photo was not saved over it
            assert after.version == before.version + 1 and after.position == "dien_thoai"  # the step back
        finally:
            await both.app.stop()


async def test_tick_forgets_menus_and_keys_older_than_a_week(db_url: str, clock: FixedClock) -> None:
    app = App(make_settings(db_url), clock=clock)
    await app.prepare(demo=True)
    memory = app.services.chat_memory
    old, fresh = Address("zalo", "old-chat"), Address("zalo", "fresh-chat")
    try:
        await memory.menus.remember(old, [Choice("Một", "a:1"), Choice("Hai", "a:2")])
        assert await memory.ledger.begin("k-old") is Seen.NEW
        await memory.ledger.finish("k-old")
        clock.advance(days=6)
        await memory.menus.remember(fresh, [Choice("Ba", "a:3")], numbered=False)
        assert await memory.ledger.begin("k-fresh") is Seen.NEW
        assert (await app.services.tick())["forgotten"] == 0  # nothing is a week old yet
        clock.advance(days=2)
        assert await memory.menus.recall(old) is None  # past its week even before the cleanup
        assert (await app.services.tick())["forgotten"] == 2
        assert await memory.ledger.begin("k-old") is Seen.NEW  # forgotten: a stranger now
        assert await memory.ledger.begin("k-fresh") is Seen.RETRY  # kept: begun, never finished
        menu = await memory.menus.recall(fresh)
        assert menu is not None and [c.payload for c in menu.choices] == ["a:3"] and not menu.numbered
        await memory.menus.remember(fresh, [])  # a message without choices forgets the menu
        assert await memory.menus.recall(fresh) is None
    finally:
        await app.stop()


async def test_ledger_says_new_retry_and_done(db_url: str, clock: FixedClock) -> None:
    app = App(make_settings(db_url), clock=clock)
    await app.prepare(demo=True)
    ledger = app.services.chat_memory.ledger
    try:
        assert await ledger.begin("k") is Seen.NEW
        assert await ledger.begin("k") is Seen.RETRY  # begun, never finished: that attempt died
        assert await ledger.begin("k") is Seen.RETRY
        await ledger.finish("k")
        clock.advance(hours=1)
        assert await ledger.begin("k") is Seen.DONE
        assert await ledger.begin("other") is Seen.NEW
    finally:
        await app.stop()
