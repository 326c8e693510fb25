"""The outbox dispatcher: drains ``Delivery`` rows of one channel under its limits.

Every outcome lands in the row. Pacing itself is the channel's (its ``Pacer``); this
loop only decides what to send next and what a failure means:

- rate limited → back in the queue after ``retry_after`` (the pacer pauses every sender);
- recipient blocked → the binding is marked blocked, no retries;
- chat migrated → binding and row follow the new id, sent again at once;
- invalid message → failed with the platform's reason;
- transient → retried with exponential backoff up to ``max_attempts``.

Rows are claimed with a lease, so after a crash (``kill -9``) another process, or this
one restarted, sends what was left; only messages in flight at the crash may repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

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
    Part,
    RateLimited,
    RecipientBlocked,
    SendError,
)
from bot.services.announcements import ack_choices, announcement_outbound, read_stored
from storage.models import Announcement, BindingStatus, Delivery, DeliveryStatus
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)


def notice_outbound(payload: dict) -> Outbound:  # type: ignore[type-arg]
    """A short message (notice, reminder, deferred reply) back from its outbox row."""
    rows = tuple(tuple(Choice(label, data) for label, data in row) for row in payload.get("choices", []))
    documents = tuple(Attachment(name=f["name"], mime=f.get("mime", ""), size=int(f.get("size", 0)),
                                 ref=f.get("path", ""), content=read_stored(f.get("path", "")))
                      for f in payload.get("documents", []))
    return Outbound(text=payload.get("text", ""), choices=rows, documents=documents,
                    numbered=bool(payload.get("numbered", True)))


class OutboxDispatcher:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        channel: Channel,
        *,
        concurrency: int = 48,
        lease: timedelta = timedelta(seconds=90),
        max_attempts: int = 6,
        idle_poll: float = 1.0,
        single_writer: bool = True,
        only_chat: str | None = None,
        on_progress: Callable[[int | None], None] | None = None,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.channel = channel
        self.concurrency = concurrency
        self.lease = lease
        self.max_attempts = max_attempts
        self.idle_poll = idle_poll
        self.single_writer = single_writer
        self.only_chat = only_chat
        self.on_progress = on_progress or (lambda _ann: None)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._sem = asyncio.Semaphore(concurrency)
        self._announcements: dict[int, Announcement] = {}
        self._rendered: dict[int, list[Part]] = {}
        self._paused_until = 0.0
        self.sent = 0

    # ---- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        if self.single_writer:
            async with self.uow() as uow:
                n = await uow.deliveries.release_claims(self.channel.name, self.only_chat)
                await uow.commit()
            if n:
                log.info("outbox[%s]: %d deliveries were in flight at the last stop; sending them again",
                         self.channel.name, n)
        self._task = asyncio.create_task(self._run(), name=f"outbox-{self.channel.name}")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for t in list(self._inflight):
            t.cancel()
        for t in list(self._inflight):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t

    def wake(self) -> None:
        self._wake.set()

    # ---- loop ----------------------------------------------------------------------------
    async def _run(self) -> None:
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
        async with self.uow() as uow:
            rows = await uow.deliveries.claim_due(self.channel.name, now, now + self.lease, free, self.only_chat)
            for d in rows:
                if d.announcement_id and d.announcement_id not in self._announcements:
                    a = await uow.announcements.get(d.announcement_id)
                    if a is not None:
                        self._announcements[a.id] = a
            await uow.commit()
        for d in rows:
            await self._sem.acquire()
            task = asyncio.create_task(self._deliver(d))
            self._inflight.add(task)
            task.add_done_callback(self._done)
        return len(rows)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._sem.release()

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
            return self.channel.render(notice_outbound(d.payload))
        announcement = self._announcements[d.announcement_id]
        cached = self._rendered.get(d.announcement_id)
        if cached is None:
            cached = self._rendered[d.announcement_id] = self.channel.render(announcement_outbound(announcement, None))
        if not announcement.needs_ack:
            return cached
        return [*cached[:-1], replace(cached[-1], choices=ack_choices(d.id))]

    async def _deliver(self, d: Delivery) -> None:
        address = Address(d.channel, d.chat_id)
        try:
            parts = self.parts_for(d)
            for index in range(d.parts_sent, len(parts)):
                message_id = await self.channel.send_part(address, parts[index])
                await self._record_part(d.id, index + 1, message_id, final=index + 1 == len(parts))
            self.sent += 1
            self.on_progress(d.announcement_id)
        except asyncio.CancelledError:
            raise
        except SendError as exc:
            await self._record_failure(d, exc)
            self.on_progress(d.announcement_id)
        except Exception as exc:  # a bug or an unexpected platform answer: retry, log loudly
            log.exception("outbox[%s]: delivery %s crashed", self.channel.name, d.id)
            await self._record_failure(d, SendError(f"{type(exc).__name__}: {exc}"))

    async def _record_part(self, delivery_id: int, parts_sent: int, message_id: str, *, final: bool) -> None:
        async with self.uow() as uow:
            row = await uow.deliveries.get(delivery_id)
            if row is None:
                return
            row.parts_sent, row.message_id = parts_sent, message_id
            if final:
                row.status, row.sent_at, row.claimed_until, row.last_error = DeliveryStatus.SENT, self.clock.now(), None, ""
            await uow.commit()

    async def _record_failure(self, d: Delivery, exc: SendError) -> None:
        now = self.clock.now()
        async with self.uow() as uow:
            row = await uow.deliveries.get(d.id)
            if row is None:
                return
            row.claimed_until = None
            row.last_error = f"{type(exc).__name__}: {exc.reason}"[:1000]
            if isinstance(exc, RateLimited):
                row.status, row.next_try_at = DeliveryStatus.QUEUED, now + timedelta(seconds=exc.retry_after)
                log.warning("outbox[%s]: 429, retry after %.0fs", self.channel.name, exc.retry_after)
            elif isinstance(exc, RecipientBlocked):
                row.status = DeliveryStatus.BLOCKED
                if row.binding_id:
                    b = await uow.bindings.at(row.channel, row.chat_id)
                    if b is not None:
                        b.status = BindingStatus.BLOCKED
                log.info("outbox[%s]: chat %s unreachable (%s); binding blocked", self.channel.name, row.chat_id, exc)
            elif isinstance(exc, AddressChanged):
                b = await uow.bindings.at(row.channel, row.chat_id)
                clash = await uow.bindings.at(row.channel, exc.new_chat_id)
                if b is not None and clash is None:
                    b.chat_id = exc.new_chat_id
                row.chat_id, row.status, row.next_try_at = exc.new_chat_id, DeliveryStatus.QUEUED, now
                log.info("outbox[%s]: chat migrated to %s; resending", self.channel.name, exc.new_chat_id)
            elif isinstance(exc, InvalidMessage):
                row.status = DeliveryStatus.FAILED
                log.warning("outbox[%s]: delivery %s refused: %s", self.channel.name, row.id, exc.reason)
            elif isinstance(exc, ChannelUnavailable):
                row.status, row.next_try_at = DeliveryStatus.QUEUED, now + timedelta(minutes=1)
            else:
                row.attempts += 1
                if row.attempts >= self.max_attempts:
                    row.status = DeliveryStatus.FAILED
                    log.warning("outbox[%s]: delivery %s failed after %d attempts: %s",
                                self.channel.name, row.id, row.attempts, exc.reason)
                else:
                    backoff = min(2 ** row.attempts, 300) * random.uniform(0.8, 1.2)
                    row.status, row.next_try_at = DeliveryStatus.QUEUED, now + timedelta(seconds=backoff)
                    log.info("outbox[%s]: delivery %s attempt %d failed (%s); retrying in %.0fs",
                             self.channel.name, row.id, row.attempts, exc.reason, backoff)
            await uow.commit()
