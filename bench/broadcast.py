"""bench/broadcast.py — one sample decree to N private chats through a fake Bot API that
enforces Telegram's limits (30 msg/s overall, 1/s per chat with a burst of 3, 429 + retry_after).

Runs tdkt-bot's outbox and, in the same run, python-telegram-bot's AIORateLimiter (defaults,
max_retries=5) sending exactly the same messages (the decree rendered and split by our
Telegram channel). Prints one JSON line per implementation.
    python bench/broadcast.py [--n 3000] [--decree 2023-12-29_12-CT-UBND_huong-tra.md]

With ``--channel zalo_oa`` the same decree goes to N officers on a Zalo Official Account
(the fake OA enforces the documented 4 000 requests a minute per app, -32 beyond): half
inside the 7-day window (consultation messages), the other half outside it — a third of
those reachable by a ZBS template by user id, a third only by phone, a third not at all.
It prints the ratio of the limit reached, the lost recipients (0 expected) and how each
recipient was accounted for; then, in the same run, a baseline that sends exactly the same
parts as consultation messages to everyone through ``aiolimiter`` at the documented rate (what
a sender that knows neither the 7-day window nor the template fallback does), with its lost
recipients.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import emit, fresh_database, seed_units
from bot.app import App
from bot.config import load_settings
from bot.services.announcements import announcement_outbound
from storage.models import Announcement
from tests.fakes.telegram_api import FakeTelegram

DECREES = Path(__file__).resolve().parents[1] / "bot" / "data" / "announcements"
LIMIT = 30.0
FIRST_CHAT = 100_000


def sends(fake: FakeTelegram, since: int) -> list:  # type: ignore[type-arg]
    return [m for m in fake.sent[since:] if m.method == "sendMessage"]


def lost_chats(msgs: list, n: int, parts: int) -> int:  # type: ignore[type-arg]
    per_chat: dict[int, int] = {}
    for m in msgs:
        per_chat[int(m.chat_id)] = per_chat.get(int(m.chat_id), 0) + 1
    return sum(1 for i in range(n) if per_chat.get(FIRST_CHAT + i, 0) < parts)


async def run_ours(fake: FakeTelegram, n: int, body: str, tmp: Path) -> tuple[int, list[str]]:
    url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
    engine = await fresh_database(url)
    await seed_units(engine, n, first_chat=FIRST_CHAT)
    await engine.dispose()
    app = App(load_settings(database_url=url, telegram_bot_token=fake.token, telegram_api_base_url=fake.root,
                            log_level="WARNING"))
    await app.prepare()
    await app.start_outboxes_only()
    channel = app.outboxes["telegram"].channel
    parts = [p.text for p in channel.render(announcement_outbound(Announcement(
        doc_type="Chỉ thị", number="12/CT-UBND", summary="Phát động thi đua năm 2024", body=body, attachments=[],
        needs_ack=False, issuer="UBND thị xã Hương Trà"), None))]
    since, http429 = len(fake.sent), fake.http_429
    started = time.perf_counter()
    a = await app.services.announcements.create(doc_type="Chỉ thị", number="12/CT-UBND",
                                                summary="Phát động thi đua năm 2024", body=body,
                                                issuer="UBND thị xã Hương Trà", audience={"all": True})
    while (await app.services.announcements.counts(a.id)).pending:
        await asyncio.sleep(0.2)
    seconds = time.perf_counter() - started
    msgs = sends(fake, since)
    emit(bench="broadcast", impl="tdkt-bot", chats=n, parts_per_chat=len(parts), sent=len(msgs),
         lost=lost_chats(msgs, n, len(parts)), http_429=fake.http_429 - http429, seconds=round(seconds, 1),
         rate=round(len(msgs) / seconds, 2), limit=LIMIT, ratio=round(len(msgs) / seconds / LIMIT, 3))
    await app.stop()
    return len(parts), parts


async def run_baseline(fake: FakeTelegram, n: int, parts: list[str]) -> None:
    from telegram.constants import ParseMode
    from telegram.error import TelegramError
    from telegram.ext import AIORateLimiter, ExtBot

    try:
        limiter = AIORateLimiter(max_retries=5)
    except RuntimeError as exc:  # aiolimiter missing: the baseline needs the 'bench' extra
        emit(bench="broadcast", impl="ptb-AIORateLimiter", skipped=f"{exc} (pip install -e '.[bench]')")
        return
    bot = ExtBot(fake.token, base_url=f"{fake.root}/bot", rate_limiter=limiter)
    await bot.initialize()
    since, http429 = len(fake.sent), fake.http_429
    failed = 0

    async def one_chat(chat_id: int) -> None:
        nonlocal failed
        for text in parts:
            try:
                await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
            except TelegramError:
                failed += 1
                return

    started = time.perf_counter()
    await asyncio.gather(*(one_chat(FIRST_CHAT + i) for i in range(n)))
    seconds = time.perf_counter() - started
    msgs = sends(fake, since)
    emit(bench="broadcast", impl="ptb-AIORateLimiter", chats=n, parts_per_chat=len(parts), sent=len(msgs),
         lost=lost_chats(msgs, n, len(parts)), http_429=fake.http_429 - http429, seconds=round(seconds, 1),
         rate=round(len(msgs) / seconds, 2), limit=LIMIT, ratio=round(len(msgs) / seconds / LIMIT, 3),
         failed_sends=failed)
    await bot.shutdown()


def _oa_users(fake: Any, n: int) -> int:
    """The recipients on the fake: half inside the window; outside it, a third each reachable
    by a template by user id, by phone only, or not at all. Returns the half."""
    half = n // 2
    for i in range(n):
        inside = i < half
        group = (i - half) % 3
        fake.user(str(FIRST_CHAT + i), days_ago=1 if inside else 10,
                  phone=f"8491{i:07d}" if not inside and group == 1 else "", uid_template_ok=inside or group == 0)
    return half


async def run_zalo_oa_baseline(n: int, parts: list[str]) -> None:
    """Consultation messages to all N, paced by aiolimiter at 4 000 a minute, a -32 retried
    after a second (5 tries): the recipients outside the window are simply lost."""
    import aiohttp

    from tests.fakes.zalo_oa_api import RATE_LIMIT_PER_MIN, FakeZaloOA

    try:
        from aiolimiter import AsyncLimiter
    except ImportError as exc:
        emit(bench="broadcast", impl="aiolimiter-cs-only", channel="zalo_oa",
             skipped=f"{exc} (pip install -e '.[bench]')")
        return
    fake = FakeZaloOA(rate_per_minute=RATE_LIMIT_PER_MIN)
    await fake.start()
    _oa_users(fake, n)
    limiter = AsyncLimiter(RATE_LIMIT_PER_MIN, 60)
    lost: set[int] = set()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{fake.oauth_base_url}/v4/oa/access_token", headers={"secret_key": fake.app_secret},
                                 data={"app_id": fake.app_id, "grant_type": "refresh_token",
                                       "refresh_token": fake.refresh_token}) as r:
                token = (await r.json())["access_token"]

            async def one(i: int) -> None:
                for text in parts:
                    for _ in range(5):
                        async with limiter, http.post(f"{fake.api_base_url}/v3.0/oa/message/cs",
                                                      headers={"access_token": token},
                                                      json={"recipient": {"user_id": str(FIRST_CHAT + i)},
                                                            "message": {"text": text}}) as r:
                            error = (await r.json()).get("error", 0)
                        if error != -32:
                            break
                        await asyncio.sleep(1)
                    if error != 0:
                        lost.add(i)
                        return

            started = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(n)))
            seconds = time.perf_counter() - started
        api, limit = fake.requests["cs"], RATE_LIMIT_PER_MIN / 60
        emit(bench="broadcast", impl="aiolimiter-cs-only", channel="zalo_oa", recipients=n, requests=api,
             rate_limited=fake.rate_limited, seconds=round(seconds, 1), rate=round(api / seconds, 2),
             limit=round(limit, 2), ratio=round(api / seconds / limit, 3),
             reached=len({m.user_id for m in fake.sent}), accounted=n - len(lost), lost=len(lost))
    finally:
        await fake.stop()


async def run_zalo_oa(n: int, body: str, tmp: Path) -> list[str]:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert, update

    from storage.models import Unit, ZaloOaContact
    from tests.fakes.zalo_oa_api import RATE_LIMIT_PER_MIN, FakeZaloOA

    fake = FakeZaloOA(rate_per_minute=RATE_LIMIT_PER_MIN)
    await fake.start()
    fake.approved_templates.add("900001")
    url = f"sqlite+aiosqlite:///{tmp}/bench-oa.sqlite3"
    engine = await fresh_database(url)
    await seed_units(engine, n, channel="zalo_oa", first_chat=FIRST_CHAT)
    now = datetime.now(UTC)
    half = _oa_users(fake, n)
    contacts = [{"user_id": str(FIRST_CHAT + i), "last_interaction_at": now - timedelta(days=1 if i < half else 10),
                 "following": True, "phone": None, "updated_at": now} for i in range(n)]
    async with engine.begin() as conn:
        await conn.execute(insert(ZaloOaContact), contacts)
        for i in range(half, n):
            if (i - half) % 3 == 1:
                await conn.execute(update(Unit).where(Unit.id == i + 1).values(phone=f"8491{i:07d}"))
    await engine.dispose()
    app = App(load_settings(
        database_url=url, log_level="WARNING", zalo_oa_app_id=fake.app_id, zalo_oa_app_secret=fake.app_secret,
        zalo_oa_secret_key=fake.oa_secret_key, zalo_oa_refresh_token=fake.refresh_token,
        zalo_oa_api_base_url=fake.api_base_url, zalo_oa_oauth_base_url=fake.oauth_base_url,
        zalo_oa_business_base_url=fake.business_base_url, zalo_oa_template_announcement="900001"))
    try:
        await app.prepare()
        await app.start_outboxes_only()
        app.outboxes["zalo_oa"].channel.part_delay = 0.0  # type: ignore[attr-defined]
        started = time.perf_counter()
        a = await app.services.announcements.create(doc_type="Chỉ thị", number="12/CT-UBND",
                                                    summary="Phát động thi đua năm 2024", body=body,
                                                    issuer="UBND thị xã Hương Trà", audience={"all": True})
        while (await app.services.announcements.counts(a.id)).pending:
            await asyncio.sleep(0.5)
        seconds = time.perf_counter() - started
        counts = await app.services.announcements.counts(a.id)
        api = sum(fake.requests[k] for k in ("cs", "template_uid", "template_phone", "upload"))
        reached = {m.user_id for m in fake.sent}
        routes = counts.routes
        accounted = sum(routes.values())
        expected_unreachable = sum(1 for i in range(half, n) if (i - half) % 3 == 2)
        limit = RATE_LIMIT_PER_MIN / 60
        emit(bench="broadcast", impl="tdkt-bot", channel="zalo_oa", recipients=n, inside_window=half,
             requests=api, rate_limited=fake.rate_limited, seconds=round(seconds, 1),
             rate=round(api / seconds, 2), limit=round(limit, 2), ratio=round(api / seconds / limit, 3),
             consultation=routes.get("consultation", 0), template_uid=routes.get("template_uid", 0),
             template_phone=routes.get("template_phone", 0), unreachable=routes.get("unreachable", 0),
             accounted=accounted, lost=n - accounted + (n - expected_unreachable - len(reached)))
        # the parts one officer inside the window got: what the baseline sends everyone
        return [m.text for m in fake.messages_to(str(FIRST_CHAT)) if m.kind == "cs" and m.text]
    finally:
        await app.stop()
        await fake.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--decree", default="2023-12-29_12-CT-UBND_huong-tra.md")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--channel", choices=["telegram", "zalo_oa"], default="telegram")
    args = parser.parse_args()
    body = (DECREES / args.decree).read_text(encoding="utf-8")
    tmp = Path(tempfile.mkdtemp(prefix="tdkt-bench-broadcast-"))
    if args.channel == "zalo_oa":
        parts = await run_zalo_oa(args.n, body, tmp)
        if not args.skip_baseline:
            await run_zalo_oa_baseline(args.n, parts)
        return
    fake = FakeTelegram(limits=True, global_per_second=int(LIMIT), per_chat_per_second=1.0, per_chat_burst=3)
    await fake.start()
    try:
        _, parts = await run_ours(fake, args.n, body, tmp)
        if not args.skip_baseline:
            await asyncio.sleep(2)  # let the fake's windows empty
            await run_baseline(fake, args.n, parts)
    finally:
        await fake.stop()


if __name__ == "__main__":
    asyncio.run(main())
