"""What a message looks like on each platform, split into the parts it will be sent as — for
the dashboard's preview of an announcement before it is sent.

The channels (which the dashboard may not import) turn an ``Outbound`` into parts the same
way: Telegram converts the Markdown to its HTML and splits at 4096 characters; Zalo (Bot
Platform and OA) sends plain text split at 2000. Both use ``bot.rendering`` for it, as this
module does; the limits are the platforms' own (tests/web check them against the adapters').
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.core import Outbound, nfc
from bot.rendering.markup import markdown_to_plain, markdown_to_telegram_html
from bot.rendering.split import split_message

TELEGRAM_MAX_TEXT = 4096
ZALO_MAX_TEXT = 2000
ZALO_OA_MAX_FILE = 5 * 1024 * 1024
ZALO_OA_MAX_IMAGE = 1024 * 1024
ZALO_OA_FILE_TYPES = frozenset({
    "application/pdf", "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
})
"""What the OA's upload endpoint takes as a file (ZALO.md §2.5); anything else goes as a link."""
ZALO_OA_IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})


@dataclass(frozen=True)
class ChannelPreview:
    channel: str
    """The platform's name as the page shows it."""
    parts: tuple[str, ...]
    html: bool
    """True: the parts are Telegram HTML (shown rendered); False: plain text (shown as is)."""


def telegram_parts(message: Outbound) -> ChannelPreview:
    html = markdown_to_telegram_html(message.text)
    return ChannelPreview("Telegram", tuple(split_message(html, limit=TELEGRAM_MAX_TEXT, markup="html")), True)


def zalo_parts(message: Outbound) -> ChannelPreview:
    plain = nfc(markdown_to_plain(message.text)).strip()
    return ChannelPreview("Zalo", tuple(split_message(plain, limit=ZALO_MAX_TEXT, markup="plain")), False)


@dataclass(frozen=True)
class FilePreview:
    """One attached file and how each platform delivers it (the template words the ways)."""

    name: str
    size: int
    telegram: str
    zalo: str
    zalo_oa: str


def files_preview(stored: list[dict[str, Any]]) -> tuple[FilePreview, ...]:
    """Telegram sends each file as a document message after the text; the Zalo Bot Platform
    cannot send files and appends a download link per file to the text; the OA uploads a
    PDF/DOC/DOCX up to 5 MB (a JPG/PNG up to 1 MB) as a file and links the rest."""
    out = []
    for f in stored:
        size, mime = int(f.get("size", 0)), str(f.get("mime", ""))
        as_file = (mime in ZALO_OA_FILE_TYPES and size <= ZALO_OA_MAX_FILE) or \
            (mime in ZALO_OA_IMAGE_TYPES and size <= ZALO_OA_MAX_IMAGE)
        out.append(FilePreview(str(f.get("name", "")), size, "file", "link", "file" if as_file else "link"))
    return tuple(out)


__all__ = ["TELEGRAM_MAX_TEXT", "ZALO_MAX_TEXT", "ChannelPreview", "FilePreview", "files_preview", "telegram_parts",
           "zalo_parts"]
