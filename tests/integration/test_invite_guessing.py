"""Invites that cannot be guessed or probed: failed codes are limited per chat
and per sender (kept in the database, so a restart does not reset the count), audited, all
answered alike, and the chats that reached the limit are named in the admins' digest."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.core import Address, FixedClock
from storage.models import AuditLog
from tests.conftest import make_settings
from tests.integration.conftest import Harness, start_harness

GUESSER = 7101
OFFICER = 7102
LIMIT = 5  # failures per chat and per sender in 15 minutes


async def _harness(db_url: str, clock: FixedClock) -> Harness:
    app, tg = await start_harness(db_url, clock)
    return Harness(app, tg)


async def _stop(h: Harness) -> None:
    await h.app.stop()
    await h.tg.stop()


async def _restart(h: Harness, db_url: str, clock: FixedClock) -> Harness:
    """A new process over the same database and the same platform (its message ids go on)."""
    await h.app.stop()
    app = App(make_settings(db_url, telegram_bot_token=h.tg.token, telegram_api_base_url=h.tg.root), clock=clock)
    await app.prepare()
    await app.start(scheduler=False)
    app.dispatcher.channels["telegram"].pacer.per_chat_rate = None  # type: ignore[attr-defined]
    return Harness(app, h.tg)


async def _audit(h: Harness, action: str) -> list[AuditLog]:
    async with h.app.services.members.uow() as uow:
        return [r for r in await uow.audit.recent(500) if r.action == action]


async def _bound(h: Harness, chat: int) -> bool:
    return await h.app.services.members.member_at(Address("telegram", str(chat))) is not None


async def test_wrong_codes_get_one_answer_then_the_chat_is_locked_out(db_url: str, clock: FixedClock) -> None:
    h = await _harness(db_url, clock)
    try:
        members = h.app.services.members
        used = await members.create_invite("X_CAOLOC")
        assert (await members.redeem(Address("telegram", str(OFFICER)), used.code, "Lan")).member
        expired = await members.create_invite("X_CAOLOC", valid_for=timedelta(seconds=-1))
        good = await members.create_invite("X_DONGDANG")

        # Ten wrong codes from one chat: unknown, used and expired mixed.
        assert members.failure_limit == LIMIT
        codes = ["ZZZZ2345", used.code, expired.code, used.code.lower(), "QQQQ7777",
                 "ZZZZ2346", used.code, expired.code, "WWWW3333", "ZZZZ2347"]
        replies = [(await h.say(GUESSER, f"/start {code}"))[-1].text for code in codes]
        refused, locked = replies[:LIMIT], replies[LIMIT:]
        assert len(set(refused)) == 1, refused  # unknown, used and expired cannot be told apart
        assert "không dùng được" in refused[0]
        assert len(set(locked)) == 1 and "kể cả mã đúng" in locked[0], locked

        # Locked: even the right code is refused, without being looked at (it stays unused).
        reply = (await h.say(GUESSER, good.code))[-1].text  # a bare code, as typed on Zalo
        assert "kể cả mã đúng" in reply and not await _bound(h, GUESSER)

        failed = await _audit(h, "invite.failed")
        assert len(failed) == LIMIT  # attempts while locked are not even checked
        assert {r.detail["reason"] for r in failed} == {"unknown", "used", "expired"}
        assert all(r.detail["address"] == f"telegram:{GUESSER}" for r in failed)
        assert len(await _audit(h, "invite.lockout")) == 1

        clock.advance(minutes=15, seconds=1)  # the window has passed
        assert "Đã liên kết" in (await h.say(GUESSER, f"/start {good.code}"))[-1].text
        assert await _bound(h, GUESSER)
    finally:
        await _stop(h)


async def test_a_right_code_within_the_limit_works(db_url: str, clock: FixedClock) -> None:
    h = await _harness(db_url, clock)
    try:
        good = await h.app.services.members.create_invite("X_CAOLOC")
        for i in range(LIMIT - 1):
            assert "không dùng được" in (await h.say(OFFICER, f"/start ZZZZ234{i + 2}"))[-1].text
        assert "Đã liên kết" in (await h.say(OFFICER, f"/start {good.code}"))[-1].text
    finally:
        await _stop(h)


async def test_the_lockout_survives_a_restart_and_is_in_the_digest(db_url: str, clock: FixedClock) -> None:
    h = await _harness(db_url, clock)
    try:
        good = await h.app.services.members.create_invite("X_CAOLOC")
        for i in range(LIMIT):
            await h.say(GUESSER, f"/start ZZZZ234{i + 2}")
        h = await _restart(h, db_url, clock)
        assert "kể cả mã đúng" in (await h.say(GUESSER, f"/start {good.code}"))[-1].text
        assert not await _bound(h, GUESSER)
        digest = await h.app.services.digest_text()
        assert f"telegram:{GUESSER}" in digest and "sai mã mời" in digest
        clock.advance(minutes=16)
        assert "Đã liên kết" in (await h.say(GUESSER, f"/start {good.code}"))[-1].text
    finally:
        await _stop(h)


async def test_one_sender_is_limited_across_chats(db_url: str, clock: FixedClock) -> None:
    """A person guessing from several groups (or groups and a private chat) counts once."""
    h = await _harness(db_url, clock)
    try:
        good = await h.app.services.members.create_invite("X_CAOLOC")
        groups = [-1007001, -1007002, -1007003]
        for i in range(LIMIT):
            await h.say(groups[i % 2], f"/start ZZZZ234{i + 2}", user_id=GUESSER)
        assert "kể cả mã đúng" in (await h.say(groups[2], f"/start {good.code}", user_id=GUESSER))[-1].text
        assert "kể cả mã đúng" in (await h.say(GUESSER, f"/start {good.code}"))[-1].text
        # Someone else in the third group is not that person: their right code works.
        assert "Đã liên kết" in (await h.say(groups[2], f"/start {good.code}", user_id=OFFICER))[-1].text
    finally:
        await _stop(h)

