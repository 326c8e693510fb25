"""Our own aiohttp server: webhooks of every channel, file links, a health check."""

from __future__ import annotations

import logging

from aiohttp import web

log = logging.getLogger(__name__)


class WebServer:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.app = web.Application(client_max_size=2 * 1024 * 1024)
        self.app.router.add_get("/healthz", self._health)
        self._runner: web.AppRunner | None = None

    async def _health(self, _request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("web: listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
