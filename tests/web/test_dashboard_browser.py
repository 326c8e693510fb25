"""The dashboard in a real headless Chromium: sign in with a link, follow a period, remind
only the missing units, return a report with a reason — and what the fake Bot API receives.
One browser for the module; screenshots at a desk's and a phone's size are kept (set
TDKT_SCREENSHOTS to a folder to look at them)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.browser import Browser, By, start_browser
from tests.web.conftest import Dash

CAOLOC, DONGDANG, TANTHANH, ADMIN = 5401, 5402, 5403, 9401


@pytest.fixture(scope="module")
def driver() -> Iterator[object]:
    d = start_browser()
    yield d
    d.quit()


@pytest.fixture
def browser(driver: object, tmp_path: Path) -> Browser:
    shots = Path(os.environ.get("TDKT_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    driver.delete_all_cookies()  # type: ignore[attr-defined]
    return Browser(driver, shots)  # type: ignore[arg-type]


async def test_follow_a_period_remind_the_missing_and_return_a_report(dash: Dash, browser: Browser) -> None:
    period = await dash.open_period()
    for chat, unit in ((CAOLOC, "X_CAOLOC"), (DONGDANG, "X_DONGDANG"), (TANTHANH, "X_TANTHANH")):
        await dash.bind(chat, unit)
    sub = await dash.submit(period, "X_CAOLOC")

    # sign in with a link, as the CLI prints it
    await browser.get(await dash.link("admin", name="Trần Thị Hoa"))
    await browser.click("#sign-in")
    await browser.wait_for("#overview-figures")
    assert "Trần Thị Hoa" in await browser.text("header")
    assert "Sơ kết 6 tháng đầu năm 2026" in await browser.text("#overview-figures")
    shot = await browser.screenshot("tong-quan", 1366, 768)
    assert shot.stat().st_size > 10_000
    # per cụm/khối, a bar by status each; X_CAOLOC's submission shows in its groups' bars
    await browser.click("#overview-figures details summary")
    groups = await browser.attrs("table.groups tbody tr", "data-group")
    caoloc = next(u for u, _ in await dash.app.services.units.list() if u.code == "X_CAOLOC")
    assert len(groups) > 1 and len(await browser.attrs("table.groups tbody tr svg.bar", "class")) == len(groups)
    submitted_in = {g for g in groups
                    if await browser.attrs(f"table.groups tr[data-group='{g}'] svg.bar rect.s-da_nop", "width")}
    assert submitted_in == (set(caoloc.groups) or {""})
    await browser.screenshot("tong-quan-cum", 1366, 768)
    # the figures refresh themselves (every 10 s): the list opened stays open across the swap
    await browser.call(lambda: browser.driver.execute_script(
        "document.getElementById('overview-figures').setAttribute('data-old', '1');"
        "htmx.ajax('GET', '/web/tong-quan/so-lieu', {target: '#overview-figures', swap: 'outerHTML'});"))
    await browser.wait(lambda d: d.find_element(By.ID, "overview-figures").get_attribute("data-old") is None)
    assert await browser.call(lambda: browser.driver.execute_script(
        "return document.querySelector('#overview-figures details').open;")) is True

    # a period's progress: one unit of the communes has submitted
    await browser.click(f"a[href='/web/ky/{period}']")
    await browser.wait_for("#units")
    submitted = await browser.all_text("#period-figures b[data-state='da_nop']")
    assert submitted == ["1"]
    codes = await browser.attrs("#units tbody tr", "data-unit")
    assert "X_CAOLOC" in codes and "X_DONGDANG" in codes

    # filter to the missing units: the select submits the filter form by itself
    await browser.select("#f-status", "missing")
    await browser.wait(lambda d: "trang_thai=missing" in d.current_url)
    states = set(await browser.attrs("#units tbody tr", "data-state"))
    assert states <= {"chua_bat_dau", "dang_soan", "bi_tra_lai"} and "X_CAOLOC" not in await browser.text("#units")
    await browser.screenshot("ky-bao-cao", 1366, 768)
    await browser.screenshot("ky-bao-cao", 390, 844)

    # "Nhắc ngay" to all the missing units shown
    before = {c: len(dash.tg.messages_to(c)) for c in (CAOLOC, DONGDANG, TANTHANH)}
    await browser.click("#check-all")
    await browser.click("#remind-selected")
    await browser.wait_for("#remind-result")
    assert "Đã gửi nhắc tới 2 đơn vị" in await browser.text("#remind-result")
    assert "trang_thai=missing" in await browser.url(), "the filter is kept after the action"
    await dash.drain()
    for chat in (DONGDANG, TANTHANH):
        new = dash.tg.messages_to(chat)[before[chat]:]
        assert len(new) == 1 and "Sơ kết 6 tháng đầu năm 2026" in (new[0].text or ""), chat
    assert len(dash.tg.messages_to(CAOLOC)) == before[CAOLOC], "the unit that submitted is not reminded"

    # open the submission from the unfiltered table and return it with a reason
    await browser.get(f"{dash.base}/web/ky/{period}")
    await browser.click(f"a[href='/web/bao-cao/{sub}']")
    await browser.wait_for("#return")
    body = await browser.text("main")
    assert "Tổng số cán bộ" in body or "42" in body
    await browser.screenshot("bao-cao", 390, 844)
    await browser.type("#reason", "Thiếu số liệu khen thưởng cấp tỉnh, đề nghị bổ sung")
    await browser.click("#return")
    await browser.wait_for("#action-result")
    assert "đơn vị đã được báo qua tin nhắn" in await browser.text("#action-result")
    assert "Đã trả lại" in await browser.text("#status")
    await dash.drain()
    told = dash.tg.messages_to(CAOLOC)[before[CAOLOC]:]
    assert len(told) == 1 and "Thiếu số liệu khen thưởng cấp tỉnh" in (told[0].text or "")
    await browser.screenshot("bao-cao-da-tra-lai", 1366, 768)
    assert await browser.console_errors() == []


async def test_live_figures_update_without_a_reload(dash: Dash, browser: Browser) -> None:
    period = await dash.open_period()
    await browser.get(await dash.link("viewer"))
    await browser.click("#sign-in")
    await browser.wait_for("#overview-figures")  # signed in before going on
    await browser.get(f"{dash.base}/web/ky/{period}")
    await browser.wait_for("#period-figures")
    assert await browser.all_text("#period-figures b[data-state='da_nop']") == ["0"]
    await dash.submit(period, "X_CAOLOC")  # an officer submits while the page is open
    await browser.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#period-figures b[data-state='da_nop']").text == "1",
                       timeout=20)
    # a viewer: no reminder buttons, and signing out ends it
    assert "Nhắc ngay" not in await browser.text("main")
    await browser.click("#sign-out")
    await browser.wait(lambda d: "/web/dang-nhap" in d.current_url)
    await browser.get(f"{dash.base}/web/ky/{period}")
    assert "/web/dang-nhap" in await browser.url()


async def test_the_invite_sheet_renders_its_qr_codes(dash: Dash, browser: Browser) -> None:
    await browser.get(await dash.link("admin"))
    await browser.click("#sign-in")
    await browser.wait_for("#overview-figures")
    await browser.get(f"{dash.base}/web/don-vi?chua_lien_ket=1")
    await browser.wait_for("#invite-unbound")
    shown = await browser.attrs("#unit-list tbody tr", "data-unit")
    await browser.click("#invite-unbound")
    await browser.wait_for("#invite-sheet")
    assert await browser.attrs("#invite-sheet article", "data-unit") == shown
    sizes = await browser.call(lambda: [e.size for e in browser.driver.find_elements(By.CSS_SELECTOR,
                                                                                      "#invite-sheet svg.segno")])
    assert len(sizes) == len(shown) and all(s["width"] >= 100 and s["height"] >= 100 for s in sizes)
    await browser.screenshot("phieu-moi", 1366, 768)
    assert await browser.console_errors() == []


async def test_the_units_page_on_a_phone_shows_code_name_and_channels(dash: Dash, browser: Browser) -> None:
    """At 390 px the Đơn vị table keeps code, name and linked channels (the period table's
    phone rules, picked by column position, once hid all but the code)."""
    await dash.bind(CAOLOC, "X_CAOLOC")
    await browser.get(await dash.link("admin"))
    await browser.click("#sign-in")
    await browser.wait_for("#overview-figures")
    await browser.get(f"{dash.base}/web/don-vi?tim=cao loc")
    await browser.wait_for("#unit-list")

    def cells_shown() -> dict[str, bool]:
        browser.driver.set_window_size(390, 844)
        row = browser.driver.find_element(By.CSS_SELECTOR, "#unit-list tr[data-unit='X_CAOLOC']")
        cells = row.find_elements(By.TAG_NAME, "td")
        heads = browser.driver.find_elements(By.CSS_SELECTOR, "#unit-list thead th")
        return {(h.get_attribute("textContent") or "tick"): c.is_displayed() for h, c in zip(heads, cells, strict=True)}

    shown = await browser.call(cells_shown)
    assert shown == {"tick": True, "Mã": True, "Tên đơn vị": True, "Loại": False, "Cụm/khối": False,
                     "Kênh đã liên kết": True}, shown
    assert "Xã Cao Lộc" in await browser.text("#unit-list tr[data-unit='X_CAOLOC']")
    await browser.get(f"{dash.base}/web/don-vi")
    await browser.wait_for("#unit-list")
    await browser.screenshot("don-vi", 390, 844)
    await browser.screenshot("don-vi", 1366, 768)

    def table_on_a_phone() -> None:  # the table itself, scrolled to, at the phone's size
        browser.driver.set_window_size(390, 844)
        browser.driver.execute_script("document.getElementById('unit-list').scrollIntoView()")
        browser.driver.save_screenshot(str(browser.shots / "don-vi-bang-390x844.png"))
        browser.driver.set_window_size(1366, 768)

    await browser.call(table_on_a_phone)
    assert await browser.console_errors() == []


async def test_compose_preview_and_send_an_announcement(dash: Dash, browser: Browser, tmp_path: Path) -> None:
    """Văn bản: what the preview shows as Telegram parts is what each unit's chat receives,
    then the decree's PDF and its annex chosen in the file inputs, each as a document."""
    decree, annex = tmp_path / "15-KH-UBND.pdf", tmp_path / "phu-luc-dang-ky.docx"
    decree.write_bytes(b"%PDF-1.4\n% ke hoach\n%%EOF\n")
    annex.write_bytes(b"PK\x03\x04 phu luc")
    for chat, unit in ((CAOLOC, "X_CAOLOC"), (DONGDANG, "X_DONGDANG")):
        await dash.bind(chat, unit)
    before = {c: len(dash.tg.messages_to(c)) for c in (CAOLOC, DONGDANG)}
    await browser.get(await dash.link("admin"))
    await browser.click("#sign-in")
    await browser.wait_for("#overview-figures")
    await browser.get(f"{dash.base}/web/van-ban/soan")
    await browser.wait_for("#compose-form")
    await browser.type("input[name=so]", "15/KH-UBND")
    await browser.type("textarea[name=trich_yeu]", "Kế hoạch tổ chức phong trào thi đua năm 2026")
    body = "\n\n".join(f"**Mục {i}.** " + "Các đơn vị tổ chức thực hiện nghiêm túc, báo cáo kết quả đúng hạn. " * 12
                       for i in range(1, 9))
    await browser.call(lambda: browser.driver.execute_script(
        "document.querySelector('textarea[name=noi_dung]').value = arguments[0];", body))
    await browser.click("input[name=doi_tuong][value=units]")
    await browser.type("input[name=ma_dv]", "X_CAOLOC, X_DONGDANG")
    await browser.type("input[name=tep_noi_dung]", str(decree))
    await browser.type("input[name=dinh_kem]", str(annex))
    await browser.click("#preview")
    await browser.wait_for("#previews")
    telegram_parts = len(await browser.attrs("#previews .preview[data-channel=telegram] .bubble", "class"))
    assert telegram_parts >= 2, "a long decree is split"
    assert await browser.attrs("#preview-files td[data-oa]", "data-oa") == ["file", "file"]
    assert len(await browser.attrs("input[name=giu_tep]:checked", "value")) == 2  # kept: not chosen again
    await browser.screenshot("van-ban-soan", 1366, 768)
    await browser.screenshot("van-ban-soan", 390, 844)
    for part in ("compose-files", "preview-files"):
        await browser.call(lambda p=part: browser.driver.execute_script(f"document.getElementById('{p}').scrollIntoView()"))
        await browser.screenshot(f"van-ban-soan-{part}", 1366, 768)
    await browser.click("#send-now")
    await browser.wait_for("#action-result")
    await dash.drain()
    for chat in (CAOLOC, DONGDANG):
        new = dash.tg.messages_to(chat)[before[chat]:]
        assert len(new) == telegram_parts + 2, (chat, len(new), telegram_parts)
        assert "15/KH-UBND" in (new[0].text or "")
        assert [m.document for m in new[-2:]] == [(decree.name, decree.read_bytes()), (annex.name, annex.read_bytes())]
    await browser.get(await browser.url())
    await browser.wait_for("#deliveries")
    assert set(await browser.attrs("#deliveries tbody tr", "data-unit")) >= {"X_CAOLOC", "X_DONGDANG"}
    await browser.screenshot("van-ban", 1366, 768)
    assert await browser.console_errors() == []


async def test_open_a_period_after_seeing_its_reminder_plan(dash: Dash, browser: Browser) -> None:
    await browser.get(await dash.link("admin"))
    await browser.click("#sign-in")
    await browser.wait_for("#overview-figures")
    await browser.get(f"{dash.base}/web/ky")
    await browser.wait_for("#open-form")
    await browser.call(lambda: browser.driver.execute_script(
        "const f = document.querySelector('#open-form');"
        "f.querySelector('[name=ten]').value = 'Tổng kết năm 2026';"
        "f.querySelector('[name=chot]').value = '2026-12-14';"
        "f.querySelector('[name=han]').value = '2026-12-20T17:00';"))
    await browser.click("#open-form input[name=doi_tuong][value=all]")
    await browser.click("#preview-plan")
    await browser.wait_for("#open-period")
    assert "Tổng kết năm 2026" in await browser.text("main")
    await browser.screenshot("mo-ky", 1366, 768)
    await browser.screenshot("mo-ky", 390, 844)
    await browser.click("#open-period")
    await browser.wait_for("#open-result")
    assert any(p.label == "Tổng kết năm 2026" for p in await dash.app.services.reports.periods())
    assert await browser.console_errors() == []
