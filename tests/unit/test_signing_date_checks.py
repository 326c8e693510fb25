"""Issue 15: a report signed before the period's data cut-off is sent back by the văn thư
(TDKT.md review list: "signing date ≥ cut-off (warning)"). Check expressions may therefore name
the period's dates (``cutoff``, ``period_start``, ``today``…) and compare them with a date answer;
a period without the date makes the check pass; any other use is refused when the spec is
loaded. Both report forms warn on ``ngay_ky`` — taken, confirmed by going on, said again on the
summary, never blocking."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest

from bot.forms import flow as f
from bot.forms.engine import FormContext, FormEngine
from bot.forms.expressions import DATE_NAMES, ExpressionError, compile_expression, evaluate, names, passes
from bot.forms.flow import Draft, FormFlow
from bot.forms.spec import DATE_TOKENS, SpecError, load_specs, parse_spec
from tests.unit.test_form_specs_shipped import (
    ANNUAL,
    ANNUAL_ANSWERS,
    SIX_MONTH_ANSWERS,
    SIX_MONTHS,
    answers_before,
)

SPECS = load_specs()
CUTOFF = date(2026, 6, 14)
WARNING = (
    "Ngày ký ({signed}) trước ngày chốt số liệu ({cutoff}): báo cáo ký trước khi số liệu được chốt. "
    "Đồng chí vui lòng kiểm tra lại ngày ký."
)

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


# --- the two report forms -------------------------------------------------------------------

FORMS = [
    ("bao-cao-6-thang", SIX_MONTHS, SIX_MONTH_ANSWERS, ("13/6/2026", "13/06/2026"), ("14/6/2026", "17/6/2026")),
    ("bao-cao-nam", ANNUAL, ANNUAL_ANSWERS, ("10/12", "10/12/2026"), ("14/12/2026", "15/12")),
]


def _finish(engine: FormEngine, ctx: FormContext, inputs: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    done = dict(answers)
    while (question := engine.next_question(done, ctx)) is not None:
        raw = inputs[question.id]
        done[question.id] = None if raw is None else engine.answer(question.id, raw, done, ctx).value
    return done


@pytest.mark.parametrize(("form", "ctx", "inputs", "before", "not_before"), FORMS)
def test_a_report_signed_before_the_cutoff_is_a_warning_confirmed_by_going_on(
    form: str, ctx: FormContext, inputs: dict[str, Any], before: tuple[str, str], not_before: tuple[str, ...]
) -> None:
    spec = SPECS[form]
    assert spec.version >= 4  # the check came with version 4
    engine = FormEngine(spec)
    answers = answers_before(engine, ctx, inputs, "ngay_ky")
    typed, shown = before
    assert ctx.cutoff is not None
    warning = WARNING.format(signed=shown, cutoff=ctx.cutoff.strftime("%d/%m/%Y"))
    flow = FormFlow(spec, ctx, buttons=True)
    step = flow.step(Draft(answers, history=tuple(answers), position="ngay_ky"), f.Typed(typed))
    assert step.save and step.draft.answers["ngay_ky"] == engine.answer("ngay_ky", typed, answers, ctx).value
    assert [type(r) for r in step.replies] == [f.Caution, f.Ask]  # taken; the next question follows
    assert step.replies[0].warnings == (warning,)  # type: ignore[union-attr]
    # the rest of the form goes through; the warning is said again on the summary, nothing blocks
    done = _finish(engine, ctx, inputs, dict(step.draft.answers))
    assert engine.final_errors(done, ctx) == []
    n = engine.number("ngay_ky", done, ctx)
    assert f"Câu {n} (Ngày ký): {warning}" in engine.final_warnings(done, ctx)
    sent, blocked = flow.submission(done)
    assert blocked is None and sent["ngay_ky"] == step.draft.answers["ngay_ky"]


@pytest.mark.parametrize(("form", "ctx", "inputs", "before", "not_before"), FORMS)
def test_a_report_signed_on_or_after_the_cutoff_or_without_one_has_no_warning(
    form: str, ctx: FormContext, inputs: dict[str, Any], before: tuple[str, str], not_before: tuple[str, ...]
) -> None:
    engine = FormEngine(SPECS[form])
    checks = SPECS[form].question("ngay_ky").checks
    assert [(c.rule, c.level) for c in checks] == [("ngay_ky >= cutoff", "warn")]
    answers = answers_before(engine, ctx, inputs, "ngay_ky")
    for typed in not_before:
        result = engine.answer("ngay_ky", typed, answers, ctx)
        assert result.ok and result.warnings == (), (typed, result.warnings)
        done = _finish(engine, ctx, inputs, {**answers, "ngay_ky": result.value})
        assert not any("Ngày ký" in w for w in engine.final_warnings(done, ctx))
    no_cutoff = replace(ctx, cutoff=None, report_year=2026)  # a period without a cut-off: not checked
    result = engine.answer("ngay_ky", before[0], answers, no_cutoff)
    assert result.ok and result.warnings == ()
