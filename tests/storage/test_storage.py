"""Storage behaviour on every backend: migrations, units import, invites, bindings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App
from bot.core import Address
from bot.services.members import RedeemOutcome
from bot.services.units import UnitImportError
from storage.migrate import current_revision, head_revision
from storage.models import AuditLog, Unit


async def test_migrated_to_head(app: App) -> None:
    assert await current_revision(app.engine) == head_revision()


async def test_schema_matches_models(app: App) -> None:
    """The hand-written migrations create exactly what the models declare."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from storage.models import Base

    def diff(conn):  # type: ignore[no-untyped-def]
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata)

    async with app.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert changes == []


async def test_migration_0018_keeps_open_duplicates_under_their_numbers(tmp_path: Path) -> None:
    """Open duplicates made before the unique index (a double-clicked "Mở kỳ") stay open, the
    later ones named by their number, so the index can be built; closed ones are untouched."""
    from sqlalchemy import text

    from storage.db import create_engine
    from storage.migrate import upgrade

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        await upgrade(engine, "0017")
        async with engine.begin() as conn:
            for status in ("closed", "open", "open", "open"):
                await conn.execute(text(
                    "INSERT INTO report_periods (form_id, form_version, label, opens_at, due_at, audience, "
                    "remind_offsets, status, created_at) VALUES ('bao-cao-6-thang', 1, 'Sơ kết', "
                    "'2026-06-01 00:00:00', '2026-06-20 10:00:00', '{}', '[]', :status, '2026-06-01 00:00:00')"),
                    {"status": status})
        await upgrade(engine)
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT id, label, status FROM report_periods ORDER BY id"))).all()
    finally:
        await engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "Sơ kết", "closed"), (2, "Sơ kết", "open"), (3, "Sơ kết (số 3)", "open"),
                                        (4, "Sơ kết (số 4)", "open")]


async def test_demo_units_loaded_with_groups(app: App) -> None:
    rows = await app.services.units.list()
    codes = {u.code: u for u, _ in rows}
    assert len(codes) >= 20
    assert "Cụm thi đua biên giới" in codes["X_DONGDANG"].groups
    assert codes["X_DONGDANG"].parent_code == "TINH_LS"


async def test_import_is_idempotent_and_reports_changes(app: App, tmp_path: Path) -> None:
    f = tmp_path / "units.csv"
    f.write_text("code,name,kind,parent_code,groups\nX_MOI,Xã Mới,xã,TINH_LS,Cụm thi đua số 9\n"
                 "X_CAOLOC,Xã Cao Lộc (sau sáp nhập),xa,TINH_LS,Cụm thi đua số 2\n", encoding="utf-8")
    report = await app.services.units.import_file(f)
    assert report.created == ["X_MOI"] and report.updated == ["X_CAOLOC"]
    again = await app.services.units.import_file(f)
    assert again.created == [] and again.updated == [] and sorted(again.unchanged) == ["X_CAOLOC", "X_MOI"]


async def test_bad_rows_rejected_with_row_numbers_and_nothing_loaded(app: App, tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    f.write_text("code,name,kind,parent_code,groups\nX_A,Xã A,xa,,\nX_B,,xa,,\nX_A,Xã A lặp,xa,,\n"
                 "X_C,Xã C,hanh_tinh,,\nX_D,Xã D,xa,KHONG_CO,\n", encoding="utf-8")
    before = await app.services.units.count()
    with pytest.raises(UnitImportError) as err:
        await app.services.units.import_file(f)
    lines = {row for row, _ in err.value.problems}
    assert lines == {3, 4, 5, 6}
    assert await app.services.units.count() == before


async def test_import_xlsx(app: App, tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["code", "name", "kind", "parent_code", "groups"])
    ws.append(["P_MOI", "Phường Mới", "phường", "TINH_LS", "Cụm thi đua số 1; Cụm thi đua số 7"])
    path = tmp_path / "units.xlsx"
    wb.save(path)
    report = await app.services.units.import_file(path)
    assert report.created == ["P_MOI"]
    async with app.uow() as uow:
        unit = await uow.units.by_code("P_MOI")
        assert unit is not None and unit.kind == "phuong" and unit.groups == ["Cụm thi đua số 1", "Cụm thi đua số 7"]


async def test_invite_redeem_once(app: App, clock) -> None:  # type: ignore[no-untyped-def]
    inv = await app.services.members.create_invite("X_CAOLOC")
    a, b = Address("telegram", "1001"), Address("telegram", "1002")
    r1 = await app.services.members.redeem(a, inv.code.lower(), "Nguyễn Thị Lan")
    assert r1.outcome is RedeemOutcome.BOUND and r1.member and r1.member.unit and r1.member.unit.code == "X_CAOLOC"
    r2 = await app.services.members.redeem(b, inv.code, "Kẻ khác")
    assert r2.outcome is RedeemOutcome.USED
    assert await app.services.members.member_at(b) is None
    r3 = await app.services.members.redeem(a, inv.code, "Nguyễn Thị Lan")
    assert r3.outcome is RedeemOutcome.ALREADY_BOUND
    async with app.uow() as uow:
        actions = [a.action for a in await uow.audit.recent()]
        assert "invite.redeem" in actions and "invite.create" in actions


async def test_expired_and_unknown_codes(app: App, clock) -> None:  # type: ignore[no-untyped-def]
    inv = await app.services.members.create_invite("X_CAOLOC", valid_for=timedelta(hours=1))
    clock.advance(hours=2)
    r = await app.services.members.redeem(Address("telegram", "1"), inv.code, "A")
    assert r.outcome is RedeemOutcome.EXPIRED
    r = await app.services.members.redeem(Address("telegram", "1"), "KHONGCO1", "A")
    assert r.outcome is RedeemOutcome.UNKNOWN


async def test_concurrent_redeem_single_winner(app: App) -> None:
    import asyncio

    inv = await app.services.members.create_invite("X_CAOLOC")
    results = await asyncio.gather(*[
        app.services.members.redeem(Address("telegram", str(2000 + i)), inv.code, f"Người {i}") for i in range(8)
    ])
    assert sum(r.outcome is RedeemOutcome.BOUND for r in results) == 1


async def test_times_roundtrip_as_aware_utc(app: App) -> None:
    async with app.uow() as uow:
        unit = await uow.session.scalar(select(Unit).limit(1))
        assert unit is not None and unit.created_at.tzinfo is not None
        uow.audit.record(app.clock.now(), "test", "t")
        await uow.commit()
    async with app.uow() as uow:
        row = await uow.session.scalar(select(AuditLog).where(AuditLog.actor == "test"))
        assert row is not None and row.at == app.clock.now()


async def test_chat_state_upsert_inserts_then_replaces(app: App) -> None:
    """The conversation state is one upsert: a second set replaces flow and data, clear removes it."""
    conversations = app.services.conversations
    here, other = Address("telegram", "501"), Address("telegram", "502")
    assert await conversations.get(here) is None
    await conversations.set(here, "report", {"session_id": 7})
    await conversations.set(other, "period", {"step": "label"})
    await conversations.set(here, "report", {"session_id": 8, "note": "Sơ kết"})
    state = await conversations.get(here)
    assert state is not None and state.flow == "report" and state.data == {"session_id": 8, "note": "Sơ kết"}
    assert await conversations.clear(here) is True
    assert await conversations.get(here) is None
    assert (await conversations.get(other)).data == {"step": "label"}  # type: ignore[union-attr]
