"""The dashboard's routes on our own aiohttp server, and what every response gets.

Built in ``bot.app`` with the same ``Services`` the chat handlers use; registered on the
server that serves webhooks and file links.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from aiohttp import web

from bot.services.registry import Services
from bot.web.guard import Refused
from bot.web.render import render_page
from bot.web.security import apply_headers
from bot.web.uploads import FormTooLarge

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}


@dataclass(frozen=True)
class DashboardSettings:
    base_url: str  # where browsers reach us (PUBLIC_BASE_URL, else the listen address)
    timezone: str = "Asia/Ho_Chi_Minh"
    office_name: str = "Phòng Nội vụ"

    @property
    def https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def trust_proxy(self) -> bool:
        """Behind HTTPS there is a reverse proxy of ours in front: its X-Forwarded-For is the browser."""
        return self.https

    def sign_in_url(self, token: str) -> str:
        return f"{self.base_url.rstrip('/')}/web/dang-nhap/{token}"


class Dashboard:
    def __init__(self, services: Services, settings: DashboardSettings,
                 invite_link: Callable[[str], str | None] = lambda _code: None) -> None:
        """``invite_link``: the bot's deep link for an invite code, from the running channels
        (the composition root knows them; the dashboard does not talk to platforms)."""
        from bot.web.announcements import AnnouncementPages
        from bot.web.office import OfficePages
        from bot.web.pages import ReportPages
        from bot.web.signin import SignInPages
        from bot.web.units import UnitPages

        self.services = services
        self.settings = settings
        self.signin = SignInPages(self)
        self.reports = ReportPages(self)
        self.office = OfficePages(self)
        self.units = UnitPages(self, invite_link)
        self.announcements = AnnouncementPages(self)

    @property
    def access(self):  # type: ignore[no-untyped-def]
        return self.services.web_access

    def page(self, name: str, status: int = 200, **context: Any) -> web.Response:
        context.setdefault("office", self.settings.office_name)
        html = render_page(self.settings.timezone, name, **context)
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")

    def register_routes(self, app: web.Application) -> None:
        app.middlewares.append(self._middleware)
        r = app.router
        r.add_get("/web/static/{name}", self._static)
        self.signin.register(r)
        self.office.register(r)
        self.units.register(r)
        self.reports.register(r)
        self.announcements.register(r)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith("/web"):
            return cast(web.StreamResponse, await handler(request))
        started = time.perf_counter()
        try:
            response = await handler(request)
        except Refused as exc:
            response = self.page("refused", status=exc.status, why=exc.why, user=None)
            if exc.redirect and "HX-Request" in request.headers:
                response.headers["HX-Redirect"] = exc.redirect
        except FormTooLarge:
            response = self.page("refused", status=413, why="too_big", user=None)
        except web.HTTPException as exc:
            if exc.status >= 400:
                response = self.page("refused", status=exc.status, why="not_found" if exc.status == 404 else "bad",
                                     user=None)
            else:
                apply_headers(exc, https=self.settings.https)
                raise
        apply_headers(response, https=self.settings.https, private=not request.path.startswith("/web/static/"))
        # How long the server took (reads, rendering; not the network), in the W3C
        # Server-Timing header: browsers' developer tools show it, bench/dashboard.py reads it.
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return cast(web.StreamResponse, response)

    async def _static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = STATIC / name
        if "/" in name or name.startswith(".") or not path.is_file() or path.suffix not in STATIC_TYPES:
            raise web.HTTPNotFound()
        return web.Response(body=path.read_bytes(), content_type=STATIC_TYPES[path.suffix],
                            headers={"Cache-Control": "public, max-age=3600"})
