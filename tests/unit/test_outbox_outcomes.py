"""What each classified send failure does to an outbox row (and to the chat's binding).

The outbox decides from the ``SendError`` class alone: a 429 waits ``retry_after`` and
counts no attempt, a blocked chat stops, a migrated chat is followed, an invalid message
fails at once, an unusable channel waits a minute, a passing failure backs off and gives up
after ``max_attempts``. Driven through ``OutboxDispatcher`` and an in-memory channel that
raises what an adapter would; the row is read back from the database.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.app import App
from bot.core import (
    AddressChanged,
    ChannelUnavailable,
    FixedClock,
    InvalidMessage,
    RateLimited,
    RecipientBlocked,
    Retryable,
)
from bot.services.outbox import OutboxDispatcher
from storage.models import BindingStatus, Delivery, DeliveryStatus
from tests.fakes.memory_channel import MemoryChannel
from tests.handlers.conftest import Chats, wire

CHAT = 8101


async def _queue(app: App, clock: FixedClock, *, attempts: int = 0) -> int:
    """One notice for the bound chat, due now (as ``NoticeService`` would queue it)."""
    async with app.uow() as uow:
        binding = await uow.bindings.at("memory", str(CHAT))
        assert binding is not None
        row = Delivery(kind="notice", announcement_id=None, binding_id=binding.id, member_id=binding.member_id,
                       unit_id=None, channel="memory", chat_id=str(CHAT), payload={"text": "Nhắc **báo cáo**"},
                       status=DeliveryStatus.QUEUED, priority=3, attempts=attempts, parts_sent=0, last_error="",
                       next_try_at=clock.now(), message_id="", created_at=clock.now())
        uow.deliveries.add(row)
        await uow.commit()
        return row.id


async def _send_once(app: App, clock: FixedClock, channel: MemoryChannel, delivery_id: int) -> Delivery:
    outbox = OutboxDispatcher(app.uow, clock, channel, max_attempts=3)
    assert await outbox.drain_once() == 1
    for _ in range(200):  # the claim is released with the outcome written
        async with app.uow() as uow:
            row = await uow.deliveries.get(delivery_id)
            assert row is not None
            if row.claim is None:
                return row
        await asyncio.sleep(0.01)
    raise AssertionError("the delivery was never settled")


@pytest.fixture
async def bound(app: App) -> Chats:
    chats = await wire(app, MemoryChannel())
    await chats.bind(CHAT, "X_CAOLOC")
    return chats


async def _binding_status(app: App, chat_id: str) -> str | None:
    async with app.uow() as uow:
        b = await uow.bindings.at("memory", chat_id)
        return b.status if b is not None else None


async def test_sent_records_the_platform_message_id(bound: Chats, clock: FixedClock) -> None:
    row = await _send_once(bound.app, clock, bound.channel, await _queue(bound.app, clock))
    assert (row.status, row.message_id, row.parts_sent) == (DeliveryStatus.SENT, bound.channel.last(CHAT).message_id, 1)
    assert bound.channel.last(CHAT).text == "Nhắc báo cáo"


async def test_rate_limited_waits_retry_after_and_spends_no_attempt(bound: Chats, clock: FixedClock) -> None:
    bound.channel.fail(CHAT, RateLimited(12))
    row = await _send_once(bound.app, clock, bound.channel, await _queue(bound.app, clock))
    assert (row.status, row.attempts) == (DeliveryStatus.QUEUED, 0)
    assert row.next_try_at == clock.now() + timedelta(seconds=12)
    assert row.last_error.startswith("RateLimited")


async def test_a_blocked_recipient_stops_the_row_and_blocks_the_binding(bound: Chats, clock: FixedClock) -> None:
    bound.channel.fail(CHAT, RecipientBlocked("Forbidden: bot was blocked by the user"))
    row = await _send_once(bound.app, clock, bound.channel, await _queue(bound.app, clock))
    assert row.status == DeliveryStatus.BLOCKED
    assert "bot was blocked" in row.last_error
    assert await _binding_status(bound.app, str(CHAT)) == BindingStatus.BLOCKED


async def test_a_migrated_chat_is_followed_by_the_row_and_the_binding(bound: Chats, clock: FixedClock) -> None:
    bound.channel.fail(CHAT, AddressChanged("-100777"))
    row = await _send_once(bound.app, clock, bound.channel, await _queue(bound.app, clock))
    assert (row.status, row.chat_id, row.next_try_at) == (DeliveryStatus.QUEUED, "-100777", clock.now())
    assert await _binding_status(bound.app, "-100777") == BindingStatus.ACTIVE
    assert await _binding_status(bound.app, str(CHAT)) is None


async def test_an_invalid_message_fails_at_once(bound: Chats, clock: FixedClock) -> None:
    bound.channel.fail(CHAT, InvalidMessage("Bad Request: message is too long"))
    row = await _send_once(bound.app, clock, bound.channel, await _queue(bound.app, clock))
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 0)
    assert await _binding_status(bound.app, str(CHAT)) == BindingStatus.ACTIVE


async def test_an_unusable_channel_waits_a_minute_without_spending_attempts(bound: Chats, clock: FixedClock) -> None:
    bound.channel.fail(CHAT, ChannelUnavailable("token revoked"))
    row = await _send_once(bound.app, clock, bound.channel, await _queue(bound.app, clock))
    assert (row.status, row.attempts) == (DeliveryStatus.QUEUED, 0)
    assert row.next_try_at == clock.now() + timedelta(minutes=1)


async def test_a_passing_failure_backs_off_and_counts_an_attempt(bound: Chats, clock: FixedClock) -> None:
    bound.channel.fail(CHAT, Retryable("502 Bad Gateway"))
    row = await _send_once(bound.app, clock, bound.channel, await _queue(bound.app, clock, attempts=1))
    assert (row.status, row.attempts) == (DeliveryStatus.QUEUED, 2)
    wait = (row.next_try_at - clock.now()).total_seconds()
    assert 4 * 0.8 <= wait <= 4 * 1.2, "2 ** attempts seconds, ±20 %"


async def test_the_last_allowed_attempt_failing_fails_the_row(bound: Chats, clock: FixedClock) -> None:
    bound.channel.fail(CHAT, Retryable("timeout"))
    row = await _send_once(bound.app, clock, bound.channel, await _queue(bound.app, clock, attempts=2))
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 3)


async def test_an_unclassified_crash_is_retried_like_a_passing_failure(bound: Chats, clock: FixedClock) -> None:
    bound.channel.fail(CHAT, KeyError("result"))
    row = await _send_once(bound.app, clock, bound.channel, await _queue(bound.app, clock))
    assert (row.status, row.attempts) == (DeliveryStatus.QUEUED, 1)
    assert row.last_error.startswith("SendError: KeyError")
