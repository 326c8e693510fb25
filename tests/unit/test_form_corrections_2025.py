"""Issue 15: the shipped forms corrected by the 2022 Law and the 2025 decrees — each case a check
wrongly refused is accepted (with a warning to confirm where a plausibility check helps), no
question is asked about "0 cá nhân", the office's name comes from the setting, and the annual
form asks what the TT 02/2023 tables need."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest

from bot.forms.engine import FormContext, FormEngine
from bot.forms.spec import load_specs
from tests.unit.test_form_specs_shipped import (
    ANNUAL,
    ANNUAL_ANSWERS,
    REGISTRATION,
    REGISTRATION_ANSWERS,
    SIX_MONTH_ANSWERS,
    SIX_MONTHS,
    fill,
)

SPECS = load_specs()


@pytest.mark.parametrize(("form", "ctx", "inputs", "qid"), [
    ("bao-cao-6-thang", SIX_MONTHS, SIX_MONTH_ANSWERS, "dk_ca_nhan"),
    ("bao-cao-nam", ANNUAL, ANNUAL_ANSWERS, "dk_ca_nhan"),
    ("dang-ky-thi-dua", REGISTRATION, REGISTRATION_ANSWERS, "dk_ldtt"),
])
def test_more_registered_than_staff_is_accepted_with_a_warning_to_confirm(form, ctx, inputs, qid) -> None:  # type: ignore[no-untyped-def]
    engine, answers, _ = fill(SPECS[form], ctx, inputs)
    result = engine.answer(qid, "350", answers, ctx)  # a commune: 42 staff, 350 farmers and workers
    assert result.ok and result.value == 350
    assert len(result.warnings) == 1 and "(350)" in result.warnings[0] and "(42)" in result.warnings[0]
    assert "nông dân" in result.warnings[0]
    answers[qid] = result.value
    if form == "dang-ky-thi-dua":  # the chain CSTĐCS ≤ LĐTT still holds
        assert engine.answer("dk_cstdcs", "351", answers, ctx).error
    assert engine.final_errors(answers, ctx) == []
    assert any("(350)" in w for w in engine.final_warnings(answers, ctx))  # shown again before sending


def test_tt_ldxs_more_than_tt_ldtt_is_accepted_and_no_15_percent_rule() -> None:
    engine, answers, _ = fill(SPECS["bao-cao-nam"], ANNUAL, ANNUAL_ANSWERS)
    answers["dh_tt_ldtt"] = 0
    result = engine.answer("dh_tt_ldxs", "2", answers, ANNUAL)
    assert result.ok and result.warnings == ()
    answers["dh_tt_ldxs"] = 2
    answers["dh_cstdcs"] = 1  # a TT LĐXS without a CSTĐCS of its own: worth a look, not an error
    warned = engine.answer("dh_tt_ldxs", "2", answers, ANNUAL)
    assert warned.ok and "Chiến sĩ thi đua cơ sở" in warned.warnings[0]
    ldtt = engine.answer("dh_cstdcs", "30", {**answers, "dh_ldtt": 35}, ANNUAL)
    assert ldtt.ok and not any("15" in w for w in ldtt.warnings)
    text = "\n".join(str(q) for q in SPECS["bao-cao-nam"].questions)
    assert "15%" not in text and "theo quy định hiện hành" not in text


@pytest.mark.parametrize("form", ["bao-cao-6-thang", "bao-cao-nam"])
def test_no_question_about_zero_individuals(form: str) -> None:
    ctx = SIX_MONTHS if form == "bao-cao-6-thang" else ANNUAL
    inputs = {**(SIX_MONTH_ANSWERS if form == "bao-cao-6-thang" else ANNUAL_ANSWERS),
              "kt_tham_quyen": "3/0/5", "kt_bk_thu_tuong": "0/0", "kt_cap_tren_khac": "0/0",
              "kt_bk_tinh": "1/0" if form == "bao-cao-6-thang" else "1/0/0",
              "phuong_thuc": "9/0/0/0" if form == "bao-cao-6-thang" else "9/0/0/0/0/0/0",
              "kt_pt_chuyen_de": "1/0", "kt_tinh_doi_tuong": "0/0/0/0/0", "kt_tinh_phuong_thuc": "1/0/0/0/0/0/0"}
    engine, answers, _ = fill(SPECS[form], ctx, inputs)
    asked = [q.id for q in engine.applicable(answers, ctx)]
    assert "cbcc_duoc_khen" not in asked and "truc_tiep_ld" not in asked
    for q in engine.applicable(answers, ctx):
        assert not re.search(r"\bTrong 0 cá nhân", engine.prompt(q, ctx, answers))
    assert engine.final_errors(answers, ctx) == []
    # one individual commended: the follow-up is asked again, with the real count
    answers["kt_tham_quyen"] = {"tap_the": 3, "ca_nhan": 1, "ho_gia_dinh": 5}
    prompt = engine.prompt(SPECS[form].question("cbcc_duoc_khen"), ctx, answers)
    assert "cbcc_duoc_khen" in [q.id for q in engine.applicable(answers, ctx)] and "Trong 1 cá nhân" in prompt


def test_the_office_name_comes_from_the_setting_never_from_a_prompt() -> None:
    for spec in SPECS.values():
        for q in spec.questions:
            assert "Sở Nội vụ" not in q.prompt, (spec.id, q.id)
    ctx = replace(SIX_MONTHS, office_name="Phòng Nội vụ huyện Cao Lộc")
    engine, answers, _ = fill(SPECS["bao-cao-6-thang"], ctx, SIX_MONTH_ANSWERS)
    prompt = engine.prompt(SPECS["bao-cao-6-thang"].question("dien_thoai"), ctx, answers)
    assert "(để Phòng Nội vụ huyện Cao Lộc liên hệ khi cần)" in prompt
    unnamed = engine.prompt(SPECS["bao-cao-6-thang"].question("kien_nghi"), SIX_MONTHS, answers)
    assert "cơ quan thường trực Hội đồng Thi đua – Khen thưởng" in unnamed and "{office}" not in unnamed


def test_dac_khu_is_named_wherever_communes_are() -> None:
    annual, registration = SPECS["bao-cao-nam"], SPECS["dang-ky-thi-dua"]
    assert annual.question("xa_tieu_bieu").label == "Danh hiệu “Xã, phường, đặc khu tiêu biểu”"
    assert "Xã, phường, đặc khu tiêu biểu" in annual.question("xa_tieu_bieu").prompt
    assert "xã, phường, đặc khu" in annual.question("thon_tong").prompt
    labels = [o.label for o in registration.question("dh_tap_the").options]
    assert "Xã, phường, đặc khu tiêu biểu" in labels
    kinds = {k for s in SPECS.values() for q in s.questions for k in q.unit_kinds}
    assert kinds == {"xa", "phuong", "dac_khu"}
    dac_khu = FormContext(unit_kind="dac_khu", today=date(2026, 12, 16), cutoff=date(2026, 12, 14))
    assert "xa_tieu_bieu" in [q.id for q in FormEngine(annual).applicable({}, dac_khu)]


def test_annual_form_asks_what_the_statistics_tables_need() -> None:
    engine, answers, _ = fill(SPECS["bao-cao-nam"], ANNUAL, ANNUAL_ANSWERS)
    assert answers["pt_huong_ung"] == 3
    assert answers["pt_thoi_han"] == {"duoi_1_nam": 1, "mot_nam": 2, "1_3_nam": 1, "3_5_nam": 0, "tu_5_nam": 0}
    assert [p.key for p in SPECS["bao-cao-nam"].question("phuong_thuc").parts] == [
        "thuong_xuyen", "chuyen_de", "dot_xuat", "doi_ngoai", "cong_hien", "nien_han", "khang_chien"]
    assert answers["kt_bk_tinh"] == {"tap_the": 1, "ca_nhan": 3, "ho_gia_dinh": 0}
    assert answers["dh_cstd_tinh"] == 1
    # the cut-off (14/12) is after the province's dossier deadline: decided and pending apart
    assert answers["dh_dang_de_nghi"] == {"tt_ldxs": 1, "cstd_tinh": 0}
    assert "đã có quyết định" in SPECS["bao-cao-nam"].question("dh_tt_ldxs").prompt
    # the durations must add up to the movements the unit launched (2 + 2)
    wrong = engine.answer("pt_thoi_han", "1/1/1/0/0", answers, ANNUAL)
    assert wrong.error == "Tổng số phong trào chia theo thời gian (3) phải bằng số phong trào đơn vị đã phát động (4)."
    # no movement launched: the duration question is not asked
    answers.update(pt_thuong_xuyen=0, pt_chuyen_de=0)
    assert "pt_thoi_han" not in [q.id for q in engine.applicable(answers, ANNUAL)]
