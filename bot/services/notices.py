"""Short messages to units through the outbox (reminders, returns, period news).

They go where announcements go (each officer's chosen channel), with the same pacing,
retries and crash-safety, instead of being sent inline from a handler.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.core import Address, Clock, Outbound
from bot.services.audience import recipient_bindings
from bot.services.files import FileStore
from storage.models import Delivery, DeliveryStatus
from storage.uow import UnitOfWork, UnitOfWorkFactory

ChoiceRows = Sequence[Sequence[tuple[str, str]]]


@dataclass(frozen=True)
class Wordings:
    """One notice in the two wordings a channel may need: ``pressed`` for a channel with
    buttons ("bấm …"), ``typed`` for one without (Zalo Bot, console), where the person types
    the words. The text is rendered once for every recipient, before anyone knows which
    channel each chat is on; the outbox row keeps both and the sending channel picks
    (``typed_text``, read by ``outbox.notice_outbound``)."""

    pressed: str
    typed: str


NoticeText = str | Wordings


class NoticeChat(Protocol):
    """The chat a notice goes to: a bound chat row (``ChatBinding``) or the plain
    ``Recipient`` row the audience query returns by the thousand; both carry these."""

    @property
    def id(self) -> int: ...
    @property
    def member_id(self) -> int: ...
    @property
    def channel(self) -> str: ...
    @property
    def chat_id(self) -> str: ...


def notice_row(binding: NoticeChat, unit_id: int | None, text: NoticeText, choices: ChoiceRows, now: datetime,
               *, kind: str = "notice", priority: int = 3) -> dict[str, Any]:
    """The outbox row for one short message to one chat (plain data, for bulk inserts)."""
    payload: dict[str, Any] = {"choices": [[list(c) for c in row] for row in choices]}
    if isinstance(text, Wordings):
        payload.update(text=text.pressed, typed_text=text.typed)
    else:
        payload["text"] = text
    return {
        "kind": kind, "announcement_id": None, "binding_id": binding.id, "member_id": binding.member_id,
        "unit_id": unit_id, "channel": binding.channel, "chat_id": binding.chat_id,
        "payload": payload,
        "status": DeliveryStatus.QUEUED, "priority": priority, "attempts": 0, "parts_sent": 0, "last_error": "",
        "next_try_at": now, "message_id": "", "created_at": now,
    }


def queue_notice(uow: UnitOfWork, binding: NoticeChat, unit_id: int | None, text: NoticeText, choices: ChoiceRows,
                 now: datetime, *, kind: str = "notice", priority: int = 3) -> Delivery:
    d = Delivery(**notice_row(binding, unit_id, text, choices, now, kind=kind, priority=priority))
    uow.deliveries.add(d)
    return d


DEFERRED_REPLY_PRIORITY = 1
"""Ahead of notices (3) and announcements (5): the person was waiting for this one."""


class NoticeService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, on_queued: Callable[[], None] | None = None,
                 files: FileStore | None = None) -> None:
        self.uow = uow
        self.clock = clock
        self.on_queued = on_queued or (lambda: None)
        self.files = files

    async def defer_reply(self, address: Address, message: Outbound, *, parts_sent: int, reason: str) -> int:
        """A direct reply the platform would not take in time goes to the outbox instead of
        being dropped: sent later like any delivery (from part ``parts_sent`` on, so nothing
        already seen repeats), and listed with the others if it finally fails.
        Files it carries are stored first (the outbox row holds data, not bytes)."""
        documents = []
        for doc in message.documents:
            if doc.content is not None and self.files is not None:
                documents.append(await self.files.store(doc.name, doc.mime, doc.content))
            elif doc.ref:
                documents.append({"name": doc.name, "mime": doc.mime, "size": doc.size, "path": doc.ref})
        now = self.clock.now()
        async with self.uow() as uow:
            binding = await uow.bindings.at(address.channel, address.chat_id)
            member = binding.member if binding is not None else None
            d = Delivery(
                kind="reply", announcement_id=None, binding_id=binding.id if binding else None,
                member_id=member.id if member else None, unit_id=member.unit_id if member else None,
                channel=address.channel, chat_id=address.chat_id,
                payload={"text": message.text, "numbered": message.numbered, "documents": documents,
                         "choices": [[[c.label, c.payload] for c in row] for row in message.choices]},
                status=DeliveryStatus.QUEUED, priority=DEFERRED_REPLY_PRIORITY, attempts=0, parts_sent=parts_sent,
                last_error=reason[:1000], next_try_at=now, message_id="", created_at=now)
            uow.deliveries.add(d)
            await uow.commit()
        self.on_queued()
        return d.id

    async def to_units(self, texts: Mapping[int, NoticeText], choices: ChoiceRows = (), *, kind: str = "notice") -> set[int]:
        """Queue one message per recipient chat of each unit (text may differ per unit);
        returns the units reached (a unit with no active chat is not among them)."""
        now = self.clock.now()
        reached: set[int] = set()
        async with self.uow() as uow:
            bindings = await recipient_bindings(uow, list(texts))
            for b in bindings:
                unit_id = b.unit_id
                queue_notice(uow, b, unit_id, texts[unit_id], choices, now, kind=kind)
                reached.add(unit_id)
            await uow.commit()
        if reached:
            self.on_queued()
        return reached

    async def to_admins(self, text: str, choices: ChoiceRows = (), *, kind: str = "notice") -> int:
        now = self.clock.now()
        count = 0
        async with self.uow() as uow:
            for m in await uow.members.admins():
                for b in await uow.bindings.of_member(m.id):
                    if b.status == "active" and (m.preferred_channel in (None, b.channel)):
                        queue_notice(uow, b, None, text, choices, now, kind=kind)
                        count += 1
            await uow.commit()
        if count:
            self.on_queued()
        return count
