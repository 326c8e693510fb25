"""Page 5, Văn bản, over HTTP with the whole bot: compose with a preview of each platform's
parts, send (the fake Bot API receives it), the per-unit table with a failure's reason and
the units no chat reaches, "Gửi lại cho đơn vị lỗi" and "Nhắc đơn vị chưa xác nhận"; CSRF,
roles and the audit log as on every other page."""

from __future__ import annotations

import asyncio
import hashlib
import re

import aiohttp
import pytest
from sqlalchemy import select

from bot.core import FixedClock
from bot.web.previews import TELEGRAM_MAX_TEXT, ZALO_MAX_TEXT
from storage.models import AuditLog
from tests.web.conftest import Dash

CAOLOC, DONGDANG, CHILANG = 5401, 5402, 5403
ROW = re.compile(r'<tr data-unit="([^"]+)" data-status="([^"]+)">')


def compose_form(csrf: str, action: str, **fields: str) -> dict[str, str]:
    form = {"csrf": csrf, "hanh_dong": action, "loai": "Chỉ thị", "so": "12/ct-ubnd", "ngay": "2026-06-05",
            "trich_yeu": "Về đẩy mạnh phong trào thi đua năm 2026", "noi_dung": "Các đơn vị **triển khai** ngay.",
            "doi_tuong": "units", "ma_dv": "X_CAOLOC, X_DONGDANG, X_CHILANG", "xac_nhan": "1"}
    form.update(fields)
    return form


async def test_compose_preview_send_follow_up(dash: Dash) -> None:
    for chat, unit in ((CAOLOC, "X_CAOLOC"), (DONGDANG, "X_DONGDANG")):
        await dash.bind(chat, unit)
    await dash.drain()
    b, csrf = await dash.signed_in("admin")
    async with b:
        page = await (await b.get(f"{dash.base}/web/van-ban/soan")).text()
        assert 'id="compose-form"' in page and "Giao ước thi đua" in page
        # bad input: every problem named, what was typed kept, nothing stored or sent
        r = await b.post(f"{dash.base}/web/van-ban/soan", data=compose_form(
            csrf, "gui", trich_yeu="", ngay="31/02/2026", ma_dv="X_KHONGCO", noi_dung="Giữ nguyên nội dung này"))
        page = await r.text()
        assert r.status == 400 and "Cần nhập trích yếu." in page and "Ngày ban hành không hợp lệ" in page
        assert "Giữ nguyên nội dung này" in page and await dash.app.services.announcements.recent(5) == []
        r = await b.post(f"{dash.base}/web/van-ban/soan", data=compose_form(csrf, "gui", ma_dv="X_KHONGCO"))
        assert r.status == 400 and "Không có đơn vị mã: X_KHONGCO" in await r.text()
        # the preview: the same text the chat's /thongbao previews, split as each platform sends it
        long_body = "\n\n".join(f"Đoạn {i}: " + "các đơn vị thực hiện nghiêm túc, báo cáo đúng hạn. " * 6
                                for i in range(40))
        r = await b.post(f"{dash.base}/web/van-ban/soan", data=compose_form(csrf, "xem", noi_dung=long_body))
        page = await r.text()
        assert r.status == 200 and 'id="previews"' in page
        tg = re.search(r'data-channel="telegram">\s*<h3>Telegram — (\d+) tin nhắn', page)
        zalo = re.search(r'data-channel="zalo">\s*<h3>Zalo — (\d+) tin nhắn', page)
        assert tg and zalo and 1 < int(tg.group(1)) < int(zalo.group(1))
        assert len(long_body) // ZALO_MAX_TEXT <= int(zalo.group(1)) and len(long_body) // TELEGRAM_MAX_TEXT <= int(tg.group(1))
        assert "12/CT-UBND" in page and "Đoạn 39" in page
        assert await dash.app.services.announcements.recent(5) == []  # a preview stores nothing
        # send, with one chat's copy refused by the platform
        dash.tg.fail_next("sendMessage", status=400, description="Bad Request: something odd", chat_id=DONGDANG)
        r = await b.post(f"{dash.base}/web/van-ban/soan", data=compose_form(csrf, "gui"), allow_redirects=False)
        assert r.status == 303
        location = r.headers["Location"]
        ann_id = int(location.split("/")[3].split("?")[0])
        await dash.drain()
        assert "triển khai" in dash.tg.last_to(CAOLOC).text and "12/CT-UBND" in dash.tg.last_to(CAOLOC).text
        page = await (await b.get(dash.base + location)).text()
        rows = dict(ROW.findall(page))
        assert rows == {"X_CAOLOC": "sent", "X_DONGDANG": "failed", "X_CHILANG": "no_chat"}
        assert "Something odd" in page and "chưa liên kết kênh nhắn tin" in page
        assert '<b data-figure="sent">1</b>/2' in page and '<b data-figure="no_chat">1</b>' in page
        # the figures alone, as the page polls them: the same numbers, and no more polling once done
        figures = await (await b.get(f"{dash.base}/web/van-ban/{ann_id}/so-lieu")).text()
        assert '<b data-figure="sent">1</b>/2' in figures and '<b data-figure="no_chat">1</b>' in figures
        assert 'data-live="0"' in figures and "hx-trigger" not in figures and "<html" not in figures
        assert "Đã đến máy" not in page  # Telegram sends no receipts: no figures, no columns
        # the list shows it with its figures
        listing = await (await b.get(f"{dash.base}/web/van-ban")).text()
        assert f'href="/web/van-ban/{ann_id}"' in listing and "Chỉ thị 12/CT-UBND" in listing
        # "Gửi lại cho đơn vị lỗi": the failed chat gets it this time
        before = len(dash.tg.messages_to(DONGDANG))
        r = await b.post(f"{dash.base}/web/van-ban/{ann_id}/gui-lai", data={"csrf": csrf}, allow_redirects=False)
        assert r.status == 303 and r.headers["Location"].endswith("xong=retry&n=1")
        await dash.drain()
        assert len(dash.tg.messages_to(DONGDANG)) > before and "triển khai" in dash.tg.last_to(DONGDANG).text
        # X_CAOLOC acknowledges in chat; "Nhắc đơn vị chưa xác nhận" reaches only X_DONGDANG
        await dash.press_label(CAOLOC, "Đã nhận")
        page = await (await b.get(f"{dash.base}/web/van-ban/{ann_id}")).text()
        assert '<b data-figure="acknowledged">1</b>' in page
        caoloc_before, dongdang_before = len(dash.tg.messages_to(CAOLOC)), len(dash.tg.messages_to(DONGDANG))
        key = re.search(r'name="khoa" value="([^"]+)"', page)
        assert key
        r = await b.post(f"{dash.base}/web/van-ban/{ann_id}/nhac-xac-nhan", data={"csrf": csrf, "khoa": key.group(1)},
                         allow_redirects=False)
        assert r.headers["Location"].endswith("xong=remind&n=1")
        # the same form again (a double click): said so, nothing more sent
        r = await b.post(f"{dash.base}/web/van-ban/{ann_id}/nhac-xac-nhan", data={"csrf": csrf, "khoa": key.group(1)},
                         allow_redirects=False)
        assert r.headers["Location"].endswith("xong=remind_repeat")
        assert "đã được gửi từ lần bấm trước" in await (await b.get(dash.base + r.headers["Location"])).text()
        await dash.drain()
        assert len(dash.tg.messages_to(CAOLOC)) == caoloc_before
        assert len(dash.tg.messages_to(DONGDANG)) == dongdang_before + 1
    async with dash.app.uow() as uow:
        actions = [a.action for a in await uow.session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert {"announcement.create", "web.announce", "web.announcement_retry", "web.announcement_remind"} <= set(actions)


async def test_roles_and_csrf(dash: Dash) -> None:
    ann = await dash.app.services.announcements.create(doc_type="Thông báo", summary="Lịch họp", body="Họp lúc 8h.",
                                                       audience={"all": True})
    v, vcsrf = await dash.signed_in("viewer")
    async with v:
        assert (await v.get(f"{dash.base}/web/van-ban/{ann.id}")).status == 200
        assert "Gửi lại cho đơn vị lỗi" not in await (await v.get(f"{dash.base}/web/van-ban/{ann.id}")).text()
        assert (await v.get(f"{dash.base}/web/van-ban/soan")).status == 403
        for path in (f"/web/van-ban/{ann.id}/gui-lai", f"/web/van-ban/{ann.id}/nhac-xac-nhan", "/web/van-ban/soan"):
            assert (await v.post(dash.base + path, data={"csrf": vcsrf, **compose_form(vcsrf, "gui")})).status == 403
    b, _ = await dash.signed_in("admin")
    async with b:
        for path in (f"/web/van-ban/{ann.id}/gui-lai", f"/web/van-ban/{ann.id}/nhac-xac-nhan", "/web/van-ban/soan"):
            assert (await b.post(dash.base + path, data={"csrf": "forged"})).status == 403
        assert (await b.get(f"{dash.base}/web/van-ban/999999")).status == 404
    o, _ = await dash.signed_in("officer", unit="X_CAOLOC")
    async with o:
        assert (await o.get(f"{dash.base}/web/van-ban/{ann.id}")).status == 404
        assert (await o.get(f"{dash.base}/web/van-ban")).status == 404
    assert len(await dash.app.services.announcements.recent(5)) == 1


def test_preview_limits_are_the_adapters() -> None:
    """The preview splits as the channels do: the same limits (the dashboard may not import them)."""
    from bot.channels import zalo, zalo_oa
    from bot.channels.telegram import TelegramChannel

    assert TelegramChannel.capabilities.max_text == TELEGRAM_MAX_TEXT
    assert zalo.MAX_TEXT == zalo_oa.MAX_TEXT == ZALO_MAX_TEXT


def test_issued_on_from_the_date_field_or_typed() -> None:
    from datetime import date

    from bot.web.announcements import Draft

    assert Draft(issued_on="2026-06-15").issued_date() == date(2026, 6, 15)
    assert Draft(issued_on="15/06/2026").issued_date() == date(2026, 6, 15)
    bad = Draft(issued_on="15.06.2026", summary="x")
    bad.check()
    assert bad.errors == ["issued_on"]


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def multipart(csrf: str, action: str, files: list[tuple[str, str, bytes]], **fields: str) -> aiohttp.FormData:
    """The compose form as a browser posts it with files chosen (enctype multipart/form-data)."""
    data = aiohttp.FormData()
    for name, value in compose_form(csrf, action, **fields).items():
        data.add_field(name, value)
    for field_name, filename, content in files:
        data.add_field(field_name, content, filename=filename, content_type="application/octet-stream")
    return data


def kept_tokens(page: str) -> list[tuple[str, str]]:
    return re.findall(r'name="(giu_tep|tep_noi_dung_ten)" value="([^"]*)"', page)


async def test_compose_with_the_decree_as_pdf_and_annexes(dash: Dash) -> None:
    """The decree uploaded as a PDF (no typed body) and an annex: a wrong file is named with
    everything typed kept, the preview keeps the files without asking again and says how each
    platform delivers them, and the chat gets the text and then every file as a document."""
    await dash.bind(CAOLOC, "X_CAOLOC")
    await dash.drain()
    b, csrf = await dash.signed_in("admin")
    annex = b"PK\x03\x04 bieu mau dang ky"
    async with b:
        # a wrong type of decree file: named, typed text kept, nothing stored
        r = await b.post(f"{dash.base}/web/van-ban/soan", data=multipart(
            csrf, "gui", [("tep_noi_dung", "chi-thi.exe", b"MZ"), ("dinh_kem", "bieu-mau.xlsx", annex)],
            noi_dung="", trich_yeu="Về phong trào thi đua năm 2026 – giữ nguyên"))
        page = await r.text()
        assert r.status == 400 and "chi-thi.exe" in page and 'data-file-error="body_type"' in page
        assert "giữ nguyên" in page and await dash.app.services.announcements.recent(5) == []
        # the annex that was fine is kept on the server and offered ticked
        assert ("giu_tep", f"{hashlib.sha256(annex).hexdigest()}/bieu-mau.xlsx") in kept_tokens(page)
        # the preview with the decree PDF added: both files listed, the OA sends the PDF as a file
        fields = {"noi_dung": ""}
        files = [("tep_noi_dung", "12-CT-UBND.pdf", PDF)]
        data = multipart(csrf, "xem", files, **fields)
        data.add_field("giu_tep", f"{hashlib.sha256(annex).hexdigest()}/bieu-mau.xlsx")
        r = await b.post(f"{dash.base}/web/van-ban/soan", data=data)
        page = await r.text()
        assert r.status == 200 and 'id="preview-files"' in page, page[:3000]
        assert "12-CT-UBND.pdf" in page and "bieu-mau.xlsx" in page
        assert re.findall(r'data-oa="(\w+)"', page) == ["file", "link"]
        assert "Tài liệu kèm theo: 12-CT-UBND.pdf; bieu-mau.xlsx" in page  # the text says what follows
        tokens = kept_tokens(page)
        assert ("tep_noi_dung_ten", "12-CT-UBND.pdf") in tokens and len(tokens) == 3
        # "Gửi ngay" from the preview: only the tokens come back, no file is sent again
        send = aiohttp.FormData()
        for name, value in {**compose_form(csrf, "gui", noi_dung=""), }.items():
            send.add_field(name, value)
        for name, value in tokens:
            send.add_field(name, value)
        r = await b.post(f"{dash.base}/web/van-ban/soan", data=send, allow_redirects=False)
        assert r.status == 303, await r.text()
        await dash.drain()
    sent = dash.tg.messages_to(CAOLOC)[-3:]
    assert [m.method for m in sent] == ["sendMessage", "sendDocument", "sendDocument"]
    assert "12/CT-UBND" in (sent[0].text or "")
    assert [m.document for m in sent[1:]] == [("12-CT-UBND.pdf", PDF), ("bieu-mau.xlsx", annex)]
    assert sent[-1].reply_markup is not None  # "Đã nhận" goes with the last thing sent


async def test_oversized_file_is_named_and_whole_form_cap_refused(dash: Dash, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.web import uploads

    monkeypatch.setattr(uploads, "MAX_FILE_BYTES", 1000)
    b, csrf = await dash.signed_in("admin")
    async with b:
        r = await b.post(f"{dash.base}/web/van-ban/soan", data=multipart(
            csrf, "gui", [("dinh_kem", "ban-scan.pdf", PDF + b"x" * 2000)], noi_dung="Nội dung gõ tay còn đây"))
        page = await r.text()
        assert r.status == 400 and 'data-file-error="too_big"' in page and "ban-scan.pdf" in page
        assert "Nội dung gõ tay còn đây" in page
        monkeypatch.setattr(uploads, "MAX_FORM_BYTES", 1500)
        r = await b.post(f"{dash.base}/web/van-ban/soan", data=multipart(
            csrf, "gui", [("dinh_kem", "a.pdf", PDF + b"x" * 900), ("dinh_kem", "b.pdf", PDF + b"y" * 900)]))
        assert r.status == 413 and "45 MB" in await r.text()
    assert await dash.app.services.announcements.recent(5) == []


async def test_send_at_a_time(dash: Dash, clock: FixedClock) -> None:
    """"Hẹn giờ gửi": stored scheduled, nothing sent before its time, sent by the tick after it;
    a time already past is refused, never sent at once instead."""
    await dash.bind(CAOLOC, "X_CAOLOC")
    await dash.drain()
    before = len(dash.tg.messages_to(CAOLOC))
    b, csrf = await dash.signed_in("admin")
    async with b:  # the clock is Mon 08/06/2026 09:00 in Hà Nội
        r = await b.post(f"{dash.base}/web/van-ban/soan", data=compose_form(csrf, "hen", gui_luc="08/06/2026 08:00"))
        assert r.status == 400 and "đã qua" in await r.text()
        r = await b.post(f"{dash.base}/web/van-ban/soan", data=compose_form(csrf, "hen", gui_luc="2026-06-08T14:30"),
                         allow_redirects=False)
        assert r.status == 303 and r.headers["Location"].endswith("xong=scheduled")
        page = await (await b.get(dash.base + r.headers["Location"])).text()
        assert "Đã hẹn gửi văn bản lúc 08/06/2026 14:30" in page
        assert 'data-live="1"' in page and 'hx-trigger="every 5s"' in page  # waits, refreshing itself
        figures_url = dash.base + r.headers["Location"].split("?")[0] + "/so-lieu"
    assert (await dash.app.services.tick())["released"] == 0
    await dash.drain()
    assert len(dash.tg.messages_to(CAOLOC)) == before
    clock.advance(hours=5, minutes=31)
    assert (await dash.app.services.tick())["released"] == 1
    await dash.drain()
    assert "12/CT-UBND" in dash.tg.last_to(CAOLOC).text
    b, _ = await dash.signed_in("admin")
    async with b:
        figures = await (await b.get(figures_url)).text()
    assert '<b data-figure="sent">1</b>/1' in figures and 'data-live="0"' in figures


async def test_a_scheduled_announcement_waits_and_can_be_called_off(dash: Dash, clock: FixedClock) -> None:
    """Before its time a linked unit is waiting, not "chưa liên kết"; "Hủy hẹn gửi" calls it
    off for good (the tick after its time sends nothing), once, and is written in the log."""
    await dash.bind(CAOLOC, "X_CAOLOC")
    await dash.drain()
    before = len(dash.tg.messages_to(CAOLOC))
    b, csrf = await dash.signed_in("admin")
    async with b:
        r = await b.post(f"{dash.base}/web/van-ban/soan", data=compose_form(csrf, "hen", gui_luc="2026-06-08T14:30"),
                         allow_redirects=False)
        page_url = dash.base + r.headers["Location"].split("?")[0]
        ann_id = int(page_url.rsplit("/", 1)[1])
        page = await (await b.get(page_url)).text()
        rows = dict(ROW.findall(page))
        assert rows == {"X_CAOLOC": "waiting", "X_DONGDANG": "no_chat", "X_CHILANG": "no_chat"}
        assert re.search(r'data-unit="X_CAOLOC" data-status="waiting">.*chờ đến giờ gửi', page)
        assert re.search(r'data-unit="X_DONGDANG" data-status="no_chat">.*chưa liên kết kênh nhắn tin', page)
        assert '<b data-figure="no_chat">2</b>' in page and 'id="cancel-scheduled"' in page
        figures = await (await b.get(page_url + "/so-lieu")).text()
        assert '<b data-figure="no_chat">2</b>' in figures
        r = await b.post(page_url + "/huy-hen", data={"csrf": "sai"}, allow_redirects=False)
        assert r.status == 403
        r = await b.post(page_url + "/huy-hen", data={"csrf": csrf}, allow_redirects=False)
        assert r.status == 303 and r.headers["Location"].endswith("xong=cancelled")
        page = await (await b.get(dash.base + r.headers["Location"])).text()
        assert "Đã hủy hẹn gửi" in page and 'id="cancelled"' in page and 'id="cancel-scheduled"' not in page
        assert re.search(r'data-unit="X_CAOLOC" data-status="waiting">.*đã hủy, không gửi', page)
        r = await b.post(page_url + "/huy-hen", data={"csrf": csrf}, allow_redirects=False)
        assert r.headers["Location"].endswith("xong=too_late")
        listing = await (await b.get(f"{dash.base}/web/van-ban")).text()
        assert "(đã hủy hẹn gửi)" in listing
    clock.advance(hours=6)
    assert (await dash.app.services.tick())["released"] == 0
    await dash.drain()
    assert len(dash.tg.messages_to(CAOLOC)) == before
    async with dash.app.uow() as uow:
        actions = [a.action for a in await uow.session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions.count("announcement.cancel") == 1 and actions.count("web.announcement_cancel") == 2
    # a viewer may not call one off
    v, vcsrf = await dash.signed_in("viewer")
    async with v:
        r = await v.post(f"{dash.base}/web/van-ban/{ann_id}/huy-hen", data={"csrf": vcsrf}, allow_redirects=False)
        assert r.status == 403


def test_file_ways_are_the_oa_adapters() -> None:
    from bot.channels import zalo_oa
    from bot.web import previews

    assert previews.ZALO_OA_FILE_TYPES == zalo_oa.UPLOADABLE
    assert (previews.ZALO_OA_MAX_FILE, previews.ZALO_OA_MAX_IMAGE) == (zalo_oa.MAX_UPLOAD_FILE, zalo_oa.MAX_UPLOAD_IMAGE)


async def test_an_officer_opens_what_reached_their_unit_and_acknowledges_it(dash: Dash) -> None:
    """The officer's dashboard links each announcement their unit received: the body, the
    files (the PDF shown in the browser), and "Đã nhận" for the whole unit. Another unit's
    officer can open none of it by changing the URL; the office sees the acknowledgement."""
    for chat, unit in ((CAOLOC, "X_CAOLOC"), (DONGDANG, "X_DONGDANG")):
        await dash.bind(chat, unit)
    files = dash.app.services.files
    decree = await files.store("12-CT-UBND.pdf", "application/pdf", PDF)
    annex = await files.store("bieu-mau.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                              b"PK\x03\x04 bieu mau")
    a = await dash.app.services.announcements.create(
        doc_type="Chỉ thị", number="12/CT-UBND", summary="Về thi đua năm 2026", body="Các đơn vị **triển khai** ngay.",
        attachments=[decree, annex], audience={"units": ["X_CAOLOC"]}, needs_ack=True)
    await dash.drain()
    url = f"{dash.base}/web/van-ban/{a.id}"
    b, csrf = await dash.signed_in(unit="X_CAOLOC")
    async with b:
        home = await (await b.get(f"{dash.base}/web")).text()
        assert f'<a href="/web/van-ban/{a.id}">Chỉ thị 12/CT-UBND</a>' in home
        page = await (await b.get(url)).text()
        assert "<b>triển khai</b>" in page and 'id="acknowledge"' in page and 'id="deliveries"' not in page
        assert f'href="/web/van-ban/{a.id}/tep/0">12-CT-UBND.pdf' in page and "bieu-mau.xlsx" in page
        r = await b.get(f"{url}/tep/0")
        assert r.status == 200 and r.content_type == "application/pdf" and await r.read() == PDF
        assert r.headers["Content-Disposition"].startswith("inline")
        r = await b.get(f"{url}/tep/1")
        assert r.status == 200 and r.headers["Content-Disposition"].startswith("attachment")
        for bad in ("2", "-1", "x", "٣"):
            assert (await b.get(f"{url}/tep/{bad}")).status == 404, bad
        assert (await b.post(f"{url}/xac-nhan", data={"csrf": "sai"}, allow_redirects=False)).status == 403
        r = await b.post(f"{url}/xac-nhan", data={"csrf": csrf}, allow_redirects=False)
        assert r.status == 303 and r.headers["Location"].endswith("xong=acked")
        page = await (await b.get(dash.base + r.headers["Location"])).text()
        assert 'id="acknowledged"' in page and 'id="acknowledge"' not in page
        r = await b.post(f"{url}/xac-nhan", data={"csrf": csrf}, allow_redirects=False)  # again: harmless
        assert r.status == 303
    assert (await dash.app.services.announcements.counts(a.id)).acknowledged == 1
    other, other_csrf = await dash.signed_in(unit="X_DONGDANG")
    async with other:
        for path in ("", "/tep/0"):
            r = await other.get(url + path)
            assert r.status == 404 and "triển khai" not in await r.text(), path
        assert (await other.post(f"{url}/xac-nhan", data={"csrf": other_csrf}, allow_redirects=False)).status == 404
    v, vcsrf = await dash.signed_in("viewer")
    async with v:
        page = await (await v.get(url)).text()
        assert 'id="deliveries"' in page and '<b data-figure="acknowledged">1</b>' in page
        assert (await v.get(f"{url}/tep/0")).status == 200
        assert (await v.post(f"{url}/xac-nhan", data={"csrf": vcsrf}, allow_redirects=False)).status == 403
    async with dash.app.uow() as uow:
        actions = [x.action for x in await uow.session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions.count("announcement.acknowledge") == 1 and actions.count("web.announcement_acknowledge") == 2


async def test_gui_ngay_pressed_twice_sends_once(dash: Dash) -> None:
    """The compose form carries a one-time key: a second POST of the same form (a double
    click, a reload) goes to the first announcement's page and sends nothing more."""
    await dash.bind(CAOLOC, "X_CAOLOC")
    await dash.drain()
    b, csrf = await dash.signed_in("admin")
    async with b:
        page = await (await b.get(f"{dash.base}/web/van-ban/soan")).text()
        key = re.search(r'name="khoa" value="([^"]+)"', page)
        assert key
        form = compose_form(csrf, "gui", khoa=key.group(1))
        # a preview (and a correction) keeps the key
        preview = await (await b.post(f"{dash.base}/web/van-ban/soan", data=compose_form(csrf, "xem", khoa=key.group(1)))).text()
        assert f'name="khoa" value="{key.group(1)}"' in preview
        first, second = await asyncio.gather(*(b.post(f"{dash.base}/web/van-ban/soan", data=form, allow_redirects=False)
                                               for _ in range(2)))
        locations = sorted([first.headers["Location"], second.headers["Location"]])
        ann = locations[0].split("?")[0]
        assert [loc.split("?")[0] for loc in locations] == [ann, ann]
        assert sorted(loc.split("?")[1] for loc in locations) == ["xong=repeat", "xong=sent"]
        await dash.drain()
        assert sum("12/CT-UBND" in (m.text or "") for m in dash.tg.messages_to(CAOLOC)) == 1
        page = await (await b.get(f"{dash.base}{ann}?xong=repeat")).text()
        assert "đã được gửi từ lần bấm trước" in page
        # a fresh compose page is a new form: a new key, a new announcement
        again = await (await b.get(f"{dash.base}/web/van-ban/soan")).text()
        assert key.group(1) not in again
        # a form without a (well-formed) key still sends, once per request
        r = await b.post(f"{dash.base}/web/van-ban/soan", data=compose_form(csrf, "gui", khoa="<script>"),
                         allow_redirects=False)
        assert r.status == 303 and r.headers["Location"].split("?")[0] != ann
    assert len(await dash.app.services.announcements.recent(10)) == 2
    async with dash.app.uow() as uow:
        actions = [x.action for x in await uow.session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions.count("web.announce") == 2 and actions.count("announcement.create") == 2
