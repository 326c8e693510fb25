"""Zalo Official Account adapter (OA Open API v3 + ZBS templates) on plain aiohttp.

The office's verified OA can do what the Bot Platform cannot: real buttons, files both
ways, and reaching a person who never wrote, by a pre-approved template. In exchange it
has rules the other channels do not: a rotating single-use refresh token, a consultation
window of seven days since the person last interacted, a signed webhook that must be
answered within 2 s. Facts and sources: /work/shared/domain/ZALO.md §2, §3.

Where the sources disagree (which secret signs the webhook, which id comes first) every
candidate is accepted and the one the platform used is logged once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import random
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from bot.channels.downloads import download
from bot.channels.numbered import MenuMemory, menu_text, picked
from bot.channels.zalo import _nesting_exceeds, _object_at, _SeenKeys
from bot.core import (
    Address,
    Attachment,
    Capabilities,
    ChannelUnavailable,
    Choice,
    Clock,
    Inbound,
    InboundKind,
    InboundSink,
    Inbox,
    InvalidMessage,
    MenuStore,
    Outbound,
    OutsideWindow,
    Pacer,
    Part,
    Priority,
    RateLimited,
    RecipientBlocked,
    Retryable,
    Route,
    SendError,
    Sent,
    SystemClock,
    TemplateRequest,
    TokenPair,
    nfc,
    until_delivered,
)
from bot.rendering.markup import markdown_to_plain
from bot.rendering.split import split_message
from bot.rendering.templates import render as render_template

log = logging.getLogger(__name__)

__all__ = ["SIGNATURE_HEADER", "OaApiError", "OaContacts", "TokenStore", "ZaloOaChannel"]

SIGNATURE_HEADER = "X-ZEvent-Signature"
MAX_TEXT = 2000
MAX_BUTTONS = 5
MAX_UPLOAD_FILE = 5 * 1024 * 1024
MAX_UPLOAD_IMAGE = 1024 * 1024
UPLOADABLE = {
    "application/pdf", "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
WINDOW = timedelta(days=7)
"""A consultation message is refused (-230) seven days after the person last interacted."""
MAX_WEBHOOK_BODY = 1024 * 1024
MAX_WEBHOOK_DEPTH = 32
MAX_FILE_BYTES = 20 * 1024 * 1024
REQUEST_TIMEOUT = 15.0
RATE_LIMIT_BASE = 5.0
"""-32 carries no retry-after; the limit is per minute, so a few seconds plus jitter."""
MORNING = dtime(6, 5)
"""Night rule (-234): template messages wait until 06:05 local time."""

PAYLOADS_PER_CHAT = 300
PAYLOAD_CHATS = 20_000
PHONE_CHAT = "phone:"
"""Outbox rows to a phone number, not yet a chat (an invitation by ZBS template)."""
TOKEN_CODES = {-216, -220}
WINDOW_CODES = {-213, -230, -232}
UNREACHABLE_CODES = {-227, -108, -118}
QUOTA_CODES = {-211, -144, -115, -137}
HUMAN_CODES = {-221, -223, -224, -240}


class OaApiError(Exception):
    """An answer whose ``error`` is not 0 (Zalo answers errors with HTTP 200)."""

    def __init__(self, what: str, code: int, message: str) -> None:
        super().__init__(f"{what}: {code} {message}")
        self.what = what
        self.code = code
        self.message = message


class TokenStore(Protocol):
    """Where the token pair lives (the database: every process sees it)."""

    async def current(self) -> TokenPair | None: ...

    async def rotate(self, stale: str, fresh_until: datetime,
                     refresh: Callable[[str], Awaitable[TokenPair]]) -> TokenPair:
        """Under a lock across processes: if the stored access token is not ``stale`` and
        lasts past ``fresh_until``, another process refreshed it — return it; else call
        ``refresh`` with the stored refresh token and commit the new pair before returning."""
        ...


class OaContacts(Protocol):
    """What the OA learns of its users, kept by the services (interaction times, follows,
    shared phone numbers, delivery and seen receipts)."""

    async def interacted(self, user_id: str, at: datetime) -> None: ...

    async def last_interaction(self, user_id: str) -> datetime | None: ...

    async def followed(self, user_id: str, at: datetime, *, following: bool) -> None: ...

    async def shared_phone(self, user_id: str, phone: str, at: datetime) -> None: ...

    async def seen(self, message_ids: list[str], at: datetime) -> None: ...

    async def received(self, message_ids: list[str], tracking_id: str, at: datetime) -> None: ...


class ZaloOaChannel:
    """A Zalo Official Account as a :class:`bot.core.Channel`, plus ``send_template``."""

    name = "zalo_oa"
    capabilities = Capabilities(max_text=MAX_TEXT, buttons=True, documents=True, edits=False)

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        secret_key: str,
        tokens: TokenStore,
        contacts: OaContacts | None = None,
        api_base_url: str = "https://openapi.zalo.me",
        oauth_base_url: str = "https://oauth.zaloapp.com",
        business_base_url: str = "https://business.openapi.zalo.me",
        webhook_path: str = "/zalo-oa/webhook",
        oa_id: str = "",
        pacer: Pacer | None = None,
        clock: Clock | None = None,
        timezone: str = "Asia/Ho_Chi_Minh",
        refresh_ahead: timedelta = timedelta(hours=5),
        part_delay: float = 0.5,
        reply_deadline: float = 60.0,
        on_unavailable: Callable[[str], Awaitable[None]] | None = None,
        link_for: Callable[[Attachment], str | None] | None = None,
        menus: MenuStore | None = None,
        inbox: Inbox | None = None,
        template_mode: str = "",
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.secret_key = secret_key
        self.tokens = tokens
        self.contacts = contacts
        self.api_base_url = api_base_url.rstrip("/")
        self.oauth_base_url = oauth_base_url.rstrip("/")
        self.business_base_url = business_base_url.rstrip("/")
        self.webhook_path = webhook_path
        self.oa_id = oa_id
        # 4 000 requests a minute per app (-32 beyond): stay at most at 60 a second.
        self.pacer = pacer or Pacer(60.0, per_chat_per_second=None, group_per_minute=None)
        self.clock = clock or SystemClock()
        self.tz = ZoneInfo(timezone)
        self.refresh_ahead = refresh_ahead
        """Refresh this long before the 25 h access token expires (ZALO.md: at about 20 h)."""
        self.part_delay = part_delay
        self.reply_deadline = reply_deadline
        self.on_unavailable = on_unavailable
        self.link_for = link_for
        self.menus: MenuStore = menus or MenuMemory()
        self.inbox = inbox
        self.template_mode = template_mode
        """"development" sends ZBS templates to the OA's admins only (testing before approval)."""
        self.max_file_bytes = MAX_FILE_BYTES
        self._pair: TokenPair | None = None
        self._session: aiohttp.ClientSession | None = None
        self._sink: InboundSink | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._chat_tails: dict[str, asyncio.Task[None]] = {}
        self._seen = _SeenKeys()
        self._receipt_shapes: dict[str, str] = {}
        self._next_in_chat: dict[str, float] = {}
        self._receiving = False
        self._unavailable: str = ""
        self._signature_variant = ""
        self._uploads: dict[str, tuple[str, float]] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self.sweep_every = 30.0
        self._payloads: dict[str, dict[str, None]] = {}  # chat → payloads of buttons shown, oldest first  # sha1 of bytes → (token, uploaded at)

    # ---- lifecycle -------------------------------------------------------------------------
    def register_routes(self, app: web.Application) -> None:
        app.router.add_post(self.webhook_path, self._on_webhook)

    async def start(self, sink: InboundSink, *, receive: bool = True) -> None:
        """Load (or obtain) the access token; a refused refresh token stops the channel here.
        Zalo unreachable at start is not fatal: the token is fetched again on the first send."""
        self._sink = sink
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT))
        try:
            await self._access_token()
        except ChannelUnavailable:
            await self._close_session()
            raise
        except Retryable as exc:
            log.warning("zalo_oa: could not get an access token yet (%s); trying again on the first send", exc)
        self._receiving = receive
        if receive and self.inbox is not None:
            self._sweeper = asyncio.create_task(self._sweep_loop(), name="zalo-oa-inbox-sweep")
        log.info("zalo_oa: app %s ready%s", self.app_id, f", webhook at {self.webhook_path}" if receive else
                 " for sending only")

    async def stop(self) -> None:
        self._receiving = False
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        if self._tasks:
            _done, pending = await asyncio.wait(list(self._tasks), timeout=10.0)
            for task in pending:
                task.cancel()
        await self._close_session()

    async def sweep(self) -> int:
        """Take up events kept but never handled (their process stopped mid-way): the
        webhook was answered 200, so Zalo will not send them again."""
        if self.inbox is None:
            return 0
        items = await self.inbox.orphans(self.name)
        for item, body in items:
            self._accept(body, item)
        return len(items)

    async def _sweep_loop(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_every)
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("zalo_oa: taking up kept events failed; trying again later")

    async def _close_session(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # ---- tokens ----------------------------------------------------------------------------
    async def _access_token(self) -> str:
        """The access token to use now; refreshed ahead of expiry, once for all senders."""
        if self._unavailable:
            raise ChannelUnavailable(self._unavailable)
        if self._pair is None:
            self._pair = await self.tokens.current()
        now = self.clock.now()
        if self._pair is None or not self._pair.access_token or self._pair.expires_at - now <= self.refresh_ahead:
            await self._rotate(self._pair.access_token if self._pair else "")
        assert self._pair is not None
        return self._pair.access_token

    async def _rotate(self, stale: str) -> None:
        try:
            self._pair = await self.tokens.rotate(stale, self.clock.now() + self.refresh_ahead, self._refresh)
        except LookupError as exc:  # no token row and no ZALO_OA_REFRESH_TOKEN to start one
            await self._fail(str(exc))
        except OaApiError as exc:
            await self._fail(f"Zalo OA refused the token refresh ({exc.code} {exc.message}); "
                             "put a new first refresh token in ZALO_OA_REFRESH_TOKEN")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Retryable(f"token refresh unreachable: {type(exc).__name__}") from exc

    async def _refresh(self, refresh_token: str) -> TokenPair:
        """One call to the OAuth endpoint. Its answer must be stored before it is used: the
        refresh token just sent is dead from now on."""
        assert self._session is not None
        form = {"refresh_token": refresh_token, "app_id": self.app_id, "grant_type": "refresh_token"}
        async with self._session.post(f"{self.oauth_base_url}/v4/oa/access_token", data=form,
                                      headers={"secret_key": self.app_secret}) as resp:
            raw = await resp.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict) or not body.get("access_token") or not body.get("refresh_token"):
            code = body.get("error") if isinstance(body, dict) else None
            name = (body.get("error_name") or body.get("message") or "") if isinstance(body, dict) else ""
            raise OaApiError("access_token", int(code) if isinstance(code, int) else -1,
                             str(name) or f"HTTP {resp.status}")
        try:
            seconds = int(str(body.get("expires_in") or 90000))
        except ValueError:
            seconds = 90000
        log.info("zalo_oa: access token refreshed (valid %d s)", seconds)
        return TokenPair(str(body["access_token"]), str(body["refresh_token"]),
                         self.clock.now() + timedelta(seconds=seconds))

    async def _fail(self, reason: str) -> None:
        """A refresh was refused: the channel stops sending (queued rows wait) and the
        admins hear of it on their other channels, once."""
        first = not self._unavailable
        self._unavailable = reason
        if first:
            log.error("zalo_oa: %s", reason)
            if self.on_unavailable is not None:
                try:
                    await self.on_unavailable(reason)
                except Exception:
                    log.exception("zalo_oa: the on_unavailable callback failed")
        raise ChannelUnavailable(reason)

    # ---- the HTTP API ----------------------------------------------------------------------
    async def _call(self, what: str, url: str, *, json_body: dict[str, Any] | None = None,
                    form: aiohttp.FormData | None = None) -> dict[str, Any]:
        """POST with the ``access_token`` header; -216/-220 → one refresh and one retry."""
        for attempt in (1, 2):
            token = await self._access_token()
            if self._session is None:
                raise ChannelUnavailable("zalo_oa channel is not started")
            try:
                async with self._session.post(url, json=json_body, data=form,
                                              headers={"access_token": token}) as resp:
                    status = resp.status
                    raw = await resp.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise Retryable(f"{what}: {type(exc).__name__}: {exc}") from None
            try:
                body = json.loads(raw)
            except (UnicodeDecodeError, ValueError):
                body = None
            if not isinstance(body, dict):
                raise Retryable(f"{what}: non-JSON answer (HTTP {status})")
            code = body.get("error", 0)
            try:
                code = int(code)
            except (TypeError, ValueError):
                code = -1
            if code == 0:
                data = body.get("data")
                return data if isinstance(data, dict) else {}
            if code in TOKEN_CODES and attempt == 1:
                log.info("zalo_oa: %s answered %s; refreshing the token once", what, code)
                await self._rotate(token)
                if form is not None:  # a FormData is spent once sent: the caller rebuilds it
                    raise _Again()
                continue
            raise OaApiError(what, code, str(body.get("message") or ""))
        raise AssertionError("unreachable")

    def _classify(self, exc: OaApiError) -> SendError:
        """Map an OA error to the shared ``SendError`` family (ZALO.md §2 errors, §3 actions)."""
        reason = f"{exc.code} {exc.message}".strip()
        if exc.code == -32:
            seconds = RATE_LIMIT_BASE + random.uniform(0, 3.0)
            self.pacer.pause(seconds)
            return RateLimited(seconds, f"rate limit: {reason}")
        if exc.code in WINDOW_CODES:
            return OutsideWindow(reason)
        if exc.code in UNREACHABLE_CODES:
            return RecipientBlocked(reason)
        if exc.code == -234:
            return RateLimited(self._until_morning(), f"night rule, rescheduled to 06:05: {reason}")
        if exc.code in QUOTA_CODES:
            return RateLimited(3600.0, f"quota exhausted, rescheduled in 1 h: {reason}")
        if exc.code in TOKEN_CODES:
            return ChannelUnavailable(f"access token refused after a refresh: {reason}")
        if exc.code in HUMAN_CODES:
            return ChannelUnavailable(f"the OA needs an administrator: {reason}")
        if exc.code in (-201, -131, -100, -210):
            return InvalidMessage(reason)
        return Retryable(reason)

    def _until_morning(self) -> float:
        now = self.clock.now().astimezone(self.tz)
        morning = now.replace(hour=MORNING.hour, minute=MORNING.minute, second=0, microsecond=0)
        if morning <= now:
            morning += timedelta(days=1)
        return (morning - now).total_seconds()

    # ---- receiving -------------------------------------------------------------------------
    def _verify(self, raw: bytes, body: dict[str, Any], given: str) -> str:
        """The name of the recipe whose digest matches the header ("" if none does)."""
        mac = given.strip().removeprefix("mac=").strip().lower()
        if not mac:
            return ""
        timestamp = str(body.get("timestamp") or "").encode()
        oa_id = self.oa_id or str(body.get("oa_id") or (body.get("recipient") or {}).get("id") or "")
        firsts = [("app_id", self.app_id), ("oa_id", oa_id)]
        secrets_ = [("oa_secret_key", self.secret_key), ("app_secret", self.app_secret)]
        for first_name, first in firsts:
            for secret_name, secret in secrets_:
                if not first or not secret:
                    continue
                digest = hashlib.sha256(first.encode() + raw + timestamp + secret.encode()).hexdigest()
                if hmac.compare_digest(digest, mac):
                    return f"{first_name}+body+timestamp+{secret_name}"
        return ""

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """Verify the raw body's signature, keep the event, answer 200 at once, work after."""
        if request.content_length is not None and request.content_length > MAX_WEBHOOK_BODY:
            return web.json_response({"error": -1, "message": "too large"}, status=413)
        raw = bytearray()
        async for chunk in request.content.iter_chunked(64 * 1024):
            raw.extend(chunk)
            if len(raw) > MAX_WEBHOOK_BODY:
                return web.json_response({"error": -1, "message": "too large"}, status=413)
        try:
            body = json.loads(bytes(raw))
        except (UnicodeDecodeError, ValueError, RecursionError):
            body = None
        if not isinstance(body, dict) or _nesting_exceeds(body, MAX_WEBHOOK_DEPTH):
            log.warning("zalo_oa: webhook body is not a JSON object from %s", request.remote)
            return web.json_response({"error": -1, "message": "unauthorized"}, status=401)
        variant = self._verify(bytes(raw), body, request.headers.get(SIGNATURE_HEADER, ""))
        if not variant:
            log.warning("zalo_oa: webhook with a missing or wrong signature from %s", request.remote)
            return web.json_response({"error": -1, "message": "unauthorized"}, status=401)
        if variant != self._signature_variant:
            self._signature_variant = variant
            log.info("zalo_oa: webhook signature matched as sha256(%s)", variant)
        if not self._receiving or self._sink is None:
            return web.json_response({"error": -1, "message": "not ready"}, status=503)
        key = _event_key(body)
        if not self._seen.first_time(key):
            log.info("zalo_oa: ignoring redelivered %s (num_retry %s)", key[0], request.headers.get("num_retry", "0"))
            return web.json_response({"error": 0, "message": "duplicate"})
        item = await self._keep(key, body)
        self._accept(body, item)
        return web.json_response({"error": 0, "message": "Success"})

    async def _keep(self, key: tuple[str, str], body: dict[str, Any]) -> int | None:
        if self.inbox is None:
            return None
        digest = hashlib.sha1(f"{self.name}:{key[0]}:{key[1]}".encode(), usedforsecurity=False).hexdigest()
        try:
            return await self.inbox.keep(self.name, digest, body)
        except Exception:
            log.exception("zalo_oa: could not keep event %s; handling it anyway", key)
            return None

    def _accept(self, body: dict[str, Any], item: int | None) -> None:
        user = _user_of(body)
        task = asyncio.create_task(self._handle(body, self._chat_tails.get(user), item), name=f"zalo-oa-{user}")
        self._chat_tails[user] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda t: self._chat_tails.pop(user) if self._chat_tails.get(user) is t else None)

    async def _handle(self, body: dict[str, Any], after: asyncio.Task[None] | None, item: int | None) -> None:
        """One event, after the chat's previous one: contacts first, then the handlers."""
        if after is not None:
            await asyncio.wait([after])
        try:
            await self._record(body)
            inbound = self.to_inbound(body)
            if inbound is not None:
                assert self._sink is not None
                inbound = await self._pressed(inbound)
                await self._sink(inbound)
        except Exception:
            log.exception("zalo_oa: handling %s failed", body.get("event_name"))
            return
        if item is not None and self.inbox is not None:
            try:
                await self.inbox.done(item)
            except Exception:
                log.warning("zalo_oa: could not mark kept event %s handled", item, exc_info=True)

    async def _record(self, body: dict[str, Any]) -> None:
        """What the event tells about the person: an interaction, a follow, a phone, a receipt."""
        if self.contacts is None:
            return
        event = str(body.get("event_name") or "")
        user = _user_of(body)
        at = self.clock.now()  # the clock that judges the 7-day window also dates it
        if not user:
            return
        if event == "follow":
            await self.contacts.followed(user, at, following=True)
            await self.contacts.interacted(user, at)
        elif event == "unfollow":
            await self.contacts.followed(user, at, following=False)
        elif event == "user_submit_info":
            await self.contacts.interacted(user, at)
            info = _object_at(body, "info")
            phone = str(info.get("phone") or "")
            if phone:
                await self.contacts.shared_phone(user, phone, at)
        elif event == "user_seen_message":
            await self.contacts.seen(self._receipt_ids(event, body), at)
        elif event == "user_received_message":
            message = _object_at(body, "message")
            await self.contacts.received(self._receipt_ids(event, body), str(message.get("tracking_id") or ""), at)
        elif event.startswith("user_"):
            await self.contacts.interacted(user, at)

    def _receipt_ids(self, event: str, body: dict[str, Any]) -> list[str]:
        """The message ids a receipt names. The sources do not settle the shape: a list
        ``message.msg_ids``, or one ``message.msg_id`` beside the ``tracking_id`` of a ZBS
        template's delivery webhook (ZALO.md §2 and §5). Both are read, and the log says
        which one the platform used."""
        message = _object_at(body, "message")
        many = message.get("msg_ids")
        if isinstance(many, list) and many:
            shape, ids = "msg_ids", [str(i) for i in many if i]
        elif message.get("msg_id"):
            shape, ids = "msg_id", [str(message["msg_id"])]
        else:
            shape, ids = "none", []
        if self._receipt_shapes.get(event) != shape:
            self._receipt_shapes[event] = shape
            log.info("zalo_oa: %s names its messages as message.%s", event, shape)
        return ids

    def to_inbound(self, body: dict[str, Any]) -> Inbound | None:
        """A user event as the neutral ``Inbound`` (None: nothing for the handlers)."""
        event = str(body.get("event_name") or "")
        if not event.startswith("user_send_"):
            return None
        user = _user_of(body)
        if not user:
            return None
        message = _object_at(body, "message")
        msg_id = str(message.get("msg_id") or "")
        common: dict[str, Any] = {"message_id": msg_id, "sender_id": user, "is_private": True,
                                  "received_at": _ms(body.get("timestamp"))}
        address = Address(self.name, user)
        attachments = message.get("attachments") if isinstance(message.get("attachments"), list) else []
        first = attachments[0] if attachments and isinstance(attachments[0], dict) else {}
        payload = _object_at(first, "payload")
        if event == "user_send_text":
            return Inbound.from_text(address, nfc(str(message.get("text") or "")).strip(), **common)
        if event == "user_send_file" and payload.get("url"):
            name = nfc(str(payload.get("name") or f"tep_{msg_id}"))
            try:
                size = int(str(payload.get("size") or 0))
            except ValueError:
                size = 0
            mime = _mime_of(name)
            att = Attachment(name=name, mime=mime, size=size, ref=str(payload["url"]))
            return Inbound(address=address, kind=InboundKind.FILE, attachment=att, **common)
        if event == "user_send_image" and payload.get("url"):
            att = Attachment(name=f"anh_{msg_id}.jpg", mime="image/jpeg", size=0, ref=str(payload["url"]))
            return Inbound(address=address, kind=InboundKind.FILE, attachment=att,
                           text=nfc(str(message.get("text") or "")), **common)
        return Inbound(address=address, kind=InboundKind.UNSUPPORTED, **common)

    async def _pressed(self, inbound: Inbound) -> Inbound:
        """A tapped ``oa.query.hide`` button arrives as text equal to its payload: if it is a
        payload of the buttons on screen it becomes that button's press; a typed number or
        label picks from a numbered list (more than five choices) as on the Bot Platform."""
        if inbound.kind is not InboundKind.TEXT:
            return inbound
        menu = await self.menus.recall(inbound.address)
        shown = self._payloads.get(inbound.address.chat_id, {})
        if (menu is not None and any(c.payload == inbound.text for c in menu.choices)) or inbound.text in shown:
            return replace(inbound, kind=InboundKind.CALLBACK, text="", payload=inbound.text)
        return await picked(self.menus, inbound)

    # ---- sending ---------------------------------------------------------------------------
    def render(self, message: Outbound) -> list[Part]:
        """Plain text ≤ 2000 a part; up to five choices as real buttons on the last part,
        more as a numbered list; each document its own part (an uploaded file, or its link)."""
        body = nfc(markdown_to_plain(message.text)).strip() if message.text else ""
        flat = message.flat_choices
        numbered_menu = len(flat) > MAX_BUTTONS
        menu = nfc(menu_text(flat, numbered=message.numbered)) if numbered_menu else ""
        docs: list[Part] = []
        for document in message.documents:
            if _uploadable(document):
                docs.append(Part(text="", document=document))
                continue
            link = self.link_for(document) if self.link_for else None
            body = f"{body}\n\n{_document_line(document, link)}".strip()
        if not body and not flat and not docs:
            raise InvalidMessage("empty message")
        texts = split_message(f"{body}\n\n{menu}".strip() if menu else body, limit=MAX_TEXT, markup="plain") \
            if (body or menu) else []
        if not texts and flat and not docs:
            texts = [self._choose_text()]
        parts = [Part(text=t) for t in texts]
        if flat and not docs:
            parts[-1] = Part(text=parts[-1].text, choices=message.choices, numbered=message.numbered)
        parts.extend(docs)
        if flat and docs:  # a file message takes no buttons: they come last, on a line of their own
            parts.append(Part(text=self._choose_text(), choices=message.choices, numbered=message.numbered))
        return parts

    @staticmethod
    def _choose_text() -> str:
        return nfc(markdown_to_plain(render_template("oa_choose")))

    async def send_part(self, address: Address, part: Part, *, reply: bool = False) -> str:
        """One consultation message. Outside the 7-day window (known from the last
        interaction, or said by the platform) raises ``OutsideWindow``; so does a row
        addressed ``phone:84…`` (a unit invited by phone has no chat yet)."""
        if address.chat_id.startswith(PHONE_CHAT):
            raise OutsideWindow("no chat yet: only a template by phone reaches this number")
        if not reply and self.contacts is not None:
            last = await self.contacts.last_interaction(address.chat_id)
            if last is not None and self.clock.now() - last > WINDOW:
                raise OutsideWindow(f"last interaction {last.isoformat()} is more than 7 days ago")
        if part.document is not None and part.choices:
            await self.send_part(address, replace(part, choices=()), reply=reply)
            part = Part(text=self._choose_text(), choices=part.choices, numbered=part.numbered)
        await self._space_in_chat(address.chat_id)
        try:
            async with self.pacer.sending(address.chat_id, priority=Priority.REPLY if reply else Priority.BULK):
                message = await self._message_of(part)
                data = await self._call("message/cs", f"{self.api_base_url}/v3.0/oa/message/cs",
                                        json_body={"recipient": {"user_id": address.chat_id}, "message": message})
        except OaApiError as exc:
            raise self._classify(exc) from exc
        flat = [c for row in part.choices for c in row]
        if flat and len(flat) <= MAX_BUTTONS:
            self._shown(address.chat_id, flat)
        if part.document is None:
            try:
                await self.menus.remember(address, flat, numbered=part.numbered)
            except Exception:
                log.exception("zalo_oa: could not remember the buttons shown in %s", address)
        return str(data.get("message_id") or "")

    async def _message_of(self, part: Part) -> dict[str, Any]:
        if part.document is not None:
            doc = part.document
            if doc.mime.startswith("image/"):
                attachment_id = await self._upload(doc, "image")
                return {"attachment": {"type": "template", "payload": {
                    "template_type": "media", "elements": [{"media_type": "image", "attachment_id": attachment_id}]}}}
            token = await self._upload(doc, "file")
            return {"attachment": {"type": "file", "payload": {"token": token}}}
        flat = [c for row in part.choices for c in row]
        message: dict[str, Any] = {"text": part.text}
        if flat and len(flat) <= MAX_BUTTONS:
            message["attachment"] = {"type": "template", "payload": {"buttons": [
                {"title": c.label[:100], "type": "oa.query.hide", "payload": c.payload} for c in flat]}}
        return message

    async def _upload(self, doc: Attachment, kind: str) -> str:
        """Upload once per content (5 000 uploads a month; assets live 7 days, keep 6)."""
        content = doc.content
        if content is None:
            raise InvalidMessage(f"no bytes for {doc.name}")
        digest = hashlib.sha1(content, usedforsecurity=False).hexdigest()
        known = self._uploads.get(digest)
        if known and time.time() - known[1] < 6 * 86400:
            return known[0]
        for _ in (1, 2):
            form = aiohttp.FormData()
            form.add_field("file", content, filename=doc.name or "tep", content_type=doc.mime or "application/pdf")
            try:
                data = await self._call(f"upload/{kind}", f"{self.api_base_url}/v2.0/oa/upload/{kind}", form=form)
                break
            except _Again:
                continue
        else:
            raise Retryable("upload kept failing on the token")
        value = str(data.get("attachment_id" if kind == "image" else "token") or "")
        if not value:
            raise Retryable(f"upload/{kind} answered without a token")
        self._uploads[digest] = (value, time.time())
        return value

    def _shown(self, chat_id: str, choices: list[Choice]) -> None:
        """Buttons stay on older messages: a tap on one (the "Đã nhận" of an announcement
        after a reminder came) must still count, so this process remembers the payloads of
        the last buttons each chat was shown, a few hundred per chat."""
        seen = self._payloads.pop(chat_id, {})
        for c in choices:
            seen.pop(c.payload, None)
            seen[c.payload] = None
        while len(seen) > PAYLOADS_PER_CHAT:
            del seen[next(iter(seen))]
        self._payloads[chat_id] = seen
        while len(self._payloads) > PAYLOAD_CHATS:
            del self._payloads[next(iter(self._payloads))]

    async def _space_in_chat(self, chat_id: str) -> None:
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
        """A reply to someone who just wrote (inside the window by definition)."""
        ids: list[str] = []
        deadline = time.monotonic() + self.reply_deadline
        for part in self.render(message):
            try:
                ids.append(await until_delivered(
                    lambda part=part: self.send_part(address, part, reply=True),  # type: ignore[misc]
                    deadline=deadline, what=f"reply to zalo_oa:{address.chat_id}"))
            except SendError as exc:
                exc.parts_sent = len(ids)
                raise
        return Sent(tuple(ids))

    async def send_template(self, address: Address | None, request: TemplateRequest) -> tuple[str, str]:
        """A ZBS template by Zalo user id, then by phone; returns (route, message id).

        Raises ``RecipientBlocked`` when neither reaches the person, ``RateLimited`` for the
        night rule (until 06:05), the rate limit and spent quotas."""
        reasons: list[str] = []
        data = {k: str(v) for k, v in request.data.items()}
        tracking = request.tracking_id or secrets.token_hex(8)
        if address is not None and address.chat_id and not address.chat_id.startswith(PHONE_CHAT):
            body: dict[str, Any] = {"user_id": address.chat_id, "template_id": request.template_id,
                                    "template_data": data, "tracking_id": tracking}
            try:
                async with self.pacer.sending(address.chat_id):
                    got = await self._call("message/template", f"{self.api_base_url}/v3.0/oa/message/template",
                                           json_body=body)
                return Route.TEMPLATE_UID, str(got.get("message_id") or got.get("msg_id") or "")
            except OaApiError as exc:
                err = self._classify(exc)
                if isinstance(err, RateLimited | ChannelUnavailable):
                    raise err from exc
                reasons.append(f"user id: {exc.code} {exc.message}")
        if request.phone:
            body = {"phone": request.phone, "template_id": request.template_id, "template_data": data,
                    "tracking_id": tracking}
            if self.template_mode:
                body["mode"] = self.template_mode
            try:
                async with self.pacer.sending(request.phone):
                    got = await self._call("business/template", f"{self.business_base_url}/message/template",
                                           json_body=body)
                return Route.TEMPLATE_PHONE, str(got.get("msg_id") or "")
            except OaApiError as exc:
                err = self._classify(exc)
                if isinstance(err, RateLimited | ChannelUnavailable):
                    raise err from exc
                reasons.append(f"phone: {exc.code} {exc.message}")
        else:
            reasons.append("no phone number")
        raise RecipientBlocked("; ".join(reasons))

    async def quota(self, user_id: str) -> dict[str, Any]:
        """The platform's own view of one user's window (``/v3.0/oa/quota/message``)."""
        try:
            return await self._call("quota/message", f"{self.api_base_url}/v3.0/oa/quota/message",
                                    json_body={"user_id": user_id})
        except OaApiError as exc:
            raise self._classify(exc) from exc

    async def edit(self, address: Address, message_id: str, message: Outbound) -> None:
        await self.send(address, message)

    async def edit_choices(self, address: Address, message_id: str, choices: tuple[tuple[Choice, ...], ...]) -> bool:
        return False

    async def answer_callback(self, inbound: Inbound, text: str = "") -> None:
        """Nothing to acknowledge: a button tap is a (hidden) message."""

    async def fetch_file(self, inbound: Inbound) -> bytes:
        """Download a file or photo the person sent (a Zalo CDN URL)."""
        return await download(self._session, inbound.attachment, max_bytes=self.max_file_bytes, channel="zalo_oa")

    def invite_link(self, code: str) -> str | None:
        """An OA chat has no deep link carrying a code: officers type ``/start CODE``."""
        return None

    def open_chat_url(self) -> str:
        """The link that opens the OA's chat (used in template buttons)."""
        return f"https://zalo.me/{self.oa_id}" if self.oa_id else "https://zalo.me"


class _Again(Exception):
    """A multipart body was spent on a request refused for its token: build it again."""


def _event_key(body: dict[str, Any]) -> tuple[str, str]:
    """(event, id) identifying one event across the platform's retries."""
    event = str(body.get("event_name") or "")
    message = _object_at(body, "message")
    ident = str(message.get("msg_id") or "") or f"{_user_of(body)}:{body.get('timestamp', '')}"
    return event, ident


def _user_of(body: dict[str, Any]) -> str:
    """The Zalo user an event is about (sender, follower, or recipient of a receipt)."""
    event = str(body.get("event_name") or "")
    for key in (("follower",) if event in ("follow", "unfollow") else
                ("recipient",) if event.startswith(("user_seen", "user_received")) else ("sender",)):
        part = body.get(key)
        if isinstance(part, dict) and part.get("id"):
            return str(part["id"])
    return str(body.get("user_id_by_app") or "")


def _ms(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(value)) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _mime_of(name: str) -> str:
    lower = name.lower()
    if lower.endswith(".pdf"):
        return "application/pdf"
    if lower.endswith(".docx"):
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if lower.endswith(".doc"):
        return "application/msword"
    if lower.endswith((".jpg", ".jpeg")):
        return "image/jpeg"
    if lower.endswith(".png"):
        return "image/png"
    return "application/octet-stream"


def _uploadable(doc: Attachment) -> bool:
    """PDF/DOC/DOCX ≤ 5 MB and JPG/PNG ≤ 1 MB go as files; anything else as a link."""
    if doc.content is None:
        return False
    size = len(doc.content)
    mime = doc.mime or _mime_of(doc.name)
    if mime in UPLOADABLE:
        return size <= MAX_UPLOAD_FILE
    if mime in ("image/jpeg", "image/png"):
        return size <= MAX_UPLOAD_IMAGE
    return False


def _document_line(doc: Attachment, link: str | None) -> str:
    """A file that cannot go as a file (too large, or not PDF/DOCX/image): its signed link."""
    return nfc(markdown_to_plain(render_template("oa_document", name=doc.name or "tệp", link=link)))
