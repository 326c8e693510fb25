"""The outbox dispatcher: drains ``Delivery`` rows of one channel under its limits.

Every outcome lands in the row. Pacing itself is the channel's (its ``Pacer``); this
loop only decides what to send next and what a failure means:

- rate limited → back in the queue after ``retry_after`` (the pacer pauses every sender);
- recipient blocked → the binding is marked blocked, no retries;
- chat migrated → binding and row follow the new id, sent again at once;
- invalid message → failed with the platform's reason;
- transient → retried with exponential backoff up to ``max_attempts``.

Rows are claimed under a token with a lease (``claimed_until``). The dispatcher renews the
lease of every row it holds — queued behind its semaphore, waiting in the pacer, between
the parts of a long decree — every third of the lease, in one statement; so a lease runs
out only when its holder is gone (``kill -9``, a lost host), and then another process, or
this one restarted, sends what was left. Every write of a row after the claim is
conditional on the token: a dispatcher that lost a row (its lease ran out after all, and
another claim took it) stops sending it and writes nothing. Only messages in flight at a
crash may repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from bot.core import (
    Address,
    AddressChanged,
    Attachment,
    Channel,
    ChannelUnavailable,
    Choice,
    Clock,
    InvalidMessage,
    Outbound,
    OutsideWindow,
    Part,
    RateLimited,
    RecipientBlocked,
    SendError,
)
from bot.core.reach import Route
from bot.services.announcements import ack_choices, announcement_outbound, read_stored
from bot.services.zalo_oa import TemplateFallback
from storage.models import Announcement, BindingStatus, Delivery, DeliveryStatus
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)


def notice_outbound(payload: dict[str, Any], *, buttons: bool = True) -> Outbound:
    """A short message (notice, reminder, deferred reply) back from its outbox row.

    A row queued before its channel was known to have buttons or not may carry two
    wordings: ``text`` for a channel with buttons ("bấm …") and ``typed_text`` for one
    without, where the person types the words instead; the sending channel picks."""
    rows = tuple(tuple(Choice(label, data) for label, data in row) for row in payload.get("choices", []))
    documents = tuple(Attachment(name=f["name"], mime=f.get("mime", ""), size=int(f.get("size", 0)),
                                 ref=f.get("path", ""), content=read_stored(f.get("path", "")))
                      for f in payload.get("documents", []))
    text = payload.get("text", "") if buttons else payload.get("typed_text", payload.get("text", ""))
    return Outbound(text=text, choices=rows, documents=documents,
                    numbered=bool(payload.get("numbered", True)))


@dataclass(eq=False)
class _Claim:
    """A row this dispatcher holds: the token it was claimed under, the lease the database
    last confirmed, and whether a renewal found it taken by another claim."""

    token: str
    until: datetime
    lost: bool = False


class OutboxDispatcher:
    """Sends the outbox of one channel (of one console chat, with ``only_chat``).

    Several dispatchers of the same channel may drain one database at once (replicas on
    PostgreSQL, a CLI ``announce`` beside ``tdkt-bot run`` on SQLite): claims never overlap
    and a held row is renewed, so nobody takes it while it waits. The lease is short (30 s
    by default) because it is renewed: it is only how long a dead process's rows wait
    before someone else sends them.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        channel: Channel,
        *,
        concurrency: int = 48,
        lease: timedelta = timedelta(seconds=30),
        max_attempts: int = 6,
        idle_poll: float = 1.0,
        only_chat: str | None = None,
        on_progress: Callable[[int | None], None] | None = None,
        stop_grace: float = 2.0,
        fallback: TemplateFallback | None = None,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.channel = channel
        self.concurrency = concurrency
        self.lease = lease
        self.max_attempts = max_attempts
        self.idle_poll = idle_poll
        self.only_chat = only_chat
        self.on_progress = on_progress or (lambda _ann: None)
        self.stop_grace = stop_grace
        self.fallback = fallback
        """Zalo OA only: the template that stands in for a delivery outside the 7-day window."""
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._chat_tails: dict[str, asyncio.Task[None]] = {}  # per chat: the last row started
        self._sem = asyncio.Semaphore(concurrency)
        self._held: dict[int, _Claim] = {}
        self._announcements: dict[int, Announcement] = {}
        self._rendered: dict[int, list[Part]] = {}
        self.sent = 0

    # ---- lifecycle -----------------------------------------------------------------------
    async def release_abandoned(self) -> int:
        """Put every row of this channel (console chat) left 'sending' back in the queue now.

        Why not always: a 'sending' row may belong to a live process (another replica, a
        CLI ``announce``, an overlapping restart); releasing it would send it twice. So the
        caller must have proved that no other process is sending on this database —
        ``App`` calls this only while it holds the SQLite outbox lock exclusively, before
        any of its own outboxes starts. Where nobody can prove it (PostgreSQL, or another
        process on the file), rows of a dead process come back when their lease runs out.
        """
        async with self.uow() as uow:
            n = await uow.deliveries.release_claims(self.channel.name, self.only_chat)
            await uow.commit()
        if n:
            log.info("outbox[%s]: %d deliveries were in flight at the last stop; sending them again",
                     self.channel.name, n)
        return n

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox-{self.channel.name}")

    async def stop(self) -> None:
        """Stop sending; rows still held go back to the queue at once (under their tokens,
        so nothing another claim holds is touched) instead of waiting out their lease."""
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._inflight:  # a request on the wire is let finish: cut, it may arrive and go again
            await asyncio.wait(list(self._inflight), timeout=self.stop_grace)
        for t in list(self._inflight):
            t.cancel()
        for t in list(self._inflight):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        held = [(i, c.token) for i, c in self._held.items() if not c.lost]
        self._held.clear()
        if held:
            try:
                async with self.uow() as uow:
                    n = await uow.deliveries.release_held(held)
                    await uow.commit()
                log.info("outbox[%s]: %d deliveries put back in the queue at stop", self.channel.name, n)
            except Exception:
                log.warning("outbox[%s]: could not put %d deliveries back at stop; their lease will run out",
                            self.channel.name, len(held), exc_info=True)

    def wake(self) -> None:
        self._wake.set()

    # ---- loop ----------------------------------------------------------------------------
    async def _run(self) -> None:
        renewer = asyncio.create_task(self._renew_loop(), name=f"outbox-{self.channel.name}-leases")
        try:
            await self._drain_loop()
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer

    async def _drain_loop(self) -> None:
        logged_at, logged_sent = 0.0, 0
        loop = asyncio.get_running_loop()
        while True:
            if self.sent != logged_sent and loop.time() - logged_at >= 10:
                log.info("outbox[%s]: %d messages delivered so far, %d in flight",
                         self.channel.name, self.sent, len(self._inflight))
                logged_at, logged_sent = loop.time(), self.sent
            try:
                claimed = await self.drain_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox[%s]: claiming failed; retrying shortly", self.channel.name)
                claimed = 0
            if claimed == 0:
                if not self._inflight:  # idle: rendered decrees and their files need not stay in memory
                    self._announcements.clear()
                    self._rendered.clear()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.idle_poll)

    async def drain_once(self) -> int:
        """Claim a batch and start sending it; returns how many rows were claimed."""
        free = self.concurrency - len(self._inflight)
        if free <= 0:
            await asyncio.sleep(0.05)
            return 1
        now = self.clock.now()
        token = uuid4().hex
        async with self.uow() as uow:
            rows = await uow.deliveries.claim_due(self.channel.name, now, now + self.lease, free, self.only_chat,
                                                  claim=token)
            for d in rows:
                if d.announcement_id and d.announcement_id not in self._announcements:
                    a = await uow.announcements.get(d.announcement_id)
                    if a is not None:
                        self._announcements[a.id] = a
            await uow.commit()
        for d in rows:
            self._held[d.id] = _Claim(token, now + self.lease)
        for d in rows:
            await self._sem.acquire()
            # One chat's rows go one after another, in claim order (priority, then age): a
            # reply deferred in parts, a decree and a reminder never interleave in a chat.
            before = self._chat_tails.get(d.chat_id)
            task = asyncio.create_task(self._deliver_after(before, d, self._held[d.id]))
            self._chat_tails[d.chat_id] = task
            self._inflight.add(task)
            task.add_done_callback(functools.partial(self._done, chat_id=d.chat_id))
        return len(rows)

    async def _deliver_after(self, before: asyncio.Task[None] | None, d: Delivery, claim: _Claim) -> None:
        if before is not None:
            await asyncio.wait([before])
        await self._deliver(d, claim)

    def _done(self, task: asyncio.Task[None], chat_id: str) -> None:
        self._inflight.discard(task)
        if self._chat_tails.get(chat_id) is task:
            del self._chat_tails[chat_id]
        self._sem.release()

    # ---- leases --------------------------------------------------------------------------
    async def _renew_loop(self) -> None:
        """Every third of the lease: a renewal may fail once (a busy database) and the
        lease still holds until the next one."""
        every = self.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            try:
                await self.renew()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("outbox[%s]: renewing the leases of %d deliveries failed; retrying in %.0fs",
                            self.channel.name, len(self._held), every, exc_info=True)

    async def renew(self) -> int:
        """Extend the lease of every row held, in one statement; mark the ones found lost."""
        held = dict(self._held)
        if not held:
            return 0
        until = self.clock.now() + self.lease
        async with self.uow() as uow:
            renewed = await uow.deliveries.renew_claims([(i, c.token) for i, c in held.items()], until)
            await uow.commit()
        for i, c in held.items():
            if i in renewed:
                c.until = until
            else:  # re-claimed by someone else, or just completed by its own task (then unread)
                c.lost = True
        return len(renewed)

    async def _still_held(self, d: Delivery, claim: _Claim) -> bool:
        """Before each part: is the row still ours? When renewals have been failing and the
        lease is close to its end, confirm it in the database rather than trust it."""
        if not claim.lost and self._held.get(d.id) is claim and self.clock.now() >= claim.until - self.lease / 3:
            until = self.clock.now() + self.lease
            try:
                async with self.uow() as uow:
                    ok = d.id in await uow.deliveries.renew_claims([(d.id, claim.token)], until)
                    await uow.commit()
            except Exception:
                log.warning("outbox[%s]: cannot confirm the claim of delivery %s; not sending it now",
                            self.channel.name, d.id, exc_info=True)
                return False
            if ok:
                claim.until = until
            else:
                claim.lost = True
        if claim.lost or self._held.get(d.id) is not claim:
            self._lost(d)
            return False
        return True

    def _lost(self, d: Delivery) -> None:
        log.warning("outbox[%s]: delivery %s to chat %s was taken by another claim after its lease ran out; "
                    "this sender leaves it", self.channel.name, d.id, d.chat_id)

    async def wait_idle(self, timeout: float = 30.0) -> None:
        """For tests and the CLI: until nothing is queued, claimed or in flight."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            async with self.uow() as uow:
                pending = await uow.deliveries.pending_count(self.channel.name)
            if pending == 0 and not self._inflight:
                return
            self.wake()
            await asyncio.sleep(0.05)
        raise TimeoutError(f"outbox[{self.channel.name}] still busy after {timeout}s")

    # ---- one delivery --------------------------------------------------------------------
    def parts_for(self, d: Delivery) -> list[Part]:
        """Rendered parts of this delivery. An announcement is rendered and split once for
        all its recipients (a 10 000-character decree costs milliseconds); only the
        per-recipient button is attached to the last part."""
        if d.announcement_id is None:
            return self.channel.render(notice_outbound(d.payload, buttons=self.channel.capabilities.buttons))
        announcement = self._announcements[d.announcement_id]
        cached = self._rendered.get(d.announcement_id)
        if cached is None:
            cached = self._rendered[d.announcement_id] = self.channel.render(
                announcement_outbound(announcement, None, buttons=self.channel.capabilities.buttons))
        if not announcement.needs_ack:
            return cached
        return [*cached[:-1], replace(cached[-1], choices=ack_choices(d.id))]

    async def _deliver(self, d: Delivery, claim: _Claim) -> None:
        address = Address(d.channel, d.chat_id)
        stopped = False
        try:
            parts = self.parts_for(d)
            for index in range(d.parts_sent, len(parts)):
                if not await self._still_held(d, claim):
                    return
                message_id = await self.channel.send_part(address, parts[index])
                if not await self._record_part(d, claim, index + 1, message_id, final=index + 1 == len(parts)):
                    return
            self.sent += 1
            self.on_progress(d.announcement_id)
        except asyncio.CancelledError:
            stopped = True  # still held: ``stop`` puts it back in the queue
            raise
        except OutsideWindow as exc:
            await self._by_template(d, claim, exc)
            self.on_progress(d.announcement_id)
        except SendError as exc:
            await self._record_failure(d, claim, exc)
            self.on_progress(d.announcement_id)
        except Exception as exc:  # a bug or an unexpected platform answer: retry, log loudly
            log.exception("outbox[%s]: delivery %s crashed", self.channel.name, d.id)
            await self._record_failure(d, claim, SendError(f"{type(exc).__name__}: {exc}"))
        finally:
            if not stopped and self._held.get(d.id) is claim:
                del self._held[d.id]

    async def _record_part(self, d: Delivery, claim: _Claim, parts_sent: int, message_id: str, *,
                           final: bool) -> bool:
        """Record a sent part under our claim; False (and the row left alone) if it was lost."""
        values: dict[str, object] = {"parts_sent": parts_sent, "message_id": message_id}
        if final:
            values.update(status=DeliveryStatus.SENT, sent_at=self.clock.now(), claimed_until=None, claim=None,
                          last_error="")
            if self.fallback is not None:
                values["route"] = Route.CONSULTATION
        async with self.uow() as uow:
            ok = await uow.deliveries.update_held(d.id, claim.token, values)
            await uow.commit()
        if not ok:
            claim.lost = True
            self._lost(d)
        return ok

    async def _by_template(self, d: Delivery, claim: _Claim, why: OutsideWindow) -> None:
        """Outside the 7-day window: a ZBS template by user id, then by phone; else the row is
        'failed' with route 'unreachable', so the report lists the unit and a later retry
        (the officer wrote again) can still reach it."""
        send = getattr(self.channel, "send_template", None)
        request = await self.fallback.request_for(d) if self.fallback is not None and send else None
        try:
            if request is None or send is None:  # (no send: request is None already; this tells mypy)
                raise RecipientBlocked(f"{why.reason}; no template for '{d.kind}'")
            route, message_id = await send(Address(d.channel, d.chat_id), request)
        except RecipientBlocked as exc:
            values: dict[str, object] = {"status": DeliveryStatus.FAILED, "route": Route.UNREACHABLE,
                                         "claimed_until": None, "claim": None,
                                         "last_error": f"unreachable: {exc.reason}"[:1000]}
            async with self.uow() as uow:
                ok = await uow.deliveries.update_held(d.id, claim.token, values)
                await uow.commit()
            if ok:
                log.info("outbox[%s]: delivery %s unreachable (%s)", self.channel.name, d.id, exc.reason)
            return
        except SendError as exc:
            await self._record_failure(d, claim, exc)
            return
        values = {"status": DeliveryStatus.SENT, "route": route, "message_id": message_id,
                  "sent_at": self.clock.now(), "claimed_until": None, "claim": None, "last_error": ""}
        async with self.uow() as uow:
            ok = await uow.deliveries.update_held(d.id, claim.token, values)
            await uow.commit()
        if ok:
            self.sent += 1
            log.info("outbox[%s]: delivery %s sent as a template (%s)", self.channel.name, d.id, route)

    async def _record_failure(self, d: Delivery, claim: _Claim, exc: SendError) -> None:
        """The outcome of a failed send, written only if our claim still holds the row: a
        lost row is another sender's now, and so is what its failure means for the chat."""
        now = self.clock.now()
        values: dict[str, object] = {"claimed_until": None, "claim": None,
                                     "last_error": f"{type(exc).__name__}: {exc.reason}"[:1000]}
        if isinstance(exc, RateLimited):
            values.update(status=DeliveryStatus.QUEUED, next_try_at=now + timedelta(seconds=exc.retry_after))
        elif isinstance(exc, RecipientBlocked):
            values.update(status=DeliveryStatus.BLOCKED)
        elif isinstance(exc, AddressChanged):
            values.update(chat_id=exc.new_chat_id, status=DeliveryStatus.QUEUED, next_try_at=now)
        elif isinstance(exc, InvalidMessage):
            values.update(status=DeliveryStatus.FAILED)
        elif isinstance(exc, ChannelUnavailable):
            values.update(status=DeliveryStatus.QUEUED, next_try_at=now + timedelta(minutes=1))
        else:
            attempts = d.attempts + 1  # nobody else writes a row while we hold it
            values.update(attempts=attempts)
            if attempts >= self.max_attempts:
                values.update(status=DeliveryStatus.FAILED)
            else:
                backoff = min(2 ** attempts, 300) * random.uniform(0.8, 1.2)
                values.update(status=DeliveryStatus.QUEUED, next_try_at=now + timedelta(seconds=backoff))
        async with self.uow() as uow:
            if not await uow.deliveries.update_held(d.id, claim.token, values):
                claim.lost = True
                self._lost(d)
                return
            if isinstance(exc, RecipientBlocked) and d.binding_id:
                b = await uow.bindings.at(d.channel, d.chat_id)
                if b is not None:
                    b.status = BindingStatus.BLOCKED
            elif isinstance(exc, AddressChanged):
                b = await uow.bindings.at(d.channel, d.chat_id)
                clash = await uow.bindings.at(d.channel, exc.new_chat_id)
                if b is not None and clash is None:
                    b.chat_id = exc.new_chat_id
            await uow.commit()
        if isinstance(exc, RateLimited):
            log.warning("outbox[%s]: 429, retry after %.0fs", self.channel.name, exc.retry_after)
        elif isinstance(exc, RecipientBlocked):
            log.info("outbox[%s]: chat %s unreachable (%s); binding blocked", self.channel.name, d.chat_id, exc)
        elif isinstance(exc, AddressChanged):
            log.info("outbox[%s]: chat migrated to %s; resending", self.channel.name, exc.new_chat_id)
        elif isinstance(exc, InvalidMessage):
            log.warning("outbox[%s]: delivery %s refused: %s", self.channel.name, d.id, exc.reason)
        elif values.get("status") == DeliveryStatus.FAILED:
            log.warning("outbox[%s]: delivery %s failed after %d attempts: %s",
                        self.channel.name, d.id, values["attempts"], exc.reason)
        elif "attempts" in values:
            log.info("outbox[%s]: delivery %s attempt %d failed (%s); retrying in %.0fs", self.channel.name, d.id,
                     values["attempts"], exc.reason,
                     # values is the row update (dict[str, object]); here it is a retry, whose
                     # next_try_at the backoff branch above set to a datetime
                     (values["next_try_at"] - now).total_seconds())  # type: ignore[operator]
