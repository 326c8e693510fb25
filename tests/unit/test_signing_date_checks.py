"""Issue 15: a report signed before the period's data cut-off is sent back by the văn thư
(TDKT.md review list: "signing date ≥ cut-off (warning)"). Check expressions may therefore name
the period's dates (``cutoff``, ``period_start``, ``today``…) and compare them with a date answer;
a period without the date makes the check pass; any other use is refused when the spec is
loaded."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from bot.forms.expressions import DATE_NAMES, ExpressionError, compile_expression, evaluate, names, passes
from bot.forms.spec import DATE_TOKENS, SpecError, parse_spec

CUTOFF = date(2026, 6, 14)

# --- the expression language --------------------------------------------------------------


@pytest.mark.parametrize(
    ("signed", "cutoff", "result"),
    [
        ("2026-06-13", CUTOFF, False),  # before the cut-off: the check fails
        ("2026-06-14", CUTOFF, True),  # on it
        ("2026-06-17", CUTOFF, True),  # after it
        ("2026-06-13", None, None),  # the period has no cut-off: not applicable
        (None, CUTOFF, None),  # not answered yet
    ],
)
def test_a_date_answer_compares_with_the_cutoff(signed: str | None, cutoff: date | None, result: bool | None) -> None:
    values = {"ngay_ky": signed, "cutoff": cutoff}
    assert evaluate("ngay_ky >= cutoff", values, strict=True) is result
    assert evaluate("cutoff <= ngay_ky", values, strict=True) is result  # either side
    assert passes(evaluate("ngay_ky >= cutoff", values)) is (result is not False)


def test_the_period_dates_in_chains_equalities_and_with_date_texts() -> None:
    values = {"ngay": "2026-03-01", "period_start": date(2025, 12, 15), "cutoff": CUTOFF}
    assert evaluate("period_start <= ngay <= cutoff", values, strict=True) is True
    assert evaluate("period_start <= ngay <= cutoff", {**values, "ngay": "2026-07-01"}, strict=True) is False
    assert evaluate("ngay == cutoff", {**values, "ngay": "2026-06-14"}, strict=True) is True
    assert evaluate("ngay != cutoff", values, strict=True) is True
    assert evaluate("cutoff > '2026-01-01'", values, strict=True) is True
    assert evaluate("today >= cutoff", {"today": datetime(2026, 6, 18, 9, 30), "cutoff": CUTOFF}) is True
    assert evaluate("ngay_ky >= cutoff", {"ngay_ky": "2026-06-13"}) is None  # dates not given: passes


def test_the_period_dates_are_not_answer_ids() -> None:
    expression = compile_expression("period_start <= ngay_ky <= cutoff")
    assert names("period_start <= ngay_ky <= cutoff") == ["ngay_ky"]
    assert expression.dates == ("period_start", "cutoff")
    assert DATE_NAMES == DATE_TOKENS  # the same tokens as a date question's min/max


@pytest.mark.parametrize(
    "source",
    ["cutoff + 1 >= ngay_ky", "ngay_ky >= cutoff - 1", "not cutoff", "cutoff", "cutoff and ngay_ky",
     "cutoff in [1, 2]", "ngay_ky in cutoff", "cutoff.year == 2026", "len(cutoff) > 1", "sum(today) > 0", "-today < 1"],
)
def test_a_period_date_is_only_compared(source: str) -> None:
    with pytest.raises(ExpressionError, match="là một ngày của kỳ báo cáo, chỉ dùng làm một vế của phép so sánh"):
        compile_expression(source)


@pytest.mark.parametrize("other", [1, 2.5, "văn bản", "0912345678", ["a"], {"a": 1}, True])
def test_a_period_date_against_something_not_a_date_is_a_type_misuse(other: Any) -> None:
    with pytest.raises(ExpressionError, match="chỉ so sánh được với câu trả lời loại ngày"):
        evaluate("x >= cutoff", {"x": other, "cutoff": CUTOFF}, strict=True)
    assert evaluate("x >= cutoff", {"x": other, "cutoff": CUTOFF}) is None  # never crashes a chat


# --- spec loading -------------------------------------------------------------------------

SIGNED = {"id": "ngay_ky", "type": "date", "prompt": "Ngày ký?"}
COUNT = {"id": "tong", "type": "integer", "prompt": "Tổng số?"}
NAME = {"id": "ten", "type": "text", "prompt": "Tên?"}


def _spec(*questions: dict[str, Any]) -> dict[str, Any]:
    return {"id": "thu", "version": 1, "title": "Thử", "questions": list(questions)}


def _check(rule: str, message: str = "Ký trước ngày chốt ({cutoff}).") -> dict[str, Any]:
    return {"checks": [{"rule": rule, "message": message, "level": "warn"}]}


def _error(*questions: dict[str, Any]) -> str:
    with pytest.raises(SpecError) as info:
        parse_spec(_spec(*questions), "thu.yaml")
    return str(info.value)


def test_a_check_comparing_a_date_answer_with_the_period_loads() -> None:
    spec = parse_spec(_spec(SIGNED, {**COUNT, **_check("ngay_ky >= cutoff and ngay_ky <= today")}), "thu.yaml")
    assert spec.question("tong").checks[0].rule == "ngay_ky >= cutoff and ngay_ky <= today"
    parse_spec(_spec({**SIGNED, **_check("period_start <= ngay_ky <= year_end")}), "thu.yaml")


def test_arithmetic_with_the_cutoff_is_refused_at_load() -> None:
    message = _error({**SIGNED, **_check("ngay_ky >= cutoff + 1")})
    assert message.startswith("thu.yaml: câu 'ngay_ky': checks: biểu thức 'ngay_ky >= cutoff + 1' không hợp lệ: "
                              "'cutoff' là một ngày của kỳ báo cáo, chỉ dùng làm một vế của phép so sánh")


@pytest.mark.parametrize(("question", "rule"), [(COUNT, "tong >= cutoff"), (NAME, "ten < today"),
                                                (COUNT, "cutoff == 5")])
def test_comparing_a_period_date_with_an_answer_not_a_date_is_refused_at_load(question: dict[str, Any], rule: str) -> None:
    message = _error({**question, **_check(rule)})
    assert message.startswith(f"thu.yaml: câu '{question['id']}': checks: biểu thức '{rule}' dùng sai kiểu giá trị")
    assert "chỉ so sánh được với câu trả lời loại ngày" in message


def test_a_period_date_outside_checks_is_refused_at_load() -> None:
    message = _error(SIGNED, {**COUNT, "when": "ngay_ky >= cutoff"})
    assert message == ("thu.yaml: câu 'tong': when: 'cutoff' (ngày của kỳ báo cáo) chỉ dùng trong 'checks', "
                       "so sánh với câu trả lời loại ngày")
    message = _error({**SIGNED, **_check("ngay_ky >= cutoff", "Kết quả {= ngay_ky >= cutoff}.")})
    assert "message: 'cutoff' (ngày của kỳ báo cáo) chỉ dùng trong 'checks'" in message


@pytest.mark.parametrize("qid", sorted(DATE_NAMES))
def test_no_question_is_called_by_a_period_date(qid: str) -> None:
    assert "là từ dành riêng" in _error({**SIGNED, "id": qid})
