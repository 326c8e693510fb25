"""The generic form engine: applicability, answering, checks, summary and prompts over one spec.

The caller stores a draft as ``answers`` (question id → value; ``None`` means "skipped") and
``history`` (question ids in the order they were answered) and passes them in with the
officer's input. Every method here is a deterministic function of that state, the spec and a
:class:`FormContext`; nothing is mutated and nothing is stored, so a draft survives restarts,
edits and resumption days later.

Which questions apply depends on the answers and the unit (``when``, ``unit_kinds``,
``group_members_only``); a :class:`Walk` decides that in form order, lazily and once, and every
``*_in`` method works on a walk, so one message handled by :mod:`bot.forms.flow` decides each
question once. The methods taking ``answers`` build their own walk (callers asking one thing).
What depends on a question's type is in :mod:`bot.forms.types`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.forms import expressions
from bot.forms.context import FormContext
from bot.forms.parsers import MSG_FILE_TOO_MANY, FileInput, InvalidAnswer, answer_files, format_date, kind_key
from bot.forms.spec import PLACEHOLDER, REGISTRATION, FormSpec, Question
from bot.forms.types import format_number, show, type_of, validate

__all__ = ["AnswerResult", "FileInput", "FormContext", "FormEngine", "Problem", "SummaryLine", "Walk",
           "answer_files"]

Answers = Mapping[str, Any]

MAX_FILES = 10  # per file question: a report photographed page by page

MSG_REQUIRED = "Câu này bắt buộc, không thể bỏ qua. Đồng chí vui lòng trả lời câu hỏi."
MSG_UNANSWERED = "Câu {n} ({label}) chưa được trả lời."
MSG_STALE = "Câu {n} ({label}): câu trả lời không còn hợp lệ ({reason}). Đồng chí vui lòng trả lời lại."
REASON_NOT_OFFERED = "mục đã chọn không dành cho đơn vị của đồng chí"
MSG_NOT_OFFERED = (
    "Mục “{labels}” {why}. Đồng chí vui lòng chọn một trong các mục: {options} (có thể nhập số thứ tự)."
)
WHY_KIND = "không dành cho loại đơn vị của đồng chí"
WHY_GROUP = "chỉ dành cho đơn vị thuộc cụm, khối thi đua"
# {office} when the context does not name the office: what every office is, whatever its name.
OFFICE_FALLBACK = "cơ quan thường trực Hội đồng Thi đua – Khen thưởng"


@dataclass(frozen=True)
class AnswerResult:
    """Outcome of :meth:`FormEngine.answer` / :meth:`FormEngine.skip`.

    On success store ``value`` under ``question_id`` (``None`` = skipped) and show ``warnings``
    ("Lưu ý: …"). ``invalidated`` lists later answered questions whose checks this answer now
    breaks (their messages are among the warnings); :meth:`FormEngine.final_errors` will block
    submission until they are fixed.
    """

    ok: bool
    question_id: str
    value: Any = None
    error: str | None = None
    warnings: tuple[str, ...] = ()
    invalidated: tuple[str, ...] = ()


@dataclass(frozen=True)
class SummaryLine:
    """One line of the end-of-form summary; ``n`` is what "Sửa câu N" refers to."""

    n: int
    question_id: str
    label: str
    value: str
    section: str | None = None
    skipped: bool = False


@dataclass(frozen=True)
class Problem:
    """Something that blocks submission, tied to a question number for "Sửa câu N"."""

    n: int
    question_id: str
    message: str


class Walk:
    """The applicable questions of one state of the answers, decided in form order, on demand.

    ``when`` sees only answers of questions that apply, so an answer to a question that stopped
    applying (after an edit) is ignored everywhere. Asking about one question decides the form
    only up to it; :attr:`questions` and :attr:`env` decide the rest. :meth:`with_answer` gives
    the walk of the answers with one more answer, keeping what was decided before that question
    (a ``when`` refers only to earlier questions, so the prefix cannot change)."""

    __slots__ = ("_answers", "_kind", "_list", "_next", "_numbers", "_outside_groups", "_spec", "_values")

    def __init__(self, spec: FormSpec, answers: Answers, ctx: FormContext) -> None:
        self._spec = spec
        self._answers = answers
        self._kind = kind_key(ctx.unit_kind) if ctx.unit_kind else None
        self._outside_groups = ctx.in_group is False
        self._list: list[Question] = []
        self._values: dict[str, Any] = {}
        self._numbers: dict[str, int] = {}
        self._next = 0  # form index of the first question not decided yet

    @property
    def answers(self) -> Answers:
        """The answers as stored (including ones to questions that no longer apply)."""
        return self._answers

    def _decide(self, stop: int) -> None:
        questions = self._spec.questions
        kind = self._kind
        while self._next < stop:
            question = questions[self._next]
            self._next += 1
            if kind is not None and question.unit_kinds and kind not in question.unit_kinds:
                continue
            if question.group_members_only and self._outside_groups:
                continue
            if question.when and not expressions.holds(expressions.evaluate(question.when, self._values)):
                continue
            self._list.append(question)
            self._numbers[question.id] = len(self._list)
            if question.id in self._answers:
                self._values[question.id] = self._answers[question.id]

    @property
    def questions(self) -> list[Question]:
        """Every applicable question, in order."""
        self._decide(len(self._spec.questions))
        return self._list

    @property
    def env(self) -> dict[str, Any]:
        """The answers that count (to applicable questions): what expressions see."""
        self._decide(len(self._spec.questions))
        return self._values

    def applies(self, question_id: str) -> bool:
        if not self._spec.has(question_id):
            return False
        self._decide(self._spec.index(question_id) + 1)
        return question_id in self._numbers

    def number(self, question_id: str) -> int | None:
        """"Câu N": the question's number among the applicable ones, None if it does not apply."""
        return self._numbers.get(question_id) if self.applies(question_id) else None

    def with_answer(self, question_id: str, value: Any) -> Walk:
        """The walk of these answers with ``question_id`` answered ``value``."""
        index = self._spec.index(question_id)
        self._decide(index + 1)
        new = Walk.__new__(Walk)
        new._spec, new._kind, new._outside_groups = self._spec, self._kind, self._outside_groups
        new._answers = {**self._answers, question_id: value}
        new._list = [q for q in self._list if self._spec.index(q.id) <= index]
        new._numbers = {q.id: n for n, q in enumerate(new._list, 1)}
        new._values = {q.id: new._answers[q.id] for q in new._list if q.id in new._answers}
        new._next = index + 1
        return new


class FormEngine:
    """Ask → validate → save → next over one :class:`FormSpec`."""

    def __init__(self, spec: FormSpec) -> None:
        self.spec = spec

    def walk(self, answers: Answers, ctx: FormContext) -> Walk:
        return Walk(self.spec, answers, ctx)

    def prefill(self, ctx: FormContext) -> dict[str, Any]:
        """The answers a new draft starts with: each ``prefill`` question's answer in the unit's
        registration (the staff count), when the question is asked of this unit and accepts it."""
        registration = ctx.registration or {}
        answers: dict[str, Any] = {}
        walk = self.walk({}, ctx)
        for question in self.spec.questions:
            if question.prefill is None or registration.get(question.prefill) is None:
                continue
            if not walk.applies(question.id):
                continue
            value = registration[question.prefill]
            try:
                validate(question, value, ctx, stored=True)
            except InvalidAnswer:
                continue  # a figure this form bounds differently: asked, not pre-filled
            answers[question.id] = value
        return answers

    def offered(self, question: Question, ctx: FormContext) -> Question:
        """The question as this unit is asked it: the options its kind is offered (see
        :meth:`Question.offered_to`). Prompts, buttons, reading and checking an answer all go
        through this; showing a stored answer uses the question's own options."""
        return question.offered_to(kind_key(ctx.unit_kind) if ctx.unit_kind else None, ctx.in_group)

    # --- navigation -------------------------------------------------------------------------

    def applicable(self, answers: Answers, ctx: FormContext) -> list[Question]:
        """Questions to ask this unit given the answers so far (``when`` and ``unit_kinds`` hold)."""
        return self.walk(answers, ctx).questions

    def clean(self, answers: Answers, ctx: FormContext) -> dict[str, Any]:
        """The answers that count: those to questions still applicable (for submission)."""
        return dict(self.walk(answers, ctx).env)

    def next_question(self, answers: Answers, ctx: FormContext, after: str | None = None) -> Question | None:
        """The first applicable unanswered question after ``after`` (from the start if None),
        wrapping round to earlier gaps; None when everything applicable is answered."""
        return self.next_in(self.walk(answers, ctx), after)

    def next_in(self, walk: Walk, after: str | None = None) -> Question | None:
        answers = walk.answers
        pending = [q for q in walk.questions if q.id not in answers]
        if after is not None and self.spec.has(after):
            position = self.spec.index(after)
            later = [q for q in pending if self.spec.index(q.id) > position]
            if later:
                return later[0]
        return pending[0] if pending else None

    def previous(
        self,
        question_id: str | None,
        history: Sequence[str],
        answers: Answers | None = None,
        ctx: FormContext | None = None,
    ) -> str | None:
        """For "⬅ Quay lại": the closest question before ``question_id`` in the form that was
        answered (is in ``history``); with ``answers`` and ``ctx`` only still-applicable ones.
        ``question_id`` None (e.g. at the summary) means the last answered question."""
        walk = self.walk(answers, ctx) if answers is not None and ctx is not None else None
        return self.previous_in(walk, question_id, history)

    def previous_in(self, walk: Walk | None, question_id: str | None, history: Sequence[str]) -> str | None:
        """:meth:`previous` over a walk (None: any answered question counts)."""
        limit = (
            self.spec.index(question_id)
            if question_id and self.spec.has(question_id)
            else len(self.spec.questions)
        )
        earlier = [
            qid for qid in set(history)
            if self.spec.has(qid) and self.spec.index(qid) < limit and (walk is None or walk.applies(qid))
        ]
        return max(earlier, key=self.spec.index) if earlier else None

    def progress(self, answers: Answers, ctx: FormContext) -> tuple[int, int]:
        """(applicable questions answered or skipped, applicable questions)."""
        return self.progress_in(self.walk(answers, ctx))

    def progress_in(self, walk: Walk) -> tuple[int, int]:
        return len(walk.env), len(walk.questions)

    def number(self, question_id: str, answers: Answers, ctx: FormContext) -> int | None:
        """The question's number ("Câu N") among the applicable ones, None if not applicable."""
        return self.walk(answers, ctx).number(question_id)

    def question_by_number(self, n: int, answers: Answers, ctx: FormContext) -> Question | None:
        """Resolve "Sửa câu N" to a question (None if out of range)."""
        return self.question_by_number_in(self.walk(answers, ctx), n)

    def question_by_number_in(self, walk: Walk, n: int) -> Question | None:
        questions = walk.questions
        return questions[n - 1] if 1 <= n <= len(questions) else None

    # --- answering ----------------------------------------------------------------------------

    def answer(
        self, question_id: str, raw: str | FileInput, answers: Answers, ctx: FormContext
    ) -> AnswerResult:
        """Parse and validate ``raw`` for the question, then run its cross-field checks whose
        referenced answers exist. Does not mutate ``answers``."""
        return self.answer_in(self.walk(answers, ctx), question_id, raw, ctx)[0]

    def answer_in(
        self, walk: Walk, question_id: str, raw: str | FileInput, ctx: FormContext
    ) -> tuple[AnswerResult, Walk]:
        """:meth:`answer` over a walk; also the walk of the answers with this one (unchanged
        ``walk`` when the answer is refused)."""
        question = self.spec.question(question_id)
        asked = self.offered(question, ctx)
        try:
            value = type_of(asked).read(asked, raw, ctx)
            validate(asked, value, ctx)
        except InvalidAnswer as exc:
            error = self._not_offered(question, asked, raw, ctx) or exc.message
            return AnswerResult(ok=False, question_id=question_id, error=error), walk
        return self._with_checks(walk, question, value, ctx)

    def _not_offered(self, question: Question, asked: Question, raw: str | FileInput, ctx: FormContext) -> str | None:
        """Why a typed option was refused when it names one the unit's kind is not offered
        ("TM. UBND" typed by a department), instead of "not recognised". Numbers are not
        looked up: they count the offered options only."""
        if asked is question or not isinstance(raw, str) or any(ch.isdigit() for ch in raw):
            return None
        try:
            value = type_of(question).read(question, raw, ctx)
        except InvalidAnswer:
            return None
        chosen = set(value) if isinstance(value, list) else {value}
        offered = {option.key for option in asked.options}
        withheld = [o for o in question.options if o.key in chosen and o.key not in offered]
        if not withheld:
            return None
        kind = kind_key(ctx.unit_kind) if ctx.unit_kind else None
        by_kind = any(not o.offered_to(kind) for o in withheld)
        listed = "; ".join(f"{i}. {option.label}" for i, option in enumerate(asked.options, 1))
        return MSG_NOT_OFFERED.format(labels="”, “".join(o.label for o in withheld),
                                      why=WHY_KIND if by_kind else WHY_GROUP, options=listed)

    def add_file(self, question_id: str, raw: FileInput, answers: Answers, ctx: FormContext) -> AnswerResult:
        """One more file for an answered file question: the further pages of a report sent as
        photos one by one (Zalo sends only photos; a Telegram album arrives photo by photo).
        The answer stays the first file's dict, the others listed under ``more``."""
        return self.add_file_in(self.walk(answers, ctx), question_id, raw, ctx)[0]

    def add_file_in(
        self, walk: Walk, question_id: str, raw: FileInput, ctx: FormContext
    ) -> tuple[AnswerResult, Walk]:
        question = self.spec.question(question_id)
        first = walk.answers.get(question_id)
        if not type_of(question).file or not isinstance(first, Mapping):
            return self.answer_in(walk, question_id, raw, ctx)
        files = answer_files(first)
        try:
            if len(files) >= MAX_FILES:
                n = next(i for i, q in enumerate(walk.questions, 1) if q.id == question_id)
                raise InvalidAnswer(MSG_FILE_TOO_MANY.format(label=question.label, count=len(files),
                                                             max=MAX_FILES, n=n))
            value = type_of(question).read(question, raw, ctx)
        except InvalidAnswer as exc:
            return AnswerResult(ok=False, question_id=question_id, error=exc.message), walk
        value = {**first, "more": [*files[1:], value]}
        return AnswerResult(ok=True, question_id=question_id, value=value), walk.with_answer(question_id, value)

    def skip(self, question_id: str, answers: Answers, ctx: FormContext) -> AnswerResult:
        """The "Bỏ qua" button: allowed only for optional questions; records ``None``."""
        return self.skip_in(self.walk(answers, ctx), question_id, ctx)[0]

    def skip_in(self, walk: Walk, question_id: str, ctx: FormContext) -> tuple[AnswerResult, Walk]:
        question = self.spec.question(question_id)
        if question.required:
            return AnswerResult(ok=False, question_id=question_id, error=MSG_REQUIRED), walk
        return self._with_checks(walk, question, None, ctx)

    def _with_checks(
        self, before: Walk, question: Question, value: Any, ctx: FormContext
    ) -> tuple[AnswerResult, Walk]:
        walk = before.with_answer(question.id, value)
        env = _checked(walk, ctx)
        if question.id not in env:  # asked about a question that does not apply: checked all the same
            env = {**env, question.id: value}
        errors: list[str] = []
        warnings: list[str] = []
        for check in question.checks:
            refs = expressions.names(check.rule)
            if not all(name == question.id or name in env for name in refs):
                continue
            if expressions.passes(expressions.evaluate(check.rule, env)):
                continue
            message = self._render(check.message, env, ctx)
            (errors if check.level == "error" else warnings).append(message)
        if errors:
            return AnswerResult(ok=False, question_id=question.id, error=" ".join(errors)), before
        invalidated: list[str] = []
        position = self.spec.index(question.id)
        for n, later in enumerate(walk.questions, 1):
            if self.spec.index(later.id) <= position or later.id not in env:
                continue
            for check in later.checks:
                if check.level != "error" or question.id not in expressions.names(check.rule):
                    continue
                if not expressions.passes(expressions.evaluate(check.rule, env)):
                    warnings.append(f"Câu {n} ({later.short_label}): {self._render(check.message, env, ctx)}")
                    if later.id not in invalidated:
                        invalidated.append(later.id)
        result = AnswerResult(
            ok=True,
            question_id=question.id,
            value=value,
            warnings=tuple(warnings),
            invalidated=tuple(invalidated),
        )
        return result, walk

    # --- the end of the form ----------------------------------------------------------------

    def final_problems(self, answers: Answers, ctx: FormContext) -> list[Problem]:
        """Everything that blocks submission: unanswered required questions, answers that no
        longer validate, and failing error-level checks (re-run, since edits can break them)."""
        return self.problems_in(self.walk(answers, ctx), ctx)

    def problems_in(self, walk: Walk, ctx: FormContext) -> list[Problem]:
        env = _checked(walk, ctx)
        problems: list[Problem] = []
        for n, question in enumerate(walk.questions, 1):
            value = env.get(question.id)
            if question.id not in env or (value is None and question.required):
                if question.required:
                    problems.append(
                        Problem(n, question.id, MSG_UNANSWERED.format(n=n, label=question.short_label))
                    )
                continue
            if value is not None:
                try:
                    validate(question, value, ctx, stored=True)
                    asked = self.offered(question, ctx)
                    if asked is not question and not type_of(asked).stored_ok(asked, value):
                        raise InvalidAnswer(REASON_NOT_OFFERED)
                except InvalidAnswer as exc:
                    reason = exc.message.rstrip(".")
                    problems.append(
                        Problem(
                            n, question.id, MSG_STALE.format(n=n, label=question.short_label, reason=reason)
                        )
                    )
                    continue
            for check in question.checks:
                if check.level == "error" and not expressions.passes(expressions.evaluate(check.rule, env)):
                    message = self._render(check.message, env, ctx)
                    problems.append(Problem(n, question.id, f"Câu {n} ({question.short_label}): {message}"))
        return problems

    def final_errors(self, answers: Answers, ctx: FormContext) -> list[str]:
        """Messages of :meth:`final_problems`; empty means the report can be submitted."""
        return [problem.message for problem in self.final_problems(answers, ctx)]

    def final_warnings(self, answers: Answers, ctx: FormContext) -> list[str]:
        """Warn-level checks that do not hold, to show once more on the summary."""
        return self.warnings_in(self.walk(answers, ctx), ctx)

    def warnings_in(self, walk: Walk, ctx: FormContext) -> list[str]:
        env = _checked(walk, ctx)
        result = []
        for n, question in enumerate(walk.questions, 1):
            if question.id not in env:
                continue
            for check in question.checks:
                if check.level == "warn" and not expressions.passes(expressions.evaluate(check.rule, env)):
                    result.append(
                        f"Câu {n} ({question.short_label}): {self._render(check.message, env, ctx)}"
                    )
        return result

    def summary(self, answers: Answers, ctx: FormContext, *, max_text: int = 160) -> list[SummaryLine]:
        """Numbered lines for the applicable questions; long texts are shortened."""
        return self.summary_in(self.walk(answers, ctx), max_text=max_text)

    def summary_in(self, walk: Walk, *, max_text: int = 160) -> list[SummaryLine]:
        env = walk.env
        lines = []
        for n, question in enumerate(walk.questions, 1):
            if question.id in env:
                value = env[question.id]
                shown = type_of(question).summary_value(question, value, max_text)
            else:
                value, shown = None, "(chưa trả lời)"
            lines.append(
                SummaryLine(
                    n=n,
                    question_id=question.id,
                    label=question.short_label,
                    value=shown,
                    section=question.section,
                    skipped=question.id in env and value is None,
                )
            )
        return lines

    # --- text ---------------------------------------------------------------------------------

    def display(self, question: Question, value: Any) -> str:
        """A stored value as Vietnamese text: 1.234; 7,5; 18/06/2026; labels; "3 / 12 / 5 (…)"."""
        return show(question, value)

    def prompt(self, question: Question, ctx: FormContext, answers: Answers, *, buttons: bool = True) -> str:
        """The question as sent: "Câu 5/24. …", what to type, options, whether it can be
        skipped, and the current answer when editing.

        ``buttons`` says whether the person's channel has buttons. Without them the channel
        lists a menu question's options itself as its numbered menu, so the prompt does
        not list them a second time, and every instruction says what to type, not what to
        press (a person on Zalo has nothing to press)."""
        return self.prompt_in(self.walk(answers, ctx), question, ctx, buttons=buttons)

    def prompt_in(self, walk: Walk, question: Question, ctx: FormContext, *, buttons: bool = True) -> str:
        qtype = type_of(question)
        asked = self.offered(question, ctx)
        env = _checked(walk, ctx)
        n = walk.number(question.id)
        head = f"Câu {n}/{len(walk.questions)}. " if n is not None else ""
        lines = [head + self._render(question.prompt, env, ctx)]
        if asked.options and (buttons or not qtype.menu):
            lines.extend(f"{i}. {option.label}" for i, option in enumerate(asked.options, 1))
        how = self._render(question.hint, env, ctx) if question.hint else qtype.hint(asked, ctx, buttons)
        if how:
            lines.append(how)
        if not question.required:
            skip = "chọn “Bỏ qua”" if buttons else "gõ “bỏ qua”"
            lines.append(f"Câu này không bắt buộc: nếu không có nội dung, đồng chí {skip}.")
        if question.id in walk.answers and question.id in env:
            lines.append(f"Trả lời hiện tại: {show(question, env[question.id])}")
        return "\n".join(lines)

    def _render(self, template: str, env: Mapping[str, Any], ctx: FormContext) -> str:
        """Fill ``{ky}``, ``{cutoff}``, ``{year}``…, ``{id}``/``{id.part}`` and ``{= expr}``."""

        def replace(match: Any) -> str:
            token = match[1]
            if token.startswith("="):
                return format_number(expressions.evaluate(token[1:].strip(), env))
            context = self._context_value(token, ctx)
            if context is not None:
                return context
            name, _, part = token.partition(".")
            if name == REGISTRATION and part:
                registration = env.get(REGISTRATION)
                return format_number(registration.get(part) if isinstance(registration, Mapping) else None)
            if not self.spec.has(name):
                return str(match[0])
            value = env.get(name)
            if value is None:
                return "…"
            if part:
                return format_number(value.get(part) if isinstance(value, Mapping) else None)
            return show(self.spec.question(name), value)

        return PLACEHOLDER.sub(replace, template)

    def _context_value(self, token: str, ctx: FormContext) -> str | None:
        match token:
            case "year":
                return str(ctx.year)
            case "next_year":
                return str(ctx.year + 1)
            case "prev_year":
                return str(ctx.year - 1)
            case "office":
                return ctx.office_name or OFFICE_FALLBACK
            case "today":
                return format_date(ctx.today)
            case "cutoff":
                return format_date(ctx.cutoff) if ctx.cutoff else "chốt số liệu"
            case "period_start":
                return format_date(ctx.period_start) if ctx.period_start else "bắt đầu kỳ báo cáo"
            case "ky":
                if ctx.period_start and ctx.cutoff:
                    return f"từ ngày {format_date(ctx.period_start)} đến ngày {format_date(ctx.cutoff)}"
                if self.spec.period_text:
                    return self._render(self.spec.period_text, {}, ctx)
                if ctx.cutoff:
                    return f"tính đến ngày {format_date(ctx.cutoff)}"
                return "trong kỳ báo cáo"
        return None


def _checked(walk: Walk, ctx: FormContext) -> Mapping[str, Any]:
    """What checks and texts see: the answers that count, the period's dates (``cutoff``…,
    None when the period has none: a check comparing with it passes) and, under ``dang_ky``, the
    unit's registration when it has one (without it a check comparing with it passes)."""
    env: dict[str, Any] = {**walk.env, **ctx.dates()}
    if ctx.registration is not None:
        env[REGISTRATION] = ctx.registration
    return env
