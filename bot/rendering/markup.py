"""Markdown → Telegram HTML and → plain text (for Zalo and the console).

Handlers, templates and decrees are written in Markdown. Telegram accepts a small HTML
subset; Zalo accepts no markup at all but the structure (headings, lists, quotes) must
survive. Everything is escaped: raw HTML in a decree is shown as text.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

_INLINE_HTML = {"strong": "b", "em": "i", "s": "s"}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "breaks": True}).enable("strikethrough")


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _inline_html(tokens: list[Token]) -> str:
    out: list[str] = []
    for t in tokens:
        kind = t.type
        if kind == "text":
            out.append(_esc(t.content))
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        elif kind == "code_inline":
            out.append(f"<code>{_esc(t.content)}</code>")
        elif kind.endswith("_open") and kind[:-5] in _INLINE_HTML:
            out.append(f"<{_INLINE_HTML[kind[:-5]]}>")
        elif kind.endswith("_close") and kind[:-6] in _INLINE_HTML:
            out.append(f"</{_INLINE_HTML[kind[:-6]]}>")
        elif kind == "link_open":
            href = str(t.attrs.get("href", ""))
            out.append(f'<a href="{html.escape(href, quote=True)}">' if href.startswith(("http://", "https://",
                                                                                            "tg://", "mailto:")) else "<a>")
        elif kind == "link_close":
            out.append("</a>")
        elif kind == "image":
            out.append(_esc(t.content or str(t.attrs.get("src", ""))))
        elif kind in ("html_inline",):
            out.append(_esc(t.content))
    text = "".join(out)
    text = text.replace("<a></a>", "").replace("<a>", "").replace("</a>", "") if "<a>" in text else text
    return re.sub(r"<(b|i|s|code)></\1>", "", text)


def _inline_plain(tokens: list[Token]) -> str:
    out: list[str] = []
    link: list[str] = []
    for t in tokens:
        kind = t.type
        if kind == "text":
            out.append(t.content)
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        elif kind == "code_inline":
            out.append(t.content)
        elif kind == "link_open":
            link.append(str(t.attrs.get("href", "")))
        elif kind == "link_close" and link:
            href = link.pop()
            if href and href not in out[-1:]:
                out.append(f" ({href})")
        elif kind == "image":
            out.append(t.content or str(t.attrs.get("src", "")))
    return "".join(out)


def _render(md: str, *, plain: bool) -> str:
    md = unicodedata.normalize("NFC", md or "")
    tokens = _parser().parse(md)
    blocks: list[tuple[str, bool]] = []  # (text, inside a list item)
    list_stack: list[list[int]] = []  # [next number or -1 for bullets]
    quote_depth = 0
    pending_prefix = ""
    heading = False
    in_item_first = False

    def emit(text: str) -> None:
        nonlocal pending_prefix, in_item_first
        indent = "   " * max(0, len(list_stack) - 1)
        lines = text.split("\n")
        if pending_prefix:
            lines[0] = indent + pending_prefix + lines[0]
            lines[1:] = [indent + "   " + ln for ln in lines[1:]]
            pending_prefix = ""
            in_item_first = False
        elif list_stack:
            lines = [indent + "   " + ln for ln in lines]
        if quote_depth and plain:
            lines = ["│ " + ln for ln in lines]
        block = "\n".join(lines)
        if quote_depth and not plain:
            block = f"<blockquote>{block}</blockquote>"
        blocks.append((block, bool(list_stack)))

    for t in tokens:
        kind = t.type
        if kind == "heading_open":
            heading = True
        elif kind == "heading_close":
            heading = False
        elif kind == "bullet_list_open":
            list_stack.append([-1])
        elif kind == "ordered_list_open":
            list_stack.append([int(t.attrs.get("start", 1) or 1)])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            list_stack.pop()
        elif kind == "list_item_open":
            top = list_stack[-1]
            if top[0] < 0:
                pending_prefix = "• "
            else:
                pending_prefix = f"{top[0]}. "
                top[0] += 1
            in_item_first = True
        elif kind == "blockquote_open":
            quote_depth += 1
        elif kind == "blockquote_close":
            quote_depth -= 1
        elif kind == "inline":
            text = _inline_plain(t.children or []) if plain else _inline_html(t.children or [])
            if heading:
                text = text.upper() if plain else f"<b>{text}</b>"
            if text.strip():
                emit(text)
        elif kind in ("fence", "code_block"):
            content = t.content.rstrip("\n")
            emit(content if plain else f"<pre>{_esc(content)}</pre>")
        elif kind == "hr":
            emit("———")
        elif kind == "html_block":
            emit(t.content.strip() if plain else _esc(t.content.strip()))
    pieces: list[str] = []
    for i, (block, in_list) in enumerate(blocks):
        if i:
            pieces.append("\n" if in_list and blocks[i - 1][1] else "\n\n")
        pieces.append(block)
    text = "".join(pieces)
    if not plain:
        text = text.replace("</blockquote>\n\n<blockquote>", "\n\n")
    return text.strip()


def markdown_to_telegram_html(md: str) -> str:
    """Markdown → the HTML subset Telegram accepts (b, i, s, code, pre, a, blockquote)."""
    return _render(md, plain=False)


def markdown_to_plain(md: str) -> str:
    """Markdown → plain text keeping structure: HEADINGS, • bullets, numbered lists, │ quotes."""
    return _render(md, plain=True)


def html_text_length(text: str) -> int:
    """What Telegram counts: the text without tags, entities decoded, in UTF-16 code units."""
    visible = html.unescape(re.sub(r"<[^>]+>", "", text))
    return len(visible.encode("utf-16-le")) // 2
