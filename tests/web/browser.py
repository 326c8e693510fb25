"""A real headless browser for the dashboard tests: Debian's chromium + chromedriver, driven
by Selenium. No browser is downloaded: where the packages are missing (``.ci/run`` installs
them), the browser tests skip and say so.

Selenium is blocking and the bot's server runs on the test's event loop, so every browser
call goes through a thread (``await b.call(...)``)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
CHROMEDRIVER = shutil.which("chromedriver")
SKIP_REASON = ("no headless browser: needs Debian's chromium and chromium-driver "
               "(apt-get install -y chromium chromium-driver; .ci/run installs them)")

try:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:  # pragma: no cover - selenium is a dev dependency
    webdriver = None  # type: ignore[assignment]


def start_browser() -> WebDriver:
    if webdriver is None or CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip(SKIP_REASON)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1366,768", "--lang=vi-VN", "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


class Browser:
    def __init__(self, driver: WebDriver, shots: Path) -> None:
        self.driver = driver
        self.shots = shots

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(fn, *args)

    async def get(self, url: str) -> None:
        await self.call(self.driver.get, url)

    async def fresh(self, read: Callable[[], Any], tries: int = 5) -> Any:
        """``read`` (which finds its elements itself), again if htmx swapped an element out
        between finding and reading it — the live figures are replaced every few seconds."""
        for attempt in range(tries):
            try:
                return await self.call(read)
            except StaleElementReferenceException:
                if attempt == tries - 1:
                    raise
                await asyncio.sleep(0.1)
        raise AssertionError("unreachable")

    async def click(self, css: str) -> None:
        await self.fresh(lambda: self.driver.find_element(By.CSS_SELECTOR, css).click())

    async def text(self, css: str = "body") -> str:
        return await self.fresh(lambda: self.driver.find_element(By.CSS_SELECTOR, css).text)

    async def all_text(self, css: str) -> list[str]:
        return await self.fresh(lambda: [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, css)])

    async def attrs(self, css: str, name: str) -> list[str]:
        return await self.fresh(lambda: [e.get_attribute(name) for e in self.driver.find_elements(By.CSS_SELECTOR, css)])

    async def type(self, css: str, text: str) -> None:
        await self.call(lambda: self.driver.find_element(By.CSS_SELECTOR, css).send_keys(text))

    async def select(self, css: str, value: str) -> None:
        await self.call(lambda: Select(self.driver.find_element(By.CSS_SELECTOR, css)).select_by_value(value))

    async def wait(self, condition: Callable[[WebDriver], Any], timeout: float = 10) -> Any:
        """Until ``condition`` holds. An element htmx swapped out between finding it and
        reading it (the live figures are replaced every few seconds) is looked for again."""
        return await self.call(lambda: WebDriverWait(
            self.driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(condition))

    async def wait_for(self, css: str, timeout: float = 10) -> None:
        await self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, css), timeout)

    async def url(self) -> str:
        return await self.call(lambda: self.driver.current_url)

    async def screenshot(self, name: str, width: int, height: int) -> Path:
        """The page at a given window size, whole height: what a person would scroll through."""
        def shoot() -> Path:
            self.driver.set_window_size(width, height)
            path = self.shots / f"{name}-{width}x{height}.png"
            self.driver.save_screenshot(str(path))
            self.driver.set_window_size(1366, 768)
            return path

        return await self.call(shoot)

    async def console_errors(self) -> list[str]:
        def read() -> list[str]:
            try:
                return [e["message"] for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]
            except Exception:
                return []

        return await self.call(read)


__all__ = ["Browser", "By", "start_browser"]
