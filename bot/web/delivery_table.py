"""The body of an announcement's table of copies, written in Python for the reason
``unit_table`` gives: an announcement sent to 5000 units has 5000 rows, and through jinja2
they took 80–100 ms a page, more than reading them. Each row is one f-string; the free text
(code, name, chat error, why no chat) is escaped, every other cell is a fixed word, a channel
name or a time formatted by the ``local`` filter's own function.

The table's head, its empty case and every other word stay in ``announcement.html.j2``; the
columns here follow its header (the receipt columns only when the announcement has Zalo OA
receipts), and dashboard.css hides the ``hide-s`` columns on a phone.
"""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from bot.services.announcements import COPY_STATUS_LABELS, NO_CHAT_LABEL, DeliveryLine
from bot.web.render import CHANNEL_LABELS, local_time

FAILED = frozenset({"failed", "blocked"})
"""The states that show the chat's error and are marked as bad."""

NOT_ACKNOWLEDGED = "chưa"
"""The acknowledgement cell of a delivered copy not yet acknowledged."""


def delivery_rows(lines: Iterable[DeliveryLine], no_chat: Iterable[tuple[str, str, str]], *,
                  receipts: bool, needs_ack: bool, tz: ZoneInfo) -> Markup:
    """One ``<tr>`` per copy (``data-unit``/``data-status`` on the row: code, name, channel,
    state, sent at, [received at, seen at], acknowledged at, error), then one per audience
    unit no copy went to (code, name, why): ``data-status="no_chat"`` when no chat reaches it,
    ``"waiting"`` when the announcement has no copies yet (its time has not come)."""
    out = []
    for d in lines:
        failed = d.status in FAILED
        bad = ' class="bad"' if failed else ""
        if d.acknowledged_at is not None:
            ack = local_time(d.acknowledged_at, tz)
        else:
            ack = f'<span class="muted">{NOT_ACKNOWLEDGED}</span>' if needs_ack and d.status == "sent" else ""
        seen = (f'<td class="hide-s" data-receipt="received">{local_time(d.received_at, tz)}'
                f'<td class="hide-s" data-receipt="seen">{local_time(d.seen_at, tz)}' if receipts else "")
        out.append(
            f'<tr data-unit="{escape(d.unit_code)}" data-status="{escape(d.status)}"><td>{escape(d.unit_code)}'
            f"<td>{escape(d.unit_name)}<td>{escape(CHANNEL_LABELS.get(d.channel, d.channel))}"
            f"<td{bad}>{escape(COPY_STATUS_LABELS.get(d.status, d.status))}"
            f'<td class="hide-s">{local_time(d.sent_at, tz)}{seen}<td>{ack}'
            f'<td class="hide-s small">{escape(d.last_error) if failed else ""}\n')
    blank = '<td class="hide-s"><td class="hide-s">' if receipts else ""
    for code, name, why in no_chat:
        status, bad = ("no_chat", ' class="bad"') if why == NO_CHAT_LABEL else ("waiting", "")
        out.append(f'<tr data-unit="{escape(code)}" data-status="{status}"><td>{escape(code)}<td>{escape(name)}'
                   f'<td>–<td{bad}>{escape(why)}<td class="hide-s">{blank}<td><td class="hide-s">\n')
    return Markup("".join(out))


__all__ = ["delivery_rows"]
