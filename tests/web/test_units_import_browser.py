"""The units import in a real headless Chromium: pick a file with one bad row, the preview
names the row and its reason and nothing is applied; "Áp dụng" loads the good rows."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.browser import Browser, start_browser
from tests.web.conftest import Dash


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


async def test_import_a_units_file_with_one_bad_row(dash: Dash, browser: Browser, tmp_path: Path) -> None:
    f = tmp_path / "don_vi_moi.csv"
    f.write_text("code,name,kind,parent_code,groups\n"
                 "X_MOI,Xã Mới,xa,TINH_LS,Cụm thi đua số 1\n"
                 "X_HONG,Xã Hỏng,thon,TINH_LS,\n", encoding="utf-8")
    await browser.get(await dash.link("admin"))
    await browser.click("#sign-in")
    await browser.wait_for("#overview-figures")
    await browser.get(f"{dash.base}/web/don-vi")
    await browser.wait_for("#import-form")
    await browser.screenshot("don-vi-nhap", 1366, 768)
    await browser.type("#import-file", str(f))
    await browser.click("#import-preview-button")
    await browser.wait_for("#import-preview")
    assert await browser.attrs("#rejected tbody tr", "data-line") == ["3"]
    assert "loại đơn vị không hợp lệ" in await browser.text("#rejected")
    assert await browser.attrs("#created tbody tr", "data-unit") == ["X_MOI"]
    await browser.screenshot("nhap-don-vi", 1366, 768)
    await browser.screenshot("nhap-don-vi", 390, 844)
    async with dash.app.uow() as uow:
        assert await uow.units.by_code("X_MOI") is None  # the preview applied nothing
    await browser.click("#confirm-import button[type=submit]")
    await browser.wait_for("#import-result")
    async with dash.app.uow() as uow:
        assert await uow.units.by_code("X_MOI") is not None and await uow.units.by_code("X_HONG") is None
    assert await browser.console_errors() == []
