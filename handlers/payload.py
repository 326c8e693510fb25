"""One reader for button payloads (``bc:p:12``, ``td:s:7``, ``an:aud:g:0``).

A payload comes back from the platform as whatever text the presser's client sent: a
forged or corrupted press can carry ``bc:p:99999999999999999999`` or ``td:s:²``. Python
turns either into an ``int`` (or a ``ValueError``) and the database then fails on it
(``OverflowError`` on SQLite, an int32 error on PostgreSQL), which a person saw as "sự cố".
Every handler reads its payload through ``Payload`` instead, which hands out only ids a row
of ours can have (ASCII digits, 1 … 2³¹−1) and indexes inside the list they index, and
``None`` for anything else — which each handler answers like a stale button.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_ID = 2**31 - 1
"""Largest id a row can have: PostgreSQL ``integer`` columns are 32-bit signed."""

_MAX_DIGITS = len(str(MAX_ID))


def number(text: str, *, minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    """``text`` as an int in ``minimum … maximum``, or ``None``.

    ASCII digits only: ``str.isdigit`` also says yes to "²" and "١", which ``int`` then
    refuses or reads as a different number; the length check keeps a 10 000-digit string
    from being converted at all."""
    if not text or len(text) > _MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


@dataclass(frozen=True)
class Payload:
    parts: tuple[str, ...]

    @classmethod
    def parse(cls, raw: str) -> Payload:
        return cls(tuple(raw.split(":")))

    @property
    def prefix(self) -> str:
        return self.parts[0]

    @property
    def action(self) -> str:
        return self.part(1)

    def part(self, i: int) -> str:
        """The ``i``-th field, "" when the payload is shorter."""
        return self.parts[i] if i < len(self.parts) else ""

    def id(self, i: int) -> int | None:
        """The ``i``-th field as a row id, ``None`` when absent or not a possible id."""
        return number(self.part(i))

    def index(self, i: int, size: int) -> int | None:
        """The ``i``-th field as a position in a list of ``size`` items, else ``None``."""
        return number(self.part(i), minimum=0, maximum=size - 1) if size > 0 else None
