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

from bot.core.callbacks import MAX_ID, number

__all__ = ["MAX_ID", "Payload", "number"]


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
