"""Button payloads, built and read in one place.

A button's payload (Telegram's ``callback_data``, a Zalo menu entry's stored payload) is
short text such as ``bc:o:3:1``. It comes back as whatever the presser's client sent: a
forged or corrupted press can carry ``bc:p:99999999999999999999`` or ``td:s:²``, which
``int()`` turns into a number no row can have (an ``OverflowError`` on SQLite, an int32
error on PostgreSQL) or refuses. So every payload is a small typed class, registered under
its fixed leading parts, after aiogram's ``CallbackData``::

    @callback("bc", "o")
    class PickOption(CallbackData):
        question: Index
        option: Index

    PickOption(question=3, option=1).pack()  ->  "bc:o:3:1"
    decode("bc:o:3:1")                        ->  PickOption(question=3, option=1)
    decode("bc:o:3:99999999999")              ->  None   (answered like a stale button)

``decode`` hands out only values a field can hold — ASCII digits within range for ids and
positions, short plain words for words — and ``None`` for anything else, so a handler
matches on the class and never parses text itself.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any, ClassVar, NewType, TypeVar, dataclass_transform, get_type_hints

from bot.core.types import CALLBACK_DATA_MAX_BYTES

MAX_ID = 2**31 - 1
"""Largest id a row can have: PostgreSQL ``integer`` columns are 32-bit signed."""

_MAX_DIGITS = len(str(MAX_ID))

Id = NewType("Id", int)
"""A row id: 1 … 2³¹−1."""
Index = NewType("Index", int)
"""A position in a list the bot showed (0 … 9 999) — or a question's number."""
Flag = NewType("Flag", bool)
"""Yes/no, packed as 1/0."""
Word = NewType("Word", str)
"""A short plain token (letters, digits, ``_``, ``-``, ``.``; at most 40): a form id, a channel."""

_WORD = re.compile(r"[A-Za-z0-9_.\-]{1,40}")


def number(text: str, *, minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    """``text`` as an int in ``minimum … maximum``, or ``None``.

    ASCII digits only: ``str.isdigit`` also says yes to "²" and "١", which ``int`` then
    refuses or reads as a different number; the length check keeps a 10 000-digit string
    from being converted at all."""
    if not text or len(text) > _MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


def _read(kind: object, text: str) -> object | None:
    if kind is Id:
        return number(text)
    if kind is Index:
        return number(text, minimum=0, maximum=9_999)
    if kind is Flag:
        return {"1": True, "0": False}.get(text)
    if kind is Word:
        return text if _WORD.fullmatch(text) else None
    raise TypeError(f"a payload field must be Id, Index, Flag or Word, not {kind!r}")


def _write(kind: object, value: object) -> str:
    if kind is Flag:
        return "1" if value else "0"
    text = str(value)
    if _read(kind, text) is None:
        raise ValueError(f"{value!r} cannot be sent as a button payload field")
    return text


class CallbackData:
    """Base of every payload class; subclasses are frozen dataclasses (see ``callback``)."""

    head: ClassVar[tuple[str, ...]] = ()
    fields: ClassVar[tuple[tuple[str, object], ...]] = ()

    def pack(self) -> str:
        parts = [*self.head, *(_write(kind, getattr(self, name)) for name, kind in self.fields)]
        data = ":".join(parts)
        if len(data.encode()) > CALLBACK_DATA_MAX_BYTES:
            raise ValueError(f"payload {data!r} is longer than Telegram's {CALLBACK_DATA_MAX_BYTES} bytes")
        return data

    def __str__(self) -> str:
        return self.pack()


_REGISTRY: dict[str, list[type[CallbackData]]] = {}
C = TypeVar("C", bound=type[CallbackData])


@dataclass_transform(frozen_default=True)
def callback(*head: str) -> Callable[[C], C]:
    """Register a payload class under its fixed leading parts (the first is the router's
    prefix). Its annotated fields follow, in order."""
    if not head or any(not _WORD.fullmatch(h) for h in head):
        raise ValueError(f"bad payload head {head!r}")

    def register(cls: C) -> C:
        data_cls = dataclasses.dataclass(frozen=True)(cls)
        hints = get_type_hints(data_cls)
        data_cls.head = head
        data_cls.fields = tuple((f.name, hints[f.name]) for f in dataclasses.fields(data_cls))
        for _name, kind in data_cls.fields:
            _read(kind, "")  # fails now, at import, for an unsupported field type
        siblings = _REGISTRY.setdefault(head[0], [])
        if any(s.head == head and len(s.fields) == len(data_cls.fields) for s in siblings):
            raise ValueError(f"two payload classes for {':'.join(head)} with {len(data_cls.fields)} fields")
        siblings.append(data_cls)
        return data_cls

    return register


def decode(raw: str) -> CallbackData | None:
    """The payload class instance ``raw`` stands for, or ``None`` for a forged, stale or
    corrupted payload (any part that does not fit its field)."""
    if not raw or len(raw) > 4 * CALLBACK_DATA_MAX_BYTES:
        return None
    parts = raw.split(":")
    for cls in _REGISTRY.get(parts[0], ()):
        n = len(cls.head)
        if len(parts) != n + len(cls.fields) or tuple(parts[:n]) != cls.head:
            continue
        values: dict[str, Any] = {}
        for (name, kind), text in zip(cls.fields, parts[n:], strict=True):
            value = _read(kind, text)
            if value is None:
                return None
            values[name] = value
        return cls(**values)
    return None


def prefix_of(raw: str) -> str:
    """The part the router dispatches on (``ack`` for ``ack:42``)."""
    return raw.split(":", 1)[0]
