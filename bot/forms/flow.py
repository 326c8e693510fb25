"""The report conversation as one pure step: (draft, what the officer did) → (what to save, what to say).

A chat handler reads the draft, turns the message into one of the inputs below, calls
:meth:`FormFlow.step` and gets a :class:`Step`: the draft's new state (and whether it must be
saved before anything is said), and the replies as data — the question to ask, a refusal, a
warning, the summary, a notice. The handler persists the state in one call and renders the
replies; it decides nothing. Each step decides the form's applicable questions once (one
:class:`~bot.forms.engine.Walk` of the draft, extended by the answer), so a long form costs
one pass per message however many things the reply shows.

A file answer needs I/O in the middle (look at the bytes before accepting; store them once
accepted): the step asks for it with :attr:`Step.fetch` and :attr:`Step.store`, and
:meth:`Step.fetched` / :meth:`Step.stored` continue the same step purely.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot.core.callbacks import number
from bot.core.text import fold
from bot.forms.engine import AnswerResult, FormContext, FormEngine, Problem, SummaryLine, Walk
from bot.forms.parsers import FileInput, answer_files, echo
from bot.forms.spec import FormSpec, Option, Question
from bot.forms.types import type_of

__all__ = [
    "MAX_FILE_BYTES", "SUMMARY", "Ask", "Back", "Caution", "Draft", "EditHow", "EditNumber", "EditPicker",
    "FileAdded", "FirstQuestion", "FormFlow", "Input", "NoFileQuestion", "NoSuchQuestion", "NotAFileQuestion",
    "OldButton", "Other", "Pick", "Prefilled", "Refused", "Reply", "Show", "Skip", "Stale", "StaleButton", "Step",
    "StoreSlot", "Summary", "SummaryUnclear", "ToSummary", "Typed", "Unsupported", "Upload",
]

SUMMARY = "summary"
"""The draft's position once every applicable question is answered."""
MAX_FILE_BYTES = 20 * 1024 * 1024
"""Larger files are judged by their announced size, never downloaded."""
BACK_WORDS = frozenset({"quay lai", "lui"})
SKIP_WORD = "bo qua"
SEND_WORDS = frozenset({"gui", "gui bao cao", "nop"})


@dataclass(frozen=True)
class Draft:
    """What is stored of a report in progress (FormSession), as the flow sees it."""

    answers: Mapping[str, Any]
    history: tuple[str, ...] = ()
    position: str | None = None
    return_to_summary: bool = False
    last_inbound: str | None = None
    """The key of the last message applied: the same message again is a redelivery."""


# ---- inputs: what the officer did ---------------------------------------------------------------
@dataclass(frozen=True)
class Show:
    """Nothing new: say what the draft asks now (entering, resuming, after a conflict)."""


@dataclass(frozen=True)
class Typed:
    text: str


@dataclass(frozen=True)
class Upload:
    """A file sent; ``file.kind`` is filled by :meth:`Step.fetched` once its bytes are seen."""

    file: FileInput


@dataclass(frozen=True)
class Other:
    """A sticker, contact, location…: ``text`` is whatever text came with it."""

    text: str = ""


@dataclass(frozen=True)
class Pick:
    """An option's button: ``at`` the question's form index as the button carries it."""

    at: str
    option: int | None


@dataclass(frozen=True)
class Back:
    at: str


@dataclass(frozen=True)
class Skip:
    at: str


@dataclass(frozen=True)
class EditNumber:
    """"Sửa câu N" pressed on the summary."""

    n: int


@dataclass(frozen=True)
class EditPicker:
    """"Sửa câu khác" pressed: say how to pick one."""


@dataclass(frozen=True)
class ToSummary:
    """"Về bảng tóm tắt" pressed."""


@dataclass(frozen=True)
class Stale:
    """A button of this flow that means nothing now."""


Input = Show | Typed | Upload | Other | Pick | Back | Skip | EditNumber | EditPicker | ToSummary | Stale


# ---- replies: what to say, in order -------------------------------------------------------------
@dataclass(frozen=True)
class Ask:
    """Ask a question. ``index`` is its form index (buttons carry it); ``options`` go on buttons
    (or a numbered menu); ``back``/``skip``/``to_summary`` say which navigation it offers."""

    question: Question
    index: int
    prompt: str
    options: tuple[Option, ...] = ()
    back: bool = False
    skip: bool = False
    to_summary: bool = False

    @property
    def wants_file(self) -> bool:
        return type_of(self.question).file


@dataclass(frozen=True)
class Summary:
    lines: tuple[SummaryLine, ...]
    problems: tuple[Problem, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Refused:
    """The answer was not taken: why (shown with ❌)."""

    message: str


@dataclass(frozen=True)
class Caution:
    """The answer was taken, with these warnings (shown once, "Lưu ý: …")."""

    warnings: tuple[str, ...]


@dataclass(frozen=True)
class FileAdded:
    """Another page of the file question's answer was added at the summary."""

    name: str
    label: str
    count: int
    complete: bool
    """Nothing blocks sending: offer "Gửi báo cáo" rather than the summary."""


@dataclass(frozen=True)
class NotAFileQuestion:
    """A file sent to a question answered in words."""


@dataclass(frozen=True)
class NoFileQuestion:
    """A file sent at the summary of a form that asks for none."""


@dataclass(frozen=True)
class Unsupported:
    wants_file: bool


@dataclass(frozen=True)
class Prefilled:
    """A new draft starts with these answers from the unit's registration ("Câu N" each, to
    change them), said before its first question."""

    lines: tuple[SummaryLine, ...]


@dataclass(frozen=True)
class FirstQuestion:
    """"Quay lại" at the first question."""


@dataclass(frozen=True)
class OldButton:
    """A button of a question that is not the current one."""


@dataclass(frozen=True)
class NoSuchQuestion:
    number: int | str
    total: int


@dataclass(frozen=True)
class SummaryUnclear:
    pass


@dataclass(frozen=True)
class EditHow:
    total: int


@dataclass(frozen=True)
class StaleButton:
    pass


Reply = (Ask | Summary | Refused | Caution | FileAdded | NotAFileQuestion | NoFileQuestion | Unsupported
         | Prefilled | FirstQuestion | OldButton | NoSuchQuestion | SummaryUnclear | EditHow | StaleButton)


@dataclass(frozen=True)
class StoreSlot:
    """Where the accepted file's dict sits in the answers: the answer, or its last ``more``."""

    question_id: str
    extra: bool


@dataclass(frozen=True)
class Step:
    """The outcome of one message: ``draft`` is the new state, to be saved first when ``save``.

    ``submit``: the officer asked to send the report (the handler runs the submission).
    ``fetch``: a file is wanted; download it and continue with :meth:`fetched`.
    ``store``: the file was accepted; store its bytes and continue with :meth:`stored`."""

    draft: Draft
    save: bool = False
    replies: tuple[Reply, ...] = ()
    submit: bool = False
    progress: tuple[int, int] = (0, 0)
    """(answered, applicable) in the new state."""
    store: StoreSlot | None = None
    _next: Callable[[str, int], Step] | None = field(default=None, repr=False, compare=False)

    @property
    def fetch(self) -> bool:
        return self._next is not None

    def fetched(self, kind: str, size: int) -> Step:
        """Continue once the file's bytes were looked at: what they are (``content_kind``) and
        how many there are (the platform's announced size is only a claim)."""
        assert self._next is not None, "this step wants no file"
        return self._next(kind, size)

    def stored(self, file_ref: str, sha256: str) -> Step:
        """The accepted file is stored: put its reference into the answer to save."""
        assert self.store is not None, "this step stores no file"
        qid = self.store.question_id
        value = dict(self.draft.answers[qid])
        ref = {"file_ref": file_ref, "sha256": sha256}
        if self.store.extra:
            more = list(value["more"])
            more[-1] = {**more[-1], **ref}
            value["more"] = more
        else:
            value.update(ref)
        answers = {**self.draft.answers, qid: value}
        return replace(self, draft=replace(self.draft, answers=answers), store=None)


class FormFlow:
    """The report conversation over one spec, for one unit and period (``ctx``) and one channel
    (``buttons``: whether it shows buttons; prompts then say "bấm" rather than "gõ")."""

    def __init__(self, spec: FormSpec, ctx: FormContext, *, buttons: bool = True) -> None:
        self.engine = FormEngine(spec)
        self.spec = spec
        self.ctx = ctx
        self.buttons = buttons

    # ---- the step -------------------------------------------------------------------------
    def step(self, draft: Draft, given: Input, key: str | None = None) -> Step:
        """Apply what the officer did (``key``: the message's key, to recognise a redelivery)."""
        turn = _Turn(self, draft, key or None)
        if key and key == draft.last_inbound:
            # The platform sent this very message again (the bot died before answering): the
            # answer is in the draft already; saying the current question again is the lost reply.
            return turn.show()
        return turn.apply(given)

    def submission(self, answers: Mapping[str, Any]) -> tuple[dict[str, Any], Summary | None]:
        """For "Gửi báo cáo": the answers that count (those to questions that apply), or, when
        something blocks sending, the summary to show instead."""
        walk = self.engine.walk(answers, self.ctx)
        problems = self.engine.problems_in(walk, self.ctx)
        if problems:
            return {}, self._summary(walk, problems)
        return dict(walk.env), None

    def _summary(self, walk: Walk, problems: list[Problem] | None = None) -> Summary:
        if problems is None:
            problems = self.engine.problems_in(walk, self.ctx)
        return Summary(tuple(self.engine.summary_in(walk)), tuple(problems),
                       tuple(self.engine.warnings_in(walk, self.ctx)))


class _Turn:
    """One step's working state: the draft, its walk, and the replies so far."""

    def __init__(self, flow: FormFlow, draft: Draft, key: str | None) -> None:
        self.flow, self.engine, self.spec, self.ctx = flow, flow.engine, flow.spec, flow.ctx
        self.draft = draft
        self.key = key
        self.walk = self.engine.walk(draft.answers, self.ctx)
        self.replies: list[Reply] = []
        self.save = False

    # ---- where the draft is -------------------------------------------------------------
    def position(self) -> str:
        """The question the draft is at, or SUMMARY; a stored position that no longer applies
        (an edit made it irrelevant) gives way to the first unanswered question."""
        draft = self.draft
        if draft.position == SUMMARY:
            return SUMMARY
        if draft.position and self.walk.applies(draft.position):
            return draft.position
        nxt = self.engine.next_in(self.walk)
        return nxt.id if nxt else SUMMARY

    def move(self, *, walk: Walk | None = None, **changes: Any) -> None:
        """Change the draft (saved before anything is said), keeping the walk in step."""
        self.draft = replace(self.draft, **changes, last_inbound=self.key)
        if walk is not None:
            self.walk = walk
        self.save = True

    def done(self, *, submit: bool = False) -> Step:
        return Step(self.draft, self.save, tuple(self.replies), submit=submit,
                    progress=self.engine.progress_in(self.walk))

    def show(self) -> Step:
        """Say what the draft asks now (storing its position if it moved); a draft nothing was
        answered in yet first takes what the registration pre-fills."""
        if not self.draft.answers and not self.draft.history:
            self.prefill()
        pos = self.position()
        if pos != self.draft.position:
            self.move(position=pos)
        if pos == SUMMARY:
            self.replies.append(self.flow._summary(self.walk))
        else:
            self.replies.append(self.ask(self.spec.question(pos)))
        return self.done()

    def prefill(self) -> None:
        """Start the draft with the registration's answers (saved) and say which they are."""
        filled = self.engine.prefill(self.ctx)
        if not filled:
            return
        self.move(walk=self.engine.walk(filled, self.ctx), answers=filled, history=tuple(filled))
        lines = [line for line in self.engine.summary_in(self.walk) if line.question_id in filled]
        self.replies.append(Prefilled(tuple(lines)))

    def ask(self, q: Question) -> Ask:
        walk, draft = self.walk, self.draft
        return Ask(
            question=q, index=self.spec.index(q.id),
            prompt=self.engine.prompt_in(walk, q, self.ctx, buttons=self.flow.buttons),
            options=self.engine.offered(q, self.ctx).options if type_of(q).menu else (),
            back=self.engine.previous_in(walk, q.id, draft.history) is not None,
            skip=not q.required, to_summary=draft.return_to_summary,
        )

    # ---- dispatch -------------------------------------------------------------------------
    def apply(self, given: Input) -> Step:
        match given:
            case Show():
                return self.show()
            case EditNumber(n=n):
                return self.edit(n)
            case EditPicker():
                self.replies.append(EditHow(len(self.walk.questions)))
                return self.done()
            case ToSummary():
                self.move(position=SUMMARY, return_to_summary=True)
                return self.show()
            case Stale():
                self.replies.append(StaleButton())
                return self.done()
        pos = self.position()
        if pos == SUMMARY:
            return self.at_summary(given)
        q = self.spec.question(pos)
        match given:
            case Pick() | Back() | Skip() if given.at != str(self.spec.index(pos)):
                self.replies.append(OldButton())
                return self.show()
            case Back():
                return self.back(q)
            case Skip():
                return self.answered(q, *self.engine.skip_in(self.walk, q.id, self.ctx))
            case Pick(option=option):
                offered = self.engine.offered(q, self.ctx).options  # what the buttons were made of
                if option is None or option >= len(offered):
                    return self.show()
                return self.answered(q, *self.engine.answer_in(self.walk, q.id, offered[option].key, self.ctx))
            case Typed(text=text):
                word = fold(text)
                if word in BACK_WORDS:
                    return self.back(q)
                if word == SKIP_WORD:
                    return self.answered(q, *self.engine.skip_in(self.walk, q.id, self.ctx))
                return self.answered(q, *self.engine.answer_in(self.walk, q.id, text, self.ctx))
            case Upload(file=file):
                if not type_of(q).file:
                    self.replies.append(NotAFileQuestion())
                    return self.show()
                return self.upload(file, lambda turn, sent: turn.answered(
                    q, *turn.engine.answer_in(turn.walk, q.id, sent, turn.ctx), stored=StoreSlot(q.id, False)))
        self.replies.append(Unsupported(wants_file=type_of(q).file))
        return self.show()

    # ---- answering ------------------------------------------------------------------------
    def answered(self, q: Question, result: AnswerResult, walk: Walk, stored: StoreSlot | None = None) -> Step:
        """Save the answer and move on: the next unanswered question after it, or — when the
        officer came from the summary — back to the summary unless a later question is open."""
        if not result.ok:
            self.replies.append(Refused(result.error or "Câu trả lời chưa hợp lệ."))
            return self.show()
        draft = self.draft
        history = (*[h for h in draft.history if h != q.id], q.id)
        nxt = self.engine.next_in(walk, after=q.id)
        if draft.return_to_summary:
            pending = self.engine.next_in(walk)
            nxt = pending if pending and self.spec.index(pending.id) > self.spec.index(q.id) else None
        position = nxt.id if nxt else SUMMARY
        self.move(walk=walk, answers=walk.answers, history=history, position=position,
                  return_to_summary=draft.return_to_summary or position == SUMMARY)
        if result.warnings:
            self.replies.append(Caution(result.warnings))
        step = self.show()
        return replace(step, store=stored) if stored is not None else step

    def upload(self, file: FileInput, answer: Callable[[_Turn, FileInput], Step]) -> Step:
        """Answer with a file: judged by its announced size alone when too big to download,
        else once its bytes were seen (an EXE renamed ``.pdf``); stored only once accepted.
        The continuation runs on a copy of this turn, so the step stays a value."""
        if file.size > MAX_FILE_BYTES:
            return replace(answer(self, file), store=None)  # nothing downloaded, nothing to store

        def with_kind(kind: str, size: int) -> Step:
            step = answer(self.fork(), replace(file, kind=kind, size=size))
            return step if step.save else replace(step, store=None)

        return Step(self.draft, _next=with_kind)

    def fork(self) -> _Turn:
        turn = _Turn.__new__(_Turn)
        turn.__dict__.update(self.__dict__, replies=list(self.replies))
        return turn

    def back(self, q: Question) -> Step:
        prev = self.engine.previous_in(self.walk, q.id, self.draft.history)
        if prev is None:
            self.replies.append(FirstQuestion())
            return self.show()
        self.move(position=prev)
        return self.show()

    def edit(self, n: int) -> Step:
        q = self.engine.question_by_number_in(self.walk, n)
        if q is None:
            self.replies.append(NoSuchQuestion(n, len(self.walk.questions)))
            return self.done()
        self.move(position=q.id, return_to_summary=True)
        return self.show()

    # ---- at the summary -------------------------------------------------------------------
    def at_summary(self, given: Input) -> Step:
        match given:
            case Upload(file=file):
                return self.extra_file(file)
            case Typed(text=text) | Other(text=text):
                return self.summary_text(text)
        self.replies.append(OldButton())  # a question's button (pick, back, skip) at the summary
        return self.show()

    def summary_text(self, text: str) -> Step:
        """Typing "sửa 5" or "5" edits question 5; "gửi" sends. Digits are question numbers,
        never a menu choice: on a channel without buttons "1" must not send the report."""
        word = fold(text)
        digits = word.replace("sua", "").replace("cau", "").strip()
        if digits.isdigit():  # any script's digits; only ASCII ones make a number
            n = _whole_number(digits)
            if n is None:
                self.replies.append(NoSuchQuestion(echo(digits, 20), len(self.walk.questions)))
                return self.done()
            return self.edit(n)
        if word in SEND_WORDS:
            return self.done(submit=True)
        self.replies.append(SummaryUnclear())
        self.replies.append(self.flow._summary(self.walk))
        return self.done()

    def extra_file(self, file: FileInput) -> Step:
        """A file after the file question was answered: the next page of the signed report, sent
        photo by photo (Zalo sends only photos; a Telegram album arrives one photo at a time)."""
        q = next((q for q in reversed(self.walk.questions) if type_of(q).file), None)
        if q is None:
            self.replies.append(NoFileQuestion())
            self.replies.append(self.flow._summary(self.walk))
            return self.done()

        return self.upload(file, lambda turn, sent: turn.add_page(q, sent))

    def add_page(self, q: Question, file: FileInput) -> Step:
        result, walk = self.engine.add_file_in(self.walk, q.id, file, self.ctx)
        if not result.ok:
            self.replies.append(Refused(result.error or "Tệp chưa hợp lệ."))
            return self.done()
        extra = isinstance(self.walk.answers.get(q.id), Mapping)  # a skipped one is answered now
        self.move(walk=walk, answers=walk.answers)
        files = answer_files(result.value)
        complete = not self.engine.problems_in(walk, self.ctx)
        self.replies.append(FileAdded(files[-1]["name"], q.label, len(files), complete))
        return replace(self.done(), store=StoreSlot(q.id, extra))


def _whole_number(text: str) -> int | None:
    """``text`` as a question number, read like a button's id (see ``bot.core.callbacks``)."""
    return number(text)
