"""Officers fill their reports in chat: /baocao, one question at a time, drafts that survive.

State lives in two places only: the chat is "in the report flow for draft N" (ChatState)
and the draft itself (FormSession: answers, history, position). Every step reads both,
so leaving for days, restarting the bot or switching from Telegram to Zalo resumes
exactly where the officer was.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace

from bot.core import Choice, InboundKind, Outbound, Router, rows
from bot.core.text import fold
from bot.forms.engine import AnswerResult, FileInput, FormContext, FormEngine, answer_files
from bot.forms.parsers import content_kind, echo
from bot.rendering.templates import md_escape
from bot.services.reports import DraftChanged, DraftView, StartOutcome
from handlers.context import Ctx, Handler, requires
from handlers.documents import send_unit_report
from handlers.payload import Payload, number

FLOW = "report"
SUMMARY = "summary"
MAX_FILE_BYTES = 20 * 1024 * 1024


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
            await ask(ctx, draft, lead=ctx.text("report_changed", gone=False))
            return
        except DraftChanged:  # changed again while re-asking: read once more
            if attempt == tries - 1:
                raise


def register(router: Router[Handler]) -> None:
    router.command("baocao")(start_report)
    router.callback("bc")(on_button)
    router.flow(FLOW)(on_input)
    router.command("trangthai")(my_status)


def engine_for(ctx: Ctx, form_id: str) -> FormEngine:
    return FormEngine(ctx.services.forms[form_id])


def form_context(ctx: Ctx, draft: DraftView) -> FormContext:
    return ctx.services.form_context(draft.period, draft.unit.kind)


# ---- entering the flow --------------------------------------------------------------------
@requires(member=True)
@rereads_on_conflict
async def start_report(ctx: Ctx) -> None:
    member = ctx.member
    assert member
    if member.unit is None:
        await ctx.reply("Lệnh /baocao dành cho cán bộ các đơn vị. Quản trị theo dõi bằng /tiendo.")
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
        choices = [Choice(p.label, f"bc:p:{p.id}") for p in result.periods]
        await ctx.say("report_pick_period", periods=result.periods, choices=rows(*choices))
        return
    if result.outcome is StartOutcome.CLOSED:
        await ctx.reply("Kỳ báo cáo này đã đóng hoặc không còn. Gõ /baocao để xem các kỳ đang mở.")
        return
    if result.outcome is StartOutcome.NOT_IN_AUDIENCE:
        await ctx.reply("Đơn vị của đồng chí không thuộc đối tượng báo cáo của kỳ này.")
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
    lead = ""  # said in the same message as the question: one message, one notification
    if result.outcome is StartOutcome.NEW and not draft.answers:
        spec = ctx.services.forms[draft.period.form_id]
        lead = ctx.text("report_intro", period=draft.period, unit=draft.unit, title=spec.title,
                        total=len(engine_for(ctx, draft.period.form_id).applicable({}, form_context(ctx, draft))))
    elif result.outcome is StartOutcome.RESUME:
        answered, total = engine_for(ctx, draft.period.form_id).progress(draft.answers, form_context(ctx, draft))
        lead = ctx.text("report_resume", period=draft.period, answered=answered, total=total)
    await ask(ctx, draft, lead=lead)


async def current_draft(ctx: Ctx) -> DraftView | None:
    state = ctx.state
    if state is None or state.flow != FLOW:
        return None
    draft = await ctx.services.reports.draft(int(state.data.get("session_id", 0)))
    if draft is None or ctx.member is None or draft.member_id != ctx.member.id:
        await ctx.services.conversations.clear(ctx.conversation)
        return None
    return draft


def redelivered(ctx: Ctx, draft: DraftView) -> bool:
    """This very message was applied to the draft already: the platform sent it again because
    the bot died before answering. Saying the current question again is the lost reply."""
    return bool(ctx.inbound.key) and ctx.inbound.key == draft.last_inbound


# ---- asking -------------------------------------------------------------------------------
def position_of(engine: FormEngine, draft: DraftView, fctx: FormContext) -> str:
    if draft.position == SUMMARY:
        return SUMMARY
    if draft.position and engine.spec.has(draft.position) and \
            draft.position in {q.id for q in engine.applicable(draft.answers, fctx)}:
        return draft.position
    nxt = engine.next_question(draft.answers, fctx)
    return nxt.id if nxt else SUMMARY


async def ask(ctx: Ctx, draft: DraftView, *, lead: str = "") -> None:
    """Ask the draft's current question (or show the summary), after ``lead`` if given."""
    engine = engine_for(ctx, draft.period.form_id)
    fctx = form_context(ctx, draft)
    pos = position_of(engine, draft, fctx)
    if pos != draft.position:
        draft = await save(ctx, draft, position=pos)
    if pos == SUMMARY:
        if lead:
            await ctx.reply(lead)
        await show_summary(ctx, draft, engine, fctx)
        return
    q = engine.spec.question(pos)
    qi = engine.spec.index(q.id)
    has_buttons = ctx.channel.capabilities.buttons
    buttons: list[Choice] = []
    numbered = False
    if q.type == "choice":
        # A button's face is short; a numbered menu line is the option itself, in full,
        # since on a channel without buttons that menu is the only place the options appear.
        buttons = [Choice(o.label[:60] if has_buttons else o.label, f"bc:o:{qi}:{i}")
                   for i, o in enumerate(q.options)]
        numbered = True
    nav = []
    if engine.previous(q.id, draft.history, draft.answers, fctx):
        nav.append(Choice("⬅ Quay lại", f"bc:back:{qi}"))
    if not q.required:
        nav.append(Choice("Bỏ qua", f"bc:skip:{qi}"))
    if draft.return_to_summary:
        nav.append(Choice("📋 Về bảng tóm tắt", "bc:sum"))
    layout = rows(*buttons, per_row=2 if len(buttons) > 3 else 1) + (tuple([tuple(nav)]) if nav else ())
    text = md_escape(engine.prompt(q, fctx, draft.answers, buttons=has_buttons))
    if lead:
        text = f"{lead}\n\n{text}"
    if q.type == "file" and not ctx.channel.capabilities.receives_documents:
        text += "\n\n" + ctx.text("file_photo_only")
    await ctx.reply(Outbound(text=text, choices=layout, numbered=numbered))


async def show_summary(ctx: Ctx, draft: DraftView, engine: FormEngine, fctx: FormContext) -> None:
    lines = engine.summary(draft.answers, fctx)
    problems = engine.final_problems(draft.answers, fctx)
    warnings = engine.final_warnings(draft.answers, fctx)
    fix = [Choice(f"Sửa câu {p.n}", f"bc:e:{p.n}") for p in problems[:6]]
    buttons = (*rows(*fix, per_row=3), (Choice("✏️ Sửa câu khác", "bc:edit"),))
    if not problems:
        buttons = ((Choice("📤 Gửi báo cáo", f"bc:submit:{draft.session_id}"),), *buttons)
    # Typed digits at the summary are question numbers ("5" edits question 5, as the text says):
    # on channels without buttons the choices are typed by name, never by a number that could
    # send the report when question 1 was meant.
    text = ctx.text("report_summary", period=draft.period, unit=draft.unit, lines=lines, problems=problems,
                    warnings=warnings, buttons=ctx.channel.capabilities.buttons)
    await ctx.reply(Outbound(text=text, choices=buttons, numbered=False))


async def save_and_continue(ctx: Ctx, draft: DraftView, question_id: str, value: object, warnings: tuple[str, ...]) -> None:
    engine = engine_for(ctx, draft.period.form_id)
    fctx = form_context(ctx, draft)
    answers = {**draft.answers, question_id: value}
    history = [h for h in draft.history if h != question_id] + [question_id]
    nxt = engine.next_question(answers, fctx, after=question_id)
    if draft.return_to_summary:
        pending = engine.next_question(answers, fctx)
        nxt = pending if pending and engine.spec.index(pending.id) > engine.spec.index(question_id) else None
    position = nxt.id if nxt else SUMMARY
    fresh = await save(ctx, draft, answers=answers, history=history, position=position,
                       return_to_summary=draft.return_to_summary or position == SUMMARY)
    if warnings:
        await ctx.reply("⚠️ Lưu ý: " + md_escape(" ".join(warnings)))
    await ask(ctx, fresh)


async def save(ctx: Ctx, draft: DraftView, **changes: object) -> DraftView:
    """Commit the draft's new state before anything is said back, and return it as a view.

    Only over the version that was read: if another chat wrote in between, ``DraftChanged``
    leaves the handler and ``rereads_on_conflict`` asks again from what is stored."""
    fresh = replace(draft, **changes, last_inbound=ctx.inbound.key or None)  # type: ignore[arg-type]
    version = await ctx.services.reports.save_draft(
        fresh.session_id, expected_version=draft.version, answers=fresh.answers, history=fresh.history,
        position=fresh.position, return_to_summary=fresh.return_to_summary, last_inbound=fresh.last_inbound)
    return replace(fresh, version=version)


# ---- input --------------------------------------------------------------------------------
@requires(member=True)
@rereads_on_conflict
async def on_input(ctx: Ctx) -> None:
    draft = await current_draft(ctx)
    if draft is None:
        await ctx.reply("Phiên làm báo cáo đã kết thúc. Gõ /baocao để tiếp tục.")
        return
    if redelivered(ctx, draft):
        await ask(ctx, draft)
        return
    engine = engine_for(ctx, draft.period.form_id)
    fctx = form_context(ctx, draft)
    pos = position_of(engine, draft, fctx)
    inbound = ctx.inbound
    if pos == SUMMARY:
        if inbound.kind is InboundKind.FILE:
            await extra_file(ctx, draft, engine, fctx)
        else:
            await summary_text(ctx, draft, engine, fctx)
        return
    q = engine.spec.question(pos)
    if inbound.kind is InboundKind.FILE:
        if q.type != "file":
            await ctx.reply("Câu này cần trả lời bằng chữ, chưa cần gửi tệp.")
            await ask(ctx, draft)
            return
        result = await answer_with_file(ctx, lambda f: engine.answer(q.id, f, draft.answers, fctx))
    elif inbound.kind is InboundKind.TEXT:
        word = fold(inbound.text)
        if word in {"quay lai", "lui"}:
            await go_back(ctx, draft, engine, fctx, q.id)
            return
        if word == "bo qua":
            result = engine.skip(q.id, draft.answers, fctx)
        else:
            result = engine.answer(q.id, inbound.text, draft.answers, fctx)
    else:
        await ctx.say("unsupported", expecting="Đồng chí vui lòng trả lời câu hỏi bằng tin nhắn chữ"
                      + (" hoặc gửi tệp." if q.type == "file" else "."))
        await ask(ctx, draft)
        return
    if not result.ok:
        await ctx.reply("❌ " + md_escape(result.error or "Câu trả lời chưa hợp lệ."))
        await ask(ctx, draft)
        return
    await save_and_continue(ctx, draft, q.id, result.value, result.warnings)


async def answer_with_file(ctx: Ctx, answer: Callable[[FileInput], AnswerResult]) -> AnswerResult:
    """Answer with the file just sent, keeping it on disk only once it was accepted.

    The engine looks at the downloaded bytes (an EXE renamed ``.pdf``, an empty file) before
    anything is written, so a refused upload leaves nothing in FILES_DIR; an accepted one is
    stored by its hash and the answer given again with its path. One over the size limit is
    not even downloaded (the engine refuses it by its announced size)."""
    att = ctx.inbound.attachment
    assert att
    if att.size > MAX_FILE_BYTES:
        return answer(FileInput(att.name, att.mime, att.size, "", ""))
    content = await ctx.channel.fetch_file(ctx.inbound)
    sent = FileInput(att.name, att.mime, len(content), "", "", kind=content_kind(content))
    result = answer(sent)
    if not result.ok:
        return result
    stored = await ctx.services.files.store(att.name, att.mime, content)
    return answer(replace(sent, file_ref=stored["path"], sha256=stored["sha256"]))


async def extra_file(ctx: Ctx, draft: DraftView, engine: FormEngine, fctx: FormContext) -> None:
    """A file after the file question was answered: the next page of the signed report, sent
    photo by photo (Zalo sends only photos; a Telegram album arrives one photo at a time)."""
    q = next((q for q in reversed(engine.applicable(draft.answers, fctx)) if q.type == "file"), None)
    if q is None:
        await ctx.reply("Báo cáo này không cần gửi tệp.")
        await show_summary(ctx, draft, engine, fctx)
        return
    result = await answer_with_file(ctx, lambda f: engine.add_file(q.id, f, draft.answers, fctx))  # a skipped one: answered
    if not result.ok:
        await ctx.reply("❌ " + md_escape(result.error or "Tệp chưa hợp lệ."))
        return
    draft = await save(ctx, draft, answers={**draft.answers, q.id: result.value})
    files = answer_files(result.value)
    added, count = files[-1], len(files)
    button = (Choice("📋 Xem bảng tóm tắt", "bc:sum") if engine.final_problems(draft.answers, fctx)
              else Choice("📤 Gửi báo cáo", f"bc:submit:{draft.session_id}"))
    await ctx.reply(f"📎 Đã thêm tệp “{md_escape(added['name'])}” vào câu “{md_escape(q.label)}” "
                    f"(tất cả {count} tệp). Còn trang khác thì gửi tiếp.", ((button,),))


async def summary_text(ctx: Ctx, draft: DraftView, engine: FormEngine, fctx: FormContext) -> None:
    """At the summary, typing "sửa 5" or "5" edits question 5; "gửi" submits."""
    word = fold(ctx.inbound.text)
    digits = word.replace("sua", "").replace("cau", "").strip()
    if digits.isdigit():  # any script's digits; number() takes only ASCII ids, so no int() raises
        n = number(digits)
        if n is None:
            await ctx.say("question_not_found", number=echo(digits, 20),
                          total=len(engine.applicable(draft.answers, fctx)))
            return
        await edit_question(ctx, draft, engine, fctx, n)
    elif word in {"gui", "gui bao cao", "nop"}:
        await submit(ctx, draft.session_id)
    else:
        await ctx.say("report_summary_unclear", buttons=ctx.channel.capabilities.buttons)
        await show_summary(ctx, draft, engine, fctx)


async def edit_question(ctx: Ctx, draft: DraftView, engine: FormEngine, fctx: FormContext, n: int) -> None:
    q = engine.question_by_number(n, draft.answers, fctx)
    if q is None:
        await ctx.say("question_not_found", number=n, total=len(engine.applicable(draft.answers, fctx)))
        return
    await ask(ctx, await save(ctx, draft, position=q.id, return_to_summary=True))


async def go_back(ctx: Ctx, draft: DraftView, engine: FormEngine, fctx: FormContext, current: str | None) -> None:
    prev = engine.previous(current, draft.history, draft.answers, fctx)
    if prev is None:
        await ctx.reply("Đây là câu đầu tiên.")
        await ask(ctx, draft)
        return
    await ask(ctx, await save(ctx, draft, position=prev))


# ---- buttons ------------------------------------------------------------------------------
@requires(member=True)
@rereads_on_conflict
async def on_button(ctx: Ctx) -> None:
    payload = Payload.parse(ctx.inbound.payload)
    parts, action = payload.parts, payload.action
    if action in {"p", "submit"}:
        target = payload.id(2)
        if target is None:
            await ctx.say("stale_button")
        elif action == "p":
            await enter(ctx, target)
        else:
            await submit(ctx, target)
        return
    draft = await current_draft(ctx)
    if draft is None:
        await ctx.say("stale_button")
        return
    if redelivered(ctx, draft):
        await ask(ctx, draft)
        return
    engine = engine_for(ctx, draft.period.form_id)
    fctx = form_context(ctx, draft)
    pos = position_of(engine, draft, fctx)
    if action in {"o", "back", "skip"}:
        if pos == SUMMARY or len(parts) < 3 or parts[2] != str(engine.spec.index(pos)):
            await ctx.reply("Nút này thuộc một câu hỏi trước đó. Câu hỏi hiện tại:")
            await ask(ctx, draft)
            return
        q = engine.spec.question(pos)
        if action == "back":
            await go_back(ctx, draft, engine, fctx, q.id)
            return
        if action == "skip":
            result = engine.skip(q.id, draft.answers, fctx)
        else:
            idx = payload.index(3, len(q.options))
            if idx is None:
                await ask(ctx, draft)
                return
            result = engine.answer(q.id, q.options[idx].key, draft.answers, fctx)
        if not result.ok:
            await ctx.reply("❌ " + md_escape(result.error or ""))
            await ask(ctx, draft)
            return
        await save_and_continue(ctx, draft, q.id, result.value, result.warnings)
    elif action == "e" and payload.id(2) is not None:
        await edit_question(ctx, draft, engine, fctx, payload.id(2))  # type: ignore[arg-type]
    elif action == "edit":
        total = len(engine.applicable(draft.answers, fctx))
        await ctx.reply(f"Gõ số câu cần sửa (từ 1 đến {total}), ví dụ: sửa 5")
    elif action == "sum":
        await ask(ctx, await save(ctx, draft, position=SUMMARY, return_to_summary=True))
    else:
        await ctx.say("stale_button")


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
    engine = engine_for(ctx, draft.period.form_id)
    fctx = form_context(ctx, draft)
    problems = engine.final_problems(draft.answers, fctx)
    if problems:
        await show_summary(ctx, draft, engine, fctx)
        return
    result = await ctx.services.reports.submit(session_id, member.id, engine.clean(draft.answers, fctx),
                                               expected_version=draft.version)
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
        await ctx.reply("Quản trị xem tiến độ các đơn vị bằng /tiendo.")
        return
    items = []
    for p in await ctx.services.reports.periods():
        prog = await ctx.services.reports.progress(p.id)
        if prog is None or member.unit.id not in prog.states:
            continue
        sub = await ctx.services.reports.submission(member.unit.id, p.id)
        items.append((p, prog.states[member.unit.id], sub))
    await ctx.say("report_my_status", items=items, now=ctx.services.clock.now())

