"""What a handler gets: the event, who sent it, the services and a way to answer."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core import (
    Address,
    Channel,
    ChannelUnavailable,
    Choice,
    Inbound,
    Outbound,
    RateLimited,
    Retryable,
    Sent,
)
from bot.rendering.templates import render
from bot.services.conversations import FlowState
from bot.services.registry import Services
from bot.services.views import MemberView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    """The few settings handlers need (not the whole config object)."""

    office_name: str = "Phòng Nội vụ"
    timezone: str = "Asia/Ho_Chi_Minh"


@dataclass
class Ctx:
    inbound: Inbound
    member: MemberView | None
    services: Services
    settings: Settings
    channels: Mapping[str, Channel]
    state: FlowState | None = None
    """The chat's guided flow as it was when this message arrived."""
    replies: list[Sent] = field(default_factory=list)
    deferred: int = 0
    button_answered: bool = False
    """Replies of this event that went to the outbox (the platform would not take them in time)."""

    @property
    def address(self) -> Address:
        return self.inbound.address

    @property
    def conversation(self) -> Address:
        """Where this person's guided-flow state lives (per person in a group chat)."""
        return self.inbound.conversation

    @property
    def channel(self) -> Channel:
        return self.channels[self.address.channel]

    def invite_link(self, code: str) -> str | None:
        """A deep link for the invite: this chat's platform first, else any that has links."""
        link = self.channel.invite_link(code)
        for ch in self.channels.values():
            link = link or ch.invite_link(code)
        return link

    def text(self, template: str, /, **context: Any) -> str:
        context.setdefault("office", self.settings.office_name)
        return render(template, **context)

    async def reply(self, message: Outbound | str, choices: tuple[tuple[Choice, ...], ...] = ()) -> Sent:
        """Answer in this chat. The channel retries a 429 or a passing failure for a while;
        a reply it still cannot deliver is put in the outbox, never dropped — and so is every
        later reply of this event, so the person reads them in order."""
        out = Outbound(text=message, choices=choices) if isinstance(message, str) else message
        if self.deferred:
            return await self._defer(out, parts_sent=0, reason="after an earlier deferred reply")
        try:
            sent = await self.channel.send(self.address, out)
        except (RateLimited, Retryable, ChannelUnavailable) as exc:
            log.warning("reply to %s not delivered in time (%s: %s); queued in the outbox",
                        self.address, type(exc).__name__, exc.reason)
            return await self._defer(out, parts_sent=exc.parts_sent, reason=f"{type(exc).__name__}: {exc.reason}")
        self.replies.append(sent)
        return sent

    async def _defer(self, out: Outbound, *, parts_sent: int, reason: str) -> Sent:
        await self.services.notices.defer_reply(self.address, out, parts_sent=parts_sent, reason=reason)
        self.deferred += 1
        return Sent()

    async def say(self, template: str, /, choices: tuple[tuple[Choice, ...], ...] = (), **context: Any) -> Sent:
        return await self.reply(self.text(template, **context), choices)

    async def answer_button(self, text: str = "") -> None:
        """Stop the button's spinner (once: a second answer to one press is refused anyway)."""
        if self.button_answered:
            return
        self.button_answered = True
        await self.channel.answer_callback(self.inbound, text)


Handler = Callable[[Ctx], Awaitable[None]]


def requires(*, member: bool = True, admin: bool = False) -> Callable[[Handler], Handler]:
    """Declare who may use a handler; the dispatcher enforces it before calling."""

    def mark(fn: Handler) -> Handler:
        fn.needs_member = member or admin  # type: ignore[attr-defined]
        fn.needs_admin = admin  # type: ignore[attr-defined]
        return fn

    return mark


def open_to_group_strangers(fn: Handler) -> Handler:
    """Let a person the bot does not know reach this handler from a group chat (binding a
    group with its invite code). Every other handler answers them only that they must bind
    first: in a group, the chat's binding says where messages go, not who is speaking."""
    fn.open_to_group_strangers = True  # type: ignore[attr-defined]
    return fn
