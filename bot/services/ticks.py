"""One scheduler tick: what is due is released, claimed or forgotten. Each step claims its own
work in the database (its own transaction), so a crash between two steps only leaves the
later ones to the next tick, and several replicas never repeat a message."""

from __future__ import annotations

from bot.services.announcements import AnnouncementService
from bot.services.digest import DigestService
from bot.services.members import MemberService
from bot.services.memory import ChatMemory
from bot.services.reminder_sending import ReminderSender


class SchedulerTick:
    def __init__(self, announcements: AnnouncementService, sender: ReminderSender, digest: DigestService,
                 chat_memory: ChatMemory, members: MemberService) -> None:
        self.announcements = announcements
        self.sender = sender
        self.digest = digest
        self.chat_memory = chat_memory
        self.members = members

    async def run(self) -> dict[str, int]:
        """Scheduled announcements, due reminders, the daily digest, and forgetting chat menus
        and message keys older than a week and failed invite codes older than a day."""
        released = await self.announcements.release_due()
        sent, skipped = await self.sender.send_due()
        digest = await self.digest.send_if_due()
        forgotten = await self.chat_memory.forget_old() + await self.members.forget_failures()
        return {"released": len(released), "reminders": sent, "skipped": skipped, "digest": int(digest),
                "forgotten": forgotten}
