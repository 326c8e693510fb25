"""Officers fill their reports in chat: /baocao, one question at a time, drafts that survive.

State lives in two places only: the chat is "in the report flow for draft N" (ChatState)
and the draft itself (FormSession: answers, history, position). Every message reads both,
so leaving for days, restarting the bot or switching from Telegram to Zalo resumes
exactly where the officer was.

What a message does to the draft is decided by :class:`bot.forms.flow.FormFlow` (pure);
this module only turns the message into the flow's input, saves the step in one call
(``save_draft``) and says the step's replies.
"""

from __future__ import annotations

import functools
from dataclasses import replace

from bot.core import Choice, Inbound, InboundKind, Outbound, Router, rows
from bot.core.callbacks import CallbackData, decode
from bot.forms import flow as f
from bot.forms.flow import Draft, FormFlow, Step
from bot.forms.parsers import FileInput, content_kind
from bot.rendering.buttons import (
    EditAnother,
    EditQuestion,
    GoBack,
    PickOption,
    ReportForPeriod,
    ShowSummary,
    SkipQuestion,
    SubmitReport,
)
from bot.rendering.templates import md_escape
from bot.services.reports import DraftChanged, DraftView, StartOutcome
from handlers.context import Ctx, Handler, requires
from handlers.documents import send_unit_report

FLOW = "report"
SUMMARY = f.SUMMARY


def rereads_on_conflict(handler: Handler) -> Handler:
    """When a save loses to another writer of the draft (``DraftChanged``), nothing of this
    message was stored: say so, read the draft again and ask what it now asks."""

    @functools.wraps(handler)
    async def run(ctx: Ctx) -> None:
        try:
            await handler(ctx)
        except DraftChanged as exc:
            await reask_changed(ctx, exc.session_id)

    return run


async def reask_changed(ctx: Ctx, session_id: int, tries: int = 3) -> None:
    for attempt in range(tries):
        draft = await ctx.services.reports.draft(session_id)
        if draft is None or ctx.member is None or draft.member_id != ctx.member.id:
            await ctx.say("report_changed", gone=True)
            return
        try:
            await advance(ctx, draft, f.Show(), lead=ctx.text("report_changed", gone=False))
            return
        except DraftChanged:  # changed again while re-asking: read once more
            if attempt == tries - 1:
                raise


def register(router: Router[Handler]) -> None:
    router.command("baocao")(start_report)
    router.callback("bc")(on_button)
    router.flow(FLOW)(on_input)
    router.command("trangthai")(my_status)


def flow_for(ctx: Ctx, draft: DraftView) -> FormFlow:
    return FormFlow(ctx.services.forms[draft.period.form_id],
                    ctx.services.form_context(draft.period, draft.unit.kind, registration=draft.registration,
                                              in_group=draft.in_group),
                    buttons=ctx.channel.capabilities.buttons)


def state_of(draft: DraftView) -> Draft:
    return Draft(answers=draft.answers, history=tuple(draft.history), position=draft.position,
                 return_to_summary=draft.return_to_summary, last_inbound=draft.last_inbound)


# ---- entering the flow --------------------------------------------------------------------
@requires(member=True)
@rereads_on_conflict
async def start_report(ctx: Ctx) -> None:
    member = ctx.member
    assert member
    if member.unit is None:
        await ctx.say("report_for_officers")
        return
    await enter(ctx, None)


async def enter(ctx: Ctx, period_id: int | None) -> None:
    """Start or resume the draft for ``period_id`` (None: the unit's only open period)."""
    member = ctx.member
    assert member and member.unit
    result = await ctx.services.reports.start(member.id, member.unit.id, period_id)
    if result.outcome is StartOutcome.NO_PERIOD:
        await ctx.say("report_no_period")
        return
    if result.outcome is StartOutcome.CHOOSE:
        choices = [Choice(p.label, ReportForPeriod(period=p.id).pack()) for p in result.periods]
        await ctx.say("report_pick_period", periods=result.periods, choices=rows(*choices))
        return
    if result.outcome is StartOutcome.CLOSED:
        await ctx.say("report_period_closed")
        return
    if result.outcome is StartOutcome.NOT_IN_AUDIENCE:
        await ctx.say("report_not_in_audience")
        return
    if result.outcome is StartOutcome.BUSY:
        await ctx.say("report_busy", name=result.other_name, at=result.other_progress_at)
        return
    if result.outcome is StartOutcome.SUBMITTED:
        assert result.submission
        await ctx.say("report_already_submitted", s=result.submission)
        return
    draft = result.draft
    assert draft
    await ctx.services.conversations.set(ctx.conversation, FLOW, {"session_id": draft.session_id})
    step = flow_for(ctx, draft).step(state_of(draft), f.Show(), ctx.inbound.key)
    lead = ""  # said in the same message as the question: one message, one notification
    answered, total = step.progress
    if result.outcome is StartOutcome.NEW and not draft.answers:
        spec = ctx.services.forms[draft.period.form_id]
        lead = ctx.text("report_intro", period=draft.period, unit=draft.unit, title=spec.title, total=total)
    elif result.outcome is StartOutcome.RESUME:
        lead = ctx.text("report_resume", period=draft.period, answered=answered, total=total)
    await say_step(ctx, await save(ctx, draft, step), step, lead=lead)


async def current_draft(ctx: Ctx) -> DraftView | None:
    state = ctx.state
    if state is None or state.flow != FLOW:
        return None
    draft = await ctx.services.reports.draft(int(state.data.get("session_id", 0)))
    if draft is None or ctx.member is None or draft.member_id != ctx.member.id:
        await ctx.services.conversations.clear(ctx.conversation)
        return None
    return draft


# ---- one message: read the draft, step, save, say -------------------------------------------
@requires(member=True)
@rereads_on_conflict
async def on_input(ctx: Ctx) -> None:
    draft = await current_draft(ctx)
    if draft is None:
        await ctx.say("report_session_over")
        return
    await advance(ctx, draft, input_of(ctx.inbound))


@requires(member=True)
@rereads_on_conflict
async def on_button(ctx: Ctx) -> None:
    pressed = decode(ctx.inbound.payload)
    match pressed:  # these carry their own ids: no draft needed yet
        case ReportForPeriod(period=period_id):
            await enter(ctx, period_id)
            return
        case SubmitReport(session=session_id):
            await submit(ctx, session_id)
            return
    draft = await current_draft(ctx)
    if draft is None:
        await ctx.say("stale_button")
        return
    await advance(ctx, draft, press_of(pressed))


def input_of(inbound: Inbound) -> f.Input:
    if inbound.kind is InboundKind.TEXT:
        return f.Typed(inbound.text)
    if inbound.kind is InboundKind.FILE and inbound.attachment is not None:
        att = inbound.attachment
        return f.Upload(FileInput(att.name, att.mime, att.size, "", ""))
    return f.Other(inbound.text)


def press_of(pressed: CallbackData | None) -> f.Input:
    """A report button as the flow's input; anything else (forged, stale) is a stale button."""
    match pressed:
        case PickOption(question=qi, option=option):
            return f.Pick(str(qi), option)
        case GoBack(question=qi):
            return f.Back(str(qi))
        case SkipQuestion(question=qi):
            return f.Skip(str(qi))
        case EditQuestion(number=n) if n >= 1:
            return f.EditNumber(n)
        case EditAnother():
            return f.EditPicker()
        case ShowSummary():
            return f.ToSummary()
    return f.Stale()


async def advance(ctx: Ctx, draft: DraftView, given: f.Input, *, lead: str = "") -> None:
    """Apply one input to the draft: step (pure), fetch/store a sent file if the step wants
    it, save the new state before anything is said, then say the step's replies."""
    step = flow_for(ctx, draft).step(state_of(draft), given, ctx.inbound.key)
    if step.fetch:
        step = await fetch_file(ctx, step)
    draft = await save(ctx, draft, step)
    await say_step(ctx, draft, step, lead=lead)
    if step.submit:
        await submit(ctx, draft.session_id)


async def fetch_file(ctx: Ctx, step: Step) -> Step:
    """Download the file the step wants, let it judge the bytes (an EXE renamed ``.pdf``, an
    empty file) and store them only once accepted: a refused upload leaves nothing in FILES_DIR;
    an accepted one is stored by its hash."""
    att = ctx.inbound.attachment
    assert att
    content = await ctx.channel.fetch_file(ctx.inbound)
    step = step.fetched(content_kind(content), len(content))
    if step.store is not None:
        stored = await ctx.services.files.store(att.name, att.mime, content)
        step = step.stored(stored["path"], stored["sha256"])
    return step


async def save(ctx: Ctx, draft: DraftView, step: Step) -> DraftView:
    """Commit the step's state (when it changed anything) and return the draft as now stored.

    Only over the version that was read: if another chat wrote in between, ``DraftChanged``
    leaves the handler and ``rereads_on_conflict`` asks again from what is stored."""
    if not step.save:
        return draft
    new = step.draft
    fresh = replace(draft, answers=dict(new.answers), history=list(new.history), position=new.position,
                    return_to_summary=new.return_to_summary, last_inbound=new.last_inbound)
    version = await ctx.services.reports.save_draft(
        fresh.session_id, expected_version=draft.version, answers=fresh.answers, history=fresh.history,
        position=fresh.position, return_to_summary=fresh.return_to_summary, last_inbound=fresh.last_inbound)
    return replace(fresh, version=version)


# ---- saying a step ------------------------------------------------------------------------
async def say_step(ctx: Ctx, draft: DraftView, step: Step, *, lead: str = "") -> None:
    """The step's replies in order; ``lead`` goes with the question (one message, one
    notification), or just before the summary."""
    for reply in step.replies:
        match reply:
            case f.Ask():
                await say_question(ctx, reply, lead)
                lead = ""
            case f.Summary():
                if lead:
                    await ctx.reply(lead)
                    lead = ""
                await say_summary(ctx, draft, reply)
            case f.Refused(message=message):
                await ctx.say("report_refused", message=message)
            case f.Caution(warnings=warnings):
                await ctx.say("report_caution", warnings=warnings)
            case f.FileAdded():
                button = (Choice("📤 Gửi báo cáo", SubmitReport(session=draft.session_id).pack()) if reply.complete
                          else Choice("📋 Xem bảng tóm tắt", ShowSummary().pack()))
                await ctx.say("report_file_added", ((button,),), name=reply.name, label=reply.label,
                              count=reply.count)
            case f.NotAFileQuestion():
                await ctx.say("report_not_a_file_question")
            case f.NoFileQuestion():
                await ctx.say("report_no_file_question")
            case f.Unsupported(wants_file=wants_file):
                await ctx.say("unsupported", expecting=ctx.text("report_unsupported_expecting", wants_file=wants_file))
            case f.Prefilled(lines=lines):  # with the first question, as the intro is
                prefilled = ctx.text("report_prefilled", lines=lines, year=draft.period.year,
                                     buttons=ctx.channel.capabilities.buttons)
                lead = f"{lead}\n\n{prefilled}" if lead else prefilled
            case f.FirstQuestion():
                await ctx.say("report_first_question")
            case f.OldButton():
                await ctx.say("report_old_button")
            case f.NoSuchQuestion(number=n, total=total):
                await ctx.say("question_not_found", number=n, total=total)
            case f.SummaryUnclear():
                await ctx.say("report_summary_unclear", buttons=ctx.channel.capabilities.buttons)
            case f.EditHow(total=total):
                await ctx.say("report_edit_how", total=total)
            case f.StaleButton():
                await ctx.say("stale_button")


async def say_question(ctx: Ctx, ask: f.Ask, lead: str = "") -> None:
    has_buttons = ctx.channel.capabilities.buttons
    qi = ask.index
    # A button's face is short; a numbered menu line is the option itself, in full,
    # since on a channel without buttons that menu is the only place the options appear.
    buttons = [Choice(o.label[:60] if has_buttons else o.label, PickOption(question=qi, option=i).pack()) for i, o in enumerate(ask.options)]
    nav = []
    if ask.back:
        nav.append(Choice("⬅ Quay lại", GoBack(question=qi).pack()))
    if ask.skip:
        nav.append(Choice("Bỏ qua", SkipQuestion(question=qi).pack()))
    if ask.to_summary:
        nav.append(Choice("📋 Về bảng tóm tắt", ShowSummary().pack()))
    layout = rows(*buttons, per_row=2 if len(buttons) > 3 else 1) + (tuple([tuple(nav)]) if nav else ())
    text = md_escape(ask.prompt)
    if lead:
        text = f"{lead}\n\n{text}"
    if ask.wants_file and not ctx.channel.capabilities.receives_documents:
        text += "\n\n" + ctx.text("file_photo_only")
    await ctx.reply(Outbound(text=text, choices=layout, numbered=bool(ask.options)))


async def say_summary(ctx: Ctx, draft: DraftView, summary: f.Summary) -> None:
    problems = summary.problems
    fix = [Choice(f"Sửa câu {p.n}", EditQuestion(number=p.n).pack()) for p in problems[:6]]
    buttons = (*rows(*fix, per_row=3), (Choice("✏️ Sửa câu khác", EditAnother().pack()),))
    if not problems:
        buttons = ((Choice("📤 Gửi báo cáo", SubmitReport(session=draft.session_id).pack()),), *buttons)
    # Typed digits at the summary are question numbers ("5" edits question 5, as the text says):
    # on channels without buttons the choices are typed by name, never by a number that could
    # send the report when question 1 was meant.
    text = ctx.text("report_summary", period=draft.period, unit=draft.unit, lines=list(summary.lines),
                    problems=list(problems), warnings=list(summary.warnings),
                    buttons=ctx.channel.capabilities.buttons)
    await ctx.reply(Outbound(text=text, choices=buttons, numbered=False))


async def submit(ctx: Ctx, session_id: int) -> None:
    member = ctx.member
    assert member and member.unit
    draft = await ctx.services.reports.draft(session_id)
    if draft is None or draft.member_id != member.id:
        # Second tap (or an old button): the draft became a submission; say so again.
        for p in await ctx.services.reports.open_periods_for(member.unit.id):
            sub = await ctx.services.reports.submission(member.unit.id, p.id)
            if sub is not None and sub.status != "returned":
                await ctx.say("report_already_submitted", s=sub)
                return
        await ctx.say("stale_button")
        return
    clean, summary = flow_for(ctx, draft).submission(draft.answers)
    if summary is not None:
        await say_summary(ctx, draft, summary)
        return
    result = await ctx.services.reports.submit(session_id, member.id, clean, expected_version=draft.version)
    await ctx.services.conversations.clear(ctx.conversation)
    if result is None:
        await ctx.say("stale_button")
        return
    await send_unit_report(ctx, result.submission.id, for_signing=True)  # the Word copy to sign, before the receipt
    await ctx.say("report_receipt", s=result.submission, period=draft.period)


@requires(member=True)
async def my_status(ctx: Ctx) -> None:
    member = ctx.member
    assert member
    if member.unit is None:
        await ctx.say("report_status_for_officers")
        return
    items = []
    for p in await ctx.services.reports.periods():
        prog = await ctx.services.reports.progress(p.id)
        if prog is None or member.unit.id not in prog.states:
            continue
        sub = await ctx.services.reports.submission(member.unit.id, p.id)
        items.append((p, prog.states[member.unit.id], sub))
    await ctx.say("report_my_status", items=items, now=ctx.services.clock.now())

