"""Split long messages into parts that each fit a channel's size limit.

Decrees are 9–14 k characters; Telegram takes 4096 UTF-16 units per message (counted
on the text after HTML parsing) and Zalo 2000.  Parts are cut at the most natural
boundary available — blank line, line, sentence, space, and only as a last resort
anywhere between two characters — never inside a tag, an entity or a grapheme
cluster (emoji, combining marks).  Tags still open at a cut are closed at the end of
the part and reopened, with the same attributes, at the start of the next, so every
part is well-formed HTML on its own.  Only whitespace at the cut points is dropped.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from html import unescape
from typing import Literal

from bot.rendering.markup import utf16_len

__all__ = ["number_parts", "split_html", "split_message", "split_plain"]

DEFAULT_MARKER = "({i}/{n}) "

# A cut at a coarser boundary is preferred as long as the part it yields is at least
# this full; otherwise a finer boundary further on is used, so parts stay large.
_MIN_FILL = 0.5

_PARAGRAPH, _LINE, _SENTENCE, _SPACE = range(4)
_SENTENCE_END = frozenset(".;!?…")
_CLOSERS = frozenset("”’\"')]»")
_HEADING_MAX = 100  # visible characters
_ITEM_START = re.compile(r"\s*(?:[•│-]|\d+[.)]\s)")
_NO_BREAK = frozenset("\u00a0\u202f\u2007\u2060\ufeff")

_HTML_ATOM = re.compile(r"<[^<>]*>|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);|.", re.DOTALL)
_TAG_NAME = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)")

_TEXT, _OPEN, _CLOSE, _OTHER_TAG = range(4)


@dataclass(frozen=True, slots=True)
class _Cut:
    end: int  # the part ends before this atom
    resume: int  # the next part starts at this atom (atoms in between are dropped)
    level: int


class _Doc:
    """The text as indivisible atoms (tag, entity or character) with prefix sums.

    ``raw`` counts what the part costs as sent (code points for HTML, UTF-16 units for
    plain text) and ``vis`` what Telegram counts after parsing (UTF-16 units of the
    visible text); both must stay within the limit.
    """

    def __init__(self, text: str, *, html: bool) -> None:
        self.atoms: list[str] = _HTML_ATOM.findall(text) if html else list(text)
        self.kinds: list[int] = []
        self.visible: list[str] = []
        raw_pre, vis_pre, text_pre = [0], [0], [0]
        stacks: list[tuple[tuple[str, str], ...]] = [()]
        stack: tuple[tuple[str, str], ...] = ()
        for atom in self.atoms:
            kind, vis, name = _classify(atom, html=html)
            if kind == _OPEN:
                stack = (*stack, (name, atom))
            elif kind == _CLOSE:
                names = [n for n, _ in stack]
                if name in names:
                    stack = stack[: len(names) - 1 - names[::-1].index(name)]
            self.kinds.append(kind)
            self.visible.append(vis)
            width = utf16_len(vis)
            raw_pre.append(raw_pre[-1] + (len(atom) if html else width))
            vis_pre.append(vis_pre[-1] + width)
            text_pre.append(text_pre[-1] + (kind == _TEXT and not self.is_space(len(self.kinds) - 1)))
            stacks.append(stack)
        self.raw_pre, self.vis_pre, self.text_pre, self.stacks = raw_pre, vis_pre, text_pre, stacks

    def __len__(self) -> int:
        return len(self.atoms)

    def is_space(self, i: int) -> bool:
        vis = self.visible[i]
        return self.kinds[i] == _TEXT and vis.isspace() and not (set(vis) & _NO_BREAK)

    def is_tag(self, i: int) -> bool:
        return self.kinds[i] != _TEXT

    def render(self, start: int, end: int) -> str:
        """The part made of atoms[start:end], with open tags reopened and closed."""
        opened = "".join(raw for _, raw in self.stacks[start])
        closing = "".join(f"</{name}>" for name, _ in reversed(self.stacks[end]))
        return opened + "".join(self.atoms[start:end]) + closing

    def cost(self, start: int, end: int) -> tuple[int, int]:
        """(raw, visible) size of ``render(start, end)`` without building it."""
        wrap = sum(len(raw) for _, raw in self.stacks[start])
        wrap += sum(len(name) + 3 for name, _ in self.stacks[end])
        raw = wrap + self.raw_pre[end] - self.raw_pre[start]
        return raw, self.vis_pre[end] - self.vis_pre[start]

    def fits(self, start: int, end: int, limit: int) -> bool:
        raw, vis = self.cost(start, end)
        return raw <= limit and vis <= limit

    def trim_end(self, start: int, end: int) -> int:
        """Move ``end`` back over whitespace and tags opened without content."""
        while end > start and (self.is_space(end - 1) or self.kinds[end - 1] == _OPEN):
            end -= 1
        return end

    def trim_start(self, start: int) -> int:
        """Move ``start`` forward over whitespace and tags closed before any content."""
        while start < len(self) and (self.is_space(start) or self.kinds[start] == _CLOSE):
            start += 1
        return start

    def has_text(self, start: int, end: int) -> bool:
        """Whether atoms[start:end] show anything besides whitespace."""
        return self.text_pre[end] > self.text_pre[start]

    def breakable(self, i: int) -> bool:
        """Whether a hard cut before atom ``i`` keeps grapheme clusters (emoji…) whole."""
        if 0 < i < len(self) and self.kinds[i] == _TEXT and _extends(self.visible[i]):
            return False
        return not (i > 0 and self.visible[i - 1] == "\u200d")

    def cuts(self) -> list[_Cut]:
        """Every natural cut point, in document order, with its boundary level."""
        out: list[_Cut] = []
        i, n = 0, len(self)
        paragraph_start = 0
        while i < n:
            if not (self.is_space(i) or self.is_tag(i)):
                if self.visible[i] == "…" and i + 1 < n and not self.is_space(i + 1):
                    out.append(_Cut(i + 1, i + 1, _SENTENCE))
                i += 1
                continue
            j, newlines, spaces = i, 0, 0
            while j < n and (self.is_space(j) or self.is_tag(j)):
                if self.is_space(j):
                    spaces += 1
                    newlines += self.visible[j].count("\n")
                j += 1
            if spaces and i > 0 and j < n:
                out.append(_Cut(i, j, self._level(paragraph_start, i, j, newlines)))
            if newlines >= 2:
                paragraph_start = j
            i = j
        return out

    def _level(self, paragraph_start: int, i: int, j: int, newlines: int) -> int:
        """How good a cut is the whitespace run atoms[i:j]; lower is better."""
        ends_sentence = self._ends_sentence(i)
        if newlines >= 2:
            # A short line without final punctuation is a heading: keep it with its body.
            short = self.vis_pre[i] - self.vis_pre[paragraph_start] <= _HEADING_MAX
            return _SENTENCE if short and not ends_sentence else _PARAGRAPH
        if newlines:
            # A line break inside a sentence (wrapped source text) is no better than a space.
            starts_item = _ITEM_START.match(self._text_from(j, 8)) is not None
            return _LINE if ends_sentence or starts_item else _SPACE
        return _SENTENCE if ends_sentence else _SPACE

    def _ends_sentence(self, i: int) -> bool:
        """Whether the visible text before atom ``i`` ends a sentence (closing quotes allowed)."""
        seen_closer = False
        for k in range(i - 1, -1, -1):
            if self.is_tag(k):
                continue
            ch = self.visible[k][-1:]
            if ch in _CLOSERS and not seen_closer:
                seen_closer = True
                continue
            return ch in _SENTENCE_END
        return False

    def _text_from(self, j: int, count: int) -> str:
        """Up to ``count`` visible characters from atom ``j`` on, tags skipped."""
        out: list[str] = []
        while j < len(self) and len(out) < count:
            if self.visible[j]:
                out.append(self.visible[j])
            j += 1
        return "".join(out)


def _classify(atom: str, *, html: bool) -> tuple[int, str, str]:
    """(kind, visible text, tag name) of one atom."""
    if not html or len(atom) == 1 or atom[0] not in "<&":
        return _TEXT, atom, ""
    if atom[0] == "&":
        return _TEXT, unescape(atom), ""
    match = _TAG_NAME.match(atom)
    if match is None or atom.endswith("/>"):
        return _OTHER_TAG, "", ""
    return (_CLOSE if match.group(1) else _OPEN), "", match.group(2).lower()


def _extends(ch: str) -> bool:
    """Characters that attach to the previous one: combining marks, ZWJ, selectors, skin tones."""
    cp = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or cp == 0x200D
        or 0xFE00 <= cp <= 0xFE0F
        or 0x1F3FB <= cp <= 0x1F3FF
        or 0xE0020 <= cp <= 0xE007F
        or 0xE0100 <= cp <= 0xE01EF
    )


def _split(text: str, limit: int, *, html: bool) -> list[str]:
    if limit <= 0:
        raise ValueError(f"limit must be positive, got {limit}")
    if utf16_len(text) <= limit:  # most messages: raw and visible sizes are both at most this
        return [text]
    doc = _Doc(text, html=html)
    if doc.fits(0, len(doc), limit):
        return [text]
    cuts = doc.cuts()
    cut_ends = [c.end for c in cuts]
    parts: list[str] = []
    start = doc.trim_start(0)
    final = doc.trim_end(start, len(doc))
    while start < final and doc.has_text(start, final):
        if doc.fits(start, final, limit):
            parts.append(doc.render(start, final))
            break
        end, resume = _choose_cut(doc, start, limit, cuts, cut_ends)
        parts.append(doc.render(start, end))
        start = doc.trim_start(resume)
    return parts


def _furthest_reach(doc: _Doc, start: int, limit: int) -> int:
    """The last atom index a part starting at ``start`` could end at, ignoring closing tags."""
    wrap = sum(len(raw) for _, raw in doc.stacks[start])
    by_raw = bisect_right(doc.raw_pre, doc.raw_pre[start] + limit - wrap) - 1
    by_vis = bisect_right(doc.vis_pre, doc.vis_pre[start] + limit) - 1
    return min(by_raw, by_vis, len(doc))


def _choose_cut(doc: _Doc, start: int, limit: int, cuts: list[_Cut], cut_ends: list[int]) -> tuple[int, int]:
    """Where to end the part that starts at ``start``: (end, start of the next part)."""
    reach = _furthest_reach(doc, start, limit)
    best: dict[int, tuple[int, int]] = {}  # level → furthest usable (end, resume)
    lo = bisect_right(cut_ends, start)
    hi = bisect_right(cut_ends, reach)
    for cut in cuts[lo:hi]:
        end = doc.trim_end(start, cut.end)
        if end <= start or cut.resume <= start or not doc.fits(start, end, limit):
            continue
        if not doc.has_text(start, end):
            continue
        for level in range(cut.level, _SPACE + 1):
            best[level] = (end, cut.resume)
    span = doc.raw_pre[reach] - doc.raw_pre[start]
    for level in range(_SPACE + 1):
        if level in best and doc.raw_pre[best[level][0]] - doc.raw_pre[start] >= _MIN_FILL * span:
            return best[level]
    for level in range(_SPACE + 1):
        if level in best:
            return best[level]
    return _hard_cut(doc, start, reach, limit)


def _hard_cut(doc: _Doc, start: int, reach: int, limit: int) -> tuple[int, int]:
    """Last resort: cut between two atoms, as far as possible, keeping clusters whole."""
    fallback: tuple[int, int] | None = None
    for at in range(reach, start, -1):
        end = doc.trim_end(start, at)
        if end <= start or not doc.fits(start, end, limit) or not doc.has_text(start, end):
            continue
        if doc.breakable(at):
            return end, at
        fallback = fallback or (end, at)
    if fallback is not None:  # a single cluster longer than the limit: break it after all
        return fallback
    raise ValueError(f"limit {limit} is too small for the markup that must be reopened in each part")


def split_html(html: str, limit: int = 4096) -> list[str]:
    """Split Telegram HTML so each part is well-formed and within ``limit`` (raw and parsed)."""
    return _split(html, limit, html=True)


def split_plain(text: str, limit: int = 2000) -> list[str]:
    """Split plain text so each part is at most ``limit`` UTF-16 code units."""
    return _split(text, limit, html=False)


def number_parts(parts: list[str], fmt: str = DEFAULT_MARKER) -> list[str]:
    """Prefix "(i/n) " to every part, but only when there are several."""
    n = len(parts)
    if n < 2:
        return list(parts)
    return [fmt.format(i=i, n=n) + part for i, part in enumerate(parts, 1)]


def split_message(text: str, *, limit: int, markup: Literal["html", "plain"]) -> list[str]:
    """Split for sending and number the parts, reserving room for the "(i/n) " marker.

    HTML parts satisfy both ``html_text_length(part) <= limit`` and ``len(part) <= limit``;
    plain parts are at most ``limit`` UTF-16 code units.
    """
    if markup not in ("html", "plain"):
        raise ValueError(f"unknown markup {markup!r}")
    html = markup == "html"
    parts = _split(text, limit, html=html)
    if len(parts) < 2:
        return parts
    reserve = 0
    while True:
        needed = utf16_len(DEFAULT_MARKER.format(i=len(parts), n=len(parts)))
        if needed <= reserve:
            break
        reserve = needed
        parts = _split(text, limit - reserve, html=html)
    return number_parts(parts)
