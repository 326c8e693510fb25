"""Time, injectable: services ask a ``Clock`` instead of calling ``datetime.now``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.at = self.at + timedelta(**delta)


def local(dt: datetime, tz: str = "Asia/Ho_Chi_Minh") -> datetime:
    return dt.astimezone(ZoneInfo(tz))


def fmt_local(dt: datetime | None, tz: str = "Asia/Ho_Chi_Minh", *, date_only: bool = False) -> str:
    """``dd/mm/yyyy HH:MM`` in the office's timezone, the way officials write it."""
    if dt is None:
        return ""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    d = dt.astimezone(ZoneInfo(tz))
    return d.strftime("%d/%m/%Y") if date_only else d.strftime("%d/%m/%Y %H:%M")
