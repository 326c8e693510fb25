"""bench/broadcast.py — one sample decree to N private chats through a fake Bot API that
enforces Telegram's limits (30 msg/s overall, 1/s per chat with a burst of 3, 429 + retry_after).

Runs tdkt-bot's outbox and, in the same run, python-telegram-bot's AIORateLimiter (defaults,
max_retries=5) sending exactly the same messages (the decree rendered and split by our
Telegram channel). Prints one JSON line per implementation.
    python bench/broadcast.py [--n 3000] [--decree 2023-12-29_12-CT-UBND_huong-tra.md]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

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


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--decree", default="2023-12-29_12-CT-UBND_huong-tra.md")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    body = (DECREES / args.decree).read_text(encoding="utf-8")
    tmp = Path(tempfile.mkdtemp(prefix="tdkt-bench-broadcast-"))
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
