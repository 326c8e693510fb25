"""When the bot may remind people: not at night, not on rest days or public holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# Solar public holidays (Bộ luật Lao động 2019, Điều 112). Tết and Giỗ Tổ are lunar and the
# government fixes the days off each year (with swapped working days): the office lists them
# in the HOLIDAYS setting, see ``parse_holidays``.
FIXED_HOLIDAYS = {(1, 1), (30, 4), (1, 5), (2, 9), (1, 9)}


def parse_holidays(text: str) -> tuple[date, ...]:
    """``14/02/2026-22/02/2026, 27/04/2026`` → every day listed (ranges inclusive).

    Raises ValueError naming the piece that is not a date or a range.
    """
    days: list[date] = []
    for piece in (p.strip() for p in text.split(",")):
        if not piece:
            continue
        try:
            first, _, last = piece.partition("-")
            start = datetime.strptime(first.strip(), "%d/%m/%Y").date()
            end = datetime.strptime(last.strip(), "%d/%m/%Y").date() if last else start
        except ValueError:
            raise ValueError(f"{piece!r} is not dd/mm/yyyy or dd/mm/yyyy-dd/mm/yyyy") from None
        if end < start or (end - start).days > 31:
            raise ValueError(f"{piece!r}: a range runs forwards and lasts at most a month")
        days.extend(start + timedelta(days=i) for i in range((end - start).days + 1))
    return tuple(days)


class WorkCalendar:
    def __init__(self, tz: str = "Asia/Ho_Chi_Minh", quiet_hours: str = "21:00-07:00", rest_days: str = "sun",
                 holidays: tuple[date, ...] = ()) -> None:
        self.tz = ZoneInfo(tz)
        self.quiet: tuple[time, time] | None = None
        if quiet_hours:
            a, b = quiet_hours.split("-")
            self.quiet = (time.fromisoformat(a.zfill(5)), time.fromisoformat(b.zfill(5)))
        self.rest = {DAY_NAMES.index(d) for d in rest_days.split(",") if d}
        self.holidays = set(holidays)

    def is_rest_day(self, d: date) -> bool:
        return d.weekday() in self.rest or (d.day, d.month) in FIXED_HOLIDAYS or d in self.holidays

    def _quiet(self, t: time) -> bool:
        if self.quiet is None:
            return False
        start, end = self.quiet
        return (t >= start or t < end) if start > end else (start <= t < end)

    def quiet_at(self, dt: datetime) -> bool:
        """Whether ``dt`` falls in the quiet hours (whatever the day)."""
        return self._quiet(dt.astimezone(self.tz).time())

    def allowed(self, dt: datetime) -> bool:
        local = dt.astimezone(self.tz)
        return not self.is_rest_day(local.date()) and not self._quiet(local.time())

    def next_allowed(self, dt: datetime) -> datetime:
        """``dt`` itself if allowed, else the first allowed minute after it."""
        local = dt.astimezone(self.tz)
        for _ in range(24 * 40):
            if self.allowed(local):
                return local.astimezone(UTC)
            if self.is_rest_day(local.date()):
                opening = self.quiet[1] if self.quiet else time(0, 0)
                local = datetime.combine(local.date() + timedelta(days=1), opening, tzinfo=self.tz)
            elif self.quiet and self._quiet(local.time()):
                end = self.quiet[1]
                day = local.date() if local.time() < end else local.date() + timedelta(days=1)
                local = datetime.combine(day, end, tzinfo=self.tz)
            else:
                local = local + timedelta(minutes=1)
        return dt

    def previous_allowed(self, dt: datetime) -> datetime:
        """The last allowed minute at or before ``dt`` (for reminders that must precede a deadline)."""
        local = dt.astimezone(self.tz)
        for _ in range(24 * 40):
            if self.allowed(local):
                return local.astimezone(UTC)
            if self.is_rest_day(local.date()):
                closing = self.quiet[0] if self.quiet else time(23, 59)
                local = datetime.combine(local.date() - timedelta(days=1), closing, tzinfo=self.tz) - timedelta(minutes=1)
            elif self.quiet and self._quiet(local.time()):
                start = self.quiet[0]
                day = local.date() if local.time() >= start else local.date() - timedelta(days=1)
                local = datetime.combine(day, start, tzinfo=self.tz) - timedelta(minutes=1)
            else:
                local = local - timedelta(minutes=1)
        return dt

    def working_days_after(self, d: date, n: int) -> date:
        day, count = d, 0
        while count < n:
            day += timedelta(days=1)
            if not self.is_rest_day(day):
                count += 1
        return day

    def at_local(self, d: date, t: time) -> datetime:
        return datetime.combine(d, t, tzinfo=self.tz).astimezone(UTC)

    def local_date(self, dt: datetime) -> date:
        return dt.astimezone(self.tz).date()
