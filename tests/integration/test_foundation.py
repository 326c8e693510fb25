"""The foundation end to end: invites, binding, roles, webhook secret, hostile input."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import unicodedata
from datetime import timedelta

import aiohttp
import pytest

from bot.app import App
from bot.core import Address
from tests.conftest import make_settings
from tests.fakes.telegram_api import FakeTelegram
from tests.integration.conftest import Harness

OFFICER, OTHER, ADMIN = 5001, 5002, 9001


def cli(db_url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "DATABASE_URL": db_url, "LOG_LEVEL": "WARNING", **(env or {})}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=full_env,
                          timeout=60)


async def test_invite_from_cli_then_start_binds_and_toi_answers(bot: Harness, sqlite_url: str) -> None:
    result = await asyncio.to_thread(cli, sqlite_url, "invite", "X_CAOLOC",
                                     env={"TELEGRAM_BOT_TOKEN": bot.tg.token, "TELEGRAM_API_BASE_URL": bot.tg.root})
    assert result.returncode == 0, result.stderr
    code = re.search(r"Mã mời: (\w+)", result.stdout).group(1)  # type: ignore[union-attr]
    assert f"https://t.me/{bot.tg.username}?start={code}" in result.stdout

    replies = await bot.say(OFFICER, f"/start {code}", first_name="Nguyễn Thị Lan")
    assert "Đã liên kết" in replies[-1].text and "Xã Cao Lộc" in replies[-1].text
    member = await bot.app.services.members.member_at(Address("telegram", str(OFFICER)))
    assert member is not None and member.unit and member.unit.code == "X_CAOLOC" and member.role == "officer"

    replies = await bot.say(OFFICER, "/toi")
    assert "Xã Cao Lộc" in replies[-1].text and "Telegram" in replies[-1].text

    replay = await bot.say(OTHER, f"/start {code}")
    assert "không dùng được" in replay[-1].text  # the same answer as to any wrong code
    assert await bot.app.services.members.member_at(Address("telegram", str(OTHER))) is None


async def test_expired_and_unknown_codes_are_refused(bot: Harness, clock) -> None:  # type: ignore[no-untyped-def]
    inv = await bot.app.services.members.create_invite("X_CAOLOC", valid_for=timedelta(hours=1))
    clock.advance(hours=2)
    expired = (await bot.say(OFFICER, f"/start {inv.code}"))[-1].text
    assert "không dùng được" in expired
    assert (await bot.say(OFFICER, "/start ZZZZ1234"))[-1].text == expired  # nothing tells them apart
    assert "mã mời" in (await bot.say(OFFICER, "/start"))[-1].text.lower()


async def test_roles_officer_cannot_use_admin_commands(bot: Harness) -> None:
    await bot.bind(OFFICER, "X_CAOLOC")
    await bot.bind(ADMIN, None, role="admin", name="Trần Văn Nội")
    for command in ("/moi X_CAOLOC", "/donvi", "/thongbao", "/tiendo", "/kybaocao"):
        reply = (await bot.say(OFFICER, command))[-1].text
        assert "chỉ dành cho" in reply, (command, reply)
    reply = (await bot.say(ADMIN, "/moi X_DONGDANG"))[-1]
    assert "Xã Đồng Đăng" in reply.text and f"t.me/{bot.tg.username}?start=" in reply.text
    units = (await bot.say(ADMIN, "/donvi"))[-1].text
    assert "X_CAOLOC" in units and "1 kênh" in units
    help_officer = (await bot.say(OFFICER, "/trogiup"))[-1].text
    assert "/baocao" in help_officer and "/moi" not in help_officer
    help_admin = (await bot.say(ADMIN, "/trogiup"))[-1].text
    assert "/moi" in help_admin and "/thongbao" in help_admin


async def test_stranger_gets_guidance_not_errors(bot: Harness) -> None:
    assert "chưa được liên kết" in (await bot.say(OTHER, "/toi"))[-1].text
    assert "Không có lệnh /lenhla." in (await bot.say(OTHER, "/lenhla"))[-1].text
    assert "/trogiup" in (await bot.say(OTHER, "xin chào"))[-1].text


async def test_hostile_input_never_crashes_or_loses_state(bot: Harness) -> None:
    await bot.bind(OFFICER, "X_CAOLOC")
    long_text = "Đ" * 10_000
    assert (await bot.say(OFFICER, long_text))[-1].text
    nfd = unicodedata.normalize("NFD", "Nguyễn Văn Bình")
    inv = await bot.app.services.members.create_invite("X_DONGDANG")
    await bot.say(OTHER, f"/start {inv.code}", first_name=nfd)
    member = await bot.app.services.members.member_at(Address("telegram", str(OTHER)))
    assert member is not None and member.name == unicodedata.normalize("NFC", nfd) != nfd
    assert (await bot.say(OFFICER, "👍🎉"))[-1].text
    assert (await bot.say(OFFICER, "   "))[-1].text
    before = len(bot.tg.messages_to(OFFICER))
    handled = bot.app.dispatcher.handled
    await bot.tg.push_photo(OFFICER, b"\x89PNG fake")
    await bot.tg.wait_for(lambda: bot.app.dispatcher.handled > handled)
    assert "chữ" in bot.tg.messages_to(OFFICER)[before].text
    stale = await bot.press(OFFICER, "khongco:123", message_id=1)
    assert "cũ" in stale[-1].text
    stale = await bot.press(OFFICER, "ack:999999", message_id=1)
    assert stale and "cũ" in stale[-1].text
    assert "Xã Cao Lộc" in (await bot.say(OFFICER, "/toi"))[-1].text


async def test_webhook_requires_the_secret(sqlite_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    tg = FakeTelegram()
    await tg.start()
    secret = "s3cret-Token_123"
    app = App(make_settings(sqlite_url, telegram_bot_token=tg.token, telegram_api_base_url=tg.root,
                            telegram_mode="webhook", webhook_url="https://bot.example.gov.vn/telegram/hook",
                            webhook_secret=secret, webhook_listen="127.0.0.1:0"), clock=clock)
    await app.prepare(demo=True)
    await app.start(scheduler=False)
    try:
        assert tg.webhook and tg.webhook["url"] == "https://bot.example.gov.vn/telegram/hook"
        assert tg.webhook["secret_token"] == secret
        assert app.web is not None
        local = f"http://127.0.0.1:{app.web.port}/telegram/hook"
        inv = await app.services.members.create_invite("X_CAOLOC")
        update = {"update_id": 1, "message": {"message_id": 1, "date": 1_780_000_000, "text": f"/start {inv.code}",
                  "chat": {"id": OFFICER, "type": "private"},
                  "from": {"id": OFFICER, "is_bot": False, "first_name": "Lan"}}}
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong-secret"}):
                async with http.post(local, json=update, headers=headers) as resp:
                    assert resp.status == 401
            assert await app.services.members.member_at(Address("telegram", str(OFFICER))) is None
            assert tg.messages_to(OFFICER) == []
            async with http.post(local, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}) as resp:
                assert resp.status == 200
        assert await app.services.members.member_at(Address("telegram", str(OFFICER))) is not None
        assert "Đã liên kết" in tg.messages_to(OFFICER)[-1].text
    finally:
        await app.stop()
        await tg.stop()


@pytest.mark.parametrize("bad", [{"TIMEZONE": "Mars/Olympus"}, {"DATABASE_URL": "mysql://x"},
                                 {"TELEGRAM_MODE": "carrier-pigeon"}])
def test_bad_setting_stops_with_one_line(bad: dict[str, str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db", **bad}
    result = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "invalid configuration" in lines[0] and "Traceback" not in result.stderr


def test_broken_form_spec_stops_start_up_naming_file_question_reason(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from bot.forms.spec import default_specs_dir

    forms = tmp_path / "forms"
    shutil.copytree(default_specs_dir(), forms)
    spec = forms / "bao-cao-6-thang.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("dk_ca_nhan <= tong_cbcc", "dk_ca_nhan <= tong_cbc"),
                    encoding="utf-8")
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db", "FORMS_DIR": str(forms)}
    result = subprocess.run([sys.executable, "-m", "bot", "units", "list"], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 2
    assert "bao-cao-6-thang.yaml" in result.stderr and "dk_ca_nhan" in result.stderr and "tong_cbc" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_without_token_serves_the_console_with_demo_data(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The README's first command: no token → console channel on SQLite with demo units."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env.update(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/data/tdkt.sqlite3", LOG_LEVEL="WARNING")
    script = "/trogiup\n/donvi\n/moi X_CAOLOC\n/thoat\n"
    result = subprocess.run([sys.executable, "-m", "bot", "run"], input=script, capture_output=True, text=True,
                            env=env, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "chưa có TELEGRAM_BOT_TOKEN" in out and "/thongbao" in out
    assert "Xã Cao Lộc" in out and "Mã mời" in out
    assert (tmp_path / "data" / "tdkt.sqlite3").exists()


def test_console_officer_can_start_a_report_in_a_fresh_demo(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A new user's first try as an officer: the demo has the period due next open, /baocao asks question 1."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env.update(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/tdkt.sqlite3", LOG_LEVEL="WARNING")
    run = [sys.executable, "-m", "bot", "console", "--unit", "X_CAOLOC"]
    first = subprocess.run(run, input="/baocao\n/thoat\n", capture_output=True, text=True, env=env,
                           timeout=120, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Đơn vị: Xã Cao Lộc" in first.stdout and "hạn nộp" in first.stdout and "Câu 1/" in first.stdout
    again = subprocess.run(run, input="/baocao\n/thoat\n", capture_output=True, text=True, env=env,
                           timeout=120, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "Tiếp tục báo cáo" in again.stdout, "the draft and the period survived; no second demo period"
