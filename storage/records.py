"""Typed read models the repositories return where an ORM entity would be wrong: joined rows,
rows read in bulk, rows read on the hot path as plain columns. Frozen: nobody writes through them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple


@dataclass(frozen=True, slots=True)
class UnitRecord:
    id: int
    code: str
    name: str
    kind: str
    closed_on: date | None = None


@dataclass(frozen=True, slots=True)
class PeriodRecord:
    id: int
    form_id: str
    form_version: int
    label: str
    cutoff: date | None
    opens_at: datetime
    due_at: datetime
    audience: dict[str, Any]
    remind_offsets: list[str]
    status: str
    announcement_id: int | None


@dataclass(frozen=True, slots=True)
class DraftRecord:
    id: int
    period_id: int
    unit_id: int
    member_id: int
    answers: dict[str, Any]
    history: list[str]
    position: str | None
    return_to_summary: bool
    updated_at: datetime
    last_inbound: str | None
    version: int


@dataclass(frozen=True, slots=True)
class DraftWithContext:
    """A draft with its period and unit, read in one query on every answer."""

    draft: DraftRecord
    period: PeriodRecord
    unit: UnitRecord


@dataclass(frozen=True, slots=True)
class Recipient:
    """One chat that should receive a unit's messages (a plain row, cheap by the thousand)."""

    id: int
    member_id: int
    unit_id: int
    channel: str
    chat_id: str


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    """One line of a period's reminder plan, with the unit's code."""

    unit_code: str
    kind: str
    planned_for: datetime
    send_at: datetime
    status: str


@dataclass(frozen=True, slots=True)
class ClaimedReminder:
    id: int
    period_id: int
    unit_id: int
    kind: str


def pick(cls: type[Any], row: Any, prefix: str) -> Any:
    """The record ``cls`` from the columns of ``row`` labelled ``prefix`` + field name."""
    mapping = row._mapping
    return cls(**{name: mapping[prefix + name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True, slots=True)
class UnitProgressRow:
    """One unit of a period's audience with the three facts its progress state is made of
    (no answers JSON, no ORM entity): /tiendo and the dashboard read 5000 of these at once."""

    id: int
    code: str
    name: str
    kind: str
    closed_on: date | None
    groups: tuple[str, ...]
    submission_status: str | None
    late: bool
    drafting: bool


class PeriodTableRow(NamedTuple):
    """One unit of a period's audience with everything a table of the period shows of it, as
    one query returns it: 5000 of these make the dashboard's period page. A tuple (not a
    dataclass) because building 5000 of those costs more than the query."""

    id: int
    code: str
    name: str
    kind: str
    groups: str | None
    """Its cụm/khối names joined by ``GROUP_SEP``, in no particular order (None: in none)."""
    submission_status: str | None
    late: bool | None
    drafting: bool
    submission_id: int | None
    revision: int | None
    submitted_at: datetime | None
    last_reminder: datetime | None
    """When its latest reminder of the period went out."""
    channels: str | None
    """The channel of each active chat of its officers, joined by commas (None: no chat)."""


GROUP_SEP = "\x1f"
"""Between the group names of ``PeriodTableRow.groups``: the ASCII unit separator, which no
name can hold (imports and the chat refuse control characters)."""


@lru_cache(maxsize=4096)
def group_tuple(joined: str | None) -> tuple[str, ...]:
    """A unit's cụm/khối names as a query joined them (``GROUP_SEP``), sorted. The same few
    dozen combinations repeat over thousands of units, so each is split once."""
    return tuple(sorted(joined.split(GROUP_SEP))) if joined else ()


@dataclass(frozen=True, slots=True)
class UnitListingRow:
    """An open unit as a list of units shows it: parent's code, groups and active chats counted."""

    id: int
    code: str
    name: str
    kind: str
    closed_on: date | None
    parent_code: str | None
    groups: tuple[str, ...]
    chats: int


@dataclass(frozen=True, slots=True)
class StateTally:
    """How many units of a period's audience share one combination of the facts a progress
    state is made of and the same set of cụm/khối (``groups``, joined by ``GROUP_SEP``, in no
    particular order; None: in none)."""

    groups: str | None
    submission_status: str | None
    late: bool
    drafting: bool
    units: int


class DeliveryTally(NamedTuple):
    """An announcement's copies with one status, and how many of them were acknowledged."""

    announcement_id: int
    status: str
    copies: int
    acknowledged: int


class OaTally(NamedTuple):
    """An announcement's Zalo OA copies sent by one route ("" before it was chosen), and how
    many of them the OA said were received and seen."""

    announcement_id: int
    route: str
    copies: int
    received: int
    seen: int


class DeliveryListingRow(NamedTuple):
    """One copy of an announcement (or a failed message) as a table shows it: its unit's code
    and name (None: no unit, or one since deleted), the chat, and what became of it — read
    without the message the copy carries."""

    unit_id: int | None
    unit_code: str | None
    unit_name: str | None
    channel: str
    chat_id: str
    status: str
    attempts: int
    sent_at: datetime | None
    acknowledged_at: datetime | None
    last_error: str
    received_at: datetime | None
    seen_at: datetime | None
    route: str
