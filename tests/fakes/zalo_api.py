"""A fake Zalo Bot Platform API: a real aiohttp server on 127.0.0.1 for tests.

The Zalo adapter is an ordinary aiohttp client with a configurable base URL.
Pointing it at this server (instead of mocking our own code) exercises the
real request encoding, response parsing, error classification and webhook
verification paths. The wire format follows /work/shared/domain/ZALO.md §1
and §5, which were compiled from secondary sources; where they are silent
the choices below are marked "assumed" so a recorded fixture can overrule
them later.

Typical use::

    async with FakeZalo() as zalo:
        adapter = ZaloAdapter(token=zalo.token, base_url=zalo.base_url)
        await zalo.push_text("u1", "/start ABC123")
        await zalo.wait_for(lambda: zalo.messages_to("u1"))

Users "write" with ``push_*``: the update is queued for ``getUpdates`` or,
once ``setWebhook`` was called, POSTed to the webhook with the
``X-Bot-Api-Secret-Token`` header, exactly as Zalo's servers would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from aiohttp import ClientSession, ClientTimeout, hdrs, web
from multidict import MultiDictProxy

__all__ = ["FakeZalo", "WebhookDelivery", "ZaloSent"]

T = TypeVar("T")

MAX_TEXT = 2000
"""Zalo's documented limit per text or caption, in characters."""

SECRET_HEADER = "X-Bot-Api-Secret-Token"

SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendSticker", "sendChatAction"})
"""Methods that count against ``rate_per_second``: everything that pushes to a chat."""

_BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)
"""What a load balancer answers when the backend is gone; adapters must survive non-JSON."""


def _hex_id() -> str:
    """A 20-hex-character id, the shape Zalo uses for message and user ids."""
    return secrets.token_hex(10)


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class ZaloSent:
    """One accepted outbound call, as the bot's users would have seen it.

    ``text`` holds the message text for ``sendMessage`` and the caption for
    ``sendPhoto``, so assertions on "what the user read" need one field.
    ``at`` is ``time.monotonic()`` on arrival, for pacing assertions (the
    adapter should space chunks about 0.5 s apart).
    """

    method: str
    chat_id: str
    text: str | None = None
    photo: str | None = None
    sticker: str | None = None
    action: str | None = None
    parse_mode: str | None = None
    message_id: str | None = None
    date: int | None = None
    at: float = 0.0
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookDelivery:
    """One POST the fake made to the registered webhook, kept for latency and header assertions."""

    url: str
    body: dict[str, Any]
    secret: str | None
    status: int
    elapsed: float


@dataclass
class _Fault:
    method: str
    error_code: int
    description: str
    chat_id: str | None
    remaining: int
    http_status: int


class _BadRequest(Exception):
    """Raised inside method handlers to answer ``{"ok":false,...}`` with HTTP 400."""

    def __init__(self, description: str, error_code: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.error_code = error_code


class FakeZalo:
    """In-process Zalo Bot API server plus the "users" who talk to the bot.

    Args:
        token: the only token accepted in ``/bot{token}/{method}``.
        rate_per_second: if set, more send calls than this within any sliding
            1 s window are answered 429 "Quota exceeded" (Zalo publishes no
            number, only the error).
        require_prior_message: reject sends to a chat that never wrote to the
            bot, since the platform only lets a bot reach ``chat_id``s it
            learned from an inbound update.
        latency: seconds added before every API answer; mutable at runtime.
        duplicate_server_header: emit two ``Server`` headers, as Zalo's edge
            does, to prove the client tolerates them.
    """

    def __init__(
        self,
        token: str = "12345689:zalo-test-token",
        *,
        rate_per_second: float | None = None,
        require_prior_message: bool = True,
        latency: float = 0.0,
        duplicate_server_header: bool = False,
        bot_display_name: str = "Bot TĐKT",
        webhook_timeout: float = 10.0,
    ) -> None:
        self.token = token
        self.rate_per_second = rate_per_second
        self.require_prior_message = require_prior_message
        self.latency = latency
        self.duplicate_server_header = duplicate_server_header
        self.bot_id = token.split(":", 1)[0]
        self.bot_display_name = bot_display_name
        self.webhook_timeout = webhook_timeout

        self.sent: list[ZaloSent] = []
        self.deliveries: list[WebhookDelivery] = []
        self.requests: Counter[str] = Counter()
        self.http_429 = 0
        self.known_chats: set[str] = set()
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.webhook_updated_at: int | None = None

        self._updates: deque[dict[str, Any]] = deque()
        self._update_arrived = asyncio.Event()
        self._closing = False
        self._faults: list[_Fault] = []
        self._revoked = False
        self._down_remaining = 0
        self._down_status = 502
        self._down_served = 0
        self._send_times: deque[float] = deque()
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._port: int | None = None
        self._methods: dict[str, Callable[[dict[str, Any]], Awaitable[web.Response]]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendSticker": self._send_sticker,
            "sendChatAction": self._send_chat_action,
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind an ephemeral port on 127.0.0.1 so parallel test runs never collide."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._bad_path)
        app.on_response_prepare.append(self._add_server_headers)
        # A short shutdown timeout: a held getUpdates must not stall teardown. handler_cancellation:
        # a long poll whose client went away (the bot stopped) must not take the next update
        # with it: an update is handed only to a getUpdates that can still receive it.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        self._session = ClientSession(timeout=ClientTimeout(total=self.webhook_timeout))
        self._closing = False

    async def stop(self) -> None:
        """Release held long polls first, then the client session and the socket."""
        self._closing = True
        self._update_arrived.set()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeZalo:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``; the adapter appends ``/bot{token}/{method}``."""
        if self._port is None:
            raise RuntimeError("FakeZalo is not started")
        return f"http://127.0.0.1:{self._port}"

    def url(self, method: str, token: str | None = None) -> str:
        """Full endpoint URL, a convenience for tests that speak raw HTTP."""
        return f"{self.base_url}/bot{token if token is not None else self.token}/{method}"

    # ------------------------------------------------------------------ users

    async def push_text(
        self,
        chat_id: str,
        text: str,
        *,
        display_name: str = "Nguyễn Văn A",
        chat_type: str = "PRIVATE",
        message_id: str | None = None,
        from_id: str | None = None,
        wrapped: bool = True,
    ) -> dict[str, Any]:
        """A user sends text. Returns the bare update ``{event_name, message}``."""
        return await self._push(
            "message.text.received",
            chat_id,
            {"text": text},
            display_name=display_name,
            chat_type=chat_type,
            message_id=message_id,
            from_id=from_id,
            wrapped=wrapped,
        )

    async def push_image(
        self,
        chat_id: str,
        photo_url: str,
        *,
        field: str = "photo",
        caption: str | None = None,
        display_name: str = "Nguyễn Văn A",
        chat_type: str = "PRIVATE",
        message_id: str | None = None,
        from_id: str | None = None,
        wrapped: bool = True,
    ) -> dict[str, Any]:
        """A user sends a picture; ``field`` is ``photo`` or ``photo_url`` because sources disagree."""
        if field not in ("photo", "photo_url"):
            raise ValueError("field must be 'photo' or 'photo_url'")
        content: dict[str, Any] = {field: photo_url}
        if caption is not None:
            content["caption"] = caption
        return await self._push(
            "message.image.received",
            chat_id,
            content,
            display_name=display_name,
            chat_type=chat_type,
            message_id=message_id,
            from_id=from_id,
            wrapped=wrapped,
        )

    async def push_sticker(
        self,
        chat_id: str,
        sticker: str = "0e078a2fb66a5f34067b",
        *,
        url: str | None = "https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid=1",
        display_name: str = "Nguyễn Văn A",
        chat_type: str = "PRIVATE",
        message_id: str | None = None,
        from_id: str | None = None,
        wrapped: bool = True,
    ) -> dict[str, Any]:
        """A user sends a sticker (``sticker`` id plus optional ``url``, per the Bot docs)."""
        content: dict[str, Any] = {"sticker": sticker}
        if url is not None:
            content["url"] = url
        return await self._push(
            "message.sticker.received",
            chat_id,
            content,
            display_name=display_name,
            chat_type=chat_type,
            message_id=message_id,
            from_id=from_id,
            wrapped=wrapped,
        )

    async def push_unsupported(
        self,
        chat_id: str,
        *,
        display_name: str = "Nguyễn Văn A",
        chat_type: str = "PRIVATE",
        message_id: str | None = None,
        from_id: str | None = None,
        wrapped: bool = True,
    ) -> dict[str, Any]:
        """A protected sender (e.g. a child) or an unsupported type: the event carries no content."""
        return await self._push(
            "message.unsupported.received",
            chat_id,
            {},
            display_name=display_name,
            chat_type=chat_type,
            message_id=message_id,
            from_id=from_id,
            wrapped=wrapped,
        )

    async def push_voice(
        self,
        chat_id: str,
        voice_url: str = "https://voice-talk.zadn.vn/sample.aac",
        *,
        display_name: str = "Nguyễn Văn A",
        chat_type: str = "PRIVATE",
        message_id: str | None = None,
        from_id: str | None = None,
        wrapped: bool = True,
    ) -> dict[str, Any]:
        """A voice note; undocumented by Zalo but observed by hermes-zalo-bot as ``voice_url``."""
        return await self._push(
            "message.voice.received",
            chat_id,
            {"voice_url": voice_url},
            display_name=display_name,
            chat_type=chat_type,
            message_id=message_id,
            from_id=from_id,
            wrapped=wrapped,
        )

    async def post_webhook(
        self, body: Any, secret: str | None, *, url: str | None = None, raw: bytes | None = None
    ) -> int:
        """POST anything to the webhook with any (or no) secret; for forged-request tests.

        ``raw`` bypasses JSON encoding, to test non-JSON or oversized bodies.
        """
        target = url or self.webhook_url
        if target is None:
            raise AssertionError("post_webhook: no webhook registered and no url given")
        return await self._post(target, body, secret, raw=raw)

    async def redeliver(self, update: dict[str, Any], *, wrapped: bool = True) -> int | None:
        """Deliver the same event again, as Zalo may. Returns the HTTP status, or None if queued."""
        bare = update["result"] if "result" in update and "event_name" not in update else update
        return await self._deliver(bare, wrapped=wrapped)

    @property
    def pending_updates(self) -> int:
        """Updates queued for getUpdates and not yet fetched."""
        return len(self._updates)

    @property
    def last_delivery_status(self) -> int | None:
        """HTTP status of the latest webhook POST; push_* return the update, not the status."""
        return self.deliveries[-1].status if self.deliveries else None

    # ------------------------------------------------------------------ assertions

    def messages_to(self, chat_id: str) -> list[ZaloSent]:
        """Messages (not chat actions) the chat received, in order."""
        return [s for s in self.sent if s.chat_id == chat_id and s.method != "sendChatAction"]

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Poll ``predicate()`` until truthy and return its value; on timeout fail with a state dump.

        Polling (10 ms) rather than events keeps this usable with predicates
        over any state, including the test's own objects.
        """
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise AssertionError(f"wait_for timed out after {timeout}s\n{self.dump()}")
            await asyncio.sleep(0.01)

    def dump(self) -> str:
        """A readable summary of what the fake saw, for failure messages."""
        lines = [
            f"requests: {dict(self.requests)}",
            f"http_429: {self.http_429}",
            f"webhook: {self.webhook_url!r}",
            f"pending updates: {len(self._updates)}",
            f"known chats: {sorted(self.known_chats)}",
            f"sent ({len(self.sent)}):",
        ]
        for s in self.sent[-30:]:
            body = s.text if s.text is not None else (s.photo or s.sticker or s.action)
            lines.append(f"  {s.method} -> {s.chat_id}: {body!r}")
        lines.append(f"deliveries ({len(self.deliveries)}):")
        lines.extend(f"  {d.status} {d.body}" for d in self.deliveries[-10:])
        return "\n".join(lines)

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        *,
        error_code: int,
        description: str,
        chat_id: str | None = None,
        times: int = 1,
        http_status: int | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (to ``chat_id`` if given) with this error.

        HTTP status defaults to ``error_code`` when that is a valid status,
        mirroring the documented codes (400/401/403/404/408/429).
        """
        if http_status is None:
            http_status = error_code if 400 <= error_code <= 599 else 400
        self._faults.append(_Fault(method, error_code, description, chat_id, times, http_status))

    def revoke_token(self) -> None:
        """Simulate a reset token: every later call answers 401 Unauthorized."""
        self._revoked = True

    def restore_token(self) -> None:
        """Undo ``revoke_token``."""
        self._revoked = False

    def set_down(self, n: int, status: int = 502) -> None:
        """The next ``n`` calls fail at the "edge": alternately an HTML page and a JSON error."""
        self._down_remaining = n
        self._down_status = status

    # ------------------------------------------------------------------ HTTP plumbing

    async def _add_server_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        if self.duplicate_server_header:
            response.headers.popall(hdrs.SERVER, None)
            response.headers.add(hdrs.SERVER, "nginx")
            response.headers.add(hdrs.SERVER, "ZaloEdge")

    def _json(self, payload: Mapping[str, Any], status: int = 200) -> web.Response:
        if status == 429:
            self.http_429 += 1
        return web.Response(
            status=status,
            text=json.dumps(payload, ensure_ascii=False),
            content_type="application/json",
        )

    def _error(self, error_code: int, description: str, http_status: int | None = None) -> web.Response:
        return self._json(
            {"ok": False, "error_code": error_code, "description": description},
            status=http_status if http_status is not None else error_code,
        )

    def _ok(self, result: Any) -> web.Response:
        return self._json({"ok": True, "result": result})

    async def _bad_path(self, request: web.Request) -> web.Response:
        self.requests["<bad path>"] += 1
        return self._error(400, "Bad Request: invalid path")

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.requests[method] += 1
        if self.latency > 0:
            await asyncio.sleep(self.latency)

        if self._down_remaining > 0:
            self._down_remaining -= 1
            self._down_served += 1
            if self._down_served % 2 == 1:
                return web.Response(
                    status=self._down_status, text=_BAD_GATEWAY_HTML, content_type="text/html"
                )
            return self._error(self._down_status, "Bad Gateway")

        if self._revoked or request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        handler = self._methods.get(method)
        if handler is None:
            return self._error(400, "Bad Request: method not found")

        try:
            params = await self._params(request)
        except _BadRequest as exc:
            return self._error(exc.error_code, exc.description)

        fault = self._take_fault(method, params.get("chat_id"))
        if fault is not None:
            return self._error(fault.error_code, fault.description, fault.http_status)

        if method in SEND_METHODS and not self._admit_send():
            return self._error(429, "Quota exceeded")

        try:
            return await handler(params)
        except _BadRequest as exc:
            return self._error(exc.error_code, exc.description)

    async def _params(self, request: web.Request) -> dict[str, Any]:
        """Merge query string and body: Zalo accepts query, form, multipart and JSON alike."""
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            ctype = request.content_type
            if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form: MultiDictProxy[Any] = await request.post()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
            else:
                raw = await request.read()
                if raw.strip():
                    try:
                        body = json.loads(raw)
                    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                        raise _BadRequest("Bad Request: invalid JSON body") from exc
                    if not isinstance(body, dict):
                        raise _BadRequest("Bad Request: body must be a JSON object")
                    params.update(body)
        # Zalo ids are strings; a client sending a number should not be punished here.
        if params.get("chat_id") is not None:
            params["chat_id"] = str(params["chat_id"])
        return params

    def _take_fault(self, method: str, chat_id: str | None) -> _Fault | None:
        for fault in self._faults:
            if fault.method == method and (fault.chat_id is None or fault.chat_id == chat_id):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _admit_send(self) -> bool:
        """Sliding 1 s window; rejected calls do not consume quota."""
        if self.rate_per_second is None:
            return True
        now = time.monotonic()
        while self._send_times and now - self._send_times[0] >= 1.0:
            self._send_times.popleft()
        if len(self._send_times) >= self.rate_per_second:
            return False
        self._send_times.append(now)
        return True

    # ------------------------------------------------------------------ methods

    async def _get_me(self, params: dict[str, Any]) -> web.Response:
        return self._ok(
            {
                "id": self.bot_id,
                "account_name": f"bot.{self.bot_id}",
                "account_type": "BASIC",
                "can_join_groups": False,
                "display_name": self.bot_display_name,
            }
        )

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        """Long poll: hold until one update arrives or ``timeout`` seconds pass (then 408)."""
        if self.webhook_url is not None:
            raise _BadRequest("Bad Request: getUpdates is not available while a webhook is set")
        try:
            timeout = max(0.0, float(str(params.get("timeout", "30"))))
        except ValueError as exc:
            raise _BadRequest("Bad Request: timeout must be a number of seconds") from exc
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._updates:
                return self._ok(self._updates.popleft())
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing:
                return self._error(408, "Request timeout")
            self._update_arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_arrived.wait(), remaining)

    async def _set_webhook(self, params: dict[str, Any]) -> web.Response:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        parts = urlsplit(url)
        local_http = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
        if not parts.hostname or not (parts.scheme == "https" or local_http):
            raise _BadRequest("Bad Request: url must be a valid HTTPS URL")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            raise _BadRequest("Bad Request: secret_token must be 8-256 characters")
        self.webhook_url = url
        self.webhook_secret = secret
        self.webhook_updated_at = _now_ms()
        return self._ok({"url": url, "updated_at": self.webhook_updated_at})

    async def _delete_webhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook_url = None
        self.webhook_secret = None
        self.webhook_updated_at = _now_ms()
        return self._ok({"url": "", "updated_at": self.webhook_updated_at})

    async def _get_webhook_info(self, params: dict[str, Any]) -> web.Response:
        if self.webhook_url is None:
            return self._error(404, "Not found")
        return self._ok({"url": self.webhook_url, "updated_at": self.webhook_updated_at})

    def _require_chat(self, params: dict[str, Any]) -> str:
        chat_id = params.get("chat_id")
        if not chat_id:
            raise _BadRequest("Bad Request: chat_id is required")
        if self.require_prior_message and chat_id not in self.known_chats:
            # Assumed wording: the platform only lets a bot reach chats it learned from an update.
            raise _BadRequest("Bad Request: chat not found or user has not interacted with the bot")
        return str(chat_id)

    @staticmethod
    def _check_length(value: str, name: str) -> None:
        if len(value) > MAX_TEXT:
            raise _BadRequest(f"Bad Request: {name} is too long (max {MAX_TEXT} characters)")

    def _record(self, method: str, chat_id: str, params: dict[str, Any], **fields: Any) -> ZaloSent:
        sent = ZaloSent(
            method=method,
            chat_id=chat_id,
            parse_mode=params.get("parse_mode"),
            at=time.monotonic(),
            params=dict(params),
            **fields,
        )
        self.sent.append(sent)
        return sent

    async def _send_message(self, params: dict[str, Any]) -> web.Response:
        chat_id = self._require_chat(params)
        text = params.get("text")
        text = "" if text is None else str(text)
        if not text.strip():
            raise _BadRequest("Bad Request: text is empty")
        self._check_length(text, "text")
        sent = self._record("sendMessage", chat_id, params, text=text, message_id=_hex_id(), date=_now_ms())
        return self._ok({"message_id": sent.message_id, "date": sent.date})

    async def _send_photo(self, params: dict[str, Any]) -> web.Response:
        chat_id = self._require_chat(params)
        photo = str(params.get("photo") or "")
        if urlsplit(photo).scheme not in ("http", "https") or not urlsplit(photo).hostname:
            raise _BadRequest("Bad Request: photo must be an http(s) URL")
        caption = params.get("caption")
        if caption is not None:
            caption = str(caption)
            self._check_length(caption, "caption")
        sent = self._record(
            "sendPhoto", chat_id, params, text=caption, photo=photo, message_id=_hex_id(), date=_now_ms()
        )
        return self._ok({"message_id": sent.message_id, "date": sent.date})

    async def _send_sticker(self, params: dict[str, Any]) -> web.Response:
        chat_id = self._require_chat(params)
        sticker = params.get("sticker")
        if not sticker:
            raise _BadRequest("Bad Request: sticker is required")
        sent = self._record(
            "sendSticker", chat_id, params, sticker=str(sticker), message_id=_hex_id(), date=_now_ms()
        )
        return self._ok({"message_id": sent.message_id, "date": sent.date})

    async def _send_chat_action(self, params: dict[str, Any]) -> web.Response:
        """The Bot docs show a bare ``{"ok":true}`` here, without ``result``."""
        chat_id = self._require_chat(params)
        action = str(params.get("action") or "")
        if action not in ("typing", "upload_photo"):
            raise _BadRequest("Bad Request: unknown action")
        self._record("sendChatAction", chat_id, params, action=action)
        return self._json({"ok": True})

    # ------------------------------------------------------------------ delivery

    async def _push(
        self,
        event_name: str,
        chat_id: str,
        content: dict[str, Any],
        *,
        display_name: str,
        chat_type: str,
        message_id: str | None,
        from_id: str | None,
        wrapped: bool,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "from": {"id": from_id or chat_id, "display_name": display_name, "is_bot": False},
            "chat": {"id": chat_id, "chat_type": chat_type},
            **content,
            "message_id": message_id or _hex_id(),
            "date": _now_ms(),
        }
        update = {"event_name": event_name, "message": message}
        # The user wrote first, so from now on the bot may message this chat.
        self.known_chats.add(chat_id)
        await self._deliver(update, wrapped=wrapped)
        return update

    async def _deliver(self, update: dict[str, Any], *, wrapped: bool) -> int | None:
        """Webhook if one is registered (polling and webhook are mutually exclusive), else queue."""
        if self.webhook_url is None:
            self._updates.append(update)
            self._update_arrived.set()
            return None
        body = {"ok": True, "result": update} if wrapped else update
        return await self._post(self.webhook_url, body, self.webhook_secret)

    async def _post(self, url: str, body: Any, secret: str | None, *, raw: bytes | None = None) -> int:
        if self._session is None:
            raise RuntimeError("FakeZalo is not started")
        headers = {hdrs.CONTENT_TYPE: "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        started = time.monotonic()
        async with self._session.post(url, data=data, headers=headers) as resp:
            await resp.read()
            status = resp.status
        self.deliveries.append(
            WebhookDelivery(
                url=url,
                body=body if isinstance(body, dict) else {},
                secret=secret,
                status=status,
                elapsed=time.monotonic() - started,
            )
        )
        return status
