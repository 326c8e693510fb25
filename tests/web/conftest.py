"""The whole bot with its dashboard served, against the fake Telegram Bot API."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import aiohttp
import pytest

from bot.app import App
from bot.core import FixedClock
from tests.conftest import make_settings
from tests.fakes.telegram_api import FakeTelegram
from tests.integration.conftest import Harness


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Dash(Harness):
    """The running bot, its fake platform and its dashboard's address."""

    base: str = ""

    async def open_period(self, audience: dict[str, Any] | None = None) -> int:
        p = await self.app.services.open_period(
            form_id="bao-cao-6-thang", label="Sơ kết 6 tháng đầu năm 2026",
            due_at=datetime(2026, 6, 20, 10, 0, tzinfo=UTC), cutoff=date(2026, 6, 14),
            audience=audience or {"kinds": ["xa"]}, remind_offsets=["7d", "3d", "1d", "2h"], announce=False)
        return p.id

    async def submit(self, period_id: int, unit_code: str, answers: dict[str, Any] | None = None) -> int:
        """A unit's report, through the same use cases a chat's /baocao uses."""
        access = self.app.services.web_access
        await access.link_for_unit(unit_code)  # makes the unit's officer if it has none
        unit = next(u for u, _ in await self.app.services.units.list() if u.code == unit_code)
        officer = await self._officer(unit.id)
        started = await self.app.services.reports.start(officer, unit.id, period_id)
        assert started.draft is not None, started
        result = await self.app.services.reports.submit(
            started.draft.session_id, officer, answers or {"tong_cbcc": 42, "vb_chi_dao": 3})
        assert result is not None
        return result.submission.id

    async def _officer(self, unit_id: int) -> int:
        from storage.web_sessions import WebSessionRepository

        async with self.app.uow() as uow:
            m = await WebSessionRepository(uow.session).unit_officer(unit_id)
            assert m is not None
            return m.id

    async def link(self, role: str = "admin", name: str | None = None, unit: str | None = None) -> str:
        access = self.app.services.web_access
        token, _ = await (access.link_for_unit(unit) if unit else access.link_for_role(role, name))
        return access.url(token)

    def browser(self) -> aiohttp.ClientSession:
        """An HTTP client that keeps cookies for 127.0.0.1 (aiohttp's default jar refuses IPs)."""
        return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def sign_in(self, session: aiohttp.ClientSession, url: str) -> aiohttp.ClientResponse:
        token = url.rsplit("/", 1)[1]
        return await session.post(f"{self.base}/web/dang-nhap", data={"token": token},
                                  headers={"Origin": self.base}, allow_redirects=False)

    async def signed_in(self, role: str = "admin", unit: str | None = None) -> tuple[aiohttp.ClientSession, str]:
        """A browser signed in as ``role`` (or the officer of ``unit``) and its CSRF token."""
        session = self.browser()
        r = await self.sign_in(session, await self.link(role, unit=unit))
        assert r.status == 303, await r.text()
        page = await (await session.get(f"{self.base}/web")).text()
        csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        return session, csrf


async def start_dashboard(db_url: str, clock: FixedClock, **settings: object) -> Dash:
    tg = FakeTelegram()
    await tg.start()
    port = free_port()
    app = App(make_settings(db_url, telegram_bot_token=tg.token, telegram_api_base_url=tg.root,
                            server_listen=f"127.0.0.1:{port}", **settings), clock=clock)
    await app.prepare(demo=True)
    await app.start(scheduler=False, dashboard=True)
    telegram = app.dispatcher.channels.get("telegram")
    if telegram is not None:
        telegram.pacer.per_chat_rate = None  # type: ignore[attr-defined]
    return Dash(app, tg, base=f"http://127.0.0.1:{port}")


@pytest.fixture
async def dash(db_url: str, clock: FixedClock) -> AsyncIterator[Dash]:
    """The dashboard on each database backend (PostgreSQL where TEST_DATABASE_URL is set)."""
    d = await start_dashboard(db_url, clock)
    try:
        yield d
    finally:
        await d.app.stop()
        await d.tg.stop()
