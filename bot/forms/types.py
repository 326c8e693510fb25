"""The question types, one class each, in one registry (:data:`TYPES`).

A spec says ``type: integer``; everything that depends on that word lives in the type's class:
what the spec may give it (bounds, options, parts, text or file rules), how a typed or sent
answer is read and checked, how a stored value is shown, what the prompt says to type, a sample
value to type-check expressions at load time, and its cells in the Excel export. The engine,
the spec loader and the export ask the class and never match on the type's name, so a new
type is one class here plus its line in :data:`TYPES`.

Stored value shapes: integer → int; decimal → float; text/phone → str; choice → option key;
multichoice → list of keys; date → ISO "YYYY-MM-DD"; numbers → {part key: int};
file → {name, mime, size, file_ref, sha256} (further pages under ``more``); year → int.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from bot.forms.context import FormContext
from bot.forms.parsers import (
    IMAGE_EXTENSIONS,
    MSG_EMPTY,
    MSG_FILE_TEXT,
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

if TYPE_CHECKING:
    from bot.forms.spec import Question

__all__ = ["DEFAULT_ACCEPT", "DEFAULT_MAX_SIZE_MB", "TYPES", "QuestionType", "format_number", "type_of"]

DEFAULT_ACCEPT = ("pdf", "docx", "xlsx", "jpg", "jpeg", "png")
DEFAULT_MAX_SIZE_MB = 20.0

MSG_SKIPPED = "(bỏ qua)"
MSG_NONE_CHOSEN = "(không chọn mục nào)"
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
MSG_BAD_SHAPE = "dữ liệu đã lưu không đúng dạng câu hỏi"

TRANSFORMS: dict[str, Callable[[str], str]] = {
    "upper": str.upper,
    "lower": str.lower,
    "nospace": lambda text: re.sub(r"\s+", "", text),
}
DATE_TOKEN_NAMES = {
    "today": "hôm nay",
    "cutoff": "ngày chốt số liệu",
    "period_start": "ngày bắt đầu kỳ báo cáo",
    "year_start": "ngày đầu năm",
    "year_end": "ngày cuối năm",
}

ExportColumn = tuple[str, str, str | None]
"""(column key, header, part key or None) of one answer column of the export."""


class QuestionType:
    """Everything that depends on a question's ``type``; subclasses override what differs.

    The class attributes tell the spec loader which keys a question of the type may carry."""

    name: ClassVar[str]
    bounds: ClassVar[str | None] = None
    """What ``min``/``max`` are: "number", "date", or None (not allowed)."""
    integral: ClassVar[bool] = True
    """Number bounds must be whole numbers."""
    year_bounds: ClassVar[bool] = False
    """``min``/``max`` may be the tokens year / next_year / prev_year."""
    labelled: ClassVar[str | None] = None
    """The list the spec must give: "options" or "parts"."""
    text_rules: ClassVar[bool] = False
    """min_len, max_len, pattern, pattern_hint, transform allowed."""
    file: ClassVar[bool] = False
    """Answered by sending a file (accept, max_size_mb allowed)."""
    menu: ClassVar[bool] = False
    """The options are offered as a menu (buttons, or a numbered list on channels without)."""
    totalled: ClassVar[bool] = False
    """Its numbers are summed on the export's totals sheet."""

    # --- answering ----------------------------------------------------------------------

    def read(self, question: Question, raw: str | FileInput, ctx: FormContext) -> Any:
        """The stored value for what the officer typed or sent (raises ``InvalidAnswer``)."""
        if isinstance(raw, FileInput):
            raise InvalidAnswer(MSG_NOT_TEXT)
        return self.parse(question, raw, ctx)

    def parse(self, question: Question, raw: str, ctx: FormContext) -> Any:
        """Typed text → the stored value. Every type in ``TYPES`` reads its own text (a test
        checks each spec type has its class); the base class has no reading of its own."""
        raise NotImplementedError(f"question type {self.name!r} does not read typed text")

    def validate(self, question: Question, value: Any, ctx: FormContext) -> None:
        """Bounds, lengths, patterns of a parsed (or stored) value; raises ``InvalidAnswer``."""

    def stored_ok(self, question: Question, value: Any) -> bool:
        """Whether a value read back from a draft has this type's shape (old drafts, edits)."""
        return True

    # --- showing ------------------------------------------------------------------------

    def display(self, question: Question, value: Any) -> str:
        """A stored (not None) value as Vietnamese text."""
        return str(value)

    def summary_value(self, question: Question, value: Any, max_text: int) -> str:
        """The value on the summary line (texts are shortened there)."""
        return show(question, value)

    def hint(self, question: Question, ctx: FormContext, buttons: bool) -> str:
        """What the prompt says to type when the spec gives no ``hint``."""
        return ""

    def sample(self, question: Question) -> Any:
        """A typical value, to type-check expressions when the spec is loaded."""
        return "văn bản"

    # --- export -------------------------------------------------------------------------

    def export_columns(self, question: Question) -> list[ExportColumn]:
        return [(question.id, question.label or question.id, None)]

    def export_cell(self, question: Question, part: str | None, value: Any) -> Any:
        """A stored (not None) value as a spreadsheet cell: numbers and dates keep their types."""
        return str(value)


def _allow_negative(question: Question) -> bool:
    return isinstance(question.min, int | float) and question.min < 0


def _number_bound(bound: Any, ctx: FormContext) -> float | None:
    if isinstance(bound, str):
        return {"year": ctx.year, "next_year": ctx.year + 1, "prev_year": ctx.year - 1}[bound]
    # A number question's bound is a number, a year token (above) or None: the spec refuses
    # anything else there, so what is left is the number (Bound's tuple is for dates only).
    return bound  # type: ignore[no-any-return]


def _check_number(value: float, low: float | None, high: float | None, *, plain: bool) -> None:
    shown = str if plain else format_number
    if low is not None and value < low:
        raise InvalidAnswer(MSG_MIN.format(bound=shown(low), value=shown(value)))
    if high is not None and value > high:
        raise InvalidAnswer(MSG_MAX.format(bound=shown(high), value=shown(value)))


def _label(question: Question, key: str) -> str:
    for option in question.options:
        if option.key == key:
            return option.label
    return str(key)


class Integer(QuestionType):
    name = "integer"
    bounds = "number"
    totalled = True

    def parse(self, question: Question, raw: str, ctx: FormContext) -> Any:
        return parse_integer(raw, allow_negative=_allow_negative(question))

    def validate(self, question: Question, value: Any, ctx: FormContext) -> None:
        _check_number(value, _number_bound(question.min, ctx), _number_bound(question.max, ctx), plain=False)

    def stored_ok(self, question: Question, value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    def display(self, question: Question, value: Any) -> str:
        return format_integer(value)

    def hint(self, question: Question, ctx: FormContext, buttons: bool) -> str:
        if isinstance(question.min, int | float) and question.min > 0:
            return "Nhập một số (ví dụ: 12)."
        return "Nhập một số (ví dụ: 12); nếu không có, nhập 0."

    def sample(self, question: Question) -> Any:
        return 1

    def export_cell(self, question: Question, part: str | None, value: Any) -> Any:
        return value


class Decimal(Integer):
    name = "decimal"
    integral = False

    def parse(self, question: Question, raw: str, ctx: FormContext) -> Any:
        return parse_decimal(raw, allow_negative=_allow_negative(question))

    def stored_ok(self, question: Question, value: Any) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool)

    def display(self, question: Question, value: Any) -> str:
        return format_decimal(value)

    def hint(self, question: Question, ctx: FormContext, buttons: bool) -> str:
        return "Nhập một số (ví dụ: 7,5)."

    def sample(self, question: Question) -> Any:
        return 1.5


class Year(Integer):
    name = "year"
    year_bounds = True
    totalled = False  # a year is a label of the row, not a quantity

    def parse(self, question: Question, raw: str, ctx: FormContext) -> Any:
        return parse_year(raw)

    def validate(self, question: Question, value: Any, ctx: FormContext) -> None:
        _check_number(value, _number_bound(question.min, ctx), _number_bound(question.max, ctx), plain=True)

    def display(self, question: Question, value: Any) -> str:
        return str(value)

    def hint(self, question: Question, ctx: FormContext, buttons: bool) -> str:
        return f"Nhập năm gồm 4 chữ số (ví dụ: {ctx.year})."

    def sample(self, question: Question) -> Any:
        return 2026


class Numbers(QuestionType):
    """Several whole numbers in one answer, "3/12/5": one per part (tập thể / cá nhân / …)."""

    name = "numbers"
    bounds = "number"
    labelled = "parts"
    totalled = True

    def parse(self, question: Question, raw: str, ctx: FormContext) -> Any:
        return parse_numbers(raw, question.parts, allow_negative=_allow_negative(question))

    def validate(self, question: Question, value: Any, ctx: FormContext) -> None:
        low, high = _number_bound(question.min, ctx), _number_bound(question.max, ctx)
        low = 0 if low is None else low
        for part in question.parts:
            number = value[part.key]
            if low is not None and number < low:
                raise InvalidAnswer(
                    MSG_PART_MIN.format(label=part.label, bound=format_number(low), value=format_number(number))
                )
            if high is not None and number > high:
                raise InvalidAnswer(
                    MSG_PART_MAX.format(label=part.label, bound=format_number(high), value=format_number(number))
                )

    def stored_ok(self, question: Question, value: Any) -> bool:
        return isinstance(value, Mapping) and all(isinstance(value.get(p.key), int) for p in question.parts)

    def display(self, question: Question, value: Any) -> str:
        numbers = " / ".join(format_integer(value.get(p.key, 0)) for p in question.parts)
        return f"{numbers} ({' / '.join(p.label for p in question.parts)})"

    def hint(self, question: Question, ctx: FormContext, buttons: bool) -> str:
        example = "/".join(str(x) for x in (3, 12, 5, 2, 1, 4, 6, 8)[: len(question.parts)])
        labels = " / ".join(p.label for p in question.parts)
        return f"Nhập {len(question.parts)} số theo thứ tự: {labels} (ví dụ: {example}); nếu không có, nhập 0."

    def sample(self, question: Question) -> Any:
        return {part.key: 1 for part in question.parts}

    def export_columns(self, question: Question) -> list[ExportColumn]:
        label = question.label or question.id
        return [(f"{question.id}.{p.key}", f"{label} – {p.label}", p.key) for p in question.parts]

    def export_cell(self, question: Question, part: str | None, value: Any) -> Any:
        return value.get(part) if isinstance(value, dict) else None


class Choice(QuestionType):
    name = "choice"
    labelled = "options"
    menu = True

    def parse(self, question: Question, raw: str, ctx: FormContext) -> Any:
        return parse_choice(raw, question.options)

    def stored_ok(self, question: Question, value: Any) -> bool:
        return value in {o.key for o in question.options}

    def display(self, question: Question, value: Any) -> str:
        return _label(question, value)

    def hint(self, question: Question, ctx: FormContext, buttons: bool) -> str:
        if buttons:
            return "Chọn một mục (bấm nút hoặc nhập số thứ tự)."
        return "Chọn một mục: trả lời số thứ tự của mục đó (hoặc gõ tên mục)."

    def sample(self, question: Question) -> Any:
        return question.options[0].key

    def export_cell(self, question: Question, part: str | None, value: Any) -> Any:
        return next((o.label for o in question.options if o.key == value), value)


class MultiChoice(QuestionType):
    name = "multichoice"
    labelled = "options"

    def parse(self, question: Question, raw: str, ctx: FormContext) -> Any:
        return parse_multichoice(raw, question.options, required=question.required)

    def stored_ok(self, question: Question, value: Any) -> bool:
        ok = isinstance(value, list) and set(value) <= {o.key for o in question.options}
        return ok and not (question.required and not value)

    def display(self, question: Question, value: Any) -> str:
        return "; ".join(_label(question, key) for key in value) if value else MSG_NONE_CHOSEN

    def hint(self, question: Question, ctx: FormContext, buttons: bool) -> str:
        return "Có thể chọn nhiều mục: nhập các số thứ tự, cách nhau bởi dấu phẩy (ví dụ: 1, 3)."

    def sample(self, question: Question) -> Any:
        return [question.options[0].key]

    def export_cell(self, question: Question, part: str | None, value: Any) -> Any:
        return "; ".join(next((o.label for o in question.options if o.key == k), k) for k in value)


class Date(QuestionType):
    name = "date"
    bounds = "date"

    def parse(self, question: Question, raw: str, ctx: FormContext) -> Any:
        return parse_date(raw, default_year=ctx.date_year).isoformat()

    def validate(self, question: Question, value: Any, ctx: FormContext) -> None:
        day = date.fromisoformat(value)
        low, low_text = _date_bound(question.min, ctx, earliest=True)
        high, high_text = _date_bound(question.max, ctx, earliest=False)
        if low is not None and day < low:
            raise InvalidAnswer(MSG_DATE_MIN.format(bound=low_text, value=format_date(day)))
        if high is not None and day > high:
            raise InvalidAnswer(MSG_DATE_MAX.format(bound=high_text, value=format_date(day)))

    def stored_ok(self, question: Question, value: Any) -> bool:
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError):
            return False
        return True

    def display(self, question: Question, value: Any) -> str:
        return format_date(value)

    def hint(self, question: Question, ctx: FormContext, buttons: bool) -> str:
        return f"Nhập ngày/tháng/năm (ví dụ: {format_date(ctx.today)})."

    def sample(self, question: Question) -> Any:
        return "2026-01-01"

    def export_cell(self, question: Question, part: str | None, value: Any) -> Any:
        return date.fromisoformat(value) if isinstance(value, str) else value


def _date_bound(bound: Any, ctx: FormContext, *, earliest: bool) -> tuple[date | None, str]:
    """Resolve a min/max; a tuple of candidates widens it (the earliest for a min, the
    latest for a max), so a range tied to the period still holds today. A date not known
    (no cut-off yet) leaves that side open, as it would alone."""
    if bound is None:
        return None, ""
    candidates = [_one_date_bound(item, ctx) for item in (bound if isinstance(bound, tuple) else (bound,))]
    known = [(resolved, shown) for resolved, shown in candidates if resolved is not None]
    if len(known) != len(candidates):
        return None, ""
    pick = min if earliest else max
    return pick(known, key=lambda c: c[0])


def _one_date_bound(bound: str, ctx: FormContext) -> tuple[date | None, str]:
    resolved = ctx.dates().get(bound) if bound in DATE_TOKEN_NAMES else date.fromisoformat(bound)
    if resolved is None:
        return None, ""
    name = DATE_TOKEN_NAMES.get(bound)
    shown = f"{name} ({format_date(resolved)})" if name else f"ngày {format_date(resolved)}"
    return resolved, shown


class Phone(QuestionType):
    name = "phone"

    def parse(self, question: Question, raw: str, ctx: FormContext) -> Any:
        return parse_phone(raw)

    def stored_ok(self, question: Question, value: Any) -> bool:
        return isinstance(value, str) and re.fullmatch(r"0\d{9}", value) is not None

    def display(self, question: Question, value: Any) -> str:
        return format_phone(value)

    def hint(self, question: Question, ctx: FormContext, buttons: bool) -> str:
        return "Nhập số điện thoại di động (ví dụ: 0912 345 678)."

    def sample(self, question: Question) -> Any:
        return "0912345678"


class File(QuestionType):
    """A document or photos of it: the answer is the first file, further pages under ``more``."""

    name = "file"
    file = True

    def read(self, question: Question, raw: str | FileInput, ctx: FormContext) -> Any:
        accept = question.accept or DEFAULT_ACCEPT
        max_size_mb = question.max_size_mb or DEFAULT_MAX_SIZE_MB
        if not isinstance(raw, FileInput):
            raise InvalidAnswer(MSG_FILE_TEXT.format(accept=describe_accept(accept), max_mb=format_decimal(max_size_mb)))
        return parse_file(raw, accept=accept, max_size_mb=max_size_mb)

    def stored_ok(self, question: Question, value: Any) -> bool:
        return isinstance(value, Mapping) and {"name", "size", "file_ref"} <= set(value)

    def display(self, question: Question, value: Any) -> str:
        files = answer_files(value)
        shown = "; ".join(f"{f.get('name', 'tệp')} ({format_size(int(f.get('size', 0)))})" for f in files)
        return shown if len(files) == 1 else f"{len(files)} tệp: {shown}"

    def hint(self, question: Question, ctx: FormContext, buttons: bool) -> str:
        """What to send; the advice on photographed pages only where photos are accepted
        (an Excel list is not photographed)."""
        accept = question.accept or DEFAULT_ACCEPT
        limit = format_decimal(question.max_size_mb or DEFAULT_MAX_SIZE_MB)
        photos = " Báo cáo chụp thành nhiều ảnh thì gửi lần lượt từng trang." if set(accept) & IMAGE_EXTENSIONS else ""
        return f"Gửi tệp {describe_accept(accept)}, dung lượng tối đa {limit} MB.{photos}"

    def sample(self, question: Question) -> Any:
        return {"name": "a.pdf", "mime": "application/pdf", "size": 1, "file_ref": "x", "sha256": ""}

    def export_cell(self, question: Question, part: str | None, value: Any) -> Any:
        return "; ".join(str(f.get("name", "")) for f in answer_files(value)) or str(value)


class Text(QuestionType):
    name = "text"
    text_rules = True

    def parse(self, question: Question, raw: str, ctx: FormContext) -> Any:
        text = normalize_text(raw)
        if not _visible_length(text):
            raise InvalidAnswer(MSG_EMPTY)
        for step in question.transform:
            text = TRANSFORMS[step](text)
        return text

    def validate(self, question: Question, value: Any, ctx: FormContext) -> None:
        count = len(value)
        if question.min_len is not None and _visible_length(value) < question.min_len:
            count = _visible_length(value)
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

    def stored_ok(self, question: Question, value: Any) -> bool:
        return isinstance(value, str) and bool(value)

    def summary_value(self, question: Question, value: Any, max_text: int) -> str:
        shown = show(question, value)
        if value is None:
            return shown
        flat = " ".join(shown.split())
        return flat if len(flat) <= max_text else flat[: max_text - 1].rstrip() + "…"

    def hint(self, question: Question, ctx: FormContext, buttons: bool) -> str:
        if question.pattern_hint:
            return question.pattern_hint
        if question.min_len and question.min_len >= 20:
            return f"Trình bày ngắn gọn, cụ thể (ít nhất {format_integer(question.min_len)} ký tự)."
        return ""


def _visible_length(text: str) -> int:
    """Characters a reader sees: zero-width and other format characters (U+200B, U+200D,
    U+2060, U+FEFF, bidi marks…) do not count, so fifty of them are not a fifty-character
    answer to a question that asks for one."""
    return sum(1 for ch in text if unicodedata.category(ch) != "Cf")


TYPES: Mapping[str, QuestionType] = {
    t.name: t
    for t in (Integer(), Decimal(), Year(), Numbers(), Choice(), MultiChoice(), Date(), Phone(), File(), Text())
}
"""Every question type by the name a spec uses."""


def type_of(question: Question) -> QuestionType:
    return TYPES[question.type]


def show(question: Question, value: Any) -> str:
    """A stored value as Vietnamese text: 1.234; 7,5; 18/06/2026; labels; "3 / 12 / 5 (…)"."""
    if value is None:
        return MSG_SKIPPED
    try:
        return type_of(question).display(question, value)
    except (AttributeError, TypeError, ValueError):
        return str(value)


def validate(question: Question, value: Any, ctx: FormContext, *, stored: bool = False) -> None:
    """Bounds, lengths and patterns; with ``stored`` also the value's shape (old drafts)."""
    qtype = type_of(question)
    if stored and not qtype.stored_ok(question, value):
        raise InvalidAnswer(MSG_BAD_SHAPE)
    qtype.validate(question, value, ctx)


def export_cell(question: Question, part: str | None, value: Any) -> Any:
    """The export's cell for a stored answer (None: not answered or skipped)."""
    return None if value is None else type_of(question).export_cell(question, part, value)


def format_number(value: Any) -> str:
    if value is None:
        return "…"
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, int):
        return format_integer(value)
    if isinstance(value, float):
        return format_integer(int(value)) if value.is_integer() else format_decimal(value, 2)
    return str(value)
