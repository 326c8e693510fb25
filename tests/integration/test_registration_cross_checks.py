"""Issue 15 end to end: the unit's registration (a report in the database) reaches its annual
report — the staff count arrives pre-filled with the first question, and 12 "Lao động tiên
tiến" where 10 were registered is a warning naming the 10, taken and confirmed by going on —
and so does whether the unit belongs to a cụm/khối (Cờ thi đua is asked only then)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete

from bot.core import FixedClock
from bot.forms.engine import FormEngine
from bot.rendering.buttons import ShowSubmission
from storage.models import UnitGroup
from tests.integration.conftest import Harness
from tests.integration.test_reports import bot_addr
from tests.unit.test_form_specs_shipped import ANNUAL_ANSWERS, fill

OFFICER, ADMIN = 5401, 9401
REGISTERED = {"nam": 2026, "tong_cbcc": 42, "chu_de": "Đoàn kết, kỷ cương, đổi mới năm 2026",
              "chi_tieu": "100% cán bộ, công chức hoàn thành tốt nhiệm vụ được giao trong năm",
              "dh_tap_the": ["tt_ldtt"], "dk_ldtt": 10, "dk_cstdcs": 2, "dk_cstd_tinh": 0,
              "dk_gia_dinh": 2300, "dk_thon": 12, "nguoi_ky": "Nguyễn Văn An", "tham_quyen_ky": "tm"}


async def _register(bot: Harness, member_id: int, unit_id: int, answers: dict[str, Any], due: datetime) -> None:
    """A registration sent for the unit (its period then closed, as the office does in March)."""
    services = bot.app.services
    period = await services.open_period(form_id="dang-ky-thi-dua", label="Đăng ký thi đua năm 2026", due_at=due,
                                        cutoff=None, audience={"kinds": ["xa"]}, remind_offsets=[], announce=False)
    started = await services.reports.start(member_id, unit_id, period.id)
    assert started.draft is not None
    assert await services.submissions.submit(started.draft.session_id, member_id, answers) is not None
    await services.periods.close(period.id)


async def test_registration_prefills_the_staff_and_warns_above_the_registered_figures(on_every_backend: Harness) -> None:
    bot = on_every_backend
    services = bot.app.services
    await bot.bind(OFFICER, "X_CAOLOC", name="Nguyễn Thị Lan")
    member = await services.members.member_at(bot_addr(OFFICER))
    assert member is not None and member.unit is not None
    await _register(bot, member.id, member.unit.id, {**REGISTERED, "dk_ldtt": 99, "nam": 2025},
                    datetime(2026, 6, 10, tzinfo=UTC))  # another year's: not the one compared with
    await _register(bot, member.id, member.unit.id, REGISTERED, datetime(2026, 6, 12, tzinfo=UTC))
    period = await services.open_period(form_id="bao-cao-nam", label="Tổng kết năm 2026", cutoff=date(2026, 12, 14),
                                        due_at=datetime(2026, 12, 20, 10, tzinfo=UTC), audience={"kinds": ["xa"]},
                                        remind_offsets=[], announce=False)

    first = await bot.say(OFFICER, "/baocao")
    assert len(first) == 1, "intro, the pre-filled answer and question 2 come as one message"
    text = first[0].text
    assert "Lấy từ bản đăng ký thi đua năm 2026 của đơn vị" in text
    assert "câu 1 (Tổng số CB, CC, VC và NLĐ): <b>42</b>. Nếu số liệu đã thay đổi" in text and "Câu 2/" in text
    draft = await services.reports.draft_of_member(member.id, period.id)
    assert draft is not None and draft.answers == {"tong_cbcc": 42} and draft.registration == REGISTERED

    # answered up to the LĐTT question (as the chat would have), then 12 typed in the chat
    ctx = services.form_context(draft.period, "xa", registration=draft.registration)
    engine = FormEngine(services.forms["bao-cao-nam"])
    answers = dict(draft.answers)
    while (question := engine.next_question(answers, ctx)) is not None and question.id != "dh_ldtt":
        raw = ANNUAL_ANSWERS[question.id]
        answers[question.id] = None if raw is None else engine.answer(question.id, raw, answers, ctx).value
    await services.reports.save_draft(draft.session_id, expected_version=draft.version, answers=answers,
                                      history=list(answers), position="dh_ldtt", return_to_summary=False,
                                      last_inbound=None)
    replies = await bot.say(OFFICER, "12")
    said = "\n".join(r.text for r in replies)
    assert "⚠️ Lưu ý: Số cá nhân đạt “Lao động tiên tiến” (12) nhiều hơn số cá nhân đơn vị đã đăng ký thi đua " \
           "năm 2026 (10)." in said
    assert "Chiến sĩ thi đua cơ sở" in replies[-1].text  # the next question: the 12 was taken
    saved = await services.reports.draft_of_member(member.id, period.id)
    assert saved is not None and saved.answers["dh_ldtt"] == 12


async def test_the_draft_knows_whether_its_unit_is_in_a_group_when_the_form_asks_by_it(on_every_backend: Harness) -> None:
    """Cờ thi đua is asked only in a cụm/khối: the draft carries the unit's membership (read
    each time, so a unit moved out of its cụm is asked as it now is), only for a form asking by it."""
    bot, services = on_every_backend, on_every_backend.app.services
    await bot.bind(OFFICER, "X_CAOLOC", name="Nguyễn Thị Lan")
    member = await services.members.member_at(bot_addr(OFFICER))
    assert member is not None and member.unit is not None
    annual = await services.open_period(form_id="bao-cao-nam", label="Tổng kết năm 2026", cutoff=date(2026, 12, 14),
                                        due_at=datetime(2026, 12, 20, 10, tzinfo=UTC), audience={"kinds": ["xa"]},
                                        remind_offsets=[], announce=False)
    six = await services.open_period(form_id="bao-cao-6-thang", label="Sơ kết 6 tháng 2026", cutoff=date(2026, 6, 14),
                                     due_at=datetime(2026, 6, 20, 10, tzinfo=UTC), audience={"kinds": ["xa"]},
                                     remind_offsets=[], announce=False)
    started = await services.reports.start(member.id, member.unit.id, annual.id)
    assert started.draft is not None and started.draft.in_group is True  # Cụm thi đua số 2
    spec = services.forms["bao-cao-nam"]
    asked = services.form_context(started.draft.period, "xa", in_group=started.draft.in_group)
    assert "co_thi_dua_don_vi" in [q.id for q in FormEngine(spec).applicable({}, asked)]
    async with bot.app.uow() as uow:
        await uow.session.execute(delete(UnitGroup).where(UnitGroup.unit_id == member.unit.id))
        await uow.commit()
    draft = await services.reports.draft(started.draft.session_id)
    assert draft is not None and draft.in_group is False
    out = services.form_context(draft.period, "xa", in_group=draft.in_group)
    assert "co_thi_dua_don_vi" not in [q.id for q in FormEngine(spec).applicable({}, out)]
    other = await services.reports.start(member.id, member.unit.id, six.id)
    assert other.draft is not None and other.draft.in_group is None  # that form does not ask by it



async def test_the_office_sees_cờ_thi_đua_as_not_asked_of_a_unit_outside_any_group(on_every_backend: Harness) -> None:
    bot, services = on_every_backend, on_every_backend.app.services
    await bot.bind(OFFICER, "X_CAOLOC", name="Nguyễn Thị Lan")
    await bot.bind(ADMIN, None, role="admin")
    member = await services.members.member_at(bot_addr(OFFICER))
    assert member is not None and member.unit is not None
    async with bot.app.uow() as uow:
        await uow.session.execute(delete(UnitGroup).where(UnitGroup.unit_id == member.unit.id))
        await uow.commit()
    period = await services.open_period(form_id="bao-cao-nam", label="Tổng kết năm 2026", cutoff=date(2026, 12, 14),
                                        due_at=datetime(2026, 12, 20, 10, tzinfo=UTC), audience={"kinds": ["xa"]},
                                        remind_offsets=[], announce=False)
    started = await services.reports.start(member.id, member.unit.id, period.id)
    assert started.draft is not None and started.draft.in_group is False
    ctx = replace(services.form_context(started.draft.period, "xa", in_group=False), today=date(2026, 12, 16))
    engine, answers, _ = fill(services.forms["bao-cao-nam"], ctx, ANNUAL_ANSWERS)
    sent = await services.submissions.submit(started.draft.session_id, member.id, engine.clean(answers, ctx))
    assert sent is not None and "co_thi_dua_don_vi" not in sent.submission.answers
    shown = await bot.press(ADMIN, ShowSubmission(submission=sent.submission.id).pack(), bot.tg.last_to(ADMIN).message_id)
    detail = "\n".join(r.text or "" for r in shown)
    assert "Số tiếp nhận" in detail or sent.submission.receipt_no in detail
    assert "Cờ thi đua đơn vị được tặng" not in detail and "(chưa trả lời)" not in detail


async def test_a_reminder_counts_only_the_questions_asked_of_the_unit(on_every_backend: Harness, clock: FixedClock) -> None:
    """Out of any cụm/khối the annual report has one question less (Cờ thi đua): the
    reminder's "đã trả lời 1/N câu" says the N the chat says, for the tick and for "Nhắc ngay"."""
    bot, services = on_every_backend, on_every_backend.app.services
    await bot.bind(OFFICER, "X_CAOLOC", name="Nguyễn Thị Lan")
    await bot.bind(OFFICER + 1, "X_DONGMO", name="Lê Văn Tâm")
    outside = await services.members.member_at(bot_addr(OFFICER + 1))
    assert outside is not None and outside.unit is not None
    async with bot.app.uow() as uow:
        await uow.session.execute(delete(UnitGroup).where(UnitGroup.unit_id == outside.unit.id))
        await uow.commit()
    period = await services.open_period(form_id="bao-cao-nam", label="Tổng kết năm 2026", cutoff=date(2026, 6, 1),
                                        due_at=datetime(2026, 6, 12, 10, tzinfo=UTC),
                                        audience={"units": ["X_CAOLOC", "X_DONGMO"]}, remind_offsets=["1d"],
                                        announce=False)
    totals = {}
    for chat in (OFFICER, OFFICER + 1):
        first = (await bot.say(chat, "/baocao"))[-1].text
        totals[chat] = int(first.split("Câu 1/", 1)[1].split(".", 1)[0])
        await bot.say(chat, "42")
    assert totals[OFFICER] == totals[OFFICER + 1] + 1  # the chat asks one question less outside
    clock.at = datetime(2026, 6, 11, 10, 1, tzinfo=UTC)
    assert (await services.tick())["reminders"] == 2
    await bot.drain()
    for chat, total in totals.items():
        assert f"đã trả lời 1/{total} câu" in bot.last_text(chat)
    reached, _ = await services.remind_missing_now(period.id)
    await bot.drain()
    assert reached == 2
    for chat, total in totals.items():
        assert f"đã trả lời 1/{total} câu" in bot.last_text(chat)
