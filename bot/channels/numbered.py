"""Buttons for channels that have none: a numbered list, and the reply mapped back.

The person answers ``2``, ``2.`` or the option's text (any case, with or without
Vietnamese accents) and the channel turns that into exactly the payload the Telegram
button would have carried, so handlers never know the difference.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import replace

from bot.core import Address, Choice, Inbound, InboundKind, Menu, MenuStore
from bot.core.text import fold

__all__ = ["MenuMemory", "clean_label", "fold", "match", "menu_text", "picked"]


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
        # Never int() of thousands of digits (ValueError past 4 300): no menu is that long.
        i = int(key) if len(key) <= 6 else 0
        return choices[i - 1] if 1 <= i <= len(choices) else None
    for c in choices:
        if fold(clean_label(c.label)) == key:
            return c
    return None


class MenuMemory:
    """The last menu shown in each chat, in this process only, forgotten after ``ttl`` seconds.

    The :class:`bot.core.MenuStore` a channel uses when none is injected; ``bot.app`` injects
    the durable one, so a menu on screen still counts after a restart.
    """

    def __init__(self, ttl: float = 7 * 24 * 3600) -> None:
        self.ttl = ttl
        self._menus: dict[Address, tuple[float, Menu]] = {}

    async def remember(self, address: Address, choices: Sequence[Choice], *, numbered: bool = True) -> None:
        """Remember the menu just shown (an empty one forgets: old numbers must not stick)."""
        if choices:
            self._menus[address] = (time.monotonic(), Menu(tuple(choices), numbered))
        else:
            self._menus.pop(address, None)
        if len(self._menus) > 100_000:
            cutoff = time.monotonic() - self.ttl
            self._menus = {k: v for k, v in self._menus.items() if v[0] >= cutoff}

    async def recall(self, address: Address) -> Menu | None:
        entry = self._menus.get(address)
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return None
        return entry[1]


async def picked(menus: MenuStore, inbound: Inbound) -> Inbound:
    """Typed text that picks an option of the menu on screen becomes that button's press.

    It keeps the typed message's id, so it keys (``Inbound.key``) like that message would.
    Commands and files are never picks; neither is anything when no menu is on screen.
    """
    if inbound.kind is not InboundKind.TEXT:
        return inbound
    menu = await menus.recall(inbound.address)
    choice = match(list(menu.choices), inbound.text, numbered=menu.numbered) if menu is not None else None
    if choice is None:
        return inbound
    return replace(inbound, kind=InboundKind.CALLBACK, text="", payload=choice.payload)
