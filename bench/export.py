"""bench/export.py — 5000 units' six-monthly submissions → XLSX (target < 5 s).

No baseline exists for this one (BENCHMARKS.md). Prints one JSON line.
    python bench/export.py [--units 5000]
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
        "kt_bk_tinh": {"tap_the": n(0, 2), "ca_nhan": n(0, 3)}, "noi_bat": "Kết quả nổi bật " * 10,
        "han_che": "Còn hạn chế trong nhân rộng điển hình.", "so_ky_hieu": "45/BC-UBND", "ngay_ky": "2026-06-05",
        "nguoi_ky": "Hoàng Văn Nam", "tham_quyen_ky": "tm", "nguoi_lap": "Nguyễn Thị Lan",
        "dien_thoai": "0912345678", "file": {"name": "bc.pdf", "mime": "application/pdf", "size": 123456,
                                             "file_ref": "x", "sha256": "0" * 64},
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=5000)
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
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
