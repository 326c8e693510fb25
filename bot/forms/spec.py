"""Form specs: the questions of a report form, loaded from YAML and validated up front.

Forms are data so that the office can adjust a question without a code change — which also means
a spec can be wrong. Everything that can be checked statically is checked when the spec is loaded
(unique ids, known types, options for choices, ranges, regexes, and that every `when`, check and
placeholder only refers to questions asked earlier, with the right types; a check comparing with
the period's dates compares them with date answers). A broken spec raises
:class:`SpecError` naming the file, the question and the reason, and the app refuses to start,
instead of an officer discovering the problem halfway through a report.

YAML shape::

    id: bao-cao-6-thang
    version: 1
    title: Báo cáo sơ kết …
    description: …
    period_text: từ ngày 15/12 năm trước đến ngày 14/6     # used for {ky} when the period has no dates
    registration: dang-ky-thi-dua  # the form whose submission for the same year dang_ky.<id> reads
    questions:
      - id: tong_cbcc
        section: I. Kết quả …          # inherited by the following questions until changed
        type: integer
        label: Tổng số CB, CC, VC, NLĐ  # short label for the summary
        prompt: Tổng số … tính đến ngày {cutoff}?
        min: 1
        checks:
          - rule: dk_ca_nhan <= tong_cbcc
            message: Số cá nhân đăng ký ({dk_ca_nhan}) …
            level: error               # or warn
      - id: dh_ldtt
        type: integer
        checks:                        # dang_ky.<id>: the unit's registration (no registration: passes)
          - rule: dh_ldtt <= dang_ky.dk_ldtt
            message: … nhiều hơn số đã đăng ký ({dang_ky.dk_ldtt}) …
            level: warn
      - id: tham_quyen_ky
        type: choice
        options:                       # an option's unit_kinds: offered only to those kinds
          - {key: tm, label: "TM. Ủy ban nhân dân – Chủ tịch", unit_kinds: [xa, phuong, dac_khu]}
          - {key: kt_giam_doc, label: "KT. Giám đốc – …", unit_kinds: [so]}
      - id: co_thi_dua_don_vi
        type: choice
        group_members_only: true       # asked only of units in a cụm/khối (options may say it too)

A date question's ``min``/``max`` is a date, a token (``today``, ``cutoff``, ``period_start``,
``year_start``, ``year_end``) or a list of them (``min: [year_start, today]``: the earliest of them).
A pair that some day and period could make empty (``min: year_start, max: today`` for a period of
next year) is refused at load time: the officer would be stuck at that question.

A check may compare a date answer with the same tokens (``rule: ngay_ky >= cutoff``, usually
``level: warn``): a period without that date makes the check pass. The tokens are only compared,
only in ``checks``, and only with date answers or ``"YYYY-MM-DD"`` texts (``cutoff + 1`` or
``tong_cbcc >= cutoff`` is refused at load time); no question may be called by a token.

Placeholders in prompts, hints and check messages: ``{ky}``, ``{cutoff}``, ``{period_start}``,
``{today}``, ``{year}``, ``{next_year}``, ``{prev_year}`` (from the period), ``{office}`` (the
office's name, the OFFICE_NAME setting — never a name written into a prompt), ``{id}`` or
``{id.part}`` (an earlier answer, displayed), ``{dang_ky.id}`` (the registration's answer) and
``{= expression}`` (computed, e.g. a total).

``prefill: dang_ky.tong_cbcc`` on a question: a new draft starts with the registration's answer
(the officer sees it on the summary and can change it). Which questions of the registration
form may be read is checked by :func:`load_specs`, which sees both forms.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import yaml

from bot.forms.expressions import DATE_NAMES, RESERVED_NAMES, Expression, ExpressionError, compile_expression
from bot.forms.parsers import kind_key
from bot.forms.types import DEFAULT_ACCEPT, DEFAULT_MAX_SIZE_MB, TYPES

__all__ = [
    "CONTEXT_PLACEHOLDERS",
    "DATE_TOKENS",
    "DEFAULT_ACCEPT",
    "DEFAULT_MAX_SIZE_MB",
    "PLACEHOLDER",
    "QUESTION_TYPES",
    "YEAR_TOKENS",
    "Check",
    "FormSpec",
    "Option",
    "Part",
    "Question",
    "SpecError",
    "default_specs_dir",
    "load_spec",
    "load_specs",
    "parse_spec",
]

QUESTION_TYPES = frozenset(TYPES)  # one class each in bot/forms/types.py
NUMERIC_TYPES = frozenset(name for name, t in TYPES.items() if t.bounds == "number")
DATE_TOKENS = DATE_NAMES  # a date question's min/max, and the dates checks compare with
YEAR_TOKENS = frozenset({"year", "next_year", "prev_year"})
CONTEXT_PLACEHOLDERS = frozenset(
    {"ky", "cutoff", "period_start", "today", "year", "next_year", "prev_year", "office"}
)
TRANSFORMS = frozenset({"upper", "lower", "nospace"})
CHECK_LEVELS = frozenset({"error", "warn"})
REGISTRATION = "dang_ky"
"""The name under which checks, messages and ``prefill`` read the unit's registration for the
report's year (the answers of the spec's ``registration`` form): ``dang_ky.dk_ldtt``."""
PLACEHOLDER = re.compile(r"\{(=[^{}]+|[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)?)\}")

_ID = re.compile(r"[a-z][a-z0-9_]*")
_KEY = re.compile(r"[a-z0-9][a-z0-9_]*")
_SPEC_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
_QUESTION_KEYS = frozenset(
    {
        "id", "prompt", "type", "label", "required", "min", "max", "min_len", "max_len", "pattern",
        "pattern_hint", "transform", "options", "parts", "when", "checks", "hint", "accept",
        "max_size_mb", "section", "unit_kinds", "prefill", "group_members_only",
    }
)  # fmt: skip
_SPEC_KEYS = frozenset({"id", "version", "title", "description", "period_text", "registration", "questions"})

Bound = int | float | str | tuple[str, ...] | None
"""A min/max: a number, a date token ("today", "cutoff", …), a year token ("year", …), an ISO date,
or (dates only) a tuple of dates/tokens of which ``min`` takes the earliest and ``max`` the latest."""


class SpecError(ValueError):
    """A spec file is broken; ``str()`` names the file, the question and the reason."""

    def __init__(self, file: str, reason: str, question_id: str | None = None) -> None:
        self.file = file
        self.question_id = question_id
        self.reason = reason
        where = f"{file}: câu '{question_id}': " if question_id else f"{file}: "
        super().__init__(where + reason)


@dataclass(frozen=True)
class Option:
    """One choice of a choice/multichoice question; the key is what gets stored.

    ``unit_kinds`` limits the option to units of those kinds (a commune signs "TM. UBND", a
    department "KT. Giám đốc"); empty means every unit is offered it. ``group_members_only``
    withholds it from units known to belong to no cụm/khối (Cờ thi đua of the province)."""

    key: str
    label: str
    unit_kinds: tuple[str, ...] = ()
    group_members_only: bool = False

    @property
    def limited(self) -> bool:
        return bool(self.unit_kinds) or self.group_members_only

    def offered_to(self, kind: str | None, in_group: bool | None = None) -> bool:
        """Whether a unit of this (canonical) kind and membership is offered the option
        (unknown kind or membership: offered)."""
        if kind is not None and self.unit_kinds and kind not in self.unit_kinds:
            return False
        return not (self.group_members_only and in_group is False)


@dataclass(frozen=True)
class Part:
    """One integer of a "numbers" question (e.g. tập thể / cá nhân / hộ gia đình)."""

    key: str
    label: str


@dataclass(frozen=True)
class Check:
    """A cross-field rule that must hold; ``warn`` only informs, ``error`` blocks the answer."""

    rule: str
    message: str
    level: str = "error"


@dataclass(frozen=True)
class Question:
    """One question of a form. Only the fields relevant to its ``type`` are set."""

    id: str
    prompt: str
    type: str
    label: str = ""
    required: bool = True
    min: Bound = None
    max: Bound = None
    min_len: int | None = None
    max_len: int | None = None
    pattern: str | None = None
    pattern_hint: str | None = None
    transform: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    parts: tuple[Part, ...] = ()
    when: str | None = None
    checks: tuple[Check, ...] = ()
    hint: str | None = None
    accept: tuple[str, ...] = ()
    max_size_mb: float | None = None
    section: str | None = None
    unit_kinds: tuple[str, ...] = ()
    prefill: str | None = None
    """The registration's question whose answer a new draft starts with (``dang_ky.<id>``)."""
    group_members_only: bool = False
    """Asked only of units that belong to a cụm/khối thi đua (Cờ thi đua goes to the units
    leading one), or whose membership is unknown."""

    @property
    def short_label(self) -> str:
        """The summary label: ``label``, else the prompt's first sentence, shortened."""
        if self.label:
            return self.label
        first = re.split(r"(?<=[?.:])\s", self.prompt.strip(), maxsplit=1)[0]
        return first if len(first) <= 70 else first[:69].rstrip() + "…"

    def offered_to(self, kind: str | None, in_group: bool | None = None) -> Question:
        """The question as a unit of this (canonical) kind and cụm/khối membership is asked
        it: only the options offered to it, numbered as listed. A unit none of the options is
        offered to gets every option: it is never left at a question it cannot answer."""
        if not any(option.limited for option in self.options):
            return self
        offered = tuple(option for option in self.options if option.offered_to(kind, in_group))
        if len(offered) == len(self.options) or not offered:
            return self
        return replace(self, options=offered)


@dataclass(frozen=True)
class FormSpec:
    """A whole form: identity (id + version are stored with every session and submission)."""

    id: str
    version: int
    title: str
    description: str
    questions: tuple[Question, ...]
    period_text: str = ""
    registration: str | None = None
    """The form id of the unit's registration, which ``dang_ky.<id>`` reads (same year)."""
    source: str = ""
    _by_id: Mapping[str, Question] = field(
        init=False, repr=False, compare=False, default_factory=lambda: MappingProxyType({})
    )
    _index: Mapping[str, int] = field(
        init=False, repr=False, compare=False, default_factory=lambda: MappingProxyType({})
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", MappingProxyType({q.id: q for q in self.questions}))
        # Looked up several times per answer: a dict, not tuple.index (which compares whole questions).
        object.__setattr__(self, "_index", MappingProxyType({q.id: i for i, q in enumerate(self.questions)}))

    def question(self, question_id: str) -> Question:
        """The question with this id (KeyError if the spec has none)."""
        return self._by_id[question_id]

    def has(self, question_id: str) -> bool:
        return question_id in self._by_id

    def index(self, question_id: str) -> int:
        """Position of the question in the form (0-based)."""
        return self._index[question_id]

    @property
    def asks_by_group(self) -> bool:
        """Whether some question or option depends on the unit belonging to a cụm/khối."""
        return any(q.group_members_only or any(o.group_members_only for o in q.options) for q in self.questions)

    def registration_reads(self) -> dict[str, str]:
        """Every registration question this form reads (``dang_ky.<id>`` in a check, a
        message, a prompt or a prefill) → where, for the cross-form check of :func:`load_specs`."""
        reads: dict[str, str] = {}
        for question in self.questions:
            texts = [question.prompt, question.hint or "", *(c.message for c in question.checks)]
            sources = [c.rule for c in question.checks]
            sources += [p[1:] for text in texts for p in PLACEHOLDER.findall(text) if p.startswith("=")]
            names = [ref.part for src in sources for ref in compile_expression(src).refs
                     if ref.name == REGISTRATION and ref.part]
            names += [p.partition(".")[2] for text in texts for p in PLACEHOLDER.findall(text)
                      if p.startswith(REGISTRATION + ".")]
            if question.prefill:
                names.append(question.prefill)
            for name in names:
                reads.setdefault(name, question.id)
        return reads

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions)


def default_specs_dir() -> Path:
    """The specs shipped with the package (bot/forms/specs)."""
    return Path(__file__).resolve().parent / "specs"


def load_spec(path: str | Path) -> FormSpec:
    """Read and validate one YAML spec file (raises :class:`SpecError`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(path.name, f"không đọc được tệp ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(path.name, f"YAML không hợp lệ: {exc}") from None
    return parse_spec(data, path.name)


def load_specs(directory: str | Path | None = None) -> dict[str, FormSpec]:
    """All ``*.yaml``/``*.yml`` specs of a directory (default: the shipped ones), by form id."""
    directory = Path(directory) if directory is not None else default_specs_dir()
    specs: dict[str, FormSpec] = {}
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        spec = load_spec(path)
        if spec.id in specs:
            raise SpecError(path.name, f"mã biểu mẫu '{spec.id}' trùng với tệp {specs[spec.id].source}")
        specs[spec.id] = spec
    for spec in specs.values():
        _check_registration_reads(spec, specs)
    return specs


def _check_registration_reads(spec: FormSpec, specs: Mapping[str, FormSpec]) -> None:
    """What a form reads of the registration exists there, and is a number (checks compare it)
    or, for a prefill, of the prefilled question's own type."""
    reads = spec.registration_reads()
    if not reads or spec.registration is None:
        return
    registration = specs.get(spec.registration)
    if registration is None:
        raise SpecError(spec.source, f"'registration': không có biểu mẫu '{spec.registration}'")
    for question in spec.questions:
        source = registration.question(question.prefill) if question.prefill and registration.has(question.prefill) else None
        if source is not None and source.type != question.type:
            raise SpecError(spec.source, f"'prefill': câu '{source.id}' của '{registration.id}' là loại {source.type}, "
                                         f"không phải {question.type}", question.id)
    for name, qid in reads.items():
        if not registration.has(name):
            raise SpecError(spec.source, f"'{REGISTRATION}.{name}': biểu mẫu '{registration.id}' không có câu này", qid)
        source = registration.question(name)
        if TYPES[source.type].bounds != "number" or TYPES[source.type].year_bounds:
            raise SpecError(spec.source, f"'{REGISTRATION}.{name}': câu của '{registration.id}' không phải câu số", qid)


def parse_spec(data: Any, file: str = "<spec>") -> FormSpec:
    """Build and validate a :class:`FormSpec` from already-parsed YAML data."""
    return _SpecBuilder(file).build(data)


_Labelled = TypeVar("_Labelled", "Option", "Part")
"""What :meth:`_SpecBuilder._labelled` builds: the options of a choice or the parts of a
numbers question, each a (key, label) pair of its own class."""


class _SpecBuilder:
    """Validation with error messages that name the file and the question."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.registration: str | None = None

    def fail(self, reason: str, question_id: str | None = None) -> SpecError:
        return SpecError(self.file, reason, question_id)

    def build(self, data: Any) -> FormSpec:
        if not isinstance(data, dict):
            raise self.fail("nội dung phải là một bảng (id, version, title, questions)")
        unknown = sorted(set(data) - _SPEC_KEYS)
        if unknown:
            raise self.fail(f"khóa không hợp lệ: {', '.join(map(str, unknown))}")
        spec_id = data.get("id")
        if not isinstance(spec_id, str) or not _SPEC_ID.fullmatch(spec_id):
            raise self.fail("thiếu 'id' hoặc 'id' không hợp lệ (chữ thường, số, dấu '-')")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise self.fail("'version' phải là số nguyên ≥ 1")
        title = data.get("title")
        if not isinstance(title, str) or not title.strip():
            raise self.fail("thiếu 'title'")
        description = self._optional_str(data, "description") or ""
        period_text = self._optional_str(data, "period_text") or ""
        registration = self._optional_str(data, "registration")
        if registration is not None and not _SPEC_ID.fullmatch(registration):
            raise self.fail("'registration' phải là mã một biểu mẫu (vd: dang-ky-thi-dua)")
        self.registration = registration
        raw_questions = data.get("questions")
        if not isinstance(raw_questions, list) or not raw_questions:
            raise self.fail("'questions' phải là danh sách câu hỏi, không rỗng")

        questions: list[Question] = []
        section: str | None = None
        for position, raw in enumerate(raw_questions, 1):
            question = self._question(raw, position, questions, section)
            section = question.section
            questions.append(question)
        for placeholder in PLACEHOLDER.findall(period_text):
            if placeholder not in CONTEXT_PLACEHOLDERS - {"ky"}:
                raise self.fail(f"period_text: chỗ điền '{{{placeholder}}}' không hợp lệ")
        return FormSpec(
            id=spec_id,
            version=version,
            title=title.strip(),
            description=description.strip(),
            questions=tuple(questions),
            period_text=period_text.strip(),
            registration=registration,
            source=self.file,
        )

    def _optional_str(self, data: Mapping[str, Any], key: str, qid: str | None = None) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(f"'{key}' phải là văn bản", qid)
        return value.strip()

    def _question(self, raw: Any, position: int, earlier: list[Question], section: str | None) -> Question:
        if not isinstance(raw, dict):
            raise self.fail(f"câu thứ {position} phải là một bảng (id, type, prompt, …)")
        qid = raw.get("id")
        if not isinstance(qid, str) or not _ID.fullmatch(qid):
            raise self.fail(f"câu thứ {position}: thiếu 'id' hoặc 'id' không hợp lệ (chữ thường, số, '_')")
        if qid in RESERVED_NAMES or qid == REGISTRATION:
            raise self.fail(f"'{qid}' là từ dành riêng, không dùng làm mã câu hỏi", qid)
        if any(q.id == qid for q in earlier):
            raise self.fail("mã câu hỏi bị trùng", qid)
        unknown = sorted(set(raw) - _QUESTION_KEYS)
        if unknown:
            raise self.fail(f"khóa không hợp lệ: {', '.join(map(str, unknown))}", qid)
        qtype = raw.get("type")
        # isinstance first: it narrows the type for what follows, and a list or a mapping
        # (unhashable) gets this message instead of a TypeError from the lookup.
        if not isinstance(qtype, str) or qtype not in TYPES:
            raise self.fail(
                f"loại câu hỏi '{qtype}' không hợp lệ (dùng: {', '.join(sorted(TYPES))})", qid
            )
        prompt = self._optional_str(raw, "prompt", qid)
        if not prompt:
            raise self.fail("thiếu 'prompt'", qid)
        required = raw.get("required", True)
        if not isinstance(required, bool):
            raise self.fail("'required' phải là true hoặc false", qid)

        kind = TYPES[qtype]
        with_options = kind.labelled == "options"
        options = self._labelled(raw, "options", qid, Option) if with_options else ()
        if with_options and not options:
            raise self.fail(f"câu loại {qtype} cần danh sách 'options'", qid)
        if not with_options and "options" in raw:
            raise self.fail(f"chỉ câu loại {_types_with('options')} mới có 'options'", qid)
        with_parts = kind.labelled == "parts"
        parts = self._labelled(raw, "parts", qid, Part) if with_parts else ()
        if with_parts and len(parts) < 2:
            raise self.fail(f"câu loại {qtype} cần ít nhất 2 'parts'", qid)
        if not with_parts and "parts" in raw:
            raise self.fail(f"chỉ câu loại {_types_with('parts')} mới có 'parts'", qid)

        low, high = self._bounds(raw, qtype, qid)
        min_len, max_len, pattern, transform = self._text_rules(raw, qtype, qid)
        accept, max_size = self._file_rules(raw, qtype, qid)
        unit_kinds = self._unit_kinds(raw, qid)
        prefill = self._prefill(raw, qid)
        group_members_only = raw.get("group_members_only", False)
        if not isinstance(group_members_only, bool):
            raise self.fail("'group_members_only' phải là true hoặc false", qid)

        question = Question(
            id=qid,
            prompt=prompt,
            type=qtype,
            label=self._optional_str(raw, "label", qid) or "",
            required=required,
            min=low,
            max=high,
            min_len=min_len,
            max_len=max_len,
            pattern=pattern,
            pattern_hint=self._optional_str(raw, "pattern_hint", qid),
            transform=transform,
            options=options,
            parts=parts,
            when=self._optional_str(raw, "when", qid),
            checks=self._checks(raw, qid),
            hint=self._optional_str(raw, "hint", qid),
            accept=accept,
            max_size_mb=max_size,
            section=self._optional_str(raw, "section", qid) or section,
            unit_kinds=unit_kinds,
            prefill=prefill,
            group_members_only=group_members_only,
        )
        self._references(question, earlier)
        self._options_for_every_kind(question)
        return question

    def _prefill(self, raw: Mapping[str, Any], qid: str) -> str | None:
        value = self._optional_str(raw, "prefill", qid)
        if value is None:
            return None
        name, dot, part = value.partition(".")
        if name != REGISTRATION or not dot or not _ID.fullmatch(part):
            raise self.fail(f"'prefill' phải có dạng {REGISTRATION}.<mã câu của bản đăng ký>", qid)
        if self.registration is None:
            raise self.fail("'prefill': biểu mẫu chưa khai 'registration' (biểu mẫu đăng ký thi đua)", qid)
        return part

    def _unit_kinds(self, raw: Mapping[str, Any], qid: str, where: str = "") -> tuple[str, ...]:
        """The canonical kinds listed under ``unit_kinds`` (of a question or of an option)."""
        kinds = raw.get("unit_kinds", [])
        if not isinstance(kinds, list) or not all(isinstance(k, str) and k.strip() for k in kinds):
            raise self.fail(f"{where}'unit_kinds' phải là danh sách loại đơn vị (vd: [xa, phuong, dac_khu])", qid)
        return tuple(dict.fromkeys(kind_key(k) for k in kinds))

    def _options_for_every_kind(self, question: Question) -> None:
        """Refuse an option limited to kinds the question is never asked of: no unit could
        ever choose it, so the kind is surely a typo."""
        if not question.unit_kinds:
            return
        asked = set(question.unit_kinds)
        for option in question.options:
            if option.unit_kinds and not asked & set(option.unit_kinds):
                raise self.fail(
                    f"mục '{option.key}' chỉ dành cho loại đơn vị {list(option.unit_kinds)}, "
                    f"nhưng câu chỉ hỏi loại {list(question.unit_kinds)}",
                    question.id,
                )

    def _labelled(self, raw: Mapping[str, Any], key: str, qid: str, cls: type[_Labelled]) -> tuple[_Labelled, ...]:
        items = raw.get(key)
        if not isinstance(items, list) or not items:
            raise self.fail(f"'{key}' phải là danh sách không rỗng", qid)
        result: list[_Labelled] = []
        allowed = {"key", "label", "unit_kinds", "group_members_only"} if cls is Option else {"key", "label"}
        for item in items:
            if isinstance(item, dict) and set(item) <= allowed:
                item_key, label = item.get("key"), item.get("label")
            else:
                shape = "{key: …, label: …, unit_kinds: […], …}" if cls is Option else "{key: …, label: …}"
                raise self.fail(f"mỗi mục của '{key}' phải có dạng {shape}", qid)
            if not isinstance(item_key, str) or not _KEY.fullmatch(item_key):
                raise self.fail(f"'{key}': mã '{item_key}' không hợp lệ (chữ thường, số, '_')", qid)
            if not isinstance(label, str) or not label.strip():
                raise self.fail(f"'{key}': mục '{item_key}' thiếu 'label'", qid)
            if item_key.isdigit():
                raise self.fail(f"'{key}': mã '{item_key}' không được chỉ gồm chữ số (trùng số thứ tự)", qid)
            if cls is Option:
                kinds = self._unit_kinds(item, qid, f"'{key}': mục '{item_key}': ")
                grouped = item.get("group_members_only", False)
                if not isinstance(grouped, bool):
                    raise self.fail(f"'{key}': mục '{item_key}': 'group_members_only' phải là true hoặc false", qid)
                result.append(cls(item_key, label.strip(), kinds, grouped))  # type: ignore[call-arg]
            else:
                result.append(cls(item_key, label.strip()))
        keys = [item.key for item in result]
        if len(set(keys)) != len(keys):
            raise self.fail(f"'{key}' có mã bị trùng", qid)
        return tuple(result)

    def _bounds(self, raw: Mapping[str, Any], qtype: str, qid: str) -> tuple[Bound, Bound]:
        bounds: list[Bound] = []
        for key in ("min", "max"):
            value = raw.get(key)
            if value is None:
                bounds.append(None)
            elif TYPES[qtype].bounds == "number":
                if isinstance(value, bool) or not isinstance(value, int | float | str):
                    raise self.fail(f"'{key}' phải là số", qid)
                if isinstance(value, str) and value not in YEAR_TOKENS:
                    raise self.fail(f"'{key}' phải là số hoặc một trong {sorted(YEAR_TOKENS)}", qid)
                bounds.append(value)
            elif TYPES[qtype].bounds == "date":
                bounds.append(self._date_bound(value, key, qid))
            else:
                raise self.fail(f"câu loại {qtype} không có '{key}'", qid)
        low, high = bounds
        kind = TYPES[qtype]
        if kind.bounds == "number":
            year_tokens = [b for b in bounds if isinstance(b, str)]
            if year_tokens and not kind.year_bounds:
                raise self.fail(f"'{year_tokens[0]}' chỉ dùng làm min/max cho câu loại year", qid)
            if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
                raise self.fail(f"min ({low}) lớn hơn max ({high})", qid)
            if kind.integral and any(isinstance(b, float) for b in bounds):
                raise self.fail("min/max của câu số nguyên phải là số nguyên", qid)
        if kind.bounds == "date" and low is not None and high is not None:
            self._date_range_never_empty(low, high, qid)
        return low, high

    def _date_bound(self, value: Any, key: str, qid: str) -> str | tuple[str, ...]:
        """One date or token, or a list of them: a list widens the range (``min`` the earliest
        of them, ``max`` the latest), which is how a range tied to the period is kept open."""
        items = value if isinstance(value, list) else [value]
        result: list[str] = []
        for item in items:
            if isinstance(item, date):
                result.append(item.isoformat())
            elif isinstance(item, str) and (item in DATE_TOKENS or _is_iso_date(item)):
                result.append(item)
            else:
                result = []
                break
        if not result:
            raise self.fail(
                f"'{key}' của câu ngày phải là ngày YYYY-MM-DD, một trong {sorted(DATE_TOKENS)} "
                "hoặc một danh sách các giá trị đó",
                qid,
            )
        return tuple(result) if isinstance(value, list) else result[0]

    def _date_range_never_empty(self, low: Bound, high: Bound, qid: str) -> None:
        """Refuse a min/max pair that some period and day would make empty.

        Today and the period's dates move independently (a period of next year can be opened
        this year), so a range between them can hold no date at all and the question could
        never be answered. The range is accepted only if some candidate of ``min`` is known to
        come no later than some candidate of ``max`` whatever the day and the period.
        """
        lows = low if isinstance(low, tuple) else (str(low),)
        highs = high if isinstance(high, tuple) else (str(high),)
        if any(_surely_ordered(a, b) for a in lows for b in highs):
            return
        if all(_is_iso_date(b) for b in (*lows, *highs)):
            raise self.fail(f"min ({min(lows)}) sau max ({max(highs)})", qid)
        raise self.fail(
            f"khoảng ngày có thể rỗng: min {list(lows)} có thể sau max {list(highs)} "
            "(ví dụ kỳ báo cáo của năm sau, hoặc ngày chốt sau hôm nay); "
            "thêm vào min một giá trị không thể sau max, ví dụ min: [year_start, today]",
            qid,
        )

    def _text_rules(
        self, raw: Mapping[str, Any], qtype: str, qid: str
    ) -> tuple[int | None, int | None, str | None, tuple[str, ...]]:
        if not TYPES[qtype].text_rules:
            for key in ("min_len", "max_len", "pattern", "pattern_hint", "transform"):
                if key in raw:
                    raise self.fail(f"chỉ câu loại text mới có '{key}'", qid)
            return None, None, None, ()
        lengths: list[int | None] = []
        for key in ("min_len", "max_len"):
            value = raw.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise self.fail(f"'{key}' phải là số nguyên không âm", qid)
            lengths.append(value)
        min_len, max_len = lengths
        if min_len is not None and max_len is not None and min_len > max_len:
            raise self.fail(f"min_len ({min_len}) lớn hơn max_len ({max_len})", qid)
        pattern = raw.get("pattern")
        if pattern is not None:
            if not isinstance(pattern, str):
                raise self.fail("'pattern' phải là văn bản", qid)
            try:
                re.compile(pattern)
            except re.error as exc:
                raise self.fail(f"biểu thức chính quy '{pattern}' không hợp lệ ({exc})", qid) from None
        transform = raw.get("transform", [])
        if isinstance(transform, str):
            transform = [transform]
        if not isinstance(transform, list) or not set(transform) <= TRANSFORMS:
            raise self.fail(f"'transform' chỉ gồm: {', '.join(sorted(TRANSFORMS))}", qid)
        return min_len, max_len, pattern, tuple(transform)

    def _file_rules(
        self, raw: Mapping[str, Any], qtype: str, qid: str
    ) -> tuple[tuple[str, ...], float | None]:
        if not TYPES[qtype].file:
            for key in ("accept", "max_size_mb"):
                if key in raw:
                    raise self.fail(f"chỉ câu loại file mới có '{key}'", qid)
            return (), None
        accept = raw.get("accept", list(DEFAULT_ACCEPT))
        if not isinstance(accept, list) or not accept or not all(isinstance(a, str) for a in accept):
            raise self.fail("'accept' phải là danh sách đuôi tệp (vd: [pdf, docx])", qid)
        normalized = tuple(dict.fromkeys(a.strip().lower().lstrip(".") for a in accept))
        if not all(re.fullmatch(r"[a-z0-9]{1,8}", a) for a in normalized):
            raise self.fail("'accept': đuôi tệp không hợp lệ", qid)
        size = raw.get("max_size_mb", DEFAULT_MAX_SIZE_MB)
        if isinstance(size, bool) or not isinstance(size, int | float) or size <= 0:
            raise self.fail("'max_size_mb' phải là số dương", qid)
        return normalized, float(size)

    def _checks(self, raw: Mapping[str, Any], qid: str) -> tuple[Check, ...]:
        items = raw.get("checks", [])
        if not isinstance(items, list):
            raise self.fail("'checks' phải là danh sách", qid)
        checks = []
        for item in items:
            if not isinstance(item, dict) or not set(item) <= {"rule", "message", "level"}:
                raise self.fail("mỗi kiểm tra cần dạng {rule: …, message: …, level: error|warn}", qid)
            rule, message, level = item.get("rule"), item.get("message"), item.get("level", "error")
            if not isinstance(rule, str) or not rule.strip():
                raise self.fail("kiểm tra thiếu 'rule'", qid)
            if not isinstance(message, str) or not message.strip():
                raise self.fail(f"kiểm tra '{rule}' thiếu 'message'", qid)
            if level not in CHECK_LEVELS:
                raise self.fail(f"kiểm tra '{rule}': 'level' phải là error hoặc warn", qid)
            checks.append(Check(rule.strip(), message.strip(), level))
        return tuple(checks)

    # --- references ---------------------------------------------------------------------------

    def _references(self, question: Question, earlier: list[Question]) -> None:
        """`when` may use earlier answers; checks and messages also the question itself."""
        before = {q.id: q for q in earlier}
        with_self = {**before, question.id: question}
        if question.when:
            self._expression(question.when, "when", before, question.id)
        for check in question.checks:
            self._expression(check.rule, "checks", with_self, question.id)
            self._placeholders(check.message, "message", with_self, question.id)
        for name, text in (
            ("prompt", question.prompt),
            ("hint", question.hint),
            ("pattern_hint", question.pattern_hint),
        ):
            if text:
                self._placeholders(text, name, before, question.id)

    def _expression(self, source: str, where: str, visible: Mapping[str, Question], qid: str) -> Expression:
        try:
            expression = compile_expression(source)
        except ExpressionError as exc:
            raise self.fail(f"{where}: {exc}", qid) from None
        registration = {}
        for ref in expression.refs:
            if ref.name == REGISTRATION and where != "when":
                if self.registration is None:
                    raise self.fail(f"{where}: '{ref}' cần khai 'registration' (biểu mẫu đăng ký thi đua)", qid)
                if ref.part is None:
                    raise self.fail(f"{where}: dùng '{REGISTRATION}.<mã câu>' để lấy một số của bản đăng ký", qid)
                registration[ref.part] = 1  # a number: what the cross-form check requires of it
                continue
            target = visible.get(ref.name)
            if target is None:
                raise self.fail(f"{where} tham chiếu '{ref.name}' chưa được hỏi trước đó", qid)
            if ref.part is not None:
                if TYPES[target.type].labelled != "parts":
                    raise self.fail(f"{where}: câu '{ref.name}' không có phần '{ref.part}'", qid)
                if ref.part not in {p.key for p in target.parts}:
                    raise self.fail(f"{where}: câu '{ref.name}' không có phần '{ref.part}'", qid)
        if expression.dates and where != "checks":
            raise self.fail(
                f"{where}: '{expression.dates[0]}' (ngày của kỳ báo cáo) chỉ dùng trong 'checks', "
                "so sánh với câu trả lời loại ngày", qid)
        try:
            samples: dict[str, Any] = {name: _sample(q) for name, q in visible.items()}
            samples.update(dict.fromkeys(expression.dates, _SAMPLE_DATE))
            expression.evaluate({**samples, REGISTRATION: registration} if registration else samples, strict=True)
        except ExpressionError as exc:
            raise self.fail(f"{where}: biểu thức '{source}' dùng sai kiểu giá trị ({exc})", qid) from None
        return expression

    def _placeholders(self, text: str, where: str, visible: Mapping[str, Question], qid: str) -> None:
        for placeholder in PLACEHOLDER.findall(text):
            if placeholder.startswith("="):
                self._expression(placeholder[1:].strip(), where, visible, qid)
            elif placeholder in CONTEXT_PLACEHOLDERS:
                continue
            elif placeholder.startswith(REGISTRATION + "."):
                if self.registration is None:
                    raise self.fail(f"{where}: '{{{placeholder}}}' cần khai 'registration' (biểu mẫu đăng ký thi đua)", qid)
            else:
                name, _, part = placeholder.partition(".")
                target = visible.get(name)
                if target is None:
                    raise self.fail(
                        f"{where}: chỗ điền '{{{placeholder}}}' tham chiếu câu chưa được hỏi", qid
                    )
                if part and (TYPES[target.type].labelled != "parts" or part not in {p.key for p in target.parts}):
                    raise self.fail(f"{where}: câu '{name}' không có phần '{part}'", qid)


def _surely_ordered(low: str, high: str) -> bool:
    """Whether date bound ``low`` is at or before ``high`` for every day and every period."""
    if low == high or (low, high) == ("year_start", "year_end"):
        return True
    return _is_iso_date(low) and _is_iso_date(high) and low <= high


def _is_iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


_SAMPLE_DATE = date(2026, 1, 1)
"""What ``cutoff``, ``today``… are when a check is type-checked at load time."""


def _sample(question: Question) -> Any:
    """A typical value of the question's type, to type-check expressions at load time."""
    return TYPES[question.type].sample(question)


def _types_with(labelled: str) -> str:
    """The types that take ``options`` (or ``parts``), for the message refusing them elsewhere."""
    return "/".join(name for name, t in TYPES.items() if t.labelled == labelled)
