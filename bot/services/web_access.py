"""Who may use the web dashboard: single-use sign-in links, server-side sessions, roles.

No passwords to forget: a link is made for a member (by ``/web`` in chat, or by the
operator's ``tdkt-bot web link``), is valid for 10 minutes and opens one session. Only
hashes of the tokens are stored. A session ends when it is revoked ("Đăng xuất") or has
been idle too long; a few bad links in a row from one address lock that address out.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bot.core import Clock, nfc
from bot.services._convert import unit_view
from bot.services.views import UnitView
from storage.models import Member, Role, WebLink, WebSession, WebSignInFailure
from storage.uow import UnitOfWorkFactory

LINK_TTL = timedelta(minutes=10)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class WebAccessError(Exception):
    """A link cannot be made as asked (unknown unit…); the message is Vietnamese."""


class SignInOutcome(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    LOCKED = "locked"


@dataclass(frozen=True)
class WebUser:
    """Who a dashboard request acts as. ``role`` decides what it may do; an officer sees
    only ``unit``."""

    session_id: int
    member_id: int
    name: str
    role: str
    unit: UnitView | None
    csrf: str

    @property
    def actor(self) -> str:
        return f"member:{self.member_id}"

    @property
    def can_act(self) -> bool:
        """Admins change things; viewers (leaders) only look; officers act on their own unit."""
        return self.role in (Role.ADMIN, Role.OFFICER)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def sees_all(self) -> bool:
        return self.role in (Role.ADMIN, Role.VIEWER)

    def may_see_unit(self, unit_id: int) -> bool:
        return self.sees_all or (self.unit is not None and self.unit.id == unit_id)


@dataclass(frozen=True)
class SignIn:
    outcome: SignInOutcome
    token: str = ""  # the session cookie's value, when OK
    user: WebUser | None = None


class WebAccessService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, *, base_url: str = "http://127.0.0.1:8080",
                 idle_timeout: timedelta = timedelta(hours=2), failure_limit: int = 5,
                 failure_window: timedelta = timedelta(minutes=15)) -> None:
        self.uow = uow
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        self.idle_timeout = idle_timeout
        self.failure_limit = failure_limit
        self.failure_window = failure_window

    # ---- making links -----------------------------------------------------------------------
    def url(self, token: str) -> str:
        """The link a person opens: it shows a button that signs in (see bot/web/signin.py)."""
        return f"{self.base_url}/web/dang-nhap/{token}"

    async def link_for_member(self, member_id: int, *, actor: str) -> str:
        """A fresh single-use token for this member (the caller builds the URL)."""
        now = self.clock.now()
        token = secrets.token_urlsafe(24)
        async with self.uow() as uow:
            member = await uow.members.get(member_id)
            if member is None:
                raise WebAccessError(f"Không có người dùng số {member_id}.")
            uow.web.add(WebLink(token_hash=_hash(token), member_id=member_id, created_by=actor, created_at=now,
                                expires_at=now + LINK_TTL))
            uow.audit.record(now, actor, "web.link", member=member_id, role=member.role)
            await uow.commit()
        return token

    async def link_for_role(self, role: str, name: str | None = None, *, actor: str = "cli") -> tuple[str, str]:
        """The operator's link for an admin or a viewer: the one named ``name`` (made if there
        is none of that name), else the first one — and on a fresh install with nobody of the
        role yet, a new one: that is how an office bootstraps. Returns (token, member name)."""
        if role not in (Role.ADMIN, Role.VIEWER):
            raise WebAccessError(f"Vai trò không hợp lệ: {role}")
        now = self.clock.now()
        wanted = nfc(name.strip()) if name and name.strip() else None
        async with self.uow() as uow:
            members = await uow.web.members_with_role(role)
            member = next((m for m in members if m.name == wanted), None) if wanted else (members[0] if members else None)
            if member is None:
                default = "Quản trị Nội vụ" if role == Role.ADMIN else "Lãnh đạo (xem)"
                member = Member(name=(wanted or default)[:255], role=role, unit_id=None, created_at=now)
                uow.members.add(member)
                await uow.flush()
                uow.audit.record(now, actor, "member.create", member=member.id, role=role, name=member.name)
            await uow.commit()
            member_id, member_name = member.id, member.name
        return await self.link_for_member(member_id, actor=actor), member_name

    async def link_for_unit(self, unit_code: str, *, actor: str = "cli") -> tuple[str, str]:
        """An officer's link: the unit's first officer, made if the unit has none yet."""
        now = self.clock.now()
        code = unit_code.strip().upper()
        async with self.uow() as uow:
            unit = await uow.units.by_code(code)
            if unit is None:
                raise WebAccessError(f"Không có đơn vị mã {code}.")
            member = await uow.web.unit_officer(unit.id)
            if member is None:
                member = Member(name=f"Cán bộ {unit.name}"[:255], role=Role.OFFICER, unit_id=unit.id, created_at=now)
                uow.members.add(member)
                await uow.flush()
                uow.audit.record(now, actor, "member.create", member=member.id, role=Role.OFFICER, unit=code)
            await uow.commit()
            member_id, member_name = member.id, member.name
        return await self.link_for_member(member_id, actor=actor), member_name

    # ---- signing in and out -----------------------------------------------------------------
    async def sign_in(self, token: str, address: str) -> SignIn:
        """Redeem a link once. An address with ``failure_limit`` bad links lately is refused
        without the token being looked at (so a guess there tells nothing)."""
        now = self.clock.now()
        address = address[:64]
        async with self.uow() as uow:
            if await uow.web.failures_since(address, now - self.failure_window) >= self.failure_limit:
                uow.audit.record(now, f"web:{address}", "web.signin_locked")
                await uow.commit()
                return SignIn(SignInOutcome.LOCKED)
            link = await uow.web.link(_hash(token)) if token else None
            if link is None:
                outcome = SignInOutcome.UNKNOWN
            elif link.used_at is not None:
                outcome = SignInOutcome.USED
            elif link.expires_at <= now:
                outcome = SignInOutcome.EXPIRED
            else:
                outcome = SignInOutcome.OK
            if outcome != SignInOutcome.OK:
                uow.web.add(WebSignInFailure(at=now, address=address))
                uow.audit.record(now, f"web:{address}", "web.signin_refused", outcome=str(outcome))
                await uow.commit()
                return SignIn(outcome)
            assert link is not None
            link.used_at = now
            session_token = secrets.token_urlsafe(32)
            ws = WebSession(token_hash=_hash(session_token), csrf=secrets.token_urlsafe(24), member_id=link.member_id,
                            address=address, created_at=now, last_seen_at=now)
            uow.web.add(ws)
            await uow.flush()
            uow.audit.record(now, f"member:{link.member_id}", "web.signin", session=ws.id, address=address)
            await uow.web.forget_failures(address)
            await uow.commit()
            session_id = ws.id
        user = await self._user(session_token, touch=False)
        assert user is not None and user.session_id == session_id
        return SignIn(SignInOutcome.OK, token=session_token, user=user)

    async def user(self, session_token: str) -> WebUser | None:
        """Who this cookie is, or None (unknown, revoked, idle too long: sign in again)."""
        return await self._user(session_token, touch=True)

    async def _user(self, session_token: str, *, touch: bool) -> WebUser | None:
        if not session_token:
            return None
        now = self.clock.now()
        async with self.uow() as uow:
            ws = await uow.web.session_by_token(_hash(session_token))
            if ws is None or ws.revoked_at is not None:
                return None
            if now - ws.last_seen_at > self.idle_timeout:
                await uow.web.revoke(ws.id, now)
                uow.audit.record(now, f"member:{ws.member_id}", "web.session_idle", session=ws.id)
                await uow.commit()
                return None
            member = await uow.members.get(ws.member_id)
            if member is None:
                return None
            if touch and now - ws.last_seen_at > timedelta(seconds=30):  # not a write per request
                await uow.web.touch(ws.id, now)
                await uow.commit()
            unit = unit_view(member.unit, groups=()) if member.unit else None
            return WebUser(session_id=ws.id, member_id=member.id, name=member.name, role=member.role, unit=unit,
                           csrf=ws.csrf)

    async def sign_out(self, user: WebUser) -> None:
        now = self.clock.now()
        async with self.uow() as uow:
            await uow.web.revoke(user.session_id, now)
            uow.audit.record(now, user.actor, "web.signout", session=user.session_id)
            await uow.commit()

    async def sign_out_everywhere(self, user: WebUser) -> int:
        now = self.clock.now()
        async with self.uow() as uow:
            n = await uow.web.revoke_member(user.member_id, now)
            uow.audit.record(now, user.actor, "web.signout_all", sessions=n)
            await uow.commit()
        return n

    async def record(self, user: WebUser, action: str, **detail: object) -> None:
        """Audit a dashboard action with who did it (use cases audit their own changes too)."""
        async with self.uow() as uow:
            uow.audit.record(self.clock.now(), user.actor, action, via="web", **detail)
            await uow.commit()
