"""bench/conversation.py — the six-monthly form filled through the Telegram webhook path.

Workload (BENCHMARKS.md): simulated officers fill ``bao-cao-6-thang`` by webhook against
:class:`tests.fakes.telegram_api.FakeTelegram` with its flood limits off:

* (a) **saturation** — ``--officers-saturation`` (1000) officers answer without pause;
* (b) **realistic** — ``--officers-realistic`` (200) officers think 0–4 s (uniform) between answers.

Each officer POSTs ``/baocao`` and then its answers, one update at a time, each only after the
bot's reply to the previous update reached the fake.  The answers are the first ``--questions``
(12) *numeric* answers of the valid sequence ``ANSWERS_6T`` of tests/integration/test_reports.py,
with ``pt_chuyen_de`` answered ``0`` so the free-text question that follows it is not asked
(integer and "a/b/c" number questions only: the baseline validates numbers the same way).

Latency of an update = from just before its webhook POST to the arrival at the fake of the
bot's last reply to it — the message that asks the next question ("Câu n/N") or shows the
summary ("Tóm tắt").  The fake records ``time.monotonic()`` when it accepts a sendMessage; a
small override of its ``_record`` wakes the officer waiting on that chat (O(1) per message).

Process layout (2 cores): the fake and the simulated officers run in this process, the bot under
test in a child process of its own, one fresh child (and a fresh store) per run.  After each run
the child is killed with SIGKILL — a crash — and the store is read back: every answer whose reply
the officer saw must be in it (``lost_answers``).

Webhook delivery is Telegram's: at most ``max_connections`` requests in flight (what the bot set
with setWebhook — both leave Telegram's default 40 — or ``--max-connections``; 0 = unlimited), on
kept-alive connections; an update waiting for a free connection is already on the clock.  Ours
answers the POST only after handling the update; the baseline answers at once (PTB's way).

Implementations, same fake, same update stream, same aiohttp webhook front:

* ``tdkt-bot`` — the real ``App`` in webhook mode (TELEGRAM_MODE=webhook, WEBHOOK_LISTEN=127.0.0.1:0,
  default TELEGRAM_RATE: its Pacer holds broadcasts to 29 messages/s, while direct replies like
  these only wait out a 429 pause),
  SQLite in a temp dir, then PostgreSQL at ``--pg`` when reachable (units, officers and bindings
  seeded in bulk, one open ``bao-cao-6-thang`` period for all units); each answer is committed in
  its own transaction before the reply is sent.
* ``ptb-conversationhandler`` — a plain python-telegram-bot ``Application`` without Updater
  (``ApplicationBuilder().updater(None)``), a ``ConversationHandler`` with the same number of numeric
  questions (validate the number, store it in ``user_data``, ask the next; /baocao answers with an
  intro and question 1, like ours), ``PicklePersistence`` with its default ``update_interval=60``,
  ``concurrent_updates`` = PTB's ``SimpleUpdateProcessor(256)`` plus a per-chat lock (without it
  ConversationHandler drops an answer that arrives before the previous callback returned), the
  HTTP pool of ours (128).  Its webhook is an aiohttp route that checks the secret,
  ``await application.update_queue.put(Update.de_json(...))`` and answers 200 — what PTB's own
  webhook server does.

Each run is capped: after ``--max-seconds`` (30) no officer starts a new update, replies still in
flight get ``--grace`` (10) more seconds, then the run is cut (``"capped": true``,
``unfinished_at_cut`` = officers still waiting).  Figures count answered updates only; seconds run
from the first POST to the last reply.  ``cpu_s_*`` = CPU used during the run by the bot process
and by this one (fake + officers).  Diagnostics, not the benchmark: ``--pacer-off`` (ours with its
Pacer lifted), ``--api-latency S`` (the fake answers every Bot API call after S seconds, like a
distant Telegram).

    python bench/conversation.py [--officers-saturation 1000] [--officers-realistic 200] [--questions 12]
        [--max-seconds 30] [--grace 10] [--max-connections N] [--pg URL] [--skip-pg] [--skip-baseline]
        [--think 4.0] [--mode both|saturation|realistic] [--pacer-off] [--api-latency S]

Targets (BENCHMARKS.md): saturation ≥ the baseline's updates/s with every answer committed;
realistic p95 < 50 ms.  The issue's "≥ 100 updates/s with p95 < 100 ms on SQLite" as one
realistic run: ``--mode realistic --officers-realistic 260 --think 3.0`` offers ≈ 125 updates/s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import itertools
import json
import logging
import multiprocessing as mp
import os
import pickle
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from sqlalchemy import select

from bench._common import emit, fresh_database, seed_units
from storage.models import FormSession
from tests.fakes.telegram_api import SECRET_HEADER, FakeTelegram

FORM = "bao-cao-6-thang"
FIRST_CHAT = 100_000  # bench._common.seed_units binds officer i to chat 100000 + i
HOOK_PATH = "/tg/hook"
WEBHOOK_URL = "https://bench.local" + HOOK_PATH
SECRET = "bench-conversation-secret_0123456789"
REPLY_TIMEOUT = 120.0

# The numeric answers of tests/integration/test_reports.py::ANSWERS_6T, in the order the
# questions come, with pt_chuyen_de = 0 (so ten_pt_chuyen_de, a free-text question, and
# kt_pt_chuyen_de are not asked).  Copied, not imported: the bench must not depend on test files.
NUMERIC_ANSWERS: list[tuple[str, str]] = [
    ("tong_cbcc", "42"), ("vb_chi_dao", "3"), ("pt_thuong_xuyen", "2"), ("pt_chuyen_de", "0"),
    ("dk_ca_nhan", "40"), ("dk_tap_the", "5"), ("dk_gia_dinh", "1.234"), ("dien_hinh", "4"),
    ("dien_hinh_nhan_rong", "6"), ("sang_kien", "2"), ("kt_tham_quyen", "3/12/5"), ("kt_huan_chuong", "0"),
    ("kt_bk_thu_tuong", "0"), ("kt_bk_tinh", "1/2"), ("kt_co_thi_dua", "0"), ("kt_cap_tren_khac", "0"),
    ("danh_hieu", "0"), ("phuong_thuc", "15/8/0/0"), ("cbcc_duoc_khen", "10"), ("truc_tiep_ld", "3"),
    ("de_nghi_cho", "1"),
]

PROMPT_RE = re.compile(r"Câu \d+/\d+|Tóm tắt")


# ----------------------------------------------------------------------------------------------
# the fake, with a hook that wakes the officer whose reply just arrived
# ----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Waiter:
    event: asyncio.Event = field(default_factory=asyncio.Event)
    at: float = 0.0  # fake's time.monotonic() of the prompt that answered the pending update
    rejected: bool = False  # a "❌" came before the prompt


class RecordingFake(FakeTelegram):
    """FakeTelegram that signals a per-chat waiter when a question prompt or the summary arrives."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.waiting: dict[int | str, Waiter] = {}

    def _record(self, method: str, chat: int | str, msg: dict[str, Any], params: dict[str, Any],
                **fields: Any) -> None:
        super()._record(method, chat, msg, params, **fields)
        waiter = self.waiting.get(chat)
        if waiter is None or method != "sendMessage":
            return
        text = fields.get("plain") or ""
        if text.startswith("❌"):
            waiter.rejected = True
        elif PROMPT_RE.search(text):
            waiter.at = self.sent[-1].at
            waiter.event.set()


# ----------------------------------------------------------------------------------------------
# the bots under test, each in a child process
# ----------------------------------------------------------------------------------------------


def _child_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s child %(name)s %(levelname)s %(message)s")


def _await_stop(conn) -> asyncio.Future[Any]:  # type: ignore[no-untyped-def]
    """A future that resolves when the parent sends anything on ``conn`` (it normally kills us)."""
    return asyncio.get_running_loop().run_in_executor(None, conn.recv)


def serve_ours(cfg: dict[str, Any], conn) -> None:  # type: ignore[no-untyped-def]
    _child_logging()
    asyncio.run(_serve_ours(cfg, conn))


async def _serve_ours(cfg: dict[str, Any], conn) -> None:  # type: ignore[no-untyped-def]
    from bot.app import App
    from bot.config import load_settings

    if cfg.get("pacer_off"):
        from bot.core import Pacer

        build_channel = App.telegram_channel

        def unpaced(self: App):  # type: ignore[no-untyped-def]
            channel = build_channel(self)
            try:
                channel.pacer = Pacer(1e6, per_chat_per_second=None, group_per_minute=None, lanes=1024)
            except TypeError:  # a Pacer without send lanes
                channel.pacer = Pacer(1e6, per_chat_per_second=None, group_per_minute=None)
            return channel

        App.telegram_channel = unpaced  # type: ignore[method-assign]
    settings = load_settings(
        database_url=cfg["database_url"], telegram_bot_token=cfg["token"], telegram_api_base_url=cfg["api_root"],
        telegram_mode="webhook", webhook_url=WEBHOOK_URL, webhook_secret=SECRET, webhook_listen="127.0.0.1:0",
        files_dir=cfg["files_dir"], log_level="WARNING")
    app = App(settings)
    await app.prepare(demo=False)
    now = datetime.now(UTC)
    await app.services.open_period(form_id=FORM, label="Sơ kết 6 tháng (bench)", due_at=now + timedelta(days=30),
                                   cutoff=date(now.year, 6, 14), audience={"all": True}, remind_offsets=[],
                                   announce=False)
    await app.start(scheduler=False)
    assert app.web is not None
    conn.send({"port": app.web.port, "pacer_per_second": settings.telegram_rate})
    await _await_stop(conn)
    await app.stop()


def parse_number(text: str) -> list[int] | None:
    """The baseline's validation: one or more non-negative integers separated by "/"
    (Vietnamese digit grouping "1.234" allowed), as ours accepts for these questions."""
    parts = [p.strip().replace(".", "") for p in text.split("/")]
    if not parts or not all(p.isdigit() and len(p) <= 9 for p in parts):
        return None
    return [int(p) for p in parts]


def serve_baseline(cfg: dict[str, Any], conn) -> None:  # type: ignore[no-untyped-def]
    _child_logging()
    asyncio.run(_serve_baseline(cfg, conn))


async def _serve_baseline(cfg: dict[str, Any], conn) -> None:  # type: ignore[no-untyped-def]
    from telegram import Update
    from telegram.constants import ParseMode
    from telegram.ext import (
        Application,
        CommandHandler,
        ContextTypes,
        ConversationHandler,
        Defaults,
        MessageHandler,
        PicklePersistence,
        SimpleUpdateProcessor,
        filters,
    )

    qids: list[str] = cfg["qids"]
    total = len(qids)

    def prompt(i: int) -> str:
        return (f"Câu {i + 1}/{total}. Số liệu <b>{qids[i]}</b> của đơn vị tính đến ngày chốt số liệu?\n"
                "Nhập một số (ví dụ: 12); nếu không có, nhập 0.")

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert update.effective_message and context.user_data is not None
        context.user_data["answers"] = {}
        await update.effective_message.reply_text(
            "<b>Báo cáo sơ kết công tác thi đua, khen thưởng 6 tháng đầu năm</b>\n"
            f"Đồng chí trả lời lần lượt {total} câu hỏi; gõ /huy để dừng.")
        await update.effective_message.reply_text(prompt(0))
        return 0

    def answer_for(i: int):  # type: ignore[no-untyped-def]
        async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
            msg = update.effective_message
            assert msg and msg.text is not None and context.user_data is not None
            value = parse_number(msg.text)
            if value is None:
                await msg.reply_text("❌ Câu trả lời phải là một số (ví dụ: 12).")
                await msg.reply_text(prompt(i))
                return i
            context.user_data.setdefault("answers", {})[qids[i]] = value
            if i + 1 < total:
                await msg.reply_text(prompt(i + 1))
                return i + 1
            await msg.reply_text("📋 <b>Tóm tắt báo cáo</b>\n" + "\n".join(
                f"{k}: {v}" for k, v in context.user_data["answers"].items()))
            return ConversationHandler.END
        return answer

    class PerChatUpdateProcessor(SimpleUpdateProcessor):
        """PTB's SimpleUpdateProcessor plus one lock per chat: updates of one chat in arrival order.

        Needed for a correct ConversationHandler under concurrency: it stores the new state only after
        the callback returned, but the reply reached the user before that, so a quick next answer would
        otherwise be matched against the old state (a first answer right after /baocao is dropped)."""

        def __init__(self, max_concurrent_updates: int) -> None:
            super().__init__(max_concurrent_updates)
            self.locks: dict[int, tuple[asyncio.Lock, int]] = {}

        async def do_process_update(self, update: object, coroutine: Any) -> None:
            chat = update.effective_chat.id if isinstance(update, Update) and update.effective_chat else 0
            lock, users = self.locks.get(chat, (None, 0))
            lock = lock or asyncio.Lock()
            self.locks[chat] = (lock, users + 1)
            try:
                async with lock:
                    await coroutine
            finally:
                lock, users = self.locks[chat]
                if users <= 1:
                    del self.locks[chat]
                else:
                    self.locks[chat] = (lock, users - 1)

    persistence = PicklePersistence(cfg["pickle_path"])  # update_interval=60 (the default)
    application = (Application.builder().token(cfg["token"]).base_url(cfg["api_root"] + "/bot")
                   .base_file_url(cfg["api_root"] + "/file/bot").updater(None).persistence(persistence)
                   .concurrent_updates(PerChatUpdateProcessor(256)).connection_pool_size(128)
                   .defaults(Defaults(parse_mode=ParseMode.HTML)).build())
    text = filters.TEXT & ~filters.COMMAND
    application.add_handler(ConversationHandler(
        entry_points=[CommandHandler("baocao", start)],
        states={i: [MessageHandler(text, answer_for(i))] for i in range(total)},
        fallbacks=[CommandHandler("baocao", start)],
        name="report", persistent=True, allow_reentry=True))

    runner = await serve_ptb_by_webhook(application)
    port = runner.addresses[0][1]
    conn.send({"port": port, "persistence_interval": persistence.update_interval,
               "concurrent_updates": f"{application.concurrent_updates}, per-chat lock"})
    await _await_stop(conn)
    await application.stop()
    await application.shutdown()
    await runner.cleanup()


async def serve_ptb_by_webhook(application, *, path: str = HOOK_PATH, url: str = WEBHOOK_URL,  # type: ignore[no-untyped-def]
                               secret: str = SECRET):
    """The baseline's webhook: our own aiohttp route into PTB's update queue (PTB's built-in
    webhook server needs tornado), then ``setWebhook`` and ``start``. Returns the runner."""
    from aiohttp import web
    from telegram import Update

    async def webhook(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret.encode()):
            return web.json_response({"ok": False}, status=401)
        try:
            update = Update.de_json(await request.json(), application.bot)
        except Exception:
            return web.json_response({"ok": False}, status=400)
        await application.update_queue.put(update)
        return web.json_response({"ok": True})

    web_app = web.Application(client_max_size=2 * 1024 * 1024)
    web_app.router.add_post(path, webhook)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    await application.initialize()
    await application.bot.set_webhook(url, secret_token=secret, allowed_updates=["message", "callback_query"])
    await application.start()
    return runner


class Child:
    """The bot under test in its own process; ``crash()`` is SIGKILL."""

    def __init__(self, target, cfg: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
        ctx = mp.get_context("spawn")
        self.conn, child_conn = ctx.Pipe()
        self.proc = ctx.Process(target=target, args=(cfg, child_conn), daemon=True)

    async def start(self, timeout: float = 120.0) -> dict[str, Any]:
        self.proc.start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.conn.poll():
            if not self.proc.is_alive():
                raise RuntimeError(f"bot process exited with {self.proc.exitcode} before it was ready")
            if loop.time() > deadline:
                self.crash()
                raise RuntimeError("bot process not ready in time")
            await asyncio.sleep(0.05)
        info: dict[str, Any] = self.conn.recv()
        return info

    def cpu_seconds(self) -> float:
        """User + system CPU the bot process has used so far (Linux /proc)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def crash(self) -> None:
        if self.proc.pid is not None and self.proc.is_alive():
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.join(10)


# ----------------------------------------------------------------------------------------------
# the simulated officers
# ----------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    latencies: list[float] = field(default_factory=list)
    acked: dict[int, list[str]] = field(default_factory=dict)  # chat -> question ids whose reply arrived
    first_post: float = 0.0
    last_reply: float = 0.0
    rejected: int = 0
    timeouts: int = 0
    unfinished: int = 0
    http_errors: int = 0
    capped: bool = False


class Officers:
    def __init__(self, fake: RecordingFake, port: int, answers: list[tuple[str, str]]) -> None:
        self.fake = fake
        self.url = f"http://127.0.0.1:{port}{HOOK_PATH}"
        self.answers = answers
        self.update_ids = itertools.count(500_000_001)
        self.result = RunResult()
        self.session: aiohttp.ClientSession | None = None
        self.posts: set[asyncio.Task[None]] = set()

    def update(self, chat: int, text: str) -> bytes:
        message: dict[str, Any] = {
            "message_id": self.fake._next_id(chat),
            "from": {"id": chat, "is_bot": False, "first_name": f"Cán bộ {chat - FIRST_CHAT}"},
            "chat": {"id": chat, "type": "private", "first_name": f"Cán bộ {chat - FIRST_CHAT}"},
            "date": int(time.time()), "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return json.dumps({"update_id": next(self.update_ids), "message": message}, ensure_ascii=False).encode()

    async def post(self, body: bytes) -> None:
        assert self.session is not None
        try:
            async with self.session.post(self.url, data=body, headers={
                    "Content-Type": "application/json", SECRET_HEADER: SECRET}) as resp:
                await resp.read()
                if resp.status != 200:
                    self.result.http_errors += 1
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.result.http_errors += 1
            if self.result.http_errors == 1:
                print(f"webhook POST failed: {type(exc).__name__}: {exc}", file=sys.stderr)

    async def officer(self, i: int, think: float, deadline: float, cut: float, rng: random.Random) -> None:
        chat = FIRST_CHAT + i
        waiter = self.fake.waiting[chat] = Waiter()
        acked = self.result.acked[chat] = []
        res = self.result
        for qid, text in [("", "/baocao"), *self.answers]:
            if think:  # before /baocao too: officers do not all start in the same millisecond
                await asyncio.sleep(rng.uniform(0.0, think))
            if time.monotonic() >= deadline:
                res.capped = True
                return
            waiter.event.clear()
            waiter.rejected = False
            body = self.update(chat, text)
            sent_at = time.monotonic()
            # The POST is not awaited before the next answer: an officer reacts to the reply in the chat,
            # not to the HTTP status of the webhook call (ours answers the POST only after handling).
            task = asyncio.create_task(self.post(body))
            self.posts.add(task)
            task.add_done_callback(self.posts.discard)
            try:
                await asyncio.wait_for(waiter.event.wait(), min(REPLY_TIMEOUT, max(0.0, cut - sent_at)))
            except TimeoutError:
                if time.monotonic() >= cut - 0.01:
                    res.capped = True
                    res.unfinished += 1  # still waiting when the run was cut
                else:
                    res.timeouts += 1
                return
            res.latencies.append(waiter.at - sent_at)
            res.last_reply = max(res.last_reply, waiter.at)
            if waiter.rejected:
                res.rejected += 1
            elif qid:
                acked.append(qid)

    async def run(self, n: int, *, think: float, max_seconds: float, grace: float, connections: int,
                  seed: int = 1) -> RunResult:
        # Like Telegram: at most ``connections`` webhook requests in flight (setWebhook's max_connections),
        # kept alive; an update waiting for a free connection is already on the clock.
        connector = aiohttp.TCPConnector(limit=connections)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=300)) as session:
            self.session = session
            self.result.first_post = time.monotonic()
            deadline = self.result.first_post + max_seconds
            cut = deadline + grace
            rng = random.Random(seed)
            await asyncio.gather(*(self.officer(i, think, deadline, cut, random.Random(rng.random()))
                                   for i in range(n)))
            if self.posts:  # ours answers the POST once the update is handled: let the last ones finish
                await asyncio.wait(self.posts, timeout=2)
            for task in list(self.posts):
                task.cancel()
            self.session = None
        for i in range(n):
            self.fake.waiting.pop(FIRST_CHAT + i, None)
        return self.result


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


def figures(res: RunResult) -> dict[str, Any]:
    lat = sorted(res.latencies)
    seconds = max(1e-9, res.last_reply - res.first_post)
    return {"updates": len(lat), "seconds": round(seconds, 2), "updates_per_s": round(len(lat) / seconds, 1),
            "p50_ms": round(percentile(lat, 0.50) * 1000, 1), "p95_ms": round(percentile(lat, 0.95) * 1000, 1),
            "max_ms": round((lat[-1] if lat else float("nan")) * 1000, 1)}


def problems(res: RunResult) -> dict[str, int]:
    out = {"unfinished_at_cut": res.unfinished, "rejected": res.rejected, "timeouts": res.timeouts,
           "http_errors": res.http_errors}
    return {k: v for k, v in out.items() if v}


# ----------------------------------------------------------------------------------------------
# durability: what the store holds after a SIGKILL
# ----------------------------------------------------------------------------------------------


async def lost_in_db(url: str, acked: dict[int, list[str]]) -> int:
    from storage.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(FormSession.member_id, FormSession.answers))).all()
    finally:
        await engine.dispose()
    stored = {int(member_id): answers or {} for member_id, answers in rows}
    lost = 0
    for chat, qids in acked.items():
        answers = stored.get(chat - FIRST_CHAT + 1, {})  # seed_units: member i+1 is bound to chat 100000+i
        lost += sum(1 for q in qids if q not in answers)
    return lost


def lost_in_pickle(path: Path, acked: dict[int, list[str]]) -> int:
    user_data: dict[int, dict[str, Any]] = {}
    if path.exists():
        with path.open("rb") as f:
            user_data = pickle.load(f).get("user_data", {})
    lost = 0
    for chat, qids in acked.items():
        answers = user_data.get(chat, {}).get("answers", {})
        lost += sum(1 for q in qids if q not in answers)
    return lost


# ----------------------------------------------------------------------------------------------
# runs
# ----------------------------------------------------------------------------------------------


def webhook_connections(fake: RecordingFake, opts: argparse.Namespace) -> int:
    """--max-connections, else the max_connections the bot registered with setWebhook (Telegram: 40)."""
    if opts.max_connections is not None:
        return int(opts.max_connections)
    return int((fake.webhook or {}).get("max_connections") or 40)


class Cpu:
    """CPU seconds used during the run by the bot process and by this one (fake + officers)."""

    def __init__(self, child: Child) -> None:
        self.child = child
        self.bot0, self.here0 = child.cpu_seconds(), time.process_time()
        self.bot = self.here = 0.0

    def stop(self) -> None:
        self.bot, self.here = self.child.cpu_seconds() - self.bot0, time.process_time() - self.here0

    def figures(self) -> dict[str, float]:
        return {"cpu_s_bot": round(self.bot, 1), "cpu_s_fake_and_officers": round(self.here, 1)}


@dataclass
class Mode:
    name: str
    officers: int
    think: float


async def run_ours(fake: RecordingFake, backend: str, url: str, mode: Mode, answers: list[tuple[str, str]],
                   tmp: Path, opts: argparse.Namespace) -> None:
    engine = await fresh_database(url)
    await seed_units(engine, mode.officers)
    await engine.dispose()
    child = Child(serve_ours, {"database_url": url, "token": fake.token, "api_root": fake.root,
                               "files_dir": str(tmp / "files"), "pacer_off": opts.pacer_off})
    info = await child.start()
    try:
        cpu = Cpu(child)
        connections = webhook_connections(fake, opts)
        res = await Officers(fake, info["port"], answers).run(
            mode.officers, think=mode.think, max_seconds=opts.max_seconds, grace=opts.grace, connections=connections)
        cpu.stop()
    finally:
        child.crash()  # SIGKILL: whatever was not committed is gone
    lost = await lost_in_db(url, res.acked)
    pacer = "off (diagnostic, --pacer-off)" if opts.pacer_off else f"TELEGRAM_RATE={info['pacer_per_second']:g}/s"
    emit(bench="conversation", impl="tdkt-bot", backend=backend, mode=mode.name, officers=mode.officers,
         questions=len(answers), **figures(res), durable_before_reply=True,
         answers_acked=sum(len(v) for v in res.acked.values()), lost_answers=lost, capped=res.capped,
         pacer=pacer, webhook_connections=connections or "unlimited", **cpu.figures(), **problems(res))


async def run_baseline(fake: RecordingFake, mode: Mode, answers: list[tuple[str, str]], tmp: Path,
                       opts: argparse.Namespace) -> None:
    pickle_path = tmp / f"ptb-{mode.name}.pickle"
    pickle_path.unlink(missing_ok=True)
    child = Child(serve_baseline, {"token": fake.token, "api_root": fake.root, "pickle_path": str(pickle_path),
                                   "qids": [q for q, _ in answers]})
    info = await child.start()
    try:
        cpu = Cpu(child)
        connections = webhook_connections(fake, opts)
        res = await Officers(fake, info["port"], answers).run(
            mode.officers, think=mode.think, max_seconds=opts.max_seconds, grace=opts.grace, connections=connections)
        cpu.stop()
    finally:
        child.crash()  # SIGKILL: what PicklePersistence had not written yet is gone
    lost = lost_in_pickle(pickle_path, res.acked)
    emit(bench="conversation", impl="ptb-conversationhandler", backend="pickle", mode=mode.name,
         officers=mode.officers, questions=len(answers), **figures(res), durable_before_reply=False,
         persistence_interval_s=info["persistence_interval"],
         answers_acked=sum(len(v) for v in res.acked.values()), lost_answers=lost, capped=res.capped,
         concurrent_updates=info["concurrent_updates"], webhook_connections=connections or "unlimited",
         **cpu.figures(), **problems(res))


async def pg_reachable(url: str) -> str | None:
    """None when PostgreSQL answers at ``url``, else why not."""
    from sqlalchemy import text

    from storage.db import create_engine

    engine = create_engine(url)
    try:
        async with asyncio.timeout(5), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:200]
    finally:
        await engine.dispose()
    return None


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--officers-saturation", type=int, default=1000)
    parser.add_argument("--officers-realistic", type=int, default=200)
    parser.add_argument("--questions", type=int, default=12,
                        help=f"numeric questions each officer answers (1..{len(NUMERIC_ANSWERS)})")
    parser.add_argument("--think", type=float, default=4.0, help="realistic run: think 0..THINK s between answers")
    parser.add_argument("--max-seconds", type=float, default=30.0,
                        help="cap per run: no officer starts a new update after this many seconds")
    parser.add_argument("--grace", type=float, default=10.0,
                        help="after the cap, wait this long for replies in flight, then cut the run")
    parser.add_argument("--max-connections", type=int, default=None,
                        help="webhook requests in flight at once (default: what the bot set with setWebhook, "
                             "Telegram's default 40; 0 = unlimited)")
    parser.add_argument("--api-latency", type=float, default=0.0,
                        help="diagnostic: seconds the fake Bot API waits before answering each call (0 = none)")
    parser.add_argument("--pacer-off", action="store_true",
                        help="diagnostic: run ours with its outgoing Pacer lifted (not the product's configuration)")
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL",
                                                       "postgresql+asyncpg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--mode", choices=("both", "saturation", "realistic"), default="both",
                        help="which runs to make (default both)")
    args = parser.parse_args()
    if not 1 <= args.questions <= len(NUMERIC_ANSWERS):
        parser.error(f"--questions must be 1..{len(NUMERIC_ANSWERS)}")
    answers = NUMERIC_ANSWERS[:args.questions]
    modes = [Mode("saturation", args.officers_saturation, 0.0), Mode("realistic", args.officers_realistic, args.think)]
    modes = [m for m in modes if args.mode in ("both", m.name)]

    tmp = Path(tempfile.mkdtemp(prefix="tdkt-bench-conv-"))
    backends = [("sqlite", f"sqlite+aiosqlite:///{tmp}/bench.sqlite3")]
    if not args.skip_pg:
        why = await pg_reachable(args.pg)
        if why is None:
            backends.append(("postgresql", args.pg))
        else:
            emit(bench="conversation", impl="tdkt-bot", backend="postgresql", skipped=f"unreachable: {why}")
    fake = RecordingFake(limits=False, latency=args.api_latency)
    await fake.start()
    try:
        for mode in modes:
            for backend, url in backends:
                await run_ours(fake, backend, url, mode, answers, tmp, args)
            if not args.skip_baseline:
                await run_baseline(fake, mode, answers, tmp, args)
    finally:
        await fake.stop()
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)


if __name__ == "__main__":
    asyncio.run(main())
