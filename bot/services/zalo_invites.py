"""Inviting units by phone through the Zalo OA: no printed codes, no chat needed first.

A unit whose officer's mobile is known (units import column ``phone``, or
``tdkt-bot invite UNIT --phone …``) and that has no chat bound yet gets a one-time code in
a ZBS template message sent to that phone; its button opens the OA chat, where the officer
sends ``/start CODE``. The template goes through the outbox like any delivery (its row
has no chat yet: ``chat_id`` is ``phone:84…``), so the night rule, quotas and retries apply
and the outcome is on record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.core import Clock
from bot.rendering.templates import render
from bot.services.audience import recipient_bindings
from bot.services.members import MemberService
from bot.services.phones import normalise_phone
from storage.models import Delivery, DeliveryStatus
from storage.uow import UnitOfWorkFactory

PHONE_CHAT_PREFIX = "phone:"
INVITE_PRIORITY = 6
"""After announcements (5): an invitation is not urgent."""


class PhoneError(ValueError):
    """A phone number that is not a Vietnamese mobile (the message is for the operator)."""


@dataclass(frozen=True)
class QueuedInvite:
    unit_code: str
    unit_name: str
    phone: str
    code: str


class ZaloInvites:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, members: MemberService,
                 on_queued: Callable[[], None] | None = None,
                 office_name: str = "Phòng Nội vụ") -> None:
        self.office_name = office_name
        self.uow = uow
        self.clock = clock
        self.members = members
        self.on_queued = on_queued or (lambda: None)

    async def set_phone(self, unit_code: str, raw: str) -> str:
        """Store the unit's officer's mobile (normalised ``84…``); returns it."""
        phone = normalise_phone(raw)
        if phone is None:
            raise PhoneError(f"“{raw}” không phải số di động Việt Nam (ví dụ 0912 345 678 hoặc +84 912 345 678)")
        async with self.uow() as uow:
            unit = await uow.units.by_code(unit_code.strip().upper())
            if unit is None:
                raise PhoneError(f"Không có đơn vị mã {unit_code.strip().upper()}.")
            unit.phone = phone
            await uow.commit()
        return phone

    async def queue(self, unit_codes: list[str] | None = None, *,
                    valid_for: timedelta = timedelta(days=14)) -> list[QueuedInvite]:
        """One invite code and one ZBS message per unit that has a phone and no chat bound
        (``unit_codes`` None: every such unit). Returns what was queued."""
        async with self.uow() as uow:
            units = [u for u in await uow.units.all() if u.phone
                     and (unit_codes is None or u.code in {c.upper() for c in unit_codes})]
            bound = {r.unit_id for r in await recipient_bindings(uow, [u.id for u in units])}
            targets = [(u.code, u.name, u.id, u.phone) for u in units if u.id not in bound]
        queued: list[QueuedInvite] = []
        for code, name, unit_id, phone in targets:
            inv = await self.members.create_invite(code, valid_for=valid_for, actor="zalo-oa-invite")
            now = self.clock.now()
            async with self.uow() as uow:
                uow.deliveries.add(Delivery(
                    kind="invite", announcement_id=None, binding_id=None, member_id=None, unit_id=unit_id,
                    channel="zalo_oa", chat_id=f"{PHONE_CHAT_PREFIX}{phone}",
                    payload={"code": inv.code, "phone": phone,
                             "text": render("oa_invite", office=self.office_name, unit_name=name, code=inv.code)},
                    status=DeliveryStatus.QUEUED,
                    priority=INVITE_PRIORITY, attempts=0, parts_sent=0, last_error="", next_try_at=now,
                    message_id="", created_at=now))
                await uow.commit()
            queued.append(QueuedInvite(code, name, str(phone), inv.code))
        if queued:
            self.on_queued()
        return queued
