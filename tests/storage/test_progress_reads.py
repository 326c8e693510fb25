"""The column-only reads behind /tiendo and the dashboard (issue 14) say what the entities say:
each unit's state, the tallies per cụm/khối, the list of units with groups, parent and chats."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.app import App
from bot.services.reports import MISSING_STATES, UnitState
from storage.models import ChatBinding, FormSession, Member, Submission, Unit, UnitGroup


async def _seed_states(app: App) -> tuple[int, dict[str, UnitState]]:
    """A period over every commune with one unit in each state, written straight to the tables."""
    period = await app.services.open_period(
        form_id="bao-cao-6-thang", label="Sơ kết 6 tháng đầu năm 2026", due_at=datetime(2026, 6, 20, 10, tzinfo=UTC),
        cutoff=None, audience={"kinds": ["xa"]}, remind_offsets=["1d"], announce=False)
    now = app.clock.now()
    async with app.uow() as uow:
        units = list(await uow.session.scalars(select(Unit).where(Unit.kind == "xa", Unit.closed_on.is_(None))
                                               .order_by(Unit.code)))
        assert len(units) >= 6, "the demo data has enough communes"
        officer = Member(name="Cán bộ thử", role="officer", unit_id=units[0].id, created_at=now)
        uow.session.add(officer)
        await uow.session.flush()
        expected: dict[str, UnitState] = {u.code: UnitState.NOT_STARTED for u in units}
        plan = [("submitted", False, UnitState.SUBMITTED), ("submitted", True, UnitState.LATE),
                ("returned", False, UnitState.RETURNED), ("accepted", True, UnitState.ACCEPTED)]
        for u, (status, late, state) in zip(units[1:], plan, strict=False):
            uow.session.add(Submission(period_id=period.id, unit_id=u.id, status=status, revision=1, form_version=1,
                                       answers={"tong_cbcc": 1}, submitted_at=now, first_submitted_at=now, late=late,
                                       receipt_no=f"{u.id}/2026", return_reason=""))
            expected[u.code] = state
        drafting = units[len(plan) + 1]
        uow.session.add(FormSession(period_id=period.id, unit_id=drafting.id, member_id=officer.id, answers={},
                                    history=[], created_at=now, updated_at=now))
        expected[drafting.code] = UnitState.DRAFTING
        # a returned report being revised is still "returned" (its draft does not hide it)
        returned = units[3]
        uow.session.add(FormSession(period_id=period.id, unit_id=returned.id, member_id=officer.id, answers={},
                                    history=[], created_at=now, updated_at=now))
        # a closed commune is in no audience
        units[-1].closed_on = (now - timedelta(days=1)).date()
        expected.pop(units[-1].code)
        await uow.commit()
    return period.id, expected


async def test_progress_states_and_figures_agree_with_the_rows(app: App) -> None:
    period_id, expected = await _seed_states(app)
    prog = await app.services.reports.progress(period_id)
    assert prog is not None
    by_code = {u.code: prog.states[uid] for uid, u in prog.units.items()}
    assert by_code == expected
    assert list(prog.units.values()) == sorted(prog.units.values(), key=lambda u: u.code)
    assert prog.total == len(expected) and prog.counts == {s: Counter(expected.values())[s] for s in UnitState}
    assert sorted(u.code for u, _ in prog.missing) == sorted(c for c, s in expected.items() if s in MISSING_STATES)
    assert prog.done == sum(1 for s in expected.values() if s not in MISSING_STATES)
    # the missing units carry their cụm/khối, as the entities have them
    async with app.uow() as uow:
        groups: dict[int, list[str]] = {}
        for unit_id, name in (await uow.session.execute(select(UnitGroup.unit_id, UnitGroup.name)
                                                        .order_by(UnitGroup.name))).all():
            groups.setdefault(unit_id, []).append(name)
    assert any(u.groups for u, _ in prog.missing)
    assert all(list(u.groups) == groups.get(u.id, []) for u in prog.units.values())

    figures = await app.services.reports.figures(period_id)
    assert figures is not None
    assert (figures.counts, figures.total, figures.done) == (prog.counts, prog.total, prog.done)
    want: dict[str | None, dict[UnitState, int]] = {}
    for uid, u in prog.units.items():
        for g in u.groups or (None,):
            per = want.setdefault(g, dict.fromkeys(UnitState, 0))
            per[prog.states[uid]] += 1
    order = sorted(want, key=lambda g: (g is not None, g or ""))
    assert [(g.name, g.counts) for g in figures.groups] == [(g, want[g]) for g in order]
    assert [(g.total, g.done) for g in figures.groups] == [
        (sum(want[g].values()), sum(n for s, n in want[g].items() if s not in MISSING_STATES)) for g in order]
    assert await app.services.reports.figures(period_id + 99) is None


async def test_unit_list_and_unreached_from_plain_rows(app: App) -> None:
    now = app.clock.now()
    async with app.uow() as uow:
        units = list(await uow.session.scalars(select(Unit).where(Unit.closed_on.is_(None)).order_by(Unit.code)))
        reached = units[1]
        m = Member(name="Cán bộ", role="officer", unit_id=reached.id, created_at=now)
        uow.session.add(m)
        await uow.session.flush()
        uow.session.add_all([
            ChatBinding(member_id=m.id, channel="telegram", chat_id="7001", status="active", bound_at=now),
            ChatBinding(member_id=m.id, channel="zalo", chat_id="z7001", status="active", bound_at=now),
            ChatBinding(member_id=m.id, channel="zalo", chat_id="z7002", status="blocked", bound_at=now)])
        await uow.commit()
    async with app.uow() as uow:
        entities = await uow.units.all()
        expected = [(u.code, u.name, u.kind, u.parent.code if u.parent else None, tuple(u.groups)) for u in entities]
    listed = await app.services.units.list()
    assert [(u.code, u.name, u.kind, u.parent_code, u.groups) for u, _ in listed] == expected
    assert any(u.parent_code for u, _ in listed) and any(u.groups for u, _ in listed)
    chats = {u.code: n for u, n in listed}
    assert chats[reached.code] == 2
    assert [u.code for u in await app.services.units.unreached()] == [c for c, n in chats.items() if n == 0]
    assert reached.code not in {u.code for u in await app.services.units.unreached()}
    assert (await app.services.units.chat_counts())[reached.id] == 2
