"""Buttons inside the report conversation: the current question's "Quay lại" goes back one
question; the same button on an earlier question's message is stale and changes nothing."""

from __future__ import annotations

from tests.handlers.conftest import Chats

OFFICER = 7201


async def _start(chats: Chats) -> None:
    await chats.app.open_demo_period()
    await chats.bind(OFFICER, "X_CAOLOC")
    assert "Câu 1/" in (await chats.channel.write(OFFICER, "/baocao"))[-1].text


async def test_back_on_the_current_question_asks_the_previous_one_again(chats: Chats) -> None:
    await _start(chats)
    await chats.channel.write(OFFICER, "42")
    q3 = (await chats.channel.write(OFFICER, "3"))[-1]
    assert "Câu 3/" in q3.text
    back = await chats.channel.press(OFFICER, q3.payload_of("Quay lại"), message_id=q3.message_id)
    assert "Câu 2/" in back[-1].text, back[-1].text
    assert chats.channel.callback_answers, "the press is answered (the spinner stops)"


async def test_back_on_an_earlier_question_is_stale_and_the_current_one_is_asked_again(chats: Chats) -> None:
    await _start(chats)
    q2 = (await chats.channel.write(OFFICER, "42"))[-1]
    assert "Câu 2/" in q2.text
    assert "Câu 3/" in (await chats.channel.write(OFFICER, "3"))[-1].text
    replies = await chats.channel.press(OFFICER, q2.payload_of("Quay lại"), message_id=q2.message_id)
    assert "Nút này thuộc một câu hỏi trước đó." in replies[0].text
    assert "Câu 3/" in replies[-1].text and "Câu 2/" not in replies[-1].text
    # Nothing moved: the next answer is still the answer to question 3.
    assert "Câu 4/" in (await chats.channel.write(OFFICER, "2"))[-1].text
