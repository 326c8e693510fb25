"""bench/export.py — 5000 units' six-monthly submissions → the period's XLSX, the TT 02/2023
tables (XLSX), the office's summary (DOCX), each < 5 s; one unit's report (DOCX) < 100 ms.

Prints one JSON line per output, ours and a baseline side by side. There is no published
baseline (BENCHMARKS.md), so the baseline is the plain way to write the same file with the same
libraries: openpyxl's ordinary worksheet with ``merge_cells`` for the tables, python-docx's
documented ``table.cell(r, c).text = …`` for the summary. Ours is timed through the service
(database read included); the baselines from the same rows already in memory.
    python bench/export.py [--units 5000] [--skip-baseline]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from bench._common import emit, fresh_database, seed_units, services_for
from storage.models import ReportPeriod, Submission


def answers(rng: random.Random) -> dict:  # type: ignore[type-arg]
    n = rng.randint
    return {
        "tong_cbcc": n(20, 80), "vb_chi_dao": n(0, 5), "pt_thuong_xuyen": n(0, 4), "pt_chuyen_de": 1,
        "ten_pt_chuyen_de": "Thi đua xây dựng nông thôn mới", "dk_ca_nhan": n(10, 20), "dk_tap_the": n(1, 5),
        "dk_gia_dinh": n(500, 3000), "dien_hinh": n(1, 5), "dien_hinh_nhan_rong": n(1, 10), "sang_kien": n(0, 3),
        "kt_tham_quyen": {"tap_the": n(0, 5), "ca_nhan": n(0, 20), "ho_gia_dinh": n(0, 10)},
        "kt_huan_chuong": {"tap_the": n(0, 1), "ca_nhan": n(0, 1)}, "kt_bk_thu_tuong": {"tap_the": 0, "ca_nhan": n(0, 1)},
        "kt_bk_tinh": {"tap_the": n(0, 2), "ca_nhan": n(0, 3)}, "kt_co_thi_dua": 0,
        "kt_cap_tren_khac": {"tap_the": 0, "ca_nhan": n(0, 2)}, "cbcc_duoc_khen": n(0, 5), "truc_tiep_ld": n(0, 3),
        "phuong_thuc": {"thuong_xuyen": n(0, 20), "chuyen_de": n(0, 5), "dot_xuat": 0, "khac": 0},
        "noi_bat": "Kết quả nổi bật " * 10,
        "han_che": "Còn hạn chế trong nhân rộng điển hình.", "so_ky_hieu": "45/BC-UBND", "ngay_ky": "2026-06-05",
        "nguoi_ky": "Hoàng Văn Nam", "tham_quyen_ky": "tm", "nguoi_lap": "Nguyễn Thị Lan",
        "dien_thoai": "0912345678", "file": {"name": "bc.pdf", "mime": "application/pdf", "size": 123456,
                                             "file_ref": "x", "sha256": "0" * 64},
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tdkt-bench-export-"))
    engine = await fresh_database(f"sqlite+aiosqlite:///{tmp}/bench.sqlite3")
    await seed_units(engine, args.units, with_officers=False)
    now = datetime.now(UTC)
    rng = random.Random(7)
    async with engine.begin() as conn:
        await conn.execute(insert(ReportPeriod), [{
            "id": 1, "form_id": "bao-cao-6-thang", "form_version": 1, "label": "Sơ kết 6 tháng đầu năm 2026",
            "opens_at": now, "due_at": now, "audience": {"all": True}, "remind_offsets": [], "status": "open",
            "created_at": now}])
        await conn.execute(insert(Submission), [{
            "period_id": 1, "unit_id": i + 1, "status": "submitted", "revision": 1, "form_version": 1,
            "answers": answers(rng), "submitted_at": now, "first_submitted_at": now, "late": False,
            "receipt_no": f"{i:04d}/2026/BC6T", "return_reason": ""} for i in range(args.units)])
    services = services_for(engine)
    started = time.perf_counter()
    name, data = await services.export_period(1)
    seconds = time.perf_counter() - started
    out = tmp / name
    out.write_bytes(data)
    emit(bench="export", impl="tdkt-bot", units=args.units, seconds=round(seconds, 3),
         file_kb=len(data) // 1024, target_seconds=5, ok=seconds < 5)

    outputs = services.outputs
    for output, make in (("tt02_xlsx", outputs.tt02_xlsx), ("summary_docx", outputs.summary_docx)):
        started = time.perf_counter()
        name, data = await make(1)
        seconds = time.perf_counter() - started
        (tmp / name).write_bytes(data)
        emit(bench="export", output=output, impl="tdkt-bot", units=args.units, seconds=round(seconds, 3),
             file_kb=len(data) // 1024, target_seconds=5, ok=seconds < 5)
    rounds = 50
    started = time.perf_counter()
    for i in range(rounds):
        got = await outputs.unit_report_docx(i + 1)
        assert got is not None
    ms = (time.perf_counter() - started) * 1000 / rounds
    emit(bench="export", output="unit_docx", impl="tdkt-bot", rounds=rounds, ms_each=round(ms, 1),
         file_kb=len(got[1]) // 1024, target_ms=100, ok=ms < 100)

    if not args.skip_baseline:
        _period, rows = await services.reports.export_rows(1)
        subs = [(u, s) for u, _state, s in rows if s is not None]
        started = time.perf_counter()
        data = baseline_tt02(subs)
        emit(bench="export", output="tt02_xlsx", impl="baseline: openpyxl worksheet + merge_cells",
             units=args.units, seconds=round(time.perf_counter() - started, 3), file_kb=len(data) // 1024)
        started = time.perf_counter()
        data = baseline_summary(services.forms["bao-cao-6-thang"], subs)
        emit(bench="export", output="summary_docx", impl="baseline: python-docx table.cell(r, c).text",
             units=args.units, seconds=round(time.perf_counter() - started, 3), file_kb=len(data) // 1024)
    await engine.dispose()


def baseline_tt02(subs: list) -> bytes:  # type: ignore[type-arg]
    """The same three tables (total block and unit sheet) written cell by cell on ordinary sheets."""
    from io import BytesIO

    from openpyxl import Workbook

    from bot.documents.tt02 import TABLES, add_cells, unit_cells

    wb = Workbook()
    wb.remove(wb.active)
    for table in TABLES:
        ws = wb.create_sheet(f"Biểu {table.code}")
        total: dict = {}  # type: ignore[type-arg]
        per_unit = [unit_cells(table, s.answers) for _u, s in subs]
        for cells in per_unit:
            add_cells(total, cells.items())
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=2 + len(table.columns))
        ws.cell(1, 1, table.title)
        for c, col in enumerate(table.columns, 3):
            ws.cell(2, c, col.label)
        for r, row in enumerate(table.rows, 3):
            ws.cell(r, 1, row.label)
            ws.cell(r, 2, row.code)
            for c, col in enumerate(table.columns, 3):
                ws.cell(r, c, total.get((row.code, col.key)))
        us = wb.create_sheet(f"{table.code} theo đơn vị")
        keys = sorted({k for cells in per_unit for k in cells})
        for r, ((unit, _s), cells) in enumerate(zip(subs, per_unit, strict=True), 2):
            us.cell(r, 1, unit.code)
            us.cell(r, 2, unit.name)
            for c, key in enumerate(keys, 3):
                us.cell(r, c, cells.get(key))
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def baseline_summary(spec, subs: list) -> bytes:  # type: ignore[no-untyped-def,type-arg]
    """The same summary content with python-docx's documented idioms (cell(r, c), add_paragraph)."""
    from io import BytesIO

    from docx import Document

    from bot.documents.summary import figure_columns

    doc = Document()
    doc.add_paragraph("BÁO CÁO")
    doc.add_paragraph("Các đơn vị đã nộp: " + ", ".join(u.name for u, _s in subs))
    labels = figure_columns(spec)
    groups = sorted({g for u, _s in subs for g in u.groups})
    for scope in ["", *groups]:
        members = [s for u, s in subs if not scope or scope in u.groups]
        table = doc.add_table(rows=1 + len(labels), cols=3)
        for r, (key, label) in enumerate(labels, 1):
            qid, _, part = key.partition(".")
            total = sum((s.answers.get(qid) or {}).get(part, 0) if part else (s.answers.get(qid) or 0)
                        for s in members)
            table.cell(r, 0).text = str(r)
            table.cell(r, 1).text = label
            table.cell(r, 2).text = str(total)
    for key in ("noi_bat", "han_che", "kien_nghi"):
        for u, s in subs:
            if s.answers.get(key):
                doc.add_paragraph(f"{u.name}: {s.answers[key]}")
    buf = BytesIO()
    doc.save(buf)
    return buf.getvalue()


if __name__ == "__main__":
    asyncio.run(main())
