"""Typed read models the repositories return where an ORM entity would be wrong: joined rows,
rows read in bulk, rows read on the hot path as plain columns. Frozen: nobody writes through them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


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
    state is made of — within one cụm/khối (``group``; None: in none) or over all units."""

    group: str | None
    submission_status: str | None
    late: bool
    drafting: bool
    units: int


@dataclass(frozen=True, slots=True)
class SubmissionRow:
    """A submission without its answers: what a table of thousands of units shows of it."""

    id: int
    unit_id: int
    status: str
    revision: int
    submitted_at: datetime
    late: bool
    receipt_no: str
