"""Channel-neutral vocabulary: what a chat message is, whoever carries it.

Everything above ``bot/channels`` speaks only these types, so a handler written for
Telegram works unchanged on Zalo or the console.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

CALLBACK_DATA_MAX_BYTES = 64


# C0 controls except tab and newline, DEL, and the C1 controls. A NUL cannot be stored by
# PostgreSQL (text or JSONB) and any of \x00-\x1f except tab/newline/CR makes openpyxl refuse
# the whole workbook; none of them is anything a person meant to type.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile("\r\n?")


def strip_controls(text: str) -> str:
    """Drop control characters, keeping tab and newline; a CR (alone or before LF) becomes
    one newline, so text pasted from Windows or old Mac files keeps its lines."""
    if text.isprintable():  # the common case costs one C-level scan
        return text
    return _CONTROLS.sub("", _LINE_BREAKS.sub("\n", text))


def nfc(text: str | None) -> str:
    """Normalise text coming in to NFC without control characters: Vietnamese typed on some
    phones arrives decomposed, and a stray control character breaks storage and exports."""
    value = strip_controls(text or "")
    return value if unicodedata.is_normalized("NFC", value) else unicodedata.normalize("NFC", value)


@dataclass(frozen=True, slots=True)
class Address:
    """Where a chat lives: the channel name and the platform's chat id (always a string)."""

    channel: str
    chat_id: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.chat_id}"


class InboundKind(StrEnum):
    TEXT = "text"
    COMMAND = "command"
    CALLBACK = "callback"
    FILE = "file"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file received from or sent to a chat.

    ``ref`` is what the channel needs to fetch the bytes again later (a Telegram file id,
    a Zalo photo URL); ``content`` is set when the bytes are at hand.
    """

    name: str
    mime: str
    size: int
    ref: str = ""
    content: bytes | None = None

    def __post_init__(self) -> None:
        # A file's name is stored with the answer and shown in the export, like typed text.
        object.__setattr__(self, "name", nfc(self.name))


@dataclass(frozen=True, slots=True)
class Inbound:
    """One thing a person did in a chat."""

    address: Address
    kind: InboundKind
    text: str = ""
    command: str = ""
    args: str = ""
    payload: str = ""
    callback_id: str = ""
    message_id: str = ""
    attachment: Attachment | None = None
    sender_name: str = ""
    # The platform's id of the person who wrote (a group chat has many): in a group, commands
    # and answers are authorised by it, and invite codes tried are counted per person ("" when
    # unknown — e.g. a Telegram message sent on behalf of a channel or an anonymous admin).
    sender_id: str = ""
    is_private: bool = True
    received_at: datetime | None = None

    @property
    def in_group(self) -> bool:
        """A chat several people share: there, who may act is decided by ``sender_id``."""
        return not self.is_private

    @property
    def conversation(self) -> Address:
        """Where this person's guided-flow state is kept: the chat itself when private; in a
        group, the chat *and* the person, since several people may each be mid-flow there.
        (Fits ``chat_states.chat_id``'s 64 characters: a digest when the pair would not.)"""
        if self.is_private or not self.sender_id:
            return self.address
        key = f"{self.address.chat_id}:{self.sender_id}"
        if len(key) > 64:
            key = "g:" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()
        return Address(self.address.channel, key)

    @property
    def key(self) -> str:
        """A fixed-length digest of the platform's own id of this message or button press
        ("" when it has none): the same key again means the platform delivered it twice.
        A pick typed on a channel without buttons has no callback id and keys as its message."""
        where = f"{self.address.channel}:{self.address.chat_id}"
        if self.callback_id:
            raw = f"{where}:c:{self.callback_id}"
        elif self.message_id:
            raw = f"{where}:m:{self.message_id}"
        else:
            return ""
        return hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()

    def __post_init__(self) -> None:
        # Every channel's text enters here: NFC and without control characters once, so
        # nothing downstream stores NFD, a NUL PostgreSQL refuses, or a byte Excel cannot hold.
        for name in ("text", "command", "args", "payload", "sender_name"):
            value = getattr(self, name)
            if value:
                cleaned = nfc(value)
                if cleaned != value:
                    object.__setattr__(self, name, cleaned)

    @classmethod
    def from_text(cls, address: Address, text: str, **kw: object) -> Inbound:
        """Classify typed text: ``/cmd@bot args`` is a command, anything else free text."""
        text = nfc(text).strip()
        if text.startswith("/") and len(text) > 1:
            head, _, rest = text.partition(" ")
            command = head[1:].split("@", 1)[0].lower()
            return cls(address=address, kind=InboundKind.COMMAND, text=text, command=command,
                       args=rest.strip(), **kw)  # type: ignore[arg-type]
        return cls(address=address, kind=InboundKind.TEXT, text=text, **kw)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Choice:
    """A button: what the person sees and the short opaque payload it sends back."""

    label: str
    payload: str

    def __post_init__(self) -> None:
        size = len(self.payload.encode("utf-8"))
        if not 1 <= size <= CALLBACK_DATA_MAX_BYTES:
            raise ValueError(f"choice payload must be 1..64 bytes, got {size}: {self.payload!r}")


@dataclass(frozen=True, slots=True)
class Outbound:
    """A message to send. ``text`` is Markdown; each channel renders it to its own markup.

    ``choices`` are rows of buttons. ``documents`` are files to send along, in order (a decree
    and its appendices); the buttons go with the last thing sent.
    ``numbered`` says whether, on a channel without buttons, the person may pick a choice
    by typing its number. It is False while the question itself expects a number (how
    many staff?): then "1" must stay the answer 1, and the choices (Quay lại, Bỏ qua) can
    only be typed by name.
    """

    text: str = ""
    choices: tuple[tuple[Choice, ...], ...] = ()
    documents: tuple[Attachment, ...] = ()
    numbered: bool = True

    @property
    def flat_choices(self) -> list[Choice]:
        return [c for row in self.choices for c in row]


@dataclass(frozen=True, slots=True)
class Sent:
    """What a channel reports after a successful send: the platform ids of every part."""

    message_ids: tuple[str, ...] = field(default_factory=tuple)

    @property
    def last_id(self) -> str:
        return self.message_ids[-1] if self.message_ids else ""


def rows(*choices: Choice, per_row: int = 1) -> tuple[tuple[Choice, ...], ...]:
    """Lay out choices ``per_row`` to a row."""
    out = [tuple(choices[i : i + per_row]) for i in range(0, len(choices), per_row)]
    return tuple(out)
