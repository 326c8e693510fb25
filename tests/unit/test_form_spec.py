"""Spec loading and the expression language: broken specs are refused with a precise message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.forms.expressions import ExpressionError, compile_expression, evaluate, holds, names, passes
from bot.forms.spec import FormSpec, SpecError, load_spec, load_specs, parse_spec

# --- expressions ------------------------------------------------------------------------------


def test_arithmetic_comparison_and_logic() -> None:
    values = {"a": 3, "b": 12, "c": 5}
    assert evaluate("a + b * 2 - c / 5", values) == 26
    assert evaluate("a <= b <= 20", values) is True
    assert evaluate("a < b < c", values) is False
    assert evaluate("a > 1 and not (b == 3)", values) is True
    assert evaluate("a > 5 or c == 5", values) is True
    assert evaluate("-a + +b", values) == 9


def test_parts_sum_and_len() -> None:
    values = {"gk": {"tap_the": 3, "ca_nhan": 12}, "hc": {"tap_the": 1, "ca_nhan": 2}, "co": 1, "t": "abc"}
    assert evaluate("gk.ca_nhan + hc.ca_nhan", values) == 14
    assert evaluate("sum(gk, hc, co)", values) == 19
    assert evaluate("sum(gk.ca_nhan, hc.ca_nhan)", values) == 14
    assert evaluate("len(t)", values) == 3


def test_in_with_literals_and_multichoice() -> None:
    values = {"k": "xa", "m": ["tt_ldtt", "co_tinh"]}
    assert evaluate("k in ['xa', 'phuong']", values) is True
    assert evaluate("k not in ('xa',)", values) is False
    assert evaluate("'co_tinh' in m", values) is True
    assert evaluate("'tt_ldxs' not in m", values) is True


def test_missing_values_are_not_applicable() -> None:
    assert evaluate("a <= b", {"a": 3}) is None
    assert evaluate("a + 1 > 2", {}) is None
    assert evaluate("a > 1 and b > 1", {"a": 0}) is False  # a definite False decides an `and`
    assert evaluate("a > 1 or b > 1", {"a": 5}) is True
    assert evaluate("a > 1 and b > 1", {"a": 5}) is None
    assert evaluate("not a", {}) is None
    assert evaluate("x.part == 1", {"x": None}) is None
    assert passes(None) and not holds(None)
    assert passes(True) and holds(True)
    assert not passes(False) and not holds(False)


def test_sum_ignores_skipped_and_division_by_zero_is_not_applicable() -> None:
    assert evaluate("sum(a, b, c)", {"a": 1, "b": None, "c": {"x": 2, "y": None}}) == 3
    assert evaluate("sum(a, b)", {}) is None
    assert evaluate("a / b", {"a": 1, "b": 0}) is None


def test_names() -> None:
    assert names("dk_ca_nhan <= tong_cbcc and kt.ca_nhan >= 0 and sum(kt, a) > tong_cbcc") == [
        "dk_ca_nhan",
        "tong_cbcc",
        "kt",
        "a",
    ]


@pytest.mark.parametrize(
    "source",
    [
        "__import__('os')",
        "__import__('os').system('ls')",
        "open('x')",
        "max(a, b)",
        "a.b.c",
        "(a + b).c",
        "sum(a, b).real",
        "a.__class__",
        "_secret > 1",
        "a[0]",
        "a ** 2",
        "a % 2",
        "a // 2",
        "lambda: 1",
        "[x for x in a]",
        "a if b else c",
        "a is None",
        "f'{a}'",
        "sum(*a)",
        "len(a, b)",
        "sum()",
        "len(x=a)",
        "a in b + c",
        "a := 1",
        "None",
        "sum",
        "import os",
        "a >",
        "",
    ],
)
def test_whitelist_rejects(source: str) -> None:
    with pytest.raises(ExpressionError):
        compile_expression(source)


def test_strict_mode_reports_type_misuse() -> None:
    with pytest.raises(ExpressionError):
        evaluate("t + 1", {"t": "văn bản"}, strict=True)
    with pytest.raises(ExpressionError):
        evaluate("kt > 1", {"kt": {"a": 1}}, strict=True)
    assert evaluate("t + 1", {"t": "văn bản"}) is None  # never crashes a chat


# --- spec loading -----------------------------------------------------------------------------


def _spec(*questions: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"id": "thu-nghiem", "version": 1, "title": "Biểu mẫu thử", "questions": list(questions), **top}


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(SpecError) as info:
        parse_spec(data, "thu.yaml")
    return str(info.value)


A = {"id": "tong_cbcc", "type": "integer", "prompt": "Tổng số?"}


def test_minimal_spec_loads() -> None:
    spec = parse_spec(_spec(A, {"id": "ghi_chu", "type": "text", "prompt": "Ghi chú?", "required": False}))
    assert isinstance(spec, FormSpec)
    assert spec.ids == ("tong_cbcc", "ghi_chu")
    assert spec.question("ghi_chu").required is False
    assert spec.index("ghi_chu") == 1


def test_section_is_inherited() -> None:
    spec = parse_spec(
        _spec(
            {**A, "section": "I. Kết quả"},
            {"id": "b", "type": "integer", "prompt": "B?"},
            {"id": "c", "type": "integer", "prompt": "C?", "section": "II. Đánh giá"},
        )
    )
    assert [q.section for q in spec.questions] == ["I. Kết quả", "I. Kết quả", "II. Đánh giá"]


def test_duplicate_id() -> None:
    message = _error(_spec(A, A))
    assert message == "thu.yaml: câu 'tong_cbcc': mã câu hỏi bị trùng"


def test_unknown_type() -> None:
    message = _error(_spec({"id": "x", "type": "money", "prompt": "?"}))
    assert message.startswith("thu.yaml: câu 'x': loại câu hỏi 'money' không hợp lệ")


def test_type_that_is_a_list_is_refused_with_the_message() -> None:
    """A list (unhashable) as the type gets the same message as an unknown name, not a TypeError."""
    message = _error(_spec({"id": "x", "type": ["integer"], "prompt": "?"}))
    assert message.startswith("thu.yaml: câu 'x': loại câu hỏi '['integer']' không hợp lệ")


def test_forward_reference_in_checks() -> None:
    message = _error(
        _spec(
            {
                "id": "dk_ca_nhan",
                "type": "integer",
                "prompt": "?",
                "checks": [{"rule": "dk_ca_nhan <= tong_cbcc", "message": "Quá tổng số."}],
            },
            A,
        )
    )
    assert message == "thu.yaml: câu 'dk_ca_nhan': checks tham chiếu 'tong_cbcc' chưa được hỏi trước đó"


def test_forward_reference_in_when_and_self_reference() -> None:
    assert "when tham chiếu 'b'" in _error(
        _spec({**A, "when": "b > 0"}, {"id": "b", "type": "integer", "prompt": "?"})
    )
    assert "when tham chiếu 'tong_cbcc'" in _error(_spec({**A, "when": "tong_cbcc > 0"}))


def test_forward_reference_in_prompt_placeholder() -> None:
    message = _error(
        _spec({**A, "prompt": "Trong {b} người?"}, {"id": "b", "type": "integer", "prompt": "?"})
    )
    assert "câu 'tong_cbcc'" in message and "{b}" in message


def test_unknown_part() -> None:
    parts = [{"key": "tap_the", "label": "tập thể"}, {"key": "ca_nhan", "label": "cá nhân"}]
    message = _error(
        _spec(
            {"id": "kt", "type": "numbers", "prompt": "?", "parts": parts},
            {**A, "checks": [{"rule": "tong_cbcc >= kt.ho_gia_dinh", "message": "x"}]},
        )
    )
    assert message == "thu.yaml: câu 'tong_cbcc': checks: câu 'kt' không có phần 'ho_gia_dinh'"


def test_type_misuse_caught_at_load() -> None:
    parts = [{"key": "tap_the", "label": "tập thể"}, {"key": "ca_nhan", "label": "cá nhân"}]
    message = _error(
        _spec(
            {"id": "kt", "type": "numbers", "prompt": "?", "parts": parts},
            {**A, "checks": [{"rule": "tong_cbcc >= kt", "message": "x"}]},
        )
    )
    assert "câu 'tong_cbcc'" in message and "sai kiểu" in message


def test_bad_regex() -> None:
    message = _error(_spec({"id": "so", "type": "text", "prompt": "?", "pattern": "^(\\d+$"}))
    assert message.startswith("thu.yaml: câu 'so': biểu thức chính quy")


def test_choice_without_options() -> None:
    message = _error(_spec({"id": "tq", "type": "choice", "prompt": "?"}))
    assert message.startswith("thu.yaml: câu 'tq': ")
    assert "options" in message


@pytest.mark.parametrize(
    ("question", "fragment"),
    [
        ({**A, "min": 10, "max": 1}, "min (10) lớn hơn max (1)"),
        ({**A, "min_len": 3}, "chỉ câu loại text"),
        ({"id": "t", "type": "text", "prompt": "?", "min_len": 9, "max_len": 2}, "min_len (9)"),
        ({**A, "requred": True}, "khóa không hợp lệ: requred"),
        ({**A, "required": "có"}, "'required'"),
        ({**A, "when": "__import__('os')"}, "chỉ được gọi hàm sum"),
        ({**A, "options": [{"key": "a", "label": "A"}]}, "'options'"),
        ({"id": "d", "type": "date", "prompt": "?", "max": "tomorrow"}, "'max' của câu ngày"),
        ({"id": "d", "type": "date", "prompt": "?", "min": "2026-12-31", "max": "2026-01-01"}, "sau max"),
        ({"id": "f", "type": "file", "prompt": "?", "max_size_mb": 0}, "'max_size_mb'"),
        ({"id": "f", "type": "file", "prompt": "?", "accept": []}, "'accept'"),
        ({"id": "n", "type": "numbers", "prompt": "?", "parts": [{"key": "a", "label": "A"}]}, "ít nhất 2"),
        (
            {"id": "c", "type": "choice", "prompt": "?", "options": [{"key": "a", "label": "A"}] * 2},
            "bị trùng",
        ),
        ({"id": "sum", "type": "integer", "prompt": "?"}, "dành riêng"),
        ({"id": "x", "type": "integer"}, "thiếu 'prompt'"),
        ({**A, "checks": [{"rule": "tong_cbcc > 0", "message": "x", "level": "info"}]}, "'level'"),
        ({**A, "checks": [{"rule": "tong_cbcc > 0"}]}, "thiếu 'message'"),
        ({**A, "prompt": "Tổng số {khong_co}?"}, "{khong_co}"),
        ({**A, "min": "year"}, "chỉ dùng làm min/max cho câu loại year"),
    ],
)
def test_question_errors_name_file_and_question(question: dict[str, Any], fragment: str) -> None:
    message = _error(_spec(question))
    assert message.startswith(f"thu.yaml: câu '{question['id']}': "), message
    assert fragment in message


def test_missing_id_names_position() -> None:
    assert _error(_spec(A, {"type": "integer", "prompt": "?"})).startswith("thu.yaml: câu thứ 2: thiếu 'id'")


@pytest.mark.parametrize(
    ("top", "fragment"),
    [
        ({"version": 0}, "'version'"),
        ({"title": ""}, "'title'"),
        ({"id": "Sai Mã"}, "'id'"),
        ({"questions": []}, "'questions'"),
        ({"extra": 1}, "khóa không hợp lệ: extra"),
    ],
)
def test_top_level_errors(top: dict[str, Any], fragment: str) -> None:
    message = _error({**_spec(A), **top})
    assert message.startswith("thu.yaml: ")
    assert fragment in message


def test_load_spec_from_file_and_yaml_error(tmp_path: Path) -> None:
    good = tmp_path / "thu.yaml"
    good.write_text(yaml.safe_dump(_spec(A), allow_unicode=True), encoding="utf-8")
    assert load_spec(good).id == "thu-nghiem"
    assert load_spec(good).source == "thu.yaml"

    broken = tmp_path / "hong.yaml"
    broken.write_text("id: x\nquestions: [\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"^hong\.yaml: YAML không hợp lệ"):
        load_spec(broken)


def test_load_specs_refuses_duplicate_form_ids(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(yaml.safe_dump(_spec(A), allow_unicode=True), encoding="utf-8")
    with pytest.raises(SpecError, match=r"^b\.yaml: mã biểu mẫu 'thu-nghiem' trùng"):
        load_specs(tmp_path)


def test_load_specs_by_id(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(_spec(A), allow_unicode=True), encoding="utf-8")
    (tmp_path / "b.yml").write_text(yaml.safe_dump(_spec(A, id="khac"), allow_unicode=True), encoding="utf-8")
    assert sorted(load_specs(tmp_path)) == ["khac", "thu-nghiem"]


@pytest.mark.parametrize(
    ("low", "high"),
    [("year_start", "today"), ("cutoff", "today"), ("period_start", "today"), ("today", "year_end"),
     ("2026-06-01", "today"), ("year_end", "year_start")],
)
def test_date_range_that_can_be_empty_is_refused(low: str, high: str) -> None:
    """A period whose year or cut-off lies after today made 'min: year_start, max: today' empty
    (01/01/2027 – 02/12/2026): such a pair must be refused when the spec loads, not at question 30."""
    message = _error(_spec({"id": "ngay_ky", "type": "date", "prompt": "?", "min": low, "max": high}))
    assert message.startswith("thu.yaml: câu 'ngay_ky': "), message
    assert "khoảng ngày có thể rỗng" in message


@pytest.mark.parametrize(
    ("low", "high"),
    [(["year_start", "today"], "today"), ("year_start", "year_end"), ("today", "today"),
     ("2026-01-01", "2026-12-31"), ("cutoff", None), (None, "today"), ("year_start", ["year_end", "today"])],
)
def test_date_range_that_is_never_empty_loads(low: Any, high: Any) -> None:
    question = {"id": "d", "type": "date", "prompt": "?", "min": low, "max": high}
    spec = parse_spec(_spec({k: v for k, v in question.items() if v is not None}), "thu.yaml")
    loaded = spec.question("d")
    assert loaded.min == (tuple(low) if isinstance(low, list) else low)


@pytest.mark.parametrize("bad", [[], ["year_start", "tomorrow"], [1, 2]])
def test_date_bound_list_must_name_known_dates(bad: Any) -> None:
    message = _error(_spec({"id": "d", "type": "date", "prompt": "?", "min": bad, "max": "today"}))
    assert "'min' của câu ngày" in message


def test_shipped_specs_load_with_never_empty_date_ranges() -> None:
    assert load_specs()
