"""The wording of the Word documents, kept in jinja2 templates like every other user-facing text.

A document template (``bot/rendering/templates/docx_*.txt.j2``) writes one block per line, each
line starting with a marker that says what the block is::

    H|I. KẾT QUẢ THỰC HIỆN …        a section heading (bold)
    S|1. Công tác lãnh đạo, chỉ đạo  a sub-heading (bold)
    P|Trong kỳ, đơn vị đã …         a body paragraph (justified, first line indented)
    Q|Xã Cao Lộc: …                 a quoted paragraph (indented, for the summary's quotes)
    X|figures                       a place where the builder inserts a table it makes itself

The officer's text is people's text: a plain ``{{ value }}`` has its line breaks folded into
spaces, so nothing typed can start a block of its own; the ``paras`` filter is the only way a
multi-line answer becomes several paragraphs, each with its own marker. Markdown is not involved
(a Word document has no use for escapes), so the Markdown environment is not reused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from jinja2.environment import TemplateModule

from bot.core import strip_controls
from bot.rendering.templates import vn_number

__all__ = ["MARKERS", "Block", "Lines", "Macros", "blocks", "macros", "render_blocks", "vn_date_words"]

MARKERS = frozenset({"H", "S", "P", "Q", "X"})
_BREAKS = re.compile(r"\s*[\r\n]+\s*")


class Lines(str):
    """Already marked-up block lines (from ``paras``): passed through as they are."""


@dataclass(frozen=True, slots=True)
class Block:
    kind: str
    text: str


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Lines):
        return value
    return _BREAKS.sub(" ", strip_controls(str(value)))


def _paras(value: Any, kind: str = "P", prefix: str = "") -> Lines:
    """Each non-empty line of a text answer as its own paragraph block (``prefix``: "- " for a
    list the officer typed one item a line)."""
    if value is None:
        return Lines("")
    lines = [_BREAKS.sub(" ", strip_controls(line)).strip() for line in str(value).splitlines()]
    return Lines("\n".join(f"{kind}|{prefix}{line}" for line in lines if line))


def _part(value: Any, key: str) -> Any:
    """One part of a "numbers" answer, none when the answer or the part is missing (a question
    of another form or version)."""
    return value.get(key) if isinstance(value, dict) else None


def vn_date_words(day: date) -> str:
    """'ngày 05 tháng 6 năm 2026' as Nghị định 30/2020 writes it: a zero before days under 10 and
    before months 1 and 2, none before the other months."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def _signed(value: Any) -> str:
    """+3 / −2 / 0 for the summary's change column."""
    if value is None:
        return ""
    if value > 0:
        return "+" + vn_number(value)
    if value < 0:
        return "−" + vn_number(-value)
    return "0"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("bot.rendering", "templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        finalize=_plain,
    )
    env.filters.update(num=vn_number, paras=_paras, part=_part, signed=_signed, date_words=vn_date_words)
    return env


class Macros:
    """The macros of one template, as attributes that return text, and the values it sets
    (:meth:`variable`). jinja2 puts both on a module it builds at run time, where a type
    checker cannot see them; this says what they are."""

    def __init__(self, module: TemplateModule) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Callable[..., str]:
        macro: Callable[..., str] = getattr(self._module, name)
        return macro

    def variable(self, name: str) -> Any:
        """A value the template sets at its top level (``{% set name = … %}``): plain data."""
        return getattr(self._module, name)


def macros(template: str, variables: dict[str, Any]) -> Macros:
    """The macros of ``template``, rendered with ``variables`` in scope."""
    return Macros(environment().get_template(template).make_module(variables))


def blocks(text: str) -> list[Block]:
    """Parse a rendered document template into blocks; a line without a known marker is a
    template bug, not something to print, so it raises."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        kind, sep, rest = line.partition("|")
        if not sep or kind not in MARKERS:
            raise ValueError(f"document template line without a block marker: {line[:60]!r}")
        if rest.strip():
            out.append(Block(kind, rest.strip()))
    return out


def render_blocks(template_name: str, /, **context: Any) -> list[Block]:
    """Render ``templates/<template_name>.txt.j2`` into blocks."""
    return blocks(environment().get_template(f"{template_name}.txt.j2").render(**context))
