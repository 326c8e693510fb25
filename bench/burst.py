"""bench/burst.py — N officers write in the same 100 ms, against a fake Bot API with Telegram's limits on.

Workload (issue 11, BENCHMARKS.md): ``--n`` (300) officers of ``--n`` communes, one private chat
each, against :class:`tests.fakes.telegram_api.FakeTelegram` **with its flood limits on** (30
messages/s overall, 1/s per private chat with a burst of 3, 429 + ``retry_after`` — the limits
``bench/broadcast.py`` uses).  Three measured rounds; in each, every officer sends exactly one
update and all N are sent within ``--burst-ms`` (100) ms:

1. ``start`` — ``/start CODE`` with N fresh one-time invite codes (created through the services
   before the bot starts).  Reply expected per officer: the confirmation "✅ Đã liên kết…"
   (one ``sendMessage``).
2. ``answer`` — every officer is first put at question 1 of ``bao-cao-6-thang`` (a period opened
   through the services; each officer's ``/baocao`` is sent at ``PREP_RATE``/s and waits for its
   "Câu 1/…", not measured), then all N answer question 1 with ``42``.  Reply expected: the next
   question, "Câu 2/…" (one ``sendMessage``).
3. ``ack`` — an announcement with ``needs_ack`` is created through the services and delivered by
   the bot's outbox to all N chats (waited for, not measured); then all N press its "✅ Đã nhận"
   button.  What the bot is designed to send back per press (handlers/broadcasts.py
   ``acknowledge``): ``answerCallbackQuery`` (not a message; counted as ``callback_answers``) and
   the button edited to "✅ Đã nhận lúc …" (``editMessageReplyMarkup``), or, only when that edit
   fails, an "ack_done" message.  Reply expected: that edit (or the fallback message).  Neither
   ``editMessageReplyMarkup`` nor ``answerCallbackQuery`` is in the fake's ``LIMITED_METHODS``, so
   this round has no messages that count against the limit: ``limit_seconds`` is 0 and ``ratio``
   null (the round still shows loss, duplicates and what the bot does under a burst of presses).

Figures, one JSON line per (round, implementation[, backend, replicas]):

* ``replies_expected`` = N (one reply per officer, as above); ``replies_delivered`` = officers
  whose reply reached the fake before the round's deadline (``limit_seconds × 3 + 30`` s, with
  ``limit_seconds`` of N messages for the ack round too); ``lost`` = the difference.
* ``http_429`` — 429 answers of the fake from the burst's first send to the round's end.
* ``seconds_to_last_reply`` — from the burst's first send to the arrival at the fake of the last
  expected reply; ``limit_seconds`` = messages that count against the limit (the fake's
  ``LIMITED_METHODS``: N for ``start`` and ``answer``, 0 for ``ack``) ÷ 30;
  ``ratio`` = seconds_to_last_reply ÷ limit_seconds.
* ``p50_wait_s`` / ``p95_wait_s`` / ``max_wait_s`` — per officer, its reply's arrival at the fake
  − the moment its update was handed to the webhook client (waiting for a free connection counts).
* ``duplicates`` — replies a chat got more than once for its one message of the round (over the
  whole run: a late second copy counts); ``order_violations`` — chats where a reply to an earlier
  message of the chat arrived after the reply to this round's message; ``unexpected_replies`` —
  other messages to the officers' chats during the round (an error text, a refused code …).
* ``limited_sent`` — calls in ``LIMITED_METHODS`` the fake accepted during the round;
  ``callback_answers`` (ack round) — answerCallbackQuery calls accepted; ``announcement_extra_copies``
  — chats that got the announcement more than once (the outbox sending a row twice);
  ``prep_http_429`` / ``prep_failures`` — of the unmeasured preparation before the round.
* ``cpu_s_bot`` — CPU used during the round by the bot process(es); ``cpu_s_bench`` — by this
  process (fake, webhook client, proxy).

Webhook delivery is Telegram's: at most ``max_connections`` requests in flight (what the bot set
with ``setWebhook``; both implementations leave Telegram's default 40), and, as the Bot API's
``setWebhook`` documentation says, "in case of an unsuccessful request (a request with response
HTTP status code different from 2XY), we will repeat the request and give up after a reasonable
amount of attempts": a failed POST is repeated up to ``WEBHOOK_ATTEMPTS`` times
(``webhook_retries``, ``webhook_failures`` = given up).

Implementations, same fake settings (a fresh fake per implementation), same update stream:

* ``tdkt-bot`` — ``tdkt-bot run`` in its own process(es) (``python -m bot run``, configured
  through the environment: ``TELEGRAM_MODE=webhook``, default ``TELEGRAM_RATE``), on SQLite
  (``--backend sqlite``, default) or PostgreSQL (``--backend postgresql``, ``--pg``).  With
  ``--replicas 2`` (PostgreSQL only) two processes serve one webhook URL behind a tiny round-robin
  proxy in this process.
* ``ptb-AIORateLimiter`` — a python-telegram-bot ``Application`` (``updater(None)``, webhook fed by
  an aiohttp route that queues the update and answers 200, as in ``bench/conversation.py``),
  ``AIORateLimiter(max_retries=5)`` (it waits out and retries 429s, as in ``bench/broadcast.py``),
  ``concurrent_updates(256)``, with handlers sending the same number of messages: ``/start`` one
  confirmation, ``/baocao`` question 1, a text the next question, a button press
  ``answerCallbackQuery`` + ``editMessageReplyMarkup``.  Its announcement (round 3's preparation)
  is sent by this script straight to the fake, paced.  Needs PTB's rate-limiter extra (``bench``);
  without it one "skipped" line is printed.

Only JSON lines on stdout; progress on stderr.  Everything talks to 127.0.0.1 only; every wait has
a deadline and the whole run is cut after ``--max-minutes``.

    python bench/burst.py [--n 300] [--backend sqlite|postgresql] [--replicas 1|2] [--pg URL]
        [--burst-ms 100] [--skip-baseline] [--skip-ours] [--max-minutes 15]

Targets (BENCHMARKS.md): ``lost`` 0 always; ``ratio`` ≤ 1.10; at most a handful of 429s, each
retried; with two replicas on PostgreSQL also ``duplicates`` 0 and ``order_violations`` 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from aiohttp import web

from bench._common import emit, fresh_database, seed_units, services_for
from bench.conversation import Child, pg_reachable, serve_ptb_by_webhook
from tests.fakes.telegram_api import LIMITED_METHODS, SECRET_HEADER, FakeTelegram, SentMessage

ROOT = Path(__file__).resolve().parents[1]
FORM = "bao-cao-6-thang"
LIMIT = 30.0  # Telegram's overall limit, messages/s
HOOK_PATH = "/tg/hook"
WEBHOOK_URL = "https://bench.local" + HOOK_PATH  # the public URL the bots register; the fake never calls it
SECRET = "bench-burst-secret_0123456789"
FIRST_CHAT = {"tdkt-bot": 100_000, "ptb-AIORateLimiter": 200_000}
PROBE_CHAT = 90_000  # one per process of ours: proves it handles updates before the rounds
PREP_RATE = 20.0  # updates/s for the unmeasured preparation (/baocao): well under the limit
PREP_TRIES = 3
WEBHOOK_ATTEMPTS = 4
SETTLE = 2.0  # between rounds: the fake's one-second window and per-chat buckets refill
FIRST_ANSWER = "42"  # question 1 of bao-cao-6-thang (tong_cbcc), as in bench/conversation.py
LIMITS_TEXT = "30/s overall, 1/s per private chat (burst 3), 429 + retry_after"

# Stages of one officer's chat, in the order its replies are due.
BOUND, Q1, Q2, ANN, ACK = 1, 2, 3, 4, 5
PROMPT_RE = re.compile(r"Câu (\d+)/\d+")


def log(msg: str) -> None:
    print(f"[burst {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def classify(rec: SentMessage, announcement_of: dict[int | str, int]) -> int | None:
    """Which of an officer's due replies this accepted call is (None: none of them).

    A second "đã được liên kết" or a second "Câu n/…" for one message is the same stage again —
    that is how a message handled twice shows up."""
    plain = rec.plain or ""
    if rec.method == "sendMessage":
        if any("Đã nhận" in text for text, _ in FakeTelegram.buttons(rec)):
            return ANN
        m = PROMPT_RE.search(plain)
        if m:
            return Q1 if m.group(1) == "1" else Q2
        if "liên kết" in plain.lower():
            return BOUND
        if "Đã ghi nhận" in plain or "đã được xác nhận" in plain:
            return ACK  # ack_done: the fallback when the button could not be edited
        return None
    if rec.method.startswith("edit") and announcement_of.get(rec.chat_id) == rec.message_id:
        return ACK
    return None


# ----------------------------------------------------------------------------------------------
# the fake and what it received
# ----------------------------------------------------------------------------------------------


class BurstFake(FakeTelegram):
    """FakeTelegram plus the updates Telegram would build, without its one-at-a-time webhook push.

    ``push_*`` POSTs under a lock (one update in flight); Telegram keeps up to ``max_connections``
    in flight, so the updates are built here and POSTed by :class:`Webhook`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.update_ids = itertools.count(700_000_001)

    def text_update(self, chat: int, text: str) -> bytes:
        name = f"Cán bộ {chat}"
        message: dict[str, Any] = {
            "message_id": self._next_id(chat),
            "from": {"id": chat, "is_bot": False, "first_name": name},
            "chat": {"id": chat, "type": "private", "first_name": name},
            "date": int(time.time()), "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        self._store_message(chat, message)
        return json.dumps({"update_id": next(self.update_ids), "message": message}, ensure_ascii=False).encode()

    def callback_update(self, chat: int, data: str, message_id: int) -> bytes:
        """A press on the bot's message ``message_id``; the query id is registered so that
        answerCallbackQuery succeeds once, as in Telegram (what ``push_callback`` does)."""
        message = self._messages[chat][message_id]
        query_id = str(4_000_000_000_000_000_000 + next(self._callback_counter))
        self._callback_queries[query_id] = {"answered": False, "chat_id": chat, "message_id": message_id}
        query = {"id": query_id, "from": {"id": chat, "is_bot": False, "first_name": f"Cán bộ {chat}"},
                 "message": dict(message), "chat_instance": str(chat * 7 + 1), "data": data}
        return json.dumps({"update_id": next(self.update_ids), "callback_query": query}, ensure_ascii=False).encode()


class Replies:
    """Every call the fake accepted, classified per chat and stage (scanned every 10 ms; the
    arrival time is the fake's own ``at``, so the scan interval does not blur the figures)."""

    def __init__(self, fake: BurstFake) -> None:
        self.fake = fake
        self.index = 0
        self.log: dict[int | str, list[tuple[int | None, float, str]]] = {}
        self.first: dict[tuple[int | str, int], float] = {}
        self.counts: Counter[tuple[int | str, int]] = Counter()
        self.announcement_of: dict[int | str, int] = {}  # chat -> message id of its announcement
        self.ack_data: dict[int | str, str] = {}  # chat -> callback data of its "Đã nhận" button
        self._task: asyncio.Task[None] | None = None

    def scan(self) -> None:
        sent = self.fake.sent
        while self.index < len(sent):
            rec = sent[self.index]
            self.index += 1
            stage = classify(rec, self.announcement_of)
            if stage == ANN and rec.chat_id not in self.announcement_of:
                self.announcement_of[rec.chat_id] = rec.message_id
                self.ack_data[rec.chat_id] = next(d for t, d in FakeTelegram.buttons(rec) if "Đã nhận" in t)
            self.log.setdefault(rec.chat_id, []).append((stage, rec.at, rec.method))
            if stage is not None:
                key = (rec.chat_id, stage)
                self.counts[key] += 1
                self.first.setdefault(key, rec.at)

    async def _run(self) -> None:
        while True:
            self.scan()
            await asyncio.sleep(0.01)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.scan()

    async def until(self, keys: list[tuple[int | str, int]], deadline: float) -> None:
        """Until every key has arrived or ``deadline`` (monotonic) passed."""
        while time.monotonic() < deadline:
            self.scan()
            if all(k in self.first for k in keys):
                return
            await asyncio.sleep(0.02)


class Webhook:
    """Telegram's side of the webhook: at most ``connections`` POSTs in flight, kept alive, each
    repeated on a non-2xx answer or a failed connection (see the module docstring)."""

    def __init__(self, url: str, connections: int) -> None:
        self.url = url
        self.connections = connections
        self.session: aiohttp.ClientSession | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.retries = 0
        self.failures = 0

    async def __aenter__(self) -> Webhook:
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self.connections))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.drain(0)
        if self.session:
            await self.session.close()

    async def _post(self, body: bytes, deadline: float) -> None:
        assert self.session is not None
        headers = {"Content-Type": "application/json", SECRET_HEADER: SECRET}
        for attempt in range(WEBHOOK_ATTEMPTS):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                async with self.session.post(self.url, data=body, headers=headers,
                                             timeout=aiohttp.ClientTimeout(total=remaining)) as resp:
                    await resp.read()
                    if 200 <= resp.status < 300:
                        return
                    why = f"HTTP {resp.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                why = f"{type(exc).__name__}: {exc}"
            if attempt + 1 < WEBHOOK_ATTEMPTS:
                self.retries += 1
                if self.retries == 1:
                    log(f"webhook POST failed ({why}); repeating it, as Telegram does")
                await asyncio.sleep(min(2.0 ** attempt, max(0.0, deadline - time.monotonic())))
        self.failures += 1

    def post(self, body: bytes, deadline: float) -> None:
        task = asyncio.create_task(self._post(body, deadline))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self, timeout: float) -> None:
        """Let POSTs still held by the bot finish for ``timeout`` s, then drop them."""
        if self.tasks and timeout > 0:
            await asyncio.wait(set(self.tasks), timeout=timeout)
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task


class RoundRobin:
    """The 'one public URL' in front of several replicas: each POST goes to the next one."""

    def __init__(self, targets: list[str]) -> None:
        self.targets = targets
        self.turn = itertools.count()
        self.session: aiohttp.ClientSession | None = None
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                             timeout=aiohttp.ClientTimeout(total=600))
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.router.add_post(HOOK_PATH, self.forward)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.runner.addresses[0][1]

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()
        if self.session:
            await self.session.close()

    async def forward(self, request: web.Request) -> web.Response:
        assert self.session is not None
        body = await request.read()
        target = self.targets[next(self.turn) % len(self.targets)]
        headers = {k: v for k, v in request.headers.items() if k in ("Content-Type", SECRET_HEADER)}
        try:
            async with self.session.post(target, data=body, headers=headers) as resp:
                return web.Response(status=resp.status, body=await resp.read(),
                                    content_type=resp.content_type or "application/json")
        except (aiohttp.ClientError, TimeoutError):
            return web.Response(status=502, text="bad gateway")


# ----------------------------------------------------------------------------------------------
# the bots under test
# ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_cpu_seconds(pid: int | None) -> float:
    """User + system CPU a process has used so far (Linux /proc); 0 when it is gone."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class OurBots:
    """``tdkt-bot run`` processes (webhook mode), configured only through the environment."""

    def __init__(self, replicas: int, database_url: str, fake: BurstFake, tmp: Path) -> None:
        self.replicas = replicas
        self.database_url = database_url
        self.fake = fake
        self.tmp = tmp
        self.procs: list[asyncio.subprocess.Process] = []
        self.ports: list[int] = []
        self.logs: list[Path] = []

    def env(self, port: int) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
        return {**keep, "PYTHONPATH": str(ROOT), "DATABASE_URL": self.database_url,
                "TELEGRAM_BOT_TOKEN": self.fake.token, "TELEGRAM_API_BASE_URL": self.fake.root,
                "TELEGRAM_MODE": "webhook", "WEBHOOK_URL": WEBHOOK_URL, "WEBHOOK_SECRET": SECRET,
                "WEBHOOK_LISTEN": f"127.0.0.1:{port}", "FILES_DIR": str(self.tmp / "files"), "LOG_LEVEL": "WARNING"}

    async def start(self, timeout: float = 120.0) -> None:
        for r in range(self.replicas):
            port = free_port()
            path = self.tmp / f"tdkt-bot-{r}.log"
            with path.open("wb") as out:  # the child keeps its own descriptor
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot", "run", cwd=self.tmp, env=self.env(port),
                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
            self.procs.append(proc)
            self.ports.append(port)
            self.logs.append(path)
        deadline = time.monotonic() + timeout
        await asyncio.gather(*(self._ready(r, deadline) for r in range(self.replicas)))

    async def _ready(self, r: int, deadline: float) -> None:
        """Ready = answers an update end to end: a /trogiup from a probe chat gets its reply."""
        chat = PROBE_CHAT + r
        url = f"http://127.0.0.1:{self.ports[r]}{HOOK_PATH}"
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.procs[r].returncode is not None:
                    raise RuntimeError(f"tdkt-bot run #{r} exited with {self.procs[r].returncode}:\n"
                                       + self.logs[r].read_text(errors="replace")[-3000:])
                if self.fake.messages_to(chat):
                    return
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.post(url, data=self.fake.text_update(chat, "/trogiup"), headers={
                            "Content-Type": "application/json", SECRET_HEADER: SECRET},
                            timeout=aiohttp.ClientTimeout(total=5)) as resp:
                        await resp.read()
                for _ in range(20):
                    if self.fake.messages_to(chat):
                        return
                    await asyncio.sleep(0.1)
        raise RuntimeError(f"tdkt-bot run #{r} not ready in time:\n" + self.logs[r].read_text(errors="replace")[-3000:])

    @property
    def hook_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p}{HOOK_PATH}" for p in self.ports]

    def cpu_seconds(self) -> float:
        return sum(proc_cpu_seconds(p.pid) for p in self.procs)

    async def stop(self) -> None:
        for proc in self.procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGINT)  # `tdkt-bot run` stops cleanly on Ctrl+C
        for r, proc in enumerate(self.procs):
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                log(f"tdkt-bot run #{r} did not stop in 20 s; killing it")
                proc.kill()
                await proc.wait()
            summary = log_summary(self.logs[r])
            if summary:
                log(f"tdkt-bot run #{r} logged: {summary}")


LOG_LINE = re.compile(r"\S+ \S+ (WARNING|ERROR|CRITICAL)\s+(\S+): (.*)")


def log_summary(path: Path) -> str:
    """The three most frequent warnings/errors of a bot's log, digits folded (for stderr)."""
    kinds: Counter[tuple[str, str, str]] = Counter()
    with contextlib.suppress(OSError):
        for line in path.read_text(errors="replace").splitlines():
            m = LOG_LINE.match(line)
            if m:
                kinds[(m[1], m[2], re.sub(r"\d+", "N", m[3])[:140])] += 1
    return "; ".join(f"{n} × {level} {name}: {msg}" for (level, name, msg), n in kinds.most_common(3))


def serve_baseline(cfg: dict[str, Any], conn) -> None:  # type: ignore[no-untyped-def]
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s ptb %(name)s %(levelname)s %(message)s")
    asyncio.run(_serve_baseline(cfg, conn))


async def _serve_baseline(cfg: dict[str, Any], conn) -> None:  # type: ignore[no-untyped-def]
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
    from telegram.constants import ParseMode
    from telegram.ext import (
        AIORateLimiter,
        Application,
        CallbackQueryHandler,
        CommandHandler,
        ContextTypes,
        Defaults,
        MessageHandler,
        filters,
    )

    total = 25

    def prompt(n: int) -> str:
        return f"Câu {n}/{total}. Số liệu thứ {n} của đơn vị tính đến ngày chốt số liệu?\nNhập một số (ví dụ: 12)."

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat
        await context.bot.send_message(
            update.effective_chat.id, "✅ <b>Đã liên kết thành công!</b>\n\nTừ nay, các văn bản, thông báo về thi "
            "đua – khen thưởng và lời nhắc hạn báo cáo sẽ được gửi về đây.")

    async def report(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat and context.user_data is not None
        context.user_data["q"] = 1
        await context.bot.send_message(update.effective_chat.id,
                                       f"📋 <b>Báo cáo sơ kết 6 tháng</b>\nGồm {total} câu hỏi.\n\n{prompt(1)}")

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat and update.effective_message and context.user_data is not None
        q = int(context.user_data.get("q", 1))
        text = (update.effective_message.text or "").strip().replace(".", "")
        if not text.isdigit():
            await context.bot.send_message(update.effective_chat.id, f"❌ Câu trả lời phải là một số.\n{prompt(q)}")
            return
        context.user_data["q"] = q + 1
        await context.bot.send_message(update.effective_chat.id, prompt(q + 1))

    async def ack(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Đã ghi nhận")
        label = f"✅ Đã nhận lúc {datetime.now(UTC):%H:%M %d/%m/%Y}"
        await query.edit_message_reply_markup(InlineKeyboardMarkup([[InlineKeyboardButton(label,
                                                                                         callback_data=query.data)]]))

    application = (Application.builder().token(cfg["token"]).base_url(cfg["api_root"] + "/bot")
                   .base_file_url(cfg["api_root"] + "/file/bot").updater(None)
                   .rate_limiter(AIORateLimiter(max_retries=5)).concurrent_updates(256).connection_pool_size(128)
                   .defaults(Defaults(parse_mode=ParseMode.HTML)).build())
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("baocao", report))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, answer))
    application.add_handler(CallbackQueryHandler(ack))

    runner = await serve_ptb_by_webhook(application, path=HOOK_PATH, url=WEBHOOK_URL, secret=SECRET)
    conn.send({"port": runner.addresses[0][1]})
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    await application.stop()
    await application.shutdown()
    await runner.cleanup()


def baseline_available() -> str | None:
    """None when AIORateLimiter can be built, else why not (the 'bench' extra is missing)."""
    from telegram.ext import AIORateLimiter

    try:
        AIORateLimiter()
    except RuntimeError as exc:
        return f"{exc} (pip install -e '.[bench]')"
    return None


# ----------------------------------------------------------------------------------------------
# the rounds
# ----------------------------------------------------------------------------------------------


@dataclass
class RoundResult:
    name: str
    stage: int
    limited_per_officer: int
    t0: float = 0.0
    end: float = 0.0
    deadline: float = 0.0
    sent_at: dict[int, float] = field(default_factory=dict)
    http_429: int = 0
    limited_sent: int = 0
    callback_answers: int | None = None
    cpu_bot: float = 0.0
    cpu_bench: float = 0.0
    webhook_retries: int = 0
    webhook_failures: int = 0
    prep: dict[str, int] = field(default_factory=dict)


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))]


@dataclass
class Run:
    """One implementation's three rounds against its own fake."""

    impl: str
    fake: BurstFake
    hook_url: str
    chats: list[int]
    bot_cpu: Callable[[], float]
    announce: Callable[[], Awaitable[None]]
    burst_seconds: float
    meta: dict[str, Any]
    replies: Replies = field(init=False)
    results: list[RoundResult] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.replies = Replies(self.fake)

    @property
    def connections(self) -> int:
        return int((self.fake.webhook or {}).get("max_connections") or 40)

    def deadline_seconds(self) -> float:
        return len(self.chats) / LIMIT * 3 + 30

    async def burst(self, name: str, stage: int, limited_per_officer: int, bodies: dict[int, bytes],
                    prep: dict[str, int]) -> None:
        res = RoundResult(name, stage, limited_per_officer, prep=prep)
        n = len(self.chats)
        sent_before = len(self.fake.sent)
        answers_before = len(self.fake.callback_answers)
        async with Webhook(self.hook_url, self.connections) as hook:
            cpu_bot0, cpu_bench0 = self.bot_cpu(), time.process_time()
            http429 = self.fake.http_429
            res.t0 = time.monotonic() + 0.02
            res.deadline = res.t0 + self.deadline_seconds()
            for i, chat in enumerate(c for c in self.chats if c in bodies):  # spread evenly over the window
                delay = res.t0 + self.burst_seconds * i / n - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                res.sent_at[chat] = time.monotonic()
                hook.post(bodies[chat], res.deadline)
            await self.replies.until([(c, stage) for c in bodies], res.deadline)
            res.end = min(time.monotonic(), res.deadline)
            res.http_429 = self.fake.http_429 - http429
            res.cpu_bot, res.cpu_bench = self.bot_cpu() - cpu_bot0, time.process_time() - cpu_bench0
            await hook.drain(5.0)
            res.webhook_retries, res.webhook_failures = hook.retries, hook.failures
        res.limited_sent = sum(1 for m in self.fake.sent[sent_before:]
                               if m.method.lower() in LIMITED_METHODS and res.t0 <= m.at <= res.end)
        if stage == ACK:
            res.callback_answers = len(self.fake.callback_answers) - answers_before
        self.results.append(res)
        got = sum(1 for c in self.chats if (c, stage) in self.replies.first)
        log(f"{self.impl}: round {name}: {got}/{n} replies in {res.end - res.t0:.1f} s, {res.http_429} × 429")
        await asyncio.sleep(SETTLE)

    async def paced(self, stage: int, body_for: Callable[[int], bytes]) -> dict[str, int]:
        """Preparation, not measured: each chat's update at PREP_RATE/s, each waiting for its reply
        (sent again, up to PREP_TRIES times, when it does not come)."""
        http429 = self.fake.http_429
        t0 = time.monotonic()
        failures = 0

        async def one(i: int, chat: int, session: aiohttp.ClientSession) -> None:
            nonlocal failures
            await asyncio.sleep(max(0.0, t0 + i / PREP_RATE - time.monotonic()))
            for _ in range(PREP_TRIES):
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.post(self.hook_url, data=body_for(chat), headers={
                            "Content-Type": "application/json", SECRET_HEADER: SECRET},
                            timeout=aiohttp.ClientTimeout(total=60)) as resp:
                        await resp.read()
                await self.replies.until([(chat, stage)], time.monotonic() + 15)
                if (chat, stage) in self.replies.first:
                    return
            failures += 1

        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self.connections)) as session:
            await asyncio.gather(*(one(i, c, session) for i, c in enumerate(self.chats)))
        await asyncio.sleep(SETTLE)
        return {"prep_http_429": self.fake.http_429 - http429, "prep_failures": failures}

    async def rounds(self, codes: list[str]) -> None:
        fake = self.fake
        self.replies.start()
        try:
            log(f"{self.impl}: round start — {len(self.chats)} × /start CODE")
            await self.burst("start", BOUND, 1, {c: fake.text_update(c, f"/start {code}")
                                                  for c, code in zip(self.chats, codes, strict=True)}, {})
            log(f"{self.impl}: preparing round answer — /baocao at {PREP_RATE:g}/s")
            prep = await self.paced(Q1, lambda c: fake.text_update(c, "/baocao"))
            await self.burst("answer", Q2, 1, {c: fake.text_update(c, FIRST_ANSWER) for c in self.chats}, prep)
            log(f"{self.impl}: preparing round ack — an announcement with acknowledgement to every chat")
            http429 = fake.http_429
            await self.announce()
            await self.replies.until([(c, ANN) for c in self.chats], time.monotonic() + len(self.chats) / 20 + 60)
            missing = [c for c in self.chats if c not in self.replies.announcement_of]
            await asyncio.sleep(SETTLE)
            prep = {"prep_http_429": fake.http_429 - http429, "prep_failures": len(missing)}
            reached = [c for c in self.chats if c in self.replies.announcement_of]
            # An officer whose announcement never came has nothing to press: no update, counted lost.
            bodies = {c: fake.callback_update(c, self.replies.ack_data[c], self.replies.announcement_of[c])
                      for c in reached}
            await self.burst("ack", ACK, 0, bodies, prep)
            await asyncio.sleep(SETTLE)  # late replies and second copies still count
        finally:
            await self.replies.stop()

    def lines(self) -> list[dict[str, Any]]:
        out = []
        rp = self.replies
        stages = [r.stage for r in self.results]
        for res in self.results:
            n = len(self.chats)
            arrived = {c: rp.first[(c, res.stage)] for c in res.sent_at
                       if (c, res.stage) in rp.first and rp.first[(c, res.stage)] <= res.deadline}
            waits = sorted(arrived[c] - res.sent_at[c] for c in arrived)
            seconds = (max(arrived.values()) - res.t0) if arrived else None
            limit_seconds = n * res.limited_per_officer / LIMIT
            duplicates = sum(max(0, rp.counts[(c, res.stage)] - 1) for c in self.chats)
            order = 0
            for c in self.chats:
                mine = rp.first.get((c, res.stage))
                if mine is not None and any(s is not None and s < res.stage and at > mine
                                            for s, at, _ in rp.log.get(c, [])):
                    order += 1
            nxt = self.results[stages.index(res.stage) + 1].t0 if res is not self.results[-1] else float("inf")
            unexpected = sum(1 for c in self.chats for s, at, _ in rp.log.get(c, [])
                             if s is None and res.t0 <= at < nxt)
            line: dict[str, Any] = {
                "bench": "burst", "impl": self.impl, **self.meta, "round": res.name, "officers": n,
                "replies_expected": n, "replies_delivered": len(arrived), "lost": n - len(arrived),
                "http_429": res.http_429,
                "seconds_to_last_reply": round(seconds, 2) if seconds is not None else None,
                "limit_seconds": round(limit_seconds, 2),
                "ratio": round(seconds / limit_seconds, 3) if seconds is not None and limit_seconds else None,
                "p50_wait_s": _round(percentile(waits, 0.50)), "p95_wait_s": _round(percentile(waits, 0.95)),
                "max_wait_s": _round(waits[-1] if waits else None),
                "duplicates": duplicates, "order_violations": order, "unexpected_replies": unexpected,
                "limited_sent": res.limited_sent,
            }
            if res.callback_answers is not None:
                line["callback_answers"] = res.callback_answers
                line["announcement_extra_copies"] = sum(max(0, rp.counts[(c, ANN)] - 1) for c in self.chats)
                line["note"] = ("editMessageReplyMarkup and answerCallbackQuery are not limited methods of the "
                                "fake: no messages against the limit, ratio null")
            line.update({"burst_ms": round(self.burst_seconds * 1000), "webhook_connections": self.connections,
                         "webhook_retries": res.webhook_retries, "webhook_failures": res.webhook_failures,
                         **res.prep, "cpu_s_bot": round(res.cpu_bot, 1), "cpu_s_bench": round(res.cpu_bench, 1),
                         "limits": LIMITS_TEXT})
            out.append(line)
        return out


def _round(v: float | None) -> float | None:
    return round(v, 3) if v is not None else None


def new_fake() -> BurstFake:
    return BurstFake(limits=True, global_per_second=int(LIMIT), per_chat_per_second=1.0, per_chat_burst=3)


async def run_ours(n: int, backend: str, url: str, replicas: int, burst_seconds: float, tmp: Path) -> None:
    first = FIRST_CHAT["tdkt-bot"]
    chats = [first + i for i in range(n)]
    log(f"tdkt-bot: {backend} ×{replicas}: fresh database, {n} units, {n} invite codes, one open period")
    engine = await fresh_database(url)
    try:
        await seed_units(engine, n, with_officers=False)
        services = services_for(engine)
        codes = [(await services.members.create_invite(f"X{i:05d}", role="officer")).code for i in range(n)]
        now = datetime.now(UTC)
        await services.open_period(form_id=FORM, label="Sơ kết 6 tháng (bench burst)", due_at=now + timedelta(days=30),
                                   cutoff=date(now.year, 6, 14), audience={"all": True}, remind_offsets=[],
                                   announce=False)
    finally:
        await engine.dispose()

    async def announce() -> None:
        from storage.db import create_engine

        eng = create_engine(url)
        try:
            await services_for(eng).announcements.create(
                doc_type="Thông báo", number="15/TB-NV", summary="Lịch họp Hội đồng Thi đua – Khen thưởng",
                body="Hội đồng Thi đua – Khen thưởng họp **phiên thường kỳ** vào 08:00 thứ Hai tuần tới.",
                issuer="Phòng Nội vụ", audience={"all": True}, needs_ack=True, actor="bench")
        finally:
            await eng.dispose()

    fake = new_fake()
    await fake.start()
    bots = OurBots(replicas, url, fake, tmp)
    proxy: RoundRobin | None = None
    try:
        await bots.start()
        hook_url = bots.hook_urls[0]
        if replicas > 1:
            proxy = RoundRobin(bots.hook_urls)
            await proxy.start()
            hook_url = f"http://127.0.0.1:{proxy.port}{HOOK_PATH}"
        log(f"tdkt-bot: {replicas} process(es) up; webhook max_connections {(fake.webhook or {}).get('max_connections')}")
        run = Run("tdkt-bot", fake, hook_url, chats, bots.cpu_seconds, announce, burst_seconds,
                  {"backend": backend, "replicas": replicas})
        await asyncio.sleep(SETTLE)
        await run.rounds(codes)
        for line in run.lines():
            emit(**line)
    finally:
        if proxy:
            await proxy.stop()
        await bots.stop()
        await fake.stop()


async def run_baseline(n: int, burst_seconds: float) -> None:
    why = baseline_available()
    if why:
        emit(bench="burst", impl="ptb-AIORateLimiter", skipped=why)
        return
    first = FIRST_CHAT["ptb-AIORateLimiter"]
    chats = [first + i for i in range(n)]
    fake = new_fake()
    await fake.start()

    async def announce() -> None:
        """The same announcement with a 'Đã nhận' button, sent straight to the fake at 20/s
        (preparation: PTB has no outbox; what is measured is the presses)."""
        url = f"{fake.root}/bot{fake.token}/sendMessage"
        async with aiohttp.ClientSession() as session:
            t0 = time.monotonic()
            for i, chat in enumerate(chats):
                await asyncio.sleep(max(0.0, t0 + i / 20 - time.monotonic()))
                payload = {"chat_id": chat, "parse_mode": "HTML",
                           "text": "📢 <b>THÔNG BÁO</b> số 15/TB-NV\n\nHội đồng Thi đua – Khen thưởng họp phiên "
                                   "thường kỳ vào 08:00 thứ Hai tuần tới.",
                           "reply_markup": {"inline_keyboard": [[{"text": "✅ Đã nhận", "callback_data": f"ack:{i}"}]]}}
                for _ in range(5):
                    async with session.post(url, json=payload) as resp:
                        body = await resp.json()
                    if resp.status != 429:
                        break
                    await asyncio.sleep(float(body.get("parameters", {}).get("retry_after", 1)))

    child = Child(serve_baseline, {"token": fake.token, "api_root": fake.root})
    try:
        info = await child.start()
        run = Run("ptb-AIORateLimiter", fake, f"http://127.0.0.1:{info['port']}{HOOK_PATH}", chats,
                  child.cpu_seconds, announce, burst_seconds, {"backend": "memory", "replicas": 1})
        await asyncio.sleep(SETTLE)
        await run.rounds([f"BASE{i:04d}" for i in range(n)])
        for line in run.lines():
            emit(**line)
    finally:
        with contextlib.suppress(OSError):
            child.conn.send("stop")
        child.proc.join(20)
        child.crash()
        await fake.stop()


async def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=300, help="officers (default 300)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite",
                        help="database of ours (default sqlite; two replicas need postgresql)")
    parser.add_argument("--replicas", type=int, default=1, help="tdkt-bot run processes behind one URL (1 or 2+)")
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL",
                                                       "postgresql+asyncpg://postgres@127.0.0.1:5432/test_h4"),
                        help="PostgreSQL for --backend postgresql (its public schema is dropped and recreated)")
    parser.add_argument("--burst-ms", type=float, default=100.0, help="all N updates are sent within this window")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--skip-ours", action="store_true")
    parser.add_argument("--max-minutes", type=float, default=15.0, help="the whole run is cut after this")
    args = parser.parse_args()
    if args.n < 1 or args.replicas < 1:
        parser.error("--n and --replicas must be ≥ 1")
    if args.replicas > 1 and args.backend != "postgresql":
        parser.error("several replicas need --backend postgresql (one SQLite file serves one process)")
    tmp = Path(tempfile.mkdtemp(prefix="tdkt-bench-burst-"))
    try:
        async with asyncio.timeout(args.max_minutes * 60):
            if not args.skip_ours:
                url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
                if args.backend == "postgresql":
                    why = await pg_reachable(args.pg)
                    if why:
                        emit(bench="burst", impl="tdkt-bot", backend="postgresql", replicas=args.replicas,
                             skipped=f"unreachable: {why}")
                        url = ""
                    else:
                        url = args.pg
                if url:
                    await run_ours(args.n, args.backend, url, args.replicas, args.burst_ms / 1000, tmp)
            if not args.skip_baseline:
                await run_baseline(args.n, args.burst_ms / 1000)
    except TimeoutError:
        log(f"cut after --max-minutes {args.max_minutes:g}")
        return 1
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
