"""Everyone's commands and the answers to what the bot cannot do, through an in-memory channel."""

from __future__ import annotations

from sqlalchemy import select

from bot.core import RateLimited, RecipientBlocked, Retryable
from storage.models import Delivery, DeliveryStatus
from tests.handlers.conftest import Chats

OFFICER, ADMIN, STRANGER = 7101, 7102, 7103


def commands_in(text: str) -> set[str]:
    return {line.split(" ", 1)[0][1:] for line in text.splitlines() if line.startswith("/")}


async def test_help_lists_the_commands_of_the_persons_role(chats: Chats) -> None:
    await chats.bind(OFFICER, "X_CAOLOC")
    await chats.bind(ADMIN, None, role="admin")
    stranger = commands_in((await chats.channel.write(STRANGER, "/trogiup"))[-1].text)
    officer = commands_in((await chats.channel.write(OFFICER, "/trogiup"))[-1].text)
    admin = commands_in((await chats.channel.write(ADMIN, "/help"))[-1].text)
    assert stranger == {"start", "trogiup"}
    assert {"baocao", "vanban", "trangthai", "huy", "toi"} <= officer
    assert not officer & {"kybaocao", "tiendo", "thongbao", "moi", "xuat"}
    assert {"kybaocao", "tiendo", "thongbao", "moi", "donvi", "xuat", "huy"} <= admin
    assert not admin & {"baocao", "vanban"}


async def test_cancel_with_nothing_in_progress_says_so(chats: Chats) -> None:
    await chats.bind(OFFICER, "X_CAOLOC")
    replies = await chats.channel.write(OFFICER, "/huy")
    assert len(replies) == 1
    assert "Hiện không có thao tác nào đang thực hiện để hủy." in replies[0].text


async def test_cancel_leaves_a_report_draft_to_resume(chats: Chats) -> None:
    await chats.app.open_demo_period()
    await chats.bind(OFFICER, "X_CAOLOC")
    first = await chats.channel.write(OFFICER, "/baocao")
    assert "Câu 1/" in first[-1].text
    answered = await chats.channel.write(OFFICER, "42")
    assert "Câu 2/" in answered[-1].text, answered[-1].text
    cancelled = await chats.channel.write(OFFICER, "/huy")
    assert "Đã hủy thao tác đang thực hiện." in cancelled[-1].text
    assert "Bản nháp báo cáo vẫn được lưu" in cancelled[-1].text
    # Outside the flow, a number is not an answer any more …
    assert "Câu" not in (await chats.channel.write(OFFICER, "7"))[-1].text
    # … and /baocao comes back to the draft, with the first answer kept.
    resumed = await chats.channel.write(OFFICER, "/baocao")
    assert any("Câu 2/" in m.text for m in resumed), [m.text for m in resumed]


async def test_typed_cancel_word_means_the_cancel_command(typed_chats: Chats) -> None:
    await typed_chats.app.open_demo_period()
    await typed_chats.bind(OFFICER, "X_CAOLOC")
    await typed_chats.channel.write(OFFICER, "/baocao")
    replies = await typed_chats.channel.write(OFFICER, "Huỷ")  # either spelling, typed
    assert "Đã hủy thao tác đang thực hiện." in replies[-1].text


async def test_a_button_nobody_handles_is_answered_as_stale(chats: Chats) -> None:
    await chats.bind(OFFICER, "X_CAOLOC")
    replies = await chats.channel.press(OFFICER, "zz:123", message_id="1")
    assert [m.text for m in replies] == ["Nút này đã cũ hoặc không còn hiệu lực. Gõ /trogiup để xem các lệnh."]
    assert chats.channel.callback_answers[-1].text == "Nút không còn hiệu lực"
    assert len(chats.channel.callback_answers) == 1, "one press, one answer"


async def test_a_forged_channel_choice_is_refused_as_stale(chats: Chats) -> None:
    """A ``kenh:set:`` button for a channel the person never linked changes nothing."""
    await chats.bind(OFFICER, "X_CAOLOC")
    replies = await chats.channel.press(OFFICER, "kenh:set:zalo", message_id="1")
    assert "Nút này đã cũ" in replies[-1].text
    member = await chats.app.services.members.member_at(chats.channel_address(OFFICER))
    assert member is not None and member.preferred_channel is None


async def test_an_unknown_command_gets_a_hint(chats: Chats) -> None:
    replies = await chats.channel.write(STRANGER, "/khongco")
    assert "Không có lệnh /khongco." in replies[-1].text


async def test_an_admin_command_from_an_officer_is_refused_by_name(chats: Chats) -> None:
    await chats.bind(OFFICER, "X_CAOLOC")
    replies = await chats.channel.write(OFFICER, "/kybaocao")
    assert "Lệnh /kybaocao chỉ dành cho cán bộ" in replies[-1].text


async def test_an_unbound_chat_is_told_how_to_link(chats: Chats) -> None:
    replies = await chats.channel.write(STRANGER, "/toi")
    assert "chưa được liên kết với đơn vị nào" in replies[-1].text


async def test_a_numbered_menu_is_picked_by_typing_its_number(typed_chats: Chats) -> None:
    await typed_chats.bind(OFFICER, "X_CAOLOC")
    shown = await typed_chats.channel.write(OFFICER, "/kenh")
    assert shown[-1].buttons[-1][1] == "kenh:link"
    picked = await typed_chats.channel.write(OFFICER, str(len(shown[-1].buttons)))
    assert picked and "mã" in picked[-1].text.lower(), picked[-1].text
    assert typed_chats.channel.callback_answers, "a typed pick is answered like a press"


async def test_a_reply_the_platform_will_not_take_goes_to_the_outbox(chats: Chats) -> None:
    await chats.bind(OFFICER, "X_CAOLOC")
    chats.channel.fail(OFFICER, RateLimited(30), forever=Retryable("502 Bad Gateway"))
    assert await chats.channel.write(OFFICER, "/trogiup") == []
    async with chats.app.uow() as uow:
        rows = list(await uow.session.scalars(select(Delivery).where(Delivery.chat_id == str(OFFICER))))
    assert [(r.kind, r.status) for r in rows] == [("reply", DeliveryStatus.QUEUED)]
    assert "/baocao" in rows[0].payload["text"]
    assert rows[0].last_error.startswith("RateLimited")


async def test_a_blocked_chat_does_not_break_the_next_message(chats: Chats) -> None:
    await chats.bind(OFFICER, "X_CAOLOC")
    chats.channel.fail(OFFICER, RecipientBlocked("bot was blocked by the user"))
    assert await chats.channel.write(OFFICER, "/trogiup") == []
    assert "/baocao" in (await chats.channel.write(OFFICER, "/trogiup"))[-1].text
