"""What a Zalo chat remembers between messages: the menu on screen and the messages handled."""

from __future__ import annotations

import time

import pytest

from bot.channels.numbered import MenuMemory, match, picked
from bot.channels.zalo import ZaloChannel
from bot.core import Address, Choice, Inbound, InboundKind, MemoryLedger, Outbound, Seen, rows
from tests.fakes.zalo_api import FakeZalo

USER = "6ede9afa66b88fe6d6a9"


async def test_a_number_typed_right_after_is_read_against_the_menu_its_predecessor_left() -> None:
    """Two messages sent back to back: the second ("2") is read once the first one's reply
    has shown its menu, not against whatever was on screen when it arrived."""
    async with FakeZalo() as zalo:
        channel = ZaloChannel(zalo.token, api_base_url=zalo.base_url, poll_timeout=2, part_delay=0.01)
        got: list[Inbound] = []

        async def bot(inbound: Inbound) -> None:
            got.append(inbound)
            if inbound.text == "menu":
                await channel.send(inbound.address, Outbound("Chọn:", choices=rows(Choice("A", "a"), Choice("B", "b"))))

        await channel.start(bot)
        try:
            await zalo.push_text(USER, "menu")
            await zalo.push_text(USER, "2")
            await zalo.wait_for(lambda: len(got) >= 2)
        finally:
            await channel.stop()
    assert (got[1].kind, got[1].payload) == (InboundKind.CALLBACK, "b")


async def test_memory_menus_pick_forget_and_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    menus, here, there = MenuMemory(ttl=60), Address("zalo", "1"), Address("zalo", "2")
    await menus.remember(here, [Choice("⬅ Quay lại", "back"), Choice("Bỏ qua", "skip")])
    typed = Inbound.from_text(here, "2", message_id="m1")
    assert (await picked(menus, typed)).payload == "skip"
    assert (await picked(menus, typed)).message_id == "m1"  # keys as the typed message
    assert (await picked(menus, Inbound.from_text(there, "2"))).kind is InboundKind.TEXT  # other chat
    assert (await picked(menus, Inbound.from_text(here, "/huy"))).kind is InboundKind.COMMAND
    await menus.remember(here, [Choice("Bỏ qua", "skip")], numbered=False)
    assert (await picked(menus, Inbound.from_text(here, "1"))).kind is InboundKind.TEXT
    assert (await picked(menus, Inbound.from_text(here, "bo qua"))).payload == "skip"
    now[0] += 61
    assert await menus.recall(here) is None
    await menus.remember(here, [Choice("Một", "1")])
    await menus.remember(here, [])
    assert await menus.recall(here) is None


async def test_memory_ledger_new_retry_done(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    ledger = MemoryLedger(ttl=3600, max_keys=3)
    assert await ledger.begin("k") is Seen.NEW
    assert await ledger.begin("k") is Seen.RETRY  # begun, never finished: that attempt died
    await ledger.finish("k")
    assert await ledger.begin("k") is Seen.DONE
    now[0] += 3601
    assert await ledger.begin("k") is Seen.NEW  # forgotten after the TTL
    for i in range(10):
        await ledger.begin(f"x{i}")
    assert len(ledger) <= 3


@pytest.mark.parametrize("typed", ["9" * 5000, "9" * 7, "0", "3"])
def test_a_number_no_menu_has_picks_nothing_even_with_thousands_of_digits(typed: str) -> None:
    """int() of 5 000 digits raises ValueError: a Zalo officer holding a key down at a menu
    got no answer at all (the update failed in the channel)."""
    menu = [Choice("Có", "y"), Choice("Không", "n")]
    assert match(menu, typed) is None
    assert match(menu, "2") == menu[1]
