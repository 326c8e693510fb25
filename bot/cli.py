"""Command line: ``tdkt-bot VERB …`` (also ``python -m bot``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.config import Settings, SettingsError, load_settings

log = logging.getLogger("bot")

DURATION = re.compile(r"^\s*(\d+)\s*([dhm])\s*$", re.IGNORECASE)


def parse_duration(text: str) -> timedelta:
    """``7d`` / ``12h`` / ``30m`` → timedelta (what offices type for expiries and reminders)."""
    m = DURATION.match(text)
    if not m:
        raise argparse.ArgumentTypeError(f"thời hạn không hợp lệ: {text!r} (ví dụ: 7d, 12h, 30m)")
    n, unit = int(m.group(1)), m.group(2).lower()
    return {"d": timedelta(days=n), "h": timedelta(hours=n), "m": timedelta(minutes=n)}[unit]


def setup_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level), format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore", "apscheduler.executors.default", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tdkt-bot", description="Trợ lý thi đua – khen thưởng (Telegram, Zalo, console)")
    sub = p.add_subparsers(dest="verb", required=True)

    sub.add_parser("run", help="serve every configured channel; with no token: console + demo data")

    c = sub.add_parser("console", help="chat with the bot in this terminal")
    g = c.add_mutually_exclusive_group()
    g.add_argument("--unit", metavar="CODE", help="play an officer of unit CODE")
    g.add_argument("--admin", action="store_true", help="play a Nội vụ admin")

    db = sub.add_parser("db", help="database").add_subparsers(dest="db_verb", required=True)
    db.add_parser("upgrade", help="apply migrations")

    u = sub.add_parser("units", help="units").add_subparsers(dest="units_verb", required=True)
    ui = u.add_parser("import", help="import units from CSV/XLSX (code,name,kind,parent_code,groups)")
    ui.add_argument("file", type=Path)
    u.add_parser("list", help="list units with bound chats")

    i = sub.add_parser("invite", help="create a one-time invite code")
    i.add_argument("unit", nargs="?", metavar="UNIT_CODE", help="unit the invitee will speak for")
    i.add_argument("--role", choices=["officer", "admin"], default="officer")
    i.add_argument("--expires", type=parse_duration, default=timedelta(days=7), help="e.g. 7d, 48h")

    sub.add_parser("admins", help="list admins and their chats")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"tdkt-bot: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    handler = VERBS[args.verb]
    try:
        return asyncio.run(handler(settings, args)) or 0
    except KeyboardInterrupt:
        return 130
    except CliError as exc:
        print(f"tdkt-bot: {exc}", file=sys.stderr)
        return 1


class CliError(Exception):
    """A problem the person at the terminal can fix; printed as one line."""


async def _with_app(settings: Settings, fn: Callable[[Any], Awaitable[int | None]], *, demo: bool = False) -> int:
    from bot.app import App

    app = App(settings)
    try:
        await app.prepare(demo=demo)
        return await fn(app) or 0
    finally:
        await app.engine.dispose()


async def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import App
    from bot.channels.console import ConsoleChannel

    app = App(settings)
    console = None
    if not settings.telegram_bot_token:
        await app.prepare(demo=True)
        member = await app.services.members.ensure_console_member(
            _console_address("admin"), unit_code=None, role="admin")
        print(_banner(member.name))
        console = ConsoleChannel("admin", sender_name=member.name)
    else:
        await app.prepare()
    await app.run_forever(console=console)
    return 0


def _console_address(chat_id: str):  # type: ignore[no-untyped-def]
    from bot.core import Address

    return Address("console", chat_id)


def _banner(name: str) -> str:
    return (
        "──────────────────────────────────────────────────────────────\n"
        " tdkt-bot — chưa có TELEGRAM_BOT_TOKEN: chạy kênh console với dữ liệu mẫu\n"
        f" Bạn đang đóng vai: {name}\n"
        " Thử: /trogiup  /donvi  /moi X_CAOLOC  /toi      (thoát: Ctrl+D hoặc /thoat)\n"
        " Đóng vai cán bộ xã:   tdkt-bot console --unit X_CAOLOC\n"
        " Kết nối Telegram: đặt TELEGRAM_BOT_TOKEN (lấy từ @BotFather) trong .env rồi chạy lại.\n"
        "──────────────────────────────────────────────────────────────"
    )


async def cmd_console(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import App
    from bot.channels.console import ConsoleChannel

    app = App(settings)
    await app.prepare(demo=not settings.telegram_bot_token)
    if args.admin:
        chat_id, role, unit = "admin", "admin", None
    elif args.unit:
        chat_id, role, unit = f"unit-{args.unit.upper()}", "officer", args.unit
    else:
        chat_id, role, unit = "guest", "", None
    name = "Khách"
    if role:
        from bot.services.members import InviteError

        try:
            member = await app.services.members.ensure_console_member(_console_address(chat_id), unit_code=unit, role=role)
        except InviteError as exc:
            await app.engine.dispose()
            raise CliError(str(exc)) from None
        name = member.name
    print(f"tdkt-bot console — {name}. Gõ /trogiup; thoát bằng Ctrl+D hoặc /thoat.")
    await app.run_forever(console=ConsoleChannel(chat_id, sender_name=name))
    return 0


async def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import App

    app = App(settings)
    from storage.migrate import upgrade

    try:
        before, after = await upgrade(app.engine)
    finally:
        await app.engine.dispose()
    print(f"database at revision {after}" + ("" if before == after else f" (was {before or 'empty'})"))
    return 0


async def cmd_units(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.units import UnitImportError

    async def go(app: Any) -> int:
        if args.units_verb == "import":
            if not args.file.is_file():
                raise CliError(f"không tìm thấy tệp {args.file}")
            try:
                report = await app.services.units.import_file(args.file)
            except UnitImportError as exc:
                print(f"Tệp {args.file} bị từ chối, chưa nạp đơn vị nào:", file=sys.stderr)
                for row, msg in exc.problems:
                    print(f"  dòng {row}: {msg}", file=sys.stderr)
                return 1
            print(f"Đã nạp {args.file.name}: thêm mới {len(report.created)}, cập nhật {len(report.updated)}, "
                  f"không đổi {len(report.unchanged)}")
            for code in report.created:
                print(f"  + {code}")
            for code in report.updated:
                print(f"  ~ {code}")
            return 0
        rows = await app.services.units.list()
        print(f"{'MÃ':<16} {'LOẠI':<8} {'CẤP TRÊN':<12} {'KÊNH':>4}  TÊN  [NHÓM]")
        for u, n in rows:
            groups = f"  [{'; '.join(u.groups)}]" if u.groups else ""
            print(f"{u.code:<16} {u.kind:<8} {(u.parent_code or '-'):<12} {n:>4}  {u.name}{groups}")
        print(f"{len(rows)} đơn vị")
        return 0

    return await _with_app(settings, go)


async def telegram_username(settings: Settings) -> str | None:
    """The bot's username (for t.me links), or None when there is no token or no answer."""
    if not settings.telegram_bot_token:
        return None
    from bot.channels.telegram import fetch_username

    return await fetch_username(settings.telegram_bot_token, settings.telegram_api_base_url)


async def cmd_invite(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.members import InviteError

    if args.role == "officer" and not args.unit:
        raise CliError("cần mã đơn vị: tdkt-bot invite MÃ_ĐƠN_VỊ (hoặc --role admin)")

    async def go(app: Any) -> int:
        try:
            inv = await app.services.members.create_invite(args.unit, role=args.role, valid_for=args.expires)
        except InviteError as exc:
            raise CliError(str(exc)) from None
        username = await telegram_username(settings)
        unit = f"{inv.unit.name} ({inv.unit.code})" if inv.unit else "-"
        print(f"Mã mời: {inv.code}")
        print(f"Vai trò: {inv.role}   Đơn vị: {unit}   Hết hạn: {inv.expires_at.astimezone().strftime('%d/%m/%Y %H:%M')}")
        link = f"https://t.me/{username}?start={inv.code}" if username else f"https://t.me/<tên_bot>?start={inv.code}"
        print(f"Liên kết Telegram: {link}")
        print(f"Hoặc gửi cho bot: /start {inv.code}")
        return 0

    return await _with_app(settings, go)


async def cmd_admins(settings: Settings, args: argparse.Namespace) -> int:
    async def go(app: Any) -> int:
        admins = await app.services.members.admins()
        for m in admins:
            chats = ", ".join(f"{b.channel}:{b.chat_id}({b.status})" for b in m.bindings) or "chưa liên kết"
            print(f"#{m.id:<4} {m.name:<32} {chats}")
        print(f"{len(admins)} quản trị")
        return 0

    return await _with_app(settings, go)


VERBS: dict[str, Callable[[Settings, argparse.Namespace], Awaitable[int]]] = {
    "run": cmd_run,
    "console": cmd_console,
    "db": cmd_db,
    "units": cmd_units,
    "invite": cmd_invite,
    "admins": cmd_admins,
}
