"""Issue 15: a report is checked against what the unit registered for the same year — results
above the registered figures are a warning naming them, confirmed by going on — and its staff
count starts from the registration, with a warning when the typed figure moves by more than 20 %.
The spec keys that say so (``registration``, ``dang_ky.<id>``, ``prefill``) are checked at load."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.forms import flow as f
from bot.forms.engine import FormEngine
from bot.forms.flow import Draft, FormFlow
from bot.forms.spec import SpecError, load_specs, parse_spec
from tests.unit.test_form_specs_shipped import (
    ANNUAL,
    ANNUAL_ANSWERS,
    SIX_MONTH_ANSWERS,
    SIX_MONTHS,
    answers_before,
    fill,
)

SPECS = load_specs()
REGISTERED = {"nam": 2026, "tong_cbcc": 42, "dk_ldtt": 10, "dk_cstdcs": 5, "dk_cstd_tinh": 1,
              "dk_gia_dinh": 2300, "dk_thon": 12}
WITH_REGISTRATION = replace(ANNUAL, registration=REGISTERED)


def test_more_lao_dong_tien_tien_than_registered_is_a_warning_naming_the_registered_figure() -> None:
    engine = FormEngine(SPECS["bao-cao-nam"])
    answers = answers_before(engine, WITH_REGISTRATION, ANNUAL_ANSWERS, "dh_ldtt")
    flow = FormFlow(SPECS["bao-cao-nam"], WITH_REGISTRATION, buttons=True)
    step = flow.step(Draft(answers, history=tuple(answers), position="dh_ldtt"), f.Typed("12"))
    assert step.save and step.draft.answers["dh_ldtt"] == 12  # taken: confirmed by going on
    assert [type(r) for r in step.replies] == [f.Caution, f.Ask]
    assert step.replies[0].warnings == (  # type: ignore[union-attr]
        "Số cá nhân đạt “Lao động tiên tiến” (12) nhiều hơn số cá nhân đơn vị đã đăng ký thi đua năm "
        "2026 (10). Đồng chí vui lòng kiểm tra lại.",)
    assert engine.answer("dh_ldtt", "10", answers, WITH_REGISTRATION).warnings == ()
    # the rest of the form goes through; the warning is said again on the summary, nothing blocks
    done = dict(step.draft.answers)
    while (question := engine.next_question(done, WITH_REGISTRATION)) is not None:
        raw = ANNUAL_ANSWERS[question.id]
        done[question.id] = None if raw is None else engine.answer(question.id, raw, done, WITH_REGISTRATION).value
    assert engine.final_errors(done, WITH_REGISTRATION) == []
    assert any("đã đăng ký thi đua năm 2026 (10)" in w for w in engine.final_warnings(done, WITH_REGISTRATION))


def test_without_a_registration_nothing_is_compared() -> None:
    engine = FormEngine(SPECS["bao-cao-nam"])
    answers = answers_before(engine, ANNUAL, ANNUAL_ANSWERS, "dh_ldtt")
    assert engine.answer("dh_ldtt", "12", answers, ANNUAL).warnings == ()
    engine, answers, warnings = fill(SPECS["bao-cao-nam"], ANNUAL, {**ANNUAL_ANSWERS, "dh_ldtt": "40"})
    assert not any("đăng ký" in w for w in warnings + engine.final_warnings(answers, ANNUAL))


@pytest.mark.parametrize(("qid", "typed", "registered"), [
    ("dh_cstdcs", "6", "(5)"), ("gd_van_hoa", "2.400", "(2.300)"), ("thon_van_hoa", "13", "(12)"),
    ("dh_dang_de_nghi", "0/1", "(1)"),  # 1 with a decision + 1 proposed > 1 registered
])
def test_each_result_above_its_registered_figure_is_a_warning(qid: str, typed: str, registered: str) -> None:
    engine = FormEngine(SPECS["bao-cao-nam"])
    inputs_ctx = WITH_REGISTRATION
    answers = answers_before(engine, inputs_ctx, ANNUAL_ANSWERS, qid)
    if qid == "thon_van_hoa":
        answers["thon_tong"] = 20
    result = engine.answer(qid, typed, answers, inputs_ctx)
    assert result.ok and any("đã đăng ký" in w and registered in w for w in result.warnings), result.warnings


def test_the_staff_count_starts_from_the_registration_and_is_said_with_the_first_question() -> None:
    for form, ctx in (("bao-cao-nam", WITH_REGISTRATION), ("bao-cao-6-thang", replace(SIX_MONTHS, registration=REGISTERED))):
        flow = FormFlow(SPECS[form], ctx, buttons=False)
        step = flow.step(Draft({}), f.Show(), key="m1")
        assert step.save and step.draft.answers == {"tong_cbcc": 42} and step.draft.history == ("tong_cbcc",)
        prefilled, ask = step.replies
        assert isinstance(prefilled, f.Prefilled) and isinstance(ask, f.Ask)
        assert [(line.n, line.label, line.value) for line in prefilled.lines] == [(1, "Tổng số CB, CC, VC và NLĐ", "42")]
        assert ask.question.id == "vb_chi_dao" and ask.prompt.startswith("Câu 2/") and ask.back
        back = flow.step(step.draft, f.Typed("quay lại"))  # the pre-filled answer can be changed
        assert back.replies[-1].question.id == "tong_cbcc"  # type: ignore[union-attr]
        assert "Trả lời hiện tại: 42" in back.replies[-1].prompt  # type: ignore[union-attr]
        again = flow.step(step.draft, f.Show())  # once only: a draft with answers is left alone
        assert not again.save and [type(r) for r in again.replies] == [f.Ask]


def test_no_prefill_without_a_registration_or_with_a_figure_the_form_refuses() -> None:
    flow = FormFlow(SPECS["bao-cao-nam"], ANNUAL, buttons=True)
    step = flow.step(Draft({}), f.Show())
    assert step.draft.answers == {} and [type(r) for r in step.replies] == [f.Ask]
    assert step.replies[0].question.id == "tong_cbcc"  # type: ignore[union-attr]
    odd = replace(ANNUAL, registration={**REGISTERED, "tong_cbcc": 0})  # below the form's min of 1
    assert FormEngine(SPECS["bao-cao-nam"]).prefill(odd) == {}


@pytest.mark.parametrize(("typed", "warned"), [("42", False), ("50", False), ("34", False), ("51", True),
                                                ("33", True), ("420", True)])
def test_a_staff_count_more_than_20_percent_off_the_registration_is_a_warning(typed: str, warned: bool) -> None:
    engine = FormEngine(SPECS["bao-cao-nam"])
    result = engine.answer("tong_cbcc", typed, {}, WITH_REGISTRATION)
    assert result.ok
    assert bool(result.warnings) == warned
    if warned:
        assert "chênh lệch quá 20% so với số đã khai trong bản đăng ký thi đua năm 2026 (42)" in result.warnings[0]
    assert engine.answer("tong_cbcc", typed, {}, ANNUAL).warnings == ()
    engine6 = FormEngine(SPECS["bao-cao-6-thang"])
    assert bool(engine6.answer("tong_cbcc", typed, {}, replace(SIX_MONTHS, registration=REGISTERED)).warnings) == warned
    assert SIX_MONTH_ANSWERS["tong_cbcc"] == "42"


def _spec(extra: str, check: str, registration: str = "registration: dang-ky\n") -> str:
    return f"""
id: bc
version: 1
title: Thử
{registration}questions:
  - id: tong
    type: integer
    prompt: Tổng số?
{extra}  - id: ldtt
    type: integer
    prompt: Số LĐTT?
    checks:
      - rule: {check}
        level: warn
        message: Nhiều hơn số đăng ký ({{dang_ky.dk_ldtt}}).
"""


REGISTRATION_SPEC = """
id: dang-ky
version: 1
title: Đăng ký
questions:
  - id: nam
    type: year
    prompt: Năm?
  - id: tong_cbcc
    type: integer
    prompt: Tổng số?
  - id: dk_ldtt
    type: integer
    prompt: Số đăng ký LĐTT?
  - id: chu_de
    type: text
    prompt: Chủ đề?
"""


def test_registration_reads_need_the_registration_form_declared() -> None:
    with pytest.raises(SpecError, match="cần khai 'registration'"):
        parse_spec(yaml.safe_load(_spec("", "ldtt <= dang_ky.dk_ldtt", registration="")), "bc.yaml")
    with pytest.raises(SpecError, match=r"dùng 'dang_ky.<mã câu>'"):
        parse_spec(yaml.safe_load(_spec("", "ldtt <= dang_ky")), "bc.yaml")
    with pytest.raises(SpecError, match="'prefill' phải có dạng dang_ky"):
        parse_spec(yaml.safe_load(_spec("    prefill: tong_cbcc\n", "ldtt <= dang_ky.dk_ldtt")), "bc.yaml")
    when = _spec("", "ldtt <= dang_ky.dk_ldtt").replace("    checks:", "    when: dang_ky.dk_ldtt > 0\n    checks:")
    with pytest.raises(SpecError, match="tham chiếu 'dang_ky' chưa được hỏi"):
        parse_spec(yaml.safe_load(when), "bc.yaml")


@pytest.mark.parametrize(("extra", "check", "reason"), [
    ("", "ldtt <= dang_ky.dk_cstdcs", "'dang_ky.dk_cstdcs': biểu mẫu 'dang-ky' không có câu này"),
    ("", "ldtt <= dang_ky.chu_de", "'dang_ky.chu_de': câu của 'dang-ky' không phải câu số"),
    ("", "ldtt <= dang_ky.nam", "'dang_ky.nam': câu của 'dang-ky' không phải câu số"),
    ("    prefill: dang_ky.chu_de\n", "ldtt <= dang_ky.dk_ldtt", "'prefill': câu 'chu_de' của 'dang-ky' là loại text"),
])
def test_what_a_form_reads_of_the_registration_is_checked_against_that_form(
        tmp_path: Path, extra: str, check: str, reason: str) -> None:
    (tmp_path / "dang-ky.yaml").write_text(REGISTRATION_SPEC, encoding="utf-8")
    (tmp_path / "bc.yaml").write_text(_spec(extra, check), encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_specs(tmp_path)
    assert caught.value.reason.startswith(reason)
    (tmp_path / "bc.yaml").write_text(_spec("    prefill: dang_ky.tong_cbcc\n", "ldtt <= dang_ky.dk_ldtt"), encoding="utf-8")
    assert load_specs(tmp_path)["bc"].question("tong").prefill == "tong_cbcc"
    (tmp_path / "dang-ky.yaml").unlink()
    with pytest.raises(SpecError, match="'registration': không có biểu mẫu 'dang-ky'"):
        load_specs(tmp_path)


def test_only_a_question_asked_of_the_unit_is_prefilled() -> None:
    text = _spec("    prefill: dang_ky.tong_cbcc\n    unit_kinds: [xa]\n", "ldtt <= dang_ky.dk_ldtt")
    engine = FormEngine(parse_spec(yaml.safe_load(text), "bc.yaml"))
    registered = {"tong_cbcc": 42, "dk_ldtt": 10}
    assert engine.prefill(replace(ANNUAL, unit_kind="xa", registration=registered)) == {"tong": 42}
    assert engine.prefill(replace(ANNUAL, unit_kind="so", registration=registered)) == {}


def _warnings_at(qid: str, raw: str, **given: Any) -> tuple[str, ...]:
    engine = FormEngine(SPECS["bao-cao-nam"])
    answers = {**answers_before(engine, ANNUAL, ANNUAL_ANSWERS, qid), **given}
    result = engine.answer(qid, raw, answers, ANNUAL)
    assert result.ok, result.error
    return result.warnings


def test_collective_titles_without_any_lao_dong_tien_tien_are_a_warning() -> None:
    assert any("không có cá nhân nào đạt “Lao động tiên tiến”" in w
               for w in _warnings_at("dh_tt_ldxs", "1", dh_ldtt=0, dh_tt_ldtt=2, dh_cstdcs=3))
    assert not any("không có cá nhân nào" in w for w in _warnings_at("dh_tt_ldxs", "1", dh_ldtt=5, dh_tt_ldtt=2))
    assert not any("không có cá nhân nào" in w for w in _warnings_at("dh_tt_ldxs", "0", dh_ldtt=0, dh_tt_ldtt=0))


def test_a_flag_for_the_unit_with_no_flag_counted_is_a_warning() -> None:
    engine = FormEngine(SPECS["bao-cao-nam"])
    ctx = replace(ANNUAL, in_group=True)
    answers = answers_before(engine, ctx, ANNUAL_ANSWERS, "co_thi_dua_don_vi")
    flag = next(o for o in engine.spec.question("co_thi_dua_don_vi").options if o.key == "ubnd_tinh")  # type: ignore[union-attr]
    warned = engine.answer("co_thi_dua_don_vi", flag.label, {**answers, "kt_co_thi_dua": 0}, ctx)
    assert warned.ok and any("Cờ thi đua" in w and "đã khai 0" in w for w in warned.warnings)
    assert engine.answer("co_thi_dua_don_vi", flag.label, {**answers, "kt_co_thi_dua": 1}, ctx).warnings == ()
    none = next(o for o in engine.spec.question("co_thi_dua_don_vi").options if o.key == "khong")  # type: ignore[union-attr]
    assert engine.answer("co_thi_dua_don_vi", none.label, {**answers, "kt_co_thi_dua": 0}, ctx).warnings == ()
