"""What a form is filled for: the period and the unit, as the engine and the question types see them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

__all__ = ["FormContext"]


@dataclass(frozen=True)
class FormContext:
    """What the engine needs to know about the period and the unit.

    ``default_year`` is the year assumed for dates typed as "d/m" (defaults to today's year);
    ``report_year`` is the year the report is about, for ``{year}`` in prompts and the "year"
    bounds (defaults to the cut-off's year, else ``default_year``). ``unit_kind`` None means
    unknown: questions limited to some unit kinds are then asked.

    ``in_group`` says whether the unit belongs to a cụm/khối thi đua (questions marked
    ``group_members_only`` are asked only then); None means unknown, and they are asked.

    ``registration`` is the answers of the unit's registration (đăng ký thi đua) for the
    report's year, None when it has none or nobody looked: what ``dang_ky.<id>`` reads in checks
    and messages (a check reading it passes without it) and what ``prefill`` starts a draft with.
    """

    unit_kind: str | None
    today: date
    cutoff: date | None = None
    default_year: int | None = None
    period_start: date | None = None
    report_year: int | None = None
    office_name: str | None = None  # {office} in prompts: the OFFICE_NAME setting
    registration: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)
    in_group: bool | None = None

    def dates(self) -> dict[str, date | None]:
        """The period's dates by token (``today``, ``cutoff``, …): a date question's min/max and
        the dates check expressions compare with; None for one the period does not have."""
        return {
            "today": self.today,
            "cutoff": self.cutoff,
            "period_start": self.period_start,
            "year_start": date(self.year, 1, 1),
            "year_end": date(self.year, 12, 31),
        }

    @property
    def date_year(self) -> int:
        return self.default_year if self.default_year is not None else self.today.year

    @property
    def year(self) -> int:
        if self.report_year is not None:
            return self.report_year
        return self.cutoff.year if self.cutoff is not None else self.date_year

