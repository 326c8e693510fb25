"""Units added (or moved) after a period opened: they get the period's reminders, once, and a
unit that leaves the period's audience stops being reminded."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date

from sqlalchemy import select, update

from bot.core import FixedClock
from storage.audience import Audience
from storage.models import Reminder, Unit
from tests.integration.conftest import Harness
from tests.integration.test_reminders import hn

NEW, LATE = 5411, 5412


def row(code: str, name: str, kind: str = "xa", groups: str = "") -> dict[str, str]:
    return {"code": code, "name": name, "kind": kind, "parent_code": "TINH_LS", "groups": groups}


async def test_a_unit_imported_after_opening_is_reminded_like_the_others(bot: Harness, clock: FixedClock) -> None:
    app = bot.app
    clock.at = hn(2026, 6, 8, 9, 0).astimezone(UTC)
    p = await app.services.open_period(form_id="bao-cao-6-thang", label="Sơ kết 6 tháng đầu năm 2026",
                                       due_at=hn(2026, 6, 22, 8, 30), cutoff=date(2026, 6, 14),
                                       audience=Audience.everyone(), remind_offsets=["7d", "3d"], announce=False)
    before = await app.services.reminder_plan(p.id)
    per_unit = Counter(line.unit_code for line in before)
    times = sorted((line.kind, line.send_at) for line in before if line.unit_code == "X_CAOLOC")
    assert times and "X_MOI" not in per_unit

    preview = await app.services.units.import_rows([row("X_MOI", "Xã Mới")], apply=False, partial=True)
    assert preview.created == ["X_MOI"] and preview.reminders_planned == len(times)
    assert await app.services.reminder_plan(p.id) == before            # a preview stores nothing
    report = await app.services.units.import_rows([row("X_MOI", "Xã Mới")], actor="test")
    assert report.reminders_planned == len(times)
    plan = await app.services.reminder_plan(p.id)
    assert sorted((line.kind, line.send_at) for line in plan if line.unit_code == "X_MOI") == times
    assert Counter(line.unit_code for line in plan) - Counter({"X_MOI": len(times)}) == per_unit  # no duplicates

    # the same file again, and a renamed unit: nothing planned twice
    assert (await app.services.units.import_rows([row("X_MOI", "Xã Mới")])).reminders_planned == 0
    again = await app.services.units.import_rows([row("X_MOI", "Xã Mới Lập"), row("X_CAOLOC", "Xã Cao Lộc",
                                                                                  groups="Cụm thi đua số 2")])
    assert again.updated == ["X_MOI"] and again.reminders_planned == 0
    assert await app.services.reminder_plan(p.id) == plan

    await bot.bind(NEW, "X_MOI")
    clock.at = hn(2026, 6, 15, 8, 31).astimezone(UTC)                   # T-7
    await app.services.tick()
    await bot.drain()
    assert "còn 7 ngày" in bot.last_text(NEW) and "chưa bắt đầu" in bot.last_text(NEW)

    # added the day after T-7 went out: planned from now on, as a period changed then would be
    clock.at = hn(2026, 6, 16, 9, 0).astimezone(UTC)
    report = await app.services.units.import_rows([row("X_MUON", "Xã Muộn")])
    late = [line for line in await app.services.reminder_plan(p.id) if line.unit_code == "X_MUON"]
    assert report.reminders_planned == len(late) and {line.kind for line in late} >= {"3d", "od1"}
    assert "7d" not in {line.kind for line in late}
    await bot.bind(LATE, "X_MUON")
    clock.at = hn(2026, 6, 19, 8, 31).astimezone(UTC)                   # T-3
    await app.services.tick()
    await bot.drain()
    assert "còn 3 ngày" in bot.last_text(LATE) and "còn 3 ngày" in bot.last_text(NEW)


async def test_a_unit_moved_out_of_the_audience_is_no_longer_reminded(bot: Harness, clock: FixedClock) -> None:
    app = bot.app
    clock.at = hn(2026, 6, 8, 9, 0).astimezone(UTC)
    await bot.bind(NEW, "X_CAOLOC")
    await bot.bind(LATE, "X_DONGDANG")
    p = await app.services.open_period(form_id="bao-cao-6-thang", label="Sơ kết", due_at=hn(2026, 6, 22, 8, 30),
                                       cutoff=None, audience={"groups": ["Cụm thi đua số 2"]},
                                       remind_offsets=["7d", "3d"], announce=False)
    # Cao Lộc leaves Cụm 2: its reminders not sent are dropped with the import
    report = await app.services.units.import_rows([row("X_CAOLOC", "Xã Cao Lộc", groups="Cụm thi đua biên giới")])
    assert report.updated == ["X_CAOLOC"]
    assert {line.unit_code for line in await app.services.reminder_plan(p.id)} >= {"X_DONGDANG"}
    assert "X_CAOLOC" not in {line.unit_code for line in await app.services.reminder_plan(p.id)}
    # Đồng Đăng closed by other means: the sender cancels its due reminder instead of sending it
    async with app.uow() as uow:
        await uow.session.execute(update(Unit).where(Unit.code == "X_DONGDANG").values(closed_on=date(2026, 6, 10)))
        await uow.commit()
    sent_before = {c: len(bot.tg.messages_to(c)) for c in (NEW, LATE)}
    clock.at = hn(2026, 6, 15, 8, 31).astimezone(UTC)
    await app.services.tick()
    await bot.drain()
    assert {c: len(bot.tg.messages_to(c)) for c in (NEW, LATE)} == sent_before
    async with app.uow() as uow:
        statuses = set(await uow.session.scalars(select(Reminder.status).join(Unit, Unit.id == Reminder.unit_id)
                                                 .where(Unit.code == "X_DONGDANG", Reminder.kind.like("7d@%"))))
    assert statuses == {"cancelled"}
    # back in Cụm 2 the next day: planned again from now on, never the kinds it already had
    clock.at = hn(2026, 6, 16, 9, 0).astimezone(UTC)
    await app.services.units.import_rows([row("X_CAOLOC", "Xã Cao Lộc", groups="Cụm thi đua số 2")])
    back = [line for line in await app.services.reminder_plan(p.id) if line.unit_code == "X_CAOLOC"]
    assert back and "7d" not in {line.kind for line in back}
    assert all(line.send_at > clock.now() for line in back)
