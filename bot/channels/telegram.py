"""Telegram adapter on python-telegram-bot's ``Bot`` (the Bot API client only).

PTB is used for HTTP and types; conversations, state and retries are ours. Updates come
by long polling or by webhook on our own aiohttp server, with the secret token checked
on every request. With several replicas (PostgreSQL) one ``Leadership`` decides who polls
and who may change the webhook; see ``_poll`` and ``_ensure_webhook``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlparse

from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram import error as tg_error
from telegram.constants import ParseMode

from bot.channels.telegram_http import AiohttpRequest
from bot.core import (
    Address,
    AddressChanged,
    Attachment,
    Capabilities,
    ChannelUnavailable,
    Choice,
    Inbound,
    InboundKind,
    InboundSink,
    InvalidMessage,
    Outbound,
    Pacer,
    Part,
    Priority,
    RateLimited,
    RecipientBlocked,
    Retryable,
    SendError,
    Sent,
    nfc,
    until_delivered,
)
from bot.core.coordination import AlwaysLeader, Leadership
from bot.rendering.markup import markdown_to_telegram_html
from bot.rendering.split import split_message

if TYPE_CHECKING:
    from telegram import WebhookInfo

log = logging.getLogger(__name__)
T = TypeVar("T")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CAPTION_LIMIT = 1024
CALLBACK_FRESH_FOR = 10.0
"""Seconds a button press may still be answered after a 429 (Telegram gives up at about 15)."""
ALLOWED_UPDATES = ["message", "callback_query"]
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class TelegramChannel:
    name = "telegram"
    capabilities = Capabilities(max_text=4096, buttons=True, documents=True, edits=True)

    def __init__(
        self,
        token: str,
        *,
        api_base_url: str = "https://api.telegram.org",
        mode: str = "polling",
        webhook_url: str = "",
        webhook_secret: str = "",
        web_app: web.Application | None = None,
        pacer: Pacer | None = None,
        poll_timeout: int = 25,
        connections: int = 128,
        reply_deadline: float = 60.0,
        leadership: Leadership | None = None,
        follower_retry: float = 2.0,
        webhook_check_every: float = 60.0,
    ) -> None:
        base = api_base_url.rstrip("/")
        self.bot = Bot(
            token,
            base_url=f"{base}/bot",
            base_file_url=f"{base}/file/bot",
            request=AiohttpRequest(connection_pool_size=connections, read_timeout=15, pool_timeout=30),
            get_updates_request=AiohttpRequest(connection_pool_size=1, read_timeout=poll_timeout + 10),
        )
        self.mode = mode
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.web_app = web_app
        self.pacer = pacer or Pacer(29.0)
        self.reply_deadline = reply_deadline
        """How long a direct reply is retried (429, network) before it goes to the outbox."""
        self.poll_timeout = poll_timeout
        # Who polls and who sets the webhook when several processes share the bot (one lock).
        self.leadership: Leadership = leadership or AlwaysLeader()
        self.follower_retry = follower_retry
        self.webhook_check_every = webhook_check_every
        self.username = ""
        self._sink: InboundSink | None = None
        self._poller: asyncio.Task[None] | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[bool]] = set()
        self._recent_updates: OrderedDict[int, None] = OrderedDict()
        self._webhook_set_at: datetime | None = None
        # polling: what is being handled, what is done, and where Telegram's offset may go
        self._running: dict[int, asyncio.Task[bool]] = {}
        self._unfinished: set[int] = set()  # handling was cut (cancelled): fetch and handle again
        self._handled: set[int] = set()  # done, but not yet confirmed to Telegram by an offset
        self._next_offset: int | None = None
        self._progress = asyncio.Event()
        self._polling = False
        self._file_ids: dict[str, str] = {}  # stored file path → Telegram file_id of its first upload
        self._uploading: dict[str, asyncio.Lock] = {}

    # ---- lifecycle -------------------------------------------------------------------------
    def register_routes(self, app: web.Application) -> None:
        """Add the webhook route before the web app starts (aiohttp freezes routes then)."""
        if self.mode == "webhook":
            app.router.add_post(urlparse(self.webhook_url).path or "/telegram", self._on_webhook)

    async def start(self, sink: InboundSink, *, receive: bool = True) -> None:
        self._sink = sink
        try:
            await self.bot.initialize()
        except tg_error.InvalidToken as exc:
            raise ChannelUnavailable(f"Telegram refused the token: {exc}") from exc
        except tg_error.NetworkError as exc:
            raise ChannelUnavailable(f"Telegram API unreachable: {exc}") from exc
        self.username = self.bot.username
        if not receive:
            log.info("telegram: @%s connected for sending only", self.username)
        elif self.mode == "webhook":
            try:
                await self._ensure_webhook()
            except tg_error.TelegramError as exc:
                raise ChannelUnavailable(f"Telegram refused the webhook {self.webhook_url}: {exc}") from exc
            self._watchdog = asyncio.create_task(self._watch_webhook(), name="telegram-webhook-check")
            log.info("telegram: @%s receiving by webhook at %s", self.username, self.webhook_url)
        else:
            if await self.leadership.try_acquire():
                await self._start_polling()
            self._poller = asyncio.create_task(self._poll(), name="telegram-poll")
            log.info("telegram: @%s receiving by long polling%s", self.username,
                     "" if self._polling else " once no other process polls it")

    async def stop(self) -> None:
        """Stop receiving; let what is being handled finish and confirm it to Telegram.

        Never deletes the webhook: other replicas behind the same URL keep receiving.
        """
        for task in (self._watchdog, self._poller):
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._watchdog = self._poller = None
        for handling in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await handling
        if self._polling and self.leadership.held:
            await self._confirm_handled()
        self._polling = False
        with contextlib.suppress(Exception):
            await self.leadership.release()
        with contextlib.suppress(Exception):
            await self.bot.shutdown()

    # ---- receiving -------------------------------------------------------------------------
    async def _start_polling(self) -> None:
        """This process has just become the one that polls: polling and a webhook exclude each other."""
        await self.bot.delete_webhook(drop_pending_updates=False)
        self._polling = True
        log.info("telegram: this process now polls @%s", self.username)

    def _offset(self) -> int | None:
        """The lowest update not yet handled, else the one after the newest seen.

        Telegram forgets every update below the offset we send, so nothing that is still
        being handled (or whose handling was cut off) may fall below it.
        """
        pending = self._running.keys() | self._unfinished
        return min(pending) if pending else self._next_offset

    async def _poll(self) -> None:
        """Long-poll while this process is the leader; acknowledge only what has been handled.

        An update is confirmed to Telegram (by an offset past it) only after its handling
        finished, so a process killed in between loses nothing: the next poller gets it
        again (and the draft's last-message key makes a repeated answer harmless). To not
        hold every chat behind one slow handler, polling goes on with the offset at the
        lowest update still in flight: Telegram then re-sends that one and the later ones,
        and those being or already handled here are skipped. Since such a poll returns at
        once, while anything is in flight the next poll waits until the lowest in-flight
        update finishes (the offset can then move), but at most ``stale_max`` seconds (new
        updates still arrive while a handler is stuck, say behind a long 429) and, if others
        are still in flight, at least ``stale_min`` (a burst must not become a storm of
        re-polls). Waiting for a whole batch instead would hold every chat behind the
        slowest one. The window is Telegram's batch of 100: that many may be in flight.

        Followers ask for the lock every ``follower_retry`` seconds and take over when the
        leader goes away. A 409 Conflict means that some process outside our lock polls
        the same token; it is logged at ERROR once per episode and polling goes on.
        """
        backoff = 1.0
        conflict = False
        waiting_logged = False
        stale_min, stale_max = 0.2, 1.0
        loop = asyncio.get_running_loop()
        while True:
            if not await self.leadership.try_acquire():
                if self._polling:
                    log.warning("telegram: lost the polling lock; another process polls @%s now", self.username)
                    self._polling = False
                elif not waiting_logged:
                    log.info("telegram: another process polls @%s; this one takes over if it stops",
                             self.username)
                waiting_logged = True
                await asyncio.sleep(self.follower_retry)
                continue
            if not self._polling:
                try:
                    await self._start_polling()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("telegram: deleteWebhook failed (%s); retrying in %.0fs", exc, backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 30.0)
                    continue
            waiting_logged = False
            offset = self._offset()
            self._progress.clear()
            began = loop.time()
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES
                )
                backoff = 1.0
                if conflict:
                    log.info("telegram: getUpdates works again; no other process is polling now")
                conflict = False
            except asyncio.CancelledError:
                raise
            except tg_error.InvalidToken:
                log.error("telegram: token revoked; polling stopped")
                return
            except tg_error.Conflict as exc:
                if not conflict:
                    log.error("telegram: another process is polling this bot token (@%s): Telegram answered "
                              "409 Conflict (%s). Only one process may poll: stop the other one, or let every "
                              "replica share one PostgreSQL database so that they agree who polls.",
                              self.username, exc)
                conflict = True
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            except Exception as exc:  # network trouble: wait and go on, never die
                log.warning("telegram: getUpdates failed (%s); retrying in %.0fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if offset is not None:  # Telegram has forgotten everything below it
                self._handled = {i for i in self._handled if i >= offset}
            for update in updates:
                uid = update.update_id
                self._next_offset = max(self._next_offset or 0, uid + 1)
                if uid in self._handled or uid in self._running:
                    continue
                self._unfinished.discard(uid)
                inbound = self.to_inbound(update)
                if inbound is None:
                    self._handled.add(uid)
                    continue
                # One task per update, created in arrival order; the sink serialises per chat.
                task = asyncio.create_task(self._deliver(inbound), name=f"telegram-in-{uid}")
                self._running[uid] = task
                self._tasks.add(task)
                task.add_done_callback(functools.partial(self._polled_done, uid))
            if self._running:
                # Telegram would give the ones in flight back at once: do not spin on them.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._progress.wait(), max(0.0, stale_max - (loop.time() - began)))
                if self._running:
                    await asyncio.sleep(max(0.0, stale_min - (loop.time() - began)))

    def _polled_done(self, uid: int, task: asyncio.Task[bool]) -> None:
        self._tasks.discard(task)
        lowest = min(self._running) == uid
        del self._running[uid]
        if task.cancelled() or task.exception() is not None or task.result() is False:
            # cut short, or the sink itself failed (e.g. no chat lock): not confirmed, fetched again
            self._unfinished.add(uid)
        else:
            self._handled.add(uid)
        if lowest:
            self._progress.set()  # the offset can move on

    async def _confirm_handled(self) -> None:
        """Tell Telegram what was handled before stopping, so a successor does not get it again."""
        offset = self._offset()
        if offset is None:
            return
        try:
            await self.bot.get_updates(offset=offset, timeout=0, limit=1, allowed_updates=ALLOWED_UPDATES)
        except Exception as exc:
            log.info("telegram: could not confirm the handled updates (%s); they may come again", exc)

    async def _deliver(self, inbound: Inbound) -> bool:
        """Hand one event to the sink; False if the sink itself failed (handlers never raise)."""
        assert self._sink is not None
        try:
            await self._sink(inbound)
        except Exception:
            log.exception("telegram: handling %s failed", inbound.address)
            return False
        return True

    async def _ensure_webhook(self) -> bool:
        """Make Telegram's webhook the configured one, from one process at a time.

        Every replica reads ``getWebhookInfo``; only when it differs from what we want does one
        of them, holding the lock, read it again and call ``setWebhook`` with the one public
        ``WEBHOOK_URL``; a replica that cannot get the lock leaves it to the holder. The secret
        token cannot be read back: a delivery Telegram saw refused with 401 shows that its
        secret is not ours, and that too makes us set it again. True if setWebhook was called.
        """
        if self._webhook_differs(await self.bot.get_webhook_info()) is None:
            return False
        if not await self.leadership.try_acquire():
            log.info("telegram: another process is setting the webhook; leaving it to that one")
            return False
        try:
            reason = self._webhook_differs(await self.bot.get_webhook_info())
            if reason is None:
                return False
            log.info("telegram: setting the webhook to %s (%s)", self.webhook_url, reason)
            await self.bot.set_webhook(
                url=self.webhook_url, secret_token=self.webhook_secret, allowed_updates=ALLOWED_UPDATES
            )
            self._webhook_set_at = datetime.now(UTC)
            return True
        finally:
            await self.leadership.release()

    def _webhook_differs(self, info: WebhookInfo) -> str | None:
        if not info.url:
            return "no webhook was set"
        if info.url != self.webhook_url:
            return f"it pointed to {info.url}"
        if set(info.allowed_updates or ()) != set(ALLOWED_UPDATES):
            return "it was set for other kinds of update"
        if info.last_error_message and " 401 " in f" {info.last_error_message} " and info.last_error_date:
            # Only a recent refusal, and not one from before our own setWebhook (the error stays
            # on record; Telegram's dates are whole seconds).
            window = timedelta(seconds=max(300.0, 2 * self.webhook_check_every))
            recent = datetime.now(UTC) - info.last_error_date < window
            set_at = self._webhook_set_at
            if recent and (set_at is None or info.last_error_date >= set_at.replace(microsecond=0)):
                return f"Telegram's deliveries were refused: {info.last_error_message}"
        return None

    async def _watch_webhook(self) -> None:
        """Check the webhook now and then: a replica that lost the race at start, or a rotated
        secret, must not leave the bot deaf until the next restart."""
        while True:
            await asyncio.sleep(self.webhook_check_every)
            try:
                await self._ensure_webhook()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("telegram: checking the webhook failed: %s", exc)

    async def _on_webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.webhook_secret.encode()):
            log.warning("telegram: webhook call with a missing or wrong secret from %s", request.remote)
            return web.json_response({"ok": False, "error": "unauthorized"}, status=401)
        try:
            data = await request.json()
            update = Update.de_json(data, self.bot)
        except Exception:
            return web.json_response({"ok": False, "error": "bad update"}, status=400)
        if update is None:
            return web.json_response({"ok": True})
        uid = update.update_id
        if uid in self._recent_updates:
            return web.json_response({"ok": True})  # Telegram re-sent it (our answer was slow): once is enough
        inbound = self.to_inbound(update)
        if inbound is not None:
            # Answered only after handling: a replica killed meanwhile never said 200, so
            # Telegram delivers the update again (to whichever replica the proxy picks). A copy
            # that arrives while the first is in hand waits for the chat's turn and is dropped by
            # the dispatcher's ledger once the first is done; its 200 never vouches for work
            # still under way.
            handled = await self._deliver(inbound)
            if not handled:
                return web.json_response({"ok": False, "error": "not handled"}, status=500)
        self._seen_before(uid)
        return web.json_response({"ok": True})

    def _seen_before(self, update_id: int) -> bool:
        """A cheap first filter within this process. Across restarts and replicas the dispatcher's
        durable ledger drops the redelivery by its message or callback id (``Inbound.key``)."""
        if update_id in self._recent_updates:
            return True
        self._recent_updates[update_id] = None
        if len(self._recent_updates) > 10_000:
            self._recent_updates.popitem(last=False)
        return False

    def to_inbound(self, update: Update) -> Inbound | None:
        """Translate a Telegram update into the neutral ``Inbound`` (None: not for us)."""
        if update.callback_query is not None:
            cq = update.callback_query
            msg = cq.message
            chat_id = str(msg.chat.id) if msg is not None else str(cq.from_user.id)
            return Inbound(
                address=Address(self.name, chat_id),
                kind=InboundKind.CALLBACK,
                payload=cq.data or "",
                callback_id=cq.id,
                message_id=str(msg.message_id) if msg is not None else "",
                sender_name=cq.from_user.full_name,
                sender_id=str(cq.from_user.id),
                is_private=(msg.chat.type == "private") if msg is not None else True,
            )
        msg = update.message
        if msg is None:
            return None
        address = Address(self.name, str(msg.chat.id))
        common: dict[str, Any] = {
            "message_id": str(msg.message_id),
            "sender_name": msg.from_user.full_name if msg.from_user else "",
            # A message sent on behalf of a chat (an anonymous group admin, a linked channel)
            # carries a placeholder bot as its sender, shared by everyone who posts that way.
            "sender_id": str(msg.from_user.id) if msg.from_user and msg.sender_chat is None else "",
            "is_private": msg.chat.type == "private",
            "received_at": msg.date,
        }
        if msg.text is not None:
            return Inbound.from_text(address, msg.text, **common)
        if msg.document is not None:
            d = msg.document
            att = Attachment(name=nfc(d.file_name or "tep"), mime=d.mime_type or "", size=d.file_size or 0,
                             ref=d.file_id)
            return Inbound(address=address, kind=InboundKind.FILE, attachment=att, text=nfc(msg.caption), **common)
        if msg.photo:
            p = msg.photo[-1]
            att = Attachment(name=f"anh_{msg.message_id}.jpg", mime="image/jpeg", size=p.file_size or 0,
                             ref=p.file_id)
            return Inbound(address=address, kind=InboundKind.FILE, attachment=att, text=nfc(msg.caption), **common)
        return Inbound(address=address, kind=InboundKind.UNSUPPORTED, **common)

    # ---- sending ---------------------------------------------------------------------------
    def render(self, message: Outbound) -> list[Part]:
        parts: list[Part] = []
        if message.text:
            html = markdown_to_telegram_html(message.text)
            texts = split_message(html, limit=self.capabilities.max_text, markup="html")
            parts = [Part(text=t) for t in texts]
        parts.extend(Part(text="", document=doc) for doc in message.documents)
        if not parts:
            raise InvalidMessage("empty message")
        last = parts[-1]
        parts[-1] = Part(text=last.text, choices=message.choices, document=last.document)
        return parts

    async def send_part(self, address: Address, part: Part) -> str:
        """One part of an outbox delivery: bulk priority under the bot's budget. A 429 is
        raised as ``RateLimited`` (the row goes back to the queue for ``retry_after``)."""
        chat_id = int(address.chat_id)
        await self._upload_settled(part)
        async with self.pacer.sending(address.chat_id, is_group=chat_id < 0, priority=Priority.BULK):
            return await self._request(chat_id, part)

    async def _upload_settled(self, part: Part) -> None:
        """Wait, outside the pacer, while this part's file is being uploaded by another send:
        holding a slot meanwhile would keep replies waiting for the whole upload."""
        lock = self._uploading.get(part.document.ref) if part.document is not None else None
        if lock is not None and lock.locked():
            async with lock:
                pass

    async def _paced(self, address: Address, call: Callable[[], Awaitable[T]]) -> T:
        """One request of a direct reply: reply priority under the same budget, errors classified."""
        async with self.pacer.sending(address.chat_id, is_group=address.chat_id.startswith("-"),
                                      priority=Priority.REPLY):
            try:
                return await call()
            except tg_error.TelegramError as exc:
                raise self._classify(exc) from exc

    def _deadline(self) -> float:
        return time.monotonic() + self.reply_deadline

    async def _request(self, chat_id: int, part: Part) -> str:
        markup = _keyboard(part)
        try:
            if part.document is not None:
                msg = await self._send_document(chat_id, part, markup)
            else:
                msg = await self.bot.send_message(
                    chat_id, part.text, parse_mode=ParseMode.HTML, reply_markup=markup,
                    link_preview_options=NO_PREVIEW,
                )
        except tg_error.TelegramError as exc:
            raise self._classify(exc) from exc
        return str(msg.message_id)

    async def _send_document(self, chat_id: int, part: Part, markup: InlineKeyboardMarkup | None) -> Message:
        """Upload a stored file once; later recipients get Telegram's file_id (a decree's PDF
        to 3000 chats is one upload, not 3000)."""
        doc = part.document
        assert doc is not None
        key = doc.ref if doc.content is not None and doc.ref else ""
        if not key:
            return await self._upload(chat_id, part, markup, "")
        # Single flight: while the first copy uploads, the others (sent concurrently) wait for its id.
        async with self._uploading.setdefault(key, asyncio.Lock()):
            file_id = self._file_ids.get(key)
            if file_id is None:
                return await self._upload(chat_id, part, markup, key)
        try:
            return await self.bot.send_document(chat_id, document=file_id, caption=part.text[:CAPTION_LIMIT] or None,
                                                parse_mode=ParseMode.HTML, reply_markup=markup)
        except tg_error.BadRequest:  # the id is no longer accepted: upload again
            self._file_ids.pop(key, None)
            return await self._upload(chat_id, part, markup, key)

    async def _upload(self, chat_id: int, part: Part, markup: InlineKeyboardMarkup | None, key: str) -> Message:
        doc = part.document
        assert doc is not None
        msg = await self.bot.send_document(chat_id, document=doc.content or doc.ref, filename=doc.name,
                                           caption=part.text[:CAPTION_LIMIT] or None, parse_mode=ParseMode.HTML,
                                           reply_markup=markup)
        if key and msg.document is not None:
            self._file_ids[key] = msg.document.file_id
        return msg

    async def send(self, address: Address, message: Outbound) -> Sent:
        """A direct reply: every part in order, each retried after a 429 or a passing failure
        until ``reply_deadline``; then the error is raised with ``parts_sent`` set (the caller
        queues the rest in the outbox)."""
        ids: list[str] = []
        deadline = self._deadline()
        chat_id = int(address.chat_id)
        for part in self.render(message):
            await self._upload_settled(part)
            try:
                ids.append(await until_delivered(
                    lambda part=part: self._paced(address, lambda: self._request(chat_id, part)),  # type: ignore[misc]
                    deadline=deadline, what=f"reply to telegram:{chat_id}"))
            except SendError as exc:
                exc.parts_sent = len(ids)
                raise
        return Sent(tuple(ids))

    async def edit(self, address: Address, message_id: str, message: Outbound) -> None:
        parts = self.render(message)
        if len(parts) != 1 or parts[0].document is not None:
            await self.send(address, message)
            return
        part = parts[0]

        async def edit_text() -> None:
            try:
                await self._paced(address, lambda: self.bot.edit_message_text(
                    part.text, chat_id=int(address.chat_id), message_id=int(message_id),
                    parse_mode=ParseMode.HTML, reply_markup=_keyboard(part)))
            except InvalidMessage as exc:
                if "not modified" not in exc.reason.lower():
                    raise

        await until_delivered(edit_text, deadline=self._deadline(), what=f"edit in telegram:{address.chat_id}")

    async def edit_choices(self, address: Address, message_id: str, choices: tuple[tuple[Choice, ...], ...]) -> bool:
        async def edit_markup() -> None:
            await self._paced(address, lambda: self.bot.edit_message_reply_markup(
                chat_id=int(address.chat_id), message_id=int(message_id), reply_markup=_keyboard(Part("", choices))))

        try:
            await until_delivered(edit_markup, deadline=self._deadline(), what=f"buttons in telegram:{address.chat_id}")
        except SendError as exc:
            if "not modified" in exc.reason.lower():
                return True
            log.info("telegram: could not edit buttons of %s/%s: %s", address.chat_id, message_id, exc)
            return False
        return True

    async def answer_callback(self, inbound: Inbound, text: str = "") -> None:
        """Stop the button's spinner. Not a message: outside the message budget, so it never
        waits behind sends; a 429 on it is waited out while the press is still fresh
        (Telegram refuses answers to queries older than about 15 s)."""
        if not inbound.callback_id:
            return

        async def answer() -> None:
            try:
                await self.bot.answer_callback_query(inbound.callback_id, text=text[:200] or None)
            except tg_error.RetryAfter as exc:  # its own budget: the message pacer is not paused
                raise RateLimited(_seconds(exc.retry_after), str(exc)) from exc
            except tg_error.BadRequest as exc:  # (a NetworkError subclass in PTB: test it first)
                raise InvalidMessage(str(exc)) from exc
            except (tg_error.TimedOut, tg_error.NetworkError) as exc:
                raise Retryable(str(exc)) from exc
            except tg_error.TelegramError as exc:
                raise InvalidMessage(str(exc)) from exc

        try:
            await until_delivered(answer, deadline=time.monotonic() + CALLBACK_FRESH_FOR,
                                  what=f"callback answer in {inbound.address}")
        except SendError as exc:  # an old query: harmless, the press was handled
            log.debug("telegram: answerCallbackQuery failed: %s", exc)

    async def fetch_file(self, inbound: Inbound) -> bytes:
        if inbound.attachment is None:
            raise InvalidMessage("no file in this message")
        try:
            f = await self.bot.get_file(inbound.attachment.ref)
            return bytes(await f.download_as_bytearray())
        except tg_error.TelegramError as exc:
            raise self._classify(exc) from exc

    def invite_link(self, code: str) -> str | None:
        return f"https://t.me/{self.username}?start={code}" if self.username else None

    def _classify(self, exc: tg_error.TelegramError) -> SendError:
        """Map PTB's exception to the shared ``SendError`` family (order matters)."""
        if isinstance(exc, tg_error.RetryAfter):
            seconds = _seconds(exc.retry_after)
            self.pacer.pause(seconds)
            return RateLimited(seconds, str(exc))
        if isinstance(exc, tg_error.ChatMigrated):
            return AddressChanged(str(exc.new_chat_id), str(exc))
        if isinstance(exc, tg_error.Forbidden):
            return RecipientBlocked(str(exc))
        if isinstance(exc, tg_error.InvalidToken):
            return ChannelUnavailable(str(exc))
        if isinstance(exc, tg_error.BadRequest):
            text = str(exc).lower()
            if "chat not found" in text or "user is deactivated" in text:
                return RecipientBlocked(str(exc))
            return InvalidMessage(str(exc))
        if isinstance(exc, tg_error.TimedOut | tg_error.NetworkError):
            return Retryable(str(exc))
        return Retryable(str(exc))


def _seconds(retry_after: timedelta | float) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)


def _keyboard(part: Part) -> InlineKeyboardMarkup | None:
    if not part.choices:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(c.label, callback_data=c.payload) for c in row] for row in part.choices]
    )


async def fetch_username(token: str, api_base_url: str, timeout: float = 10.0) -> str | None:
    """Ask Telegram (getMe) who the bot is; None if it cannot say (printed links then show a placeholder)."""
    bot = Bot(token, base_url=f"{api_base_url.rstrip('/')}/bot")
    try:
        me = await asyncio.wait_for(bot.get_me(), timeout=timeout)
        return me.username
    except Exception as exc:
        log.warning("telegram: could not ask for the bot's username: %s", exc)
        return None
