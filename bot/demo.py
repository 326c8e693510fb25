"""Demo data for a machine without tokens: the reporting period an office would have open today.

``tdkt-bot run`` without a token is the first thing a new user sees; with a period already
open the officer's ``/baocao`` works at once instead of saying there is nothing to report.
The calendar is TĐKT.md's: registration due 15/3, six-monthly cut-off 14/6 due 20/6, annual
preliminary cut-off 14/11 due 15/12.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

DEMO_REMINDERS = ["7d", "3d", "1d", "2h"]
DUE_HOUR = time(17, 0)


@dataclass(frozen=True)
class DemoPeriod:
    form_id: str
    label: str
    cutoff: date | None
    due: date

    def due_at(self, timezone: str) -> datetime:
        return datetime.combine(self.due, DUE_HOUR, tzinfo=ZoneInfo(timezone))


def demo_period(today: date) -> DemoPeriod:
    """The period of the TĐKT year that is due next after ``today``."""
    y = today.year
    if today <= date(y, 3, 15):
        return DemoPeriod("dang-ky-thi-dua", f"Đăng ký thi đua năm {y}", None, date(y, 3, 15))
    if today <= date(y, 6, 20):
        return DemoPeriod("bao-cao-6-thang", f"Sơ kết 6 tháng đầu năm {y}", date(y, 6, 14), date(y, 6, 20))
    if today <= date(y, 12, 15):
        return DemoPeriod("bao-cao-nam", f"Tổng kết năm {y}", date(y, 11, 14), date(y, 12, 15))
    return DemoPeriod("dang-ky-thi-dua", f"Đăng ký thi đua năm {y + 1}", None, date(y + 1, 3, 15))
