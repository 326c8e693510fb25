"""What the Zalo Official Account channel needs from the database, in one place.

* ``OaTokenStore`` — the rotating token pair, refreshed once for every sender and process
  (a row lock on PostgreSQL, an asyncio lock within one process), committed before use;
* ``OaContactBook`` — interactions (the 7-day window), follows (unfollow → binding left),
  phones people share, seen receipts;
* ``TemplateFallback`` — the ZBS template that stands in for a delivery outside the window:
  which template, its parameters from the delivery's own data, the phone to fall back to.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core import Clock, TemplateRequest, TokenPair
from bot.core.callbacks import decode
from bot.core.clock import fmt_local
from bot.rendering.buttons import ReportForPeriod
from bot.rendering.markup import markdown_to_plain
from bot.services.phones import normalise_phone
from storage.errors import Conflict
from storage.models import BindingStatus, Delivery, ZaloOaToken
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

CHANNEL = "zalo_oa"
TRACKING_PREFIX = "tdkt-"
RACE_CHECKS, RACE_PAUSE = 20, 0.1
PARAM_MAX = 100
"""Template parameters are short (ZBS caps most at 30–100 characters; assumed 100)."""


class OaTokenStore:
    """The OA's token pair in the ``zalo_oa_tokens`` row of its app."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, app_id: str, first_refresh_token: str, *,
                 row_lock: bool = False) -> None:
        self.uow = uow
        self.row_lock = row_lock
        """PostgreSQL: hold the row locked through the refresh (several processes share it)."""
        self.clock = clock
        self.app_id = app_id
        self.first_refresh_token = first_refresh_token
        self._lock = asyncio.Lock()  # single flight within this process; the row lock across them
        self.refreshes = 0

    async def current(self) -> TokenPair | None:
        async with self.uow() as uow:
            row = await uow.zalo_oa.token(self.app_id)
            if row is None or not row.access_token:
                return None
            return _pair(row)

    async def _seed(self) -> None:
        """The row, from ZALO_OA_REFRESH_TOKEN, the first time (two processes may race: one wins)."""
        if not self.first_refresh_token:
            return
        now = self.clock.now()
        try:
            async with self.uow() as uow:
                if await uow.zalo_oa.token(self.app_id) is not None:
                    return
                uow.zalo_oa.add_token(ZaloOaToken(app_id=self.app_id, access_token="",
                                                  refresh_token=self.first_refresh_token, expires_at=now,
                                                  refreshed_at=now, generation=0))
                await uow.commit()
        except Conflict:
            pass

    async def rotate(self, stale: str, fresh_until: datetime,
                     refresh: Callable[[str], Awaitable[TokenPair]]) -> TokenPair:
        """Refresh unless someone already did; the new pair is committed before it is returned.

        On PostgreSQL the row stays locked (``SELECT … FOR UPDATE``) during the HTTP call, so
        a second process waits and then finds the pair the first one stored instead of
        spending the old refresh token, which Zalo would refuse. SQLite has one connection
        per process (holding it through an HTTP call would stall every other query), so
        there the asyncio lock serialises this process and a compare-and-set on
        ``generation`` catches another process (a CLI beside ``run``) that won the race:
        our refresh is then refused, and the pair it stored is the one to use."""
        async with self._lock:
            await self._seed()
            if self.row_lock:
                async with self.uow() as uow:
                    row = await uow.zalo_oa.token(self.app_id, for_update=True)
                    if row is None:
                        raise LookupError("no Zalo OA token: set ZALO_OA_REFRESH_TOKEN to the first refresh token")
                    if _usable(row, stale, fresh_until):
                        return _pair(row)
                    pair = await self._call_refresh(row.refresh_token, refresh)
                    _store(row, pair, self.clock.now())
                    await uow.commit()
                    self.refreshes += 1
                    return pair
            async with self.uow() as uow:
                row = await uow.zalo_oa.token(self.app_id)
                if row is None:
                    raise LookupError("no Zalo OA token: set ZALO_OA_REFRESH_TOKEN to the first refresh token")
                if _usable(row, stale, fresh_until):
                    return _pair(row)
                seen, spent = row.generation, row.refresh_token
            try:
                pair = await self._call_refresh(spent, refresh)
            except Exception:
                # Refused: did another process win the race? Its commit follows its answer
                # by moments, so look a few times before calling the token lost.
                for _ in range(RACE_CHECKS):
                    async with self.uow() as uow:
                        row = await uow.zalo_oa.token(self.app_id)
                        if row is not None and row.generation != seen and _usable(row, stale, fresh_until):
                            log.info("zalo_oa: another process refreshed the token first; using its pair")
                            return _pair(row)
                    await asyncio.sleep(RACE_PAUSE)
                raise
            async with self.uow() as uow:
                row = await uow.zalo_oa.token(self.app_id)
                assert row is not None
                if row.generation != seen:  # cannot happen unless Zalo accepted one token twice
                    log.warning("zalo_oa: the token row changed during a refresh; keeping ours")
                _store(row, pair, self.clock.now())
                await uow.commit()
            self.refreshes += 1
            return pair

    async def _call_refresh(self, refresh_token: str, refresh: Callable[[str], Awaitable[TokenPair]]) -> TokenPair:
        try:
            return await refresh(refresh_token)
        except Exception:
            replacement = self.first_refresh_token
            if not replacement or replacement == refresh_token:
                raise
            # The operator put a new first token in the settings after a refusal.
            log.warning("zalo_oa: stored refresh token refused; trying ZALO_OA_REFRESH_TOKEN")
            return await refresh(replacement)


def _usable(row: ZaloOaToken, stale: str, fresh_until: datetime) -> bool:
    """Someone else refreshed: the stored access token is new to the caller and lasts."""
    return bool(row.access_token) and row.access_token != stale and row.expires_at > fresh_until


def _pair(row: ZaloOaToken) -> TokenPair:
    return TokenPair(row.access_token, row.refresh_token, row.expires_at)


def _store(row: ZaloOaToken, pair: TokenPair, now: datetime) -> None:
    row.access_token = pair.access_token
    row.refresh_token = pair.refresh_token
    row.expires_at = pair.expires_at
    row.refreshed_at = now
    row.generation += 1


class OaContactBook:
    """The channel's ``OaContacts``: one short transaction per event."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock

    async def _touch(self, user_id: str, at: datetime, *, following: bool | None = None,
                     phone: str | None = None) -> None:
        for attempt in (1, 2):  # two first events of one user at once: the second insert loses, then updates
            try:
                async with self.uow() as uow:
                    await uow.zalo_oa.touch(user_id, at, following=following, phone=phone)
                    await uow.commit()
                return
            except Conflict:
                if attempt == 2:
                    raise

    async def interacted(self, user_id: str, at: datetime) -> None:
        await self._touch(user_id, at)

    async def last_interaction(self, user_id: str) -> datetime | None:
        async with self.uow() as uow:
            row = await uow.zalo_oa.contact(user_id)
            return row.last_interaction_at if row is not None else None

    async def followed(self, user_id: str, at: datetime, *, following: bool) -> None:
        """An unfollow marks the chat's binding left (nothing is sent there any more); a
        follow again makes it active."""
        await self._touch(user_id, at, following=following)
        async with self.uow() as uow:
            b = await uow.bindings.at(CHANNEL, user_id)
            if b is not None:
                if not following and b.status == BindingStatus.ACTIVE:
                    b.status = BindingStatus.LEFT
                    log.info("zalo_oa: %s unfollowed the OA; binding %s left", user_id, b.id)
                elif following and b.status == BindingStatus.LEFT:
                    b.status = BindingStatus.ACTIVE
                await uow.commit()

    async def shared_phone(self, user_id: str, phone: str, at: datetime) -> None:
        """A phone shared through ``request_user_info``: kept for this user and offered as
        the contact of their unit when the unit has none yet."""
        normalised = normalise_phone(phone)
        if normalised is None:
            log.info("zalo_oa: %s shared a phone that is not a Vietnamese mobile: %r", user_id, phone[:20])
            return
        await self._touch(user_id, at, phone=normalised)
        async with self.uow() as uow:
            b = await uow.bindings.at(CHANNEL, user_id)
            unit = b.member.unit if b is not None and b.member is not None else None
            if unit is not None and not unit.phone:
                unit.phone = normalised
                await uow.commit()
                log.info("zalo_oa: unit %s got the phone its officer shared", unit.code)

    async def seen(self, message_ids: list[str], at: datetime) -> None:
        """A seen receipt onto the deliveries it names (and received, if no receipt said so)."""
        if not message_ids:
            return
        async with self.uow() as uow:
            n = await uow.zalo_oa.mark_seen(message_ids, at)
            await uow.commit()
        log.info("zalo_oa: %d deliveries seen", n)

    async def received(self, message_ids: list[str], tracking_id: str, at: datetime) -> None:
        """A delivery receipt onto the deliveries it names: by the platform's message ids, or
        by our own ``tracking_id`` (``tdkt-<delivery id>``, what template sends carry)."""
        delivery_id = delivery_of_tracking(tracking_id)
        if not message_ids and delivery_id is None:
            return
        async with self.uow() as uow:
            n = await uow.zalo_oa.mark_received(message_ids, at, delivery_id=delivery_id)
            await uow.commit()
        log.info("zalo_oa: %d deliveries received", n)


@dataclass(frozen=True)
class Templates:
    """Approved ZBS template ids per purpose ("" = none: that purpose cannot go by template)."""

    announcement: str = ""
    reminder: str = ""
    notice: str = ""
    digest: str = ""
    invite: str = ""

    def for_kind(self, kind: str) -> tuple[str, str]:
        """(purpose, template id) of a delivery kind."""
        purpose = {"announcement": "announcement", "reminder": "reminder", "digest": "digest",
                   "alert": "digest", "notice": "notice", "invite": "invite"}.get(kind, "")
        return purpose, getattr(self, purpose, "") if purpose else ""


def _short(text: str, limit: int = PARAM_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _period_of(payload: dict[str, Any]) -> int | None:
    """The report period a queued notice is about: its "Tiếp tục / Sửa báo cáo" button's payload."""
    for row in payload.get("choices") or []:
        for choice in row:
            pressed = decode(str(choice[1])) if isinstance(choice, list | tuple) and len(choice) > 1 else None
            if isinstance(pressed, ReportForPeriod):
                return pressed.period
    return None


class TemplateFallback:
    """Builds the template message that stands in for one delivery outside the window."""

    def __init__(self, uow: UnitOfWorkFactory, templates: Templates, office_name: str, *,
                 timezone: str = "Asia/Ho_Chi_Minh") -> None:
        self.uow = uow
        self.templates = templates
        self.office_name = office_name
        self.timezone = timezone

    async def request_for(self, d: Delivery) -> TemplateRequest | None:
        """None when no template is configured for what this delivery is (a deferred
        reply, or a purpose the office registered no template for)."""
        purpose, template_id = self.templates.for_kind(d.kind)
        if not template_id:
            return None
        async with self.uow() as uow:
            unit = await uow.units.get(d.unit_id) if d.unit_id else None
            contact = await uow.zalo_oa.contact(d.chat_id)
            member = await uow.members.get(d.member_id) if d.member_id else None
            if unit is None and member is not None and member.unit_id:
                unit = await uow.units.get(member.unit_id)
            announcement = await uow.announcements.get(d.announcement_id) if d.announcement_id else None
            period_id = _period_of(d.payload)
            period = await uow.reports.period(period_id) if period_id is not None else None
        data = {"office": _short(self.office_name), "unit_name": _short(unit.name if unit else "")}
        if d.kind == "invite":
            data["code"] = str(d.payload.get("code", ""))
        elif announcement is not None:
            data.update(doc_type=_short(announcement.doc_type), doc_number=_short(announcement.number or ""),
                        title=_short(announcement.summary or announcement.doc_type))
        elif period is not None:
            # A reminder or a returned report carries the button back into its period's report:
            # the template names that report and its deadline, as the chat text does.
            data.update(title=_short(period.label), deadline=fmt_local(period.due_at, self.timezone))
        else:
            first = next((line for line in markdown_to_plain(str(d.payload.get("text", ""))).splitlines()
                          if line.strip()), "")
            data["title"] = _short(first)
        phone = (str(d.payload.get("phone") or "") or None
                 or (contact.phone if contact is not None and contact.phone else None) or (unit.phone if unit else None))
        return TemplateRequest(purpose=purpose, template_id=template_id, data=data, phone=phone or "",
                               tracking_id=tracking_of(d.id))


def tracking_of(delivery_id: int) -> str:
    """The ``tracking_id`` a template send carries: its delivery receipt names it back."""
    return f"{TRACKING_PREFIX}{delivery_id}"


def delivery_of_tracking(tracking_id: str) -> int | None:
    """The delivery a receipt's ``tracking_id`` names (None: not one of ours)."""
    rest = tracking_id.removeprefix(TRACKING_PREFIX)
    if rest == tracking_id or not rest.isascii() or not rest.isdigit() or len(rest) > 18:
        return None
    return int(rest)
