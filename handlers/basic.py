"""Everyone's commands: /start, /toi, /trogiup, /huy; admins' /donvi and /moi."""

from __future__ import annotations

import re

from bot.core import Choice, InboundKind, Router, rows
from bot.core.callbacks import decode
from bot.rendering.buttons import LinkAnotherChannel, ReceiveOn
from bot.services.members import ROLE_LABELS, InviteError, RedeemOutcome
from handlers.broadcasts import ack_typed
from handlers.context import Ctx, Handler, open_to_group_strangers, requires

CHANNEL_LABELS = {"telegram": "Telegram", "zalo": "Zalo", "zalo_oa": "Zalo OA (Official Account)",
                  "console": "Console (máy tính)"}
STATUS_LABELS = {"active": "đang hoạt động", "blocked": "đã chặn bot", "left": "đã rời"}

# (command, description, who): who is "all", "member", "officer" or "admin"
COMMANDS: list[tuple[str, str, str]] = [
    ("start", "liên kết cuộc trò chuyện với đơn vị bằng mã mời", "all"),
    ("toi", "xem thông tin của tôi: đơn vị, vai trò, kênh liên kết", "member"),
    ("trogiup", "danh sách lệnh", "all"),
    ("huy", "hủy thao tác đang làm", "member"),
    ("kenh", "chọn kênh nhận thông báo (Telegram, Zalo), liên kết thêm kênh", "member"),
    ("donvi", "danh sách đơn vị và số kênh đã liên kết", "admin"),
    ("moi", "tạo mã mời: /moi MÃ_ĐƠN_VỊ [admin]", "admin"),
    ("thongbao", "soạn và gửi văn bản, thông báo tới các đơn vị", "admin"),
    ("tinhtrang", "tình hình gửi, nhận các văn bản gần đây", "admin"),
    ("vanban", "các văn bản đã gửi tới đơn vị, xem lại", "officer"),
    ("baocao", "làm (hoặc tiếp tục, sửa) báo cáo thi đua – khen thưởng", "officer"),
    ("trangthai", "tình hình báo cáo của đơn vị", "officer"),
    ("kybaocao", "mở kỳ báo cáo mới và thông báo tới các đơn vị", "admin"),
    ("tiendo", "tiến độ nộp báo cáo, nhắc đơn vị, xem và trả lại báo cáo", "admin"),
    ("xuat", "xuất Excel tổng hợp một kỳ báo cáo", "admin"),
    ("web", "liên kết đăng nhập bảng điều khiển trên máy tính (dùng một lần, 10 phút)", "admin"),
]


CODE_RE = re.compile(r"[A-Z2-9]{8}")


@requires(member=True)
async def channels(ctx: Ctx) -> None:
    assert ctx.member
    member = await ctx.services.members.member_with_chats(ctx.member.id)
    assert member
    active = sorted({b.channel for b in member.bindings if b.status == "active"})
    choices = [Choice(f"Nhận qua {CHANNEL_LABELS.get(c, c)}", ReceiveOn(channel=c).pack()) for c in active]
    if len(active) > 1:
        choices.append(Choice("Nhận qua tất cả các kênh", ReceiveOn(channel="all").pack()))
    choices.append(Choice("🔗 Liên kết thêm kênh", LinkAnotherChannel().pack()))
    await ctx.say("channels", member=member, channel_labels=CHANNEL_LABELS, active=active,
                  choices=rows(*choices))


@requires(member=True)
async def on_channel_button(ctx: Ctx) -> None:
    assert ctx.member
    member = await ctx.services.members.member_with_chats(ctx.member.id)
    assert member
    match decode(ctx.inbound.payload):
        case LinkAnotherChannel():
            code = await ctx.services.members.create_link_code(member.id)
            await ctx.say("link_code", code=code)
        case ReceiveOn(channel=channel):
            choice = None if channel == "all" else channel
            if choice is not None and choice not in {b.channel for b in member.bindings if b.status == "active"}:
                await ctx.say("stale_button")
                return
            await ctx.services.members.set_preferred_channel(member.id, choice)
            await ctx.say("channel_set", channel=CHANNEL_LABELS.get(choice, choice) if choice else None)
        case _:
            await ctx.say("stale_button")


def commands_for(role: str | None) -> list[tuple[str, str]]:
    allowed = {"all"} | ({"member", role} if role else set())
    return [(c, d) for c, d, who in COMMANDS if who in allowed]


def register(router: Router[Handler]) -> None:
    router.command("start")(start)
    router.command("toi")(whoami)
    router.command("trogiup", "help")(help_)
    router.command("huy", "cancel")(cancel)
    router.command("donvi")(units)
    router.command("moi")(invite)
    router.command("kenh")(channels)
    router.callback("kenh")(on_channel_button)
    router.otherwise(fallback)


@open_to_group_strangers
async def start(ctx: Ctx) -> None:
    await redeem(ctx, ctx.inbound.args.strip())


async def redeem(ctx: Ctx, code: str) -> None:
    """``/start CODE`` (or, on channels without deep links, just the code typed)."""
    if not code:
        if ctx.member:
            await ctx.say("start_already", member=ctx.member)
        else:
            await ctx.say("start_no_code")
        return
    result = await ctx.services.members.redeem(ctx.address, code, ctx.inbound.sender_name,
                                               sender_id=ctx.inbound.sender_id, in_group=ctx.inbound.in_group)
    if result.outcome is RedeemOutcome.GROUP_TAKEN:
        await ctx.say("start_group_taken")
    elif result.outcome is RedeemOutcome.NO_PERSON:
        await ctx.say("group_stranger")
    elif result.outcome is RedeemOutcome.BOUND and result.member:
        await ctx.say("start_bound", member=result.member, role_label=ROLE_LABELS[result.member.role])
    elif result.outcome is RedeemOutcome.ALREADY_BOUND and result.member:
        await ctx.say("start_already", member=result.member)
    elif result.outcome is RedeemOutcome.LOCKED and result.locked_until:
        await ctx.say("start_locked", until=result.locked_until)
    else:
        # One answer for unknown, used and expired: telling them apart would tell a
        # guesser that a code exists (the audit log keeps which it was).
        await ctx.say("start_refused")


@requires(member=True)
async def whoami(ctx: Ctx) -> None:
    assert ctx.member
    member = await ctx.services.members.member_with_chats(ctx.member.id)  # with the unit's cụm/khối
    assert member
    await ctx.say("whoami", member=member, role_label=ROLE_LABELS[member.role],
                  channel_labels=CHANNEL_LABELS, status_labels=STATUS_LABELS)


async def help_(ctx: Ctx) -> None:
    await ctx.say("help", commands=commands_for(ctx.member.role if ctx.member else None))


@requires(member=True)
async def cancel(ctx: Ctx) -> None:
    state = await ctx.services.conversations.get(ctx.conversation)
    cleared = await ctx.services.conversations.clear(ctx.conversation)
    kept = "Bản nháp báo cáo vẫn được lưu; gõ /baocao để làm tiếp." if state and state.flow == "report" else ""
    await ctx.say("cancel", cancelled=cleared, kept=kept)


@requires(admin=True)
async def units(ctx: Ctx) -> None:
    rows = await ctx.services.units.list()
    await ctx.say("units", units=rows, bound_units=sum(1 for _, n in rows if n))


@requires(admin=True)
async def invite(ctx: Ctx) -> None:
    parts = ctx.inbound.args.split()
    if not parts:
        await ctx.say("invite_usage")
        return
    role = "admin" if len(parts) > 1 and parts[1].lower() in {"admin", "quantri", "quản trị"} else "officer"
    try:
        inv = await ctx.services.members.create_invite(
            parts[0], role=role, created_by=ctx.member.id if ctx.member else None,
            actor=f"member:{ctx.member.id}" if ctx.member else "chat",
        )
    except InviteError as exc:
        await ctx.say("invite_error", error=str(exc))
        return
    await ctx.say("invite_created", invite=inv, role_label=ROLE_LABELS[role], link=ctx.invite_link(inv.code))


@open_to_group_strangers
async def fallback(ctx: Ctx) -> None:
    """Free text, files or stickers outside any guided flow."""
    if ctx.inbound.kind is InboundKind.TEXT:
        if ctx.member is None and CODE_RE.fullmatch(ctx.inbound.text.strip().upper()):
            await redeem(ctx, ctx.inbound.text.strip())
            return
        if ctx.member is None and ctx.inbound.in_group:
            await ctx.say("group_stranger")
            return
        if await ack_typed(ctx):
            return
        await ctx.say("hint", command="", is_officer=bool(ctx.member))
    elif ctx.member is None and ctx.inbound.in_group:
        await ctx.say("group_stranger")
    else:
        await ctx.say("unsupported", expecting="")
