"""The body of a period's table of units — the one piece of the dashboard's HTML written in
Python rather than in a template.

Why: a period can hold 5000 units, and through jinja2 every row costs a dozen attribute
look-ups and a dozen autoescape calls — 70–90 ms a page, most of the period page's budget.
Here a row is one f-string with three escapes (the only free text: code, name, cụm/khối);
every other cell is a number, a fixed state value, or a time formatted by the same function
the templates' ``local`` filter uses. The state's words come from the templates' own table
(``STATE_LABELS``). The table's head, the empty case and every other word stay in
``period.html.j2``; the columns here follow its header, and dashboard.css picks the phone's
hidden and right-aligned columns by position.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from bot.services.reports import MISSING_STATES, STATE_LABELS, SubmissionSummary, UnitState
from bot.services.views import UnitView
from bot.web.render import local_time

CHANNEL_LABELS = {"zalo_oa": "Zalo OA", "zalo": "Zalo", "telegram": "Telegram", "console": "Console"}
"""The platforms by the names officials know them (Zalo first: the channel they use)."""
CHANNEL_ORDER = {ch: i for i, ch in enumerate(CHANNEL_LABELS)}

MISSING = MISSING_STATES
"""The units still owing a report: the only ones a tick box can pick for "Nhắc ngay"."""


@dataclass(frozen=True)
class UnitRow:
    unit: UnitView
    state: UnitState
    submission: SubmissionSummary | None
    chats: Mapping[str, int]
    """Channel → active chats of the unit (empty: no chat reaches it)."""
    last_reminder: datetime | None

    @property
    def missing(self) -> bool:
        return self.state in MISSING


def unit_rows_html(rows: list[UnitRow], tz: ZoneInfo, *, admin: bool) -> Markup:
    """One ``<tr>`` per row, a line each, without the closing tags HTML does not need:
    ``data-unit``/``data-state`` on the row, a tick box (admins; only missing units can be
    ticked), code, name (linked to the report when there is one), cụm/khối, state, submitted
    at, revision, last reminder, active chats (marked when none)."""
    labels = {s: str(escape(text)) for s, text in STATE_LABELS.items()}
    out = []
    for r in rows:
        u, s, state = r.unit, r.submission, r.state
        code, name = escape(u.code), escape(u.name)
        tick = (f'<td><input type="checkbox" name="don_vi" value="{u.id}"{"" if state in MISSING else " disabled"}>'
                if admin else "")
        if s is not None:
            name_cell = f'<a href="/web/bao-cao/{s.id}">{name}</a>'
            submitted = f"<td>{local_time(s.submitted_at, tz)}<td>{s.revision}"
        else:
            name_cell, submitted = name, "<td><td>"
        last = local_time(r.last_reminder, tz, "%d/%m %H:%M")
        chats = f"<td>{channels_text(r.chats)}" if r.chats else '<td class="bad">0'
        out.append(f'<tr data-unit="{code}" data-state="{state.value}">{tick}<td>{code}<td>{name_cell}'
                   f'<td>{escape(", ".join(u.groups))}<td><b class="s-{state.value}">{labels[state]}</b>'
                   f"{submitted}<td>{last}{chats}\n")
    return Markup("".join(out))


def channels_text(chats: Mapping[str, int]) -> str:
    """"Zalo OA, Telegram 2": the platforms that reach a unit, the number only when above one."""
    return ", ".join(CHANNEL_LABELS.get(ch, ch) + (f" {n}" if n > 1 else "")
                     for ch, n in sorted(chats.items(), key=lambda item: CHANNEL_ORDER.get(item[0], 9)))


__all__ = ["CHANNEL_LABELS", "MISSING", "UnitRow", "channels_text", "unit_rows_html"]
