"""The shipped TĐKT specs load, and a realistic officer's answers go through them cleanly."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from bot.forms.engine import FileInput, FormContext, FormEngine
from bot.forms.spec import FormSpec, default_specs_dir, load_specs

SPECS = load_specs(default_specs_dir())

SIGNED = FileInput(
    name="BC-so-ket-6-thang-2026.pdf",
    mime="application/pdf",
    size=2_400_000,
    file_ref="tg:AgAD1",
    sha256="c" * 64,
)
EXCEL = FileInput(
    name="danh-sach.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    size=48_000,
    file_ref="tg:AgAD2",
    sha256="d" * 64,
)

SIX_MONTHS = FormContext(unit_kind="xa", today=date(2026, 6, 18), cutoff=date(2026, 6, 14))
ANNUAL = FormContext(unit_kind="phuong", today=date(2026, 12, 16), cutoff=date(2026, 12, 14))
REGISTRATION = FormContext(unit_kind="xa", today=date(2026, 3, 10), report_year=2026)
DEPARTMENT_ANNUAL = FormContext(unit_kind="so_nganh", today=date(2026, 12, 16), cutoff=date(2026, 12, 14))

COMMON_REPORT: dict[str, str | FileInput | None] = {
    "tong_cbcc": "42",
    "vb_chi_dao": "6",
    "pt_thuong_xuyen": "2",
    "pt_chuyen_de": "2",
    "ten_pt_chuyen_de": (
        "Thi đua chung sức xây dựng nông thôn mới nâng cao\nThi đua đẩy mạnh cải cách hành chính, chuyển đổi số"
    ),
    "dk_ca_nhan": "40",
    "dk_tap_the": "5",
    "dk_gia_dinh": "2.315",
    "dien_hinh": "4",
    "dien_hinh_nhan_rong": "9",
    "sang_kien": "3",
    "kt_tham_quyen": "3/12/5",
    "kt_huan_chuong": "0",
    "kt_bk_thu_tuong": "0/1",
    "kt_bk_tinh": "1/3",
    "kt_co_thi_dua": "không",
    "kt_cap_tren_khac": "0 2",
}
COMMON_TAIL: dict[str, str | FileInput | None] = {
    "phuong_thuc": "18/6/3/0",
    "kt_pt_chuyen_de": "1/5",
    "cbcc_duoc_khen": "14",
    "truc_tiep_ld": "3",
    "de_nghi_cho": "2",
    "noi_bat": (
        "Phong trào “Chung sức xây dựng nông thôn mới” được Nhân dân hưởng ứng, vận động làm mới 3,2 km "
        "đường giao thông nông thôn; 100% thủ tục hành chính được tiếp nhận trực tuyến."
    ),
    "han_che": "Một số phong trào còn hình thức, việc phát hiện điển hình chưa kịp thời.",
    "nguyen_nhan": None,
    "phuong_huong": (
        "Tiếp tục triển khai các phong trào thi đua thường xuyên và chuyên đề; chuẩn bị tổng kết năm, "
        "bình xét danh hiệu thi đua đúng quy định."
    ),
    "kien_nghi": "Không",
    "so_ky_hieu": "45/bc-ubnd",
    "nguoi_ky": "Nguyễn Văn An",
    "tham_quyen_ky": "KT",
    "nguoi_lap": "Trần Thị Bình",
    "dien_thoai": "0912 345 678",
    "file": SIGNED,
}

SIX_MONTH_ANSWERS = {
    **COMMON_REPORT,
    "danh_hieu": "0/0/0/0",
    **COMMON_TAIL,
    "ngay_ky": "17/6/2026",
}

ANNUAL_ANSWERS = {
    **COMMON_REPORT,
    "dh_ldtt": "35",
    "dh_cstdcs": "5",
    "dh_tt_ldtt": "4",
    "dh_tt_ldxs": "1",
    "gd_tong": "2.480",
    "gd_van_hoa": "2.210",
    "thon_tong": "12",
    "thon_van_hoa": "11",
    "xa_tieu_bieu": "chưa đến kỳ xét",
    "co_thi_dua_don_vi": "khong",
    **COMMON_TAIL,
    # Asked by the annual form since version 2, for the TT 02/2023 tables (issue 15).
    "pt_huong_ung": "3",
    "pt_thoi_han": "1/2/1/0/0",
    "kt_bk_tinh": "1/3/0",
    # Asked since version 3, by recipient for the tables' rows 7, 11–14 (0602) and 03, 07–10 (0603).
    "kt_nha_nuoc_doi_tuong": "0/0/0/0/1",
    "kt_tinh_doi_tuong": "0/1/0/0/2",
    # Asked since version 5, by method for the tables' rows 15–21 (0602) and 11–17 (0603).
    "kt_nha_nuoc_phuong_thuc": "1/0/0/0/0/0/0",
    "kt_tinh_phuong_thuc": "3/1/0/0/0/0/0",
    "dh_cstd_tinh": "1",
    "dh_dang_de_nghi": "1/0",
    "phuong_thuc": "18/6/3/0/0/0/0",
    "ds_de_nghi": EXCEL,
    "bai_hoc": "Phải gắn phong trào thi đua với nhiệm vụ chính trị, chọn tiêu chí cụ thể, dễ đo lường.",
    "ngay_ky": "15/12",
}

REGISTRATION_ANSWERS: dict[str, str | FileInput | None] = {
    "nam": "2026",
    "tong_cbcc": "42",
    "chu_de": "Đoàn kết, kỷ cương, đổi mới, hoàn thành xuất sắc nhiệm vụ năm 2026",
    "chi_tieu": "100% cán bộ, công chức hoàn thành tốt nhiệm vụ\nThu ngân sách đạt 110% dự toán",
    "dh_tap_the": "1, 2",
    "dk_tt_truc_thuoc": "4/1",
    "dk_ldtt": "40",
    "dk_cstdcs": "6",
    "dk_cstd_tinh": "1",
    "hinh_thuc_kt": None,
    "dk_gia_dinh": "2.300",
    "dk_thon": "12",
    "ds_dang_ky": EXCEL,
    "ngay_ky": "5/3",
    "nguoi_ky": "Nguyễn Văn An",
    "tham_quyen_ky": "TM",
    "nguoi_lap": "Trần Thị Bình",
    "dien_thoai": "+84912345678",
    "file": SIGNED,
}


def answers_before(engine: FormEngine, ctx: FormContext, inputs: dict[str, Any], qid: str) -> dict[str, Any]:
    """The engine's questions answered in order from ``inputs`` until ``qid`` is next (the
    answers so far, as a chat would have stored them)."""
    answers: dict[str, Any] = {}
    while (question := engine.next_question(answers, ctx)) is not None and question.id != qid:
        raw = inputs[question.id]
        result = engine.skip(question.id, answers, ctx) if raw is None else engine.answer(question.id, raw, answers, ctx)
        assert result.ok, f"{question.id}: {result.error}"
        answers[question.id] = result.value
    assert question is not None and question.id == qid, f"{qid} is never asked"
    return answers


def fill(
    spec: FormSpec, ctx: FormContext, inputs: dict[str, Any]
) -> tuple[FormEngine, dict[str, Any], list[str]]:
    """Answer like a chat would: always the engine's next question, looked up in ``inputs``."""
    engine = FormEngine(spec)
    answers: dict[str, Any] = {}
    warnings: list[str] = []
    while (question := engine.next_question(answers, ctx)) is not None:
        assert question.id in inputs, f"{spec.id}: no test answer for {question.id}"
        raw = inputs[question.id]
        result = (
            engine.skip(question.id, answers, ctx)
            if raw is None
            else engine.answer(question.id, raw, answers, ctx)
        )
        assert result.ok, f"{spec.id}.{question.id}: {result.error}"
        warnings.extend(result.warnings)
        answers[question.id] = result.value
    return engine, answers, warnings


def test_shipped_specs() -> None:
    assert sorted(SPECS) == ["bao-cao-6-thang", "bao-cao-nam", "dang-ky-thi-dua"]
    # Version 2: corrected by the 2022 Law and the 2025 decrees (issue 15); 3: signing authority per unit kind;
    # 4 (the reports): a warning when the report is signed before the period's cut-off (issue 15);
    # 5 (the annual report): the state-level and the provincial awards split by method (issue 15).
    assert {spec_id: spec.version for spec_id, spec in SPECS.items()} == {
        "bao-cao-6-thang": 4, "bao-cao-nam": 5, "dang-ky-thi-dua": 3}
    assert SPECS["bao-cao-6-thang"].title == "Báo cáo sơ kết công tác thi đua, khen thưởng 6 tháng đầu năm"


@pytest.mark.parametrize("spec_id", sorted(SPECS))
def test_every_question_has_label_and_section(spec_id: str) -> None:
    for question in SPECS[spec_id].questions:
        assert question.label, question.id
        assert question.section, question.id


def test_six_month_report_table_ids() -> None:
    ids = SPECS["bao-cao-6-thang"].ids
    for expected in (
        "tong_cbcc", "vb_chi_dao", "pt_thuong_xuyen", "pt_chuyen_de", "ten_pt_chuyen_de", "dk_ca_nhan",
        "dk_tap_the", "dk_gia_dinh", "dien_hinh", "dien_hinh_nhan_rong", "sang_kien", "kt_tham_quyen",
        "phuong_thuc", "cbcc_duoc_khen", "truc_tiep_ld", "de_nghi_cho", "noi_bat", "han_che", "nguyen_nhan",
        "phuong_huong", "kien_nghi", "so_ky_hieu", "ngay_ky", "nguoi_ky", "tham_quyen_ky", "nguoi_lap",
        "dien_thoai", "file",
    ):  # fmt: skip
        assert expected in ids
    assert set(SPECS["bao-cao-6-thang"].ids) <= set(SPECS["bao-cao-nam"].ids) | {"danh_hieu"}


@pytest.mark.parametrize(
    ("spec_id", "ctx", "inputs", "total"),
    [
        ("bao-cao-6-thang", SIX_MONTHS, SIX_MONTH_ANSWERS, 35),
        ("bao-cao-nam", ANNUAL, ANNUAL_ANSWERS, 54),  # 50 + the recipient splits (v3) + the method splits (v5)
        ("dang-ky-thi-dua", REGISTRATION, REGISTRATION_ANSWERS, 19),
    ],
)
def test_realistic_answers_pass(spec_id: str, ctx: FormContext, inputs: dict[str, Any], total: int) -> None:
    engine, answers, warnings = fill(SPECS[spec_id], ctx, inputs)
    assert warnings == []
    assert engine.final_errors(answers, ctx) == []
    assert engine.final_warnings(answers, ctx) == []
    assert engine.progress(answers, ctx) == (total, total)
    lines = engine.summary(answers, ctx)
    assert [line.n for line in lines] == list(range(1, total + 1))
    for question in engine.applicable(answers, ctx):
        text = engine.prompt(question, ctx, answers)
        assert "{" not in text and "}" not in text and "…." not in text, (question.id, text)


def test_department_skips_commune_questions() -> None:
    inputs = {k: v for k, v in ANNUAL_ANSWERS.items()}
    engine, answers, _ = fill(SPECS["bao-cao-nam"], DEPARTMENT_ANNUAL, inputs)
    for commune_only in ("dk_gia_dinh", "gd_tong", "gd_van_hoa", "thon_tong", "thon_van_hoa", "xa_tieu_bieu"):
        assert commune_only not in answers
    assert engine.final_errors(answers, DEPARTMENT_ANNUAL) == []
    assert engine.progress(answers, DEPARTMENT_ANNUAL) == (48, 48)  # the recipient and method splits: every kind


def test_six_month_sum_by_method_must_match() -> None:
    inputs = dict(SIX_MONTH_ANSWERS)
    engine, answers, _ = fill(SPECS["bao-cao-6-thang"], SIX_MONTHS, inputs)
    prompt = engine.prompt(engine.spec.question("phuong_thuc"), SIX_MONTHS, answers)
    assert "là 27." in prompt  # 3+12+5 Giấy khen, 1 BK TTg, 1+3 BK tỉnh, 2 khác
    result = engine.answer("phuong_thuc", "18/6/2/0", answers, SIX_MONTHS)
    assert result.error == (
        "Tổng số khen thưởng theo phương thức (26) phải bằng tổng số khen thưởng đã khai ở các câu trên (27)."
    )


def test_annual_awards_by_method_per_level_sum_to_what_was_declared() -> None:
    """Version 5 (issue 15): the state-level and the provincial awards split by method, for the
    TT 02/2023 tables 0602 rows 15–21 and 0603 rows 11–17."""
    engine, answers, _ = fill(SPECS["bao-cao-nam"], ANNUAL, ANNUAL_ANSWERS)
    assert answers["kt_nha_nuoc_phuong_thuc"] == {"thuong_xuyen": 1, "chuyen_de": 0, "dot_xuat": 0, "doi_ngoai": 0,
                                                  "cong_hien": 0, "nien_han": 0, "khang_chien": 0}
    assert answers["kt_tinh_phuong_thuc"]["thuong_xuyen"] == 3 and answers["kt_tinh_phuong_thuc"]["chuyen_de"] == 1
    state = engine.prompt(engine.spec.question("kt_nha_nuoc_phuong_thuc"), ANNUAL, answers)
    assert ". Trong 1 khen thưởng cấp Nhà nước đã khai (Huân chương, Bằng khen của Thủ tướng" in state
    assert "thường xuyên / chuyên đề / đột xuất / đối ngoại / cống hiến / niên hạn / kháng chiến?" in state
    province = engine.prompt(engine.spec.question("kt_tinh_phuong_thuc"), ANNUAL, answers)
    assert ". Trong 4 Bằng khen của Chủ tịch UBND tỉnh đã khai" in province  # 1/3/0, households counted
    # a wrong split is refused, with both figures
    assert engine.answer("kt_nha_nuoc_phuong_thuc", "1/1/0/0/0/0/0", answers, ANNUAL).error == (
        "Tổng số khen thưởng cấp Nhà nước chia theo phương thức (2) phải bằng số Huân chương, Bằng khen của "
        "Thủ tướng Chính phủ đã khai (1).")
    assert engine.answer("kt_tinh_phuong_thuc", "3/0/0/0/0/0/0", answers, ANNUAL).error == (
        "Tổng số Bằng khen của Chủ tịch UBND tỉnh chia theo phương thức (3) phải bằng số Bằng khen đã khai (4).")
    with_household = {**answers, "kt_bk_tinh": {"tap_the": 1, "ca_nhan": 3, "ho_gia_dinh": 2}}
    assert engine.answer("kt_tinh_phuong_thuc", "3/1/0/0/0/0/2", with_household, ANNUAL).ok
    assert engine.answer("kt_tinh_phuong_thuc", "3/1/0/0/0/0/0", with_household, ANNUAL).error
    # no award at a level: its split is not asked, and no prompt says "Trong 0"
    none = {**ANNUAL_ANSWERS, "kt_huan_chuong": "0/0", "kt_bk_thu_tuong": "0/0", "kt_bk_tinh": "0/0/0",
            "kt_nha_nuoc_phuong_thuc": "x", "kt_tinh_phuong_thuc": "x", "kt_nha_nuoc_doi_tuong": "x",
            "kt_tinh_doi_tuong": "x", "cbcc_duoc_khen": "12", "truc_tiep_ld": "3",
            "phuong_thuc": "14/5/3/0/0/0/0", "kt_pt_chuyen_de": "1/5"}
    engine, answers, _ = fill(SPECS["bao-cao-nam"], ANNUAL, none)
    asked = [q.id for q in engine.applicable(answers, ANNUAL)]
    assert "kt_nha_nuoc_phuong_thuc" not in asked and "kt_tinh_phuong_thuc" not in asked
    assert "kt_nha_nuoc_phuong_thuc" not in answers and "kt_tinh_phuong_thuc" not in answers
    for q in engine.applicable(answers, ANNUAL):
        assert "Trong 0 " not in engine.prompt(q, ANNUAL, answers), q.id
    assert engine.final_errors(answers, ANNUAL) == []
    # one provincial Bằng khen to a household only: the provincial split is asked again
    answers["kt_bk_tinh"] = {"tap_the": 0, "ca_nhan": 0, "ho_gia_dinh": 1}
    asked = [q.id for q in engine.applicable(answers, ANNUAL)]
    assert "kt_tinh_phuong_thuc" in asked and "kt_nha_nuoc_phuong_thuc" not in asked
    assert ". Trong 1 Bằng khen của Chủ tịch UBND tỉnh" in engine.prompt(
        SPECS["bao-cao-nam"].question("kt_tinh_phuong_thuc"), ANNUAL, answers)


def test_six_month_checks() -> None:
    engine, answers, _ = fill(SPECS["bao-cao-6-thang"], SIX_MONTHS, SIX_MONTH_ANSWERS)
    # More registrations than staff is legitimate (LĐTT goes to farmers and workers too): a warning.
    more = engine.answer("dk_ca_nhan", "43", answers, SIX_MONTHS)
    assert more.ok and "lớn hơn tổng số cán bộ" in more.warnings[0]
    warn = engine.answer("dien_hinh_nhan_rong", "13", answers, SIX_MONTHS)
    assert warn.ok and warn.warnings and "3 lần" in warn.warnings[0]
    assert (
        "tổng số cá nhân được khen thưởng (18)"
        in engine.answer("truc_tiep_ld", "19", answers, SIX_MONTHS).error
    )
    assert engine.answer("cbcc_duoc_khen", "19", answers, SIX_MONTHS).error
    assert engine.answer("so_ky_hieu", "45/UBND", answers, SIX_MONTHS).error
    assert engine.answer("ngay_ky", "19/6/2026", answers, SIX_MONTHS).error
    assert not engine.answer("file", "đã gửi", answers, SIX_MONTHS).ok
    # no thematic movements: the names and the thematic-awards questions are not asked
    answers["pt_chuyen_de"] = 0
    ids = [q.id for q in engine.applicable(answers, SIX_MONTHS)]
    assert "ten_pt_chuyen_de" not in ids and "kt_pt_chuyen_de" not in ids
    assert engine.final_errors(answers, SIX_MONTHS) == []


def test_annual_title_checks() -> None:
    engine, answers, _ = fill(SPECS["bao-cao-nam"], ANNUAL, ANNUAL_ANSWERS)
    too_many = engine.answer("dh_cstdcs", "36", answers, ANNUAL)
    assert not too_many.ok and "Lao động tiên tiến" in too_many.error
    # No 15 % cap any more (it was NĐ 91/2017), and TT LĐXS is not chosen among TT LĐTT.
    over_15 = engine.answer("dh_cstdcs", "6", answers, ANNUAL)
    assert over_15.ok and not over_15.warnings
    assert engine.answer("dh_tt_ldxs", "5", answers, ANNUAL).ok
    assert engine.answer("gd_van_hoa", "2.481", answers, ANNUAL).error
    assert engine.answer("thon_van_hoa", "13", answers, ANNUAL).error
    assert engine.answer("xa_tieu_bieu", "dat", answers, ANNUAL).value == "dat"
    assert engine.skip("ds_de_nghi", answers, ANNUAL).ok
    wrong = FileInput(name="ds.pdf", mime="application/pdf", size=1000, file_ref="x", sha256="")
    assert "XLSX hoặc XLS" in engine.answer("ds_de_nghi", wrong, answers, ANNUAL).error


def test_registration_chain_checks() -> None:
    engine, answers, _ = fill(SPECS["dang-ky-thi-dua"], REGISTRATION, REGISTRATION_ANSWERS)
    assert engine.answer("nam", "2025", answers, REGISTRATION).error
    assert engine.answer("nam", "2027", answers, REGISTRATION).ok
    more = engine.answer("dk_ldtt", "43", answers, REGISTRATION)
    assert more.ok and "lớn hơn tổng số cán bộ" in more.warnings[0]
    assert engine.answer("dk_cstdcs", "41", answers, REGISTRATION).error
    assert engine.answer("dk_cstd_tinh", "7", answers, REGISTRATION).error
    flag = engine.answer("dh_tap_the", "cờ thi đua của UBND tỉnh", answers, REGISTRATION)
    assert flag.ok and flag.value == ["co_tinh"] and flag.warnings
    # "cờ thi đua" alone could be either flag: asked again, never guessed
    assert not engine.answer("dh_tap_the", "cờ thi đua", answers, REGISTRATION).ok
    both = engine.answer("dh_tap_the", "bằng khen, cờ thi đua của chính phủ", answers, REGISTRATION)
    assert both.ok and both.value == ["bk_tinh", "co_cp"]
    # a department is not offered "Xã, phường, đặc khu tiêu biểu"
    department = replace(REGISTRATION, unit_kind="so_nganh")
    assert "tiêu biểu" not in engine.prompt(engine.spec.question("dh_tap_the"), department, answers)
    assert not engine.answer("dh_tap_the", "xã, phường, đặc khu tiêu biểu", answers, department).ok
    # editing the staff total below the registrations is legitimate (issue 15): it does not block
    # submission; the plausibility warning is shown at the end, to be confirmed
    edit = engine.answer("tong_cbcc", "30", answers, REGISTRATION)
    assert edit.ok and edit.invalidated == ()
    answers["tong_cbcc"] = edit.value
    assert engine.final_errors(answers, REGISTRATION) == []
    assert any("lớn hơn tổng số cán bộ" in w for w in engine.final_warnings(answers, REGISTRATION))
    # nobody registering individually: no list file needed
    answers.update(tong_cbcc=42, dk_ldtt=0, dk_cstdcs=0, dk_cstd_tinh=0)
    assert "ds_dang_ky" not in [q.id for q in engine.applicable(answers, REGISTRATION)]
    assert engine.final_errors(answers, REGISTRATION) == []
