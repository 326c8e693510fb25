"""The generic form conversation: one state machine for every spec, over plain JSON-able data.

The caller (a chat handler) stores a draft as ``answers`` (question id → value; ``None`` means
"skipped") and ``history`` (question ids in the order they were answered) and passes them in
with the officer's input. Every method here is a deterministic function of that state, the spec
and a :class:`FormContext`; nothing is mutated and nothing is stored, so a draft survives
restarts, edits and resumption days later.

Stored value shapes: integer → int; decimal → float; text/phone → str; choice → option key;
multichoice → list of keys; date → ISO "YYYY-MM-DD"; numbers → {part key: int};
file → {name, mime, size, file_ref, sha256}.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.forms import expressions
from bot.forms.parsers import (
    MSG_EMPTY,
    MSG_FILE_TEXT,
    MSG_FILE_TOO_MANY,
    MSG_NOT_TEXT,
    FileInput,
    InvalidAnswer,
    answer_files,
    describe_accept,
    echo,
    format_date,
    format_decimal,
    format_integer,
    format_phone,
    format_size,
    kind_key,
    normalize_text,
    parse_choice,
    parse_date,
    parse_decimal,
    parse_file,
    parse_integer,
    parse_multichoice,
    parse_numbers,
    parse_phone,
    parse_year,
)
from bot.forms.spec import DEFAULT_ACCEPT, DEFAULT_MAX_SIZE_MB, PLACEHOLDER, FormSpec, Question

__all__ = ["AnswerResult", "FileInput", "FormContext", "FormEngine", "Problem", "SummaryLine", "answer_files"]

Answers = Mapping[str, Any]

MAX_FILES = 10  # per file question: a report photographed page by page

MSG_REQUIRED = "Câu này bắt buộc, không thể bỏ qua. Đồng chí vui lòng trả lời câu hỏi."
MSG_UNANSWERED = "Câu {n} ({label}) chưa được trả lời."
MSG_STALE = "Câu {n} ({label}): câu trả lời không còn hợp lệ ({reason}). Đồng chí vui lòng trả lời lại."
MSG_MIN = "Giá trị phải từ {bound} trở lên. Đồng chí đã nhập: {value}."
MSG_MAX = "Giá trị không được lớn hơn {bound}. Đồng chí đã nhập: {value}."
MSG_PART_MIN = "Phần “{label}” phải từ {bound} trở lên (đã nhập {value})."
MSG_PART_MAX = "Phần “{label}” không được lớn hơn {bound} (đã nhập {value})."
MSG_DATE_MIN = "Ngày không được trước {bound}. Đồng chí đã nhập: {value}."
MSG_DATE_MAX = "Ngày không được sau {bound}. Đồng chí đã nhập: {value}."
MSG_TEXT_SHORT = (
    "Nội dung quá ngắn: cần ít nhất {min} ký tự (hiện có {count}). Đồng chí vui lòng trình bày cụ thể hơn."
)
MSG_TEXT_LONG = (
    "Nội dung quá dài: tối đa {max} ký tự (hiện có {count}). "
    "Đồng chí vui lòng rút gọn, phần chi tiết có thể nêu trong tệp báo cáo."
)
MSG_PATTERN = "Chưa đúng định dạng. {hint}Đồng chí đã nhập: {value}."
MSG_SKIPPED = "(bỏ qua)"
# {office} when the context does not name the office: what every office is, whatever its name.
OFFICE_FALLBACK = "cơ quan thường trực Hội đồng Thi đua – Khen thưởng"
MSG_NONE_CHOSEN = "(không chọn mục nào)"

_TRANSFORMS: dict[str, Callable[[str], str]] = {
    "upper": str.upper,
    "lower": str.lower,
    "nospace": lambda text: re.sub(r"\s+", "", text),
}
_DATE_TOKEN_NAMES = {
    "today": "hôm nay",
    "cutoff": "ngày chốt số liệu",
    "period_start": "ngày bắt đầu kỳ báo cáo",
    "year_start": "ngày đầu năm",
    "year_end": "ngày cuối năm",
}


@dataclass(frozen=True)
class FormContext:
    """What the engine needs to know about the period and the unit.

    ``default_year`` is the year assumed for dates typed as "d/m" (defaults to today's year);
    ``report_year`` is the year the report is about, for ``{year}`` in prompts and the "year"
    bounds (defaults to the cut-off's year, else ``default_year``). ``unit_kind`` None means
    unknown: questions limited to some unit kinds are then asked.
    """

    unit_kind: str | None
    today: date
    cutoff: date | None = None
    default_year: int | None = None
    period_start: date | None = None
    report_year: int | None = None
    office_name: str | None = None  # {office} in prompts: the OFFICE_NAME setting (issue 15)

    @property
    def date_year(self) -> int:
        return self.default_year if self.default_year is not None else self.today.year

    @property
    def year(self) -> int:
        if self.report_year is not None:
            return self.report_year
        return self.cutoff.year if self.cutoff is not None else self.date_year


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


@dataclass
class _Walk:
    """Applicable questions in order, and the answers that still count (only applicable ones)."""

    questions: list[Question] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)

    def number(self, question_id: str) -> int | None:
        for n, question in enumerate(self.questions, 1):
            if question.id == question_id:
                return n
        return None


class FormEngine:
    """Ask → validate → save → next over one :class:`FormSpec`."""

    def __init__(self, spec: FormSpec) -> None:
        self.spec = spec

    # --- navigation -------------------------------------------------------------------------

    def applicable(self, answers: Answers, ctx: FormContext) -> list[Question]:
        """Questions to ask this unit given the answers so far (``when`` and ``unit_kinds`` hold)."""
        return self._walk(answers, ctx).questions

    def clean(self, answers: Answers, ctx: FormContext) -> dict[str, Any]:
        """The answers that count: those to questions still applicable (for submission)."""
        return dict(self._walk(answers, ctx).answers)

    def next_question(self, answers: Answers, ctx: FormContext, after: str | None = None) -> Question | None:
        """The first applicable unanswered question after ``after`` (from the start if None),
        wrapping round to earlier gaps; None when everything applicable is answered."""
        pending = [q for q in self.applicable(answers, ctx) if q.id not in answers]
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
        candidates = {qid for qid in history if self.spec.has(qid)}
        if answers is not None and ctx is not None:
            candidates &= {q.id for q in self.applicable(answers, ctx)}
        limit = (
            self.spec.index(question_id)
            if question_id and self.spec.has(question_id)
            else len(self.spec.questions)
        )
        earlier = [qid for qid in candidates if self.spec.index(qid) < limit]
        return max(earlier, key=self.spec.index) if earlier else None

    def progress(self, answers: Answers, ctx: FormContext) -> tuple[int, int]:
        """(applicable questions answered or skipped, applicable questions)."""
        walk = self._walk(answers, ctx)
        return len(walk.answers), len(walk.questions)

    def number(self, question_id: str, answers: Answers, ctx: FormContext) -> int | None:
        """The question's number ("Câu N") among the applicable ones, None if not applicable."""
        return self._walk(answers, ctx).number(question_id)

    def question_by_number(self, n: int, answers: Answers, ctx: FormContext) -> Question | None:
        """Resolve "Sửa câu N" to a question (None if out of range)."""
        questions = self.applicable(answers, ctx)
        return questions[n - 1] if 1 <= n <= len(questions) else None

    # --- answering ----------------------------------------------------------------------------

    def answer(
        self, question_id: str, raw: str | FileInput, answers: Answers, ctx: FormContext
    ) -> AnswerResult:
        """Parse and validate ``raw`` for the question, then run its cross-field checks whose
        referenced answers exist. Does not mutate ``answers``."""
        question = self.spec.question(question_id)
        try:
            value = self._parse(question, raw, ctx)
            self._validate(question, value, ctx)
        except InvalidAnswer as exc:
            return AnswerResult(ok=False, question_id=question_id, error=exc.message)
        return self._with_checks(question, value, answers, ctx)

    def add_file(self, question_id: str, raw: FileInput, answers: Answers, ctx: FormContext) -> AnswerResult:
        """One more file for an answered file question: the further pages of a report sent as
        photos one by one (Zalo sends only photos; a Telegram album arrives photo by photo).
        The answer stays the first file's dict, the others listed under ``more``."""
        question = self.spec.question(question_id)
        first = answers.get(question_id)
        if question.type != "file" or not isinstance(first, Mapping):
            return self.answer(question_id, raw, answers, ctx)
        files = answer_files(first)
        try:
            if len(files) >= MAX_FILES:
                n = next(i for i, q in enumerate(self.applicable(answers, ctx), 1) if q.id == question_id)
                raise InvalidAnswer(MSG_FILE_TOO_MANY.format(label=question.label, count=len(files),
                                                             max=MAX_FILES, n=n))
            value = self._parse(question, raw, ctx)
        except InvalidAnswer as exc:
            return AnswerResult(ok=False, question_id=question_id, error=exc.message)
        return AnswerResult(ok=True, question_id=question_id, value={**first, "more": [*files[1:], value]})

    def skip(self, question_id: str, answers: Answers, ctx: FormContext) -> AnswerResult:
        """The "Bỏ qua" button: allowed only for optional questions; records ``None``."""
        question = self.spec.question(question_id)
        if question.required:
            return AnswerResult(ok=False, question_id=question_id, error=MSG_REQUIRED)
        return self._with_checks(question, None, answers, ctx)

    def _with_checks(
        self, question: Question, value: Any, answers: Answers, ctx: FormContext
    ) -> AnswerResult:
        walk = self._walk({**answers, question.id: value}, ctx)
        env = walk.answers
        env.setdefault(question.id, value)
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
            return AnswerResult(ok=False, question_id=question.id, error=" ".join(errors))
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
        return AnswerResult(
            ok=True,
            question_id=question.id,
            value=value,
            warnings=tuple(warnings),
            invalidated=tuple(invalidated),
        )

    # --- the end of the form ----------------------------------------------------------------

    def final_problems(self, answers: Answers, ctx: FormContext) -> list[Problem]:
        """Everything that blocks submission: unanswered required questions, answers that no
        longer validate, and failing error-level checks (re-run, since edits can break them)."""
        walk = self._walk(answers, ctx)
        env = walk.answers
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
                    self._validate(question, value, ctx, stored=True)
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
        walk = self._walk(answers, ctx)
        env = walk.answers
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
        walk = self._walk(answers, ctx)
        lines = []
        for n, question in enumerate(walk.questions, 1):
            if question.id in walk.answers:
                value = walk.answers[question.id]
                shown = self.display(question, value)
                if question.type == "text" and value is not None:
                    flat = " ".join(shown.split())
                    shown = flat if len(flat) <= max_text else flat[: max_text - 1].rstrip() + "…"
            else:
                value, shown = None, "(chưa trả lời)"
            lines.append(
                SummaryLine(
                    n=n,
                    question_id=question.id,
                    label=question.short_label,
                    value=shown,
                    section=question.section,
                    skipped=question.id in walk.answers and value is None,
                )
            )
        return lines

    # --- text ---------------------------------------------------------------------------------

    def display(self, question: Question, value: Any) -> str:
        """A stored value as Vietnamese text: 1.234; 7,5; 18/06/2026; labels; "3 / 12 / 5 (…)"."""
        if value is None:
            return MSG_SKIPPED
        try:
            match question.type:
                case "integer":
                    return format_integer(value)
                case "year":
                    return str(value)
                case "decimal":
                    return format_decimal(value)
                case "date":
                    return format_date(value)
                case "choice":
                    return _label(question, value)
                case "multichoice":
                    return "; ".join(_label(question, key) for key in value) if value else MSG_NONE_CHOSEN
                case "numbers":
                    numbers = " / ".join(format_integer(value.get(p.key, 0)) for p in question.parts)
                    return f"{numbers} ({' / '.join(p.label for p in question.parts)})"
                case "file":
                    files = answer_files(value)
                    shown = "; ".join(f"{f.get('name', 'tệp')} ({format_size(int(f.get('size', 0)))})" for f in files)
                    return shown if len(files) == 1 else f"{len(files)} tệp: {shown}"
                case "phone":
                    return format_phone(value)
                case _:
                    return str(value)
        except (AttributeError, TypeError, ValueError):
            return str(value)

    def prompt(self, question: Question, ctx: FormContext, answers: Answers, *, buttons: bool = True) -> str:
        """The question as sent: "Câu 5/24. …", what to type, options, whether it can be
        skipped, and the current answer when editing.

        ``buttons`` says whether the person's channel has buttons. Without them the channel
        lists a choice question's options itself as its numbered menu, so the prompt does
        not list them a second time, and every instruction says what to type, not what to
        press (a person on Zalo has nothing to press)."""
        walk = self._walk(answers, ctx)
        env = walk.answers
        n = walk.number(question.id)
        head = f"Câu {n}/{len(walk.questions)}. " if n is not None else ""
        lines = [head + self._render(question.prompt, env, ctx)]
        if question.options and (buttons or question.type != "choice"):
            lines.extend(f"{i}. {option.label}" for i, option in enumerate(question.options, 1))
        how = self._render(question.hint, env, ctx) if question.hint else self._default_hint(question, ctx, buttons)
        if how:
            lines.append(how)
        if not question.required:
            skip = "chọn “Bỏ qua”" if buttons else "gõ “bỏ qua”"
            lines.append(f"Câu này không bắt buộc: nếu không có nội dung, đồng chí {skip}.")
        if question.id in answers and question.id in env:
            lines.append(f"Trả lời hiện tại: {self.display(question, env[question.id])}")
        return "\n".join(lines)

    def _default_hint(self, question: Question, ctx: FormContext, buttons: bool = True) -> str:
        match question.type:
            case "integer":
                if isinstance(question.min, int | float) and question.min > 0:
                    return "Nhập một số (ví dụ: 12)."
                return "Nhập một số (ví dụ: 12); nếu không có, nhập 0."
            case "decimal":
                return "Nhập một số (ví dụ: 7,5)."
            case "year":
                return f"Nhập năm gồm 4 chữ số (ví dụ: {ctx.year})."
            case "numbers":
                example = "/".join(str(x) for x in (3, 12, 5, 2, 1, 4, 6, 8)[: len(question.parts)])
                labels = " / ".join(p.label for p in question.parts)
                return f"Nhập {len(question.parts)} số theo thứ tự: {labels} (ví dụ: {example}); nếu không có, nhập 0."
            case "choice":
                if buttons:
                    return "Chọn một mục (bấm nút hoặc nhập số thứ tự)."
                return "Chọn một mục: trả lời số thứ tự của mục đó (hoặc gõ tên mục)."
            case "multichoice":
                return "Có thể chọn nhiều mục: nhập các số thứ tự, cách nhau bởi dấu phẩy (ví dụ: 1, 3)."
            case "date":
                return f"Nhập ngày/tháng/năm (ví dụ: {format_date(ctx.today)})."
            case "phone":
                return "Nhập số điện thoại di động (ví dụ: 0912 345 678)."
            case "file":
                accept = describe_accept(question.accept or DEFAULT_ACCEPT)
                limit = format_decimal(question.max_size_mb or DEFAULT_MAX_SIZE_MB)
                return (f"Gửi tệp {accept}, dung lượng tối đa {limit} MB. "
                        "Báo cáo chụp thành nhiều ảnh thì gửi lần lượt từng trang.")
            case "text":
                if question.pattern_hint:
                    return question.pattern_hint
                if question.min_len and question.min_len >= 20:
                    return f"Trình bày ngắn gọn, cụ thể (ít nhất {format_integer(question.min_len)} ký tự)."
                return ""
        return ""

    def _render(self, template: str, env: Mapping[str, Any], ctx: FormContext) -> str:
        """Fill ``{ky}``, ``{cutoff}``, ``{year}``…, ``{id}``/``{id.part}`` and ``{= expr}``."""

        def replace(match: re.Match[str]) -> str:
            token = match[1]
            if token.startswith("="):
                return _format_number(expressions.evaluate(token[1:].strip(), env))
            context = self._context_value(token, ctx)
            if context is not None:
                return context
            name, _, part = token.partition(".")
            if not self.spec.has(name):
                return match[0]
            value = env.get(name)
            if value is None:
                return "…"
            if part:
                return _format_number(value.get(part) if isinstance(value, Mapping) else None)
            return self.display(self.spec.question(name), value)

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

    # --- internals ----------------------------------------------------------------------------

    def _walk(self, answers: Answers, ctx: FormContext) -> _Walk:
        """Decide applicability in order; `when` sees only answers of applicable questions, so an
        answer to a question that stopped applying (after an edit) is ignored everywhere."""
        walk = _Walk()
        kind = kind_key(ctx.unit_kind) if ctx.unit_kind else None
        for question in self.spec.questions:
            if kind is not None and question.unit_kinds and kind not in question.unit_kinds:
                continue
            if question.when and not expressions.holds(expressions.evaluate(question.when, walk.answers)):
                continue
            walk.questions.append(question)
            if question.id in answers:
                walk.answers[question.id] = answers[question.id]
        return walk

    def _parse(self, question: Question, raw: str | FileInput, ctx: FormContext) -> Any:
        if question.type == "file":
            if not isinstance(raw, FileInput):
                accept = describe_accept(question.accept or DEFAULT_ACCEPT)
                limit = format_decimal(question.max_size_mb or DEFAULT_MAX_SIZE_MB)
                raise InvalidAnswer(MSG_FILE_TEXT.format(accept=accept, max_mb=limit))
            return parse_file(
                raw,
                accept=question.accept or DEFAULT_ACCEPT,
                max_size_mb=question.max_size_mb or DEFAULT_MAX_SIZE_MB,
            )
        if isinstance(raw, FileInput):
            raise InvalidAnswer(MSG_NOT_TEXT)
        allow_negative = isinstance(question.min, int | float) and question.min < 0
        match question.type:
            case "integer":
                return parse_integer(raw, allow_negative=allow_negative)
            case "decimal":
                return parse_decimal(raw, allow_negative=allow_negative)
            case "numbers":
                return parse_numbers(raw, question.parts, allow_negative=allow_negative)
            case "choice":
                return parse_choice(raw, question.options)
            case "multichoice":
                return parse_multichoice(raw, question.options, required=question.required)
            case "date":
                return parse_date(raw, default_year=ctx.date_year).isoformat()
            case "phone":
                return parse_phone(raw)
            case "year":
                return parse_year(raw)
        text = normalize_text(raw)
        if not text:
            raise InvalidAnswer(MSG_EMPTY)
        for step in question.transform:
            text = _TRANSFORMS[step](text)
        return text

    def _validate(self, question: Question, value: Any, ctx: FormContext, *, stored: bool = False) -> None:
        """Bounds, lengths and patterns; with ``stored`` also the value's shape (old drafts)."""
        if stored:
            self._check_shape(question, value)
        match question.type:
            case "integer" | "decimal" | "year":
                self._check_number(
                    value,
                    self._number_bound(question.min, ctx),
                    self._number_bound(question.max, ctx),
                    plain=question.type == "year",
                )
            case "numbers":
                low, high = self._number_bound(question.min, ctx), self._number_bound(question.max, ctx)
                low = 0 if low is None else low
                for part in question.parts:
                    number = value[part.key]
                    if low is not None and number < low:
                        raise InvalidAnswer(
                            MSG_PART_MIN.format(
                                label=part.label, bound=_format_number(low), value=_format_number(number)
                            )
                        )
                    if high is not None and number > high:
                        raise InvalidAnswer(
                            MSG_PART_MAX.format(
                                label=part.label, bound=_format_number(high), value=_format_number(number)
                            )
                        )
            case "date":
                self._check_date(question, date.fromisoformat(value), ctx)
            case "text":
                self._check_text(question, value)

    def _check_shape(self, question: Question, value: Any) -> None:
        ok = True
        match question.type:
            case "integer" | "year":
                ok = isinstance(value, int) and not isinstance(value, bool)
            case "decimal":
                ok = isinstance(value, int | float) and not isinstance(value, bool)
            case "numbers":
                ok = isinstance(value, Mapping) and all(
                    isinstance(value.get(p.key), int) for p in question.parts
                )
            case "choice":
                ok = value in {o.key for o in question.options}
            case "multichoice":
                ok = isinstance(value, list) and set(value) <= {o.key for o in question.options}
                if ok and question.required and not value:
                    ok = False
            case "date":
                try:
                    date.fromisoformat(value)
                except (TypeError, ValueError):
                    ok = False
            case "file":
                ok = isinstance(value, Mapping) and {"name", "size", "file_ref"} <= set(value)
            case "phone":
                ok = isinstance(value, str) and re.fullmatch(r"0\d{9}", value) is not None
            case "text":
                ok = isinstance(value, str) and bool(value)
        if not ok:
            raise InvalidAnswer("dữ liệu đã lưu không đúng dạng câu hỏi")

    def _check_number(self, value: float, low: float | None, high: float | None, *, plain: bool) -> None:
        shown = str if plain else _format_number
        if low is not None and value < low:
            raise InvalidAnswer(MSG_MIN.format(bound=shown(low), value=shown(value)))
        if high is not None and value > high:
            raise InvalidAnswer(MSG_MAX.format(bound=shown(high), value=shown(value)))

    def _number_bound(self, bound: Any, ctx: FormContext) -> float | None:
        if isinstance(bound, str):
            return {"year": ctx.year, "next_year": ctx.year + 1, "prev_year": ctx.year - 1}[bound]
        return bound

    def _date_bound(self, bound: Any, ctx: FormContext, *, earliest: bool) -> tuple[date | None, str]:
        """Resolve a min/max; a tuple of candidates widens it (the earliest for a min, the
        latest for a max), so a range tied to the period still holds today. A date not known
        (no cut-off yet) leaves that side open, as it would alone."""
        if bound is None:
            return None, ""
        candidates = [self._one_date_bound(item, ctx) for item in (bound if isinstance(bound, tuple) else (bound,))]
        if any(resolved is None for resolved, _ in candidates):
            return None, ""
        pick = min if earliest else max
        return pick(candidates, key=lambda c: c[0])

    def _one_date_bound(self, bound: str, ctx: FormContext) -> tuple[date | None, str]:
        resolved = (
            {
                "today": ctx.today,
                "cutoff": ctx.cutoff,
                "period_start": ctx.period_start,
                "year_start": date(ctx.year, 1, 1),
                "year_end": date(ctx.year, 12, 31),
            }.get(bound)
            if bound in _DATE_TOKEN_NAMES
            else date.fromisoformat(bound)
        )
        if resolved is None:
            return None, ""
        name = _DATE_TOKEN_NAMES.get(bound)
        shown = f"{name} ({format_date(resolved)})" if name else f"ngày {format_date(resolved)}"
        return resolved, shown

    def _check_date(self, question: Question, value: date, ctx: FormContext) -> None:
        low, low_text = self._date_bound(question.min, ctx, earliest=True)
        high, high_text = self._date_bound(question.max, ctx, earliest=False)
        if low is not None and value < low:
            raise InvalidAnswer(MSG_DATE_MIN.format(bound=low_text, value=format_date(value)))
        if high is not None and value > high:
            raise InvalidAnswer(MSG_DATE_MAX.format(bound=high_text, value=format_date(value)))

    def _check_text(self, question: Question, value: str) -> None:
        count = len(value)
        if question.min_len is not None and count < question.min_len:
            raise InvalidAnswer(
                MSG_TEXT_SHORT.format(min=format_integer(question.min_len), count=format_integer(count))
            )
        if question.max_len is not None and count > question.max_len:
            raise InvalidAnswer(
                MSG_TEXT_LONG.format(max=format_integer(question.max_len), count=format_integer(count))
            )
        if question.pattern and not re.fullmatch(question.pattern, value):
            hint = f"{question.pattern_hint.rstrip('.')}. " if question.pattern_hint else ""
            raise InvalidAnswer(MSG_PATTERN.format(hint=hint, value=echo(value)))


def _label(question: Question, key: str) -> str:
    for option in question.options:
        if option.key == key:
            return option.label
    return str(key)


def _format_number(value: Any) -> str:
    if value is None:
        return "…"
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, int):
        return format_integer(value)
    if isinstance(value, float):
        return format_integer(int(value)) if value.is_integer() else format_decimal(value, 2)
    return str(value)
