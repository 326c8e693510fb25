"""In a group chat the bot answers people, not the chat: a group bound by one person lets
its unit's messages arrive there, but only people who bound a chat of their own can use
commands, answer forms or press buttons in it, each as who they are."""

from __future__ import annotations

import pytest
from telegram import Update

from bot.core import Address, FixedClock
from storage.models import AuditLog
from tests.conftest import make_settings
from tests.fakes.zalo_api import FakeZalo
from tests.integration.conftest import Harness

GROUP = -1002000
ADMIN, STRANGER, OFFICER, OTHER = 7001, 7002, 7003, 7004
STRANGER_SAYS = "chưa liên kết với bot"


@pytest.fixture
def bot(on_every_backend: Harness) -> Harness:
    """The whole bot on each backend (the speaker query differs from a private chat's)."""
    return on_every_backend


async def _audit(h: Harness, action: str) -> list[AuditLog]:
    async with h.app.services.members.uow() as uow:
        return [r for r in await uow.audit.recent(500) if r.action == action]


async def _bind_group(h: Harness, group: int, person: int, unit: str | None, role: str = "officer") -> None:
    inv = await h.app.services.members.create_invite(unit, role=role)
    replies = await h.say(group, f"/start {inv.code}", user_id=person)
    assert "Đã liên kết" in replies[-1].text, replies[-1].text


async def test_a_stranger_in_an_admins_group_is_not_the_admin(bot: Harness) -> None:
    await _bind_group(bot, GROUP, ADMIN, None, role="admin")
    invites_before = len(await _audit(bot, "invite.create"))

    for attempt in ("/moi X_CAOLOC admin", "/moi X_CAOLOC", "/kenh", "/thongbao", "/tiendo", "/toi", "xin chào"):
        replies = await bot.say(GROUP, attempt, user_id=STRANGER)
        assert len(replies) == 1 and STRANGER_SAYS in replies[0].text, (attempt, [r.text for r in replies])
    assert len(await _audit(bot, "invite.create")) == invites_before
    assert not await _audit(bot, "link.create")

    # The admin, in the same group, is still the admin.
    replies = await bot.say(GROUP, "/moi X_CAOLOC", user_id=ADMIN)
    assert "Mã mời" in replies[-1].text or "mã mời" in replies[-1].text, replies[-1].text
    assert len(await _audit(bot, "invite.create")) == invites_before + 1


async def test_a_stranger_cannot_press_the_admins_buttons_in_the_group(bot: Harness) -> None:
    await _bind_group(bot, GROUP, ADMIN, None, role="admin")
    await bot.say(GROUP, "/kenh", user_id=ADMIN)  # the admin's own menu, with "Liên kết thêm kênh"
    replies = await bot.press_label(GROUP, "Liên kết thêm kênh", user_id=STRANGER)
    assert len(replies) == 1 and STRANGER_SAYS in replies[0].text
    assert not await _audit(bot, "link.create")
    answered = [q for q in bot.tg.callback_answers if "chưa liên kết" in (q.get("text") or "")]
    assert answered, "the press is answered, so the stranger's spinner stops"
    # The admin pressing the same button gets the link code.
    replies = await bot.press_label(GROUP, "Liên kết thêm kênh", user_id=ADMIN)
    assert len(await _audit(bot, "link.create")) == 1


async def test_an_officer_in_an_admins_group_acts_as_the_officer(bot: Harness) -> None:
    await _bind_group(bot, GROUP, ADMIN, None, role="admin")
    await bot.bind(OFFICER, "X_CAOLOC")  # the officer's own private chat
    replies = await bot.say(GROUP, "/moi X_CAOLOC admin", user_id=OFFICER)
    assert "quản trị" in replies[-1].text and "Mã mời" not in replies[-1].text, replies[-1].text
    replies = await bot.say(GROUP, "/toi", user_id=OFFICER)
    assert "Cao Lộc" in replies[-1].text, replies[-1].text


async def test_a_second_person_cannot_take_over_a_bound_group(bot: Harness) -> None:
    await _bind_group(bot, GROUP, OFFICER, "X_CAOLOC")
    inv = await bot.app.services.members.create_invite("X_DONGDANG")
    replies = await bot.say(GROUP, f"/start {inv.code}", user_id=OTHER)
    assert "nhắn riêng" in replies[-1].text, replies[-1].text
    group = await bot.app.services.members.member_at(Address("telegram", str(GROUP)))
    assert group is not None and group.unit is not None and group.unit.code == "X_CAOLOC"
    # The code was not spent: its owner binds their private chat with it.
    replies = await bot.say(OTHER, f"/start {inv.code}")
    assert "Đã liên kết" in replies[-1].text


async def test_flows_in_a_group_are_per_person(bot: Harness) -> None:
    """The admin composing an announcement in the group is not interrupted by others typing."""
    await _bind_group(bot, GROUP, ADMIN, None, role="admin")
    await bot.say(GROUP, "/thongbao", user_id=ADMIN)
    replies = await bot.say(GROUP, "1", user_id=STRANGER)
    assert STRANGER_SAYS in replies[-1].text
    state = await bot.app.services.conversations.get(Address("telegram", f"{GROUP}:{ADMIN}"))
    assert state is not None and state.flow == "announce" and state.data.get("step") == "type"
    # The admin's flow is where it was; /huy by the admin ends it.
    replies = await bot.say(GROUP, "/huy", user_id=ADMIN)
    assert await bot.app.services.conversations.get(Address("telegram", f"{GROUP}:{ADMIN}")) is None


async def test_the_units_group_gets_announcements_and_only_members_acknowledge(bot: Harness) -> None:
    await _bind_group(bot, GROUP, OFFICER, "X_CAOLOC")
    ann = bot.app.services.announcements
    a = await ann.create(doc_type="Công văn", number="46/SNV-TĐKT", summary="V/v thử nhóm", body="Nội dung.",
                         audience={"units": ["X_CAOLOC"]}, needs_ack=True)
    await bot.drain()
    assert any("V/v thử nhóm" in (m.text or "") for m in bot.tg.messages_to(GROUP))
    replies = await bot.press_label(GROUP, "Đã nhận", user_id=STRANGER)
    assert STRANGER_SAYS in replies[-1].text
    assert all(d.acknowledged_at is None for d in await ann.deliveries(a.id))
    await bot.press_label(GROUP, "Đã nhận", user_id=OFFICER)
    assert all(d.acknowledged_at is not None for d in await ann.deliveries(a.id))


async def test_a_message_on_behalf_of_a_chat_identifies_nobody(bot: Harness) -> None:
    """Telegram sends anonymous admins' messages 'from' one placeholder bot shared by all."""
    channel = bot.app.dispatcher.channels["telegram"]
    update = Update.de_json({"update_id": 1, "message": {
        "message_id": 5, "date": 0, "text": "/moi X_CAOLOC admin",
        "chat": {"id": GROUP, "type": "supergroup", "title": "G"},
        "sender_chat": {"id": GROUP, "type": "supergroup", "title": "G"},
        "from": {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}}}, None)
    inbound = channel.to_inbound(update)  # type: ignore[attr-defined]
    assert inbound is not None and inbound.in_group and inbound.sender_id == ""
    member, _ = await bot.app.services.members.chat_context(inbound)
    assert member is None


async def test_zalo_group_strangers_are_refused_too(db_url: str, clock: FixedClock) -> None:
    from bot.app import App
    from tests.fakes.telegram_api import FakeTelegram

    tg, zalo = FakeTelegram(), FakeZalo()
    await tg.start()
    await zalo.start()
    app = App(make_settings(db_url, telegram_bot_token=tg.token, telegram_api_base_url=tg.root,
                            zalo_bot_token=zalo.token, zalo_api_base_url=zalo.base_url), clock=clock)
    await app.prepare(demo=True)
    await app.start(scheduler=False)
    try:
        group = "g0a1b2c3d4e5f6a7b8c9"

        async def zsay(text: str, sender: str) -> list:  # type: ignore[type-arg]
            before = len(zalo.messages_to(group))
            handled = app.dispatcher.handled
            await zalo.push_text(group, text, chat_type="GROUP", from_id=sender)
            await zalo.wait_for(lambda: app.dispatcher.handled > handled, timeout=10)
            return zalo.messages_to(group)[before:]

        inv = await app.services.members.create_invite(None, role="admin")
        assert "Đã liên kết" in (await zsay(f"/start {inv.code}", "zadmin01"))[-1].text
        replies = await zsay("/moi X_CAOLOC admin", "zstranger02")
        assert STRANGER_SAYS in replies[-1].text
        replies = await zsay("/moi X_CAOLOC", "zadmin01")
        assert "X_CAOLOC" in replies[-1].text or "Cao Lộc" in replies[-1].text, replies[-1].text
    finally:
        await app.stop()
        await zalo.stop()
        await tg.stop()
