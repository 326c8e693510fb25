"""Several replicas of the bot on one PostgreSQL database, and polling that never loses an update.

The replicas here are App instances in one test process, each with its own engines, web
server and channels: as separate as two ``tdkt-bot run`` processes except for the event
loop. A "kill" cuts a replica off the way ``kill -9`` would: its connections drop at once,
its in-flight work is cancelled, and it never says goodbye (no graceful confirmation).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import text

from bot.app import App
from bot.channels.telegram import TelegramChannel
from bot.core import Address, FixedClock
from storage.db import create_engine
from tests.conftest import make_settings
from tests.fakes.telegram_api import SECRET_HEADER, FakeTelegram
from tests.fakes.zalo_api import FakeZalo

PUBLIC_ORIGIN = "https://bot.example.gov.vn"
PUBLIC_URL = f"{PUBLIC_ORIGIN}/telegram/hook"
SECRET = "replica-Secret_42"
QUESTION = re.compile(r"Câu (\d+)/\d+")

# The first ten answers of the six-monthly report (question 5 exists because question 4 > 0);
# the staff count differs per officer so that answers landing in another chat would show.
ANSWERS = [
    ("tong_cbcc", None), ("vb_chi_dao", "3"), ("pt_thuong_xuyen", "2"), ("pt_chuyen_de", "1"),
    ("ten_pt_chuyen_de", "Thi đua chung sức xây dựng nông thôn mới"), ("dk_ca_nhan", "40"), ("dk_tap_the", "5"),
    ("dk_gia_dinh", "1.234"), ("dien_hinh", "4"), ("dien_hinh_nhan_rong", "6"),
]


def answers_of(i: int) -> list[tuple[str, str]]:
    return [(qid, value if value is not None else str(100 + i)) for qid, value in ANSWERS]


def stored_of(i: int) -> dict[str, Any]:
    return {"tong_cbcc": 100 + i, "vb_chi_dao": 3, "pt_thuong_xuyen": 2, "pt_chuyen_de": 1,
            "ten_pt_chuyen_de": "Thi đua chung sức xây dựng nông thôn mới", "dk_ca_nhan": 40, "dk_tap_the": 5,
            "dk_gia_dinh": 1234, "dien_hinh": 4, "dien_hinh_nhan_rong": 6}


def postgres_only(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("several processes share one database on PostgreSQL only (SQLite allows one run)")


def telegram_of(app: App) -> TelegramChannel:
    ch = app.dispatcher.channels["telegram"]
    assert isinstance(ch, TelegramChannel)
    return ch


async def open_period(app: App) -> int:
    p = await app.services.open_period(
        form_id="bao-cao-6-thang", label="Sơ kết 6 tháng đầu năm 2026", due_at=datetime(2026, 6, 20, 10, tzinfo=UTC),
        cutoff=date(2026, 6, 14), audience={"kinds": ["xa"]}, remind_offsets=["1d"])
    return p.id


async def draft_of(app: App, chat: int, period_id: int) -> Any:
    member = await app.services.members.member_at(Address("telegram", str(chat)))
    assert member is not None, chat
    return await app.services.reports.draft_of_member(member.id, period_id)


def question_numbers(tg: FakeTelegram, chat: int) -> list[int]:
    """The question numbers the chat was asked, in the order the messages came."""
    return [int(m.group(1)) for msg in tg.messages_to(chat) if (m := QUESTION.search(msg.text or ""))]


async def new_message(tg: FakeTelegram, chat: int, before: int, timeout: float = 30) -> str:
    await tg.wait_for(lambda: len(tg.messages_to(chat)) > before, timeout=timeout)
    return tg.messages_to(chat)[-1].text or ""


async def terminate_lock_holders(db_url: str) -> list[int]:
    """Cut the database sessions that hold advisory locks: what a dead process's sessions become."""
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            pids = list((await conn.execute(text(
                "SELECT DISTINCT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))).scalars())
            for pid in pids:
                await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await conn.commit()
        return pids
    finally:
        await engine.dispose()


# --------------------------------------------------------------------------- polling, one process


async def test_a_kill_between_get_updates_and_handling_loses_nothing(db_url: str, clock: FixedClock) -> None:
    """The answer was saved, the reply was on its way, the process died: the next process gets
    the update again (Telegram was never told it was handled) and the officer the next question."""
    tg = FakeTelegram()
    await tg.start()
    settings = make_settings(db_url, telegram_bot_token=tg.token, telegram_api_base_url=tg.root)
    app = App(settings, clock=clock)
    await app.prepare(demo=True)
    await app.start(scheduler=False)
    chat = 5301
    app2: App | None = None
    try:
        period_id = await open_period(app)
        inv = await app.services.members.create_invite("X_CAOLOC")
        for text_ in (f"/start {inv.code}", "/baocao", "42"):
            before = len(tg.messages_to(chat))
            await tg.push_text(chat, text_)
            await new_message(tg, chat, before)
        assert question_numbers(tg, chat)[-1] == 2
        tg.hold("sendMessage")
        sends = tg.requests["sendMessage"]
        pushed = await tg.push_text(chat, "3")
        await tg.wait_for(lambda: tg.requests["sendMessage"] > sends, timeout=10)  # answer saved, reply in flight
        ch = telegram_of(app)
        assert pushed["update_id"] in ch._running
        await asyncio.sleep(0.3)  # the poller polls again meanwhile: that must not confirm the update
        # kill -9: the poller and the handler vanish mid-flight
        for task in [ch._poller, *ch._running.values()]:
            assert task is not None
            task.cancel()
        await asyncio.sleep(0.05)
        assert any(u["update_id"] == pushed["update_id"] for u in tg.pending_updates), \
            "the update was confirmed to Telegram before it was handled"
        tg.release("sendMessage")
        await app.stop()
        before = len(tg.messages_to(chat))
        app2 = App(settings, clock=clock)
        await app2.prepare()
        await app2.start(scheduler=False)
        reply = await new_message(tg, chat, before)
        await tg.wait_for(lambda: app2.dispatcher.handled >= 1)  # the reply goes out before the count
        assert app2.dispatcher.handled == 1
        assert QUESTION.search(reply) and QUESTION.search(reply).group(1) == "3", reply  # type: ignore[union-attr]
        draft = await draft_of(app2, chat, period_id)
        assert draft.answers == {"tong_cbcc": 42, "vb_chi_dao": 3} and draft.history == ["tong_cbcc", "vb_chi_dao"]
        before = len(tg.messages_to(chat))
        await tg.push_text(chat, "2")
        assert "Câu 4/" in await new_message(tg, chat, before)
        await tg.wait_for(lambda: app2.dispatcher.handled >= 2)  # the reply goes out before the count
        # a graceful stop confirms what was handled; should the confirmation not get through,
        # the next process gets the update again and its ledger drops it: never answered twice
        await app2.stop()
        if tg.pending_updates:
            answered = len(tg.messages_to(chat))
            app3 = App(settings, clock=clock)
            await app3.start(scheduler=False)
            try:
                await tg.wait_for(lambda: tg.pending_updates == [] and app3.dispatcher.dropped >= 1, timeout=10)
                assert len(tg.messages_to(chat)) == answered
            finally:
                await app3.stop()
    finally:
        if app2 is not None:
            await app2.stop()
        await app.stop()
        await tg.stop()


# --------------------------------------------------------------------------- polling, two processes


async def test_one_poller_among_replicas_and_handover_when_it_dies(db_url: str, clock: FixedClock) -> None:
    postgres_only(db_url)
    tg = FakeTelegram()
    await tg.start()
    settings = make_settings(db_url, telegram_bot_token=tg.token, telegram_api_base_url=tg.root)
    a, b = App(settings, clock=clock), App(settings, clock=clock)
    await a.prepare(demo=True)
    await b.prepare()
    await a.start(scheduler=False)
    await b.start(scheduler=False)
    try:
        ta, tb = telegram_of(a), telegram_of(b)
        await asyncio.sleep(4.5)  # the follower asks for the lock every 2 s: two tries at least
        assert (ta._polling, tb._polling) == (True, False)
        assert tg.conflicts == 0 and tg.requests["getUpdates"] >= 1
        # the leader answers meanwhile
        before = len(tg.messages_to(7001))
        await tg.push_text(7001, "/help")
        await new_message(tg, 7001, before)
        await tg.wait_for(lambda: a.dispatcher.handled + b.dispatcher.handled >= 1)
        assert (a.dispatcher.handled, b.dispatcher.handled) == (1, 0)
        await tg.wait_for(lambda: tg.pending_updates == [])  # and confirmed it: it will not come again
        # the leader's process dies: its tasks stop, its database sessions end
        for task in [ta._poller, *ta._running.values()]:
            assert task is not None
            task.cancel()
        holders = await terminate_lock_holders(db_url)
        assert len(holders) == 1, holders
        loop = asyncio.get_running_loop()
        died = loop.time()
        await tg.wait_for(lambda: tb._polling, timeout=10, interval=0.05)
        assert loop.time() - died < 6, loop.time() - died
        before = len(tg.messages_to(7002))
        await tg.push_text(7002, "/help")
        await new_message(tg, 7002, before)
        await tg.wait_for(lambda: a.dispatcher.handled + b.dispatcher.handled >= 2)
        assert (a.dispatcher.handled, b.dispatcher.handled) == (1, 1)
        assert tg.conflicts == 0, tg.dump()
    finally:
        await b.stop()
        await a.stop()
        await tg.stop()


async def test_a_409_is_one_clear_error_per_episode(sqlite_url: str, clock: FixedClock,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    """Someone outside our lock polls the same token: say so once, clearly, and go on polling."""
    tg = FakeTelegram()
    await tg.start()
    app = App(make_settings(sqlite_url, telegram_bot_token=tg.token, telegram_api_base_url=tg.root), clock=clock)
    await app.prepare(demo=True)
    await app.start(scheduler=False)
    try:
        await tg.wait_for(lambda: tg.requests["getUpdates"] >= 1)
        caplog.set_level(logging.INFO, logger="bot.channels.telegram")
        async with aiohttp.ClientSession() as http:  # the other poller: a stray copy of the bot
            for _ in range(3):
                async with http.post(f"{tg.api_url}/getUpdates", json={"timeout": 1}) as resp:
                    await resp.read()
        await tg.wait_for(lambda: tg.conflicts >= 2, timeout=10)
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1 and "another process is polling this bot token" in errors[0].getMessage()
        before = len(tg.messages_to(7101))
        await tg.push_text(7101, "/help")
        await new_message(tg, 7101, before, timeout=40)  # polling went on once the other one stopped
        assert any("works again" in r.getMessage() for r in caplog.records)
        assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1
    finally:
        await app.stop()
        await tg.stop()


async def test_one_zalo_poller_among_replicas(db_url: str, clock: FixedClock) -> None:
    """Two Zalo pollers would split a chat's messages between them: only the lock holder polls."""
    postgres_only(db_url)
    zalo = FakeZalo()
    await zalo.start()
    settings = make_settings(db_url, zalo_bot_token=zalo.token, zalo_api_base_url=zalo.base_url)
    a, b = App(settings, clock=clock), App(settings, clock=clock)
    for app in (a, b):
        make = app.zalo_channel

        def fast(make=make):  # type: ignore[no-untyped-def]
            channel = make()
            channel.poll_timeout = 2
            return channel

        app.zalo_channel = fast  # type: ignore[method-assign]
    await a.prepare(demo=True)
    await a.start(scheduler=False)
    await b.start(scheduler=False)
    try:
        za, zb = a.dispatcher.channels["zalo"], b.dispatcher.channels["zalo"]
        await asyncio.sleep(2.5)
        assert (za._polling, zb._polling) == (True, False)  # type: ignore[attr-defined]
        chats = [f"{i:020x}" for i in range(1, 7)]
        for chat in chats:
            await zalo.push_text(chat, "/help")
        await zalo.wait_for(lambda: all(zalo.messages_to(c) for c in chats), timeout=20)
        # a reply goes out before its handling is marked finished: wait for the count too
        await zalo.wait_for(lambda: a.dispatcher.handled + b.dispatcher.handled >= len(chats), timeout=10)
        assert (a.dispatcher.handled, b.dispatcher.handled) == (len(chats), 0)
        await a.stop()  # the leader leaves: the follower takes over within its retry period
        await zalo.wait_for(lambda: zb._polling, timeout=10)  # type: ignore[attr-defined]
        # Zalo has no offsets: a long poll the leaver abandoned takes one update with it when it
        # ends at the server (the fake does so), so let it run out first (poll_timeout = 2 s).
        await asyncio.sleep(2.5)
        await zalo.push_text(chats[0], "/help")
        await zalo.wait_for(lambda: len(zalo.messages_to(chats[0])) >= 2, timeout=20)
        await zalo.wait_for(lambda: b.dispatcher.handled >= 1, timeout=10)
        assert b.dispatcher.handled == 1
    finally:
        await b.stop()
        await a.stop()
        await zalo.stop()


# --------------------------------------------------------------------------- webhook, two processes


def webhook_settings(db_url: str, tg: FakeTelegram) -> Any:
    return make_settings(db_url, telegram_bot_token=tg.token, telegram_api_base_url=tg.root, telegram_mode="webhook",
                         webhook_url=PUBLIC_URL, webhook_secret=SECRET, webhook_listen="127.0.0.1:0")


async def test_exactly_one_set_webhook_for_replicas_and_none_deleted(db_url: str, clock: FixedClock) -> None:
    postgres_only(db_url)
    tg = FakeTelegram()
    await tg.start()
    a, b = App(webhook_settings(db_url, tg), clock=clock), App(webhook_settings(db_url, tg), clock=clock)
    await a.prepare(demo=True)
    c: App | None = None
    try:
        await asyncio.gather(a.start(scheduler=False), b.start(scheduler=False))
        assert tg.requests["setWebhook"] == 1
        assert tg.webhook is not None and tg.webhook["url"] == PUBLIC_URL and tg.webhook["secret_token"] == SECRET
        # a replica stops and another starts: the webhook stays, nobody sets it again
        await a.stop()
        c = App(webhook_settings(db_url, tg), clock=clock)
        await c.start(scheduler=False)
        assert tg.requests["setWebhook"] == 1 and tg.requests["deleteWebhook"] == 0
        assert tg.webhook is not None and tg.webhook["url"] == PUBLIC_URL
        # someone pointed the webhook elsewhere: the next check (start or watchdog) sets it back, once
        async with aiohttp.ClientSession() as http:
            await http.post(f"{tg.api_url}/setWebhook", json={"url": "https://elsewhere.example/hook"})
        assert await telegram_of(c)._ensure_webhook() is True
        assert await telegram_of(b)._ensure_webhook() is False
        assert tg.webhook is not None and tg.webhook["url"] == PUBLIC_URL and tg.requests["setWebhook"] == 3
    finally:
        if c is not None:
            await c.stop()
        await b.stop()
        await a.stop()
        await tg.stop()


class RoundRobinProxy:
    """The reverse proxy in front of the replicas: one public URL, requests taken in turn.

    Like nginx, a backend that refuses the connection is skipped for the next one, but a POST
    that a backend dropped is not retried: the proxy answers 502 and Telegram delivers the
    update again. ``per_backend`` caps the connections to each replica (nginx's
    ``max_conns``), which keeps this test's PostgreSQL connections modest.
    """

    def __init__(self, backends: list[str], per_backend: int = 10) -> None:
        self.backends = backends
        self._turn = itertools.count()
        self._slots = [asyncio.Semaphore(per_backend) for _ in backends]
        self.answered: list[int] = [0] * len(backends)
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._http is not None
        i = next(self._turn) % len(self.backends)
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k in (SECRET_HEADER, "Content-Type")}
        for j in [i, *(k for k in range(len(self.backends)) if k != i)]:
            try:
                async with self._slots[j], self._http.post(self.backends[j] + request.path_qs, data=body,
                                                           headers=headers) as resp:
                    data = await resp.read()
                    if 200 <= resp.status < 300:
                        self.answered[j] += 1
                    return web.Response(status=resp.status, body=data, content_type=resp.content_type)
            except aiohttp.ClientConnectorError:
                continue  # nothing was sent: the next backend may take it (nginx's proxy_next_upstream error)
            except (aiohttp.ClientError, TimeoutError):
                break  # the request went out and the backend dropped it: not retried for a POST
        return web.Response(status=502, text="bad gateway")

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()


async def kill(app: App) -> None:
    """kill -9 of a webhook replica: its server stops listening, every connection drops, every
    request being handled is cancelled where it stands, and its outboxes stop."""
    assert app.web is not None and app.web._runner is not None
    runner = app.web._runner
    for site in list(runner.sites):
        await site.stop()
    assert runner.server is not None
    await runner.server.shutdown(0.001)
    for outbox in app.outboxes.values():
        for task in [outbox._task, *outbox._inflight]:
            if task is not None:
                task.cancel()


async def run_officers(tg: FakeTelegram, chats: list[int], *, during: Callable[[int], Awaitable[None]] | None = None
                       ) -> None:
    """Every officer answers ten questions, one after another (each after the bot's reply),
    all officers at the same time. ``during(answered)`` runs alongside with the running count."""
    answered = 0

    async def officer(i: int, chat: int) -> None:
        nonlocal answered
        for _qid, value in answers_of(i):
            before = len(tg.messages_to(chat))
            await asyncio.wait_for(tg.push_text(chat, value), timeout=60)
            reply = await new_message(tg, chat, before, timeout=60)
            assert not reply.startswith("❌"), (chat, value, reply)
            answered += 1

    async def watch() -> None:
        assert during is not None
        await during(0)
        while answered < len(chats) * len(ANSWERS):
            await asyncio.sleep(0.02)
            await during(answered)

    jobs = [officer(i, chat) for i, chat in enumerate(chats)]
    if during is not None:
        jobs.append(watch())
    await asyncio.gather(*jobs)


async def two_webhook_replicas(db_url: str, clock: FixedClock, officers: int
                               ) -> tuple[FakeTelegram, RoundRobinProxy, App, App, list[int], int]:
    """Two replicas behind one proxy, ``officers`` units each with a bound officer at /baocao."""
    tg = FakeTelegram(webhook_retry=0.05)
    await tg.start()
    a, b = App(webhook_settings(db_url, tg), clock=clock), App(webhook_settings(db_url, tg), clock=clock)
    await a.prepare()
    await asyncio.gather(a.start(scheduler=False), b.start(scheduler=False))
    assert a.web is not None and b.web is not None
    proxy = RoundRobinProxy([f"http://127.0.0.1:{a.web.port}", f"http://127.0.0.1:{b.web.port}"])
    await proxy.start()
    tg.hosts[PUBLIC_ORIGIN] = proxy.root
    codes = [f"R_{i:03d}" for i in range(officers)]
    await a.services.units.import_rows([{"code": c, "name": f"Xã Thử {i}", "kind": "xa", "parent_code": "",
                                         "groups": ""} for i, c in enumerate(codes)])
    period_id = await open_period(a)
    chats = [8000 + i for i in range(officers)]

    async def join(code: str, chat: int) -> None:
        inv = await a.services.members.create_invite(code)
        for command, expected in ((f"/start {inv.code}", "Đã liên kết"), ("/baocao", "Câu 1/")):
            before = len(tg.messages_to(chat))
            await asyncio.wait_for(tg.push_text(chat, command), timeout=60)
            assert expected in await new_message(tg, chat, before, timeout=60)

    await asyncio.gather(*(join(c, chat) for c, chat in zip(codes, chats, strict=True)))
    return tg, proxy, a, b, chats, period_id


async def check_every_answer_once_in_order(app: App, tg: FakeTelegram, chats: list[int], period_id: int) -> int:
    """Each draft holds exactly its officer's answers in order; each chat was asked question
    1 to 11 in order. Returns how many questions were asked twice in a row (a redelivery)."""
    repeats = 0
    for i, chat in enumerate(chats):
        draft = await draft_of(app, chat, period_id)
        assert draft is not None, chat
        assert draft.answers == stored_of(i), (chat, draft.answers)
        assert draft.history == [qid for qid, _ in ANSWERS], (chat, draft.history)
        asked = question_numbers(tg, chat)
        distinct = [n for k, n in enumerate(asked) if k == 0 or asked[k - 1] != n]
        assert distinct == list(range(1, len(ANSWERS) + 2)), (chat, asked)
        repeats += len(asked) - len(distinct)
    return repeats


async def test_two_webhook_replicas_handle_every_update_once_in_order(db_url: str, clock: FixedClock) -> None:
    postgres_only(db_url)
    tg, proxy, a, b, chats, period_id = await two_webhook_replicas(db_url, clock, officers=50)
    try:
        await run_officers(tg, chats)
        assert await check_every_answer_once_in_order(a, tg, chats, period_id) == 0
        updates = len(chats) * (2 + len(ANSWERS))
        assert a.dispatcher.handled + b.dispatcher.handled == updates
        assert min(proxy.answered) > updates // 4, proxy.answered  # both replicas did their share
        assert tg.requests["setWebhook"] == 1
    finally:
        await proxy.stop()
        await b.stop()
        await a.stop()
        await tg.stop()


async def test_a_replica_killed_mid_run_loses_nothing_and_doubles_nothing(db_url: str, clock: FixedClock) -> None:
    postgres_only(db_url)
    tg, proxy, a, b, chats, period_id = await two_webhook_replicas(db_url, clock, officers=50)
    killed_at: list[int] = []
    try:
        async def kill_a_at_40_percent(answered: int) -> None:
            if not killed_at and answered >= len(chats) * len(ANSWERS) * 4 // 10:
                killed_at.append(answered)
                await kill(a)

        await run_officers(tg, chats, during=kill_a_at_40_percent)
        assert killed_at
        handled_by_a = a.dispatcher.handled
        repeats = await check_every_answer_once_in_order(b, tg, chats, period_id)
        # Only an update in flight at the kill can be handled twice (once cut off, once again):
        # the draft recognised it and the question came again; nothing else repeats.
        assert repeats <= 10, repeats
        assert a.dispatcher.handled == handled_by_a  # the dead replica did nothing more
        failed = [d for d in tg.webhook_deliveries if not 200 <= d.status < 300]
        assert failed, "the kill cut no delivery: it proved nothing"
    finally:
        await proxy.stop()
        await b.stop()
        await a.stop()
        await tg.stop()


def raw_update(update_id: int, chat: int, message_id: int, text_: str) -> dict[str, Any]:
    return {"update_id": update_id, "message": {
        "message_id": message_id, "date": 1_780_000_000, "text": text_, "chat": {"id": chat, "type": "private"},
        "from": {"id": chat, "is_bot": False, "first_name": "Cán bộ"}}}


async def test_a_chats_turn_holds_across_replicas(db_url: str, clock: FixedClock) -> None:
    """Telegram re-sends an update to another replica while the first is still handling it (its
    answer was slow), or two of a chat's updates reach two replicas at once: the second waits
    for the first to finish, in every process; other chats go on meanwhile."""
    postgres_only(db_url)
    tg = FakeTelegram()
    await tg.start()
    a, b = App(webhook_settings(db_url, tg), clock=clock), App(webhook_settings(db_url, tg), clock=clock)
    await a.prepare(demo=True)
    await a.start(scheduler=False)
    await b.start(scheduler=False)
    assert a.web is not None and b.web is not None
    url_a = f"http://127.0.0.1:{a.web.port}/telegram/hook"
    url_b = f"http://127.0.0.1:{b.web.port}/telegram/hook"
    headers = {SECRET_HEADER: SECRET}
    x, y = 8801, 8802
    try:
        async with aiohttp.ClientSession() as http:
            async def post(url: str, update: dict[str, Any]) -> int:
                async with http.post(url, json=update, headers=headers) as resp:
                    return resp.status

            period_id = await open_period(a)
            for n, (chat, code) in enumerate(((x, "X_CAOLOC"), (y, "X_DONGDANG"))):
                inv = await a.services.members.create_invite(code)
                assert await post(url_a, raw_update(10 + 2 * n, chat, 1, f"/start {inv.code}")) == 200
                assert await post(url_a, raw_update(11 + 2 * n, chat, 2, "/baocao")) == 200
            tg.hold("sendMessage")
            sends = tg.requests["sendMessage"]
            first = asyncio.create_task(post(url_a, raw_update(20, x, 3, "42")))
            await tg.wait_for(lambda: tg.requests["sendMessage"] == sends + 1, timeout=10)  # A is in the middle
            second = asyncio.create_task(post(url_b, raw_update(21, x, 4, "3")))
            other = asyncio.create_task(post(url_b, raw_update(22, y, 3, "55")))
            await tg.wait_for(lambda: tg.requests["sendMessage"] == sends + 2, timeout=10)  # chat y is not held up
            await asyncio.sleep(1.0)
            assert tg.requests["sendMessage"] == sends + 2, "B handled chat x while A still was"
            assert not second.done()
            tg.release("sendMessage")
            assert await asyncio.wait_for(asyncio.gather(first, second, other), timeout=30) == [200, 200, 200]
        assert question_numbers(tg, x)[-3:] == [1, 2, 3]
        draft = await draft_of(b, x, period_id)
        assert draft.answers == {"tong_cbcc": 42, "vb_chi_dao": 3}
        assert (await draft_of(b, y, period_id)).answers == {"tong_cbcc": 55}
    finally:
        tg.release("sendMessage")
        await b.stop()
        await a.stop()
        await tg.stop()


async def test_a_webhook_refused_for_its_secret_is_set_again(sqlite_url: str, clock: FixedClock) -> None:
    """Telegram's copy of the secret cannot be read back; its 401s show that it is not ours."""
    tg = FakeTelegram()
    await tg.start()
    app = App(webhook_settings(sqlite_url, tg), clock=clock)
    await app.prepare(demo=True)
    await app.start(scheduler=False)
    try:
        assert app.web is not None
        tg.hosts[PUBLIC_ORIGIN] = f"http://127.0.0.1:{app.web.port}"
        ch = telegram_of(app)
        assert await ch._ensure_webhook() is False  # as it should be: nothing to do
        async with aiohttp.ClientSession() as http:  # the webhook still carries a secret of old
            await http.post(f"{tg.api_url}/setWebhook", json={"url": PUBLIC_URL, "secret_token": "old-Secret_01"})
        assert (await tg.push_text(7201, "/help")).webhook_status == 401
        assert await ch._ensure_webhook() is True
        assert tg.webhook is not None and tg.webhook["secret_token"] == SECRET
        assert (await tg.push_text(7201, "/help")).webhook_status == 200
        assert app.dispatcher.handled == 1
        assert await ch._ensure_webhook() is False
    finally:
        await app.stop()
        await tg.stop()
