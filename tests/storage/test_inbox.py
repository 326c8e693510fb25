"""The inbox: updates kept before handling, taken up once when their process died."""

from __future__ import annotations

import asyncio

from bot.app import App
from bot.core import FixedClock
from tests.conftest import make_settings


async def test_kept_updates_are_taken_up_once_after_their_claim_and_never_when_done(
        db_url: str, clock: FixedClock) -> None:
    app = App(make_settings(db_url), clock=clock)
    await app.prepare()
    inbox = app.services.chat_memory.inbox
    try:
        first = await inbox.keep("zalo", "k1", {"event_name": "message.text.received", "n": 1})
        assert first is not None
        assert await inbox.keep("zalo", "k1", {"n": 1}) is None, "a redelivery is kept once"
        done = await inbox.keep("zalo", "k2", {"n": 2})
        assert done is not None
        await inbox.done(done)
        assert await inbox.orphans("zalo") == [], "the keeper's claim still runs"
        clock.advance(minutes=3)
        taken = await asyncio.gather(inbox.orphans("zalo"), inbox.orphans("zalo"))
        assert sorted(len(t) for t in taken) == [0, 1], "two sweepers never take the same item"
        assert [i for t in taken for i, _ in t] == [first]
        assert await inbox.orphans("zalo") == [], "taken: claimed again for a while"
        clock.advance(days=8)
        assert await app.services.chat_memory.forget_old() >= 2
        assert await inbox.orphans("zalo") == []
    finally:
        await app.stop()
