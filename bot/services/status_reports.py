"""The admin's self-updating status message of a broadcast ("đã gửi 812/950 …"): edited in
place while the figures move, for two days after the release. A job of the scheduler
(``bot.scheduler``), every couple of seconds; the status message is a convenience, so a
failed edit is logged and never stops anything else."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.core import Address, Channel
from bot.services.announcements import AnnouncementService

log = logging.getLogger(__name__)


def _figures(text: str) -> str:
    """The part of the status text that matters (not the 'updated at' time)."""
    return text.split("(cập nhật", 1)[0]


class StatusReportService:
    def __init__(self, announcements: AnnouncementService) -> None:
        self.announcements = announcements

    async def refresh(self, channels: Mapping[str, Channel]) -> int:
        """Edit every live delivery-status message whose figures changed; returns how many."""
        changed = 0
        for ann_id, channel, chat_id, message_id, old_text in await self.announcements.live_reports():
            ch = channels.get(channel)
            if ch is None:
                continue
            out = await self.announcements.report_outbound(ann_id)
            if _figures(out.text) == _figures(old_text):
                continue
            try:
                await ch.edit(Address(channel, chat_id), message_id, out)
            except Exception as exc:  # the status message is a convenience; never let it break sending
                log.info("could not refresh delivery report %s: %s", ann_id, exc)
                continue
            await self.announcements.attach_report(ann_id, channel, chat_id, message_id, out.text)
            await self.announcements.mark_done_if_finished(ann_id)
            changed += 1
        return changed
