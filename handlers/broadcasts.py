"""Broadcasting in chat: /thongbao (guided), acknowledgements, /tinhtrang, /vanban."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core import Choice, InboundKind, Outbound, Router, rows
from bot.core.callbacks import decode
from bot.core.text import fold
from bot.rendering.buttons import (
    Acknowledge,
    AnnounceCancel,
    AnnounceNeedsAck,
    AnnounceSendLater,
    AnnounceSendNow,
    AnnounceSkipNumber,
    AnnounceToAll,
    AnnounceToGroup,
    AnnounceToKind,
    AnnounceToUnits,
    AnnounceType,
    DeliveryReport,
    ReopenAnnouncement,
)
from bot.services.announcements import ACK_PREFIX, DOC_TYPES
from bot.services.audience import AudienceError, describe
from handlers.context import Ctx, Handler, requires

FLOW = "announce"
KIND_CHOICES = [("xa", "Các xã"), ("phuong", "Các phường"), ("so", "Các sở, ngành"), ("truong", "Các trường")]
TEXT_BODY_TYPES = (".md", ".txt")


def register(router: Router[Handler]) -> None:
    router.command("thongbao")(start_flow)
    router.callback("an")(on_flow_button)
    router.flow(FLOW)(on_flow_input)
    router.callback(ACK_PREFIX)(on_ack)
    router.command("tinhtrang")(status_list)
    router.callback("rp")(on_report_button)
    router.command("vanban")(unit_announcements)
    router.callback("vb")(reopen)


# ---- /thongbao: a guided flow kept in the chat state --------------------------------------
@requires(admin=True)
async def start_flow(ctx: Ctx) -> None:
    await ctx.services.conversations.set(ctx.conversation, FLOW, {"step": "type"})
    await ask(ctx, {"step": "type"})


async def ask(ctx: Ctx, data: dict) -> None:  # type: ignore[type-arg]
    step = data["step"]
    cancel = Choice("✖ Hủy", AnnounceCancel().pack())
    if step == "type":
        choices = [Choice(t, AnnounceType(index=i).pack()) for i, t in enumerate(DOC_TYPES)]
        await ctx.say("announce_ask", step=step, choices=rows(*choices, cancel, per_row=2))
    elif step == "number":
        await ctx.say("announce_ask", step=step, choices=rows(Choice("Bỏ qua", AnnounceSkipNumber().pack()), cancel, per_row=2),
                      buttons=ctx.channel.capabilities.buttons)
    elif step in ("summary", "body", "audience_units", "at"):
        await ctx.say("announce_ask", step=step, choices=rows(cancel))
    elif step == "audience":
        groups: list[str] = await ctx.services.units.group_names()
        data["groups"] = groups
        await ctx.services.conversations.set(ctx.conversation, FLOW, data)
        choices = [Choice("Tất cả đơn vị", AnnounceToAll().pack())]
        choices += [Choice(g, AnnounceToGroup(index=i).pack()) for i, g in enumerate(groups)]
        choices += [Choice(label, AnnounceToKind(kind=k).pack()) for k, label in KIND_CHOICES]
        choices += [Choice("Nhập mã đơn vị", AnnounceToUnits().pack()), cancel]
        await ctx.say("announce_ask", step=step, choices=rows(*choices, per_row=2))
    elif step == "ack":
        await ctx.say("announce_ask", step=step, choices=rows(
            Choice("Có, yêu cầu xác nhận", AnnounceNeedsAck(required=True).pack()),
            Choice("Không", AnnounceNeedsAck(required=False).pack()), cancel, per_row=2))
    elif step == "preview":
        await ctx.reply(ctx.services.announcements.preview_draft(
            data, issuer=ctx.settings.office_name, buttons=ctx.channel.capabilities.buttons))
        await ctx.say("announce_confirm", audience=describe(data["audience"]), needs_ack=data.get("ack", False),
                      choices=rows(Choice("📤 Gửi ngay", AnnounceSendNow().pack()),
                                   Choice("🕘 Hẹn giờ", AnnounceSendLater().pack()), cancel,
                                   per_row=3))


async def _advance(ctx: Ctx, data: dict, step: str) -> None:  # type: ignore[type-arg]
    data["step"] = step
    await ctx.services.conversations.set(ctx.conversation, FLOW, data)
    await ask(ctx, data)


@requires(admin=True)
async def on_flow_button(ctx: Ctx) -> None:
    state = await ctx.services.conversations.get(ctx.conversation)
    if state is None or state.flow != FLOW:
        await ctx.say("stale_button")
        return
    data = state.data
    step, groups = data["step"], data.get("groups", [])
    match decode(ctx.inbound.payload):
        case AnnounceCancel():
            await ctx.services.conversations.clear(ctx.conversation)
            await ctx.say("cancel", cancelled=True, kept="")
        case AnnounceType(index=i) if step == "type" and i < len(DOC_TYPES):
            data["doc_type"] = DOC_TYPES[i]
            await _advance(ctx, data, "number")
        case AnnounceSkipNumber() if step == "number":
            data["number"] = ""
            await _advance(ctx, data, "summary")
        case AnnounceToAll() if step == "audience":
            data["audience"] = {"all": True}
            await _advance(ctx, data, "ack")
        case AnnounceToGroup(index=i) if step == "audience" and i < len(groups):
            data["audience"] = {"groups": [groups[i]]}
            await _advance(ctx, data, "ack")
        case AnnounceToKind(kind=kind) if step == "audience":
            data["audience"] = {"kinds": [kind]}
            await _advance(ctx, data, "ack")
        case AnnounceToUnits() if step == "audience":
            await _advance(ctx, data, "audience_units")
        case AnnounceNeedsAck(required=required) if step == "ack":
            data["ack"] = required
            await _advance(ctx, data, "preview")
        case AnnounceSendNow() if step == "preview":
            await _create(ctx, data, send_at=None)
        case AnnounceSendLater() if step == "preview":
            await _advance(ctx, data, "at")
        case _:
            await ctx.say("stale_button")


@requires(admin=True)
async def on_flow_input(ctx: Ctx) -> None:
    state = await ctx.services.conversations.get(ctx.conversation)
    assert state is not None
    data, step, inbound = state.data, state.data["step"], ctx.inbound
    text = inbound.text.strip()
    if inbound.kind is InboundKind.FILE and step == "body":
        att = inbound.attachment
        assert att is not None
        content = await ctx.channel.fetch_file(inbound)
        if att.name.lower().endswith(TEXT_BODY_TYPES):
            data["body"] = content.decode("utf-8", errors="replace")
        else:
            stored = await ctx.services.files.store(att.name, att.mime, content)
            data.setdefault("attachments", []).append(stored)
            data["body"] = text or data.get("summary", "")
        await _advance(ctx, data, "audience")
        return
    if inbound.kind is not InboundKind.TEXT or not text:
        await ctx.say("announce_ask", step=step, retry=True, choices=())
        return
    if step == "number":
        data["number"] = text.upper().replace(" ", "")[:80]
        await _advance(ctx, data, "summary")
    elif step == "summary":
        data["summary"] = text[:1000]
        await _advance(ctx, data, "body")
    elif step == "body":
        data["body"] = text
        await _advance(ctx, data, "audience")
    elif step == "audience_units":
        codes = [c.strip().upper() for c in text.replace(";", ",").replace(" ", ",").split(",") if c.strip()]
        try:
            await ctx.services.announcements.check_audience({"units": codes})
        except AudienceError as exc:
            await ctx.say("announce_units_error", error=str(exc))
            return
        data["audience"] = {"units": codes}
        await _advance(ctx, data, "ack")
    elif step == "at":
        try:
            local = datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=ZoneInfo(ctx.settings.timezone))
        except ValueError:
            await ctx.say("announce_bad_time", past=False)
            return
        if local <= ctx.services.clock.now():
            await ctx.say("announce_bad_time", past=True)
            return
        await _create(ctx, data, send_at=local)
    else:
        await ctx.say("announce_ask", step=step, retry=True, choices=())


async def _create(ctx: Ctx, data: dict, send_at: datetime | None) -> None:  # type: ignore[type-arg]
    assert ctx.member
    a = await ctx.services.announcements.create(
        doc_type=data.get("doc_type", "Thông báo"), number=data.get("number", ""), summary=data.get("summary", ""),
        body=data.get("body", ""), attachments=data.get("attachments", []), audience=data.get("audience"),
        send_at=send_at, needs_ack=bool(data.get("ack")), created_by=ctx.member.id, actor=f"member:{ctx.member.id}",
        issuer=ctx.settings.office_name,
    )
    await ctx.services.conversations.clear(ctx.conversation)
    if a.status == "scheduled":
        await ctx.say("announce_scheduled", a=a)
        return
    await send_report(ctx, a.id)


async def send_report(ctx: Ctx, announcement_id: int) -> None:
    """The self-updating status message for the admin who sent the announcement."""
    out = await ctx.services.announcements.report_outbound(announcement_id)
    sent = await ctx.reply(out)
    if not sent.last_id:  # deferred to the outbox: no message to keep up to date
        return
    await ctx.services.announcements.attach_report(announcement_id, ctx.address.channel, ctx.address.chat_id,
                                                   sent.last_id, out.text)


# ---- acknowledgement --------------------------------------------------------------------
@requires(member=True)
async def on_ack(ctx: Ctx) -> None:
    match decode(ctx.inbound.payload):
        case Acknowledge(delivery=delivery_id):
            await acknowledge(ctx, delivery_id)
        case _:
            await ctx.say("stale_button")


async def acknowledge(ctx: Ctx, delivery_id: int) -> None:
    assert ctx.member
    first, at = await ctx.services.announcements.acknowledge(delivery_id, ctx.member.id)
    if at is None:
        await ctx.say("stale_button")
        return
    label = f"✅ Đã nhận lúc {at.astimezone(ZoneInfo(ctx.settings.timezone)):%H:%M %d/%m/%Y}"
    # The press is answered first: the spinner stops at once, the edit below waits its turn.
    await ctx.answer_button(ctx.text("button_toast", why="acknowledged" if first else "acknowledged_before"))
    edited = False
    if ctx.inbound.kind is InboundKind.CALLBACK and ctx.inbound.message_id:
        edited = await ctx.channel.edit_choices(ctx.address, ctx.inbound.message_id,
                                                rows(Choice(label, Acknowledge(delivery=delivery_id).pack())))
    if not edited:
        await ctx.say("ack_done", first=first, at=at)


async def ack_typed(ctx: Ctx) -> bool:
    """'đã nhận' typed (Zalo has no buttons): acknowledge the newest pending announcement."""
    if ctx.member is None or fold(ctx.inbound.text) not in {"da nhan", "danhan", "nhan", "ok da nhan"}:
        return False
    delivery_id = await ctx.services.announcements.ack_of_last_for_chat(ctx.address.channel, ctx.address.chat_id)
    if delivery_id is None:
        return False
    await acknowledge(ctx, delivery_id)
    return True


# ---- admin reporting --------------------------------------------------------------------
@requires(admin=True)
async def status_list(ctx: Ctx) -> None:
    items = await ctx.services.announcements.recent(5)
    buttons = [Choice(f"Chi tiết {i}", DeliveryReport(announcement=a.id, view="s").pack())
               for i, (a, _) in enumerate(items, 1)]
    await ctx.say("announcements_recent", items=items, choices=rows(*buttons, per_row=3))


@requires(admin=True)
async def on_report_button(ctx: Ctx) -> None:
    pressed = decode(ctx.inbound.payload)
    if not isinstance(pressed, DeliveryReport):
        await ctx.say("stale_button")
        return
    ann_id, action = pressed.announcement, pressed.view
    if await ctx.services.announcements.get(ann_id) is None:
        await ctx.say("stale_button")
        return
    if action == "m":
        lines = await ctx.services.announcements.not_reached(ann_id)
        await ctx.say("not_reached", lines=lines)
    elif action == "r":
        n = await ctx.services.announcements.retry_failed(ann_id)
        await ctx.say("delivery_action_result", action="retry", n=n)
    elif action == "a":
        n = await ctx.services.announcements.remind_unacknowledged(ann_id)
        await ctx.say("delivery_action_result", action="remind_ack", n=n)
    elif action == "s":
        await send_report(ctx, ann_id)
    else:
        await ctx.say("stale_button")


# ---- officers: /vanban ------------------------------------------------------------------
@requires(member=True)
async def unit_announcements(ctx: Ctx) -> None:
    assert ctx.member
    if ctx.member.unit is None:
        await status_list(ctx)
        return
    items = await ctx.services.announcements.for_unit(ctx.member.unit.id)
    buttons = [Choice(f"{i}. Xem", ReopenAnnouncement(announcement=a.id).pack()) for i, a in enumerate(items, 1)]
    await ctx.say("announcements_for_unit", items=items, choices=rows(*buttons, per_row=4))


@requires(member=True)
async def reopen(ctx: Ctx) -> None:
    assert ctx.member
    pressed = decode(ctx.inbound.payload)
    ann_id = pressed.announcement if isinstance(pressed, ReopenAnnouncement) else None
    allowed = {a.id for a in await ctx.services.announcements.for_unit(ctx.member.unit.id, 50)} if ctx.member.unit else set()
    if ann_id is None or (ann_id not in allowed and not ctx.member.is_admin):
        await ctx.say("stale_button")
        return
    out = await ctx.services.announcements.preview(ann_id, buttons=ctx.channel.capabilities.buttons)
    if out is None:
        await ctx.say("stale_button")
        return
    await ctx.reply(Outbound(text=out.text, documents=out.documents))
