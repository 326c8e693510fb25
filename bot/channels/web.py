"""Our own aiohttp server: webhooks of every channel, file links, a health check."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from bot.core import Attachment

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


class FileLinks:
    """Signed, expiring download links for files a channel cannot send (Zalo).

    The bytes are kept under ``root`` by SHA-256; the link carries the expiry and an
    HMAC of (hash, name, expiry), so it cannot be forged or extended, and it is served
    by our own aiohttp app at ``/files/…``.
    """

    def __init__(self, root: Path, base_url: str, secret: bytes, ttl: timedelta = timedelta(days=7)) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")
        self.secret = secret
        self.ttl = ttl

    def _sign(self, sha: str, name: str, expires: int) -> str:
        return hmac.new(self.secret, f"{sha}/{name}/{expires}".encode(), hashlib.sha256).hexdigest()[:32]

    def link(self, attachment: Attachment) -> str | None:
        """Store the file (if needed) and return its signed URL; None when there are no bytes."""
        if attachment.content is not None:
            data = attachment.content
        elif attachment.ref and Path(attachment.ref).is_file():
            data = Path(attachment.ref).read_bytes()
        else:
            return None
        sha = hashlib.sha256(data).hexdigest()
        path = self.root / "links" / sha
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        name = re.sub(r"[^\w.\-]+", "_", attachment.name)[-100:] or "tep"
        expires = int(time.time() + self.ttl.total_seconds())
        return f"{self.base_url}/files/{sha}/{quote(name)}?e={expires}&s={self._sign(sha, name, expires)}"

    def register_routes(self, app: web.Application) -> None:
        app.router.add_get("/files/{sha}/{name}", self._serve)

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        sha, name = request.match_info["sha"], request.match_info["name"]
        try:
            expires = int(request.query.get("e", "0"))
        except ValueError:
            expires = 0
        given = request.query.get("s", "")
        if not re.fullmatch(r"[0-9a-f]{64}", sha) or not hmac.compare_digest(given, self._sign(sha, name, expires)):
            return web.Response(status=403, text="Liên kết không hợp lệ.")
        if expires < time.time():
            return web.Response(status=410, text="Liên kết đã hết hạn; đề nghị liên hệ cơ quan Nội vụ.")
        path = self.root / "links" / sha
        if not path.is_file():
            return web.Response(status=404, text="Không tìm thấy tệp.")
        return web.FileResponse(path, headers={"Content-Disposition": f'attachment; filename="{name}"'})
