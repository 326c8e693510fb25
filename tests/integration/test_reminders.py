"""Reminders across a whole period with an injected clock, on every backend."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.core import FixedClock
from bot.services.calendar import WorkCalendar, parse_holidays
from storage.models import Delivery, Reminder, Unit
from tests.integration.conftest import Harness

HN = ZoneInfo("Asia/Ho_Chi_Minh")
OFFICER, OFFICER2, ADMIN = 5401, 5402, 9401


def hn(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=HN)


async def open_period(app: App, due: datetime, units: list[str], offsets: list[str] | None = None) -> int:
    p = await app.services.open_period(form_id="bao-cao-6-thang", label="Sơ kết 6 tháng đầu năm 2026", due_at=due,
                                       cutoff=date(2026, 6, 14), audience={"units": units},
                                       remind_offsets=offsets or ["7d", "3d", "1d", "2h"], announce=False)
    return p.id


async def reminder_deliveries(app: App) -> list[Delivery]:
    async with app.uow() as uow:
        return list(await uow.session.scalars(select(Delivery).where(Delivery.kind == "reminder")
                                              .order_by(Delivery.id)))


def test_calendar_shifts_quiet_hours_and_sunday() -> None:
    cal = WorkCalendar("Asia/Ho_Chi_Minh", "21:00-07:00", "sun")
    assert cal.next_allowed(hn(2026, 6, 17, 22, 30)) == hn(2026, 6, 18, 7, 0)   # Wed night → Thu 07:00
    assert cal.next_allowed(hn(2026, 6, 20, 22, 0)) == hn(2026, 6, 22, 7, 0)    # Sat night → Mon 07:00
    assert cal.next_allowed(hn(2026, 6, 21, 10, 0)) == hn(2026, 6, 22, 7, 0)    # Sunday → Monday
    assert cal.next_allowed(hn(2026, 6, 18, 9, 0)) == hn(2026, 6, 18, 9, 0)     # allowed stays
    assert cal.next_allowed(hn(2026, 9, 2, 9, 0)) == hn(2026, 9, 3, 7, 0)       # Quốc khánh (2/9)
    assert cal.previous_allowed(hn(2026, 6, 22, 5, 0)) == hn(2026, 6, 20, 20, 59)
    assert cal.working_days_after(date(2026, 6, 19), 1) == date(2026, 6, 20)    # Sat is a working day here
    assert cal.working_days_after(date(2026, 6, 20), 1) == date(2026, 6, 22)


def test_holidays_setting_lists_days_and_ranges() -> None:
    days = parse_holidays("04/02/2027-10/02/2027, 16/04/2027")
    assert days[0] == date(2027, 2, 4) and days[6] == date(2027, 2, 10) and days[-1] == date(2027, 4, 16)
    assert len(days) == 8 and parse_holidays("") == ()
    for bad in ("30/02/2027", "10/02/2027-04/02/2027", "Tết"):
        with pytest.raises(ValueError):
            parse_holidays(bad)
    cal = WorkCalendar("Asia/Ho_Chi_Minh", "21:00-07:00", "sun", holidays=days)
    assert cal.next_allowed(hn(2027, 2, 5, 9, 0)) == hn(2027, 2, 11, 7, 0)      # Tết (Sun 7/2 too) → Thu
    assert cal.working_days_after(date(2027, 2, 3), 1) == date(2027, 2, 11)


async def test_reminders_skip_the_offices_lunar_holidays(db_url: str, clock: FixedClock) -> None:
    """HOLIDAYS (Tết as the government fixes it that year): no reminder is planned on those days."""
    from tests.conftest import make_settings

    clock.at = hn(2027, 1, 20, 9, 0).astimezone(UTC)
    app = App(make_settings(db_url, holidays="04/02/2027-10/02/2027"), clock=clock)
    await app.prepare(demo=True)
    try:
        period = await open_period(app, hn(2027, 2, 12, 10, 0), ["X_CAOLOC"])
        plan = await app.services.reminder_plan(period)
        before = [line for line in plan if not line.kind.startswith("od")]
        assert before, plan
        tet = {date(2027, 2, 4) + timedelta(days=i) for i in range(7)}
        assert all(line.send_at.astimezone(HN).date() not in tet for line in plan), plan
        moved = [line for line in before if line.planned_for.astimezone(HN).date() in tet]
        # the first working morning after Tết, still before the deadline
        assert moved and all(hn(2027, 2, 11, 7, 0) <= line.send_at < hn(2027, 2, 12, 10, 0) for line in moved)
    finally:
        await app.stop()


async def test_whole_period_offsets_submission_quiet_hours_overdue_escalation(bot: Harness, clock: FixedClock) -> None:
    app = bot.app
    clock.at = hn(2026, 6, 8, 9, 0).astimezone(UTC)
    await bot.bind(OFFICER, "X_CAOLOC")
    await bot.bind(OFFICER2, "X_DONGDANG")
    await bot.bind(ADMIN, None, role="admin", name="Trần Văn Nội")
    # due Mon 22/06 08:30: T-7 = Mon 15/06 08:30; T-3 = Fri 19/06; T-1 = Sun 21/06 → moved; 2h = 06:30 → quiet
    period = await open_period(app, hn(2026, 6, 22, 8, 30), ["X_CAOLOC", "X_DONGDANG"])
    plan = await app.services.reminder_plan(period)
    t1 = next(r for r in plan if r.kind == "1d" and r.unit_code == "X_CAOLOC")
    assert t1.moved and t1.send_at.astimezone(HN).weekday() != 6
    h2 = next(r for r in plan if r.kind == "2h" and r.unit_code == "X_CAOLOC")
    assert h2.moved and h2.send_at < hn(2026, 6, 22, 8, 30) and 7 <= h2.send_at.astimezone(HN).hour < 21

    async def tick_at(when: datetime) -> dict[str, int]:
        clock.at = when.astimezone(UTC)
        result = await app.services.tick()
        await bot.drain()
        return result

    assert (await tick_at(hn(2026, 6, 15, 8, 0)))["reminders"] == 0          # not yet
    assert (await tick_at(hn(2026, 6, 15, 8, 31)))["reminders"] == 2         # T-7 to both
    assert "còn 7 ngày" in bot.last_text(OFFICER) and "chưa bắt đầu" in bot.last_text(OFFICER)
    assert (await tick_at(hn(2026, 6, 15, 8, 32)))["reminders"] == 0         # never twice
    # the first unit answers some questions, the second submits
    await bot.say(OFFICER, "/baocao")
    await bot.say(OFFICER, "30")
    from tests.integration.test_reports import ANSWERS_6T, answer_all, send_file

    await bot.say(OFFICER2, "/baocao")
    await answer_all(bot, OFFICER2, ANSWERS_6T)
    await send_file(bot, OFFICER2, "bc.pdf", "application/pdf", b"%PDF-1.4")
    await bot.press_label(OFFICER2, "Gửi báo cáo")
    before2 = len(bot.tg.messages_to(OFFICER2))
    result = await tick_at(hn(2026, 6, 19, 8, 31))                           # T-3
    assert result["reminders"] == 1 and result["skipped"] == 1
    assert "đã trả lời 1/" in bot.last_text(OFFICER)
    assert len(bot.tg.messages_to(OFFICER2)) == before2                      # submitted: nothing
    # Sunday 21/06 08:30 (T-1) is a rest day: nothing then, sent on the allowed time instead
    assert (await tick_at(hn(2026, 6, 21, 8, 31)))["reminders"] == 0
    assert (await tick_at(hn(2026, 6, 22, 7, 1)))["reminders"] >= 1
    # after the deadline: one a working day; from day 2 the office's staff are named
    await tick_at(hn(2026, 6, 23, 8, 1))
    first_overdue = bot.last_text(OFFICER)
    assert "QUÁ HẠN" in first_overdue and "Trần Văn Nội" not in first_overdue
    await tick_at(hn(2026, 6, 24, 8, 1))
    assert "Trần Văn Nội" in bot.last_text(OFFICER)
    assert len(bot.tg.messages_to(OFFICER2)) == before2
    async with app.uow() as uow:
        dupes = await uow.session.scalar(select(func.count()).select_from(
            select(Delivery.binding_id, Delivery.payload).where(Delivery.kind == "reminder")
            .group_by(Delivery.binding_id, Delivery.created_at).having(func.count() > 1).subquery()))
        assert dupes == 0


async def test_extension_replans_what_is_still_due(bot: Harness, clock: FixedClock) -> None:
    app = bot.app
    clock.at = hn(2026, 6, 8, 9, 0).astimezone(UTC)
    await bot.bind(OFFICER, "X_CAOLOC")
    period = await open_period(app, hn(2026, 6, 19, 17, 0), ["X_CAOLOC"], ["7d", "1d"])
    clock.at = hn(2026, 6, 12, 17, 1).astimezone(UTC)
    assert (await app.services.tick())["reminders"] == 1                       # T-7 went out
    await app.services.change_period(period, due_at=hn(2026, 6, 26, 17, 0), announce=True)
    plan = await app.services.reminder_plan(period)
    sent = [r for r in plan if r.status == "sent"]
    planned = [r for r in plan if r.status == "planned"]
    assert len(sent) == 1 and sent[0].send_at.astimezone(HN).day == 12         # stays as it was
    assert {r.kind for r in planned if not r.kind.startswith("od")} == {"7d", "1d"}
    assert all(r.send_at > clock.now() for r in planned)
    assert min(r.send_at for r in planned if r.kind == "1d").astimezone(HN).day == 25
    await bot.drain()
    assert "gia hạn" in bot.last_text(OFFICER).lower()
    await app.services.change_period(period, status="closed")
    assert all(r.status != "planned" for r in await app.services.reminder_plan(period))


async def test_daily_digest_once_with_counts_missing_and_failures(bot: Harness, clock: FixedClock) -> None:
    app = bot.app
    clock.at = hn(2026, 6, 15, 7, 0).astimezone(UTC)
    await bot.bind(ADMIN, None, role="admin")
    await bot.bind(OFFICER, "X_CAOLOC")
    await open_period(app, hn(2026, 6, 22, 17, 0), ["X_CAOLOC", "X_DONGDANG"])
    bot.tg.block_chat(OFFICER)
    await app.services.announcements.create(doc_type="Thông báo", summary="x", body="y", audience={"units": ["X_CAOLOC"]})
    await bot.drain()
    assert (await app.services.tick())["digest"] == 0                          # before 08:00
    clock.at = hn(2026, 6, 15, 8, 0).astimezone(UTC)
    assert (await app.services.tick())["digest"] == 1
    assert (await app.services.tick())["digest"] == 0                          # once a day
    await bot.drain()
    digest = bot.last_text(ADMIN)
    assert "Sơ kết 6 tháng" in digest and "Đã nộp 0/2" in digest
    assert "Xã Đồng Đăng" in digest and "X_CAOLOC (đã chặn bot)" in digest
    clock.at = hn(2026, 6, 16, 8, 5).astimezone(UTC)
    assert (await app.services.tick())["digest"] == 1                          # next day again
    # a bot first ticking that day in the quiet hours (started, or back, at 21:12) waits for the morning
    clock.at = hn(2026, 6, 17, 21, 12).astimezone(UTC)
    assert (await app.services.tick())["digest"] == 0
    clock.at = hn(2026, 6, 18, 6, 59).astimezone(UTC)
    assert (await app.services.tick())["digest"] == 0
    clock.at = hn(2026, 6, 18, 8, 0).astimezone(UTC)
    assert (await app.services.tick())["digest"] == 1


async def test_scheduled_announcement_released_by_tick(bot: Harness, clock: FixedClock) -> None:
    await bot.bind(OFFICER, "X_CAOLOC")
    a = await bot.app.services.announcements.create(doc_type="Thông báo", summary="Hẹn giờ", body="z",
                                                    audience={"units": ["X_CAOLOC"]},
                                                    send_at=clock.now() + timedelta(hours=1))
    assert a.status == "scheduled"
    assert (await bot.app.services.tick())["released"] == 0
    clock.advance(hours=1, minutes=1)
    assert (await bot.app.services.tick())["released"] == 1
    await bot.drain()
    assert "Hẹn giờ" in bot.last_text(OFFICER)


async def test_restart_between_ticks_sends_nothing_twice(db_url: str, clock: FixedClock) -> None:
    from tests.conftest import make_settings

    clock.at = hn(2026, 6, 8, 9, 0).astimezone(UTC)
    app = App(make_settings(db_url), clock=clock)
    await app.prepare(demo=True)
    inv = await app.services.members.create_invite("X_CAOLOC")
    from bot.core import Address

    await app.services.members.redeem(Address("telegram", str(OFFICER)), inv.code, "Lan")
    period = await open_period(app, hn(2026, 6, 22, 8, 30), ["X_CAOLOC"])
    clock.at = hn(2026, 6, 15, 9, 0).astimezone(UTC)
    assert (await app.services.tick())["reminders"] == 1
    await app.stop()
    app2 = App(make_settings(db_url), clock=clock)
    await app2.prepare()
    try:
        assert (await app2.services.tick())["reminders"] == 0
        assert len(await reminder_deliveries(app2)) == 1
        await app2.services.plan_reminders(period)                             # re-planning keeps sent rows
        assert (await app2.services.tick())["reminders"] == 0
    finally:
        await app2.stop()


WORKER = r"""
import asyncio, sys
from datetime import datetime
from bot.app import App
from bot.config import load_settings
from bot.core import FixedClock

async def main():
    app = App(load_settings(database_url=sys.argv[1]), clock=FixedClock(datetime.fromisoformat(sys.argv[2])))
    total = 0
    for _ in range(20):
        sent, _ = await app.services.send_due_reminders_batch(7)
        total += sent
    print(total)
    await app.engine.dispose()

asyncio.run(main())
"""


@pytest.mark.postgres
async def test_two_scheduler_processes_on_postgresql_send_each_reminder_once(clock: FixedClock) -> None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url:
        pytest.skip("TEST_DATABASE_URL not set (PostgreSQL absent)")
    from tests.conftest import _reset_postgres, make_settings

    await _reset_postgres(url)
    clock.at = hn(2026, 6, 8, 9, 0).astimezone(UTC)
    app = App(make_settings(url), clock=clock)
    await app.prepare(demo=True)
    from bot.core import Address

    units = [u.code for u, _ in await app.services.units.list() if u.kind in ("xa", "phuong")]
    for i, code in enumerate(units):
        inv = await app.services.members.create_invite(code)
        await app.services.members.redeem(Address("telegram", str(8000 + i)), inv.code, f"Cán bộ {i}")
    await open_period(app, hn(2026, 6, 22, 8, 30), units)
    await app.stop()
    when = hn(2026, 6, 15, 9, 0).astimezone(UTC).isoformat()
    procs = [await asyncio.create_subprocess_exec(sys.executable, "-c", WORKER, url, when,
                                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outs = [await p.communicate() for p in procs]
    counts = [int(out.decode().strip().splitlines()[-1]) for out, _ in outs]
    assert sum(counts) == len(units)
    app = App(make_settings(url), clock=clock)
    try:
        deliveries = await reminder_deliveries(app)
        assert len(deliveries) == len(units) == len({d.binding_id for d in deliveries})
        async with app.uow() as uow:
            sent = await uow.session.scalar(select(func.count()).select_from(Reminder).where(Reminder.status == "sent"))
        assert sent == len(units)
    finally:
        await app.stop()


async def test_each_sent_reminder_records_how_many_chats_it_was_queued_to(
    on_every_backend: Harness, clock: FixedClock
) -> None:
    """`reminders.deliveries` stayed 0 for every reminder: the tick counted the chats it queued
    a reminder to and never wrote the count. Two chats of Cao Lộc, one of Đồng Đăng, none of Chi Lăng."""
    bot = on_every_backend
    app = bot.app
    clock.at = hn(2026, 6, 8, 9, 0).astimezone(UTC)
    await bot.bind(OFFICER, "X_CAOLOC")
    await bot.bind(OFFICER2, "X_CAOLOC")
    await bot.bind(5403, "X_DONGDANG")
    await open_period(app, hn(2026, 6, 22, 8, 30), ["X_CAOLOC", "X_DONGDANG", "X_CHILANG"], offsets=["7d"])
    clock.at = hn(2026, 6, 15, 8, 31).astimezone(UTC)
    assert (await app.services.tick())["reminders"] == 3
    await bot.drain()
    async with app.uow() as uow:
        recorded = dict((await uow.session.execute(
            select(Unit.code, Reminder.deliveries).join(Unit, Unit.id == Reminder.unit_id)
            .where(Reminder.status == "sent"))).all())
    assert recorded == {"X_CAOLOC": 2, "X_DONGDANG": 1, "X_CHILANG": 0}
    assert len(await reminder_deliveries(app)) == 3
