"""The bundle of services handed to handlers (built once, in ``bot.app``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.core import Clock
from bot.services.announcements import AnnouncementService
from bot.services.conversations import ConversationService
from bot.services.files import FileStore
from bot.services.members import MemberService
from bot.services.units import UnitService
from storage.uow import UnitOfWorkFactory


@dataclass
class Services:
    clock: Clock
    members: MemberService
    units: UnitService
    conversations: ConversationService
    announcements: AnnouncementService
    files: FileStore

    @classmethod
    def build(cls, uow: UnitOfWorkFactory, clock: Clock, *, files_dir: Path = Path("data/files"),
              on_queued: Callable[[], None] | None = None) -> Services:
        return cls(
            clock=clock,
            members=MemberService(uow, clock),
            units=UnitService(uow, clock),
            conversations=ConversationService(uow, clock),
            announcements=AnnouncementService(uow, clock, on_queued=on_queued),
            files=FileStore(files_dir),
        )
