"""Fetching a file a person sent, from the link the platform gave (Zalo's CDN): the same rules
for every channel that receives links rather than file ids."""

from __future__ import annotations

from urllib.parse import urlparse

import aiohttp

from bot.core import Attachment, ChannelUnavailable, InvalidMessage, Retryable


async def download(session: aiohttp.ClientSession | None, att: Attachment | None, *, max_bytes: int,
                   channel: str) -> bytes:
    """The attachment's bytes, at most ``max_bytes`` (checked while reading: a declared length
    can lie). A link that is gone or refused is ``InvalidMessage`` (the person is asked to send
    it again); a 5xx or a network failure is ``Retryable``."""
    if att is None or not att.ref:
        raise InvalidMessage("no file in this message")
    if att.content is not None:
        return att.content
    if urlparse(att.ref).scheme not in ("http", "https"):
        raise InvalidMessage(f"not a downloadable URL: {att.ref[:100]}")
    if session is None:
        raise ChannelUnavailable(f"{channel} channel is not started")
    try:
        async with session.get(att.ref, timeout=aiohttp.ClientTimeout(total=60)) as resp:
            if resp.status >= 500:
                raise Retryable(f"file download: HTTP {resp.status}")
            if resp.status >= 400:
                raise InvalidMessage(f"file download: HTTP {resp.status} (the link may have expired)")
            if resp.content_length is not None and resp.content_length > max_bytes:
                raise InvalidMessage(f"file too large: {resp.content_length} bytes")
            data = bytearray()
            async for chunk in resp.content.iter_chunked(256 * 1024):
                data.extend(chunk)
                if len(data) > max_bytes:
                    raise InvalidMessage(f"file larger than {max_bytes} bytes")
            return bytes(data)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise Retryable(f"file download failed: {type(exc).__name__}: {exc}") from exc
