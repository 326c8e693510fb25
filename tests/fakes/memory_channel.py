"""A ``Channel`` that lives in memory: handler tests without an HTTP fake.

It fulfils the whole ``bot.core.Channel`` contract the way a real adapter does — renders
Markdown to plain text, splits it to ``max_text``, puts the buttons on the last part, raises
a ``SendError`` (with ``parts_sent``) when told to fail — and records everything the bot did
in order: parts sent, edits, buttons replaced, button presses answered. A test plays the
person with ``write``/``press``/``upload``, each of which returns what the bot sent back.

Where a platform fake (tests/fakes/telegram_api.py, zalo_api.py) checks the wire format,
this one checks what a handler decided to say; it needs no server, no port and no pacing.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.channels.numbered import MenuMemory, picked
from bot.core import (
    Address,
    Attachment,
    Capabilities,
    Channel,
    Choice,
    Inbound,
    InboundKind,
    InboundSink,
    InvalidMessage,
    Outbound,
    Part,
    SendError,
    Sent,
)
from bot.rendering.markup import markdown_to_plain
from bot.rendering.split import split_message


@dataclass
class Message:
    """One message as the person's screen shows it now (edits change it in place)."""

    chat_id: str
    message_id: str
    text: str
    choices: tuple[tuple[Choice, ...], ...] = ()
    document: Attachment | None = None
    edited: int = 0

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, payload) of every button, row by row."""
        return [(c.label, c.payload) for row in self.choices for c in row]

    def payload_of(self, label_part: str) -> str:
        for label, payload in self.buttons:
            if label_part in label:
                return payload
        raise AssertionError(f"no button with {label_part!r} on {self.text[:80]!r}: {self.buttons}")


@dataclass
class CallbackAnswer:
    callback_id: str
    text: str


@dataclass
class _Failures:
    errors: deque[Exception] = field(default_factory=deque)
    forever: Exception | None = None


class MemoryChannel:
    """An in-memory platform; ``buttons=False`` behaves like the console or Zalo Bot Platform
    (a typed "2" or an option's words pick from the menu on screen)."""

    def __init__(self, name: str = "memory", *, buttons: bool = True, max_text: int = 4096,
                 documents: bool = True, edits: bool = True, receives_documents: bool = True,
                 link_base: str | None = None) -> None:
        self.name = name
        self.capabilities = Capabilities(max_text=max_text, buttons=buttons, documents=documents, edits=edits,
                                         receives_documents=receives_documents)
        self.link_base = link_base
        self.messages: list[Message] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.files: dict[str, bytes] = {}
        self.menus = MenuMemory()
        self.started = False
        self.stopped = False
        self._sink: InboundSink | None = None
        self._ids = itertools.count(1)
        self._failures: dict[str, _Failures] = {}

    # ---- the Channel contract ------------------------------------------------------------
    async def start(self, sink: InboundSink, *, receive: bool = True) -> None:
        self.started = True
        if receive:
            self._sink = sink

    async def stop(self) -> None:
        self.stopped = True
        self._sink = None

    def render(self, message: Outbound) -> list[Part]:
        text = markdown_to_plain(message.text) if message.text else ""
        if not text and not message.documents:
            raise InvalidMessage("empty message")
        parts = [Part(text=chunk) for chunk in split_message(text, limit=self.capabilities.max_text,
                                                             markup="plain")] if text else []
        parts.extend(Part(text="", document=doc) for doc in message.documents)
        last = parts[-1]
        parts[-1] = Part(text=last.text, choices=message.choices, document=last.document, numbered=message.numbered)
        return parts

    async def send_part(self, address: Address, part: Part) -> str:
        self._check(address)
        failures = self._failures.get(address.chat_id)
        if failures is not None:
            if failures.errors:
                raise failures.errors.popleft()
            if failures.forever is not None:
                raise failures.forever
        if len(part.text) > self.capabilities.max_text:
            raise InvalidMessage(f"text of {len(part.text)} characters, over {self.capabilities.max_text}")
        message_id = str(next(self._ids))
        self.messages.append(Message(address.chat_id, message_id, part.text, part.choices, part.document))
        if not self.capabilities.buttons:
            await self.menus.remember(address, [c for row in part.choices for c in row], numbered=part.numbered)
        return message_id

    async def send(self, address: Address, message: Outbound) -> Sent:
        ids: list[str] = []
        for part in self.render(message):
            try:
                ids.append(await self.send_part(address, part))
            except SendError as exc:
                exc.parts_sent = len(ids)
                raise
        return Sent(tuple(ids))

    async def edit(self, address: Address, message_id: str, message: Outbound) -> None:
        target = self._find(address, message_id) if self.capabilities.edits else None
        if target is None:
            await self.send(address, message)
            return
        parts = self.render(message)
        target.text, target.choices, target.edited = parts[0].text, parts[-1].choices, target.edited + 1

    async def edit_choices(self, address: Address, message_id: str, choices: tuple[tuple[Choice, ...], ...]) -> bool:
        target = self._find(address, message_id) if self.capabilities.edits else None
        if target is None:
            return False
        target.choices, target.edited = choices, target.edited + 1
        return True

    async def answer_callback(self, inbound: Inbound, text: str = "") -> None:
        self.callback_answers.append(CallbackAnswer(inbound.callback_id, text))

    async def fetch_file(self, inbound: Inbound) -> bytes:
        att = inbound.attachment
        if att is None:
            raise InvalidMessage("no file in this message")
        if att.content is not None:
            return att.content
        if att.ref in self.files:
            return self.files[att.ref]
        raise InvalidMessage(f"no file {att.ref!r}")

    def invite_link(self, code: str) -> str | None:
        return f"{self.link_base}?start={code}" if self.link_base else None

    # ---- playing the person --------------------------------------------------------------
    async def write(self, chat_id: str | int, text: str, *, sender_id: str = "", sender_name: str = "Cán bộ",
                    is_private: bool = True) -> list[Message]:
        """The person types ``text``; returns the messages the bot sent to this chat meanwhile."""
        address = Address(self.name, str(chat_id))
        inbound = Inbound.from_text(address, text, message_id=f"in{next(self._ids)}", sender_name=sender_name,
                                    sender_id=sender_id or str(chat_id), is_private=is_private)
        if not self.capabilities.buttons:
            inbound = await picked(self.menus, inbound)
        return await self.deliver(inbound)

    async def press(self, chat_id: str | int, payload: str, *, message_id: str = "",
                    sender_id: str = "") -> list[Message]:
        """The person presses a button carrying ``payload`` (on message ``message_id``)."""
        address = Address(self.name, str(chat_id))
        inbound = Inbound(address=address, kind=InboundKind.CALLBACK, payload=payload,
                          callback_id=f"cb{next(self._ids)}", message_id=message_id,
                          sender_id=sender_id or str(chat_id))
        return await self.deliver(inbound)

    async def press_label(self, chat_id: str | int, label_part: str) -> list[Message]:
        """Press the button whose label contains ``label_part`` on the newest message that has one."""
        for msg in reversed(self.to(chat_id)):
            for label, payload in msg.buttons:
                if label_part in label:
                    return await self.press(chat_id, payload, message_id=msg.message_id)
        raise AssertionError(f"no button with {label_part!r} in chat {chat_id}")

    async def upload(self, chat_id: str | int, name: str, mime: str, content: bytes) -> list[Message]:
        address = Address(self.name, str(chat_id))
        ref = f"file{next(self._ids)}"
        self.files[ref] = content
        att = Attachment(name=name, mime=mime, size=len(content), ref=ref)
        inbound = Inbound(address=address, kind=InboundKind.FILE, attachment=att, message_id=f"in{next(self._ids)}",
                          sender_id=str(chat_id))
        return await self.deliver(inbound)

    async def deliver(self, inbound: Inbound) -> list[Message]:
        """Hand one event to the bot and wait until it is handled (the sink is the dispatcher)."""
        if self._sink is None:
            raise AssertionError("channel not started with receive=True")
        before = len(self.messages)
        await self._sink(inbound)
        return [m for m in self.messages[before:] if m.chat_id == inbound.address.chat_id]

    # ---- what a test controls and reads ----------------------------------------------------
    def fail(self, chat_id: str | int, *errors: Exception, forever: Exception | None = None) -> None:
        """The next sends to this chat raise ``errors`` in turn; then ``forever`` (if given) every time.
        Normally ``SendError``s, as an adapter classifies them; anything else plays an adapter bug."""
        self._failures[str(chat_id)] = _Failures(deque(errors), forever)

    def heal(self, chat_id: str | int) -> None:
        self._failures.pop(str(chat_id), None)

    def to(self, chat_id: str | int) -> list[Message]:
        return [m for m in self.messages if m.chat_id == str(chat_id)]

    def last(self, chat_id: str | int) -> Message:
        sent = self.to(chat_id)
        if not sent:
            raise AssertionError(f"nothing was sent to chat {chat_id}")
        return sent[-1]

    def _find(self, address: Address, message_id: str) -> Message | None:
        return next((m for m in self.messages if m.chat_id == address.chat_id and m.message_id == message_id), None)

    def _check(self, address: Address) -> None:
        if address.channel != self.name:
            raise AssertionError(f"{address} sent through channel {self.name!r}")


if TYPE_CHECKING:
    # mypy (see [tool.mypy] in pyproject.toml) proves that this fake fulfils the whole contract.
    _conforms: Channel = MemoryChannel()
