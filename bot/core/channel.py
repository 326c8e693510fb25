"""The contract every channel adapter fulfils."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from bot.core.types import Address, Attachment, Choice, Inbound, Outbound, Sent

InboundSink = Callable[[Inbound], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Part:
    """One platform message, already rendered to the channel's markup and size.

    A long Outbound becomes several parts; the outbox records how many went out so a
    resumed delivery continues where it stopped instead of repeating the beginning.
    """

    text: str
    choices: tuple[tuple[Choice, ...], ...] = ()
    document: Attachment | None = None
    numbered: bool = True


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a channel can do, so senders can plan (e.g. pacing, part counts)."""

    max_text: int
    buttons: bool
    documents: bool
    edits: bool
    receives_documents: bool = True
    """False where people can send only photos (Zalo Bot Platform): file questions then say so."""


class Channel(Protocol):
    """A messaging platform as the rest of the bot sees it."""

    name: str
    capabilities: Capabilities

    async def start(self, sink: InboundSink, *, receive: bool = True) -> None:
        """Connect; with ``receive``, every inbound event goes to ``sink`` (in order per chat)."""

    async def stop(self) -> None:
        """Stop receiving and release connections."""

    def render(self, message: Outbound) -> list[Part]:
        """Markdown to this platform's markup, split to its limits, buttons on the last part."""

    async def send_part(self, address: Address, part: Part) -> str:
        """Send one rendered part (paced); returns the platform message id. Raises ``SendError``."""

    async def send(self, address: Address, message: Outbound) -> Sent:
        """Render and send every part in order. Raises a ``SendError``."""

    async def edit(self, address: Address, message_id: str, message: Outbound) -> None:
        """Replace an earlier message where the platform allows; else send anew."""

    async def edit_choices(self, address: Address, message_id: str, choices: tuple[tuple[Choice, ...], ...]) -> bool:
        """Replace the buttons of a sent message; False where the platform cannot edit."""

    async def answer_callback(self, inbound: Inbound, text: str = "") -> None:
        """Acknowledge a button press (stops the spinner on Telegram)."""

    async def fetch_file(self, inbound: Inbound) -> bytes:
        """Download the bytes of the file an inbound event carries."""

    def invite_link(self, code: str) -> str | None:
        """A link that opens this bot with ``/start CODE``, if the platform has one."""


@runtime_checkable
class HasWebRoutes(Protocol):
    """A channel that also receives over the bot's own web server (a webhook).

    Optional, apart from ``Channel``, because most channels have no route to add: the
    console, and any platform in polling mode (which registers nothing). The composition
    root asks ``isinstance(channel, HasWebRoutes)`` and calls this before the server starts,
    since aiohttp freezes its routes then. ``app`` is that server's ``aiohttp.web.Application``;
    it is typed ``Any`` here because the core must not import aiohttp (an import-linter
    contract), and each adapter annotates it exactly.
    """

    def register_routes(self, app: Any) -> None:
        """Add this channel's routes (if its mode needs any) to the web application."""
