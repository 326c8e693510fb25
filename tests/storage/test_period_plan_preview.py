"""The reminder plan previewed before opening or changing a period is the plan then stored —
computed by the same planning code, storing nothing — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.services.reports import PeriodError
from storage.models import AuditLog, Reminder, ReportPeriod

HN = ZoneInfo("Asia/Ho_Chi_Minh")


async def stored(app: App) -> tuple[int, int, int]:
    async with app.uow() as uow:
        s = uow.session
        counts = [int(await s.scalar(select(func.count()).select_from(t)) or 0)
                  for t in (ReportPeriod, Reminder, AuditLog)]
        return counts[0], counts[1], counts[2]


def plan(lines: list) -> set[tuple[str, datetime, datetime]]:  # type: ignore[type-arg]
    return {(line.kind, line.planned_for, line.send_at) for line in lines}


async def test_preview_open_is_the_plan_open_stores(app: App) -> None:
    periods = app.services.periods
    due = datetime(2026, 6, 22, 8, 0, tzinfo=HN)  # Monday 08:00: "1d" on Sunday, "2h" in the quiet hours
    before = await stored(app)
    preview = await periods.preview_open(form_id="bao-cao-6-thang", due_at=due, audience={"kinds": ["xa"]},
                                         remind_offsets=["7d", "3d", "1d", "2h"])
    assert await stored(app) == before
    assert [t.kind for t in preview.times if t.moved] == ["1d", "2h"]
    with pytest.raises(PeriodError, match="tương lai"):
        await periods.preview_open(form_id="bao-cao-6-thang", due_at=datetime(2026, 6, 1, tzinfo=HN),
                                   audience={"all": True}, remind_offsets=["1d"])
    p = await periods.open(form_id="bao-cao-6-thang", label="Sơ kết", due_at=due, cutoff=None,
                           audience={"kinds": ["xa"]}, remind_offsets=["7d", "3d", "1d", "2h"], announce=False)
    lines = await app.services.reminder_plan(p.id)
    assert len({line.unit_code for line in lines}) == preview.units and len(lines) == preview.reminders
    assert plan(lines) == plan(preview.times)

    later = datetime(2026, 6, 28, 17, 0, tzinfo=HN)
    before = await stored(app)
    changed = await periods.preview_change(p.id, due_at=later, audience={"units": ["X_CAOLOC"]})
    assert await stored(app) == before and changed.units == 1
    await periods.change(p.id, due_at=later, audience={"units": ["X_CAOLOC"]})
    lines = [line for line in await app.services.reminder_plan(p.id) if line.status == "planned"]
    assert plan(lines) == plan(changed.times) and {line.unit_code for line in lines} == {"X_CAOLOC"}
    with pytest.raises(PeriodError, match="tương lai"):
        await periods.change(p.id, due_at=datetime(2026, 6, 1, tzinfo=HN))
