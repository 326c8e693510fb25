"""Markdown → Telegram HTML and → plain text (Zalo).

Decrees and handler messages are authored once in Markdown; Telegram only accepts a
small HTML subset (with strict nesting rules) and Zalo only plain text.  Both outputs
come from the same markdown-it parse so the structure (paragraphs, lists, quotes) is
identical on every channel, and the paragraph separator is always a blank line so
that :mod:`bot.rendering.split` can cut messages at paragraph boundaries.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from html import unescape
from typing import Literal
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

__all__ = [
    "ALLOWED_TAGS",
    "escape_html",
    "html_text_length",
    "markdown_to_plain",
    "markdown_to_telegram_html",
    "utf16_len",
]

#: Tags Telegram's HTML parse mode accepts and that this module may emit.
ALLOWED_TAGS = frozenset({"b", "i", "u", "s", "code", "pre", "a", "blockquote"})

HR_LINE = "———"
BULLET = "•"
QUOTE_PREFIX = "│ "

# Telegram rejects or silently drops links with other schemes (relative URLs, ftp…).
_LINK_SCHEMES = ("http://", "https://", "tg://", "mailto:")
_TAG_RE = re.compile(r"<[^<>]*>")
_MARKUP = {"strong": "b", "em": "i", "s": "s"}

_Mode = Literal["html", "plain"]
_InnerFn = Callable[["_Ctx"], str]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit Telegram uses for its message limits."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def escape_html(text: str) -> str:
    """Escape for Telegram HTML using only the four entities Telegram documents."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def html_text_length(html: str) -> int:
    """Length Telegram counts for an HTML message: tags dropped, entities decoded, UTF-16."""
    return utf16_len(unescape(_TAG_RE.sub("", html)))


def markdown_to_telegram_html(md: str) -> str:
    """Render Markdown to the HTML subset accepted by Telegram (``parse_mode=HTML``)."""
    return _Renderer("html").render(md)


def markdown_to_plain(md: str) -> str:
    """Render Markdown to markup-free text for Zalo, keeping the visible structure."""
    return _Renderer("plain").render(md)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # html=False: raw HTML in a decree is shown as text, never passed through.
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def _is_safe_url(url: str) -> bool:
    return url.lower().startswith(_LINK_SCHEMES)


def _prefix_lines(text: str, first: str, rest: str) -> str:
    """Prefix the first line with ``first`` and every other non-empty line with ``rest``."""
    lines = text.split("\n")
    rest_lines = (rest + line if line.strip() else rest.rstrip() for line in lines[1:])
    return "\n".join([first + lines[0], *rest_lines])


def _flat_text(node: SyntaxTreeNode) -> str:
    """Unformatted text of an inline subtree (image alt texts cannot carry markup)."""
    if node.type in ("text", "text_special", "code_inline", "html_inline"):
        return node.content
    if node.type in ("softbreak", "hardbreak"):
        return " "
    return "".join(_flat_text(child) for child in node.children)


@dataclass(frozen=True)
class _Ctx:
    """Inline/block context, needed because Telegram forbids some nestings."""

    active: frozenset[str] = frozenset()  # HTML tags currently open (no <b> inside <b>)
    in_link: bool = False  # links cannot contain code or other links
    in_quote: bool = False  # blockquotes cannot be nested
    upper: bool = False  # plain-text headings are written in capitals


class _Renderer:
    """Walks the markdown-it syntax tree; one instance renders one mode."""

    def __init__(self, mode: _Mode) -> None:
        self.html = mode == "html"

    def render(self, md: str) -> str:
        md = unicodedata.normalize("NFC", md or "")
        tree = SyntaxTreeNode(_parser().parse(md))
        return self._blocks(tree.children, _Ctx()).strip()

    # ----------------------------------------------------------------- blocks
    def _blocks(self, nodes: Iterable[SyntaxTreeNode], ctx: _Ctx, sep: str = "\n\n") -> str:
        return sep.join(b for b in (self._block(n, ctx) for n in nodes) if b.strip())

    def _block(self, node: SyntaxTreeNode, ctx: _Ctx) -> str:
        kind = node.type
        if kind == "paragraph":
            return self._inline_children(node, ctx).strip()
        if kind == "heading":
            return self._heading(node, ctx)
        if kind in ("bullet_list", "ordered_list"):
            return self._list(node, ctx)
        if kind == "blockquote":
            return self._blockquote(node, ctx)
        if kind in ("fence", "code_block"):
            return self._code_block(node)
        if kind == "hr":
            return HR_LINE
        if kind == "table":
            return self._table(node, ctx)
        if kind == "html_block":  # only reachable if html parsing were enabled
            return self._text(node.content.strip(), ctx)
        return self._blocks(node.children, ctx)

    def _heading(self, node: SyntaxTreeNode, ctx: _Ctx) -> str:
        if self.html:
            return self._tag("b", lambda c: self._inline_children(node, c).strip(), ctx)
        return self._inline_children(node, replace(ctx, upper=True)).strip()

    def _list(self, node: SyntaxTreeNode, ctx: _Ctx) -> str:
        ordered = node.type == "ordered_list"
        start = int(node.attrs.get("start", 1)) if ordered else 1
        tight = all(p.hidden for item in node.children for p in item.children if p.type == "paragraph")
        sep = "\n" if tight else "\n\n"
        items = []
        for index, item in enumerate(node.children):
            marker = f"{item.info or start + index}{item.markup or '.'} " if ordered else f"{BULLET} "
            body = self._blocks(item.children, ctx, sep)
            items.append(_prefix_lines(body, marker, " " * len(marker)).rstrip())
        return sep.join(items)

    def _blockquote(self, node: SyntaxTreeNode, ctx: _Ctx) -> str:
        if not self.html or ctx.in_quote:
            # Plain text has no quote markup; Telegram forbids nested blockquotes.
            inner = self._blocks(node.children, ctx)
            return _prefix_lines(inner, QUOTE_PREFIX, QUOTE_PREFIX) if inner else ""
        inner = self._blocks(node.children, replace(ctx, in_quote=True))
        return f"<blockquote>{inner}</blockquote>" if inner.strip() else ""

    def _code_block(self, node: SyntaxTreeNode) -> str:
        content = node.content.rstrip("\n")
        if not content.strip():
            return ""
        if not self.html:
            return content
        lang = node.info.split()[0] if node.info.strip() else ""
        if re.fullmatch(r"[A-Za-z0-9_+#.-]+", lang):
            return f'<pre><code class="language-{lang}">{escape_html(content)}</code></pre>'
        return f"<pre>{escape_html(content)}</pre>"

    def _table(self, node: SyntaxTreeNode, ctx: _Ctx) -> str:
        rows = []
        for section in node.children:
            for row in section.children:
                cells = [self._inline_children(cell, ctx).strip() for cell in row.children]
                rows.append(" | ".join(cells))
        return "\n".join(rows)

    # ----------------------------------------------------------------- inline
    def _inline_children(self, node: SyntaxTreeNode, ctx: _Ctx) -> str:
        """Render a block's inline content (wrapped in an ``inline`` node by markdown-it)."""
        parts = []
        for child in node.children:
            nodes = child.children if child.type == "inline" else [child]
            parts.append(self._inline(nodes, ctx))
        return "".join(parts)

    def _inline(self, nodes: Iterable[SyntaxTreeNode], ctx: _Ctx) -> str:
        return "".join(self._inline_node(n, ctx) for n in nodes)

    def _inline_node(self, node: SyntaxTreeNode, ctx: _Ctx) -> str:
        kind = node.type
        if kind in ("text", "html_inline", "text_special"):
            return self._text(node.content, ctx)
        if kind in ("softbreak", "hardbreak"):
            return "\n"
        if kind == "code_inline":
            if self.html and not ctx.in_link:  # Telegram: links cannot contain code
                return self._tag("code", lambda _c: escape_html(node.content), ctx)
            return self._text(node.content, ctx)
        if kind in _MARKUP:
            return self._tag(_MARKUP[kind], lambda c: self._inline(node.children, c), ctx)
        if kind == "link":
            return self._link(node, ctx)
        if kind == "image":
            return self._image(node, ctx)
        return self._inline(node.children, ctx)

    def _text(self, text: str, ctx: _Ctx) -> str:
        if self.html:
            return escape_html(text)
        return text.upper() if ctx.upper else text

    def _tag(self, tag: str, inner: _InnerFn, ctx: _Ctx) -> str:
        """Wrap rendered content in ``tag``, never emitting empty or self-nested pairs."""
        if not self.html:
            return inner(ctx)
        if tag in ctx.active:
            return inner(ctx)
        content = inner(replace(ctx, active=ctx.active | {tag}))
        if not content.strip():
            return content
        return f"<{tag}>{content}</{tag}>"

    def _link(self, node: SyntaxTreeNode, ctx: _Ctx) -> str:
        href = str(node.attrs.get("href", ""))
        link_ctx = replace(ctx, in_link=True)
        if not self.html:
            text = self._inline(node.children, link_ctx)
            if not text.strip():
                return href
            if text in (href, unquote(href), unquote(href).removeprefix("mailto:")):
                return text
            return f"{text} ({href})"
        if ctx.in_link or not _is_safe_url(href):
            text = self._inline(node.children, ctx)
            if not text.strip():
                return escape_html(href)
            return text if unescape(text) in (href, unquote(href)) else f"{text} ({escape_html(href)})"

        def inner(c: _Ctx) -> str:
            text = self._inline(node.children, replace(c, in_link=True))
            return text if text.strip() else escape_html(unquote(href))

        return f'<a href="{escape_html(href)}">{inner(ctx)}</a>'

    def _image(self, node: SyntaxTreeNode, ctx: _Ctx) -> str:
        src = str(node.attrs.get("src", ""))
        alt = self._text(_flat_text(node).strip(), ctx)
        if not self.html:
            if ctx.in_link or not src:
                return alt
            return f"{alt} ({src})" if alt else src
        if ctx.in_link or not _is_safe_url(src):
            return alt or escape_html(src)
        return f'<a href="{escape_html(src)}">{alt or escape_html(unquote(src))}</a>'
