"""An export an office can always open and that cannot attack whoever opens it,
and text with control characters that binds and answers on both backends."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select, update

from bot.core import Address
from storage.models import ChatBinding, Submission, Unit, UnitGroup
from tests.integration.conftest import Harness, start_harness
from tests.integration.test_reports import ANSWERS_6T, answer_all, open_period, send_file

OFFICER, ADMIN = 5201, 9201
UNIT = "X_CAOLOC"

# What openpyxl wrote as live formulas before: text answers, a unit name and a group name.
_LONG = " Phong trào thi đua được triển khai sâu rộng, hoàn thành các chỉ tiêu đề ra."
FORMULA_ANSWERS = {
    "ten_pt_chuyen_de": "=cmd|' /C calc'!A0",
    "noi_bat": "+1+1" + _LONG,
    "han_che": "-2+3" + _LONG,
    "nguyen_nhan": "@SUM(1,2)" + _LONG,
    "phuong_huong": '=HYPERLINK("http://evil.example/x","Bấm vào đây")' + _LONG,
}
UNIT_NAME = '=HYPERLINK("http://evil.example","Xã Cao Lộc")'
GROUP_NAME = "+Cụm 1"


async def _report(bot: Harness, answers: dict[str, str], name: str = "Nguyễn Thị Lan") -> int:
    """One officer of UNIT answers the whole six-monthly report with ``answers`` swapped in
    and submits it; returns the period id."""
    period_id = await open_period(bot.app)
    await bot.bind(OFFICER, UNIT, name=name)
    await bot.say(OFFICER, "/baocao")
    await answer_all(bot, OFFICER, [(q, answers.get(q, v)) for q, v in ANSWERS_6T])
    summary = (await send_file(bot, OFFICER, "bao-cao.pdf", "application/pdf", b"%PDF-1.4 signed"))[-1]
    submit = next(d for t, d in bot.tg.buttons(summary) if "Gửi báo cáo" in t)
    receipt = await bot.press(OFFICER, submit, summary.message_id)
    assert "Số tiếp nhận" in receipt[-1].text, receipt[-1].text
    return period_id


def _formulas(data: bytes) -> list[str]:
    with zipfile.ZipFile(BytesIO(data)) as z:
        return [m for n in z.namelist() if n.startswith("xl/worksheets/")
                for m in re.findall(r"<f[ >].*?</f>|<f/>", z.read(n).decode())]


def _unit_row(data: bytes) -> dict[str, object]:
    ws = load_workbook(BytesIO(data))["Báo cáo đơn vị"]
    headers = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[1] == UNIT)
    return dict(zip(headers, row, strict=True))


async def _rename_unit(bot: Harness, name: str, group: str) -> None:
    async with bot.app.uow() as uow:
        unit_id = (await uow.session.execute(select(Unit.id).where(Unit.code == UNIT))).scalar_one()
        await uow.session.execute(update(Unit).where(Unit.id == unit_id).values(name=name))
        uow.session.add(UnitGroup(unit_id=unit_id, name=group))
        await uow.commit()


async def test_formula_text_is_exported_as_text_and_nul_text_binds_and_answers(db_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    app, tg = await start_harness(db_url, clock)
    bot = Harness(app, tg)
    try:
        await _rename_unit(bot, UNIT_NAME, GROUP_NAME)
        # A NUL in a Telegram display name and in answers: PostgreSQL refused both before.
        answers = {**FORMULA_ANSWERS, "kien_nghi": "Đề nghị\x00 bổ sung kinh phí\x01", "nguoi_lap": "Nguyễn\x00 Thị Lan"}
        period_id = await _report(bot, answers, name="Lan\x00\x01")
        async with app.uow() as uow:
            shown = (await uow.session.execute(select(ChatBinding.display_name)
                                               .where(ChatBinding.chat_id == str(OFFICER)))).scalar_one()
        assert shown == "Lan"
        member = await app.services.members.member_at(Address("telegram", str(OFFICER)))
        assert member is not None and member.name == "Lan"
        sub = await app.services.reports.submission(member.unit.id, period_id)  # type: ignore[union-attr]
        assert sub is not None
        assert sub.answers["kien_nghi"] == "Đề nghị bổ sung kinh phí" and sub.answers["nguoi_lap"] == "Nguyễn Thị Lan"

        _name, data = await app.services.export_period(period_id)
        assert _formulas(data) == []
        row = _unit_row(data)
        assert row["Tên đơn vị"] == UNIT_NAME and GROUP_NAME in str(row["Cụm, khối"]).split("; ")
        for qid, text in FORMULA_ANSWERS.items():
            assert text in row.values(), (qid, text)
        assert row["Tổng số CB, CC, VC và NLĐ"] == 42  # numbers stay numbers
        totals = load_workbook(BytesIO(data))["Tổng hợp"]
        assert GROUP_NAME in [c.value for c in totals[1]]
        await bot.bind(ADMIN, None, role="admin")
        sent = await bot.say(ADMIN, f"/xuat {period_id}")
        assert any(m.method == "sendDocument" for m in sent)
    finally:
        await app.stop()
        await tg.stop()


async def test_export_succeeds_with_control_characters_already_stored(sqlite_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    """Rows written before the boundary cleaned text (SQLite stores a NUL) still export."""
    app, tg = await start_harness(sqlite_url, clock)
    bot = Harness(app, tg)
    try:
        period_id = await _report(bot, {})
        await _rename_unit(bot, "Xã\x01 Cao Lộc", "Cụm\x02 1")
        async with app.uow() as uow:
            sub = (await uow.session.execute(select(Submission).where(Submission.period_id == period_id))).scalar_one()
            sub.answers = {**sub.answers, "noi_bat": "Phong trào\x00 tốt\x1b", "kien_nghi": "=1+1\x00"}
            await uow.commit()
        _name, data = await app.services.export_period(period_id)
        assert _formulas(data) == []
        row = _unit_row(data)
        assert row["Tên đơn vị"] == "Xã Cao Lộc" and "Cụm 1" in str(row["Cụm, khối"]).split("; ")
        assert "Phong trào tốt" in row.values() and "=1+1" in row.values()
    finally:
        await app.stop()
        await tg.stop()
