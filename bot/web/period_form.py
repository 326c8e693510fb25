"""The "Mở kỳ báo cáo" and "Đổi hạn" forms as typed: read from the POST, checked, and kept
whole when refused so the office never types a value twice.

Only the shape of each field is checked here (a date is a date, an audience was picked);
whether the form exists, the deadline is ahead and the audience's names exist is for
``PeriodService``, which the chat's /kybaocao goes through too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from multidict import MultiDictProxy

from bot.core import nfc
from bot.services.periods import DEFAULT_OFFSETS
from bot.services.reports import PeriodError, parse_offsets

KINDS = ("xa", "phuong", "so", "truong")
"""The kinds of unit offered as an audience (as in the announcement composer)."""
AUDIENCE_KINDS = ("all", "group", "kind", "units")
MAX_LABEL = 200
DUE_FORMATS = ("%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M")  # the browser's datetime-local; typed by hand
CUTOFF_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def _parse(text: str, formats: tuple[str, ...]) -> datetime | None:
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


@dataclass
class AudienceChoice:
    """Who a period is for, as picked on the form: everyone, cụm/khối, kinds, or unit codes."""

    kind: str = "all"
    groups: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    units: str = ""

    @classmethod
    def from_form(cls, form: MultiDictProxy[Any]) -> AudienceChoice:
        return cls(kind=nfc(str(form.get("doi_tuong", "all"))).strip() or "all",
                   groups=[nfc(str(g)).strip() for g in form.getall("cum", []) if str(g).strip()],
                   kinds=[str(k).strip() for k in form.getall("loai_dv", []) if str(k).strip()],
                   units=nfc(str(form.get("ma_dv", ""))).strip())

    @classmethod
    def of(cls, stored: dict[str, Any]) -> AudienceChoice:
        """The form pre-filled from a period's stored audience."""
        if stored.get("groups"):
            return cls("group", groups=[str(g) for g in stored["groups"]])
        if stored.get("kinds"):
            return cls("kind", kinds=[str(k) for k in stored["kinds"]])
        if stored.get("units"):
            return cls("units", units=", ".join(str(u) for u in stored["units"]))
        return cls()

    def unit_codes(self) -> list[str]:
        return [c.strip().upper() for c in self.units.replace(";", ",").replace(" ", ",").split(",") if c.strip()]

    def error(self) -> str | None:
        """The code of what is wrong (``period_form.html.j2`` words it), or None."""
        if self.kind not in AUDIENCE_KINDS:
            return "audience"
        if self.kind == "group" and not self.groups:
            return "group"
        if self.kind == "kind" and (not self.kinds or any(k not in KINDS for k in self.kinds)):
            return "kind"
        if self.kind == "units" and not self.unit_codes():
            return "units"
        return None

    def to_json(self) -> dict[str, Any]:
        """The stored JSON shape the chat's /kybaocao builds."""
        if self.kind == "group":
            return {"groups": list(dict.fromkeys(self.groups))}
        if self.kind == "kind":
            return {"kinds": list(dict.fromkeys(self.kinds))}
        if self.kind == "units":
            return {"units": list(dict.fromkeys(self.unit_codes()))}
        return {"all": True}


@dataclass
class PeriodDraft:
    """The "Mở kỳ báo cáo" form as typed."""

    form_id: str = ""
    label: str = ""
    cutoff: str = ""
    due: str = ""
    audience: AudienceChoice = field(default_factory=AudienceChoice)
    offsets: str = ",".join(DEFAULT_OFFSETS)
    errors: list[str] = field(default_factory=list)
    """Codes of what is wrong; ``period_form.html.j2`` words each one."""
    problem: str = ""
    """A Vietnamese message from the service (unknown unit code, deadline in the past…)."""

    @classmethod
    def from_form(cls, form: MultiDictProxy[Any]) -> PeriodDraft:
        def text(name: str) -> str:
            return nfc(str(form.get(name, ""))).strip()

        return cls(form_id=text("mau"), label=text("ten"), cutoff=text("chot"), due=text("han"),
                   audience=AudienceChoice.from_form(form), offsets=text("nhac"))

    def check(self, forms: set[str]) -> None:
        """Fill ``errors``; the offsets' own message (from ``parse_offsets``) goes to ``problem``."""
        if self.form_id not in forms:
            self.errors.append("form")
        if not self.label:
            self.errors.append("label")
        elif len(self.label) > MAX_LABEL:
            self.errors.append("label_long")
        if self.cutoff and self.cutoff_date() is None:
            self.errors.append("cutoff")
        if not self.due:
            self.errors.append("due_missing")
        elif _parse(self.due, DUE_FORMATS) is None:
            self.errors.append("due")
        if (aud := self.audience.error()) is not None:
            self.errors.append(aud)
        try:
            self.offset_list()
        except PeriodError as exc:
            self.problem = str(exc)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.problem

    def cutoff_date(self) -> date | None:
        parsed = _parse(self.cutoff, CUTOFF_FORMATS)
        return parsed.date() if parsed else None

    def due_at(self, tz: ZoneInfo) -> datetime:
        """The deadline as the office meant it (local time); call after ``check``."""
        parsed = _parse(self.due, DUE_FORMATS)
        assert parsed is not None
        return parsed.replace(tzinfo=tz)

    def offset_list(self) -> list[str]:
        return parse_offsets(self.offsets) if self.offsets else list(DEFAULT_OFFSETS)


@dataclass
class ChangeDraft:
    """The "Đổi hạn, đối tượng" form of one period as typed."""

    due: str = ""
    audience: AudienceChoice = field(default_factory=AudienceChoice)
    announce: bool = False
    errors: list[str] = field(default_factory=list)
    problem: str = ""
    unseen: bool = False
    """"Lưu thay đổi" was pressed for an audience that drops units whose warning was not shown."""

    @classmethod
    def from_form(cls, form: MultiDictProxy[Any]) -> ChangeDraft:
        return cls(due=nfc(str(form.get("han", ""))).strip(), audience=AudienceChoice.from_form(form),
                   announce=form.get("thong_bao") == "1")

    @classmethod
    def of(cls, due_at: datetime, audience: dict[str, Any], tz: ZoneInfo) -> ChangeDraft:
        return cls(due=due_at.astimezone(tz).strftime(DUE_FORMATS[0]), audience=AudienceChoice.of(audience))

    def check(self) -> None:
        if not self.due:
            self.errors.append("due_missing")
        elif _parse(self.due, DUE_FORMATS) is None:
            self.errors.append("due")
        if (aud := self.audience.error()) is not None:
            self.errors.append(aud)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.problem

    def due_at(self, tz: ZoneInfo) -> datetime:
        parsed = _parse(self.due, DUE_FORMATS)
        assert parsed is not None
        return parsed.replace(tzinfo=tz)
