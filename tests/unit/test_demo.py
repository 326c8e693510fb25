"""The demo period follows the TĐKT calendar: whatever is due next on the day the demo starts."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.demo import demo_period


@pytest.mark.parametrize(("today", "form", "label", "cutoff", "due"), [
    (date(2026, 1, 5), "dang-ky-thi-dua", "Đăng ký thi đua năm 2026", None, date(2026, 3, 15)),
    (date(2026, 3, 15), "dang-ky-thi-dua", "Đăng ký thi đua năm 2026", None, date(2026, 3, 15)),
    (date(2026, 3, 16), "bao-cao-6-thang", "Sơ kết 6 tháng đầu năm 2026", date(2026, 6, 14), date(2026, 6, 20)),
    (date(2026, 6, 21), "bao-cao-nam", "Tổng kết năm 2026", date(2026, 11, 14), date(2026, 12, 15)),
    (date(2026, 12, 2), "bao-cao-nam", "Tổng kết năm 2026", date(2026, 11, 14), date(2026, 12, 15)),
    (date(2026, 12, 16), "dang-ky-thi-dua", "Đăng ký thi đua năm 2027", None, date(2027, 3, 15)),
])
def test_demo_period_is_the_one_due_next(today: date, form: str, label: str, cutoff: date | None,
                                         due: date) -> None:
    p = demo_period(today)
    assert (p.form_id, p.label, p.cutoff, p.due) == (form, label, cutoff, due)
    assert p.due_at("Asia/Ho_Chi_Minh") == datetime(due.year, due.month, due.day, 17, 0,
                                                    tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
