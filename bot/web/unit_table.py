"""The body of a period's table of units — the one piece of the dashboard's HTML written in
Python rather than in a template.

Why: a period can hold 5000 units, and through jinja2 every row costs a dozen attribute
look-ups and a dozen autoescape calls — 70–90 ms a page, most of the period page's budget.
Here a row is one f-string with three escapes (the only free text: code, name, cụm/khối);
every other cell is a number, a fixed state value, or a time formatted by the same function
the templates' ``local`` filter uses. The state's words come from the templates' own table
(``STATE_LABELS``), and a unit without a chat says ``NO_CHAT`` as the Đơn vị page does. The
table's head, the empty case and every other word stay in ``period.html.j2``; the columns
here follow its header, and dashboard.css picks the phone's hidden and right-aligned
columns by position.

Between two loads of a page most rows have not changed, so ``UnitRows`` keeps each row's
HTML keyed by the row itself (every value it shows): a row that changed is a new key and is
written afresh, so a kept row can never be stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from bot.services.reports import MISSING_STATES, STATE_LABELS, UnitStatusRow
from bot.web.render import CHANNEL_LABELS, local_time

CHANNEL_ORDER = {ch: i for i, ch in enumerate(CHANNEL_LABELS)}

MISSING = MISSING_STATES
"""The units still owing a report: the only ones a tick box can pick for "Nhắc ngay"."""

NO_CHAT = "chưa có"
"""The Kênh cell of a unit no chat reaches: the words the Đơn vị page shows for it."""

KEPT_ROWS = 50_000
"""Rows kept rendered (ten periods of 5000 units, for admins and viewers); past it the whole
store is dropped and refilled by the next pages."""


class UnitRows:
    """Writes the ``<tr>`` of each unit, keeping what it wrote (see the module's docstring)."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.labels = {s: str(escape(text)) for s, text in STATE_LABELS.items()}
        self._kept: dict[tuple[UnitStatusRow, bool], str] = {}

    def html(self, rows: Iterable[UnitStatusRow], *, admin: bool) -> Markup:
        kept = self._kept
        if len(kept) > KEPT_ROWS:
            kept.clear()
        out = []
        for r in rows:
            key = (r, admin)
            line = kept.get(key)
            if line is None:
                line = kept[key] = self.row(r, admin=admin)
            out.append(line)
        return Markup("".join(out))

    def row(self, r: UnitStatusRow, *, admin: bool) -> str:
        """One ``<tr>``, a line, without the closing tags HTML does not need: ``data-unit``/
        ``data-state`` on the row, a tick box (admins; only missing units can be ticked), code,
        name (linked to the report when there is one), cụm/khối, state, submitted at,
        revision, last reminder, active chats ("chưa có", marked, when none)."""
        state = r.state
        code, name = escape(r.code), escape(r.name)
        tick = (f'<td><input type="checkbox" name="don_vi" value="{r.id}"{"" if state in MISSING else " disabled"}>'
                if admin else "")
        if r.submission_id is not None:
            name_cell = f'<a href="/web/bao-cao/{r.submission_id}">{name}</a>'
            submitted = f"<td>{local_time(r.submitted_at, self.tz)}<td>{r.revision}"
        else:
            name_cell, submitted = name, "<td><td>"
        last = local_time(r.last_reminder, self.tz, "%d/%m %H:%M")
        chats = f"<td>{channels_text(dict(r.chats))}" if r.chats else f'<td class="bad">{NO_CHAT}'
        return (f'<tr data-unit="{code}" data-state="{state.value}">{tick}<td>{code}<td>{name_cell}'
                f'<td>{escape(", ".join(r.groups))}<td><b class="s-{state.value}">{self.labels[state]}</b>'
                f"{submitted}<td>{last}{chats}\n")


def channels_text(chats: Mapping[str, int]) -> str:
    """"Zalo OA, Telegram 2": the platforms that reach a unit, the number only when above one."""
    return ", ".join(CHANNEL_LABELS.get(ch, ch) + (f" {n}" if n > 1 else "")
                     for ch, n in sorted(chats.items(), key=lambda item: CHANNEL_ORDER.get(item[0], 9)))


__all__ = ["CHANNEL_LABELS", "MISSING", "NO_CHAT", "UnitRows", "channels_text"]
