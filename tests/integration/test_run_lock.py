"""One ``tdkt-bot run`` per SQLite file: a second one is refused with one line
and a non-zero exit, while ``tdkt-bot console`` beside the running bot still works."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from storage.runlock import RunLock, RunLockHeld

STARTUP = 90.0  # migrating a fresh file and loading the demo on a busy 2-core machine


def bot_env(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "ZALO_", "WEBHOOK_")) and k not in {"DATABASE_URL", "PUBLIC_BASE_URL"}}
    env.update(DATABASE_URL=f"sqlite+aiosqlite:///{db}", PYTHONUNBUFFERED="1")
    return env


async def bot(*args: str, env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def read_until(stream: asyncio.StreamReader, marker: str, timeout: float) -> str:
    seen = ""

    async def scan() -> str:
        nonlocal seen
        while marker not in seen:
            line = await stream.readline()
            if not line:
                raise AssertionError(f"output ended before {marker!r}:\n{seen}")
            seen += line.decode("utf-8", "replace")
        return seen

    return await asyncio.wait_for(scan(), timeout)


async def test_second_run_on_one_sqlite_file_is_refused_console_still_starts(tmp_path: Path) -> None:
    db = tmp_path / "data" / "tdkt.sqlite3"
    env = bot_env(db)
    first = await bot("run", env=env, cwd=tmp_path)
    try:
        # no token: console channel with demo data; the banner comes once the lock is held
        # and the database is ready, then the console waits for the admin to type
        assert first.stdout is not None
        await read_until(first.stdout, "chạy kênh console", STARTUP)

        second = await bot("run", env=env, cwd=tmp_path)
        out, err = await asyncio.wait_for(second.communicate(), STARTUP)
        assert second.returncode == 1
        message = err.decode("utf-8").strip()
        assert len(message.splitlines()) == 1, message
        assert message.startswith("tdkt-bot: ") and "tdkt-bot run" in message and str(db.resolve()) in message
        assert f"pid {first.pid}" in message
        assert "chạy kênh console" not in out.decode("utf-8")  # refused before doing anything

        # the README's second terminal: an officer's console beside the running bot
        console = await bot("console", "--unit", "X_CAOLOC", env=env, cwd=tmp_path)
        out, err = await asyncio.wait_for(console.communicate(b"/trogiup\n"), STARTUP)
        assert console.returncode == 0, err.decode("utf-8")
        text = out.decode("utf-8")
        assert "tdkt-bot console — " in text and "/baocao" in text

        assert first.returncode is None  # the first run is unaffected
        lock = RunLock(db.resolve())
        try:
            lock.acquire()
        except RunLockHeld as exc:
            assert exc.pid == first.pid
        else:
            raise AssertionError("the lock was free while the first run was serving")
    finally:
        if first.returncode is None:
            first.kill()  # kill -9: the kernel drops the lock with the process
        await first.wait()
    lock = RunLock(db.resolve())
    lock.acquire()  # free again: nothing stale is left behind by a killed run
    lock.release()
