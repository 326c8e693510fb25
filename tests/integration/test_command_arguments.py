"""An id typed after a command (``/tiendo 99999999999``) is range-checked before it reaches
the database (a bare ``int()`` there overflowed into "sự cố"), and an unknown one is named as
such rather than answered as if a button had gone stale — through the fake Bot API on every
backend."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Harness
from tests.integration.test_reports import ANSWERS_6T, OFFICER, answer_all, open_period, send_file

ADMIN = 9151


@pytest.mark.parametrize("command", ["/tiendo", "/xuat"])
@pytest.mark.parametrize("arg", ["99999999999", str(2**31), "9" * 400, "0", "4242", "²"])
async def test_unknown_or_impossible_period_id_is_not_found(on_every_backend: Harness, command: str, arg: str) -> None:
    bot = on_every_backend
    period_id = await open_period(bot.app)
    await bot.bind(ADMIN, None, role="admin")
    replies = await bot.say(ADMIN, f"{command} {arg}")
    text = replies[-1].text or ""
    assert "Không có kỳ báo cáo số" in text, text
    assert "sự cố" not in text and "Nút này" not in text
    assert len(text) < 200  # a 400-digit argument is not echoed whole
    # the bot is fine and the real period still answers
    follow = await bot.say(ADMIN, f"/tiendo {period_id}")
    assert "Không có kỳ" not in (follow[-1].text or "")


@pytest.mark.parametrize("typed", ["sửa 99999999999", "sửa ²", "sửa " + "9" * 5000, "0"])
async def test_question_number_typed_at_the_summary_is_range_checked(on_every_backend: Harness, typed: str) -> None:
    """At the summary "sửa 5" edits question 5; "sửa ²" and a 5 000-digit number made ``int()``
    raise and the officer got "sự cố". Any number that is not a question is named as such."""
    bot = on_every_backend
    await open_period(bot.app)
    await bot.bind(OFFICER, "X_CAOLOC")
    await bot.say(OFFICER, "/baocao")
    await answer_all(bot, OFFICER, ANSWERS_6T)
    summary = (await send_file(bot, OFFICER, "bc.pdf", "application/pdf", b"%PDF-1.4"))[-1]
    assert "Tóm tắt báo cáo" in (summary.text or "")
    text = (await bot.say(OFFICER, typed))[-1].text or ""
    assert text.startswith("Không có câu ") and "Các câu được đánh số từ 1 đến" in text, text
    assert len(text) < 200
    # the draft is intact: question 1 can still be edited
    assert "Trả lời hiện tại" in ((await bot.say(OFFICER, "sửa 1"))[-1].text or "")
