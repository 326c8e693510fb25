"""Buttons for channels that have none: a numbered list, and the reply mapped back.

The person answers ``2``, ``2.`` or the option's text (any case, with or without
Vietnamese accents) and the channel turns that into exactly the payload the Telegram
button would have carried, so handlers never know the difference.
"""

from __future__ import annotations

import re
import time

from bot.core import Choice
from bot.core.text import fold

__all__ = ["MenuMemory", "clean_label", "fold", "match", "menu_text"]


def clean_label(label: str) -> str:
    """Drop leading emoji/arrows so '⬅ Quay lại' can be typed as 'quay lại'."""
    return re.sub(r"^[^\w]+", "", label, flags=re.UNICODE).strip() or label


def menu_text(choices: list[Choice], *, numbered: bool = True) -> str:
    if not numbered:
        words = " · ".join(f"“{clean_label(c.label).lower()}”" for c in choices)
        return f"(Có thể gõ: {words})"
    lines = [f"{i}. {clean_label(c.label)}" for i, c in enumerate(choices, 1)]
    n = len(choices)
    hint = "Trả lời 1" if n == 1 else "Trả lời " + ", ".join(str(i) for i in range(1, n)) + f" hoặc {n}"
    return "\n".join(lines) + f"\n({hint})"


def match(choices: list[Choice], text: str, *, numbered: bool = True) -> Choice | None:
    key = fold(text).rstrip(".").strip()
    if not key:
        return None
    if key.isdigit():
        if not numbered:
            return None
        i = int(key)
        return choices[i - 1] if 1 <= i <= len(choices) else None
    for c in choices:
        if fold(clean_label(c.label)) == key:
            return c
    return None


class MenuMemory:
    """The last menu shown in each chat, forgotten after ``ttl`` seconds."""

    def __init__(self, ttl: float = 7 * 24 * 3600) -> None:
        self.ttl = ttl
        self._menus: dict[str, tuple[float, list[Choice], bool]] = {}

    def remember(self, chat_id: str, choices: list[Choice], *, numbered: bool = True) -> None:
        """Remember the menu just shown (an empty one forgets: old numbers must not stick)."""
        if choices:
            self._menus[chat_id] = (time.monotonic(), choices, numbered)
        else:
            self._menus.pop(chat_id, None)
        if len(self._menus) > 100_000:
            cutoff = time.monotonic() - self.ttl
            self._menus = {k: v for k, v in self._menus.items() if v[0] >= cutoff}

    def resolve(self, chat_id: str, text: str) -> Choice | None:
        entry = self._menus.get(chat_id)
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return None
        return match(entry[1], text, numbered=entry[2])
