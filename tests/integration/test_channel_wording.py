"""Words that fit the channel: every instruction names what the person can do where
they are — type the number or the words on Zalo (no buttons), press on Telegram.

The same report and the same decree go through the Zalo fake and the fake Bot API, on SQLite
and on PostgreSQL: on Zalo nothing says "bấm" and a choice question lists its options once
(as the numbered menu); Telegram keeps its wording and its buttons.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.app import App
from bot.core import FixedClock
from tests.conftest import make_settings
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.integration.conftest import Harness
from tests.integration.test_reports import ANSWERS_6T, open_period, send_file
from tests.integration.test_zalo import ZCHAT, Both, _fast, zbind

TG_CHAT, ADMIN = 5311, 9311
CHOICE = "tham_quyen_ky"
OPTION = "TM. Ủy ban nhân dân – Chủ tịch"
BEFORE_CHOICE = ANSWERS_6T[: [q for q, _ in ANSWERS_6T].index(CHOICE)]
AFTER_CHOICE = ANSWERS_6T[len(BEFORE_CHOICE) + 1:]


@pytest.fixture
async def both(db_url: str, clock: FixedClock) -> AsyncIterator[Both]:
    tg = FakeTelegram()
    zalo = FakeZalo()
    await tg.start()
    await zalo.start()
    app = App(make_settings(db_url, telegram_bot_token=tg.token, telegram_api_base_url=tg.root,
                            zalo_bot_token=zalo.token, zalo_api_base_url=zalo.base_url), clock=clock)
    for_zalo = app.zalo_channel
    app.zalo_channel = lambda: _fast(for_zalo())  # type: ignore[method-assign]
    await app.prepare(demo=True)
    await app.start(scheduler=False)
    app.dispatcher.channels["telegram"].pacer.per_chat_rate = None  # type: ignore[attr-defined]
    try:
        yield Both(app, tg, zalo)
    finally:
        await app.stop()
        await zalo.stop()
        await tg.stop()


async def zanswer(both: Both, answers: list[tuple[str, str]]) -> list:  # type: ignore[type-arg]
    reply: list = []  # type: ignore[type-arg]
    for qid, value in answers:
        reply = await both.zsay(ZCHAT, "bỏ qua" if value == "Bỏ qua" else value)
        assert not reply[0].text.startswith("❌"), (qid, reply[0].text)
    return reply


async def zphoto(both: Both) -> list:  # type: ignore[type-arg]
    """Send a photo the way Zalo does (a URL the bot downloads); the bot's replies to it."""
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
    return both.zalo.messages_to(ZCHAT)[before:]


def no_press(text: str) -> None:
    assert "bấm" not in text.lower(), text
    assert "nút" not in text.lower(), text


async def test_on_zalo_every_instruction_says_what_to_type_and_options_appear_once(both: Both) -> None:
    await open_period(both.app)
    await zbind(both, ZCHAT, "X_CAOLOC")
    first = await both.zsay(ZCHAT, "/baocao")
    no_press(first[-1].text)
    question = (await zanswer(both, BEFORE_CHOICE))[-1].text
    assert "Người ký ký theo hình thức nào (TM., KT., …)?" in question
    no_press(question)
    assert "trả lời số" in question.lower()
    assert question.count(OPTION) == 1, question  # only in the numbered menu, not also in the prompt
    assert "1. TM." in question and "2. KT." in question
    picked = await both.zsay(ZCHAT, "1")  # the option by its number
    assert not picked[0].text.startswith("❌"), picked[0].text
    await zanswer(both, AFTER_CHOICE)
    summary = "\n".join(m.text for m in await zphoto(both))
    assert "Tóm tắt báo cáo" in summary
    no_press(summary)
    assert "gõ “gửi báo cáo”" in summary
    unclear = "\n".join(m.text for m in await both.zsay(ZCHAT, "chưa rõ"))
    no_press(unclear)
    assert "gõ “gửi báo cáo”" in unclear
    receipt = await both.zsay(ZCHAT, "gửi báo cáo")
    assert "Số tiếp nhận" in receipt[-1].text


async def test_an_optional_question_on_zalo_says_to_type_skip(both: Both) -> None:
    await open_period(both.app)
    await zbind(both, ZCHAT, "X_CAOLOC")
    await both.zsay(ZCHAT, "/baocao")
    before = ANSWERS_6T[: [q for q, _ in ANSWERS_6T].index("nguyen_nhan")]
    optional = (await zanswer(both, before))[-1].text
    no_press(optional)
    assert "gõ “bỏ qua”" in optional


async def test_decree_needing_acknowledgement_on_zalo_says_to_reply(both: Both) -> None:
    await zbind(both, ZCHAT, "X_CAOLOC")
    await both.app.services.announcements.create(doc_type="Chỉ thị", number="05/CT-UBND", summary="Phát động",
                                                 body="Đề nghị các đơn vị triển khai.", needs_ack=True,
                                                 audience={"units": ["X_CAOLOC"]})
    await both.drain()
    decree = both.zalo.messages_to(ZCHAT)[-1].text
    no_press(decree)
    assert "trả lời “đã nhận”" in decree
    listed = await both.zsay(ZCHAT, "/vanban")
    no_press(listed[-1].text)
    reopened = "\n".join(m.text for m in await both.zsay(ZCHAT, "1"))  # the decree again, from the list
    assert "05/CT-UBND" in reopened and "trả lời “đã nhận”" in reopened
    no_press(reopened)


async def test_on_telegram_the_same_steps_still_say_press(both: Both) -> None:
    await open_period(both.app)
    h = Harness(both.app, both.tg)
    await h.bind(TG_CHAT, "X_DONGDANG")
    await h.say(TG_CHAT, "/baocao")
    for qid, value in BEFORE_CHOICE:
        replies = await (h.press_label(TG_CHAT, "Bỏ qua") if value == "Bỏ qua" else h.say(TG_CHAT, value))
        assert not (replies[-1].text or "").startswith("❌"), (qid, replies[-1].text)
    question = h.tg.last_to(TG_CHAT)
    assert "Chọn một mục (bấm nút hoặc nhập số thứ tự)." in (question.text or "")
    assert (question.text or "").count(OPTION) == 1  # listed in the text; the buttons carry it too
    assert any(OPTION in label for label, _ in h.tg.buttons(question))
    await h.press_label(TG_CHAT, "TM.")
    for qid, value in AFTER_CHOICE:
        replies = await h.say(TG_CHAT, value)
        assert not (replies[-1].text or "").startswith("❌"), (qid, replies[-1].text)
    summary = (await send_file(h, TG_CHAT, "bao-cao.pdf", "application/pdf", b"%PDF-1.4 signed"))[-1]
    assert "hoặc bấm <b>Gửi báo cáo</b>." in (summary.text or "")
    unclear = await h.say(TG_CHAT, "chưa rõ")
    assert "hoặc bấm “Gửi báo cáo”." in (unclear[0].text or "")
    await both.app.services.announcements.create(doc_type="Chỉ thị", number="06/CT-UBND", summary="Phát động",
                                                 body="Đề nghị các đơn vị triển khai.", needs_ack=True,
                                                 audience={"units": ["X_DONGDANG"]})
    await both.drain()
    decree = h.tg.last_to(TG_CHAT)
    assert "bấm “✅ Đã nhận” (hoặc trả lời “đã nhận”)" in (decree.text or "")
    assert any("Đã nhận" in label for label, _ in h.tg.buttons(decree))


async def test_acknowledgement_reminder_says_reply_on_zalo_and_press_on_telegram(both: Both) -> None:
    """One reminder queued for chats on both channels: each chat reads the words of its own."""
    await zbind(both, ZCHAT, "X_CAOLOC")
    h = Harness(both.app, both.tg)
    await h.bind(TG_CHAT, "X_DONGDANG")
    a = await both.app.services.announcements.create(doc_type="Chỉ thị", number="07/CT-UBND", summary="Phát động",
                                                     body="Đề nghị các đơn vị triển khai.", needs_ack=True,
                                                     audience={"units": ["X_CAOLOC", "X_DONGDANG"]})
    await both.drain()
    assert await both.app.services.announcements.remind_unacknowledged(a.id) == 2
    await both.drain()
    on_zalo = both.zalo.messages_to(ZCHAT)[-1].text
    assert "Nhắc xác nhận" in on_zalo and "trả lời “đã nhận”" in on_zalo
    no_press(on_zalo)
    on_telegram = h.tg.last_to(TG_CHAT)
    assert "Đề nghị bấm “✅ Đã nhận” bên dưới." in (on_telegram.text or "")
    assert any("Đã nhận" in label for label, _ in h.tg.buttons(on_telegram))
    done = await both.zsay(ZCHAT, "đã nhận")
    assert "Đã ghi nhận" in done[-1].text


async def test_an_admin_composing_a_decree_on_zalo_is_told_what_to_type(both: Both) -> None:
    """The office's guided /thongbao on Zalo: the optional step says to type “bỏ qua”, and the
    preview (what the Zalo recipients will see) asks them to reply, not to press."""
    inv = await both.app.services.members.create_invite(None, role="admin")
    assert "Đã liên kết" in (await both.zsay(ZCHAT, f"/start {inv.code}"))[-1].text
    await both.zsay(ZCHAT, "/thongbao")
    number = (await both.zsay(ZCHAT, "chỉ thị"))[-1].text
    assert "Bước 2/6" in number and "gõ “bỏ qua”" in number
    no_press(number)
    await both.zsay(ZCHAT, "bỏ qua")
    await both.zsay(ZCHAT, "Về việc phát động thi đua")
    await both.zsay(ZCHAT, "Đề nghị các đơn vị triển khai.")
    await both.zsay(ZCHAT, "tất cả đơn vị")
    preview = "\n".join(m.text for m in await both.zsay(ZCHAT, "có, yêu cầu xác nhận"))
    assert "Về việc phát động thi đua" in preview and "trả lời “đã nhận”" in preview
    no_press(preview)


async def test_deadline_reminder_and_returned_report_say_type_on_zalo_and_press_on_telegram(
        both: Both, clock: FixedClock) -> None:
    """A reminder and a "returned" notice are each rendered once for all of a unit's chats:
    the unit's Zalo officer reads what to type (and typing it works), its Telegram officer
    keeps the button wording and the button."""
    period_id = await open_period(both.app)
    await zbind(both, ZCHAT, "X_CAOLOC")
    h = Harness(both.app, both.tg)
    await h.bind(TG_CHAT, "X_CAOLOC")
    await both.app.services.plan_reminders(period_id)
    clock.advance(days=9)  # past T-3 and T-1 (08/06 → 17/06)
    sent, _ = await both.app.services.send_due_reminders()
    assert sent >= 1
    await both.drain()
    on_zalo = both.zalo.messages_to(ZCHAT)[-1].text
    assert "Nhắc hạn báo cáo" in on_zalo and "Gõ “tiếp tục báo cáo” hoặc /baocao" in on_zalo
    no_press(on_zalo)
    on_telegram = h.tg.last_to(TG_CHAT)
    assert "Bấm “Tiếp tục báo cáo” hoặc gõ /baocao." in (on_telegram.text or "")
    assert any("Tiếp tục báo cáo" in label for label, _ in h.tg.buttons(on_telegram))
    resumed = await both.zsay(ZCHAT, "tiếp tục báo cáo")  # the words the reminder says to type
    assert "Câu 1/" in resumed[-1].text

    # "Nhắc ngay" from the office: the same two wordings.
    reached, _ = await both.app.services.remind_missing_now(period_id)
    assert reached == 1
    await both.drain()
    no_press(both.zalo.messages_to(ZCHAT)[-1].text)
    assert "Bấm “Tiếp tục báo cáo”" in (h.tg.last_to(TG_CHAT).text or "")

    await zanswer(both, ANSWERS_6T)  # the Zalo officer, who resumed, finishes and submits
    await zphoto(both)
    assert "Số tiếp nhận" in (await both.zsay(ZCHAT, "gửi báo cáo"))[-1].text
    await h.bind(ADMIN, None, role="admin")
    await h.say(ADMIN, f"/tiendo {period_id}")
    await h.press_label(ADMIN, "Báo cáo đã nộp")
    await h.press_label(ADMIN, "X_CAOLOC")
    await h.press_label(ADMIN, "Trả lại")
    assert "Đã trả lại" in (await h.say(ADMIN, "Đề nghị bổ sung số liệu khen thưởng."))[-1].text
    await both.drain()
    returned_zalo = both.zalo.messages_to(ZCHAT)[-1].text
    assert "bổ sung số liệu" in returned_zalo and "Gõ “sửa báo cáo” (hoặc /baocao)" in returned_zalo
    no_press(returned_zalo)
    returned_tg = h.tg.last_to(TG_CHAT)
    assert "bổ sung số liệu" in (returned_tg.text or "")
    assert "Bấm “Sửa báo cáo” (hoặc gõ /baocao)" in (returned_tg.text or "")
    assert any("Sửa báo cáo" in label for label, _ in h.tg.buttons(returned_tg))
    edit = await both.zsay(ZCHAT, "sửa báo cáo")  # typed as the notice says: the returned report opens
    opened = "\n".join(m.text for m in edit)
    assert "Tóm tắt báo cáo" in opened and "Nguyễn Thị Lan" in opened  # the earlier answers, kept
