"""Reading a dashboard form that carries files — a decree's PDF, its annexes, a units table.

The server refuses any request body above 2 MiB (``bot.channels.web``: the webhooks share it,
and nothing a platform posts is larger), but a signed decree with its annexes is often 5–20
MB. So a multipart form is read here as a stream, part by part, each file capped at what the
platforms accept and the whole form at ``MAX_FORM_BYTES``; the result has the shape
``request.post()`` returns (text fields as ``str``, files as ``web.FileField``) and is kept
on the request, so the CSRF check and the page's handler read it once between them. A file
over its cap is left out and named (``oversized_files``), so the page can say which one
while keeping everything typed; only a form over the whole cap is refused (413).
"""

from __future__ import annotations

import io
import re
from pathlib import PurePosixPath
from typing import Any

from aiohttp import BodyPartReader, web
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

from bot.core import nfc

MAX_FILE_BYTES = 20 * 1024 * 1024
"""One file: the Zalo platforms take 20 MB per file (Telegram 50 MB); the channels' own limit."""
MAX_FORM_BYTES = 45 * 1024 * 1024
"""The whole form: a decree and a few annexes."""
MAX_FIELD_CHARS = 200_000
"""A text field (the longest is an announcement's body, capped at 100 000 characters)."""
MAX_NAME = 120
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_KEY: web.RequestKey[MultiDictProxy[Any]] = web.RequestKey("tdkt_form", MultiDictProxy)
_OVERSIZED: web.RequestKey[list[str]] = web.RequestKey("tdkt_oversized", list)


class FormTooLarge(Exception):
    """The form (or one of its files) is over the limit; nothing of it is used."""


def upload_name(filename: str) -> str:
    """The file's own name as the browser sent it, without folders or control characters."""
    base = PurePosixPath(filename.replace("\\", "/")).name
    return _UNSAFE.sub("", nfc(base)).strip()[-MAX_NAME:]


async def form_of(request: web.Request) -> MultiDictProxy[Any]:
    """The posted form: a multipart one streamed with the limits above, any other through
    aiohttp (bounded by the server's 2 MiB). Raises :class:`FormTooLarge`."""
    if _KEY in request:
        return request[_KEY]
    if request.content_type == "multipart/form-data":
        form = await _read_multipart(request)
    else:
        form = await request.post()
    request[_KEY] = form
    return form


def oversized_files(request: web.Request) -> list[str]:
    """Names of the files of the form just read that were over ``MAX_FILE_BYTES`` (left out)."""
    return list(request.get(_OVERSIZED, []))


async def _read_multipart(request: web.Request) -> MultiDictProxy[Any]:
    if (request.content_length or 0) > MAX_FORM_BYTES + 64 * 1024:
        raise FormTooLarge
    fields: MultiDict[Any] = MultiDict()
    oversized: list[str] = request.setdefault(_OVERSIZED, [])
    total = 0
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or not part.name:
            raise FormTooLarge  # nested multipart: no browser form sends one
        limit = MAX_FILE_BYTES if part.filename is not None else MAX_FIELD_CHARS * 4
        data, size = bytearray(), 0
        while chunk := await part.read_chunk(64 * 1024):
            size += len(chunk)
            total += len(chunk)
            if total > MAX_FORM_BYTES or (part.filename is None and size > limit):
                raise FormTooLarge
            if size <= limit:
                data.extend(chunk)
        if part.filename and size > limit:
            # Read to its end and dropped: the page names it and keeps everything else typed.
            oversized.append(upload_name(part.filename))
        elif part.filename is None:
            fields.add(part.name, data.decode(part.get_charset("utf-8"), errors="replace"))
        elif part.filename:  # an empty file input posts a part with an empty name: skip it
            content_type = part.headers.get("Content-Type", "application/octet-stream")
            fields.add(part.name, web.FileField(name=part.name, filename=part.filename, file=io.BytesIO(bytes(data)),
                                                content_type=content_type, headers=CIMultiDictProxy(CIMultiDict(part.headers))))
    return MultiDictProxy(fields)


__all__ = ["MAX_FILE_BYTES", "MAX_FORM_BYTES", "FormTooLarge", "form_of", "oversized_files", "upload_name"]
