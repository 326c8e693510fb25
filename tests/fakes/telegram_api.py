"""A fake Telegram Bot API server for tests and benchmarks.

:class:`FakeTelegram` is a real :mod:`aiohttp.web` server on ``127.0.0.1`` that speaks the Bot API
wire format (``/bot{token}/{method}``, ``{"ok": ..., "result": ...}`` envelopes, Telegram's error
codes and descriptions).  The production bot talks to it through an unmodified
``telegram.Bot(token, base_url=fake.base_url, base_file_url=fake.base_file_url)``, so the whole
stack – python-telegram-bot's request encoding, httpx, error mapping to ``BadRequest`` /
``RetryAfter`` / ``Forbidden`` / ``ChatMigrated`` – is exercised instead of being mocked away.

Why so strict: the expensive production failures of a Telegram bot are the ones Telegram rejects
at runtime – unescaped HTML, messages over 4096 UTF-16 code units, callback data over 64 bytes,
flood limits.  The fake therefore validates like Telegram (in places a little stricter, see
``strict_html``) and records everything the bot sent so tests can assert on it.

Users are simulated with ``push_*``: a genuine ``Update`` dict is built and either queued for
``getUpdates`` (with real long polling) or POSTed to the webhook registered through ``setWebhook``
(with the ``X-Telegram-Bot-Api-Secret-Token`` header). By default a webhook POST is tried once;
with ``webhook_retry`` the fake delivers like Telegram's own server (telegram-bot-api,
``WebhookActor``): one update per chat in flight, chats in parallel up to ``max_connections``,
and an update that failed (non-2xx, connection refused or cut) is sent again after a doubling
delay until it succeeds, the chat's later updates waiting behind it. ``hosts`` stands in for
DNS and TLS termination: a public ``https://host`` origin is reached at a local ``http`` one.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

__all__ = [
    "DEFAULT_TOKEN",
    "LIMITED_METHODS",
    "SECRET_HEADER",
    "ApiError",
    "EntityParseError",
    "FakeTelegram",
    "PushedUpdate",
    "SentMessage",
    "StoredFile",
    "WebhookDelivery",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "utf16_len",
]

DEFAULT_TOKEN = "123456:TEST-TOKEN"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

MAX_TEXT_LENGTH = 4096  # UTF-16 code units, after entity parsing
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # sendDocument limit of the cloud Bot API
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile limit of the cloud Bot API

#: Methods that count against Telegram's flood limits (lower-cased, as looked up).
LIMITED_METHODS = frozenset(
    {"sendmessage", "senddocument", "sendphoto", "editmessagetext", "copymessage", "forwardmessage"}
)
#: Methods affected by :meth:`FakeTelegram.set_down` – the ones that deliver something to a chat.
DELIVERY_METHODS = LIMITED_METHODS | {"editmessagereplymarkup", "deletemessage", "sendchataction"}

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{1,32})?")
_BOT_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
_DEFAULT_GROUP_USER_ID = 424242
_WS = " \t\r\n\x0b\x0c"

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


# --------------------------------------------------------------------------------------------
# errors and small helpers
# --------------------------------------------------------------------------------------------


class ApiError(Exception):
    """An error reply of the Bot API: HTTP status + ``description`` (+ optional ``parameters``)."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class EntityParseError(ValueError):
    """Formatted text could not be parsed; the message mirrors tdlib's wording."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units – the unit Telegram uses for limits and entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    """tdlib reports parse errors at UTF-8 byte offsets; computed lazily only on error."""
    return len(text[:index].encode("utf-8"))


def _json_response(payload: Any, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type="application/json",
    )


# --------------------------------------------------------------------------------------------
# formatted text parsing (HTML, MarkdownV2, Markdown)
# --------------------------------------------------------------------------------------------

Entity = dict[str, Any]

_HTML_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8}));")
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_TEXT_RUN_RE = re.compile(r"[^<&]+")
_HTML_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "tg-emoji": "custom_emoji",
}


def _decode_html_entity(match: re.Match[str]) -> str | None:
    """Decode one matched entity; ``None`` for code points Telegram rejects (0, surrogates, > U+10FFFF)."""
    named, dec, hexa = match.groups()
    if named:
        return _HTML_NAMED[named]
    code = int(dec) if dec else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _decode_attribute(raw: str) -> str:
    """Attribute values (hrefs with ``&`` in query strings) are decoded leniently, like Telegram."""

    def repl(m: re.Match[str]) -> str:
        ch = _decode_html_entity(m)
        return m.group(0) if ch is None else ch

    return _HTML_ENTITY_RE.sub(repl, raw)


class _Builder:
    """Accumulates parsed plain text; the UTF-16 position is computed lazily, only when an entity
    boundary needs it, so long texts with few tags cost one ``join`` instead of one encode per run."""

    __slots__ = ("_pos16", "_synced", "entities", "parts")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.entities: list[Entity] = []
        self._pos16 = 0
        self._synced = 0  # parts[:_synced] are included in _pos16

    def add(self, chunk: str) -> None:
        self.parts.append(chunk)

    @property
    def pos16(self) -> int:
        if self._synced < len(self.parts):
            tail = "".join(self.parts[self._synced :])
            self._pos16 += len(tail) if tail.isascii() else utf16_len(tail)
            self._synced = len(self.parts)
        return self._pos16

    def text_since(self, part_index: int) -> str:
        return "".join(self.parts[part_index:])

    def entity(self, etype: str, start16: int, **extra: Any) -> None:
        length = self.pos16 - start16
        if length > 0:
            self.entities.append({"type": etype, "offset": start16, "length": length, **extra})

    def text(self) -> str:
        return "".join(self.parts)

    def result(self) -> tuple[str, list[Entity]]:
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return self.text(), self.entities


@dataclass(slots=True)
class _OpenTag:
    tag: str
    etype: str
    start16: int
    start_part: int  # index into _Builder.parts, to recover a link's text
    attrs: dict[str, str]


def parse_html(text: str, *, strict: bool = True) -> tuple[str, list[Entity]]:
    """Parse Telegram-flavoured HTML into ``(plain_text, entities)``.

    Follows tdlib's parser: only Telegram's tags, strictly nested, only ``&lt; &gt; &amp; &quot;``
    and numeric entities.  With ``strict`` a ``&`` that does not start a valid entity is an error
    (real Telegram keeps it literally); the fake is stricter on purpose so that missing escaping in
    the bot – which breaks as soon as the text happens to contain ``&lt``-like sequences – is caught.
    """
    out = _Builder()
    stack: list[_OpenTag] = []
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            m = _HTML_ENTITY_RE.match(text, i)
            ch = _decode_html_entity(m) if m else None
            if m and ch is not None:
                out.add(ch)
                i = m.end()
                continue
            if strict:
                raise EntityParseError(
                    f'Unsupported HTML entity or unescaped "&" at byte offset {_byte_offset(text, i)}'
                )
            out.add("&")
            i += 1
            continue
        if c != "<":
            m = _HTML_TEXT_RUN_RE.match(text, i)
            assert m is not None
            chunk = m.group(0)
            out.add(chunk)
            i = m.end()
            continue
        begin = i
        if i + 1 < n and text[i + 1] == "/":
            end = text.find(">", i + 2)
            if end < 0:
                raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
            name = text[i + 2 : end].strip(_WS).lower()
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
            top = stack[-1]
            if name != top.tag:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {_byte_offset(text, begin)}, expected "</{top.tag}>", '
                    f'found "</{name}>"'
                )
            stack.pop()
            i = end + 1
            link_text = out.text_since(top.start_part) if top.etype == "text_link" else ""
            _close_html_tag(top, stack, out, link_text)
            continue
        # start tag: the name runs until whitespace or '>' (so "<br/>" is the tag "br/")
        j = i + 1
        while j < n and text[j] not in _WS and text[j] != ">":
            j += 1
        if j >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        name = text[i + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise EntityParseError(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, begin)}'
            )
        attrs, i = _parse_html_attributes(text, j, name, begin)
        etype = _HTML_TAGS[name]
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}'
            )
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise EntityParseError(
                f"Invalid custom emoji identifier specified at byte offset {_byte_offset(text, begin)}"
            )
        if name == "blockquote" and "expandable" in attrs:
            etype = "expandable_blockquote"
        stack.append(_OpenTag(name, etype, out.pos16, len(out.parts), attrs))
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    return out.result()


def _parse_html_attributes(text: str, i: int, tag: str, begin: int) -> tuple[dict[str, str], int]:
    """Parse ``name=value`` pairs up to the closing ``>``; returns the attributes and the next index."""
    n = len(text)
    attrs: dict[str, str] = {}
    while True:
        while i < n and text[i] in _WS:
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if text[i] == ">":
            return attrs, i + 1
        k = i
        while k < n and (text[k].isalnum() or text[k] in "-_"):
            k += 1
        if k == i:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(text, begin)}'
            )
        attr = text[i:k].lower()
        i = k
        while i < n and text[i] in _WS:
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if text[i] != "=":
            attrs[attr] = ""  # value-less attribute such as <blockquote expandable>
            continue
        i += 1
        while i < n and text[i] in _WS:
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        quote = text[i]
        if quote in "'\"":
            end = text.find(quote, i + 1)
            if end < 0:
                raise EntityParseError(
                    f'Unclosed end of attribute value in the tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                )
            raw = text[i + 1 : end]
            i = end + 1
        else:
            k = i
            while k < n and text[k] not in _WS and text[k] != ">":
                k += 1
            raw = text[i:k]
            i = k
        attrs[attr] = _decode_attribute(raw)


def _close_html_tag(top: _OpenTag, stack: list[_OpenTag], out: _Builder, link_text: str) -> None:
    """Turn a closed tag into an entity (``<pre><code class="language-x">`` becomes one ``pre``)."""
    if top.etype == "code" and stack and stack[-1].etype == "pre":
        language = top.attrs.get("class", "")
        if language.startswith("language-") and len(language) > 9:
            stack[-1].attrs["language"] = language[9:]
        return
    if top.etype == "pre":
        language = top.attrs.get("language")
        if language:
            out.entity("pre", top.start16, language=language)
        else:
            out.entity("pre", top.start16)
    elif top.etype == "text_link":
        url = top.attrs.get("href") or link_text
        out.entity("text_link", top.start16, url=url)
    elif top.etype == "custom_emoji":
        out.entity("custom_emoji", top.start16, custom_emoji_id=top.attrs["emoji-id"])
    else:
        out.entity(top.etype, top.start16)


_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}
_MDV2_MARKERS = {"*": "bold", "~": "strikethrough"}


@dataclass(slots=True)
class _OpenMd:
    etype: str
    start16: int
    byte_index: int  # index into the source, converted to a byte offset on error
    language: str | None = None


def parse_markdown_v2(text: str) -> tuple[str, list[Entity]]:
    """Parse MarkdownV2 like tdlib: reserved characters must be escaped, entities must be closed.

    Supports ``*bold* _italic_ __underline__ ~strike~ ||spoiler|| `code` ```pre``` [text](url)
    ![emoji](tg://emoji?id=…)`` and ``>`` blockquotes at line start.
    """
    out = _Builder()
    stack: list[_OpenMd] = []
    n = len(text)
    i = 0
    quote_start: int | None = None  # UTF-16 start of the current blockquote

    def err_end(entity: _OpenMd) -> EntityParseError:
        return EntityParseError(
            f"Can't find end of {_MDV2_NAMES[entity.etype]} entity at byte offset {_byte_offset(text, entity.byte_index)}"
        )

    def reserved(ch: str) -> EntityParseError:
        return EntityParseError(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")

    while i < n:
        c = text[i]
        top = stack[-1] if stack else None
        if c == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.add(text[i + 1])
            i += 2
            continue
        if top is not None and top.etype in ("code", "pre"):
            if top.etype == "code" and c == "`":
                stack.pop()
                out.entity("code", top.start16)
                i += 1
            elif top.etype == "pre" and text.startswith("```", i):
                stack.pop()
                if top.language:
                    out.entity("pre", top.start16, language=top.language)
                else:
                    out.entity("pre", top.start16)
                i += 3
            else:
                out.add(c)
                i += 1
            continue
        if c == "\n":
            if quote_start is not None and not text.startswith(">", i + 1):
                out.entity("blockquote", quote_start)  # the quote ends before the line break
                quote_start = None
            out.add(c)
            i += 1
            continue
        if c == ">" and (i == 0 or text[i - 1] == "\n"):
            if quote_start is None:
                quote_start = out.pos16
            i += 1
            continue
        if c not in _MDV2_RESERVED:
            j = i + 1
            while j < n and text[j] not in _MDV2_RESERVED and text[j] not in "\\\n":
                j += 1
            out.add(text[i:j])
            i = j
            continue
        begin = i
        if c in _MDV2_MARKERS:
            etype, width = _MDV2_MARKERS[c], 1
        elif c == "_":
            closing_italic = top is not None and top.etype == "italic"
            if text.startswith("__", i) and not closing_italic:
                etype, width = "underline", 2
            else:
                etype, width = "italic", 1
        elif c == "|" and text.startswith("||", i):
            etype, width = "spoiler", 2
        elif c == "`":
            if text.startswith("```", i):
                i += 3
                newline = text.find("\n", i)
                close = text.find("```", i)
                language = None
                if newline != -1 and (close == -1 or newline < close):
                    language = text[i:newline].strip() or None
                    i = newline + 1
                stack.append(_OpenMd("pre", out.pos16, begin, language))
                continue
            stack.append(_OpenMd("code", out.pos16, begin))
            i += 1
            continue
        elif c == "[":
            stack.append(_OpenMd("text_link", out.pos16, begin))
            i += 1
            continue
        elif c == "!" and text.startswith("![", i):
            stack.append(_OpenMd("custom_emoji", out.pos16, begin))
            i += 2
            continue
        elif c == "]":
            if top is None or top.etype not in ("text_link", "custom_emoji"):
                if any(e.etype in ("text_link", "custom_emoji") for e in stack):
                    raise err_end(stack[-1])
                raise reserved(c)
            stack.pop()
            i += 1
            url: str | None = None
            if text.startswith("(", i):
                url_chars: list[str] = []
                i += 1
                while i < n and text[i] != ")":
                    if text[i] == "\\" and i + 1 < n:
                        i += 1
                    url_chars.append(text[i])
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(text, begin)}"
                    )
                i += 1
                url = "".join(url_chars)
            if top.etype == "custom_emoji":
                m = re.fullmatch(r"tg://emoji\?id=(\d+)", url or "")
                if not m:
                    raise EntityParseError(
                        f"Custom emoji URL must have an emoji identifier at byte offset {_byte_offset(text, begin)}"
                    )
                out.entity("custom_emoji", top.start16, custom_emoji_id=m.group(1))
            elif url:
                out.entity("text_link", top.start16, url=url)
            continue
        else:
            raise reserved(c)
        # a paired marker: closes the innermost entity of that type, or opens a new one
        if top is not None and top.etype == etype:
            stack.pop()
            out.entity(etype, top.start16)
        else:
            for open_entity in stack:
                if open_entity.etype == etype:
                    raise err_end(stack[-1])
            stack.append(_OpenMd(etype, out.pos16, begin))
        i += width
    if stack:
        raise err_end(stack[-1])
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    return out.result()


_MD_LEGACY = {"*": "bold", "_": "italic", "`": "code", "[": "text_link"}


def parse_markdown(text: str) -> tuple[str, list[Entity]]:
    """Parse legacy ``Markdown``: ``*bold* _italic_ `code` ```pre``` [text](url)``, no nesting."""
    out = _Builder()
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in "*_`[":
            out.add(text[i + 1])
            i += 2
            continue
        if c not in _MD_LEGACY:
            out.add(c)
            i += 1
            continue
        begin = i
        start16 = out.pos16
        if text.startswith("```", i):
            end = text.find("```", i + 3)
            if end < 0:
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
                )
            body = text[i + 3 : end]
            language = None
            if "\n" in body:
                first, rest = body.split("\n", 1)
                if first and " " not in first:
                    language, body = first, rest
            out.add(body)
            if language:
                out.entity("pre", start16, language=language)
            else:
                out.entity("pre", start16)
            i = end + 3
            continue
        closer = "]" if c == "[" else c
        end = text.find(closer, i + 1)
        if end < 0:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        out.add(text[i + 1 : end])
        i = end + 1
        if c == "[":
            if text.startswith("(", i):
                close = text.find(")", i)
                if close < 0:
                    raise EntityParseError(
                        f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
                    )
                out.entity("text_link", start16, url=text[i + 1 : close])
                i = close + 1
            continue
        out.entity(_MD_LEGACY[c], start16)
    return out.result()


def _strip_formatted(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Telegram trims leading/trailing whitespace of texts and captions; shift entities with it."""
    stripped = text.strip(_WS)
    if stripped == text:
        return text, entities
    lead = len(text) - len(text.lstrip(_WS))  # whitespace is BMP: code points == UTF-16 units
    total = utf16_len(stripped)
    fixed: list[Entity] = []
    for ent in entities:
        start = max(ent["offset"] - lead, 0)
        end = min(ent["offset"] + ent["length"] - lead, total)
        if end > start:
            fixed.append({**ent, "offset": start, "length": end - start})
    return stripped, fixed


# --------------------------------------------------------------------------------------------
# records
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class SentMessage:
    """One accepted outgoing call of the bot (a send or an edit), as the tests want to see it."""

    method: str  # canonical Bot API name, e.g. "sendMessage", "editMessageText"
    chat_id: int | str
    message_id: int
    text: str | None  # text or caption exactly as the bot sent it (markup included)
    parse_mode: str | None
    reply_markup: dict[str, Any] | None  # parsed reply_markup as sent, or None
    at: float  # clock() when accepted
    plain: str | None = None  # text/caption as the user sees it (tags removed, entities decoded)
    document: tuple[str, bytes] | None = None  # (file name, content) for sendDocument
    photo: bytes | None = None  # content for sendPhoto
    # request params as received (form scalars stay strings, nested JSON objects decoded, files omitted)
    params: dict[str, Any] = field(default_factory=dict)
    message: dict[str, Any] = field(default_factory=dict)  # the Message object returned

    @property
    def is_edit(self) -> bool:
        return self.method.startswith("edit")


@dataclass(slots=True)
class StoredFile:
    """A file known to the fake: uploaded by the bot or sent by a simulated user."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None


@dataclass(slots=True)
class WebhookDelivery:
    """One POST of an update to the registered webhook."""

    update_id: int | None
    status: int  # HTTP status of the bot's answer; 0 if the connection failed
    secret: str | None
    at: float


class PushedUpdate(dict[str, Any]):
    """The Update dict built by ``push_*``.

    Still a plain dict (JSON-serialisable, indexable); ``webhook_status`` carries the HTTP status
    the bot's webhook answered with, or ``None`` when the update was queued for ``getUpdates``.
    """

    webhook_status: int | None = None


@dataclass(slots=True)
class _Fault:
    status: int
    description: str
    parameters: dict[str, Any] | None
    chat_id: int | str | None
    times: int


@dataclass(slots=True)
class _Reply:
    """A successful result that also carries Telegram's optional ``description``."""

    result: Any
    description: str | None = None


# --------------------------------------------------------------------------------------------
# flood limits
# --------------------------------------------------------------------------------------------


class _RateLimiter:
    """Telegram's documented flood limits, checked in O(1) amortised per request.

    Only requests that pass are recorded, so the windows describe what Telegram actually
    delivered; a request over the limit is a "violation" whether or not it is rejected.
    """

    def __init__(
        self, global_per_second: int, per_chat_per_second: float, per_chat_burst: int, group_per_minute: int
    ):
        self.global_per_second = global_per_second
        self.per_chat_per_second = per_chat_per_second
        self.per_chat_burst = per_chat_burst
        self.group_per_minute = group_per_minute
        self._global: deque[float] = deque()
        self._buckets: dict[int, tuple[float, float]] = {}  # chat -> (tokens, last refill)
        self._groups: dict[int, deque[float]] = {}

    def acquire(self, chat_id: int | str | None, now: float) -> int:
        """Consume a slot and return 0, or return the whole seconds until one frees (≥ 1)."""
        wait = 0.0
        window = self._global
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= self.global_per_second:
            wait = window[0] + 1.0 - now
        tokens = 0.0
        group: deque[float] | None = None
        if isinstance(chat_id, int) and chat_id > 0:
            tokens, last = self._buckets.get(chat_id, (float(self.per_chat_burst), now))
            tokens = min(float(self.per_chat_burst), tokens + (now - last) * self.per_chat_per_second)
            if tokens < 1.0:
                wait = max(wait, (1.0 - tokens) / self.per_chat_per_second)
        elif isinstance(chat_id, int) and chat_id < 0:
            group = self._groups.get(chat_id)
            if group is None:
                group = self._groups[chat_id] = deque()
            while group and group[0] <= now - 60.0:
                group.popleft()
            if len(group) >= self.group_per_minute:
                wait = max(wait, group[0] + 60.0 - now)
        if wait > 0.0:
            return max(1, math.ceil(wait))
        window.append(now)
        if isinstance(chat_id, int) and chat_id > 0:
            self._buckets[chat_id] = (tokens - 1.0, now)
        if group is not None:
            group.append(now)
        return 0


# --------------------------------------------------------------------------------------------
# the server
# --------------------------------------------------------------------------------------------

_Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class FakeTelegram:
    """A fake Telegram Bot API server; see the module docstring for the why.

    Use as ``async with FakeTelegram() as fake:`` or call :meth:`start` / :meth:`stop`.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        username: str = "tdkt_test_bot",
        *,
        limits: bool = False,
        global_per_second: int = 30,
        per_chat_per_second: float = 1.0,
        per_chat_burst: int = 3,
        group_per_minute: int = 20,
        latency: float = 0.0,
        first_name: str = "TĐKT Test Bot",
        strict_html: bool = True,
        clock: Callable[[], float] = time.monotonic,
        webhook_retry: float | None = None,
        hosts: dict[str, str] | None = None,
    ) -> None:
        self.token = token
        self.username = username
        self.first_name = first_name
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 1
        self.limits = limits
        self.latency = latency
        self.strict_html = strict_html
        self.clock = clock
        self.webhook_retry = webhook_retry
        self.hosts: dict[str, str] = dict(hosts or {})  # "https://bot.example" -> "http://127.0.0.1:port"
        self._limiter = _RateLimiter(global_per_second, per_chat_per_second, per_chat_burst, group_per_minute)

        # recording
        self.sent: list[SentMessage] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.chat_actions: list[tuple[int | str, str]] = []
        self.deleted: list[tuple[int | str, int]] = []
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.updates: list[dict[str, Any]] = []  # every update ever created, in order
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.requests: Counter[str] = Counter()
        self.http_429 = 0
        self.violations = 0
        self.conflicts = 0  # getUpdates answered 409 (two pollers, or a webhook is set)

        # state
        self._by_chat: dict[int | str, list[SentMessage]] = {}
        self._messages: dict[int | str, dict[int, dict[str, Any]]] = {}
        self._next_message_id: dict[int | str, int] = {}
        self._chat_info: dict[int | str, dict[str, Any]] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_counter = itertools.count(1)
        self._callback_queries: dict[str, dict[str, Any]] = {}
        self._callback_counter = itertools.count(1)
        self._update_counter = itertools.count(100_000_001)
        self._pending: deque[dict[str, Any]] = deque()
        self._poller: asyncio.Future[str] | None = None
        self._allowed_updates: list[str] | None = None
        self._webhook: dict[str, Any] | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._webhook_lock = asyncio.Lock()
        self._blocked: set[int | str] = set()
        self._migrated: dict[int | str, int] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._down = 0
        self._down_status = 502
        self._gates: dict[str, asyncio.Event] = {}
        # Telegram-like webhook delivery (``webhook_retry``): per-chat queues and their workers
        self._chat_queues: dict[int | str, deque[tuple[PushedUpdate, asyncio.Future[int]]]] = {}
        self._chat_workers: dict[int | str, asyncio.Task[None]] = {}
        self._connections: asyncio.Semaphore | None = None

        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.port = 0

        # lower-case name -> (canonical name, handler); Telegram method names are case-insensitive
        handlers: dict[str, _Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
            "getFile": self._get_file,
            "sendChatAction": self._send_chat_action,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getChat": self._get_chat,
            "logOut": self._true,
            "close": self._true,
        }
        self._methods: dict[str, tuple[str, _Handler]] = {k.lower(): (k, v) for k, v in handlers.items()}

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Bind 127.0.0.1 on an ephemeral port and start serving."""
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        # handler_cancellation: a client that gave up on a long poll must not keep a waiter alive.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

    async def stop(self) -> None:
        """Release pending long polls, cancel webhook flushes and shut the server down."""
        self._wake_poller("shutdown")
        for gate in self._gates.values():
            gate.set()
        for queue in self._chat_queues.values():
            for _update, future in queue:
                future.cancel()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """Pass as ``telegram.Bot(base_url=...)``; PTB appends the token itself."""
        return f"{self.root}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.root}/file/bot"

    @property
    def api_url(self) -> str:
        """``{root}/bot{token}`` – handy for raw HTTP requests in tests."""
        return f"{self.root}/bot{self.token}"

    @property
    def webhook(self) -> dict[str, Any] | None:
        """``{"url", "secret_token", ...}`` as registered by setWebhook, or None."""
        return dict(self._webhook) if self._webhook else None

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued for getUpdates and not yet confirmed by an offset."""
        return list(self._pending)

    # ---------------------------------------------------------------- recording helpers

    def messages_to(self, chat_id: int | str) -> list[SentMessage]:
        """New messages the bot sent to ``chat_id`` (sendMessage, sendDocument, …; no edits), in order."""
        return list(self._by_chat.get(_normalize_chat_id(chat_id), ()))

    def last_to(self, chat_id: int | str) -> SentMessage:
        messages = self._by_chat.get(_normalize_chat_id(chat_id))
        if not messages:
            raise AssertionError(f"no message was sent to chat {chat_id}\n{self.dump()}")
        return messages[-1]

    def edits_of(self, chat_id: int | str, message_id: int) -> list[SentMessage]:
        """Edits of one message, in order (a scan – meant for assertions, not for hot paths)."""
        chat = _normalize_chat_id(chat_id)
        return [s for s in self.sent if s.is_edit and s.chat_id == chat and s.message_id == message_id]

    def message(self, chat_id: int | str, message_id: int) -> dict[str, Any] | None:
        """The current state of a stored message (after edits), or None."""
        return self._messages.get(_normalize_chat_id(chat_id), {}).get(message_id)

    @staticmethod
    def buttons(msg: SentMessage | dict[str, Any]) -> list[tuple[str, str]]:
        """Inline buttons flattened to ``(text, callback_data)`` (url/copy-text buttons give their url/text).

        Accepts a :class:`SentMessage`, a Message dict or a reply_markup dict.
        """
        markup: Any = msg.reply_markup if isinstance(msg, SentMessage) else msg.get("reply_markup", msg)
        if not isinstance(markup, dict):
            return []
        result: list[tuple[str, str]] = []
        for row in markup.get("inline_keyboard") or []:
            for button in row:
                data = button.get("callback_data")
                if data is None:
                    data = button.get("url") or (button.get("copy_text") or {}).get("text", "")
                result.append((button.get("text", ""), data))
        return result

    async def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 5.0, *, interval: float = 0.005
    ) -> None:
        """Poll ``predicate`` until true; on timeout fail with a dump of what the bot did."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            if loop.time() >= deadline:
                raise AssertionError(f"condition not met within {timeout}s\n{self.dump()}")
            await asyncio.sleep(interval)

    async def wait_for_messages(
        self, chat_id: int | str, count: int = 1, timeout: float = 5.0
    ) -> list[SentMessage]:
        """Wait until at least ``count`` messages were sent to ``chat_id`` and return them all."""
        chat = _normalize_chat_id(chat_id)
        await self.wait_for(lambda: len(self._by_chat.get(chat, ())) >= count, timeout)
        return self.messages_to(chat)

    def dump(self, last: int = 15) -> str:
        """Human-readable summary for assertion messages."""
        lines = [
            f"requests: {dict(self.requests)}",
            f"429 answers: {self.http_429}, violations: {self.violations}, pending updates: {len(self._pending)}, "
            f"webhook: {self._webhook}",
            f"last {min(last, len(self.sent))} of {len(self.sent)} sent:",
        ]
        for s in self.sent[-last:]:
            text = (s.text or "").replace("\n", "\\n")
            if len(text) > 160:
                text = text[:160] + "…"
            extra = f" buttons={self.buttons(s)}" if s.reply_markup else ""
            doc = f" document={s.document[0]!r}" if s.document else ""
            lines.append(f"  {s.method} chat={s.chat_id} id={s.message_id} {text!r}{doc}{extra}")
        return "\n".join(lines)

    # ---------------------------------------------------------------- fault injection

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        description: str,
        parameters: dict[str, Any] | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (optionally only for ``chat_id``) with an error."""
        chat = _normalize_chat_id(chat_id) if chat_id is not None else None
        self._faults.setdefault(method.lower(), []).append(
            _Fault(status, description, parameters, chat, times)
        )

    def block_chat(self, chat_id: int | str) -> None:
        """The user blocked the bot (or, for a group, kicked it): sends answer 403."""
        self._blocked.add(_normalize_chat_id(chat_id))

    def unblock_chat(self, chat_id: int | str) -> None:
        self._blocked.discard(_normalize_chat_id(chat_id))

    def migrate_chat(self, old_chat_id: int | str, new_chat_id: int) -> None:
        """The group became a supergroup: sends to the old id answer 400 with migrate_to_chat_id."""
        self._migrated[_normalize_chat_id(old_chat_id)] = new_chat_id

    def set_down(self, n: int, status: int = 502) -> None:
        """The next ``n`` delivery requests (sends, edits, chat actions) fail with ``status``."""
        self._down = n
        self._down_status = status

    def hold(self, *methods: str) -> None:
        """Calls of ``methods`` are received (and counted) but not answered until :meth:`release`:
        a slow Telegram, to catch the bot with work in flight."""
        for method in methods:
            self._gates.setdefault(method.lower(), asyncio.Event())

    def release(self, *methods: str) -> None:
        for method in methods:
            gate = self._gates.pop(method.lower(), None)
            if gate is not None:
                gate.set()

    # ---------------------------------------------------------------- simulated users

    async def push_text(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str = "Nguyễn Văn A",
        username: str | None = None,
        chat_type: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> PushedUpdate:
        """A user writes ``text`` (a leading ``/command`` gets its bot_command entity, as in Telegram)."""
        msg = self._user_message(chat_id, user_id, first_name, username, chat_type)
        msg["text"] = text
        command = _COMMAND_RE.match(text)
        if command:
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command.group(0))}]
        if reply_to_message_id is not None:
            replied = self._messages.get(chat_id, {}).get(reply_to_message_id)
            if replied is None:
                raise LookupError(f"push_text: message {reply_to_message_id} not found in chat {chat_id}")
            msg["reply_to_message"] = _without_reply(replied)
        self._store_message(chat_id, msg)
        return await self._dispatch({"message": msg})

    async def push_callback(
        self,
        chat_id: int,
        data: str,
        *,
        message_id: int,
        user_id: int | None = None,
        first_name: str = "Nguyễn Văn A",
        username: str | None = None,
    ) -> PushedUpdate:
        """A user presses an inline button with ``data`` on the stored message ``message_id``."""
        message = self._messages.get(_normalize_chat_id(chat_id), {}).get(message_id)
        if message is None:
            raise LookupError(
                f"push_callback: message {message_id} not found in chat {chat_id}\n{self.dump()}"
            )
        query_id = str(4_000_000_000_000_000_000 + next(self._callback_counter))
        self._callback_queries[query_id] = {"answered": False, "chat_id": chat_id, "message_id": message_id}
        query = {
            "id": query_id,
            "from": self._user(self._default_user(chat_id, user_id), first_name, username),
            "message": dict(message),
            "chat_instance": str(abs(chat_id) * 7 + 1),
            "data": data,
        }
        return await self._dispatch({"callback_query": query})

    async def push_document(
        self,
        chat_id: int,
        file_name: str,
        mime_type: str,
        content: bytes,
        caption: str | None = None,
        *,
        user_id: int | None = None,
        first_name: str = "Nguyễn Văn A",
        username: str | None = None,
    ) -> PushedUpdate:
        """A user sends a file; it is stored so that getFile + download return ``content``."""
        stored = self._store_file(content, "documents", file_name, mime_type)
        msg = self._user_message(chat_id, user_id, first_name, username, None)
        msg["document"] = _document_obj(stored)
        if caption is not None:
            msg["caption"] = caption
        self._store_message(chat_id, msg)
        return await self._dispatch({"message": msg})

    async def push_photo(
        self,
        chat_id: int,
        content: bytes,
        caption: str | None = None,
        *,
        user_id: int | None = None,
        first_name: str = "Nguyễn Văn A",
        username: str | None = None,
    ) -> PushedUpdate:
        """A user sends a photo (two PhotoSize entries, both downloadable)."""
        msg = self._user_message(chat_id, user_id, first_name, username, None)
        msg["photo"] = self._photo_sizes(content)
        if caption is not None:
            msg["caption"] = caption
        self._store_message(chat_id, msg)
        return await self._dispatch({"message": msg})

    async def push_update(self, update: dict[str, Any]) -> PushedUpdate:
        """Deliver an arbitrary update body (``update_id`` is assigned) – for update types not covered above."""
        body = {k: v for k, v in update.items() if k != "update_id"}
        return await self._dispatch(body)

    async def post_webhook(self, update: dict[str, Any], secret: str | None) -> int:
        """Raw POST of ``update`` to the webhook with ``secret`` (None = no header); returns the status."""
        if self._webhook is None:
            raise RuntimeError("post_webhook: no webhook is set (call setWebhook first)")
        return await self._post(self._webhook["url"], update, secret)

    # ---------------------------------------------------------------- HTTP layer

    async def _handle_api(self, request: web.Request) -> web.Response:
        if self.latency:
            await asyncio.sleep(self.latency)
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _json_response(ApiError(401, "Unauthorized").payload(), 401)
        entry = self._methods.get(method.lower())
        if entry is None:
            self.requests[method] += 1
            return _json_response(ApiError(404, "Not Found").payload(), 404)
        name, handler = entry
        self.requests[name] += 1
        gate = self._gates.get(name.lower())
        if gate is not None:
            await gate.wait()
        try:
            params = await self._read_params(request)
            self._check_faults(name.lower(), params)
            result = await handler(params)
        except ApiError as exc:
            if exc.status == 429:
                self.http_429 += 1
            return _json_response(exc.payload(), exc.status)
        if isinstance(result, _Reply):
            body: dict[str, Any] = {"ok": True, "result": result.result}
            if result.description:
                body["description"] = result.description
            return _json_response(body)
        return _json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.Response:
        stored = self._files_by_path.get(request.match_info["path"])
        if request.match_info["token"] != self.token or stored is None:
            return _json_response(ApiError(404, "Not Found").payload(), 404)
        return web.Response(body=stored.content, content_type=stored.mime_type or "application/octet-stream")

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return _json_response(ApiError(404, "Not Found").payload(), 404)

    @staticmethod
    async def _read_params(request: web.Request) -> dict[str, Any]:
        """Merge query string and body (JSON, urlencoded or multipart) like the Bot API does."""
        params: dict[str, Any] = dict(request.query)
        if request.method != "POST" or not request.body_exists:
            return params
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = await request.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: can't parse JSON encoded request")
            params.update(body)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            params.update(form.items())
        return params

    def _check_faults(self, key: str, params: dict[str, Any]) -> None:
        rules = self._faults.get(key)
        if rules:
            chat = params.get("chat_id")
            chat_norm = _normalize_chat_id(chat) if chat is not None else None
            for rule in rules:
                if rule.chat_id is None or rule.chat_id == chat_norm:
                    rule.times -= 1
                    if rule.times <= 0:
                        rules.remove(rule)
                    raise ApiError(rule.status, rule.description, rule.parameters)
        if self._down > 0 and key in DELIVERY_METHODS:
            self._down -= 1
            try:
                phrase = HTTPStatus(self._down_status).phrase
            except ValueError:
                phrase = "Server Error"
            raise ApiError(self._down_status, phrase)

    # ---------------------------------------------------------------- param helpers

    @staticmethod
    def _str(params: dict[str, Any], name: str) -> str | None:
        value = params.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, web.FileField):
            raise ApiError(400, f"Bad Request: field {name} must be a string")
        return str(value)

    @staticmethod
    def _int(params: dict[str, Any], name: str, missing: str | None = None) -> int | None:
        value = params.get(name)
        if value is None or value == "":
            if missing:
                raise ApiError(400, missing)
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(str(value))
        except ValueError:
            raise ApiError(400, f"Bad Request: invalid {name} specified") from None

    @staticmethod
    def _bool(params: dict[str, Any], name: str) -> bool:
        value = params.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    @staticmethod
    def _json(params: dict[str, Any], name: str, error: str | None = None) -> Any:
        """Nested objects arrive JSON-encoded in form fields and as real objects in JSON bodies."""
        value = params.get(name)
        if isinstance(value, str):
            if not value:
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise ApiError(400, error or f"Bad Request: can't parse {name} JSON object") from None
        return value

    def _chat_id(self, params: dict[str, Any], name: str = "chat_id") -> int | str:
        value = params.get(name)
        if value is None or value == "":
            raise ApiError(400, f"Bad Request: {name} is empty")
        chat = _normalize_chat_id(value)
        if not isinstance(chat, int):
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _target_chat(self, params: dict[str, Any]) -> int | str:
        """chat_id of a delivery, after migration and block checks."""
        chat = self._chat_id(params)
        if chat in self._migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[chat]},
            )
        if chat in self._blocked:
            if isinstance(chat, int) and chat < 0:
                raise ApiError(403, "Forbidden: bot was kicked from the supergroup chat")
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _admit(self, key: str, chat: int | str) -> None:
        """Apply the flood limits: count violations always, reject them only in limits mode."""
        retry = self._limiter.acquire(chat, self.clock())
        if retry:
            self.violations += 1
            if self.limits:
                raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})

    def _format(self, text: str | None, parse_mode: str | None, *, caption: bool) -> tuple[str, list[Entity]]:
        """Parse + validate a text or caption; returns the plain text and entities."""
        if text is None:
            text = ""
        if not caption and not text:
            raise ApiError(400, "Bad Request: message text is empty")
        mode = (parse_mode or "").lower()
        try:
            if mode == "html":
                plain, entities = parse_html(text, strict=self.strict_html)
            elif mode == "markdownv2":
                plain, entities = parse_markdown_v2(text)
            elif mode == "markdown":
                plain, entities = parse_markdown(text)
            elif mode == "":
                plain, entities = text, []
            else:
                raise ApiError(400, "Bad Request: unsupported parse_mode")
        except EntityParseError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        plain, entities = _strip_formatted(plain, entities)
        length = utf16_len(plain)
        if caption:
            if length > MAX_CAPTION_LENGTH:
                raise ApiError(400, "Bad Request: message caption is too long")
        else:
            if not plain:
                raise ApiError(400, "Bad Request: message text is empty")
            if length > MAX_TEXT_LENGTH:
                raise ApiError(400, "Bad Request: message is too long")
        return plain, entities

    def _reply_markup(self, params: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """Validate reply_markup; returns (markup as sent, inline markup echoed in the Message)."""
        markup = self._json(
            params, "reply_markup", "Bad Request: can't parse reply keyboard markup JSON object"
        )
        if markup is None:
            return None, None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        keyboard = markup.get("inline_keyboard")
        if keyboard is None:
            return markup, None  # reply keyboards / remove / force_reply are not echoed by Telegram
        if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
            raise ApiError(
                400,
                'Bad Request: can\'t parse inline keyboard button: field "inline_keyboard" must be an Array of Arrays',
            )
        for row in keyboard:
            for button in row:
                _validate_button(button)
        return markup, {"inline_keyboard": keyboard}

    def _reply_to(self, params: dict[str, Any], chat: int | str) -> dict[str, Any] | None:
        reply_id = self._int(params, "reply_to_message_id")
        allow_missing = self._bool(params, "allow_sending_without_reply")
        reply_parameters = self._json(params, "reply_parameters")
        if isinstance(reply_parameters, dict):
            reply_id = reply_parameters.get("message_id", reply_id)
            allow_missing = bool(reply_parameters.get("allow_sending_without_reply", allow_missing))
        if reply_id is None:
            return None
        replied = self._messages.get(chat, {}).get(int(reply_id))
        if replied is None and not allow_missing:
            raise ApiError(400, "Bad Request: message to be replied not found")
        return _without_reply(replied) if replied else None

    def _input_file(self, params: dict[str, Any], name: str, folder: str) -> StoredFile:
        """A file param: a multipart upload, ``attach://field``, or the file_id of a known file."""
        value = params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
        if isinstance(value, web.FileField):
            content = value.file.read()
            if not content:
                raise ApiError(400, "Bad Request: file must be non-empty")
            if len(content) > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            return self._store_file(content, folder, value.filename, value.content_type)
        if isinstance(value, str) and value:
            stored = self._files.get(value)
            if stored is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            return stored
        raise ApiError(400, f"Bad Request: there is no {name} in the request")

    # ---------------------------------------------------------------- model helpers

    def _store_file(
        self, content: bytes, folder: str, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        n = next(self._file_counter)
        ext = ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1][:10]
        elif folder == "photos":
            ext = ".jpg"
        stored = StoredFile(
            file_id=f"BQACAgIAAxkBAAI{n:08d}FakeFileId",
            file_unique_id=f"AgAD{n:08d}",
            file_path=f"{folder}/file_{n}{ext}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _photo_sizes(self, content: bytes) -> list[dict[str, Any]]:
        small = self._store_file(content, "photos", None, "image/jpeg")
        large = self._store_file(content, "photos", None, "image/jpeg")
        return [
            {
                "file_id": small.file_id,
                "file_unique_id": small.file_unique_id,
                "width": 90,
                "height": 90,
                "file_size": len(content),
            },
            {
                "file_id": large.file_id,
                "file_unique_id": large.file_unique_id,
                "width": 800,
                "height": 800,
                "file_size": len(content),
            },
        ]

    def _bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.first_name, "username": self.username}

    @staticmethod
    def _user(user_id: int, first_name: str, username: str | None) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": "vi",
        }
        if username:
            user["username"] = username
        return user

    @staticmethod
    def _default_user(chat_id: int, user_id: int | None) -> int:
        if user_id is not None:
            return user_id
        return chat_id if chat_id > 0 else _DEFAULT_GROUP_USER_ID

    def _chat(self, chat_id: int | str) -> dict[str, Any]:
        info = self._chat_info.get(chat_id)
        if info is not None:
            return info
        if isinstance(chat_id, int) and chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
        return {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}

    def _user_message(
        self, chat_id: int, user_id: int | None, first_name: str, username: str | None, chat_type: str | None
    ) -> dict[str, Any]:
        uid = self._default_user(chat_id, user_id)
        if chat_type is None:
            chat_type = "private" if chat_id > 0 else "supergroup"
        if chat_type == "private":
            chat: dict[str, Any] = {"id": chat_id, "type": "private", "first_name": first_name}
            if username:
                chat["username"] = username
        else:
            chat = {"id": chat_id, "type": chat_type, "title": f"Group {chat_id}"}
        self._chat_info[chat_id] = chat
        return {
            "message_id": self._next_id(chat_id),
            "from": self._user(uid, first_name, username),
            "chat": chat,
            "date": int(time.time()),
        }

    def _next_id(self, chat: int | str) -> int:
        n = self._next_message_id.get(chat, 0) + 1
        self._next_message_id[chat] = n
        return n

    def _store_message(self, chat: int | str, msg: dict[str, Any]) -> None:
        self._messages.setdefault(chat, {})[msg["message_id"]] = msg

    def _bot_message(self, chat: int | str, **content: Any) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "message_id": self._next_id(chat),
            "from": self._bot_user(),
            "chat": self._chat(chat),
            "date": int(time.time()),
        }
        msg.update({k: v for k, v in content.items() if v is not None and v != []})
        self._store_message(chat, msg)
        return msg

    def _record(
        self, method: str, chat: int | str, msg: dict[str, Any], params: dict[str, Any], **fields: Any
    ) -> None:
        clean = {k: _decode_nested(v) for k, v in params.items() if not isinstance(v, web.FileField)}
        record = SentMessage(
            method=method,
            chat_id=chat,
            message_id=msg["message_id"],
            at=self.clock(),
            params=clean,
            message=dict(msg),
            **fields,
        )
        self.sent.append(record)
        if not method.startswith("edit"):
            self._by_chat.setdefault(chat, []).append(record)

    def _own_message(self, params: dict[str, Any], chat: int | str, missing: str) -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: inline messages are not supported by the fake")
        message_id = self._int(params, "message_id", "Bad Request: message identifier is not specified")
        assert message_id is not None
        msg = self._messages.get(chat, {}).get(message_id)
        if msg is None:
            raise ApiError(400, missing)
        return msg

    # ---------------------------------------------------------------- updates and webhook

    async def _dispatch(self, body: dict[str, Any]) -> PushedUpdate:
        update = PushedUpdate(update_id=next(self._update_counter), **body)
        self.updates.append(update)
        kind = next(iter(body))
        if self._allowed_updates and kind not in self._allowed_updates:
            return update  # Telegram never creates updates the bot did not subscribe to
        if self._webhook is not None and self.webhook_retry is not None:
            future = self._enqueue_for_webhook(update)
            update.webhook_status = await future
            return update
        if self._webhook is not None:
            async with self._webhook_lock:
                webhook = self._webhook
                if webhook is not None:
                    update.webhook_status = await self._post(
                        webhook["url"], update, webhook.get("secret_token")
                    )
                    return update
        self._pending.append(update)
        self._wake_poller("update")
        return update

    @staticmethod
    def _queue_id(update: dict[str, Any]) -> int | str:
        """Telegram's delivery queue of an update: its chat (a button press: the message's chat)."""
        body = update.get("message") or update.get("edited_message") or {}
        if "callback_query" in update:
            cq = update["callback_query"]
            body = cq.get("message") or {"chat": cq.get("from") or {}}
        chat = body.get("chat") or {}
        return chat.get("id", f"u{update.get('update_id')}")

    def _enqueue_for_webhook(self, update: PushedUpdate) -> asyncio.Future[int]:
        """Queue ``update`` behind its chat's undelivered ones; resolved with the status that ended it."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        qid = self._queue_id(update)
        self._chat_queues.setdefault(qid, deque()).append((update, future))
        worker = self._chat_workers.get(qid)
        if worker is None or worker.done():
            task = asyncio.get_running_loop().create_task(self._deliver_chat(qid))
            self._chat_workers[qid] = task
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return future

    async def _deliver_chat(self, qid: int | str) -> None:
        """One chat's updates in order: each POSTed until a 2xx, like Telegram's WebhookActor
        (``on_update_error``: the delay starts at ``webhook_retry`` and doubles, capped at 60 s)."""
        assert self.webhook_retry is not None
        queue = self._chat_queues[qid]
        try:
            while queue:
                update, future = queue[0]
                delay = self.webhook_retry
                while True:
                    webhook = self._webhook
                    if webhook is None:  # deleted meanwhile: Telegram keeps it for getUpdates
                        self._pending.append(update)
                        self._wake_poller("update")
                        status = 0
                        break
                    if self._connections is None:
                        self._connections = asyncio.Semaphore(int(webhook.get("max_connections") or 40))
                    async with self._connections:
                        status = await self._post(webhook["url"], update, webhook.get("secret_token"))
                    if 200 <= status < 300:
                        break
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 60.0)
                queue.popleft()
                if not future.done():
                    future.set_result(status)
        finally:
            if not queue:
                self._chat_queues.pop(qid, None)
            self._chat_workers.pop(qid, None)

    def _resolve(self, url: str) -> str:
        """A public webhook URL as reached from here (``hosts``: DNS plus the TLS-terminating proxy)."""
        parts = urlsplit(url)
        local = self.hosts.get(f"{parts.scheme}://{parts.netloc}")
        if local is None:
            return url
        rest = url[len(f"{parts.scheme}://{parts.netloc}"):]
        return local.rstrip("/") + rest

    async def _post(self, url: str, update: dict[str, Any], secret: str | None) -> int:
        if self._client is None:
            raise RuntimeError("FakeTelegram is not started")
        url = self._resolve(url)
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        try:
            async with self._client.post(
                url, data=json.dumps(update, ensure_ascii=False), headers=headers
            ) as resp:
                await resp.read()
                status = resp.status
                reason = resp.reason or ""
        except (aiohttp.ClientError, TimeoutError) as exc:
            status, reason = 0, f"Connection failed: {exc}"
        self.webhook_deliveries.append(WebhookDelivery(update.get("update_id"), status, secret, self.clock()))
        if not 200 <= status < 300:
            self._webhook_error = (
                int(time.time()),
                f"Wrong response from the webhook: {status} {reason}".strip(),
            )
        return status

    async def _flush_pending_to_webhook(self) -> None:
        """Like Telegram, updates queued before setWebhook are delivered once it is set."""
        if self.webhook_retry is not None:
            while self._pending and self._webhook is not None:
                update = self._pending.popleft()
                if isinstance(update, PushedUpdate):
                    self._enqueue_for_webhook(update)
            return
        async with self._webhook_lock:
            while self._pending and self._webhook is not None:
                update = self._pending[0]
                status = await self._post(self._webhook["url"], update, self._webhook.get("secret_token"))
                if isinstance(update, PushedUpdate):
                    update.webhook_status = status
                if not 200 <= status < 300:
                    return  # keep the rest pending, as Telegram would retry later
                self._pending.popleft()

    def _wake_poller(self, reason: str) -> None:
        poller = self._poller
        if poller is not None and not poller.done():
            poller.set_result(reason)

    # ---------------------------------------------------------------- methods

    async def _true(self, params: dict[str, Any]) -> bool:
        return True

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self._webhook is not None:
            self.conflicts += 1
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            )
        offset = self._int(params, "offset")
        limit = min(max(self._int(params, "limit") or 100, 1), 100)
        timeout = max(self._int(params, "timeout") or 0, 0)
        allowed = self._json(params, "allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(a) for a in allowed] or None
        if offset is not None:
            pending = self._pending
            if offset < 0:
                while len(pending) > -offset:
                    pending.popleft()
            else:
                while pending and pending[0]["update_id"] < offset:
                    pending.popleft()
        if not self._pending and timeout > 0:
            self._wake_poller("conflict")  # Telegram terminates the older of two concurrent polls
            poller: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._poller = poller
            try:
                reason = await asyncio.wait_for(asyncio.shield(poller), timeout)
            except TimeoutError:
                reason = "timeout"
            finally:
                if self._poller is poller:
                    self._poller = None
            if reason == "conflict":
                self.conflicts += 1
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )
            if reason == "webhook":
                self.conflicts += 1
                raise ApiError(409, "Conflict: terminated by setWebhook request")
        return list(itertools.islice(self._pending, limit))

    async def _set_webhook(self, params: dict[str, Any]) -> _Reply:
        url = self._str(params, "url") or ""
        if not url:
            return await self._delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = self._str(params, "secret_token")
        if secret is not None and not _SECRET_RE.fullmatch(secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if self._bool(params, "drop_pending_updates"):
            self._pending.clear()
        allowed = self._json(params, "allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(a) for a in allowed] or None
        previous = self._webhook
        self._connections = None  # max_connections may have changed
        self._webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": self._int(params, "max_connections") or 40,
            "allowed_updates": self._allowed_updates,
        }
        self._webhook_error = None
        self._wake_poller("webhook")
        if self._pending:
            task = asyncio.get_running_loop().create_task(self._flush_pending_to_webhook())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if previous is not None and previous["url"] == url:
            return _Reply(True, "Webhook is already set")
        return _Reply(True, "Webhook was set")

    async def _delete_webhook(self, params: dict[str, Any]) -> _Reply:
        if self._bool(params, "drop_pending_updates"):
            self._pending.clear()
        if self._webhook is None:
            return _Reply(True, "Webhook is already deleted")
        self._webhook = None
        return _Reply(True, "Webhook was deleted")

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self._webhook["url"] if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self._webhook:
            info["max_connections"] = self._webhook["max_connections"]
            if self._webhook["allowed_updates"]:
                info["allowed_updates"] = self._webhook["allowed_updates"]
            if self._webhook_error:
                info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._target_chat(params)
        self._admit("sendmessage", chat)
        text = self._str(params, "text")
        parse_mode = self._str(params, "parse_mode") or None
        plain, entities = self._format(text, parse_mode, caption=False)
        markup, inline = self._reply_markup(params)
        reply_to = self._reply_to(params, chat)
        msg = self._bot_message(
            chat, reply_to_message=reply_to, text=plain, entities=entities, reply_markup=inline
        )
        self._record(
            "sendMessage",
            chat,
            msg,
            params,
            text=text,
            parse_mode=parse_mode,
            reply_markup=markup,
            plain=plain,
        )
        return msg

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._target_chat(params)
        self._admit("editmessagetext", chat)
        msg = self._own_message(params, chat, "Bad Request: message to edit not found")
        if msg["from"]["id"] != self.bot_id:
            raise ApiError(400, "Bad Request: message can't be edited")
        if "text" not in msg:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text = self._str(params, "text")
        parse_mode = self._str(params, "parse_mode") or None
        plain, entities = self._format(text, parse_mode, caption=False)
        markup, inline = self._reply_markup(params)
        if msg["text"] == plain and msg.get("entities", []) == entities and msg.get("reply_markup") == inline:
            raise ApiError(400, _NOT_MODIFIED)
        msg["text"] = plain
        _set_or_drop(msg, "entities", entities or None)
        _set_or_drop(
            msg, "reply_markup", inline
        )  # omitting reply_markup removes the keyboard, as in Telegram
        msg["edit_date"] = int(time.time())
        self._record(
            "editMessageText",
            chat,
            msg,
            params,
            text=text,
            parse_mode=parse_mode,
            reply_markup=markup,
            plain=plain,
        )
        return msg

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._target_chat(params)
        msg = self._own_message(params, chat, "Bad Request: message to edit not found")
        if msg["from"]["id"] != self.bot_id:
            raise ApiError(400, "Bad Request: message can't be edited")
        markup, inline = self._reply_markup(params)
        if msg.get("reply_markup") == inline:
            raise ApiError(400, _NOT_MODIFIED)
        _set_or_drop(msg, "reply_markup", inline)
        msg["edit_date"] = int(time.time())
        current = msg.get("text", msg.get("caption"))
        self._record(
            "editMessageReplyMarkup",
            chat,
            msg,
            params,
            text=current,
            parse_mode=None,
            reply_markup=markup,
            plain=current,
        )
        return msg

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        chat = self._target_chat(params)
        msg = self._own_message(params, chat, "Bad Request: message to delete not found")
        del self._messages[chat][msg["message_id"]]
        self.deleted.append((chat, msg["message_id"]))
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = self._str(params, "callback_query_id") or ""
        query = self._callback_queries.get(query_id)
        if query is None or query["answered"]:
            raise ApiError(400, _QUERY_TOO_OLD)
        text = self._str(params, "text")
        if text is not None and len(text) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        query["answered"] = True
        self.callback_answers.append(
            {
                "callback_query_id": query_id,
                "text": text,
                "show_alert": self._bool(params, "show_alert"),
                "url": self._str(params, "url"),
                "cache_time": self._int(params, "cache_time"),
                "chat_id": query["chat_id"],
                "message_id": query["message_id"],
            }
        )
        return True

    async def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._target_chat(params)
        self._admit("senddocument", chat)
        stored = self._input_file(params, "document", "documents")
        caption = self._str(params, "caption")
        parse_mode = self._str(params, "parse_mode") or None
        plain, entities = self._format(caption, parse_mode, caption=True)
        markup, inline = self._reply_markup(params)
        reply_to = self._reply_to(params, chat)
        msg = self._bot_message(
            chat,
            reply_to_message=reply_to,
            document=_document_obj(stored),
            caption=plain or None,
            caption_entities=entities,
            reply_markup=inline,
        )
        self._record(
            "sendDocument",
            chat,
            msg,
            params,
            text=caption,
            parse_mode=parse_mode,
            reply_markup=markup,
            plain=plain,
            document=(stored.file_name or stored.file_path.rsplit("/", 1)[-1], stored.content),
        )
        return msg

    async def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._target_chat(params)
        self._admit("sendphoto", chat)
        stored = self._input_file(params, "photo", "photos")
        caption = self._str(params, "caption")
        parse_mode = self._str(params, "parse_mode") or None
        plain, entities = self._format(caption, parse_mode, caption=True)
        markup, inline = self._reply_markup(params)
        reply_to = self._reply_to(params, chat)
        msg = self._bot_message(
            chat,
            reply_to_message=reply_to,
            photo=self._photo_sizes(stored.content),
            caption=plain or None,
            caption_entities=entities,
            reply_markup=inline,
        )
        self._record(
            "sendPhoto",
            chat,
            msg,
            params,
            text=caption,
            parse_mode=parse_mode,
            reply_markup=markup,
            plain=plain,
            photo=stored.content,
        )
        return msg

    def _source_message(self, params: dict[str, Any]) -> dict[str, Any]:
        from_chat = self._chat_id(params, "from_chat_id")
        message_id = self._int(params, "message_id", "Bad Request: message identifier is not specified")
        source = self._messages.get(from_chat, {}).get(message_id or 0)
        if source is None:
            raise ApiError(400, "Bad Request: message to copy not found")
        return source

    async def _copy_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._target_chat(params)
        self._admit("copymessage", chat)
        source = self._source_message(params)
        content = {
            k: v
            for k, v in source.items()
            if k
            not in ("message_id", "from", "chat", "date", "edit_date", "reply_to_message", "reply_markup")
        }
        markup, inline = self._reply_markup(params)
        msg = self._bot_message(chat, reply_markup=inline, **content)
        text = source.get("text", source.get("caption"))
        self._record(
            "copyMessage", chat, msg, params, text=text, parse_mode=None, reply_markup=markup, plain=text
        )
        return {"message_id": msg["message_id"]}

    async def _forward_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._target_chat(params)
        self._admit("forwardmessage", chat)
        source = self._source_message(params)
        content = {
            k: v
            for k, v in source.items()
            if k
            not in ("message_id", "from", "chat", "date", "edit_date", "reply_to_message", "reply_markup")
        }
        origin = {"type": "user", "sender_user": source["from"], "date": source["date"]}
        msg = self._bot_message(chat, forward_origin=origin, **content)
        text = source.get("text", source.get("caption"))
        self._record(
            "forwardMessage", chat, msg, params, text=text, parse_mode=None, reply_markup=None, plain=text
        )
        return msg

    async def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(self._str(params, "file_id") or "")
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(stored.content) > MAX_DOWNLOAD_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        chat = self._target_chat(params)
        action = self._str(params, "action") or ""
        if action not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        self.chat_actions.append((chat, action))
        return True

    def _commands_key(self, params: dict[str, Any]) -> tuple[str, str]:
        scope = self._json(params, "scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), self._str(params, "language_code") or ""

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = self._json(params, "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, 'Bad Request: parameter "commands" must be an Array of BotCommand')
        for cmd in commands:
            if not isinstance(cmd, dict) or not _BOT_COMMAND_NAME_RE.fullmatch(str(cmd.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: command description is empty")
        self.commands[self._commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(self._commands_key(params), [])

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    async def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat_id(params)
        if chat in self._migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[chat]},
            )
        return {
            **self._chat(chat),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }


# --------------------------------------------------------------------------------------------
# module helpers
# --------------------------------------------------------------------------------------------


def _normalize_chat_id(value: Any) -> int | str:
    """Chat ids arrive as ints (JSON) or strings (forms); "@channel" usernames stay strings."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        return text


def _decode_nested(value: Any) -> Any:
    """JSON-encoded objects/arrays in form fields are decoded for the record; scalars stay as sent."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _validate_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise ApiError(
            400, "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "Bad Request: can't parse inline keyboard button: Text must be non-empty")
    if not any(key in button for key in _BUTTON_ACTIONS):
        raise ApiError(
            400,
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or urlsplit(url).scheme.lower() not in ("http", "https", "tg", "ton"):
            raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")


def _document_obj(stored: StoredFile) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.content),
    }
    if stored.file_name:
        doc["file_name"] = stored.file_name
    if stored.mime_type:
        doc["mime_type"] = stored.mime_type
    return doc


def _without_reply(msg: dict[str, Any]) -> dict[str, Any]:
    """Telegram does not nest reply_to_message more than one level deep."""
    return {k: v for k, v in msg.items() if k != "reply_to_message"}


def _set_or_drop(msg: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        msg.pop(key, None)
    else:
        msg[key] = value
