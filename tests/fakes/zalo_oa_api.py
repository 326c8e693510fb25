"""A fake Zalo Official Account platform: OAuth, OA Open API v3, ZBS templates, webhooks.

A real aiohttp server on 127.0.0.1 that speaks the wire format of
/work/shared/domain/ZALO.md §2 and §5 (itself compiled from secondary sources; choices
the sources leave open are marked "assumed"). Three hosts in reality, three path prefixes
here, each given to the adapter as its own base URL:

* ``{root}/oauth``     — ``oauth.zaloapp.com``: ``POST /v4/oa/access_token`` (form, header
  ``secret_key``); the refresh token is single-use and rotates, a reused one is refused;
* ``{root}/openapi``   — ``openapi.zalo.me``: ``/v3.0/oa/message/cs``, ``/v3.0/oa/message/template``
  (ZBS by user id), ``/v3.0/oa/quota/message``, ``/v2.0/oa/upload/file|image``; every call needs
  the header ``access_token`` (``Bearer`` counts as missing) and answers HTTP 200 with
  ``{"error","message","data"}``;
* ``{root}/business``  — ``business.openapi.zalo.me``: ``/message/template`` (ZBS by phone).

People act through ``push_*``: the event is POSTed to the webhook URL with
``X-ZEvent-Signature: mac=sha256(app_id + raw_body + timestamp + secret)`` and delivered
again (header ``num_retry``) when the bot does not answer 200 in time, as Zalo does.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import ClientSession, ClientTimeout, web

__all__ = ["FakeZaloOA", "OASent", "OAUser"]

T = TypeVar("T")

MAX_TEXT = 2000
MAX_BUTTONS = 5
BUTTON_TYPES = frozenset({"oa.open.url", "oa.query.show", "oa.query.hide", "oa.open.phone", "oa.open.sms"})
MAX_FILE = 5 * 1024 * 1024
MAX_IMAGE = 1024 * 1024
FILE_TYPES = {"application/pdf", "application/msword",
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
WINDOW_MS = 7 * 24 * 3600 * 1000
ACCESS_TTL = 90000  # 25 h, sent as a string like the platform does
RATE_LIMIT_PER_MIN = 4000
PHONE = re.compile(r"84\d{9}")


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class OAUser:
    """A Zalo user as the OA knows them."""

    user_id: str
    last_interaction_ms: int
    follower: bool = True
    phone: str = ""
    """The phone Zalo has for this user (ZBS by phone reaches it); "" if none."""
    uid_template_ok: bool = True
    """Whether a ZBS template by user id reaches them (assumed: needs a follower that shared consent)."""


@dataclass(frozen=True)
class OASent:
    """One message the platform accepted, as the person would see it."""

    kind: str  # "cs" | "template_uid" | "template_phone"
    user_id: str
    text: str = ""
    buttons: tuple[tuple[str, str, Any], ...] = ()  # (title, type, payload)
    file_token: str = ""
    attachment_id: str = ""
    template_id: str = ""
    template_data: dict[str, Any] = field(default_factory=dict)
    phone: str = ""
    tracking_id: str = ""
    message_id: str = ""
    at: float = 0.0


def _envelope(error: int = 0, message: str = "Success", data: Any = None) -> web.Response:
    body: dict[str, Any] = {"error": error, "message": message}
    if data is not None:
        body["data"] = data
    return web.json_response(body)


class FakeZaloOA:
    """The OA platform for one app and one OA, with scenario knobs for every error code."""

    def __init__(self, *, app_id: str = "1234567890123456789", app_secret: str = "app-secret-ABCDEF",
                 oa_secret_key: str = "oa-secret-KEY-123", oa_id: str = "579745863508352884",
                 sign_with: str = "oa_secret", id_first: str = "app_id",
                 rate_per_minute: int | None = RATE_LIMIT_PER_MIN, retry_delays: tuple[float, ...] = (0.3, 0.6),
                 webhook_timeout: float = 2.0, refresh_delay: float = 0.0) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.oa_secret_key = oa_secret_key
        self.oa_id = oa_id
        self.sign_with = sign_with
        self.id_first = id_first
        self.rate_per_minute = rate_per_minute
        self.retry_delays = retry_delays
        self.webhook_timeout = webhook_timeout
        self.refresh_delay = refresh_delay
        self.refresh_token = "rt-" + secrets.token_hex(8)
        """The one refresh token valid now; give it to the bot as its first."""
        self.used_refresh_tokens: set[str] = set()
        self.access_tokens: dict[str, float] = {}  # token → expires at (time.time())
        self.refreshes = 0
        self.users: dict[str, OAUser] = {}
        self.sent: list[OASent] = []
        self.uploads: dict[str, tuple[str, int, bytes]] = {}  # token/attachment id → (name, size, bytes)
        self.approved_templates: set[str] = set()
        self.night = False
        """When True, template messages are refused with -234 (the 22:00–06:00 rule)."""
        self.fail_next: dict[str, deque[int]] = {}
        """Per endpoint ("cs", "template_uid", "template_phone", "upload"): error codes to answer next."""
        self.requests: Counter[str] = Counter()
        self.rate_limited = 0
        self._window: deque[float] = deque()
        self.webhook_url = ""
        self.webhook_posts: list[tuple[int, int]] = []  # (num_retry, HTTP status answered)
        self.files: dict[str, tuple[bytes, str]] = {}  # served at {root}/files/{name}
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.root = ""

    # ---- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_post("/oauth/v4/oa/access_token", self._oauth)
        app.router.add_post("/openapi/v3.0/oa/message/cs", self._cs)
        app.router.add_post("/openapi/v3.0/oa/message/template", self._template_uid)
        app.router.add_post("/openapi/v3.0/oa/message/transaction", self._discontinued)
        app.router.add_post("/openapi/v3.0/oa/message/promotion", self._discontinued)
        app.router.add_post("/openapi/v2.0/oa/message", self._v2_dead)
        app.router.add_post("/openapi/v3.0/oa/quota/message", self._quota)
        app.router.add_post("/openapi/v2.0/oa/upload/file", self._upload_file)
        app.router.add_post("/openapi/v2.0/oa/upload/image", self._upload_image)
        app.router.add_post("/business/message/template", self._template_phone)
        app.router.add_get("/files/{name}", self._serve_file)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.root = f"http://127.0.0.1:{port}"
        self._client = ClientSession(timeout=ClientTimeout(total=self.webhook_timeout))

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeZaloOA:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def oauth_base_url(self) -> str:
        return f"{self.root}/oauth"

    @property
    def api_base_url(self) -> str:
        return f"{self.root}/openapi"

    @property
    def business_base_url(self) -> str:
        return f"{self.root}/business"

    # ---- people --------------------------------------------------------------------------
    def user(self, user_id: str, *, days_ago: float = 0.0, follower: bool = True, phone: str = "",
             uid_template_ok: bool = True) -> OAUser:
        """Create (or reset) a user who last interacted ``days_ago`` days ago."""
        u = OAUser(user_id, _now_ms() - int(days_ago * 86400_000), follower, phone, uid_template_ok)
        self.users[user_id] = u
        return u

    def messages_to(self, user_id: str) -> list[OASent]:
        return [m for m in self.sent if m.user_id == user_id]

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is now past its 25 h."""
        for token in self.access_tokens:
            self.access_tokens[token] = 0.0

    # ---- OAuth ---------------------------------------------------------------------------
    async def _oauth(self, request: web.Request) -> web.Response:
        self.requests["oauth"] += 1
        if request.headers.get("secret_key") != self.app_secret:
            return web.json_response({"error": -14003, "error_name": "Invalid secret key",
                                      "error_description": "secret_key header is missing or wrong"})
        form = await request.post()
        if form.get("app_id") != self.app_id:
            return web.json_response({"error": -14001, "error_name": "Invalid app id"})
        if form.get("grant_type") != "refresh_token":
            return web.json_response({"error": -14002, "error_name": "Invalid grant type"})
        given = str(form.get("refresh_token") or "")
        if self.refresh_delay:
            await asyncio.sleep(self.refresh_delay)
        if given in self.used_refresh_tokens or given != self.refresh_token:
            return web.json_response({"error": -14014, "error_name": "Invalid refresh token",
                                      "error_description": "Refresh token is invalid or has been used"})
        self.used_refresh_tokens.add(given)
        self.refreshes += 1
        access = "at-" + secrets.token_hex(12)
        self.access_tokens[access] = time.time() + ACCESS_TTL
        self.refresh_token = "rt-" + secrets.token_hex(8)
        return web.json_response({"access_token": access, "refresh_token": self.refresh_token,
                                  "expires_in": str(ACCESS_TTL)})

    # ---- common checks -------------------------------------------------------------------
    def _auth(self, request: web.Request) -> web.Response | None:
        token = request.headers.get("access_token", "")
        if not token or token.lower().startswith("bearer") or token not in self.access_tokens:
            return _envelope(-216, "Access token is invalid")
        if self.access_tokens[token] < time.time():
            return _envelope(-220, "Access token has expired")
        return None

    def _rate(self) -> web.Response | None:
        if self.rate_per_minute is None:
            return None
        now = time.monotonic()
        while self._window and now - self._window[0] >= 60.0:
            self._window.popleft()
        if len(self._window) >= self.rate_per_minute:
            self.rate_limited += 1
            return _envelope(-32, "The request exceeded the rate limit")
        self._window.append(now)
        return None

    def _injected(self, endpoint: str) -> web.Response | None:
        queue = self.fail_next.get(endpoint)
        if queue:
            code = queue.popleft()
            return _envelope(code, f"injected error {code}")
        return None

    async def _json(self, request: web.Request) -> dict[str, Any] | None:
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return None
        return body if isinstance(body, dict) else None

    def _headers(self, response: web.Response) -> web.Response:
        if self.rate_per_minute is not None:
            response.headers["X-RateLimit-Limit"] = str(self.rate_per_minute)
            response.headers["X-RateLimit-Remain"] = str(max(0, self.rate_per_minute - len(self._window)))
        return response

    # ---- consultation --------------------------------------------------------------------
    async def _cs(self, request: web.Request) -> web.Response:
        self.requests["cs"] += 1
        refused = self._auth(request) or self._rate() or self._injected("cs")
        if refused is not None:
            return self._headers(refused)
        body = await self._json(request)
        if body is None:
            return _envelope(-201, "Body is not JSON")
        user_id = str((body.get("recipient") or {}).get("user_id") or "")
        message = body.get("message")
        if not user_id or not isinstance(message, dict):
            return _envelope(-201, "recipient.user_id and message are required")
        user = self.users.get(user_id)
        if user is None:
            return _envelope(-201, "user_id is invalid")
        if not user.follower:
            return _envelope(-213, "User has not followed OA")
        if _now_ms() - user.last_interaction_ms > WINDOW_MS:
            return _envelope(-230, "User has not interacted with the OA in the last 7 days")
        text = str(message.get("text") or "")
        if len(text) > MAX_TEXT:
            return _envelope(-201, f"text is longer than {MAX_TEXT} characters")
        buttons: list[tuple[str, str, Any]] = []
        file_token = attachment_id = ""
        attachment = message.get("attachment")
        if isinstance(attachment, dict):
            kind = attachment.get("type")
            payload = attachment.get("payload") or {}
            if kind == "template":
                if payload.get("template_type") == "request_user_info":
                    if len(payload.get("elements") or []) != 1:
                        return _envelope(-201, "request_user_info takes exactly one element")
                elif payload.get("template_type") == "media":
                    elements = payload.get("elements") or []
                    if len(elements) != 1:
                        return _envelope(-201, "media takes one element")
                    attachment_id = str(elements[0].get("attachment_id") or "")
                    if attachment_id not in self.uploads:
                        return _envelope(-100, "attachment expired or unknown")
                raw_buttons = payload.get("buttons") or []
                if len(raw_buttons) > MAX_BUTTONS:
                    return _envelope(-201, f"at most {MAX_BUTTONS} buttons")
                for b in raw_buttons:
                    if b.get("type") not in BUTTON_TYPES or not b.get("title"):
                        return _envelope(-201, f"unknown button {b!r}")
                    if b["type"].startswith("oa.query") and not isinstance(b.get("payload"), str):
                        return _envelope(-201, "query button payload must be a string")
                    buttons.append((str(b["title"]), str(b["type"]), b.get("payload")))
            elif kind == "file":
                file_token = str(payload.get("token") or "")
                if file_token not in self.uploads:
                    return _envelope(-100, "file token expired or unknown")
            else:
                return _envelope(-201, f"unknown attachment type {kind!r}")
        if not text and not file_token and not attachment_id:
            return _envelope(-201, "empty message")
        message_id = secrets.token_hex(16)
        self.sent.append(OASent("cs", user_id, text=text, buttons=tuple(buttons), file_token=file_token,
                                attachment_id=attachment_id, message_id=message_id, at=time.monotonic()))
        quota_type = "reply" if _now_ms() - user.last_interaction_ms <= 48 * 3600_000 else "sub_quota"
        return self._headers(_envelope(data={"message_id": message_id, "user_id": user_id,
                                             "quota": {"quota_type": quota_type, "remain": "-1", "total": "-1"}}))

    async def _quota(self, request: web.Request) -> web.Response:
        self.requests["quota"] += 1
        refused = self._auth(request) or self._rate()
        if refused is not None:
            return refused
        body = await self._json(request) or {}
        user = self.users.get(str(body.get("user_id") or ""))
        if user is None:
            return _envelope(-201, "user_id is invalid")
        return _envelope(data={"last_interaction": str(user.last_interaction_ms),
                               "cs_reply": {"remain": -1, "total": -1},
                               "promotion": {"remain": 0, "total": 0}})

    async def _discontinued(self, request: web.Request) -> web.Response:
        return _envelope(-240, "This API was discontinued on 2026-03-01; use the ZBS template message")

    async def _v2_dead(self, request: web.Request) -> web.Response:
        return _envelope(-240, "API v2 for messages has been shut down")

    # ---- uploads -------------------------------------------------------------------------
    async def _upload(self, request: web.Request, limit: int, types: set[str] | None) -> tuple[str, int, bytes] | web.Response:
        self.requests["upload"] += 1
        refused = self._auth(request) or self._rate() or self._injected("upload")
        if refused is not None:
            return refused
        try:
            form = await request.post()
        except ValueError:
            return _envelope(-201, "multipart body expected")
        part = form.get("file")
        if part is None or not hasattr(part, "file"):
            return _envelope(-201, "field 'file' is required")
        data = part.file.read()  # type: ignore[union-attr]
        if len(data) > limit:
            return _envelope(-210, f"file larger than {limit} bytes")
        mime = getattr(part, "content_type", "") or ""
        if types is not None and mime not in types:
            return _envelope(-201, f"type {mime!r} not allowed")
        return str(getattr(part, "filename", "") or "file"), len(data), data

    async def _upload_file(self, request: web.Request) -> web.Response:
        got = await self._upload(request, MAX_FILE, FILE_TYPES)
        if isinstance(got, web.Response):
            return got
        token = secrets.token_hex(20)
        self.uploads[token] = got
        return _envelope(data={"token": token})

    async def _upload_image(self, request: web.Request) -> web.Response:
        got = await self._upload(request, MAX_IMAGE, {"image/jpeg", "image/png"})
        if isinstance(got, web.Response):
            return got
        attachment_id = secrets.token_hex(16)
        self.uploads[attachment_id] = got
        return _envelope(data={"attachment_id": attachment_id})

    # ---- ZBS templates -------------------------------------------------------------------
    def _template_checks(self, body: dict[str, Any], endpoint: str) -> web.Response | None:
        if self.night:
            return _envelope(-234, "Template/promotion messages cannot be sent from 22:00 to 06:00")
        injected = self._injected(endpoint)
        if injected is not None:
            return injected
        template_id = str(body.get("template_id") or "")
        if template_id not in self.approved_templates:
            return _envelope(-131, "Template is not approved")
        if not isinstance(body.get("template_data"), dict):
            return _envelope(-201, "template_data must be an object")
        return None

    async def _template_uid(self, request: web.Request) -> web.Response:
        self.requests["template_uid"] += 1
        refused = self._auth(request) or self._rate()
        if refused is not None:
            return refused
        body = await self._json(request) or {}
        checked = self._template_checks(body, "template_uid")
        if checked is not None:
            return checked
        user = self.users.get(str(body.get("user_id") or ""))
        if user is None:
            return _envelope(-201, "user_id is invalid")
        if not user.follower:
            return _envelope(-213, "User has not followed OA")
        if not user.uid_template_ok:
            return _envelope(-227, "User is inactive or cannot receive template messages")
        message_id = secrets.token_hex(16)
        self.sent.append(OASent("template_uid", user.user_id, template_id=str(body["template_id"]),
                                template_data=dict(body["template_data"]), message_id=message_id,
                                tracking_id=str(body.get("tracking_id") or ""), at=time.monotonic()))
        return _envelope(data={"message_id": message_id, "user_id": user.user_id})

    async def _template_phone(self, request: web.Request) -> web.Response:
        self.requests["template_phone"] += 1
        refused = self._auth(request) or self._rate()
        if refused is not None:
            return refused
        body = await self._json(request) or {}
        phone = str(body.get("phone") or "")
        if not PHONE.fullmatch(phone):
            return _envelope(-108, "Phone number is invalid")
        tracking = str(body.get("tracking_id") or "")
        if not tracking or len(tracking) > 48:
            return _envelope(-201, "tracking_id is required (≤ 48 characters)")
        checked = self._template_checks(body, "template_phone")
        if checked is not None:
            return checked
        user = next((u for u in self.users.values() if u.phone == phone), None)
        if user is None:  # assumed: a number without a Zalo account
            return _envelope(-118, "Zalo account does not exist or is disabled")
        msg_id = secrets.token_hex(16)
        self.sent.append(OASent("template_phone", user.user_id, template_id=str(body["template_id"]),
                                template_data=dict(body["template_data"]), phone=phone, tracking_id=tracking,
                                message_id=msg_id, at=time.monotonic()))
        if self.webhook_url:
            self._spawn(self.push("user_received_message", user.user_id,
                                  {"message": {"msg_id": msg_id, "tracking_id": tracking}}))
        return _envelope(data={"msg_id": msg_id, "sent_time": str(_now_ms()),
                               "quota": {"dailyQuota": "500", "remainingQuota": "499"}})

    # ---- files people send ---------------------------------------------------------------
    def host_file(self, name: str, content: bytes, mime: str = "application/pdf") -> str:
        """Serve ``content`` on the fake CDN; returns its URL (what ``user_send_file`` carries)."""
        self.files[name] = (content, mime)
        return f"{self.root}/files/{name}"

    async def _serve_file(self, request: web.Request) -> web.Response:
        got = self.files.get(request.match_info["name"])
        if got is None:
            return web.Response(status=404)
        return web.Response(body=got[0], content_type=got[1])

    # ---- webhooks ------------------------------------------------------------------------
    def sign(self, raw: bytes, timestamp: str) -> str:
        """The signature header value, in the configured variant of the disputed recipe."""
        secret = self.oa_secret_key if self.sign_with == "oa_secret" else self.app_secret
        first = self.app_id if self.id_first == "app_id" else self.oa_id
        digest = hashlib.sha256(first.encode() + raw + timestamp.encode() + secret.encode()).hexdigest()
        return f"mac={digest}"

    def event(self, event_name: str, user_id: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """A webhook body: string ids, ms timestamp; follow/unfollow use ``follower``."""
        ts = str(_now_ms())
        body: dict[str, Any] = {"app_id": self.app_id, "event_name": event_name, "timestamp": ts}
        if event_name in ("follow", "unfollow"):
            body.update(oa_id=self.oa_id, follower={"id": user_id}, source="oa_profile", user_id_by_app=user_id)
        elif event_name.startswith(("user_received", "user_seen")):
            body.update(sender={"id": self.oa_id}, recipient={"id": user_id}, user_id_by_app=user_id)
        else:
            body.update(sender={"id": user_id}, recipient={"id": self.oa_id}, user_id_by_app=user_id)
        body.update(extra or {})
        return body

    async def push(self, event_name: str, user_id: str, extra: dict[str, Any] | None = None, *,
                   forged: bool = False, retries: bool = True) -> int:
        """Deliver one event to the webhook (and again while it is not answered 200, with
        ``num_retry``); returns the first HTTP status. A user event counts as an interaction."""
        body = self.event(event_name, user_id, extra)
        user = self.users.get(user_id)
        if event_name.startswith("user_send") or event_name in ("follow", "user_submit_info"):
            if user is None:
                user = self.user(user_id)
            user.last_interaction_ms = int(body["timestamp"])
            if event_name == "follow":
                user.follower = True
        if event_name == "unfollow" and user is not None:
            user.follower = False
        raw = json.dumps(body, ensure_ascii=False).encode()
        return await self.post_raw(raw, body["timestamp"], forged=forged, retries=retries)

    async def post_raw(self, raw: bytes, timestamp: str, *, forged: bool = False, retries: bool = True,
                       num_retry: int = 0) -> int:
        assert self.webhook_url, "set webhook_url first (the OA developer console does that)"
        assert self._client is not None
        signature = "mac=" + "0" * 64 if forged else self.sign(raw, timestamp)
        first_status = 0
        attempts = (0.0, *self.retry_delays) if retries else (0.0,)
        for n, delay in enumerate(attempts, start=num_retry):
            if delay:
                await asyncio.sleep(delay)
            headers = {"Content-Type": "application/json", "X-ZEvent-Signature": signature}
            if n:
                headers["num_retry"] = str(n)
            try:
                async with self._client.post(self.webhook_url, data=raw, headers=headers) as resp:
                    status = resp.status
            except (TimeoutError, OSError):
                status = 0  # no answer in time: Zalo counts it as failed and retries
            self.webhook_posts.append((n, status))
            first_status = first_status or status or -1
            if status == 200:
                break
        return first_status

    async def push_text(self, user_id: str, text: str, *, msg_id: str | None = None) -> dict[str, Any]:
        """A user types text (or taps an ``oa.query`` button: its payload arrives as the text)."""
        extra = {"message": {"msg_id": msg_id or secrets.token_hex(16), "text": text}}
        await self.push("user_send_text", user_id, extra)
        return extra

    async def push_file(self, user_id: str, url: str, name: str, size: int, kind: str = "file") -> None:
        payload = {"url": url, "size": str(size), "name": name, "checksum": secrets.token_hex(8), "type": "pdf"}
        event = "user_send_file" if kind == "file" else "user_send_image"
        if kind != "file":
            payload = {"url": url, "thumbnail": url}
        await self.push(event, user_id, {"message": {"msg_id": secrets.token_hex(16), "text": "",
                                                     "attachments": [{"type": kind, "payload": payload}]}})

    async def push_submit_info(self, user_id: str, phone: str, *, old_shape: bool = False) -> None:
        if old_shape:
            info: dict[str, Any] = {"name": "Nguyễn Văn A", "phone": phone, "address": "Số 1", "district": "Cao Lộc",
                                    "city": "Lạng Sơn"}
        else:
            info = {"name": "Nguyễn Văn A", "phone": phone, "user_dob": "", "gender": "",
                    "full_address": {"user_city": "Lạng Sơn", "user_ward": "Cao Lộc", "user_address": "Số 1"}}
        await self.push("user_submit_info", user_id, {"info": info})

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- waiting -------------------------------------------------------------------------
    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise AssertionError(f"wait_for timed out after {timeout}s; requests {dict(self.requests)}, "
                                     f"sent {len(self.sent)}, webhook posts {self.webhook_posts[-5:]}")
            await asyncio.sleep(0.01)
