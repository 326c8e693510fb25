"""A local terminal chat: a person plays a unit officer or an admin.

It is a real channel over the same handlers and database, not a test double: buttons
are shown as numbered options, files can be sent with ``/tep PATH`` and documents the
bot sends are saved to a folder. Each console process delivers only its own chat's
outbox rows, so two terminals can play an admin and an officer side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.channels.numbered import MenuMemory, menu_text, picked
from bot.core import (
    Address,
    Attachment,
    Capabilities,
    Choice,
    Inbound,
    InboundDetails,
    InboundKind,
    InboundSink,
    InvalidMessage,
    MenuStore,
    Outbound,
    Part,
    Sent,
)
from bot.rendering.markup import markdown_to_plain


class ConsoleChannel:
    name = "console"
    capabilities = Capabilities(max_text=100_000, buttons=False, documents=True, edits=False)

    def __init__(
        self,
        chat_id: str,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        files_dir: Path = Path("data/console-files"),
        sender_name: str = "Người dùng console",
        read_line: Callable[[], str] | None = None,
        menus: MenuStore | None = None,
    ) -> None:
        self.chat_id = chat_id
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.files_dir = files_dir
        self.sender_name = sender_name
        self._read_line = read_line or self.stdin.readline
        # The terminal keeps showing the last menu after a restart: ``bot.app`` injects the
        # durable store so that a "2" typed then still means what the screen says.
        self.menus: MenuStore = menus or MenuMemory()
        self.closed = asyncio.Event()
        self.quit_asked = False  # /thoat typed, as opposed to the input ending
        self._reader: asyncio.Task[None] | None = None
        # Ids keep growing across restarts (milliseconds at start): a message id is never
        # reused, so an old id in a draft (Inbound.key) cannot match a new message.
        self._next_id = time.time_ns() // 1_000_000
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def address(self) -> Address:
        return Address(self.name, self.chat_id)

    async def start(self, sink: InboundSink, *, receive: bool = True) -> None:
        if not receive:
            return
        self._reader = asyncio.create_task(self._read_loop(sink), name="console-read")

    async def stop(self) -> None:
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _read_loop(self, sink: InboundSink) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._write("> ", end="")
            line = await loop.run_in_executor(None, self._read_line)
            if line == "":  # end of input
                self._write("")
                self.closed.set()
                return
            line = line.rstrip("\n")
            if line.strip().lower() in {"/thoat", "/exit", "/quit"}:
                self.quit_asked = True
                self.closed.set()
                return
            inbound = self.to_inbound(line)
            if inbound is None:
                continue
            try:
                await sink(await picked(self.menus, inbound))
            except Exception as exc:  # the console must survive anything a handler does
                self._write(f"[lỗi] {exc}")

    def to_inbound(self, line: str) -> Inbound | None:
        """One typed line as the bot sees it: ``/tep PATH`` a file, ``/cmd`` a command, else text
        (None for an empty line or a file that is not there, which the terminal is told)."""
        text = line.strip()
        self._next_id += 1
        common: InboundDetails = {"message_id": str(self._next_id), "sender_name": self.sender_name}
        if not text:
            return None
        if text.lower().startswith("/tep "):
            path = Path(text[5:].strip().strip('"')).expanduser()
            if not path.is_file():
                self._write(f"[console] Không tìm thấy tệp: {path}")
                return None
            data = path.read_bytes()
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            att = Attachment(name=path.name, mime=mime, size=len(data), ref=str(path), content=data)
            return Inbound(address=self.address, kind=InboundKind.FILE, attachment=att,
                           message_id=common["message_id"], sender_name=common["sender_name"])
        return Inbound.from_text(self.address, text, **common)

    # ---- sending ---------------------------------------------------------------------------
    def render(self, message: Outbound) -> list[Part]:
        text = markdown_to_plain(message.text) if message.text else ""
        if not text and not message.documents:
            raise InvalidMessage("empty message")
        parts = [Part(text=text)] if text else []
        parts.extend(Part(text="", document=doc) for doc in message.documents)
        last = parts[-1]
        parts[-1] = Part(text=last.text, choices=message.choices, document=last.document, numbered=message.numbered)
        return parts

    async def send_part(self, address: Address, part: Part) -> str:
        lines = [part.text] if part.text else []
        if part.document is not None:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            target = self.files_dir / part.document.name
            if part.document.content is not None:
                target.write_bytes(part.document.content)
            lines.append(f"📎 Tệp: {part.document.name} — đã lưu tại {target}")
        flat = [c for row in part.choices for c in row]
        if address.chat_id == self.chat_id:
            await self.menus.remember(self.address, flat, numbered=part.numbered)
            if flat:
                lines.append(menu_text(flat, numbered=part.numbered))
        self._write("\n" + "\n".join(lines) + "\n")
        self._next_id += 1
        return str(self._next_id)

    async def send(self, address: Address, message: Outbound) -> Sent:
        return Sent(tuple([await self.send_part(address, p) for p in self.render(message)]))

    async def edit(self, address: Address, message_id: str, message: Outbound) -> None:
        await self.send(address, message)

    async def edit_choices(self, address: Address, message_id: str, choices: tuple[tuple[Choice, ...], ...]) -> bool:
        return False

    async def answer_callback(self, inbound: Inbound, text: str = "") -> None:
        if text:
            self._write(f"[{text}]")

    async def fetch_file(self, inbound: Inbound) -> bytes:
        if inbound.attachment is None or inbound.attachment.content is None:
            raise InvalidMessage("no file in this message")
        return inbound.attachment.content

    def invite_link(self, code: str) -> str | None:
        return None

    def _write(self, text: str, end: str = "\n") -> None:
        self.stdout.write(text + end)
        self.stdout.flush()
