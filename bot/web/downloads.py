"""A stored file sent to the browser: shown in it where it can be (images, PDFs — an officer on
a phone reads the decree without a download), downloaded otherwise, and never run as a page
of ours (its own CSP: no scripts, nothing but our images)."""

from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.services.files import FileStore
from bot.web.guard import Refused


async def stored_file(files: FileStore, info: dict[str, Any]) -> web.Response:
    """``info`` as stored (``path``, ``name``, ``mime``); 404 when the file is gone from disk."""
    try:
        content = await files.read(info)
    except (OSError, KeyError):
        raise Refused(404, "not_found") from None
    name = str(info.get("name") or "tep")
    mime = info.get("mime") or mimetypes.guess_type(name)[0] or "application/octet-stream"
    inline = mime.startswith("image/") or mime == "application/pdf"
    disposition = "inline" if inline else "attachment"
    return web.Response(body=content, content_type=mime if inline else "application/octet-stream", headers={
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}",
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; frame-ancestors 'none'"})


__all__ = ["stored_file"]
