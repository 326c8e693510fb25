"""The demo period follows the TĐKT calendar: whichever deadline (17:00 local) is next."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.demo import demo_period

HN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(("now", "form", "label", "cutoff", "due"), [
    (datetime(2026, 1, 5, 9, 0), "dang-ky-thi-dua", "Đăng ký thi đua năm 2026", None, date(2026, 3, 15)),
    (datetime(2026, 3, 15, 16, 59), "dang-ky-thi-dua", "Đăng ký thi đua năm 2026", None, date(2026, 3, 15)),
    (datetime(2026, 3, 15, 17, 0), "bao-cao-6-thang", "Sơ kết 6 tháng đầu năm 2026", date(2026, 6, 14),
     date(2026, 6, 20)),
    (datetime(2026, 6, 21, 8, 0), "bao-cao-nam", "Tổng kết năm 2026", date(2026, 11, 14), date(2026, 12, 15)),
    (datetime(2026, 12, 2, 9, 0), "bao-cao-nam", "Tổng kết năm 2026", date(2026, 11, 14), date(2026, 12, 15)),
    (datetime(2026, 12, 15, 18, 0), "dang-ky-thi-dua", "Đăng ký thi đua năm 2027", None, date(2027, 3, 15)),
])
def test_demo_period_is_the_one_due_next(now: datetime, form: str, label: str, cutoff: date | None,
                                         due: date) -> None:
    p = demo_period(now.replace(tzinfo=HN), "Asia/Ho_Chi_Minh")
    assert (p.form_id, p.label, p.cutoff, p.due) == (form, label, cutoff, due)
    assert p.due_at(HN) == datetime(due.year, due.month, due.day, 17, 0, tzinfo=HN)
