"""The column-only reads behind /tiendo and the dashboard (issue 14) say what the entities say:
each unit's state, the tallies per cụm/khối, the list of units with groups, parent and chats."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.app import App
from bot.services.reports import MISSING_STATES, UnitState
from storage.models import ChatBinding, FormSession, Member, Reminder, Submission, Unit, UnitGroup


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
    # the overview reads every open period's figures in one go: the same figures
    assert figures in await app.services.reports.open_figures()


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


async def test_period_table_says_what_progress_and_the_tables_say(app: App) -> None:
    """The dashboard's one-query table of a period: each unit's state as ``progress`` decides
    it, its report's number, revision and time, its latest *sent* reminder, its groups and its
    active chats per channel — every figure checked against the tables themselves."""
    period_id, expected = await _seed_states(app)
    now = app.clock.now()
    async with app.uow() as uow:
        units = list(await uow.session.scalars(select(Unit).where(Unit.kind == "xa", Unit.closed_on.is_(None))
                                               .order_by(Unit.code)))
        reminded, twice = units[0], units[2]
        reminders = {(r.unit_id, r.kind): r for r in await uow.session.scalars(
            select(Reminder).where(Reminder.period_id == period_id))}
        assert reminders, "opening the period planned its reminders"
        sent = {}
        for (unit_id, _), r in sorted(reminders.items(), key=lambda item: item[1].id):
            if unit_id in (reminded.id, twice.id):
                r.status, r.sent_at = "sent", now - timedelta(hours=len(sent) + 1)
                sent[unit_id] = max(sent.get(unit_id, r.sent_at), r.sent_at)
        # a failed reminder with a time is not "the latest reminder sent"
        other = next(r for (uid, _), r in reminders.items() if uid == units[4].id)
        other.status, other.sent_at = "failed", now
        m = Member(name="Cán bộ hai kênh", role="officer", unit_id=twice.id, created_at=now)
        uow.session.add(m)
        await uow.session.flush()
        uow.session.add_all([
            ChatBinding(member_id=m.id, channel="telegram", chat_id="8001", status="active", bound_at=now),
            ChatBinding(member_id=m.id, channel="zalo", chat_id="z8001", status="active", bound_at=now),
            ChatBinding(member_id=m.id, channel="zalo", chat_id="z8002", status="active", bound_at=now),
            ChatBinding(member_id=m.id, channel="zalo", chat_id="z8003", status="blocked", bound_at=now)])
        await uow.commit()
    async with app.uow() as uow:
        subs = {s.unit_id: s for s in await uow.session.scalars(
            select(Submission).where(Submission.period_id == period_id))}
        chats: dict[int, Counter[str]] = {}
        for unit_id, channel in (await uow.session.execute(
                select(Member.unit_id, ChatBinding.channel).join(ChatBinding, ChatBinding.member_id == Member.id)
                .where(ChatBinding.status == "active"))).all():
            chats.setdefault(unit_id, Counter())[channel] += 1
    prog = await app.services.reports.progress(period_id)
    table = await app.services.reports.period_table(period_id)
    assert prog is not None and table is not None
    assert [r.code for r in table.rows] == [u.code for u in prog.units.values()]
    assert {r.code: r.state for r in table.rows} == expected
    assert (table.counts, table.total, table.done) == (prog.counts, prog.total, prog.done)
    assert [(r.id, r.name, r.kind, r.groups) for r in table.rows] == [
        (u.id, u.name, u.kind, u.groups) for u in prog.units.values()]
    assert any(len(r.groups) for r in table.rows)
    for r in table.rows:
        s = subs.get(r.id)
        assert (r.submission_id, r.revision, r.submitted_at) == ((s.id, s.revision, s.submitted_at) if s else
                                                                 (None, None, None))
        assert r.last_reminder == sent.get(r.id)
        assert dict(r.chats) == dict(chats.get(r.id, {}))
    by_id = {r.id: r for r in table.rows}
    assert dict(by_id[twice.id].chats)["zalo"] >= 2 and by_id[twice.id].last_reminder is not None
    assert by_id[units[4].id].last_reminder is None
    assert await app.services.reports.period_table(period_id + 99) is None
