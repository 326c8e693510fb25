"""Use cases are one transaction each, and reading what a conversation needs takes a fixed
number of queries however many periods or submissions there are — on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

from sqlalchemy import event, func, select

from bot.app import App
from bot.core import Address
from storage.models import Announcement, Reminder

DUE = datetime(2026, 7, 15, 3, 0, tzinfo=UTC)


@contextmanager
def counting(app: App) -> Iterator[dict[str, int]]:
    """Commits and statements the application's engine runs inside the block."""
    seen = {"commits": 0, "statements": 0}

    def on_commit(_conn: object) -> None:
        seen["commits"] += 1

    def on_statement(*_args: object) -> None:
        seen["statements"] += 1

    engine = app.engine.sync_engine
    event.listen(engine, "commit", on_commit)
    event.listen(engine, "before_cursor_execute", on_statement)
    try:
        yield seen
    finally:
        event.remove(engine, "commit", on_commit)
        event.remove(engine, "before_cursor_execute", on_statement)


async def _count(app: App, stmt: object) -> int:
    async with app.uow() as uow:
        return int(await uow.session.scalar(stmt) or 0)  # type: ignore[call-overload]


async def test_opening_a_period_writes_it_its_announcement_and_its_reminders_in_one_commit(app: App) -> None:
    with counting(app) as seen:
        p = await app.services.periods.open(
            form_id="bao-cao-6-thang", label="Sơ kết thử", due_at=DUE, cutoff=date(2026, 6, 14),
            audience={"units": ["X_CAOLOC", "X_DONGDANG"]}, remind_offsets=["3d", "1d"])
    assert seen["commits"] == 1
    assert p.announcement_id is not None
    async with app.uow() as uow:
        ann = await uow.session.get(Announcement, p.announcement_id)
        assert ann is not None and ann.status == "sending" and ann.audience == {"units": ["X_CAOLOC", "X_DONGDANG"]}
    planned = await _count(app, select(func.count(Reminder.id)).where(Reminder.period_id == p.id))
    assert planned == 2 * (2 + 5)  # two units × (two offsets + five overdue days)


async def test_changing_a_period_replans_and_announces_in_one_commit(app: App) -> None:
    p = await app.services.periods.open(
        form_id="bao-cao-6-thang", label="Sơ kết thử", due_at=DUE, cutoff=date(2026, 6, 14),
        audience={"units": ["X_CAOLOC"]}, remind_offsets=["1d"], announce=False)
    later = datetime(2026, 7, 22, 3, 0, tzinfo=UTC)
    with counting(app) as seen:
        changed = await app.services.periods.change(p.id, due_at=later, announce=True)
    assert seen["commits"] == 1 and changed.due_at == later
    async with app.uow() as uow:
        first = await uow.session.scalar(select(func.min(Reminder.send_at)).where(Reminder.period_id == p.id))
        extension = await uow.session.scalar(select(func.count(Announcement.id)).where(
            Announcement.summary == "V/v gia hạn Sơ kết thử"))
    assert first is not None and first.date() == date(2026, 7, 21) and extension == 1
    closed = await app.services.periods.close(p.id)
    assert closed.status == "closed"
    assert await _count(app, select(func.count(Reminder.id)).where(Reminder.period_id == p.id)) == 0


async def test_a_second_submit_of_the_same_draft_gets_the_same_receipt(app: App) -> None:
    officer = await app.services.members.ensure_console_member(Address("console", "cb1"), unit_code="X_CAOLOC",
                                                               role="officer")
    other = await app.services.members.ensure_console_member(Address("console", "cb2"), unit_code="X_CAOLOC",
                                                             role="officer")
    assert officer.unit is not None
    p = await app.services.periods.open(form_id="bao-cao-6-thang", label="Sơ kết thử", due_at=DUE,
                                        cutoff=date(2026, 6, 14), audience={"kinds": ["xa"]}, remind_offsets=[],
                                        announce=False)
    started = await app.services.reports.start(officer.id, officer.unit.id, p.id)
    assert started.draft is not None
    draft = started.draft
    first = await app.services.reports.submit(draft.session_id, officer.id, {"x": 1}, expected_version=draft.version)
    assert first is not None and not first.already
    again = await app.services.reports.submit(draft.session_id, officer.id, {"x": 1}, expected_version=draft.version)
    assert again is not None and again.already
    assert again.submission.receipt_no == first.submission.receipt_no and again.submission.id == first.submission.id
    assert await app.services.reports.submit(draft.session_id, other.id, {"x": 1}) is None  # not theirs


async def test_open_periods_of_a_unit_and_new_submissions_take_fixed_queries(app: App) -> None:
    officers = [await app.services.members.ensure_console_member(Address("console", f"o{code}"), unit_code=code,
                                                                 role="officer")
                for code in ("X_CAOLOC", "X_DONGDANG", "X_CHILANG")]
    unit_id = officers[0].unit.id  # type: ignore[union-attr]
    since = app.clock.now()

    async def queries_for_open_periods() -> tuple[int, int]:
        with counting(app) as seen:
            found = await app.services.reports.open_periods_for(unit_id)
        return seen["statements"], len(found)

    async def open_one(n: int, audience: dict[str, object]) -> None:
        await app.services.periods.open(form_id="bao-cao-nam", label=f"Kỳ {n}", due_at=DUE,
                                        cutoff=date(2026, 7, 14), audience=audience, remind_offsets=[],
                                        announce=False)

    await open_one(0, {"kinds": ["xa"]})
    one_queries, one_found = await queries_for_open_periods()
    for n in range(1, 5):  # three more that include the unit, one that does not
        await open_one(n, {"units": ["X_DONGDANG"]} if n == 4 else {"kinds": ["xa"]})
    queries, found = await queries_for_open_periods()
    assert (one_found, found) == (1, 4) and queries == one_queries

    demo = (await app.services.periods.open(form_id="bao-cao-6-thang", label="Sơ kết thử", due_at=DUE,
                                            cutoff=date(2026, 6, 14), audience={"all": True}, remind_offsets=[],
                                            announce=False)).id
    for officer in officers:
        start = await app.services.reports.start(officer.id, officer.unit.id, demo)  # type: ignore[union-attr]
        assert start.draft is not None
        await app.services.reports.submit(start.draft.session_id, officer.id, {})
    with counting(app) as seen:
        new = await app.services.reports.submissions_since(demo, since)
    assert seen["statements"] == 2  # submissions with their units, then those units' cụm/khối: not one per unit
    assert sorted(s.unit.code for s in new) == ["X_CAOLOC", "X_CHILANG", "X_DONGDANG"]
