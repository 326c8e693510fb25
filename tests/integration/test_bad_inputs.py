"""Issue 12, "a clean answer to every bad input": forged button payloads, faked file types
and empty files, and an officer pressing an admin's button — each through the fake Bot API
on every backend (``db_url``), each answered in Vietnamese with nothing broken or kept."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core import FixedClock
from tests.integration.conftest import Harness, start_harness
from tests.integration.test_reports import ANSWERS_6T, OFFICER, answer_all, open_period, send_file

HUGE = "9" * 40


@pytest.fixture
async def harness(db_url: str, clock: FixedClock, tmp_path: Path) -> AsyncIterator[Harness]:
    app, tg = await start_harness(db_url, clock, files_dir=str(tmp_path / "files"))
    try:
        yield Harness(app, tg)
    finally:
        await app.stop()
        await tg.stop()


def stored_files(bot: Harness) -> list[Path]:
    root = Path(bot.app.settings.files_dir)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize("payload", [
    f"bc:p:{HUGE}", f"bc:submit:{HUGE}", f"bc:e:{HUGE}", f"bc:o:{HUGE}:{HUGE}", f"ack:{HUGE}",
    f"vb:{HUGE}", "bc:p:²", "bc:p:-1", "bc:p:0", f"bc:p:{2**31}", "bc:p:", "bc", "kenh", "kenh:set",
])
async def test_forged_payloads_are_answered_like_a_stale_button(harness: Harness, payload: str) -> None:
    await open_period(harness.app)
    await harness.bind(OFFICER, "X_CAOLOC")
    first = await harness.say(OFFICER, "/baocao")
    replies = await harness.press(OFFICER, payload, first[-1].message_id)
    texts = " ".join(m.text or "" for m in replies)
    assert "sự cố" not in texts
    assert any(w in texts for w in ("không còn hiệu lực", "câu hỏi trước đó", "Câu ")), texts
    # The bot is still fine: the report goes on.
    assert not (await harness.say(OFFICER, "42"))[-1].text.startswith("⚠️")


@pytest.mark.parametrize("payload", [f"td:p:{HUGE}", f"td:s:{HUGE}", f"rp:{HUGE}:s", "an:aud:g:99", "an:type:²"])
async def test_forged_admin_payloads_are_answered_like_a_stale_button(harness: Harness, payload: str) -> None:
    await harness.bind(9101, None, role="admin")
    first = await harness.say(9101, "/toi")
    replies = await harness.press(9101, payload, first[-1].message_id)
    texts = " ".join(m.text or "" for m in replies)
    assert "sự cố" not in texts and "không còn hiệu lực" in texts, texts


@pytest.mark.parametrize(("payload", "words"), [
    ("td:x:1", "xuất Excel tổng hợp"), ("td:r:1", "trả lại báo cáo"), ("an:send", "soạn và gửi văn bản"),
    ("rp:1:m", "theo dõi tình hình gửi văn bản"), ("td:zz:1", "Chức năng này"),
])
async def test_officer_pressing_an_admin_button_is_told_what_it_was_in_words(
        harness: Harness, payload: str, words: str) -> None:
    await harness.bind(OFFICER, "X_CAOLOC")
    first = await harness.say(OFFICER, "/toi")
    replies = await harness.press(OFFICER, payload, first[-1].message_id)
    text = replies[-1].text
    assert words in text and "chỉ dành cho cán bộ" in text, text
    assert "Lệnh /" not in text and "/td" not in text and "/an" not in text and "/rp" not in text


def docx_bytes(content_type: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", f'<Types><Override PartName="/word/document.xml" ContentType="{content_type}"/></Types>')
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
SHEET_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


@pytest.mark.parametrize(("name", "mime", "content", "says"), [
    ("bao-cao.pdf", "application/pdf", b"MZ\x90\x00\x03\x00\x00\x00 This program cannot be run in DOS mode", "không phải là tệp PDF"),
    ("bao-cao.pdf", "application/pdf", b"", "không có nội dung"),
    ("virus.exe", "application/x-msdownload", b"MZ\x90\x00", "không được chấp nhận"),
    ("bao-cao.docx", "application/octet-stream", docx_bytes(SHEET_MAIN), "không phải là tệp DOCX"),
    ("bao-cao.docx", "", b"PK\x03\x04 not really a zip", "không phải là tệp DOCX"),
    ("anh.jpg", "image/jpeg", b"\xff\xd8 not a jpeg", "không phải là tệp JPG"),
    ("anh.png", "image/png", b"\xff\xd8\xff\xe0 a jpeg", "không phải là tệp PNG"),
])
async def test_refused_uploads_are_explained_and_never_kept(
        harness: Harness, name: str, mime: str, content: bytes, says: str) -> None:
    await open_period(harness.app)
    await harness.bind(OFFICER, "X_CAOLOC")
    await harness.say(OFFICER, "/baocao")
    await answer_all(harness, OFFICER, ANSWERS_6T)
    replies = await send_file(harness, OFFICER, name, mime, content)
    assert replies[0].text.startswith("❌") and says in replies[0].text, replies[0].text
    assert stored_files(harness) == []
    # Still at the file question: a real PDF is then taken and kept.
    replies = await send_file(harness, OFFICER, "bao-cao.pdf", "application/pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj")
    assert "Tóm tắt báo cáo" in replies[-1].text
    assert [p.name.split("_", 1)[1] for p in stored_files(harness)] == ["bao-cao.pdf"]


@pytest.mark.parametrize(("name", "mime", "content"), [
    ("trang-1.jpg", "image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
    ("trang-1.png", "image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
    ("bao-cao.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx_bytes(WORD_MAIN)),
])
async def test_real_files_are_accepted(harness: Harness, name: str, mime: str, content: bytes) -> None:
    await open_period(harness.app)
    await harness.bind(OFFICER, "X_CAOLOC")
    await harness.say(OFFICER, "/baocao")
    await answer_all(harness, OFFICER, ANSWERS_6T)
    replies = await send_file(harness, OFFICER, name, mime, content)
    assert "Tóm tắt báo cáo" in replies[-1].text, replies[-1].text
    assert len(stored_files(harness)) == 1


async def test_a_refused_extra_page_is_not_kept(harness: Harness) -> None:
    """After the file question, further photos are pages: a fake one is refused and not kept."""
    await open_period(harness.app)
    await harness.bind(OFFICER, "X_CAOLOC")
    await harness.say(OFFICER, "/baocao")
    await answer_all(harness, OFFICER, ANSWERS_6T)
    await send_file(harness, OFFICER, "bao-cao.pdf", "application/pdf", b"%PDF-1.4 signed")
    replies = await send_file(harness, OFFICER, "trang-2.jpg", "image/jpeg", b"MZ renamed")
    assert replies[-1].text.startswith("❌") and "không phải là tệp JPG" in replies[-1].text
    assert len(stored_files(harness)) == 1


@pytest.mark.parametrize("offsets", ["99999999999d", "7d,²d", "400d", "9000h"])
async def test_reminder_offsets_out_of_range_are_asked_again_and_the_period_opens(
        harness: Harness, offsets: str) -> None:
    """'99999999999d' was accepted and overflowed timedelta when the reminders were planned,
    after the period was stored ("sự cố", a period without reminders); '²d' passed isdigit."""
    await harness.bind(9101, None, role="admin")
    await harness.say(9101, "/kybaocao")
    await harness.press_label(9101, "sơ kết công tác thi đua")
    for step in ("Sơ kết 6 tháng đầu năm 2026", "14/06/2026", "20/06/2026 17:00", "kind:xa"):
        await harness.say(9101, step)
    refused = await harness.say(9101, offsets)
    assert refused[0].text.startswith("❌") and "Mốc nhắc" in refused[0].text, refused[0].text
    assert await harness.app.services.reports.periods() == []
    assert "Xem lại kỳ báo cáo" in (await harness.say(9101, "7d,1d"))[-1].text
    assert "Đã mở kỳ báo cáo" in (await harness.press_label(9101, "Mở kỳ"))[-1].text
    periods = await harness.app.services.reports.periods()
    assert len(periods) == 1 and periods[0].remind_offsets == ("7d", "1d")
