"""The office's side of reporting: open a period (/kybaocao), follow progress (/tiendo),
look at, return or accept submissions, export to Excel (/xuat)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core import Attachment, Choice, Outbound, Router, rows
from bot.forms.engine import FormEngine, answer_files
from bot.forms.parsers import echo
from bot.rendering.templates import md_escape
from bot.services.audience import AudienceError, describe
from bot.services.reports import MIN_RETURN_REASON, STATE_LABELS, PeriodError, UnitState, parse_offsets
from handlers.context import Ctx, Handler, requires
from handlers.payload import Payload, number

OPEN_FLOW = "open_period"
RETURN_FLOW = "return_report"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def register(router: Router[Handler]) -> None:
    router.command("tiendo")(progress)
    router.command("xuat")(export)
    router.command("kybaocao")(open_start)
    router.callback("td")(on_button)
    router.flow(OPEN_FLOW)(open_input)
    router.flow(RETURN_FLOW)(return_input)


async def _pick_period(ctx: Ctx, action: str, intro: str) -> int | None:
    """The period the admin means: the only open one, the argument, or a choice.

    A typed id is read like a button's (ASCII digits, 1 … 2³¹−1) and must name a period that
    exists: ``int()`` on "99999999999" reached the database as an overflow ("sự cố"), and an
    unknown id was answered as a stale button although no button was pressed."""
    arg = ctx.inbound.args.strip()
    periods = await ctx.services.reports.periods()
    if arg.isdigit():  # any script's digits: "²" is a mistyped id too, not a word to ignore
        period_id = number(arg)
        if period_id is not None and any(p.id == period_id for p in periods):
            return period_id
        await ctx.say("period_not_found", number=echo(arg, 20), command=ctx.inbound.command)
        return None
    open_ = [p for p in periods if p.is_open]
    if len(open_) == 1:
        return open_[0].id
    if not periods:
        await ctx.reply("Chưa có kỳ báo cáo nào. Mở kỳ mới bằng /kybaocao.")
        return None
    choices = [Choice(f"{p.label}{'' if p.is_open else ' (đã đóng)'}", f"td:{action}:{p.id}") for p in periods[:8]]
    await ctx.reply(intro, rows(*choices))
    return None


@requires(admin=True)
async def progress(ctx: Ctx) -> None:
    period_id = await _pick_period(ctx, "p", "Chọn kỳ báo cáo cần xem tiến độ:")
    if period_id is not None:
        await show_progress(ctx, period_id)


async def show_progress(ctx: Ctx, period_id: int) -> None:
    prog = await ctx.services.reports.progress(period_id)
    if prog is None:
        await ctx.say("stale_button")
        return
    labels = {s: STATE_LABELS[s] for s in UnitState}
    buttons = [Choice("🔔 Nhắc ngay", f"td:n:{period_id}"), Choice("📥 Xuất Excel", f"td:x:{period_id}"),
               Choice("📄 Báo cáo đã nộp", f"td:l:{period_id}")]
    await ctx.say("progress", prog=prog, labels=labels, now=ctx.services.clock.now(),
                  choices=rows(*buttons, per_row=2))


@requires(admin=True)
async def export(ctx: Ctx) -> None:
    period_id = await _pick_period(ctx, "x", "Chọn kỳ báo cáo cần xuất Excel:")
    if period_id is not None:
        await send_export(ctx, period_id)


async def send_export(ctx: Ctx, period_id: int) -> None:
    try:
        name, data = await ctx.services.export_period(period_id)
    except PeriodError as exc:
        await ctx.reply(f"❌ {exc}")
        return
    doc = Attachment(name=name, mime=XLSX, size=len(data), content=data)
    await ctx.reply(Outbound(text=f"📥 Tệp tổng hợp kỳ báo cáo số {period_id}: {md_escape(name)}", documents=(doc,)))


@requires(admin=True)
async def on_button(ctx: Ctx) -> None:
    payload = Payload.parse(ctx.inbound.payload)
    parts = list(payload.parts)
    action = payload.action
    arg = payload.id(2)
    if arg is None and action not in {"o", "f", "ok", "no", "c"}:
        await ctx.say("stale_button")
        return
    if action == "p":
        await show_progress(ctx, arg)  # type: ignore[arg-type]
    elif action == "x":
        await send_export(ctx, arg)  # type: ignore[arg-type]
    elif action == "n":
        n, unreachable = await ctx.services.remind_missing_now(arg)  # type: ignore[arg-type]
        await ctx.say("remind_now_result", reached=n, unreachable=unreachable)
    elif action == "l":
        await list_submissions(ctx, arg)  # type: ignore[arg-type]
    elif action == "s":
        await show_submission(ctx, arg)  # type: ignore[arg-type]
    elif action == "r":
        sub = await ctx.services.reports.submission_by_id(arg)  # type: ignore[arg-type]
        if sub is None or sub.status == "returned":
            await ctx.say("stale_button")
            return
        await ctx.services.conversations.set(ctx.address, RETURN_FLOW, {"submission_id": arg})
        await ctx.reply(f"Nhập **lý do trả lại** báo cáo của {md_escape(sub.unit.name)} (đơn vị sẽ nhận được lý do này):",
                        rows(Choice("✖ Huỷ", "td:c:0")))
    elif action == "a":
        sub = await ctx.services.reports.accept(arg, ctx.member.id if ctx.member else None)  # type: ignore[arg-type]
        await ctx.reply(f"✅ Đã tiếp nhận báo cáo của {md_escape(sub.unit.name)}." if sub else
                        "Báo cáo này không ở trạng thái chờ tiếp nhận.")
    elif action == "c":
        await ctx.services.conversations.clear(ctx.address)
        await ctx.say("cancel", cancelled=True, kept="")
    elif action in {"f", "ok", "no", "o"}:
        await open_button(ctx, parts)
    else:
        await ctx.say("stale_button")


async def list_submissions(ctx: Ctx, period_id: int) -> None:
    prog = await ctx.services.reports.progress(period_id)
    if prog is None:
        await ctx.say("stale_button")
        return
    _, rows_ = await ctx.services.reports.export_rows(period_id)
    subs = [(u, s, sub) for u, s, sub in rows_ if sub is not None]
    buttons = [Choice(f"{u.code}", f"td:s:{sub.id}") for u, _, sub in subs[:30]]
    await ctx.say("submissions_list", period=prog.period, subs=subs, labels=STATE_LABELS,
                  choices=rows(*buttons, per_row=3))


async def show_submission(ctx: Ctx, submission_id: int) -> None:
    sub = await ctx.services.reports.submission_by_id(submission_id)
    if sub is None:
        await ctx.say("stale_button")
        return
    period = await ctx.services.reports.period(sub.period_id)
    assert period
    engine = FormEngine(ctx.services.forms[period.form_id])
    lines = engine.summary(sub.answers, ctx.services.form_context(period, sub.unit.kind))
    buttons = []
    if sub.status == "submitted":
        buttons = [Choice("↩️ Trả lại", f"td:r:{sub.id}"), Choice("✅ Tiếp nhận", f"td:a:{sub.id}")]
    await ctx.say("submission_detail", s=sub, period=period, lines=lines, choices=rows(*buttons, per_row=2))
    files = [f for v in sub.answers.values() for f in answer_files(v) if f.get("sha256") and f.get("file_ref")]
    for f in files:
        try:
            content = await ctx.services.files.read({"path": f["file_ref"]})
        except OSError:
            continue
        await ctx.reply(Outbound(documents=(Attachment(name=f.get("name", "tep"), mime=f.get("mime", ""),
                                                       size=len(content), content=content),)))


@requires(admin=True)
async def return_input(ctx: Ctx) -> None:
    state = await ctx.services.conversations.get(ctx.address)
    assert state
    reason = ctx.inbound.text.strip()
    if len(reason) < MIN_RETURN_REASON:
        await ctx.reply("Lý do trả lại cần rõ ràng (ít nhất 5 ký tự). Nhập lại, hoặc gõ /huy.")
        return
    sub = await ctx.services.reports.return_submission(int(state.data["submission_id"]), reason,
                                                       ctx.member.id if ctx.member else None)
    await ctx.services.conversations.clear(ctx.address)
    if sub is None:
        await ctx.say("stale_button")
        return
    period = await ctx.services.reports.period(sub.period_id)
    assert period
    told = await ctx.services.notify_returned(sub, period)
    await ctx.reply(f"↩️ Đã trả lại báo cáo của {md_escape(sub.unit.name)}; "
                    + ("đơn vị đã được báo qua tin nhắn." if told else
                       "đơn vị chưa liên kết kênh nhắn tin nào, cần báo trực tiếp (điện thoại)."))


# ---- /kybaocao ---------------------------------------------------------------------------
@requires(admin=True)
async def open_start(ctx: Ctx) -> None:
    data: dict = {"step": "form"}  # type: ignore[type-arg]
    await ctx.services.conversations.set(ctx.address, OPEN_FLOW, data)
    forms = sorted(ctx.services.forms.values(), key=lambda f: f.id)
    await ctx.say("period_ask", step="form", choices=rows(*[Choice(f.title[:60], f"td:f:{f.id}") for f in forms],
                                                           Choice("✖ Huỷ", "td:c:0")))


async def open_button(ctx: Ctx, parts: list[str]) -> None:
    state = await ctx.services.conversations.get(ctx.address)
    if state is None or state.flow != OPEN_FLOW:
        await ctx.say("stale_button")
        return
    data = state.data
    if parts[1] == "f" and data["step"] == "form" and len(parts) > 2 and parts[2] in ctx.services.forms:
        data.update(form_id=parts[2], step="label")
        await ctx.services.conversations.set(ctx.address, OPEN_FLOW, data)
        await ctx.say("period_ask", step="label", choices=())
    elif parts[1] == "ok" and data["step"] == "confirm":
        await _open(ctx, data)
    elif parts[1] == "no":
        await ctx.services.conversations.clear(ctx.address)
        await ctx.say("cancel", cancelled=True, kept="")
    else:
        await ctx.say("stale_button")


@requires(admin=True)
async def open_input(ctx: Ctx) -> None:
    state = await ctx.services.conversations.get(ctx.address)
    assert state
    data, text = state.data, ctx.inbound.text.strip()
    step = data["step"]
    tz = ZoneInfo(ctx.settings.timezone)
    if not text:
        await ctx.say("period_ask", step=step, choices=())
        return
    try:
        if step == "label":
            data.update(label=text[:200], step="cutoff")
        elif step == "cutoff":
            data.update(cutoff=datetime.strptime(text, "%d/%m/%Y").date().isoformat(), step="due")
        elif step == "due":
            due = datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=tz)
            if due <= ctx.services.clock.now():
                raise PeriodError("Hạn nộp phải ở tương lai.")
            data.update(due=due.isoformat(), step="audience")
        elif step == "audience":
            from bot.services.audience import parse_audience

            audience = parse_audience(text)
            await ctx.services.announcements.check_audience(audience)
            data.update(audience=audience, step="remind")
        elif step == "remind":
            data.update(remind=parse_offsets(text if text.lower() not in {"mặc định", "mac dinh"} else "7d,3d,1d,2h"),
                        step="confirm")
        else:
            await ctx.say("period_ask", step=step, choices=())
            return
    except ValueError as exc:
        msg = str(exc) if isinstance(exc, PeriodError | AudienceError) else "Chưa đúng định dạng."
        await ctx.reply(f"❌ {md_escape(msg)}")
        await ctx.say("period_ask", step=step, choices=())
        return
    await ctx.services.conversations.set(ctx.address, OPEN_FLOW, data)
    if data["step"] == "confirm":
        spec = ctx.services.forms[data["form_id"]]
        await ctx.say("period_preview", d=data, title=spec.title, audience=describe(data["audience"]),
                      due=datetime.fromisoformat(data["due"]),
                      choices=rows(Choice("✅ Mở kỳ và thông báo", "td:ok:0"), Choice("✖ Huỷ", "td:no:0"), per_row=2))
    else:
        await ctx.say("period_ask", step=data["step"], choices=())


async def _open(ctx: Ctx, data: dict) -> None:  # type: ignore[type-arg]
    from datetime import date

    try:
        period = await ctx.services.open_period(
            form_id=data["form_id"], label=data["label"], due_at=datetime.fromisoformat(data["due"]),
            cutoff=date.fromisoformat(data["cutoff"]), audience=data["audience"], remind_offsets=data["remind"],
            created_by=ctx.member.id if ctx.member else None,
            actor=f"member:{ctx.member.id}" if ctx.member else "chat")
    except (PeriodError, AudienceError) as exc:
        await ctx.reply(f"❌ {md_escape(str(exc))}")
        return
    await ctx.services.conversations.clear(ctx.address)
    await ctx.reply(f"✅ Đã mở kỳ báo cáo số {period.id}: **{md_escape(period.label)}**, hạn nộp "
                    f"{period.due_at.astimezone(ZoneInfo(ctx.settings.timezone)):%d/%m/%Y %H:%M}. "
                    "Thông báo đang được gửi tới các đơn vị; theo dõi bằng /tiendo.")
