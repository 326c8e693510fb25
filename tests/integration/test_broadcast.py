"""Broadcasting end to end: audience, long decrees, acknowledgements, failures, resume after a kill."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from sqlalchemy import select

from bot.app import App
from bot.core import Address
from storage.models import Delivery
from tests.conftest import make_settings
from tests.integration.conftest import Harness, start_harness

DECREES = Path(__file__).resolve().parents[2] / "bot" / "data" / "announcements"
ADMIN = 9001


async def bind_units(bot: Harness, codes: list[str], start: int = 6000) -> dict[str, int]:
    chats = {}
    for i, code in enumerate(codes):
        chats[code] = start + i
        await bot.bind(start + i, code)
    return chats


def text_of(parts: list) -> str:  # type: ignore[type-arg]
    """Concatenated visible text of split parts, without tags and (i/n) markers."""
    out = []
    for p in parts:
        t = re.sub(r"<[^>]+>", "", p.text)
        out.append(re.sub(r"^\(\d+/\d+\)\s*", "", t))
    return "".join(out)


async def test_audience_selection_by_group_kind_units(bot: Harness) -> None:
    chats = await bind_units(bot, ["X_CAOLOC", "X_DONGDANG", "P_TAMTHANH", "X_CHILANG"])
    ann = bot.app.services.announcements
    a = await ann.create(doc_type="Thông báo", summary="Cụm biên giới", body="Nội dung.",
                         audience={"groups": ["Cụm thi đua biên giới"]})
    await bot.drain()
    assert {d.unit_code for d in await ann.deliveries(a.id)} == {"X_DONGDANG"}
    b = await ann.create(doc_type="Thông báo", summary="Các phường", body="Nội dung.", audience={"kinds": ["phuong"]})
    await bot.drain()
    assert {d.unit_code for d in await ann.deliveries(b.id)} == {"P_TAMTHANH"}
    c = await ann.create(doc_type="Thông báo", summary="Hai xã", body="Nội dung.",
                         audience={"units": ["X_CAOLOC", "X_CHILANG"]})
    await bot.drain()
    assert {d.unit_code for d in await ann.deliveries(c.id)} == {"X_CAOLOC", "X_CHILANG"}
    assert "Cụm biên giới" in bot.last_text(chats["X_CHILANG"]) or "Hai xã" in bot.last_text(chats["X_CHILANG"])
    missing = {code for code, _, _ in await ann.not_reached(a.id)}
    assert "X_DONGDANG" not in missing and {"X_TANTHANH", "X_VANLANG"} <= missing  # in the group, never bound
    d = await ann.create(doc_type="Thông báo", summary="Tất cả", body="x", audience={"all": True})
    await bot.drain()
    not_bound = {code for code, _, why in await ann.not_reached(d.id) if why == "chưa liên kết kênh nhắn tin"}
    assert "X_HUULUNG" in not_bound and "X_CAOLOC" not in not_bound


async def test_long_decree_split_in_order_and_acknowledged(bot: Harness) -> None:
    chats = await bind_units(bot, ["X_CAOLOC", "X_DONGDANG"])
    body = (DECREES / "2022_CT-UBND_lang-son.md").read_text(encoding="utf-8")
    a = await bot.app.services.announcements.create(doc_type="Chỉ thị", number="05/CT-UBND", summary="Phát động thi đua",
                                                    body=body, needs_ack=True, audience={"all": True})
    await bot.drain()
    parts = bot.tg.messages_to(chats["X_CAOLOC"])[-20:]
    parts = [p for p in parts if "05/CT-UBND" in p.text or re.match(r"^\(\d+/\d+\)", p.text)]
    assert len(parts) >= 3
    n = len(parts)
    for i, p in enumerate(parts, 1):
        assert p.text.startswith(f"({i}/{n})")
    visible = re.sub(r"\s+", "", text_of(parts))
    for sentence in ("Năm 2021 dưới sự chỉ đạo sát sao", "Trân trọng", "Chỉ thị này"):
        if sentence in body:
            assert re.sub(r"\s+", "", sentence) in visible
    last = parts[-1]
    buttons = bot.tg.buttons(last)
    assert buttons and buttons[0][0] == "✅ Đã nhận"
    await bot.press(chats["X_CAOLOC"], buttons[0][1], last.message_id)
    counts = await bot.app.services.announcements.counts(a.id)
    assert counts.acknowledged == 1 and counts.sent == 2
    edited = [m for m in bot.tg.sent if m.method == "editMessageReplyMarkup" and m.message_id == last.message_id]
    assert edited and "Đã nhận lúc" in str(edited[-1].reply_markup)
    again = await bot.press(chats["X_CAOLOC"], buttons[0][1], last.message_id)
    assert (await bot.app.services.announcements.counts(a.id)).acknowledged == 1
    assert not again or "trước đó" in again[-1].text or "Đã nhận" in again[-1].text


async def test_every_attachment_goes_along_with_the_ack_button_last(bot: Harness) -> None:
    """A decree with its appendix: the text, then each file as a document, in order; 'Đã nhận' on the
    last. Each file is uploaded once; the next chats get Telegram's file_id."""
    chats = await bind_units(bot, ["X_CAOLOC", "X_DONGDANG", "X_CHILANG"])
    before = {code: len(bot.tg.messages_to(chat)) for code, chat in chats.items()}  # the welcome on binding
    files = bot.app.services.files
    decree = await files.store("12-CT-UBND.pdf", "application/pdf", b"%PDF-1.4 chi thi 12")
    appendix = await files.store("phu-luc-bieu-mau.docx", "application/vnd.openxmlformats-officedocument"
                                 ".wordprocessingml.document", b"PK appendix")
    a = await bot.app.services.announcements.create(
        doc_type="Chỉ thị", number="12/CT-UBND", summary="V/v phát động thi đua", body="Nội dung chỉ thị.",
        audience={"units": list(chats)}, attachments=[decree, appendix], needs_ack=True)
    await bot.drain()
    uploads = 0
    for code, chat in chats.items():
        got = bot.tg.messages_to(chat)[before[code]:]
        assert [m.method for m in got] == ["sendMessage", "sendDocument", "sendDocument"], code
        assert "12-CT-UBND.pdf; phu-luc-bieu-mau.docx" in (got[0].plain or "")
        assert got[1].document == ("12-CT-UBND.pdf", b"%PDF-1.4 chi thi 12")
        assert got[2].document == ("phu-luc-bieu-mau.docx", b"PK appendix")
        assert got[0].reply_markup is None and got[1].reply_markup is None
        uploads += sum(not isinstance(m.params.get("document"), str) for m in got[1:])
    assert uploads == 2, "each file uploaded once, then sent by file_id"
    chat = chats["X_CAOLOC"]
    last = bot.tg.messages_to(chat)[-1]
    button = last.reply_markup["inline_keyboard"][0][0]  # type: ignore[index]
    assert "Đã nhận" in button["text"]
    await bot.press(chat, button["callback_data"], last.message_id)
    assert (await bot.app.services.announcements.counts(a.id)).acknowledged == 1


async def test_blocked_migrated_and_retried_chats(bot: Harness, clock) -> None:  # type: ignore[no-untyped-def]
    chats = await bind_units(bot, ["X_CAOLOC", "X_DONGDANG", "X_CHILANG", "X_DONGMO"])
    bot.tg.block_chat(chats["X_CAOLOC"])
    bot.tg.migrate_chat(chats["X_DONGDANG"], -1009999)
    bot.tg.fail_next("sendMessage", status=502, description="Bad Gateway", chat_id=chats["X_CHILANG"])
    bot.tg.fail_next("sendMessage", status=400, description="Bad Request: something odd", chat_id=chats["X_DONGMO"])
    ann = bot.app.services.announcements
    a = await ann.create(doc_type="Công văn", number="45/SNV-TĐKT", summary="V/v thử", body="Nội dung ngắn.",
                         audience={"units": list(chats)})
    for _ in range(200):  # until the 502 has been seen and the retry scheduled, and nothing is in flight
        lines = {d.unit_code: d for d in await ann.deliveries(a.id)}
        settled = all(d.status != "sending" for d in lines.values())
        if settled and lines["X_CHILANG"].attempts == 1 and lines["X_CHILANG"].status == "queued":
            break
        await asyncio.sleep(0.05)
    clock.advance(minutes=10)  # the 502 retry is due
    await bot.drain()
    by_unit = {d.unit_code: d for d in await ann.deliveries(a.id)}
    assert by_unit["X_CAOLOC"].status == "blocked"
    binding = await bot.app.services.members.member_at(Address("telegram", str(chats["X_CAOLOC"])))
    assert binding is None  # blocked chats are no longer active
    assert by_unit["X_DONGDANG"].status == "sent" and by_unit["X_DONGDANG"].chat_id == "-1009999"
    assert await bot.app.services.members.member_at(Address("telegram", "-1009999")) is not None
    assert by_unit["X_CHILANG"].status == "sent" and by_unit["X_CHILANG"].attempts == 1
    assert by_unit["X_DONGMO"].status == "failed" and "something odd" in by_unit["X_DONGMO"].last_error.lower()
    n = await ann.retry_failed(a.id)
    assert n == 1
    await bot.drain()
    assert {d.unit_code: d.status for d in await ann.deliveries(a.id)}["X_DONGMO"] == "sent"


async def test_429_is_honoured_for_the_whole_bot(bot: Harness, clock) -> None:  # type: ignore[no-untyped-def]
    chats = await bind_units(bot, ["X_CAOLOC", "X_DONGDANG"])
    bot.tg.fail_next("sendMessage", status=429, description="Too Many Requests: retry after 1",
                     parameters={"retry_after": 1})
    a = await bot.app.services.announcements.create(doc_type="Thông báo", summary="x", body="y",
                                                    audience={"units": list(chats)})
    pacer = bot.app.outboxes["telegram"].channel.pacer  # type: ignore[attr-defined]
    await bot.tg.wait_for(lambda: bot.tg.http_429 == 1, timeout=10)
    # the 429 answer is on its way back to the bot: within its 1 s the whole bot pauses
    await bot.tg.wait_for(lambda: pacer.paused_for > 0, timeout=0.5, interval=0.001)
    assert bot.tg.http_429 == 1
    clock.advance(seconds=2)  # the outbox's own clock decides when the row is due again
    await bot.drain()
    assert (await bot.app.services.announcements.counts(a.id)).sent == 2


async def test_kill_and_resume_delivers_everyone_once(sqlite_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    app, tg = await start_harness(sqlite_url, clock, tg_latency=0.02, telegram_rate=20.0)
    h = Harness(app, tg)
    codes = [f"X_{i:03d}" for i in range(40)]
    await app.services.units.import_rows([{"code": c, "name": f"Xã số {i}", "kind": "xa", "parent_code": "",
                                           "groups": "Cụm thử"} for i, c in enumerate(codes)])
    chats = {}
    for i, c in enumerate(codes):
        chats[c] = 7000 + i
        await h.bind(7000 + i, c)
    body = (DECREES / "2023-12-29_12-CT-UBND_huong-tra.md").read_text(encoding="utf-8")
    a = await app.services.announcements.create(doc_type="Chỉ thị", number="12/CT-UBND", summary="Phát động",
                                                body=body, audience={"groups": ["Cụm thử"]})
    await tg.wait_for(lambda: sum(1 for m in tg.sent if m.method == "sendMessage") > 30, timeout=20)
    # "kill -9": tasks vanish without running any cleanup, rows stay claimed, and nothing the
    # dying tasks still try (record a failure of the cut-off send) reaches the database
    outbox = app.outboxes.pop("telegram")

    def dead_process() -> None:
        raise RuntimeError("this process was killed")

    outbox.uow = dead_process  # type: ignore[assignment]
    for t in [outbox._task, *outbox._inflight]:
        t.cancel()
    await asyncio.sleep(0.05)
    await app.stop()
    in_flight_max = outbox.concurrency
    app2 = App(make_settings(sqlite_url, telegram_bot_token=tg.token, telegram_api_base_url=tg.root), clock=clock)
    await app2.prepare()
    await app2.start(scheduler=False)
    try:
        await Harness(app2, tg).drain(60)
        counts = await app2.services.announcements.counts(a.id)
        assert counts.sent == 40 and counts.pending == 0
        parts_per_chat = {}
        for c, chat in chats.items():
            msgs = [m for m in tg.messages_to(chat) if m.method == "sendMessage" and re.match(r"^\(\d+/\d+\)", m.text)]
            firsts = [m for m in msgs if m.text.startswith("(1/")]
            assert firsts, c
            n = int(re.match(r"^\(1/(\d+)\)", firsts[0].text).group(1))  # type: ignore[union-attr]
            seen = {int(re.match(r"^\((\d+)/", m.text).group(1)) for m in msgs}  # type: ignore[union-attr]
            assert seen == set(range(1, n + 1)), c
            parts_per_chat[c] = len(msgs) - n
        duplicates = sum(parts_per_chat.values())
        assert duplicates <= in_flight_max
        async with app2.uow() as uow:
            rows = list(await uow.session.scalars(select(Delivery).where(Delivery.announcement_id == a.id)))
            assert len(rows) == 40 and all(r.status == "sent" for r in rows)
    finally:
        await app2.stop()
        await tg.stop()


async def test_officer_cannot_announce_and_vanban_reopens(bot: Harness) -> None:
    chats = await bind_units(bot, ["X_CAOLOC"])
    assert "chỉ dành cho" in (await bot.say(chats["X_CAOLOC"], "/thongbao"))[-1].text
    a = await bot.app.services.announcements.create(doc_type="Kế hoạch", number="7/KH-UBND", summary="Kế hoạch thi đua",
                                                    body="Nội dung kế hoạch.", audience={"all": True})
    await bot.drain()
    listing = (await bot.say(chats["X_CAOLOC"], "/vanban"))[-1]
    assert "7/KH-UBND" in listing.text
    again = await bot.press(chats["X_CAOLOC"], f"vb:{a.id}", listing.message_id)
    assert "Nội dung kế hoạch" in again[-1].text


async def test_thongbao_guided_flow_with_preview_and_live_report(bot: Harness) -> None:
    chats = await bind_units(bot, ["X_CAOLOC", "X_DONGDANG"])
    await bot.bind(ADMIN, None, role="admin")
    await bot.say(ADMIN, "/thongbao")
    await bot.press_label(ADMIN, "Công văn")
    await bot.say(ADMIN, "45/SNV-TĐKT")
    await bot.say(ADMIN, "V/v báo cáo sơ kết 6 tháng")
    await bot.say(ADMIN, "Đề nghị Quý đơn vị **báo cáo** trước ngày 20/6.")
    await bot.press_label(ADMIN, "Tất cả đơn vị")
    replies = await bot.press_label(ADMIN, "Có, yêu cầu")
    preview = replies[0].text
    assert "45/SNV-TĐKT" in preview and "<b>báo cáo</b>" in preview
    replies = await bot.press_label(ADMIN, "Gửi ngay")
    report = replies[-1]
    assert "Đã gửi" in report.text
    await bot.drain()

    def refreshed() -> bool:  # the live report refreshes itself every 2 s
        edits = [m for m in bot.tg.sent if m.method == "editMessageText" and m.message_id == report.message_id]
        return bool(edits) and "Đã gửi 2/2" in (edits[-1].text or "")

    await bot.tg.wait_for(refreshed, timeout=10)
    assert "45/SNV-TĐKT" in bot.last_text(chats["X_CAOLOC"])
    missing = await bot.press_label(ADMIN, "Đơn vị chưa nhận")
    assert "X_HUULUNG" in missing[-1].text
    status = (await bot.say(ADMIN, "/tinhtrang"))[-1].text
    assert "45/SNV-TĐKT" in status and "gửi 2/2" in status


async def test_cli_announce_each_sample_decree(bot: Harness, sqlite_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from tests.integration.test_foundation import cli

    clock.at = datetime.now(UTC) + timedelta(minutes=5)  # the CLI process runs on the real clock
    await bind_units(bot, ["X_CAOLOC"])
    env = {"TELEGRAM_BOT_TOKEN": bot.tg.token, "TELEGRAM_API_BASE_URL": bot.tg.root}
    for path in sorted(DECREES.glob("*.md")):
        result = await asyncio.to_thread(cli, sqlite_url, "announce", str(path), "--audience", "units:X_CAOLOC",
                                         "--no-wait", env=env)
        assert result.returncode == 0, result.stderr
        assert "Số kênh nhận: 1" in result.stdout
    await bot.drain(60)
    recent = await bot.app.services.announcements.recent(10)
    assert len(recent) == 5 and all(c.sent == 1 for _, c in recent)
    numbers = {a.number for a, _ in recent}
    assert {"12/CT-UBND", "173/PD-SKHĐT"} <= numbers
    result = await asyncio.to_thread(cli, sqlite_url, "deliveries", str(recent[0][0].id), env=env)
    assert "X_CAOLOC" in result.stdout and "sent" in result.stdout
