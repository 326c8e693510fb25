"""Members, invites and chat bindings: who is speaking, and how a chat gets bound."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.core import Address, Clock, Inbound, nfc
from bot.services._convert import member_view, unit_view
from bot.services.conversations import FlowState
from bot.services.views import InviteView, MemberView, UnitView
from storage.errors import Conflict
from storage.models import BindingStatus, ChatBinding, Invite, Member, Role
from storage.uow import UnitOfWork, UnitOfWorkFactory

ROLE_LABELS = {"officer": "cán bộ phụ trách thi đua – khen thưởng", "admin": "quản trị (cơ quan Nội vụ)"}
"""A role as chat and the CLI name it to people (the stored value is English)."""
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


class RedeemOutcome(StrEnum):
    BOUND = "bound"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    ALREADY_BOUND = "already_bound"
    GROUP_TAKEN = "group_taken"  # a group bound by someone else: codes are redeemed in a private chat
    NO_PERSON = "no_person"  # a group message whose sender the platform does not say
    LOCKED = "locked"  # too many failures lately: the code was not even looked at


FAILED_OUTCOMES = frozenset({RedeemOutcome.UNKNOWN, RedeemOutcome.USED, RedeemOutcome.EXPIRED})


DISPLAY_NAME_MAX = 255  # members.name and chat_bindings.display_name are String(255)


@dataclass(frozen=True)
class RedeemResult:
    outcome: RedeemOutcome
    member: MemberView | None = None
    locked_until: datetime | None = None  # set when LOCKED: when a code is looked at again


@dataclass(frozen=True)
class Lockout:
    """A chat (or a person) that reached the limit of failed invite codes."""

    address: str
    sender_id: str | None
    at: datetime


class InviteError(Exception):
    """An invite cannot be made (unknown unit…); the message is Vietnamese, for the user."""


def new_code(length: int = 8) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalise_code(text: str) -> str:
    return text.strip().upper().replace(" ", "").replace("-", "")


class MemberService:
    """``failure_limit`` failed codes per ``failure_window``, per chat and per sender: a
    guesser of ~2⁴⁰ codes then gets a few hundred tries a day instead of thousands a second,
    while an officer who mistypes a code a few times is not stopped."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, *, failure_limit: int = 5,
                 failure_window: timedelta = timedelta(minutes=15)) -> None:
        self.uow = uow
        self.clock = clock
        self.failure_limit = failure_limit
        self.failure_window = failure_window

    async def create_invite(
        self, unit_code: str | None, *, role: str = Role.OFFICER, valid_for: timedelta = timedelta(days=7),
        created_by: int | None = None, actor: str = "cli",
    ) -> InviteView:
        if role not in (Role.OFFICER, Role.ADMIN):
            raise InviteError(f"Vai trò không hợp lệ: {role}")
        now = self.clock.now()
        async with self.uow() as uow:
            unit = None
            if unit_code:
                unit = await uow.units.by_code(unit_code.strip().upper())
                if unit is None:
                    raise InviteError(f"Không có đơn vị mã {unit_code.strip().upper()}.")
            elif role == Role.OFFICER:
                raise InviteError("Mã mời cho cán bộ đơn vị phải gắn với một đơn vị.")
            code = new_code()
            while await uow.invites.exists(code):
                code = new_code()
            invite = Invite(code=code, unit_id=unit.id if unit else None, role=role, expires_at=now + valid_for,
                            created_at=now, created_by=created_by)
            uow.invites.add(invite)
            uow.audit.record(now, actor, "invite.create", code=code, role=role, unit=unit.code if unit else None)
            await uow.commit()
            return InviteView(code=code, role=role, unit=unit_view(unit) if unit else None, expires_at=invite.expires_at)

    async def redeem(self, address: Address, code: str, display_name: str, *,
                     sender_id: str = "", in_group: bool = False) -> RedeemResult:
        """Bind this chat with a one-time code. Replays and expired codes are refused.

        The binding records who redeemed it (``person_id``): the sender, or in a private chat
        the chat's own person. A group is bound once, by the person who redeems there; the
        code of anyone else in it is not looked at (it would bind them to the group's member)
        and they are sent to a private chat. A group message without a sender cannot bind.

        A chat or sender with ``failure_limit`` failures in the last ``failure_window`` is
        refused without the code being looked at (even a right one), until the window has
        passed: otherwise the answer to a guess would still tell whether it hit. Failures are
        kept in the database, so a restart does not reset the count, and each is audited.

        The invite row is locked (PostgreSQL) and ``used_at`` is checked inside the same
        transaction, so two chats racing with the same code cannot both win.
        """
        async with self.uow() as uow:
            person = sender_id if in_group else (sender_id or address.chat_id)
            if not person:
                return RedeemResult(RedeemOutcome.NO_PERSON)
            existing = await uow.bindings.at(address.channel, address.chat_id)
            if existing is not None and existing.status == BindingStatus.ACTIVE:
                if in_group and existing.person_id != person:
                    return RedeemResult(RedeemOutcome.GROUP_TAKEN)
                outcome = RedeemOutcome.ALREADY_BOUND
            else:
                locked_until = await self._locked_until(uow, address, sender_id)
                if locked_until is not None:
                    return RedeemResult(RedeemOutcome.LOCKED, locked_until=locked_until)
                outcome = await self._bind(uow, address, code, display_name, existing, person)
        if outcome in FAILED_OUTCOMES:
            await self._record_failure(address, sender_id, code, outcome)
            return RedeemResult(outcome)
        # Read back after the unit of work closed: SQLite has a single pooled connection.
        return RedeemResult(outcome, await self.member_at(address))

    async def _locked_until(self, uow: UnitOfWork, address: Address, sender_id: str) -> datetime | None:
        """When the chat's (or sender's) oldest failure that counts leaves the window, if
        the limit is reached now; else None."""
        since = self.clock.now() - self.failure_window
        lists = [await uow.invite_failures.of_chat(address.channel, address.chat_id, since, self.failure_limit)]
        if sender_id:
            lists.append(await uow.invite_failures.of_sender(address.channel, sender_id, since, self.failure_limit))
        ends = [times[-1] + self.failure_window for times in lists if len(times) >= self.failure_limit]
        return max(ends) if ends else None

    async def _record_failure(self, address: Address, sender_id: str, code: str, outcome: RedeemOutcome) -> None:
        """Kept in its own transaction: the binding attempt's one may have been rolled back."""
        now = self.clock.now()
        async with self.uow() as uow:
            uow.invite_failures.add(now, address.channel, address.chat_id, sender_id)
            uow.audit.record(now, f"chat:{address}", "invite.failed", reason=outcome.value,
                             code=normalise_code(code)[:40], address=str(address), sender=sender_id or None)
            await uow.flush()
            if await self._locked_until(uow, address, sender_id) is not None:
                uow.audit.record(now, f"chat:{address}", "invite.lockout", address=str(address),
                                 sender=sender_id or None)
            await uow.commit()

    async def lockouts_since(self, since: datetime) -> list[Lockout]:
        """Chats that reached the limit of failed codes since ``since``: for the admins' digest."""
        async with self.uow() as uow:
            rows = await uow.audit.of_action("invite.lockout", since)
        return [Lockout(address=str(r.detail.get("address", "")), sender_id=r.detail.get("sender"), at=r.at)
                for r in rows]

    async def forget_failures(self) -> int:
        """Failures older than a day count for nothing; the audit log keeps their record."""
        async with self.uow() as uow:
            gone = await uow.invite_failures.forget_before(self.clock.now() - max(self.failure_window, timedelta(days=1)))
            await uow.commit()
        return gone

    async def _bind(self, uow: UnitOfWork, address: Address, code: str, display_name: str,
                    existing: ChatBinding | None, person: str) -> RedeemOutcome:
        now = self.clock.now()
        invite = await uow.invites.by_code(normalise_code(code), for_update=True)
        if invite is None:
            return RedeemOutcome.UNKNOWN
        if invite.used_at is not None:
            return RedeemOutcome.USED
        if invite.expires_at <= now:
            return RedeemOutcome.EXPIRED
        # The name comes from the platform (a Telegram full name, a Zalo display name), so it is
        # cleaned here as well as at the Inbound boundary: PostgreSQL refuses a NUL and a name
        # over the column's 255 characters, and either would leave the chat unable to bind.
        name = nfc(display_name).strip()[:DISPLAY_NAME_MAX].strip() or "Cán bộ"
        if invite.member_id is not None:  # a link code: one more channel for an existing member
            member = await uow.members.get(invite.member_id)
            if member is None:
                return RedeemOutcome.UNKNOWN
        else:
            member = Member(name=name, role=invite.role, unit_id=invite.unit_id, created_at=now)
            uow.members.add(member)
            await uow.flush()
        if existing is not None:  # a chat that had left/blocked is re-bound to the new member
            existing.member_id, existing.status, existing.bound_at = member.id, BindingStatus.ACTIVE, now
            existing.person_id = person
        else:
            uow.bindings.add(ChatBinding(member_id=member.id, channel=address.channel, chat_id=address.chat_id,
                                         person_id=person, display_name=name, status=BindingStatus.ACTIVE,
                                         bound_at=now))
        invite.used_at, invite.used_by = now, member.id
        uow.audit.record(now, f"member:{member.id}", "invite.redeem", code=invite.code, address=str(address),
                         person=person)
        try:
            await uow.commit()
        except Conflict:
            return RedeemOutcome.USED
        return RedeemOutcome.BOUND

    async def create_link_code(self, member_id: int, valid_for: timedelta = timedelta(hours=24)) -> str:
        """A one-time code that binds another chat (e.g. Zalo) to this same member."""
        now = self.clock.now()
        async with self.uow() as uow:
            member = await uow.members.get(member_id)
            if member is None:
                raise InviteError("Không tìm thấy cán bộ.")
            code = new_code()
            while await uow.invites.exists(code):
                code = new_code()
            uow.invites.add(Invite(code=code, unit_id=member.unit_id, role=member.role, member_id=member.id,
                                   expires_at=now + valid_for, created_at=now, created_by=member.id))
            uow.audit.record(now, f"member:{member.id}", "link.create", code=code)
            await uow.commit()
            return code

    async def set_preferred_channel(self, member_id: int, channel: str | None) -> None:
        async with self.uow() as uow:
            member = await uow.members.get(member_id)
            if member is not None:
                member.preferred_channel = channel
                uow.audit.record(self.clock.now(), f"member:{member_id}", "member.channel", channel=channel)
                await uow.commit()

    async def chat_context(self, inbound: Inbound) -> tuple[MemberView | None, FlowState | None]:
        """Who speaks and which guided flow they are in: one query, read once per incoming
        message. In a private chat the speaker is the chat's member; in a group it is the
        *sender's* member, found by their own bindings — the group's binding only says where
        the unit's messages go — and nobody when the sender is not known to the bot.
        The view carries neither the member's other chats nor the unit's groups
        (``member_with_chats`` has them, for the few commands that show them)."""
        address = inbound.address
        async with self.uow() as uow:
            if inbound.in_group:
                row = await uow.bindings.speaker_in_group(address.channel, address.chat_id, inbound.sender_id,
                                                          inbound.conversation.chat_id)
            else:
                row = await uow.bindings.speaker(address.channel, address.chat_id)
        flow = FlowState(row.flow, dict(row.flow_data or {})) if row.flow is not None else None
        if row.m_id is None:
            return None, flow
        unit = UnitView(id=row.u_id, code=row.u_code, name=row.u_name, kind=row.u_kind,
                        closed=row.u_closed_on is not None) if row.u_id is not None else None
        view = MemberView(id=row.m_id, name=row.m_name, role=row.m_role, unit=unit,
                          preferred_channel=row.m_preferred_channel)
        return view, flow

    async def member_at(self, address: Address) -> MemberView | None:
        """The member an active chat is bound to, or None for a stranger. (In a group that is
        not who is speaking: ``chat_context`` decides that.)"""
        async with self.uow() as uow:
            b = await uow.bindings.at(address.channel, address.chat_id)
            if b is None or b.status != BindingStatus.ACTIVE:
                return None
            bindings = await uow.bindings.of_member(b.member_id)
            return member_view(b.member, bindings)

    async def member_with_chats(self, member_id: int) -> MemberView | None:
        """A member with all their chats and their unit's cụm/khối (for /toi and /kenh)."""
        async with self.uow() as uow:
            member = await uow.members.get(member_id)
            if member is None:
                return None
            return member_view(member, await uow.bindings.of_member(member_id))

    async def admins(self) -> list[MemberView]:
        async with self.uow() as uow:
            return [member_view(m) for m in await uow.members.admins()]

    async def ensure_console_member(self, address: Address, *, unit_code: str | None, role: str) -> MemberView:
        """Bind the local console chat directly (the person at the terminal is trusted)."""
        now = self.clock.now()
        async with self.uow() as uow:
            b = await uow.bindings.at(address.channel, address.chat_id)
            if b is None:
                unit = await uow.units.by_code(unit_code.upper()) if unit_code else None
                if unit_code and unit is None:
                    raise InviteError(f"Không có đơn vị mã {unit_code.upper()}.")
                name = "Cán bộ Nội vụ (console)" if role == Role.ADMIN else f"Cán bộ {unit.name if unit else ''} (console)"
                member = Member(name=name, role=role, unit_id=unit.id if unit else None, created_at=now)
                uow.members.add(member)
                await uow.flush()
                uow.bindings.add(ChatBinding(member_id=member.id, channel=address.channel, chat_id=address.chat_id,
                                             person_id=address.chat_id, display_name=name,
                                             status=BindingStatus.ACTIVE, bound_at=now))
                await uow.commit()
        view = await self.member_at(address)
        assert view is not None
        return view

    async def set_binding_status(self, address: Address, status: str) -> None:
        async with self.uow() as uow:
            b = await uow.bindings.at(address.channel, address.chat_id)
            if b is not None and b.status != status:
                b.status = status
                uow.audit.record(self.clock.now(), "system", "binding.status", address=str(address), status=status)
                await uow.commit()
