"""Command line: ``tdkt-bot VERB …`` (also ``python -m bot``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import Settings, SettingsError, load_settings
from bot.core import durations
from bot.forms.spec import SpecError

log = logging.getLogger("bot")

def parse_duration(text: str) -> timedelta:
    """``7d`` / ``12h`` / ``30m`` → timedelta (what offices type for expiries and reminders)."""
    try:
        return durations.parse_duration(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"thời hạn không hợp lệ: {text!r} (ví dụ: 7d, 12h, 30m)") from None


def setup_logging(level: str, *, console: bool = False) -> None:
    """INFO shows what the bot does; in a terminal chat only warnings interrupt the conversation."""
    if console and level == "INFO":
        level = "WARNING"
    logging.basicConfig(level=getattr(logging, level), format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore", "apscheduler", "aiohttp.access", "alembic"):
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
    i.add_argument("--phone", help="the officer's mobile (0912 345 678): stored for the unit; with the Zalo OA "
                                   "and ZALO_OA_TEMPLATE_INVITE the code goes to that phone as a ZBS template")
    i.add_argument("--zalo-oa-all", action="store_true",
                   help="invite by ZBS template every unit that has a phone and no chat bound yet")

    sub.add_parser("admins", help="list admins and their chats")

    a = sub.add_parser("announce", help="broadcast a decree/announcement from a Markdown file")
    a.add_argument("file", type=Path)
    a.add_argument("--type", dest="doc_type", help="Chỉ thị, Kế hoạch, Phát động, Công văn, Thông báo…")
    a.add_argument("--number", help="số/ký hiệu, e.g. 12/CT-UBND")
    a.add_argument("--issued", help="dd/mm/yyyy")
    a.add_argument("--issuer", help="cơ quan ban hành")
    a.add_argument("--summary", help="trích yếu")
    a.add_argument("--audience", help="all | units:A,B | group:NAME | kind:xa,phuong")
    a.add_argument("--at", help='send later: "dd/mm/yyyy HH:MM"')
    a.add_argument("--ack", action="store_true", help="ask recipients to acknowledge")
    a.add_argument("--attach", type=Path, action="append", default=[], help="file to send along")
    a.add_argument("--no-wait", action="store_true", help="queue only; the running bot sends it")

    d = sub.add_parser("deliveries", help="delivery table of an announcement")
    d.add_argument("announcement_id", type=int)

    pr = sub.add_parser("periods", help="reporting periods").add_subparsers(dest="periods_verb", required=True)
    po = pr.add_parser("open", help="open a reporting period and announce it")
    po.add_argument("--form", required=True, help="bao-cao-6-thang | bao-cao-nam | dang-ky-thi-dua")
    po.add_argument("--label", required=True)
    po.add_argument("--cutoff", help="data cut-off dd/mm/yyyy")
    po.add_argument("--due", required=True, help='"dd/mm/yyyy HH:MM"')
    po.add_argument("--audience", default="all")
    po.add_argument("--remind", default="7d,3d,1d,2h")
    po.add_argument("--no-announce", action="store_true")
    pr.add_parser("list", help="list periods with progress")
    pc = pr.add_parser("close", help="close a period")
    pc.add_argument("period_id", type=int)
    pe = pr.add_parser("change", help="move a period's deadline and/or change its audience (re-plans reminders)")
    pe.add_argument("period_id", type=int)
    pe.add_argument("--due", help='new deadline "dd/mm/yyyy HH:MM"')
    pe.add_argument("--audience", help="all | units:A,B | group:NAME | kind:xa")
    pe.add_argument("--announce", action="store_true", help="tell the units about the new deadline")
    ps = pr.add_parser("show", help="a period with its reminder plan")
    ps.add_argument("period_id", type=int)

    w = sub.add_parser("web", help="the web dashboard").add_subparsers(dest="web_verb", required=True)
    wl = w.add_parser("link", help="print a single-use sign-in link (valid 10 minutes)")
    who = wl.add_mutually_exclusive_group(required=True)
    who.add_argument("--admin", nargs="?", const="", metavar="NAME",
                     help="an admin (by name; on a fresh install the first admin is created)")
    who.add_argument("--viewer", nargs="?", const="", metavar="NAME", help="a leader who may only look")
    who.add_argument("--unit", metavar="CODE", help="the officer of unit CODE (their own unit only)")

    e = sub.add_parser("export", help="export a period: Excel, Word documents, TT 02/2023 tables")
    e.add_argument("period_id", type=int)
    e.add_argument("--xlsx", type=Path, help="every unit's answers and the totals (XLSX)")
    e.add_argument("--docx", type=Path, metavar="DIR", help="each unit's report as a Word document, into DIR")
    e.add_argument("--summary", type=Path, metavar="FILE.docx", help="the office's draft summary report (DOCX)")
    e.add_argument("--tt02", type=Path, metavar="FILE.xlsx", help="TT 02/2023 tables 0601–0603 (XLSX)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"tdkt-bot: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level,
                  console=args.verb == "console" or (args.verb == "run" and not settings.telegram_bot_token
                                                     and not settings.zalo_bot_token))
    handler = VERBS[args.verb]
    try:
        return asyncio.run(handler(settings, args)) or 0
    except KeyboardInterrupt:
        return 130
    except CliError as exc:
        print(f"tdkt-bot: {exc}", file=sys.stderr)
        return 1
    except SpecError as exc:
        print(f"tdkt-bot: mẫu báo cáo lỗi, không khởi động: {exc}", file=sys.stderr)
        return 2


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
    """Serve. On SQLite only one ``run`` per database file: a second one (an overlapping
    restart) would poll, tick and send beside the first, so it is refused before it touches
    anything. ``console`` and the other verbs do not take this lock."""
    from storage.runlock import RunLock, RunLockHeld

    lock = RunLock.for_url(settings.database_url)
    if lock is not None:
        try:
            lock.acquire()
        except RunLockHeld as exc:
            by = f" (pid {exc.pid})" if exc.pid else ""
            raise CliError(f"một tiến trình `tdkt-bot run` khác{by} đang chạy trên cơ sở dữ liệu {exc.database}; "
                           "SQLite chỉ cho một tiến trình run — hãy dừng tiến trình kia (muốn chạy nhiều bản "
                           "thì dùng PostgreSQL)") from None
    try:
        return await _serve(settings)
    finally:
        if lock is not None:
            lock.release()


async def _serve(settings: Settings) -> int:
    from bot.app import App
    from bot.channels.console import ConsoleChannel

    app = App(settings)
    console = None
    if not settings.telegram_bot_token and not settings.zalo_bot_token:
        if await app.prepare(demo=True):
            await app.open_demo_period()
        member = await app.services.members.ensure_console_member(
            _console_address("admin"), unit_code=None, role="admin")
        token = await app.services.web_access.link_for_member(member.id, actor="cli")
        print(_banner(member.name, app.services.web_access.url(token)))
        console = ConsoleChannel("admin", sender_name=member.name)
    else:
        await app.prepare()
        log.info("dashboard at %s/web — sign in with a link: `tdkt-bot web link --admin` or /web in chat",
                 settings.dashboard_url)
    await app.run_forever(console=console, dashboard=True)
    return 0


def _console_address(chat_id: str):  # type: ignore[no-untyped-def]
    from bot.core import Address

    return Address("console", chat_id)


def _banner(name: str, sign_in: str) -> str:
    return (
        "──────────────────────────────────────────────────────────────\n"
        " tdkt-bot — chưa có TELEGRAM_BOT_TOKEN: chạy kênh console với dữ liệu mẫu\n"
        f" Bạn đang đóng vai: {name}\n"
        f" Bảng điều khiển (mở trong trình duyệt, dùng một lần, 10 phút):\n   {sign_in}\n"
        " Thử: /trogiup  /tiendo  /donvi  /thongbao  /moi X_CAOLOC   (thoát: Ctrl+D hoặc /thoat)\n"
        " Đóng vai cán bộ xã (rồi gõ /baocao):   tdkt-bot console --unit X_CAOLOC\n"
        " Kết nối Telegram: đặt TELEGRAM_BOT_TOKEN (lấy từ @BotFather) trong .env rồi chạy lại.\n"
        "──────────────────────────────────────────────────────────────"
    )


async def cmd_console(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import App
    from bot.channels.console import ConsoleChannel

    app = App(settings)
    if await app.prepare(demo=not settings.telegram_bot_token and not settings.zalo_bot_token):
        await app.open_demo_period()
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
    # Beside a running bot: only this terminal; the bot's process polls, sends and ticks.
    await app.run_forever(console=ConsoleChannel(chat_id, sender_name=name), platforms=False)
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
    from bot.services.units import UnitFileError, UnitImportError

    async def go(app: Any) -> int:
        if args.units_verb == "import":
            if not args.file.is_file():
                raise CliError(f"không tìm thấy tệp {args.file}")
            try:
                report = await app.services.units.import_file(args.file)
            except UnitFileError as exc:
                raise CliError(exc.message) from None
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
            if report.reminders_planned:
                print(f"Đã lên lịch {report.reminders_planned} lời nhắc hạn nộp cho các đơn vị mới vào kỳ báo cáo đang mở")
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
    from bot.services.members import ROLE_LABELS, InviteError

    if args.role == "officer" and not args.unit and not args.zalo_oa_all:
        raise CliError("cần mã đơn vị: tdkt-bot invite MÃ_ĐƠN_VỊ (hoặc --role admin)")
    by_template = bool(settings.zalo_oa_app_id and settings.zalo_oa_template_invite)
    if args.zalo_oa_all and not by_template:
        raise CliError("mời qua Zalo OA cần ZALO_OA_APP_ID và ZALO_OA_TEMPLATE_INVITE (mẫu tin ZBS đã duyệt)")

    async def go(app: Any) -> int:
        from bot.services.phones import show_phone
        from bot.services.zalo_invites import PhoneError

        if args.unit and args.phone:
            try:
                phone = await app.zalo_invites.set_phone(args.unit, args.phone)
            except PhoneError as exc:
                raise CliError(str(exc)) from None
            print(f"Số điện thoại của đơn vị {args.unit.upper()}: {show_phone(phone)}")
        if args.zalo_oa_all or (args.phone and by_template):
            queued = await app.zalo_invites.queue(None if args.zalo_oa_all else [args.unit], valid_for=args.expires)
            for q in queued:
                print(f"Mời qua Zalo OA: {q.unit_code} {q.unit_name} → {show_phone(q.phone)} (mã {q.code})")
            print(f"Đã xếp hàng {len(queued)} lời mời; tiến trình `tdkt-bot run` sẽ gửi tin mẫu ZBS." if queued else
                  "Không có đơn vị nào có số điện thoại mà chưa liên kết kênh nhắn tin.")
            return 0
        try:
            inv = await app.services.members.create_invite(args.unit, role=args.role, valid_for=args.expires)
        except InviteError as exc:
            raise CliError(str(exc)) from None
        username = await telegram_username(settings)
        unit = f"{inv.unit.name} ({inv.unit.code})" if inv.unit else "-"
        print(f"Mã mời: {inv.code}")
        role = ROLE_LABELS.get(inv.role, inv.role)
        print(f"Vai trò: {role}   Đơn vị: {unit}   Hết hạn: {fmt(inv.expires_at, settings.timezone)}")
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


def local_datetime(text: str, tz: str) -> datetime:
    from zoneinfo import ZoneInfo

    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y %H:%M").replace(tzinfo=ZoneInfo(tz))
    except ValueError:
        raise CliError(f"thời gian không hợp lệ: {text!r} (dạng dd/mm/yyyy HH:MM)") from None


def local_date(text: str) -> date:
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        raise CliError(f"ngày không hợp lệ: {text!r} (dạng dd/mm/yyyy)") from None


def fmt(dt: datetime | None, tz: str) -> str:
    from bot.core import fmt_local

    return fmt_local(dt, tz) if dt else "-"


async def cmd_announce(settings: Settings, args: argparse.Namespace) -> int:
    import mimetypes

    from bot.app import App
    from bot.services.audience import AudienceError, parse_audience
    from bot.services.documents import parse_vn_date, read_document

    if not args.file.is_file():
        raise CliError(f"không tìm thấy tệp {args.file}")
    meta = read_document(args.file.read_text(encoding="utf-8"))
    extra = meta.extra
    try:
        audience = parse_audience(args.audience or str(extra.get("audience") or "all"))
        issued = parse_vn_date(args.issued) if args.issued else meta.issued_on
    except (AudienceError, ValueError) as exc:
        raise CliError(str(exc)) from None
    at_text = args.at or (str(extra["at"]) if extra.get("at") else None)
    send_at = local_datetime(at_text, settings.timezone) if at_text else None
    app = App(settings)
    try:
        await app.prepare()
        attachments = []
        for path in args.attach:
            if not path.is_file():
                raise CliError(f"không tìm thấy tệp đính kèm {path}")
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            attachments.append(await app.services.files.store(path.name, mime, path.read_bytes()))
        try:
            a = await app.services.announcements.create(
                doc_type=args.doc_type or meta.doc_type or "Thông báo", number=args.number or meta.number,
                issued_on=issued, issuer=args.issuer or meta.issuer or settings.office_name,
                summary=args.summary or meta.summary, body=meta.body, attachments=attachments, audience=audience,
                send_at=send_at, needs_ack=args.ack or bool(extra.get("ack")), actor="cli")
        except AudienceError as exc:
            raise CliError(str(exc)) from None
        print(f"Văn bản #{a.id}: {a.doc_type} {a.number or ''} — {a.summary or '(không có trích yếu)'}")
        print(f"Đối tượng: {a.audience}")
        if a.status == "scheduled":
            print(f"Hẹn gửi lúc {fmt(a.send_at, settings.timezone)}; tiến trình `tdkt-bot run` sẽ gửi.")
            return 0
        counts = await app.services.announcements.counts(a.id)
        print(f"Số kênh nhận: {counts.total}")
        if args.no_wait or counts.total == 0:
            print("Đã xếp hàng gửi; tiến trình `tdkt-bot run` sẽ gửi." if counts.total else
                  "Không có kênh nào đã liên kết trong đối tượng nhận.")
            return 0
        await app.start_outboxes_only()
        await show_progress(app, a.id)
    finally:
        await app.stop()
    return 0


async def show_progress(app: Any, announcement_id: int) -> None:
    """A progress bar until every delivery has an outcome."""
    width = 30
    while True:
        c = await app.services.announcements.counts(announcement_id)
        done = c.total - c.pending
        filled = int(width * done / c.total) if c.total else width
        sys.stdout.write(f"\r[{'#' * filled}{'.' * (width - filled)}] đã gửi {c.sent}/{c.total} · chờ {c.pending} "
                         f"· lỗi {c.failed} · bị chặn {c.blocked}   ")
        sys.stdout.flush()
        if c.pending == 0:
            break
        await asyncio.sleep(0.5)
    sys.stdout.write("\n")


async def cmd_deliveries(settings: Settings, args: argparse.Namespace) -> int:
    async def go(app: Any) -> int:
        a = await app.services.announcements.get(args.announcement_id)
        if a is None:
            raise CliError(f"không có văn bản #{args.announcement_id}")
        c = await app.services.announcements.counts(a.id)
        print(f"#{a.id} {a.doc_type} {a.number} — {a.summary}")
        print(f"Đã gửi {c.sent}/{c.total} · chờ {c.pending} · lỗi {c.failed} · bị chặn {c.blocked}"
              + (f" · đã nhận {c.acknowledged}" if a.needs_ack else ""))
        print(f"{'ĐƠN VỊ':<16} {'KÊNH':<9} {'CHAT':<14} {'TRẠNG THÁI':<10} {'LẦN':>3} {'GỬI LÚC':<16} "
              f"{'XÁC NHẬN':<16} LỖI")
        for d in await app.services.announcements.deliveries(a.id):
            print(f"{d.unit_code:<16} {d.channel:<9} {d.chat_id:<14} {d.status:<10} {d.attempts:>3} "
                  f"{fmt(d.sent_at, settings.timezone):<16} {fmt(d.acknowledged_at, settings.timezone):<16} "
                  f"{d.last_error[:60]}")
        missing = await app.services.announcements.not_reached(a.id)
        if missing:
            print(f"Đơn vị chưa nhận ({len(missing)}): " + "; ".join(f"{c} ({w})" for c, _, w in missing))
        return 0

    return await _with_app(settings, go)


async def cmd_periods(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.audience import AudienceError, parse_audience
    from bot.services.reports import STATE_LABELS, PeriodError, parse_offsets

    tz = settings.timezone

    async def go(app: Any) -> int:
        try:
            if args.periods_verb == "open":
                p = await app.services.periods.open(
                    form_id=args.form, label=args.label, due_at=local_datetime(args.due, tz),
                    cutoff=local_date(args.cutoff) if args.cutoff else None, audience=parse_audience(args.audience),
                    remind_offsets=parse_offsets(args.remind), announce=not args.no_announce)
                print(f"Đã mở kỳ #{p.id}: {p.label} ({p.form_id}), hạn {fmt(p.due_at, tz)}, {p.audience_text}")
                if not args.no_announce:
                    print("Thông báo mở kỳ đã xếp hàng gửi tới các đơn vị (tiến trình `tdkt-bot run` sẽ gửi).")
            elif args.periods_verb == "list":
                for p in await app.services.reports.periods():
                    prog = await app.services.reports.progress(p.id)
                    figures = ", ".join(f"{STATE_LABELS[s]} {n}" for s, n in prog.counts.items() if n)
                    print(f"#{p.id:<3} {p.status:<6} {p.form_id:<16} hạn {fmt(p.due_at, tz)}  {p.label}  [{figures}]")
            elif args.periods_verb == "close":
                p = await app.services.periods.close(args.period_id)
                print(f"Đã đóng kỳ #{p.id}: {p.label}")
            elif args.periods_verb == "change":
                if not args.due and not args.audience:
                    raise CliError("cần --due và/hoặc --audience")
                p = await app.services.periods.change(
                    args.period_id, due_at=local_datetime(args.due, tz) if args.due else None,
                    audience=parse_audience(args.audience) if args.audience else None, announce=args.announce)
                print(f"Kỳ #{p.id}: hạn {fmt(p.due_at, tz)}, {p.audience_text}; lịch nhắc đã lập lại.")
            elif args.periods_verb == "show":
                await print_period(app, args.period_id, tz)
        except (PeriodError, AudienceError) as exc:
            raise CliError(str(exc)) from None
        return 0

    return await _with_app(settings, go)


async def print_period(app: Any, period_id: int, tz: str) -> None:
    from bot.services.reports import STATE_LABELS

    p = await app.services.reports.period(period_id)
    if p is None:
        raise CliError(f"không có kỳ báo cáo #{period_id}")
    prog = await app.services.reports.progress(p.id)
    print(f"Kỳ #{p.id}: {p.label} — mẫu {p.form_id} v{p.form_version} — {p.status}")
    print(f"Chốt số liệu {p.cutoff.strftime('%d/%m/%Y') if p.cutoff else '-'} · hạn {fmt(p.due_at, tz)} · "
          f"{p.audience_text} · nhắc {', '.join(p.remind_offsets)}")
    print("Tiến độ: " + ", ".join(f"{STATE_LABELS[s]} {n}" for s, n in prog.counts.items()))
    plan = await app.services.reminders.plan_lines(p.id)
    print(f"Lịch nhắc ({len(plan)}):")
    for r in plan:
        moved = f" (dời từ {fmt(r.planned_for, tz)}: ngoài giờ/ngày nghỉ)" if r.moved else ""
        print(f"  {fmt(r.send_at, tz)}  {r.unit_code:<16} {r.kind:<10} {r.status_label}{moved}")


async def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.reports import PeriodError

    if not (args.xlsx or args.docx or args.summary or args.tt02):
        raise CliError("Cần ít nhất một trong --xlsx FILE, --docx DIR, --summary FILE.docx, --tt02 FILE.xlsx.")

    def write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"Đã xuất {path} ({len(data) // 1024} KB)")

    async def go(app: Any) -> int:
        outputs = app.services.outputs
        try:
            if args.xlsx:
                _name, data = await app.services.exports.export_period(args.period_id)
                write(args.xlsx, data)
            if args.summary:
                write(args.summary, (await outputs.summary_docx(args.period_id))[1])
            if args.tt02:
                write(args.tt02, (await outputs.tt02_xlsx(args.period_id))[1])
            if args.docx:
                files = await outputs.unit_reports(args.period_id)
                args.docx.mkdir(parents=True, exist_ok=True)
                for name, data in files:
                    (args.docx / name).write_bytes(data)
                print(f"Đã xuất {len(files)} báo cáo đơn vị (DOCX) vào {args.docx}")
        except PeriodError as exc:
            raise CliError(str(exc)) from None
        return 0

    return await _with_app(settings, go)


async def cmd_web(settings: Settings, args: argparse.Namespace) -> int:
    """``web link``: the operator's way in — and on a fresh install, the first admin's."""
    from bot.services.web_access import WebAccessError

    async def go(app: Any) -> int:
        access = app.services.web_access
        try:
            if args.unit:
                token, name = await access.link_for_unit(args.unit)
            elif args.viewer is not None:
                token, name = await access.link_for_role("viewer", args.viewer or None)
            else:
                token, name = await access.link_for_role("admin", args.admin or None)
        except WebAccessError as exc:
            raise CliError(str(exc)) from None
        print(f"Liên kết đăng nhập cho {name} (dùng một lần, hết hạn sau 10 phút):")
        print(access.url(token))
        return 0

    return await _with_app(settings, go)


VERBS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "run": cmd_run,
    "console": cmd_console,
    "db": cmd_db,
    "units": cmd_units,
    "invite": cmd_invite,
    "admins": cmd_admins,
    "announce": cmd_announce,
    "deliveries": cmd_deliveries,
    "periods": cmd_periods,
    "export": cmd_export,
    "web": cmd_web,
}
