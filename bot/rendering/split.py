"""Split long messages at paragraph, then sentence, then word boundaries.

Never inside a tag or an entity; tags open at a cut are closed at the end of the part and
reopened at the start of the next, so every part is well-formed on its own. Parts are
numbered "(1/3) " when there are several.
"""

from __future__ import annotations

import re
from typing import Literal

from bot.rendering.markup import html_text_length

_TOKEN = re.compile(r"<[^>]+>|&[#\w]+;|[^<&]+|[<&]")
_SENTENCE_END = re.compile(r"(?<=[.;!?…:])\s+")


def _u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _measure_html(text: str) -> int:
    return max(len(text), html_text_length(text))


def _atoms(text: str, markup: str) -> list[str]:
    """Indivisible pieces: tags, entities, single characters (emoji surrogates stay whole)."""
    if markup == "html":
        out: list[str] = []
        for tok in _TOKEN.findall(text):
            if tok.startswith("<") or (tok.startswith("&") and tok.endswith(";")):
                out.append(tok)
            else:
                out.extend(tok)
        return out
    return list(text)


def _units(text: str) -> list[str]:
    """Paragraphs, then sentences, then words: the preferred cut points, in order of preference."""
    return [p for p in re.split(r"(\n\n+)", text) if p]


_TAG_NAME = re.compile(r"<([\w-]+)")


def _close(open_tags: list[str]) -> str:
    """Closing tags for the given opening tags, innermost first."""
    return "".join(f"</{_TAG_NAME.match(t).group(1)}>" for t in reversed(open_tags))  # type: ignore[union-attr]


class _Packer:
    def __init__(self, limit: int, markup: str) -> None:
        self.limit = limit
        self.markup = markup
        self.parts: list[str] = []
        self.current = ""
        self.open_tags: list[str] = []   # full opening tags currently open at the end of `current`

    def measure(self, text: str) -> int:
        return _measure_html(text) if self.markup == "html" else _u16(text)

    def closing(self) -> str:
        return _close(self.open_tags)

    def fits(self, extra: str) -> bool:
        return self.measure(self.current + extra + self.closing_after(extra)) <= self.limit

    def closing_after(self, extra: str) -> str:
        stack = list(self.open_tags)
        if self.markup == "html":
            for tok in re.findall(r"<[^>]+>", extra):
                if tok.startswith("</"):
                    if stack:
                        stack.pop()
                elif not tok.endswith("/>"):
                    stack.append(tok)
        return _close(stack)

    def append(self, piece: str) -> None:
        self.current += piece
        if self.markup == "html":
            for tok in re.findall(r"<[^>]+>", piece):
                if tok.startswith("</"):
                    if self.open_tags:
                        self.open_tags.pop()
                elif not tok.endswith("/>"):
                    self.open_tags.append(tok)

    def flush(self) -> None:
        body = self.current.rstrip()
        if body.strip() and re.sub(r"<[^>]+>", "", body).strip():
            self.parts.append(body + self.closing())
        reopen = "".join(self.open_tags)
        self.current = reopen

    def add(self, piece: str, finer: list[list[str]]) -> None:
        """Add ``piece``; if it does not fit, flush and retry; if alone it is too big, go finer."""
        if self.fits(piece):
            self.append(piece)
            return
        if re.sub(r"<[^>]+>", "", self.current).strip():
            self.flush()
            piece = piece.lstrip()
            if self.fits(piece):
                self.append(piece)
                return
        if not finer:
            for atom in _atoms(piece, self.markup):
                if not self.fits(atom):
                    self.flush()
                self.append(atom)
            return
        for sub in _split_by(piece, finer[0]):
            self.add(sub, finer[1:])


def _split_by(text: str, how: list[str]) -> list[str]:
    kind = how[0]
    if kind == "sentence":
        pieces = re.split(r"((?<=[.;!?…:])\s+)", text)
    elif kind == "line":
        pieces = re.split(r"(\n)", text)
    else:
        pieces = re.split(r"(\s+)", text)
    out: list[str] = []
    for p in pieces:
        if not p:
            continue
        if out and p.isspace():
            out[-1] += p
        else:
            out.append(p)
    return out


def _split(text: str, limit: int, markup: str) -> list[str]:
    measure = _measure_html if markup == "html" else _u16
    if measure(text) <= limit:
        return [text]
    packer = _Packer(limit, markup)
    finer = [["line"], ["sentence"], ["word"]]
    for para in _units(text):
        packer.add(para, finer)
    packer.flush()
    return packer.parts


def split_html(text: str, limit: int = 4096) -> list[str]:
    return _split(text, limit, "html")


def split_plain(text: str, limit: int = 2000) -> list[str]:
    return _split(text, limit, "plain")


def number_parts(parts: list[str], fmt: str = "({i}/{n}) ") -> list[str]:
    n = len(parts)
    return [fmt.format(i=i, n=n) + p for i, p in enumerate(parts, 1)] if n > 1 else parts


def split_message(text: str, *, limit: int, markup: Literal["html", "plain"]) -> list[str]:
    """Split to ``limit`` leaving room for the "(i/n) " marker; number the parts if several."""
    measure = _measure_html if markup == "html" else _u16
    if measure(text) <= limit:
        return [text]
    reserve = 12
    parts = _split(text, limit - reserve, markup)
    return number_parts(parts)
