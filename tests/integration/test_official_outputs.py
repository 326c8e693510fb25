"""Issue 15 end to end: the officer gets the Word copy to sign after "Gửi báo cáo"; the office
gets any unit's Word report, the draft summary and the TT 02/2023 tables in chat and from
`tdkt-bot export`; the summary counts every unit once and its sums equal the Excel export's
totals sheet, with the same period of the previous year beside them."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from bot.cli import main
from storage.models import Submission, Unit
from tests.integration.conftest import Harness, start_harness
from tests.integration.test_reports import ANSWERS_6T, answer_all, open_period, send_file

OFFICER, ADMIN = 5301, 9301
OFFICE = "Sở Nội vụ tỉnh Lạng Sơn"


def _text(doc: Any) -> str:
    return "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])


async def test_word_copy_to_sign_after_submitting_and_the_office_documents_in_chat(sqlite_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    app, tg = await start_harness(sqlite_url, clock, office_name=OFFICE)
    bot = Harness(app, tg)
    try:
        period_id = await open_period(app)
        await bot.bind(OFFICER, "X_CAOLOC", name="Nguyễn Thị Lan")
        await bot.bind(ADMIN, None, role="admin", name="Quản trị")
        await bot.say(OFFICER, "/baocao")
        await answer_all(bot, OFFICER, ANSWERS_6T)
        summary = (await send_file(bot, OFFICER, "bao-cao.pdf", "application/pdf", b"%PDF-1.4 signed"))[-1]
        submit = next(d for t, d in tg.buttons(summary) if "Gửi báo cáo" in t)
        replies = await bot.press(OFFICER, submit, summary.message_id)
        assert "Số tiếp nhận" in replies[-1].text
        docs = [m for m in replies if m.document and m.document[0].endswith(".docx")]
        assert len(docs) == 1, [m.method for m in replies]
        assert "Bản Word để trình ký" in " ".join(m.plain or m.text or "" for m in replies)
        assert replies.index(docs[0]) < len(replies) - 1  # before the receipt, which stays the last word
        doc = Document(BytesIO(docs[0].document[1]))  # type: ignore[index]
        text = _text(doc)
        for expected in ("ỦY BAN NHÂN DÂN", "XÃ CAO LỘC", "Số: 45/BC-UBND", "Cao Lộc, ngày 05 tháng 6 năm 2026",
                         "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "BÁO CÁO",
                         "là 42 người", "1.234 hộ gia đình", "Giấy khen cho 3 tập thể, 12 cá nhân và 5 hộ gia đình",
                         "Hoàng Văn Nam", "TM. ỦY BAN NHÂN DÂN", "Người lập báo cáo: Nguyễn Thị Lan", OFFICE):
            assert expected in text, expected

        # The office: the submission's Word copy, then from /xuat the summary and the tables.
        _p, rows = await app.services.reports.export_rows(period_id)
        sub = next(s for u, _, s in rows if u.code == "X_CAOLOC")
        assert sub is not None
        exported = await bot.say(ADMIN, f"/xuat {period_id}")
        assert any(m.document and m.document[0].endswith(".xlsx") for m in exported)
        tables = await bot.press_label(ADMIN, "Biểu TT 02/2023")
        sheet = next(m for m in tables if m.document)
        wb = load_workbook(BytesIO(sheet.document[1]))  # type: ignore[index]
        assert wb.sheetnames[:2] == ["Biểu 0601", "0601 theo đơn vị"]
        draft = await bot.press_label(ADMIN, "Báo cáo tổng hợp (Word)")
        word = Document(BytesIO(next(m for m in draft if m.document).document[1]))  # type: ignore[union-attr,index]
        assert word.paragraphs[0].text.startswith("DỰ THẢO")
        assert "Các đơn vị nộp đúng hạn: Xã Cao Lộc." in _text(word)
        detail = await bot.press(ADMIN, f"td:s:{sub.id}", exported[-1].message_id)
        assert any("Bản Word" in t for m in detail for t, _ in tg.buttons(m))
        copy = await bot.press_label(ADMIN, "Bản Word")
        got = next(m for m in copy if m.document)
        assert got.document[0] == f"BC_X_CAOLOC_ky{period_id}.docx"  # type: ignore[index]
        assert "XÃ CAO LỘC" in _text(Document(BytesIO(got.document[1])))  # type: ignore[index]
    finally:
        await app.stop()
        await tg.stop()


# --- the summary against the export, on both backends -------------------------------------------

UNITS = ["X_CAOLOC", "X_DONGDANG", "P_TAMTHANH", "X_CHILANG", "SGDDT"]


def _answers(n: int) -> dict[str, Any]:
    return {
        "tong_cbcc": 20 + n, "vb_chi_dao": n, "pt_thuong_xuyen": 1 + n, "pt_chuyen_de": n % 2, "dk_ca_nhan": 10 * n,
        "dk_tap_the": n, "dien_hinh": 2, "dien_hinh_nhan_rong": 3, "sang_kien": n,
        "kt_tham_quyen": {"tap_the": n, "ca_nhan": 2 * n, "ho_gia_dinh": 1},
        "kt_bk_tinh": {"tap_the": 1, "ca_nhan": n}, "phuong_thuc": {"thuong_xuyen": 3 * n + 2, "chuyen_de": 0,
                                                                   "dot_xuat": 0, "khac": 0},
        "noi_bat": f"Kết quả nổi bật của đơn vị số {n}: phong trào lan tỏa.", "han_che": f"Hạn chế số {n}.",
        "kien_nghi": "Không" if n % 2 else f"Đề nghị số {n}: bổ sung kinh phí.",
        "so_ky_hieu": f"{n}/BC-UBND", "ngay_ky": "2026-06-05", "nguoi_ky": "Hoàng Văn Nam", "tham_quyen_ky": "tm",
        "nguoi_lap": "Trần Thị Bình",
    }


async def _seed(app: Any, year: int, states: dict[str, tuple[str, bool]], base: int) -> int:
    period = await app.services.open_period(
        form_id="bao-cao-6-thang", label=f"Sơ kết 6 tháng đầu năm {year}", due_at=datetime(2026, 6, 20, 10, tzinfo=UTC),
        cutoff=date(year, 6, 14), audience={"units": UNITS}, remind_offsets=[], announce=False)
    now = datetime(year, 6, 10, 3, tzinfo=UTC)
    async with app.uow() as uow:
        ids = dict((await uow.session.execute(select(Unit.code, Unit.id).where(Unit.code.in_(UNITS)))).all())
        for i, (code, (status, late)) in enumerate(states.items(), 1):
            uow.session.add(Submission(period_id=period.id, unit_id=ids[code], status=status, revision=1,
                                       form_version=1, answers=_answers(base + i), submitted_at=now,
                                       first_submitted_at=now, late=late, receipt_no=f"{year}-{i}", return_reason=""))
        await uow.commit()
    return period.id


def _number(text: str) -> float:
    return float(text.replace(".", "").replace(",", ".")) if text else 0.0


def _figure_tables(doc: Any) -> list[dict[str, list[str]]]:
    out = []
    for t in doc.tables[1:]:
        head = [c.text for c in t.rows[0].cells]
        if head[:3] != ["STT", "Chỉ tiêu", "Tổng số"]:
            continue
        out.append({r.cells[1].text: [c.text for c in r.cells[2:]] for r in t.rows[1:]})
    return out


@pytest.mark.postgres
async def test_summary_counts_each_unit_once_and_sums_equal_the_export(db_url: str, clock, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                       monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from bot.app import App
    from tests.conftest import make_settings

    app = App(make_settings(db_url, office_name=OFFICE), clock=clock)
    await app.prepare(demo=True)
    try:
        previous = await _seed(app, 2025, {"X_CAOLOC": ("accepted", False), "P_TAMTHANH": ("accepted", True)}, 10)
        period_id = await _seed(app, 2026, {"X_CAOLOC": ("submitted", False), "X_DONGDANG": ("submitted", True),
                                            "P_TAMTHANH": ("accepted", False), "X_CHILANG": ("returned", False)}, 0)
        _name, data = await app.services.outputs.summary_docx(period_id)
        doc = Document(BytesIO(data))
        paragraphs = [p.text for p in doc.paragraphs]
        assert paragraphs[0].startswith("DỰ THẢO")
        lists = {p.split(":")[0]: p.split(": ", 1)[1].rstrip(".").split(", ")
                 for p in paragraphs if p.startswith("Các đơn vị ")}
        assert {k: sorted(v) for k, v in lists.items()} == {
            "Các đơn vị nộp đúng hạn": ["Phường Tam Thanh", "Xã Cao Lộc"], "Các đơn vị nộp muộn": ["Xã Đồng Đăng"],
            "Các đơn vị chưa nộp": ["Sở Giáo dục và Đào tạo", "Xã Chi Lăng"]}
        names = [n for v in lists.values() for n in v]
        assert len(names) == len(set(names)) == len(UNITS)  # every unit counted once
        assert any("5 đơn vị thuộc diện báo cáo" in p and "2 đơn vị đã nộp đúng hạn, 1 đơn vị nộp muộn và 2 đơn vị "
                   "chưa nộp (trong đó 1 đơn vị có báo cáo bị trả lại" in p for p in paragraphs)

        # The sums against the Excel export's totals sheet, overall and per cụm/khối.
        _x, xlsx = await app.services.export_period(period_id)
        ts = load_workbook(BytesIO(xlsx))["Tổng hợp"]
        head = [c.value for c in ts[1]]
        sheet = {r[0]: r[1:] for r in ts.iter_rows(min_row=2, values_only=True) if r and r[0] and r[1] is not None}
        tables = _figure_tables(doc)
        assert len(tables) == 1 + len(head) - 2  # all units, then one per cụm/khối of the export
        overall = tables[0]
        assert set(overall) == set(sheet)
        for label, cells in overall.items():
            assert _number(cells[0]) == sheet[label][0], label
        group_paras = [p for p in paragraphs if p[:1].isdigit() and "đơn vị đã nộp):" in p]
        for g, table in zip(group_paras, tables[1:], strict=True):
            name = g.split(". ", 1)[1].rsplit(" (", 1)[0]
            col = head.index(name) - 1
            for label, cells in table.items():
                assert _number(cells[0]) == sheet[label][col], (name, label)
        # The previous year beside them, with the change.
        assert tables[0]["Tổng số CB, CC, VC và NLĐ"] == ["66", "63", "+3"]  # 21+22+23 vs 31+32
        assert tables[0]["Giấy khen của Chủ tịch UBND / Thủ trưởng đơn vị – cá nhân"] == ["12", "46", "−34"]  # 2+4+6 vs 22+24
        # The units' words, quoted: returned reports are not quoted, "Không" is not a proposal.
        quoted = [p for p in paragraphs if p.startswith(("Xã ", "Phường ", "Sở "))]
        assert "Xã Cao Lộc: “Kết quả nổi bật của đơn vị số 1: phong trào lan tỏa.”" in quoted
        assert not any("Chi Lăng" in q for q in quoted)
        assert "Xã Đồng Đăng: “Đề nghị số 2: bổ sung kinh phí.”" in quoted
        assert not any(q.startswith("Xã Cao Lộc: “Không") for q in quoted)
        assert previous != period_id
    finally:
        await app.stop()

    # The same files from the command line.
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("OFFICE_NAME", OFFICE)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    out = tmp_path / "out"
    code = await asyncio.to_thread(main, ["export", str(period_id), "--docx", str(out / "docx"), "--summary",
                                         str(out / "tong-hop.docx"), "--tt02", str(out / "tt02.xlsx")])
    assert code == 0
    assert await asyncio.to_thread(main, ["export", str(period_id)]) != 0  # nothing asked for: refused, named
    assert "--summary" in capsys.readouterr().err
    assert sorted(p.name for p in (out / "docx").iterdir()) == sorted(
        f"BC_{c}_ky{period_id}.docx" for c in ("X_CAOLOC", "X_DONGDANG", "P_TAMTHANH", "X_CHILANG"))
    assert Document(out / "tong-hop.docx").paragraphs[0].text.startswith("DỰ THẢO")
    wb = load_workbook(out / "tt02.xlsx")
    assert wb["Biểu 0601"]["A4"].value == "SỐ PHONG TRÀO THI ĐUA"
    units = wb["0601 theo đơn vị"]
    names = [units.cell(r, 3).value for r in range(2, units.max_row + 1)]
    assert sorted(names[:3]) == ["Phường Tam Thanh", "Xã Cao Lộc", "Xã Đồng Đăng"] and "Xã Chi Lăng" not in names
