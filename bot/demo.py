"""Demo data for a machine without tokens: the reporting period an office would have open today.

``tdkt-bot run`` without a token is the first thing a new user sees; with a period already
open the officer's ``/baocao`` works at once instead of saying there is nothing to report.
The calendar is TĐKT.md's: registration due 15/3, six-monthly cut-off 14/6 due 20/6, annual
preliminary cut-off 14/11 due 15/12 (a cut-off still ahead is normal: figures are estimated to it).
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

    def due_at(self, tz: ZoneInfo) -> datetime:
        return datetime.combine(self.due, DUE_HOUR, tzinfo=tz)


def _calendar(year: int) -> list[DemoPeriod]:
    return [
        DemoPeriod("dang-ky-thi-dua", f"Đăng ký thi đua năm {year}", None, date(year, 3, 15)),
        DemoPeriod("bao-cao-6-thang", f"Sơ kết 6 tháng đầu năm {year}", date(year, 6, 14), date(year, 6, 20)),
        DemoPeriod("bao-cao-nam", f"Tổng kết năm {year}", date(year, 11, 14), date(year, 12, 15)),
    ]


def demo_period(now: datetime, timezone: str) -> DemoPeriod:
    """The first period of the TĐKT calendar whose deadline (17:00 local) is still ahead of ``now``."""
    tz = ZoneInfo(timezone)
    year = now.astimezone(tz).year
    return next(p for p in (*_calendar(year), *_calendar(year + 1)) if p.due_at(tz) > now)
