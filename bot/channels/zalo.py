"""Zalo Bot Platform adapter on plain aiohttp (no third-party Zalo SDK).

The Bot API (``{base}/bot{token}/{method}``) looks like Telegram's but is poorer: no
buttons, no edits, no documents, one update per ``getUpdates`` and no offsets. So this
adapter shows buttons as a numbered menu and maps a typed "2" back to the button's
payload, splits long texts itself, tells people where to get a file it cannot send, and
deduplicates redelivered events. Facts: the Zalo Bot Platform documentation, https://bot.zaloplatforms.com/docs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import random
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import aiohttp
from aiohttp import web

from bot.channels.downloads import download
from bot.channels.numbered import MenuMemory, menu_text, picked
from bot.core import (
    Address,
    Attachment,
    Capabilities,
    ChannelUnavailable,
    Choice,
    Inbound,
    InboundKind,
    InboundSink,
    Inbox,
    InvalidMessage,
    MenuStore,
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
from bot.core.text import fold
from bot.rendering.markup import markdown_to_plain
from bot.rendering.split import split_message

log = logging.getLogger(__name__)

__all__ = ["SECRET_HEADER", "ZaloApiError", "ZaloChannel"]

SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_TEXT = 2000
"""Zalo's documented limit per text, in characters."""
MAX_WEBHOOK_BODY = 1024 * 1024
MAX_WEBHOOK_DEPTH = 32
"""Deepest nesting a webhook body may have; a real Zalo update nests four or five levels."""
"""Real updates are a few hundred bytes; anything near this is abuse, not a message."""
MAX_FILE_BYTES = 20 * 1024 * 1024
DEDUP_TTL = 7 * 24 * 3600.0
"""Zalo may redeliver an event; remember what we handled for as long as a retry can come."""
DEDUP_MAX_KEYS = 200_000
REQUEST_TIMEOUT = 15.0
RATE_LIMIT_BASE = 3.0
"""Zalo's 429 carries no retry-after; wait a few seconds (plus jitter so senders spread out)."""
RATE_LIMIT_JITTER = 2.0

_BLOCKED_HINTS = (
    "not interacted",
    "never interacted",
    "has not interact",
    "chat not found",
    "user not found",
    "blocked",
)
"""Fragments of a 400 description meaning "this person cannot be reached" (wording unverified)."""
_TOKEN_IN_URL = re.compile(r"/bot[^/\s]+/")


class ZaloApiError(Exception):
    """An answer that is not ``{"ok": true}``: Zalo's ``error_code`` (or the HTTP status) and text."""

    def __init__(self, method: str, code: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"{method}: {code} {description}")
        self.method = method
        self.code = code
        self.description = description
        self.retry_after = retry_after


class _NetworkError(Exception):
    """The request never got an answer (connection refused, reset, timed out)."""


class _SeenKeys:
    """Keys handled recently, forgotten after ``ttl`` seconds and capped at ``max_keys``.

    A cheap first filter within this process; across restarts and replicas the dispatcher's
    durable ledger drops a redelivery by its message id (``Inbound.key``).

    Insertion order equals time order (one TTL for all), so expired keys are always at the
    front of the OrderedDict and pruning is cheap.
    """

    def __init__(self, ttl: float = DEDUP_TTL, max_keys: int = DEDUP_MAX_KEYS) -> None:
        self.ttl = ttl
        self.max_keys = max_keys
        self._keys: OrderedDict[tuple[str, str], float] = OrderedDict()

    def first_time(self, key: tuple[str, str]) -> bool:
        """Record ``key``; True if it was not seen within the TTL."""
        now = time.monotonic()
        while self._keys:
            oldest, expires = next(iter(self._keys.items()))
            if expires > now and len(self._keys) < self.max_keys:
                break
            del self._keys[oldest]
        if key in self._keys:
            return False
        self._keys[key] = now + self.ttl
        return True

    def __len__(self) -> int:
        return len(self._keys)


class ZaloChannel:
    """The Zalo Bot Platform as a :class:`bot.core.Channel`."""

    name = "zalo"
    capabilities = Capabilities(max_text=MAX_TEXT, buttons=False, documents=False, edits=False, receives_documents=False)

    def __init__(
        self,
        token: str,
        *,
        api_base_url: str = "https://bot-api.zaloplatforms.com",
        mode: str = "polling",
        webhook_url: str = "",
        webhook_secret: str = "",
        pacer: Pacer | None = None,
        poll_timeout: int = 30,
        part_delay: float = 0.5,
        on_unavailable: Callable[[str], Awaitable[None]] | None = None,
        link_for: Callable[[Attachment], str | None] | None = None,
        reply_deadline: float = 60.0,
        menus: MenuStore | None = None,
        inbox: Inbox | None = None,
        sweep_every: float = 30.0,
        leadership: Leadership | None = None,
        follower_retry: float = 2.0,
    ) -> None:
        if mode not in ("polling", "webhook"):
            raise ValueError(f"zalo: mode must be 'polling' or 'webhook', not {mode!r}")
        self.token = token
        self.api_base_url = api_base_url.rstrip("/")
        self.mode = mode
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        # No published rate: stay well below anything that could trigger 429. Zalo has no
        # per-chat rule we know of; ``part_delay`` spaces messages within a chat instead.
        self.pacer = pacer or Pacer(5.0, per_chat_per_second=None, group_per_minute=None)
        self.poll_timeout = poll_timeout
        self.part_delay = part_delay
        self.reply_deadline = reply_deadline
        """How long a direct reply is retried (429, network) before it goes to the outbox."""
        self.on_unavailable = on_unavailable
        self.link_for = link_for
        self.max_file_bytes = MAX_FILE_BYTES
        # What a typed "2" means per chat; ``bot.app`` injects the durable store (restarts keep it).
        self.menus: MenuStore = menus or MenuMemory()
        # Updates kept before they are taken (Zalo never sends one again); ``bot.app`` injects it.
        self.inbox = inbox
        self.sweep_every = sweep_every
        self._sweeper: asyncio.Task[None] | None = None
        # Only one process may long-poll: two would split a chat's messages between them.
        self.leadership: Leadership = leadership or AlwaysLeader()
        self.follower_retry = follower_retry
        self._polling = False
        self.me: dict[str, Any] = {}
        self._session: aiohttp.ClientSession | None = None
        self._sink: InboundSink | None = None
        self._poller: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._chat_tails: dict[str, asyncio.Task[None]] = {}
        self._seen = _SeenKeys()
        self._next_in_chat: dict[str, float] = {}
        self._unavailable_reported = False
        self._receiving = False

    # ---- lifecycle -------------------------------------------------------------------------
    def register_routes(self, app: web.Application) -> None:
        """Add the webhook route before the web app starts (aiohttp freezes routes then)."""
        if self.mode == "webhook":
            app.router.add_post(self.webhook_path, self._on_webhook)

    @property
    def webhook_path(self) -> str:
        return urlparse(self.webhook_url).path or "/zalo/webhook"

    async def start(self, sink: InboundSink, *, receive: bool = True) -> None:
        """Check the token (getMe), then receive by long polling or by webhook."""
        self._sink = sink
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT))
        try:
            me = await self._call("getMe")
            self.me = me if isinstance(me, dict) else {}
            if not receive:
                log.info("zalo: %s connected for sending only", self._bot_label())
            elif self.mode == "webhook":
                await self._call("setWebhook", {"url": self.webhook_url, "secret_token": self.webhook_secret})
                self._receiving = True
                log.info("zalo: %s receiving by webhook at %s", self._bot_label(), self.webhook_url)
            else:
                if await self.leadership.try_acquire():
                    await self._start_polling()
                self._receiving = True
                self._poller = asyncio.create_task(self._poll(), name="zalo-poll")
                log.info("zalo: %s receiving by long polling%s", self._bot_label(),
                         "" if self._polling else " once no other process polls it")
            if receive and self.inbox is not None:
                self._sweeper = asyncio.create_task(self._sweep_loop(), name="zalo-inbox-sweep")
        except ZaloApiError as exc:
            await self._close_session()
            if exc.code == 401:
                raise ChannelUnavailable(
                    "Zalo refused the bot token (401): check ZALO_BOT_TOKEN, it may have been reset"
                ) from exc
            raise ChannelUnavailable(f"Zalo API refused {exc.method}: {exc.code} {exc.description}") from exc
        except _NetworkError as exc:
            await self._close_session()
            raise ChannelUnavailable(f"Zalo API unreachable: {exc}") from exc

    async def stop(self) -> None:
        """Stop polling, let in-flight events finish (briefly), close the HTTP session."""
        self._receiving = False
        if self._sweeper:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        if self._poller:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        if self._tasks:
            _done, pending = await asyncio.wait(list(self._tasks), timeout=10.0)
            for task in pending:
                task.cancel()
        self._polling = False
        with contextlib.suppress(Exception):
            await self.leadership.release()
        await self._close_session()

    async def _close_session(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def bot_info(self) -> dict[str, Any]:
        """Who the bot is (getMe), for logs and health checks. Raises a ``SendError``."""
        try:
            result = await self._call("getMe")
        except ZaloApiError as exc:
            raise await self._classify(exc) from exc
        except _NetworkError as exc:
            raise Retryable(str(exc)) from exc
        return result if isinstance(result, dict) else {}

    def _bot_label(self) -> str:
        return str(self.me.get("display_name") or self.me.get("account_name") or self.me.get("id") or "bot")

    # ---- the HTTP API ----------------------------------------------------------------------
    async def _call(self, method: str, params: dict[str, Any] | None = None, *, timeout: float | None = None) -> Any:
        """POST one Bot API method; returns ``result`` or raises ZaloApiError / _NetworkError.

        The JSON body is read before the HTTP status: errors come as ``{"ok":false,...}`` with
        the status equal to the code, and an edge proxy may answer HTML instead of JSON.
        """
        if self._session is None:
            raise ChannelUnavailable("zalo channel is not started")
        url = f"{self.api_base_url}/bot{self.token}/{method}"
        kwargs: dict[str, Any] = {"json": params or {}}
        if timeout is not None:
            kwargs["timeout"] = aiohttp.ClientTimeout(total=timeout)
        try:
            async with self._session.post(url, **kwargs) as resp:
                status = resp.status
                raw = await resp.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            # ``from None``: the original may quote the URL, and the URL holds the token.
            raise _NetworkError(self._redact(f"{type(exc).__name__}: {exc}")) from None
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, ValueError):
            body = None
        if not isinstance(body, dict):
            raise ZaloApiError(method, status if status >= 400 else 502, f"non-JSON answer (HTTP {status})")
        if body.get("ok") is True:
            return body.get("result")
        code = body.get("error_code")
        if not isinstance(code, int) or isinstance(code, bool):
            try:
                code = int(str(code))
            except ValueError:
                code = status
        # Undocumented on Zalo, but honour a Telegram-style hint should it ever appear.
        hint = body.get("parameters")
        retry_after = hint.get("retry_after") if isinstance(hint, dict) else None
        raise ZaloApiError(
            method,
            code,
            str(body.get("description") or body.get("message") or ""),
            float(retry_after) if isinstance(retry_after, int | float) else None,
        )

    def _redact(self, text: str) -> str:
        """Never let the token (it is in every URL) reach a log line or an error message."""
        text = _TOKEN_IN_URL.sub("/bot***/", text)
        return text.replace(self.token, "***") if self.token else text

    # ---- receiving -------------------------------------------------------------------------
    async def _start_polling(self) -> None:
        """This process has just become the one that polls: polling and a webhook exclude each other."""
        await self._call("deleteWebhook")
        self._polling = True
        log.info("zalo: this process now polls %s", self._bot_label())

    async def _poll(self) -> None:
        """Long-poll forever: one update per call, 408 means "nothing yet"; never die on errors.

        Only while this process holds the polling lock (``leadership``): a follower asks for
        it every ``follower_retry`` seconds and takes over when the leader goes away.
        """
        backoff = 1.0
        loop = asyncio.get_running_loop()
        waiting_logged = False
        while True:
            if not await self.leadership.try_acquire():
                if self._polling:
                    log.warning("zalo: lost the polling lock; another process polls %s now", self._bot_label())
                    self._polling = False
                elif not waiting_logged:
                    log.info("zalo: another process polls %s; this one takes over if it stops", self._bot_label())
                waiting_logged = True
                await asyncio.sleep(self.follower_retry)
                continue
            waiting_logged = False
            if not self._polling:
                try:
                    await self._start_polling()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("zalo: deleteWebhook failed (%s); retrying in %.0fs", self._redact(str(exc)), backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 30.0)
                    continue
            began = loop.time()
            try:
                result = await self._call(
                    "getUpdates", {"timeout": str(self.poll_timeout)}, timeout=self.poll_timeout + 10
                )
                backoff = 1.0
            except asyncio.CancelledError:
                raise
            except ZaloApiError as exc:
                if exc.code == 408:
                    backoff = 1.0
                    if loop.time() - began < 0.5:  # an instant "nothing" must not become a busy loop
                        await asyncio.sleep(1.0)
                    continue
                if exc.code == 401:
                    log.error("zalo: the bot token was refused (401); polling stopped")
                    await self._report_unavailable("Zalo refused the bot token (401); the Zalo channel stopped")
                    return
                log.warning("zalo: getUpdates failed (%s %s); retrying in %.0fs", exc.code, exc.description, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            except Exception as exc:  # network trouble or a bug: wait and go on, never die
                log.warning("zalo: getUpdates failed (%s); retrying in %.0fs", self._redact(str(exc)), backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            # Documented as one object; accept a list too in case the platform changes.
            for update in result if isinstance(result, list) else [result]:
                if isinstance(update, dict):
                    self._accept(update, await self._keep(update))

    async def _keep(self, update: dict[str, Any]) -> int | None:
        """Store the update before taking it (answering the webhook, or returning from
        getUpdates, is Zalo's last word on it); a store that fails never stops the update."""
        if self.inbox is None:
            return None
        event, message_id = _ids(update)
        if not message_id:
            return None
        key = hashlib.sha1(f"{self.name}:{event}:{message_id}".encode(), usedforsecurity=False).hexdigest()
        try:
            return await self.inbox.keep(self.name, key, update)
        except Exception:
            log.exception("zalo: could not keep update %s %s; handling it anyway", event, message_id)
            return None

    async def sweep(self) -> int:
        """Take up updates kept but never handled (their process stopped mid-way)."""
        if self.inbox is None:
            return 0
        items = await self.inbox.orphans(self.name)
        for item, update in items:
            self._accept(update, item, again=True)
        return len(items)

    async def _sweep_loop(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_every)
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("zalo: taking up kept updates failed; trying again later")

    def _accept(self, update: dict[str, Any], item: int | None = None, *, again: bool = False) -> None:
        """Dedupe, translate and hand one update to the sink as a task (created in arrival order).

        ``again``: a kept update taken up after its process stopped; the in-memory filter
        must not drop it (the dispatcher's ledger drops it if it was in fact handled)."""
        event, message_id = _ids(update)
        if not again and message_id and not self._seen.first_time((event, message_id)):
            log.info("zalo: ignoring redelivered %s %s", event, message_id)
            return
        inbound = self.to_inbound(update)
        if inbound is None:
            log.debug("zalo: ignoring update %s", event or "(no event_name)")
            if item is not None:
                self._done_later(item)
            return
        # One task per update: the webhook answers at once. A chat's tasks run one after the
        # other, so each typed number is read against the menu the previous message left on screen.
        chat = inbound.address.chat_id
        task = asyncio.create_task(self._deliver(inbound, self._chat_tails.get(chat), item),
                                   name=f"zalo-in-{inbound.message_id}")
        self._chat_tails[chat] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda t: self._chat_tails.pop(chat) if self._chat_tails.get(chat) is t else None)

    async def _deliver(self, inbound: Inbound, after: asyncio.Task[None] | None = None,
                       item: int | None = None) -> None:
        assert self._sink is not None
        if after is not None:
            await asyncio.wait([after])  # its own failure was logged there
        try:
            inbound = await picked(self.menus, inbound)
            await self._sink(inbound)
        except Exception:  # left undone in the inbox: taken up again later
            log.exception("zalo: handling %s failed", inbound.address)
            return
        if item is not None:
            await self._done(item)

    async def _done(self, item: int) -> None:
        assert self.inbox is not None
        try:
            await self.inbox.done(item)
        except Exception:  # taken up again later; the ledger then drops it as handled
            log.warning("zalo: could not mark kept update %s handled", item, exc_info=True)

    def _done_later(self, item: int) -> None:
        task = asyncio.create_task(self._done(item))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """Verify the shared secret, take the update, answer 200 well within Zalo's 2 s."""
        given = request.headers.get(SECRET_HEADER, "")
        if not self.webhook_secret or not hmac.compare_digest(given.encode(), self.webhook_secret.encode()):
            log.warning("zalo: webhook call with a missing or wrong secret from %s", request.remote)
            return web.json_response({"ok": False, "error": "unauthorized"}, status=401)
        if not self._receiving:  # not started yet, or stopping: let Zalo deliver it again later
            return web.json_response({"ok": False, "error": "not ready"}, status=503)
        if request.content_length is not None and request.content_length > MAX_WEBHOOK_BODY:
            return web.json_response({"ok": False, "error": "too large"}, status=413)
        raw = bytearray()
        async for chunk in request.content.iter_chunked(64 * 1024):
            raw.extend(chunk)
            if len(raw) > MAX_WEBHOOK_BODY:
                return web.json_response({"ok": False, "error": "too large"}, status=413)
        try:
            body = json.loads(bytes(raw))
        except (UnicodeDecodeError, ValueError, RecursionError):
            # RecursionError: "[[[[…" a few thousand deep exhausts the parser's stack.
            return web.json_response({"ok": False, "error": "bad json"}, status=400)
        if _nesting_exceeds(body, MAX_WEBHOOK_DEPTH):
            # Shallower than the parser's limit is still too deep to keep (json.dumps into the
            # inbox recurses too) and no real update nests like that.
            return web.json_response({"ok": False, "error": "too deep"}, status=400)
        update = _unwrap(body)
        if update is None:
            log.warning("zalo: webhook body without an update: %s", bytes(raw[:200]).decode(errors="replace"))
            return web.json_response({"ok": False, "error": "no update"}, status=400)
        self._accept(update, await self._keep(update))
        return web.json_response({"ok": True})

    def to_inbound(self, update: dict[str, Any]) -> Inbound | None:
        """Translate a Zalo update into the neutral ``Inbound`` (None: not a chat message)."""
        message = update.get("message")
        if not isinstance(message, dict):
            return None
        chat = _object_at(message, "chat")
        sender = _object_at(message, "from")
        chat_id = str(chat.get("id") or sender.get("id") or "")
        if not chat_id:
            return None
        address = Address(self.name, chat_id)
        message_id = str(message.get("message_id") or "")
        common: dict[str, Any] = {
            "message_id": message_id,
            "sender_name": nfc(str(sender.get("display_name") or "")),
            "sender_id": str(sender.get("id") or ""),
            "is_private": str(chat.get("chat_type") or "PRIVATE").upper() == "PRIVATE",
            "received_at": _ms_to_datetime(message.get("date")),
        }
        event = str(update.get("event_name") or "")
        if event == "message.text.received":
            # A typed pick of the menu on screen becomes a button press on delivery (``picked``).
            return Inbound.from_text(address, nfc(str(message.get("text") or "")).strip(), **common)
        if event == "message.image.received":
            url = str(message.get("photo") or message.get("photo_url") or "")
            if url:
                att = Attachment(name=f"anh_{message_id}.jpg", mime="image/jpeg", size=0, ref=url)
                return Inbound(address=address, kind=InboundKind.FILE, attachment=att,
                               text=nfc(message.get("caption")), **common)
        # Stickers, voice notes, protected senders, anything new: the handlers ask for text.
        return Inbound(address=address, kind=InboundKind.UNSUPPORTED, **common)

    # ---- sending ---------------------------------------------------------------------------
    def render(self, message: Outbound) -> list[Part]:
        """Plain text, the menu as numbered lines in the last part, every part ≤ 2000 chars."""
        body = nfc(markdown_to_plain(message.text)).strip() if message.text else ""
        for document in message.documents:
            link = self.link_for(document) if self.link_for else None
            doc = document if link is None else replace(document, ref=link)
            body = f"{body}\n\n{_document_line(doc)}".strip()
        flat = message.flat_choices
        menu = nfc(menu_text(flat, numbered=message.numbered)) if flat else ""
        if not body and not menu:
            raise InvalidMessage("empty message")
        texts = self._split_with_menu(body, menu)
        parts = [Part(text=t) for t in texts]
        parts[-1] = Part(text=texts[-1], choices=message.choices, numbered=message.numbered)
        return parts

    def _split_with_menu(self, body: str, menu: str) -> list[str]:
        """Split so the whole menu sits at the end of the last part (a half menu is unusable)."""
        limit = self.capabilities.max_text
        if not menu:
            return split_message(body, limit=limit, markup="plain")
        if not body:
            return split_message(menu, limit=limit, markup="plain")
        texts = split_message(f"{body}\n\n{menu}", limit=limit, markup="plain")
        if texts[-1].endswith(menu) and all(len(t) <= limit for t in texts):
            return texts
        room = limit - len(menu) - 2
        if room < 200:  # an absurdly long menu: keep everything, even if the menu breaks
            log.warning("zalo: a menu of %d characters cannot fit in one message", len(menu))
            return texts
        texts = split_message(body, limit=room, markup="plain")
        texts[-1] = f"{texts[-1]}\n\n{menu}"
        return texts

    async def send_part(self, address: Address, part: Part, *, reply: bool = False) -> str:
        """Send one part (paced, spaced within the chat); remember the menu it shows.

        Replies to someone who just wrote go first (``Priority.REPLY``) under the same
        budget as broadcasts: a conversation never queues behind a decree, and a burst of
        replies never goes faster than the rate."""
        await self._space_in_chat(address.chat_id)
        try:
            async with self.pacer.sending(address.chat_id, priority=Priority.REPLY if reply else Priority.BULK):
                result = await self._call("sendMessage", {"chat_id": address.chat_id, "text": part.text})
        except ZaloApiError as exc:
            raise await self._classify(exc) from exc
        except _NetworkError as exc:
            raise Retryable(str(exc)) from exc
        # Only now did the person see these options; a message without any forgets the old
        # menu, so a bare number typed later is never taken for a stale choice.
        flat = [c for row in part.choices for c in row]
        try:
            await self.menus.remember(address, flat, numbered=part.numbered)
        except Exception:  # the message went out: failing the send now would send it twice
            log.exception("zalo: could not remember the menu shown in %s", address)
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return str(message_id or "")

    async def _space_in_chat(self, chat_id: str) -> None:
        """Keep ``part_delay`` between messages to one chat, so split parts arrive in order.

        The outbox calls ``send_part`` once per part, so the spacing has to live here rather
        than in ``send``. Slots are reserved before sleeping: concurrent senders queue up.
        """
        if self.part_delay <= 0:
            return
        now = time.monotonic()
        slot = max(now, self._next_in_chat.get(chat_id, 0.0))
        self._next_in_chat[chat_id] = slot + self.part_delay
        if len(self._next_in_chat) > 10_000:
            self._next_in_chat = {k: v for k, v in self._next_in_chat.items() if v > now}
        if slot > now:
            await asyncio.sleep(slot - now)

    async def send(self, address: Address, message: Outbound) -> Sent:
        """Every part in order (spaced by ``part_delay``), each retried after a 429 ("Quota
        exceeded") or a passing failure until ``reply_deadline``; then the error is raised
        with ``parts_sent`` set, and the caller queues the rest in the outbox."""
        ids: list[str] = []
        deadline = time.monotonic() + self.reply_deadline
        for part in self.render(message):
            try:
                ids.append(await until_delivered(
                    lambda part=part: self.send_part(address, part, reply=True),  # type: ignore[misc]
                    deadline=deadline, what=f"reply to zalo:{address.chat_id}"))
            except SendError as exc:
                exc.parts_sent = len(ids)
                raise
        return Sent(tuple(ids))

    async def edit(self, address: Address, message_id: str, message: Outbound) -> None:
        """Zalo cannot edit a sent message: send the new version instead."""
        await self.send(address, message)

    async def edit_choices(self, address: Address, message_id: str, choices: tuple[tuple[Choice, ...], ...]) -> bool:
        return False

    async def answer_callback(self, inbound: Inbound, text: str = "") -> None:
        """Nothing to acknowledge: the "button press" was a message this adapter translated."""

    async def fetch_file(self, inbound: Inbound) -> bytes:
        """Download the photo an inbound event points at (Zalo CDN URL; no token needed)."""
        return await download(self._session, inbound.attachment, max_bytes=self.max_file_bytes, channel="zalo")

    def invite_link(self, code: str) -> str | None:
        """Zalo bots have no deep links: officers open the bot and type ``/start CODE``."""
        return None

    # ---- errors ----------------------------------------------------------------------------
    async def _classify(self, exc: ZaloApiError) -> SendError:
        """Map a Zalo error to the shared ``SendError`` family (ZALO.md §1 codes, §3 actions)."""
        reason = f"{exc.code} {exc.description}".strip()
        if exc.code == 429:
            seconds = exc.retry_after or RATE_LIMIT_BASE
            seconds += random.uniform(0, RATE_LIMIT_JITTER)
            self.pacer.pause(seconds)
            return RateLimited(seconds, reason)
        if exc.code == 401:
            await self._report_unavailable("Zalo refused the bot token (401); nothing can be sent on Zalo")
            return ChannelUnavailable(reason)
        if exc.code == 400:
            text = fold(exc.description)
            if any(hint in text for hint in _BLOCKED_HINTS):
                return RecipientBlocked(reason)
            return InvalidMessage(exc.description or reason)
        return Retryable(reason)  # 403 ("internal error"), 404, 408, 5xx, non-JSON pages

    async def _report_unavailable(self, reason: str) -> None:
        """Tell the app once that the token is gone (it alerts the admins); never raise."""
        if self._unavailable_reported:
            return
        self._unavailable_reported = True
        log.error("zalo: %s", reason)
        if self.on_unavailable is None:
            return
        try:
            await self.on_unavailable(reason)
        except Exception:
            log.exception("zalo: the on_unavailable callback failed")


def _ids(update: dict[str, Any]) -> tuple[str, str]:
    """(event_name, message_id) of an update; message_id "" where it has none."""
    message = update.get("message")
    event = str(update.get("event_name") or "")
    return event, str(message.get("message_id") or "") if isinstance(message, dict) else ""


def _object_at(parent: dict[str, Any], key: str) -> dict[str, Any]:
    """The JSON object under ``key``, or an empty one when it is missing or not an object:
    a platform's update is read field by field, and a malformed one reads as empty."""
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def _nesting_exceeds(value: Any, limit: int) -> bool:
    """Whether parsed JSON nests deeper than ``limit`` arrays/objects (iterative: a body
    that nests deeply must not exhaust the stack while it is being measured)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _unwrap(body: Any) -> dict[str, Any] | None:
    """Both envelopes seen in the wild: ``{"ok":true,"result":{...}}`` and bare ``{event_name,...}``."""
    if not isinstance(body, dict):
        return None
    if "event_name" in body:
        return body
    result = body.get("result")
    if isinstance(result, dict) and "event_name" in result:
        return result
    return None


def _ms_to_datetime(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _document_line(doc: Attachment) -> str:
    """Zalo bots cannot send files: say which file it was and where to get it."""
    name = nfc(doc.name) or "tệp đính kèm"
    if urlparse(doc.ref).scheme in ("http", "https"):
        return f"📎 Tệp đính kèm: {name}\nTải về tại (liên kết có hạn 7 ngày): {doc.ref}"
    return (f"📎 Tệp đính kèm: {name}\n"
            "Zalo không gửi được tệp; vui lòng nhận tệp qua Telegram hoặc tại văn phòng.")
