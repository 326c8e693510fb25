"""The same bot on Zalo end to end (fake Zalo Bot API), and one person across Telegram and Zalo."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.app import App
from bot.core import Address, FixedClock
from tests.conftest import make_settings
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.integration.conftest import Harness
from tests.integration.test_reports import ANSWERS_6T, open_period

DECREES = Path(__file__).resolve().parents[2] / "bot" / "data" / "announcements"
ZCHAT, ZCHAT2 = "a1b2c3d4e5f6a7b8c9d0", "ffeeddccbbaa99887766"
TG_CHAT = 5301


@dataclass
class Both:
    app: App
    tg: FakeTelegram
    zalo: FakeZalo

    async def zsay(self, chat: str, text: str) -> list:  # type: ignore[type-arg]
        before = len(self.zalo.messages_to(chat))
        handled = self.app.dispatcher.handled
        await self.zalo.push_text(chat, text)
        await self.zalo.wait_for(lambda: self.app.dispatcher.handled > handled, timeout=10)
        await asyncio.sleep(0)
        return self.zalo.messages_to(chat)[before:]

    async def drain(self) -> None:
        await Harness(self.app, self.tg).drain(60)


@pytest.fixture
async def both(sqlite_url: str, clock: FixedClock) -> AsyncIterator[Both]:
    tg = FakeTelegram()
    zalo = FakeZalo()
    await tg.start()
    await zalo.start()
    app = App(make_settings(sqlite_url, telegram_bot_token=tg.token, telegram_api_base_url=tg.root,
                            zalo_bot_token=zalo.token, zalo_api_base_url=zalo.base_url), clock=clock)
    for_zalo = app.zalo_channel
    app.zalo_channel = lambda: _fast(for_zalo())  # type: ignore[method-assign]
    await app.prepare(demo=True)
    await app.start(scheduler=False)
    try:
        yield Both(app, tg, zalo)
    finally:
        await app.stop()
        await zalo.stop()
        await tg.stop()


def _fast(channel):  # type: ignore[no-untyped-def]
    channel.part_delay = 0.01  # tests need not wait half a second between parts
    channel.poll_timeout = 2
    return channel


async def zbind(both: Both, chat: str, unit: str, *, bare: bool = False) -> None:
    inv = await both.app.services.members.create_invite(unit)
    replies = await both.zsay(chat, inv.code if bare else f"/start {inv.code}")
    assert "Đã liên kết" in replies[-1].text, replies[-1].text


async def test_binding_on_zalo_with_command_or_bare_code(both: Both) -> None:
    await zbind(both, ZCHAT, "X_CAOLOC")
    await zbind(both, ZCHAT2, "X_DONGDANG", bare=True)
    member = await both.app.services.members.member_at(Address("zalo", ZCHAT2))
    assert member is not None and member.unit and member.unit.code == "X_DONGDANG"
    who = await both.zsay(ZCHAT, "/toi")
    assert "Xã Cao Lộc" in who[-1].text and "Zalo" in who[-1].text
    assert "**" not in who[-1].text and "<b>" not in who[-1].text  # plain text on Zalo


async def test_whole_report_on_zalo_with_numbers_option_text_back_skip_edit(both: Both) -> None:
    period_id = await open_period(both.app)
    await zbind(both, ZCHAT, "X_CAOLOC")
    first = await both.zsay(ZCHAT, "/baocao")
    assert "Câu 1/" in first[-1].text
    assert "1." not in first[-1].text.split("Câu 1/")[1].split("\n")[-1]  # nav words, no numbered menu
    bad = await both.zsay(ZCHAT, "mười hai")
    assert bad[0].text.startswith("❌")
    await both.zsay(ZCHAT, "42")
    back = await both.zsay(ZCHAT, "quay lại")
    assert "Câu 1/" in back[-1].text
    for qid, value in ANSWERS_6T:
        if value == "Bỏ qua":
            reply = await both.zsay(ZCHAT, "bỏ qua")
        elif qid == "tham_quyen_ky":
            reply = await both.zsay(ZCHAT, "tm")  # the option's words, no accents, any case
        else:
            reply = await both.zsay(ZCHAT, value)
        assert not reply[0].text.startswith("❌"), (qid, reply[0].text)
    assert "chỉ gửi được ảnh" in reply[-1].text  # the file question explains the alternatives

    image = web.Application()
    async def jpeg(_request: web.Request) -> web.Response:
        return web.Response(body=b"\xff\xd8\xff\xe0 jpeg", content_type="image/jpeg")

    image.router.add_get("/anh.jpg", jpeg)
    runner = web.AppRunner(image)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        before = len(both.zalo.messages_to(ZCHAT))
        handled = both.app.dispatcher.handled
        await both.zalo.push_image(ZCHAT, f"http://127.0.0.1:{port}/anh.jpg")
        await both.zalo.wait_for(lambda: both.app.dispatcher.handled > handled)
    finally:
        await runner.cleanup()
    summary = "\n".join(m.text for m in both.zalo.messages_to(ZCHAT)[before:])
    assert "Tóm tắt báo cáo" in summary and "gõ “gửi báo cáo”" in summary and "bấm" not in summary
    edit = await both.zsay(ZCHAT, "sửa 2")
    assert "Câu 2/" in edit[-1].text
    await both.zsay(ZCHAT, "4")
    back = both.zalo.messages_to(ZCHAT)[-1].text
    assert "“gửi báo cáo”" in back and "1. Gửi báo cáo" not in back  # the choices are typed by name
    one = await both.zsay(ZCHAT, "1")  # a digit at the summary is a question number, never "send"
    assert "Câu 1/" in one[-1].text
    await both.zsay(ZCHAT, "về bảng tóm tắt")
    receipt = await both.zsay(ZCHAT, "gửi báo cáo")
    assert "Số tiếp nhận" in receipt[-1].text
    unit = (await both.app.services.members.member_at(Address("zalo", ZCHAT))).unit  # type: ignore[union-attr]
    sub = await both.app.services.reports.submission(unit.id, period_id)  # type: ignore[union-attr]
    assert sub is not None and sub.answers["vb_chi_dao"] == 4 and sub.answers["file"]["mime"] == "image/jpeg"


async def test_long_decree_on_zalo_split_in_order_and_acknowledged_by_text(both: Both) -> None:
    await zbind(both, ZCHAT, "X_CAOLOC")
    body = (DECREES / "2022_CT-UBND_lang-son.md").read_text(encoding="utf-8")
    a = await both.app.services.announcements.create(doc_type="Chỉ thị", number="05/CT-UBND", summary="Phát động",
                                                     body=body, needs_ack=True, audience={"units": ["X_CAOLOC"]})
    await both.drain()
    parts = [m.text for m in both.zalo.messages_to(ZCHAT) if re.match(r"^\(\d+/\d+\)", m.text)]
    assert len(parts) >= 5
    n = len(parts)
    assert [int(re.match(r"^\((\d+)/", p).group(1)) for p in parts] == list(range(1, n + 1))  # type: ignore[union-attr]
    assert all(len(p) <= 2000 for p in parts)
    joined = re.sub(r"\s+", "", "".join(re.sub(r"^\(\d+/\d+\)\s*", "", p) for p in parts))
    for phrase in ("Năm2021dướisựchỉđạosátsao", "CHỈTHỊ"):
        assert phrase in joined
    assert "**" not in joined
    assert "đã nhận" in parts[-1].lower()
    done = await both.zsay(ZCHAT, "Đã nhận")
    assert "Đã ghi nhận" in done[-1].text
    assert (await both.app.services.announcements.counts(a.id)).acknowledged == 1
    again = await both.zsay(ZCHAT, "đã nhận")
    assert (await both.app.services.announcements.counts(a.id)).acknowledged == 1 and again


async def test_reminder_reaches_zalo(both: Both, clock: FixedClock) -> None:
    period_id = await open_period(both.app)
    await zbind(both, ZCHAT, "X_CAOLOC")
    await both.app.services.plan_reminders(period_id)
    clock.advance(days=9)  # past T-3 and T-1 (08/06 → 17/06)
    sent, _ = await both.app.services.send_due_reminders()
    assert sent >= 1
    await both.drain()
    reminder = both.zalo.messages_to(ZCHAT)[-1].text
    assert "Nhắc hạn báo cáo" in reminder and "chưa bắt đầu" in reminder
    resumed = await both.zsay(ZCHAT, "1")  # "1. Tiếp tục báo cáo"
    assert "Câu 1/" in resumed[-1].text


async def test_report_started_on_telegram_finished_on_zalo(both: Both) -> None:
    await open_period(both.app)
    h = Harness(both.app, both.tg)
    await h.bind(TG_CHAT, "X_CAOLOC")
    await h.say(TG_CHAT, "/baocao")
    await h.say(TG_CHAT, "42")
    await h.say(TG_CHAT, "3")
    await h.say(TG_CHAT, "/kenh")
    link = await h.press_label(TG_CHAT, "Liên kết thêm kênh")
    code = re.search(r"\b([A-Z2-9]{8})\b", link[-1].text).group(1)  # type: ignore[union-attr]
    bound = await both.zsay(ZCHAT, f"/start {code}")
    assert "Đã liên kết" in bound[-1].text
    tg_member = await both.app.services.members.member_at(Address("telegram", str(TG_CHAT)))
    z_member = await both.app.services.members.member_at(Address("zalo", ZCHAT))
    assert tg_member and z_member and tg_member.id == z_member.id
    resumed = await both.zsay(ZCHAT, "/baocao")
    assert "đã trả lời 2/" in resumed[0].text and "Câu 3/" in resumed[-1].text
    await both.zsay(ZCHAT, "/kenh")
    chosen = await both.zsay(ZCHAT, "Nhận qua Zalo")
    assert "Zalo" in chosen[-1].text
    await both.app.services.announcements.create(doc_type="Thông báo", summary="Chỉ qua Zalo", body="x",
                                                 audience={"units": ["X_CAOLOC"]})
    await both.drain()
    assert "Chỉ qua Zalo" in both.zalo.messages_to(ZCHAT)[-1].text
    assert all("Chỉ qua Zalo" not in (m.text or "") for m in both.tg.messages_to(TG_CHAT))


async def test_duplicate_update_is_ignored(both: Both) -> None:
    await zbind(both, ZCHAT, "X_CAOLOC")
    before = both.app.dispatcher.handled
    update = await both.zalo.push_text(ZCHAT, "/toi")
    await both.zalo.wait_for(lambda: both.app.dispatcher.handled > before)
    count = len(both.zalo.messages_to(ZCHAT))
    handled = both.app.dispatcher.handled
    await both.zalo.redeliver(update)
    await asyncio.sleep(0.5)
    assert both.app.dispatcher.handled == handled and len(both.zalo.messages_to(ZCHAT)) == count


async def test_zalo_webhook_requires_the_secret(sqlite_url: str, clock: FixedClock) -> None:
    zalo = FakeZalo(require_prior_message=False)  # the user "wrote" through our own POST below
    await zalo.start()
    secret = "zalo-secret-123"
    app = App(make_settings(sqlite_url, zalo_bot_token=zalo.token, zalo_api_base_url=zalo.base_url,
                            zalo_mode="webhook", zalo_webhook_url="https://bot.example.gov.vn/zalo/hook",
                            zalo_webhook_secret=secret, webhook_listen="127.0.0.1:0"), clock=clock)
    await app.prepare(demo=True)
    await app.start(scheduler=False)
    try:
        assert zalo.webhook_secret == secret
        url = f"http://127.0.0.1:{app.web.port}/zalo/hook"  # type: ignore[union-attr]
        inv = await app.services.members.create_invite("X_CAOLOC")
        body = {"ok": True, "result": {"event_name": "message.text.received", "message": {
            "from": {"id": ZCHAT, "display_name": "Lan", "is_bot": False},
            "chat": {"id": ZCHAT, "chat_type": "PRIVATE"}, "text": f"/start {inv.code}",
            "message_id": "0123456789abcdef0123", "date": 1780000000000}}}
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Bot-Api-Secret-Token": "wrong-secret-1"}):
                async with http.post(url, json=body, headers=headers) as resp:
                    assert resp.status == 401
            await asyncio.sleep(0.2)
            assert await app.services.members.member_at(Address("zalo", ZCHAT)) is None
            async with http.post(url, json=body, headers={"X-Bot-Api-Secret-Token": secret}) as resp:
                assert resp.status == 200
        await zalo.wait_for(lambda: bool(zalo.messages_to(ZCHAT)), timeout=5)
        assert await app.services.members.member_at(Address("zalo", ZCHAT)) is not None
    finally:
        await app.stop()
        await zalo.stop()


async def test_export_on_zalo_comes_as_signed_expiring_link(sqlite_url: str, clock: FixedClock,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from openpyxl import load_workbook

    zalo = FakeZalo()
    await zalo.start()
    app = App(make_settings(sqlite_url, zalo_bot_token=zalo.token, zalo_api_base_url=zalo.base_url,
                            public_base_url="http://127.0.0.1:0", webhook_listen="127.0.0.1:0"), clock=clock)
    await app.prepare(demo=True)
    await app.start(scheduler=False)
    try:
        assert app.web is not None and app.file_links is not None
        app.file_links.base_url = f"http://127.0.0.1:{app.web.port}"  # the real port, known after start
        both = Both(app, FakeTelegram(), zalo)
        inv = await app.services.members.create_invite(None, role="admin")
        await both.zsay(ZCHAT, f"/start {inv.code}")
        period_id = await open_period(app)
        reply = await both.zsay(ZCHAT, f"/xuat {period_id}")
        url = re.search(r"(http://\S+)", reply[-1].text).group(1)  # type: ignore[union-attr]
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as resp:
                assert resp.status == 200
                data = await resp.read()
            wb = load_workbook(__import__("io").BytesIO(data))
            assert "Báo cáo đơn vị" in wb.sheetnames
            async with http.get(url.replace("&s=", "&s=0")) as resp:
                assert resp.status == 403
        import time

        later = time.time() + 8 * 86400  # links last 7 days
        monkeypatch.setattr("bot.channels.web.time.time", lambda: later)
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            assert resp.status == 410
    finally:
        await app.stop()
        await zalo.stop()


async def test_an_update_kept_but_never_handled_is_taken_up_by_the_next_process(both: Both,
                                                                                clock: FixedClock) -> None:
    """Zalo never sends an update again once its getUpdates handed it out (or our webhook said
    200): kept before it is taken, marked done after; one a dead process left undone is handled
    by whichever process sweeps next — and one that was handled is never handled twice."""
    await zbind(both, ZCHAT, "X_CAOLOC")
    zalo_channel = both.app.dispatcher.channels["zalo"]
    inbox = both.app.services.chat_memory.inbox
    # a normal message: kept, handled, done — nothing left for a sweep
    await both.zsay(ZCHAT, "/toi")
    clock.advance(minutes=3)
    assert await zalo_channel.sweep() == 0  # type: ignore[attr-defined]
    # a process kept this one and died before handling it
    before = len(both.zalo.messages_to(ZCHAT))
    orphan = {"event_name": "message.text.received",
              "message": {"message_id": "dead-process-1", "text": "/toi", "date": 1780000000000,
                          "chat": {"id": ZCHAT, "chat_type": "PRIVATE"},
                          "from": {"id": ZCHAT, "display_name": "Cán bộ", "is_bot": False}}}
    assert await inbox.keep("zalo", "k-dead-process-1", orphan) is not None
    assert await zalo_channel.sweep() == 0, "its keeper's claim still runs"  # type: ignore[attr-defined]
    clock.advance(minutes=3)
    assert await zalo_channel.sweep() == 1  # type: ignore[attr-defined]
    await both.zalo.wait_for(lambda: len(both.zalo.messages_to(ZCHAT)) == before + 1, timeout=10)
    assert "Xã Cao Lộc" in both.zalo.messages_to(ZCHAT)[-1].text
    for _ in range(100):  # marked done just after its reply went out
        clock.advance(minutes=3)
        if await zalo_channel.sweep() == 0:  # type: ignore[attr-defined]
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
    assert len(both.zalo.messages_to(ZCHAT)) == before + 1, "taken up once, answered once"
