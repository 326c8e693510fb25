"""From an ``Inbound`` to the right handler, safely.

Per chat, events are handled strictly in order; different chats run concurrently.
Whatever a handler raises is logged and answered with a polite Vietnamese message:
a person never sees a stack trace, and since every step commits its own unit of work,
nothing saved before the failure is lost.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from bot.core import (
    Channel,
    Inbound,
    InboundKind,
    InboundLedger,
    MemoryLedger,
    PerChatSerializer,
    Router,
    Seen,
    SendError,
)
from bot.core.coordination import ChatLock, ProcessChatLock
from bot.core.text import fold
from bot.services.registry import Services
from handlers.context import Ctx, Handler, Settings

log = logging.getLogger(__name__)

CANCEL_WORDS = {"huy", "huy bo", "thoat"}


class Dispatcher:
    def __init__(self, router: Router[Handler], services: Services, settings: Settings, *,
                 ledger: InboundLedger | None = None, chat_lock: ChatLock | None = None) -> None:
        self.router = router
        self.services = services
        self.settings = settings
        self.channels: dict[str, Channel] = {}
        self.serializer = PerChatSerializer()
        # Which platform messages were handled (``bot.app`` injects the durable one).
        self.ledger: InboundLedger = ledger or MemoryLedger()
        # Across replicas (PostgreSQL) a chat's turn is also a database lock; taken after the
        # in-process serializer, so each process waits for it with one event per chat at most.
        self.chat_lock: ChatLock = chat_lock or ProcessChatLock()
        self.handled = 0
        self.dropped = 0

    def add_channel(self, channel: Channel) -> None:
        self.channels[channel.name] = channel

    def channel(self, name: str) -> Channel:
        return self.channels[name]

    async def __call__(self, inbound: Inbound) -> None:
        async with self.serializer.hold(inbound.address), self.chat_lock.hold(inbound.address):
            if not await self._begin(inbound):
                self.dropped += 1
                return
            started = time.perf_counter()
            await self._handle(inbound)
            await self._finish(inbound)
            self.handled += 1
            log.debug("handled %s %s in %.1f ms", inbound.address, inbound.kind,
                      (time.perf_counter() - started) * 1000)

    async def _begin(self, inbound: Inbound) -> bool:
        """Mark the message in progress; False for a redelivery (handled, or being handled).

        Inside the chat's turn, so a duplicate waits for the original and then finds it done.
        A ledger that fails lets the message through: a rare duplicate beats a lost answer."""
        if not inbound.key:
            return True
        try:
            seen = await self.ledger.begin(inbound.key)
        except Exception:
            log.exception("could not record message %s from %s; handling it anyway", inbound.key, inbound.address)
            return True
        if seen is Seen.RETRY:
            log.info("handling %s from %s again: an earlier attempt never finished", inbound.key, inbound.address)
        elif not seen.handle:
            log.info("dropping a redelivered message from %s (%s): already handled", inbound.address, inbound.key)
        return seen.handle

    async def _finish(self, inbound: Inbound) -> None:
        if inbound.key:
            try:
                await self.ledger.finish(inbound.key)
            except Exception:
                log.exception("could not mark message %s from %s as handled", inbound.key, inbound.address)

    async def _handle(self, inbound: Inbound) -> None:
        ctx: Ctx | None = None
        try:
            member, state = await self.services.members.chat_context(inbound)
            ctx = Ctx(inbound=inbound, member=member, services=self.services, settings=self.settings,
                      channels=self.channels, state=state)
            handler = await self._resolve(ctx)
            if handler is None:
                return
            if member is None and inbound.in_group and not getattr(handler, "open_to_group_strangers", False):
                if inbound.kind is InboundKind.CALLBACK:
                    await ctx.answer_button(ctx.text("button_toast", why="stranger"))
                await ctx.say("group_stranger")
            elif getattr(handler, "needs_member", False) and member is None:
                await ctx.say("not_bound")
            elif getattr(handler, "needs_admin", False) and not (member and member.is_admin):
                button = ":".join(inbound.payload.split(":")[:2]) if inbound.kind is InboundKind.CALLBACK else ""
                await ctx.say("admin_only", command=inbound.command if inbound.kind is InboundKind.COMMAND else "",
                              button=button)
            else:
                await handler(ctx)
            if inbound.kind is InboundKind.CALLBACK:
                await ctx.answer_button()
        except SendError as exc:
            log.warning("reply to %s failed: %s: %s", inbound.address, type(exc).__name__, exc)
        except Exception:
            log.exception("handler failed for %s (%s)", inbound.address, inbound.kind)
            if ctx is not None:
                try:
                    await ctx.say("error")
                except Exception:
                    log.exception("could not even tell %s about the failure", inbound.address)

    async def _resolve(self, ctx: Ctx) -> Handler | None:
        inbound = ctx.inbound
        if inbound.kind is InboundKind.TEXT and fold(inbound.text) in CANCEL_WORDS:
            # Typed "hủy" (channels without buttons) means the same as /huy.
            ctx.inbound = replace(inbound, kind=InboundKind.COMMAND, command="huy")
            inbound = ctx.inbound
        if inbound.kind is InboundKind.COMMAND:
            handler = self.router.resolve(inbound)
            if handler is None:
                await ctx.say("hint", command=inbound.command, is_officer=bool(ctx.member))
            return handler
        if inbound.kind is InboundKind.CALLBACK:
            handler = self.router.resolve(inbound)
            if handler is None:
                await ctx.answer_button(ctx.text("button_toast", why="stale"))
                await ctx.say("stale_button")
            return handler
        return self.router.resolve(inbound, flow=ctx.state.flow if ctx.state else None)
