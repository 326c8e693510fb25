"""What a message looks like on each platform, split into the parts it will be sent as — for
the dashboard's preview of an announcement before it is sent.

The channels (which the dashboard may not import) turn an ``Outbound`` into parts the same
way: Telegram converts the Markdown to its HTML and splits at 4096 characters; Zalo (Bot
Platform and OA) sends plain text split at 2000. Both use ``bot.rendering`` for it, as this
module does; the limits are the platforms' own (tests/web check them against the adapters').
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core import Outbound, nfc
from bot.rendering.markup import markdown_to_plain, markdown_to_telegram_html
from bot.rendering.split import split_message

TELEGRAM_MAX_TEXT = 4096
ZALO_MAX_TEXT = 2000


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


__all__ = ["TELEGRAM_MAX_TEXT", "ZALO_MAX_TEXT", "ChannelPreview", "telegram_parts", "zalo_parts"]
