"""The office's side of reporting: open a period (/kybaocao), follow progress (/tiendo),
look at, return or accept submissions, export to Excel (/xuat)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.core import Attachment, Choice, Outbound, Router, rows
from bot.core.callbacks import CallbackData, decode, number
from bot.forms.engine import FormEngine, answer_files
from bot.forms.parsers import echo
from bot.rendering.buttons import (
    AcceptSubmission,
    ExportPeriod,
    ListSubmissions,
    OfficeCancel,
    OfficeSummary,
    OpenCancel,
    OpenConfirm,
    OpenWithForm,
    RemindMissingNow,
    ReturnSubmission,
    ShowProgress,
    ShowSubmission,
    StatisticsTables,
    UnitReportCopy,
)
from bot.services.audience import AudienceError, describe
from bot.services.periods import check_cutoff
from bot.services.reports import MIN_RETURN_REASON, STATE_LABELS, PeriodError, UnitState, parse_offsets
from handlers.context import Ctx, Handler, requires
from handlers.documents import send_office_document, send_unit_report

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


async def _pick_period(ctx: Ctx, button: type[ShowProgress | ExportPeriod], action: str) -> int | None:
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
        await ctx.say("no_periods")
        return None
    choices = [Choice(f"{p.label}{'' if p.is_open else ' (đã đóng)'}", button(period=p.id).pack())
               for p in periods[:8]]
    await ctx.say("pick_period", action=action, choices=rows(*choices))
    return None


@requires(admin=True)
async def progress(ctx: Ctx) -> None:
    period_id = await _pick_period(ctx, ShowProgress, "progress")
    if period_id is not None:
        await show_progress(ctx, period_id)


async def show_progress(ctx: Ctx, period_id: int) -> None:
    prog = await ctx.services.reports.progress(period_id)
    if prog is None:
        await ctx.say("stale_button")
        return
    labels = {s: STATE_LABELS[s] for s in UnitState}
    buttons = [Choice("🔔 Nhắc ngay", RemindMissingNow(period=period_id).pack()),
               Choice("📥 Xuất Excel", ExportPeriod(period=period_id).pack()),
               Choice("📄 Báo cáo đã nộp", ListSubmissions(period=period_id).pack())]
    await ctx.say("progress", prog=prog, labels=labels, now=ctx.services.clock.now(),
                  choices=rows(*buttons, per_row=2))


@requires(admin=True)
async def export(ctx: Ctx) -> None:
    period_id = await _pick_period(ctx, ExportPeriod, "export")
    if period_id is not None:
        await send_export(ctx, period_id)


async def send_export(ctx: Ctx, period_id: int) -> None:
    try:
        name, data = await ctx.services.exports.export_period(period_id)
    except PeriodError as exc:
        await ctx.say("failed", message=str(exc))
        return
    doc = Attachment(name=name, mime=XLSX, size=len(data), content=data)
    more = rows(Choice("📝 Báo cáo tổng hợp (Word)", OfficeSummary(period=period_id).pack()),
                Choice("📊 Biểu TT 02/2023", StatisticsTables(period=period_id).pack()), per_row=2)
    await ctx.reply(Outbound(text=ctx.text("export_ready", period_id=period_id, name=name), documents=(doc,),
                             choices=more))


@requires(admin=True)
async def on_button(ctx: Ctx) -> None:
    match pressed := decode(ctx.inbound.payload):
        case ShowProgress(period=period_id):
            await show_progress(ctx, period_id)
        case ExportPeriod(period=period_id):
            await send_export(ctx, period_id)
        case RemindMissingNow(period=period_id):
            n, unreachable = await ctx.services.remind_missing_now(period_id)
            await ctx.say("remind_now_result", reached=n, unreachable=unreachable)
        case OfficeSummary(period=period_id):
            await send_office_document(ctx, period_id, "summary")
        case StatisticsTables(period=period_id):
            await send_office_document(ctx, period_id, "tt02")
        case UnitReportCopy(submission=submission_id):
            await send_unit_report(ctx, submission_id, for_signing=False)
        case ListSubmissions(period=period_id):
            await list_submissions(ctx, period_id)
        case ShowSubmission(submission=submission_id):
            await show_submission(ctx, submission_id)
        case ReturnSubmission(submission=submission_id):
            sub = await ctx.services.reports.submission_by_id(submission_id)
            if sub is None or sub.status == "returned":
                await ctx.say("stale_button")
                return
            await ctx.services.conversations.set(ctx.conversation, RETURN_FLOW, {"submission_id": submission_id})
            await ctx.say("return_reason_ask", unit=sub.unit.name, choices=rows(Choice("✖ Hủy", OfficeCancel().pack())))
        case AcceptSubmission(submission=submission_id):
            sub = await ctx.services.reports.accept(submission_id, ctx.member.id if ctx.member else None)
            await ctx.say("submission_accepted", unit=sub.unit.name if sub else "")
        case OfficeCancel():
            await ctx.services.conversations.clear(ctx.conversation)
            await ctx.say("cancel", cancelled=True, kept="")
        case OpenWithForm() | OpenConfirm() | OpenCancel():
            await open_button(ctx, pressed)
        case _:
            await ctx.say("stale_button")


async def list_submissions(ctx: Ctx, period_id: int) -> None:
    prog = await ctx.services.reports.progress(period_id)
    if prog is None:
        await ctx.say("stale_button")
        return
    _, rows_ = await ctx.services.reports.export_rows(period_id)
    subs = [(u, s, sub) for u, s, sub in rows_ if sub is not None]
    buttons = [Choice(f"{u.code}", ShowSubmission(submission=sub.id).pack()) for u, _, sub in subs[:30]]
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
    form_ctx = ctx.services.submission_context(period, sub)
    lines = engine.summary(sub.answers, form_ctx)
    buttons = []
    if sub.status == "submitted":
        buttons = [Choice("↩️ Trả lại", ReturnSubmission(submission=sub.id).pack()),
                   Choice("✅ Tiếp nhận", AcceptSubmission(submission=sub.id).pack())]
    buttons.append(Choice("📄 Bản Word", UnitReportCopy(submission=sub.id).pack()))
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
    state = await ctx.services.conversations.get(ctx.conversation)
    assert state
    reason = ctx.inbound.text.strip()
    if len(reason) < MIN_RETURN_REASON:
        await ctx.say("return_reason_short")
        return
    sub = await ctx.services.reports.return_submission(int(state.data["submission_id"]), reason,
                                                       ctx.member.id if ctx.member else None)
    await ctx.services.conversations.clear(ctx.conversation)
    if sub is None:
        await ctx.say("stale_button")
        return
    period = await ctx.services.reports.period(sub.period_id)
    assert period
    told = await ctx.services.submissions.notify_returned(sub, period)
    await ctx.say("submission_returned", unit=sub.unit.name, told=told)


# ---- /kybaocao ---------------------------------------------------------------------------
@requires(admin=True)
async def open_start(ctx: Ctx) -> None:
    data: dict = {"step": "form"}  # type: ignore[type-arg]
    await ctx.services.conversations.set(ctx.conversation, OPEN_FLOW, data)
    forms = sorted(ctx.services.forms.values(), key=lambda f: f.id)
    await ctx.say("period_ask", step="form",
                  choices=rows(*[Choice(f.title[:60], OpenWithForm(form=f.id).pack()) for f in forms],
                               Choice("✖ Hủy", OfficeCancel().pack())))


async def open_button(ctx: Ctx, pressed: CallbackData) -> None:
    state = await ctx.services.conversations.get(ctx.conversation)
    if state is None or state.flow != OPEN_FLOW:
        await ctx.say("stale_button")
        return
    data = state.data
    if isinstance(pressed, OpenWithForm) and data["step"] == "form" and pressed.form in ctx.services.forms:
        data.update(form_id=pressed.form, step="label")
        await ctx.services.conversations.set(ctx.conversation, OPEN_FLOW, data)
        await ctx.say("period_ask", step="label", choices=())
    elif isinstance(pressed, OpenConfirm) and data["step"] == "confirm":
        await _open(ctx, data)
    elif isinstance(pressed, OpenCancel):
        await ctx.services.conversations.clear(ctx.conversation)
        await ctx.say("cancel", cancelled=True, kept="")
    else:
        await ctx.say("stale_button")


@requires(admin=True)
async def open_input(ctx: Ctx) -> None:
    state = await ctx.services.conversations.get(ctx.conversation)
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
            check_cutoff(date.fromisoformat(data["cutoff"]) if data.get("cutoff") else None, due)
            data.update(due=due.isoformat(), step="audience")
        elif step == "audience":
            from bot.services.audience import parse_audience

            audience = parse_audience(text)
            await ctx.services.announcements.check_audience(audience)
            data.update(audience=audience.to_json(), step="remind")
        elif step == "remind":
            data.update(remind=parse_offsets(text if text.lower() not in {"mặc định", "mac dinh"} else "7d,3d,1d,2h"),
                        step="confirm")
        else:
            await ctx.say("period_ask", step=step, choices=())
            return
    except ValueError as exc:
        msg = str(exc) if isinstance(exc, PeriodError | AudienceError) else "Chưa đúng định dạng."
        await ctx.say("failed", message=msg)
        await ctx.say("period_ask", step=step, choices=())
        return
    await ctx.services.conversations.set(ctx.conversation, OPEN_FLOW, data)
    if data["step"] == "confirm":
        spec = ctx.services.forms[data["form_id"]]
        # The reminder plan as the dashboard shows it before opening: times already moved for
        # quiet hours, rest days and holidays (the same use case computes both).
        plan = await ctx.services.periods.preview_open(form_id=data["form_id"], due_at=datetime.fromisoformat(data["due"]),
                                                       audience=data["audience"], remind_offsets=data["remind"])
        await ctx.say("period_preview", d=data, title=spec.title, audience=describe(data["audience"]),
                      due=datetime.fromisoformat(data["due"]), plan=plan,
                      choices=rows(Choice("✅ Mở kỳ và thông báo", OpenConfirm().pack()),
                                   Choice("✖ Hủy", OpenCancel().pack()), per_row=2))
    else:
        await ctx.say("period_ask", step=data["step"], choices=())


async def _open(ctx: Ctx, data: dict) -> None:  # type: ignore[type-arg]
    try:
        period = await ctx.services.periods.open(
            form_id=data["form_id"], label=data["label"], due_at=datetime.fromisoformat(data["due"]),
            cutoff=date.fromisoformat(data["cutoff"]), audience=data["audience"], remind_offsets=data["remind"],
            created_by=ctx.member.id if ctx.member else None,
            actor=f"member:{ctx.member.id}" if ctx.member else "chat")
    except (PeriodError, AudienceError) as exc:
        await ctx.say("failed", message=str(exc))
        return
    await ctx.services.conversations.clear(ctx.conversation)
    await ctx.say("period_opened", period=period,
                  due=f"{period.due_at.astimezone(ZoneInfo(ctx.settings.timezone)):%d/%m/%Y %H:%M}")
