"""The form state machine over plain data: navigation, validation, checks, summary."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
import yaml

from bot.forms.engine import MAX_FILES, FileInput, FormContext, FormEngine
from bot.forms.spec import load_specs, parse_spec

SPEC = yaml.safe_load(
    """
id: thu-nghiem
version: 1
title: Báo cáo thử
period_text: "từ ngày 15/12/{prev_year} đến ngày {cutoff}"
questions:
  - id: tong_cbcc
    section: I. Kết quả
    type: integer
    label: Tổng số CB, CC
    prompt: Tổng số cán bộ tính đến ngày {cutoff}?
    min: 1
  - id: pt_chuyen_de
    type: integer
    label: Phong trào chuyên đề
    prompt: Số phong trào chuyên đề {ky}?
  - id: ten_pt
    type: text
    label: Tên phong trào
    prompt: Tên {pt_chuyen_de} phong trào, mỗi dòng một phong trào.
    when: pt_chuyen_de > 0
    min_len: 5
  - id: dk_ca_nhan
    type: integer
    label: Cá nhân đăng ký
    prompt: Số cá nhân đăng ký thi đua?
    checks:
      - rule: dk_ca_nhan <= tong_cbcc
        message: Số cá nhân đăng ký ({dk_ca_nhan}) không được lớn hơn tổng số ({tong_cbcc}).
  - id: dk_gia_dinh
    type: integer
    label: Hộ đăng ký
    prompt: Số hộ đăng ký “Gia đình văn hóa”?
    unit_kinds: [xa, phuong, dac_khu]
  - id: dien_hinh
    type: integer
    label: Điển hình
    prompt: Số điển hình phát hiện?
  - id: nhan_rong
    type: integer
    label: Nhân rộng
    prompt: Số lượt nhân rộng?
    checks:
      - rule: nhan_rong <= 3 * dien_hinh
        level: warn
        message: Số lượt nhân rộng lớn hơn 3 lần số điển hình.
  - id: giay_khen
    type: numbers
    label: Giấy khen
    prompt: "Giấy khen: tập thể / cá nhân / hộ gia đình?"
    parts:
      - {key: tap_the, label: tập thể}
      - {key: ca_nhan, label: cá nhân}
      - {key: ho_gia_dinh, label: hộ gia đình}
  - id: phuong_thuc
    type: numbers
    label: Theo phương thức
    prompt: "Tổng {= sum(giay_khen)} khen thưởng; chia theo phương thức: thường xuyên / đột xuất?"
    parts:
      - {key: thuong_xuyen, label: thường xuyên}
      - {key: dot_xuat, label: đột xuất}
    checks:
      - rule: sum(phuong_thuc) == sum(giay_khen)
        message: Tổng theo phương thức ({= sum(phuong_thuc)}) phải bằng tổng khen thưởng ({= sum(giay_khen)}).
  - id: truc_tiep
    type: integer
    label: Trực tiếp lao động
    prompt: Trong số cá nhân được khen, bao nhiêu người trực tiếp lao động?
    checks:
      - rule: truc_tiep <= giay_khen.ca_nhan
        message: Không được lớn hơn số cá nhân được khen ({giay_khen.ca_nhan}).
  - id: ty_le
    type: decimal
    label: Tỷ lệ hoàn thành (%)
    prompt: Tỷ lệ hoàn thành chỉ tiêu (%)?
    max: 100
  - id: kien_nghi
    section: II. Kiến nghị
    type: text
    label: Kiến nghị
    prompt: Kiến nghị?
    required: false
  - id: danh_hieu
    type: multichoice
    label: Danh hiệu đăng ký
    prompt: Danh hiệu đăng ký?
    required: false
    options:
      - {key: tt_ldtt, label: Tập thể lao động tiên tiến}
      - {key: tt_ldxs, label: Tập thể lao động xuất sắc}
  - id: so_ky_hieu
    section: Thông tin ký
    type: text
    label: Số, ký hiệu
    prompt: Số, ký hiệu?
    pattern: '^\\d{1,5}/BC-[A-ZĐ0-9-]+$'
    pattern_hint: Ví dụ 45/BC-UBND
    transform: [nospace, upper]
  - id: ngay_ky
    type: date
    label: Ngày ký
    prompt: Ngày ký?
    min: [cutoff, today]
    max: today
  - id: tham_quyen
    type: choice
    label: Thẩm quyền ký
    prompt: Thẩm quyền ký?
    options:
      - {key: tm, label: "TM. Ủy ban nhân dân – Chủ tịch"}
      - {key: kt, label: "KT. Chủ tịch – Phó Chủ tịch"}
  - id: dien_thoai
    type: phone
    label: Điện thoại
    prompt: Số điện thoại?
  - id: file
    type: file
    label: Tệp báo cáo
    prompt: Gửi tệp báo cáo đã ký.
    accept: [pdf, docx, jpg, jpeg, png]
    max_size_mb: 20
"""
)

ENGINE = FormEngine(parse_spec(SPEC, "thu.yaml"))
XA = FormContext(unit_kind="xa", today=date(2026, 6, 18), cutoff=date(2026, 6, 14))
SO = FormContext(unit_kind="so_nganh", today=date(2026, 6, 18), cutoff=date(2026, 6, 14))
PDF = FileInput(name="bao-cao.pdf", mime="application/pdf", size=1_300_000, file_ref="tg:1", sha256="ab" * 32)


def run(answers: dict[str, Any], ctx: FormContext, inputs: dict[str, str | FileInput | None]) -> list[str]:
    """Feed answers in order as a chat handler would; returns the history. ``None`` = skip."""
    history: list[str] = []
    for question_id, raw in inputs.items():
        result = (
            ENGINE.skip(question_id, answers, ctx)
            if raw is None
            else ENGINE.answer(question_id, raw, answers, ctx)
        )
        assert result.ok, (question_id, result.error)
        answers[question_id] = result.value
        history.append(question_id)
    return history


FULL: dict[str, str | FileInput | None] = {
    "tong_cbcc": "25",
    "pt_chuyen_de": "2",
    "ten_pt": "Thi đua nông thôn mới\nThi đua cải cách hành chính",
    "dk_ca_nhan": "20",
    "dk_gia_dinh": "1.234",
    "dien_hinh": "3",
    "nhan_rong": "5",
    "giay_khen": "3/12/5",
    "phuong_thuc": "15/5",
    "truc_tiep": "4",
    "ty_le": "97,5",
    "kien_nghi": None,
    "danh_hieu": "1, 2",
    "so_ky_hieu": "45/bc-ubnd",
    "ngay_ky": "16/6",
    "tham_quyen": "1",
    "dien_thoai": "+84 912 345 678",
    "file": PDF,
}


def full_answers(ctx: FormContext = XA) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    inputs = dict(FULL)
    if ctx.unit_kind == "so_nganh":
        inputs.pop("dk_gia_dinh")
    run(answers, ctx, inputs)
    return answers


# --- navigation -------------------------------------------------------------------------------


def test_first_question_and_prompt() -> None:
    question = ENGINE.next_question({}, XA)
    assert question is not None and question.id == "tong_cbcc"
    text = ENGINE.prompt(question, XA, {})
    assert text.startswith("Câu 1/17. Tổng số cán bộ tính đến ngày 14/06/2026?")
    assert "ví dụ: 12" in text


def test_when_condition_adds_question() -> None:
    answers = {"tong_cbcc": 25, "pt_chuyen_de": 0}
    assert ENGINE.next_question(answers, XA).id == "dk_ca_nhan"
    answers["pt_chuyen_de"] = 2
    assert ENGINE.next_question(answers, XA).id == "ten_pt"
    assert ENGINE.progress(answers, XA) == (2, 18)


def test_unit_kinds_limit_questions() -> None:
    ids_xa = [q.id for q in ENGINE.applicable({}, XA)]
    ids_so = [q.id for q in ENGINE.applicable({}, SO)]
    assert "dk_gia_dinh" in ids_xa
    assert "dk_gia_dinh" not in ids_so
    assert "dk_gia_dinh" in [q.id for q in ENGINE.applicable({}, FormContext("Đặc khu", date(2026, 6, 18)))]
    assert "dk_gia_dinh" in [q.id for q in ENGINE.applicable({}, FormContext(None, date(2026, 6, 18)))]


def test_next_question_after_position_wraps_to_gaps() -> None:
    answers = full_answers()
    del answers["dien_hinh"]
    del answers["file"]
    assert ENGINE.next_question(answers, XA, after="so_ky_hieu").id == "file"
    answers["file"] = PDF.as_dict()
    assert ENGINE.next_question(answers, XA, after="so_ky_hieu").id == "dien_hinh"
    answers["dien_hinh"] = 3
    assert ENGINE.next_question(answers, XA, after="so_ky_hieu") is None


def test_previous_uses_history_and_form_order() -> None:
    history = ["tong_cbcc", "pt_chuyen_de", "dk_ca_nhan", "dk_gia_dinh"]
    assert ENGINE.previous("dien_hinh", history) == "dk_gia_dinh"
    assert ENGINE.previous("dk_ca_nhan", history) == "pt_chuyen_de"  # ten_pt was never asked
    assert ENGINE.previous("tong_cbcc", history) is None
    assert ENGINE.previous(None, history) == "dk_gia_dinh"
    # after an edit jumped back, "back" still means the previous question of the form
    assert ENGINE.previous("dien_hinh", [*history, "tong_cbcc"]) == "dk_gia_dinh"


def test_previous_skips_questions_that_stopped_applying() -> None:
    answers = {"tong_cbcc": 25, "pt_chuyen_de": 0, "ten_pt": "Thi đua xanh"}
    history = ["tong_cbcc", "pt_chuyen_de", "ten_pt"]
    assert ENGINE.previous("dk_ca_nhan", history) == "ten_pt"
    assert ENGINE.previous("dk_ca_nhan", history, answers, XA) == "pt_chuyen_de"


# --- answering --------------------------------------------------------------------------------


def test_answer_does_not_mutate_and_returns_json_value() -> None:
    answers = {"tong_cbcc": 25}
    result = ENGINE.answer("pt_chuyen_de", "1.234", answers, XA)
    assert result.ok and result.value == 1234
    assert answers == {"tong_cbcc": 25}


def test_answers_are_json_roundtrippable() -> None:
    answers = full_answers()
    assert json.loads(json.dumps(answers, ensure_ascii=False)) == answers
    assert answers["ngay_ky"] == "2026-06-16"
    assert answers["giay_khen"] == {"tap_the": 3, "ca_nhan": 12, "ho_gia_dinh": 5}
    assert answers["file"]["file_ref"] == "tg:1"
    assert answers["so_ky_hieu"] == "45/BC-UBND"
    assert answers["dien_thoai"] == "0912345678"
    assert answers["kien_nghi"] is None


def test_invalid_input_gives_message_not_exception() -> None:
    result = ENGINE.answer("tong_cbcc", "12a", {}, XA)
    assert not result.ok
    assert (
        result.error == "Cần nhập một số nguyên (ví dụ: 12; nếu không có thì nhập 0). Đồng chí đã nhập: “12a”."
    )


def test_min_bound() -> None:
    result = ENGINE.answer("tong_cbcc", "0", {}, XA)
    assert not result.ok and "từ 1 trở lên" in result.error


def test_decimal_bound() -> None:
    assert ENGINE.answer("ty_le", "97,5", {}, XA).value == 97.5
    assert "lớn hơn 100" in ENGINE.answer("ty_le", "100,5", {}, XA).error


def test_skip_optional_vs_required() -> None:
    assert ENGINE.skip("kien_nghi", {}, XA).ok
    assert ENGINE.skip("kien_nghi", {}, XA).value is None
    refused = ENGINE.skip("tong_cbcc", {}, XA)
    assert not refused.ok and refused.error.startswith("Câu này bắt buộc")


def test_cross_field_error_blocks() -> None:
    result = ENGINE.answer("dk_ca_nhan", "30", {"tong_cbcc": 25}, XA)
    assert not result.ok
    assert result.error == "Số cá nhân đăng ký (30) không được lớn hơn tổng số (25)."


def test_cross_field_check_waits_for_missing_reference() -> None:
    # tong_cbcc not answered yet (e.g. jumped here by edit): the check is not applicable
    assert ENGINE.answer("dk_ca_nhan", "30", {}, XA).ok


def test_cross_field_warning_does_not_block() -> None:
    result = ENGINE.answer("nhan_rong", "10", {"dien_hinh": 3}, XA)
    assert result.ok and result.value == 10
    assert result.warnings == ("Số lượt nhân rộng lớn hơn 3 lần số điển hình.",)
    assert ENGINE.answer("nhan_rong", "9", {"dien_hinh": 3}, XA).warnings == ()


def test_numbers_parts_and_sum_check() -> None:
    answers = {"giay_khen": {"tap_the": 3, "ca_nhan": 12, "ho_gia_dinh": 5}}
    prompt = ENGINE.prompt(ENGINE.spec.question("phuong_thuc"), XA, answers)
    assert "Tổng 20 khen thưởng" in prompt
    assert "Nhập 2 số theo thứ tự: thường xuyên / đột xuất (ví dụ: 3/12)" in prompt
    bad = ENGINE.answer("phuong_thuc", "15/4", answers, XA)
    assert bad.error == "Tổng theo phương thức (19) phải bằng tổng khen thưởng (20)."
    assert ENGINE.answer("phuong_thuc", "15 5", answers, XA).ok
    wrong = ENGINE.answer("phuong_thuc", "20", answers, XA)
    assert "Cần nhập đúng 2 số" in wrong.error
    part = ENGINE.answer("truc_tiep", "13", answers, XA)
    assert part.error == "Không được lớn hơn số cá nhân được khen (12)."


def test_pattern_and_transform() -> None:
    assert ENGINE.answer("so_ky_hieu", "45 / bc-ubnd", {}, XA).value == "45/BC-UBND"
    assert ENGINE.answer("so_ky_hieu", "12/bc-đu", {}, XA).value == "12/BC-ĐU"
    assert not ENGINE.answer("so_ky_hieu", "12/bc-đảng ủy", {}, XA).ok  # ký hiệu has no tone marks
    bad = ENGINE.answer("so_ky_hieu", "BC-UBND", {}, XA)
    assert not bad.ok and "Ví dụ 45/BC-UBND" in bad.error


def test_text_length_and_empty() -> None:
    answers = {"tong_cbcc": 25, "pt_chuyen_de": 1}
    assert "ít nhất 5 ký tự" in ENGINE.answer("ten_pt", "abc", answers, XA).error
    assert "Chưa nhận được câu trả lời" in ENGINE.answer("ten_pt", "   ", answers, XA).error


def test_invisible_characters_are_not_an_answer_nor_its_length() -> None:
    """Zero-width spaces and joiners are nothing a reader sees: fifty of them are an empty
    answer, and they do not make a short answer long enough."""
    answers = {"tong_cbcc": 25, "pt_chuyen_de": 1}
    assert "Chưa nhận được câu trả lời" in ENGINE.answer("ten_pt", "\u200b" * 50, answers, XA).error
    padded = ENGINE.answer("ten_pt", "ab\u200b\u200d\u2060\ufeffc", answers, XA)
    assert padded.error and "ít nhất 5 ký tự" in padded.error and "hiện có 3" in padded.error
    assert ENGINE.answer("ten_pt", "Thi đua\u200b", answers, XA).ok


def test_date_bounds_today_and_cutoff() -> None:
    late = ENGINE.answer("ngay_ky", "19/6/2026", {}, XA)
    assert late.error == "Ngày không được sau hôm nay (18/06/2026). Đồng chí đã nhập: 19/06/2026."
    early = ENGINE.answer("ngay_ky", "10/6", {}, XA)
    assert "ngày chốt số liệu (14/06/2026)" in early.error
    assert ENGINE.answer("ngay_ky", "18/06/2026", {}, XA).value == "2026-06-18"
    # no cut-off known: that bound is not applied
    assert ENGINE.answer("ngay_ky", "10/6", {}, FormContext("xa", date(2026, 6, 18))).ok


@pytest.mark.parametrize("form_id", ["bao-cao-6-thang", "bao-cao-nam", "dang-ky-thi-dua"])
def test_signing_date_answerable_when_period_is_in_a_later_year(form_id: str) -> None:
    """An officer on 02/12/2026 reporting for a period of 2027 was held at the signing date by the
    empty range 01/01/2027 – 02/12/2026; the shipped range always has today in it."""
    engine = FormEngine(load_specs()[form_id])
    ctx = FormContext("xa", today=date(2026, 12, 2), cutoff=date(2027, 6, 14), default_year=2027, report_year=2027)
    assert engine.answer("ngay_ky", "02/12/2026", {}, ctx).value == "2026-12-02"
    later = engine.answer("ngay_ky", "03/12/2026", {}, ctx)
    assert later.error == "Ngày không được sau hôm nay (02/12/2026). Đồng chí đã nhập: 03/12/2026."


def test_choice_answer_by_label() -> None:
    assert ENGINE.answer("tham_quyen", "kt. chu tich", {}, XA).value == "kt"
    assert ENGINE.answer("tham_quyen", "2", {}, XA).value == "kt"
    assert not ENGINE.answer("tham_quyen", "3", {}, XA).ok


def test_multichoice_none_when_optional() -> None:
    assert ENGINE.answer("danh_hieu", "không", {}, XA).value == []


# --- files ------------------------------------------------------------------------------------


def test_file_question_accepts_file() -> None:
    result = ENGINE.answer("file", PDF, {}, XA)
    assert result.ok and result.value["name"] == "bao-cao.pdf"


def test_file_question_refuses_text() -> None:
    result = ENGINE.answer("file", "đã gửi qua email", {}, XA)
    assert not result.ok and result.error.startswith("Câu này cần gửi tệp")
    assert "PDF, DOCX hoặc ảnh JPG/PNG" in result.error


def test_file_question_wrong_type_and_too_big() -> None:
    exe = FileInput(name="virus.exe", mime="application/x-msdownload", size=1000, file_ref="x", sha256="")
    assert ENGINE.answer("file", exe, {}, XA).error == (
        "Tệp .exe không được chấp nhận. Vui lòng gửi tệp PDF, DOCX hoặc ảnh JPG/PNG (tối đa 20 MB)."
    )
    xlsx = FileInput(name="so-lieu.xlsx", mime="", size=1000, file_ref="x", sha256="")
    assert "Tệp .xlsx không được chấp nhận" in ENGINE.answer("file", xlsx, {}, XA).error
    big = FileInput(name="scan.pdf", mime="application/pdf", size=21 * 1024 * 1024, file_ref="x", sha256="")
    assert "quá lớn (21 MB)" in ENGINE.answer("file", big, {}, XA).error


def test_further_pages_are_added_to_the_file_answer() -> None:
    """Photos sent page by page: the first is the answer, the next ones are kept under "more"."""
    first = ENGINE.answer("file", PDF, {}, XA)
    answers = {"file": first.value}
    pages = [FileInput(name=f"trang-{i}.jpg", mime="image/jpeg", size=200_000, file_ref=f"tg:p{i}",
                       sha256=f"{i:02d}" * 32) for i in range(2, 4)]
    for page in pages:
        result = ENGINE.add_file("file", page, answers, XA)
        assert result.ok, result.error
        answers = {"file": result.value}
    assert answers["file"]["name"] == "bao-cao.pdf"
    assert [f["name"] for f in answers["file"]["more"]] == ["trang-2.jpg", "trang-3.jpg"]
    shown = next(line for line in ENGINE.summary(answers, XA) if line.question_id == "file").value
    assert shown.startswith("3 tệp: bao-cao.pdf") and "trang-3.jpg" in shown
    exe = FileInput(name="virus.exe", mime="application/x-msdownload", size=1000, file_ref="x", sha256="")
    refused = ENGINE.add_file("file", exe, answers, XA)
    assert not refused.ok and "không được chấp nhận" in (refused.error or "")
    full = {"file": {**answers["file"], "more": [answers["file"]["more"][0]] * (MAX_FILES - 1)}}
    over = ENGINE.add_file("file", pages[0], full, XA)
    assert not over.ok and f"tối đa {MAX_FILES}" in (over.error or "") and "gộp các trang" in (over.error or "")


def test_text_question_refuses_file() -> None:
    result = ENGINE.answer("tong_cbcc", PDF, {}, XA)
    assert not result.ok and "tin nhắn chữ" in result.error


# --- progress, final errors, edits ------------------------------------------------------------


def test_progress_counts_only_applicable() -> None:
    answers = full_answers()
    assert ENGINE.progress(answers, XA) == (18, 18)
    assert ENGINE.progress({}, SO) == (0, 16)
    answers_so = full_answers(SO)
    assert ENGINE.progress(answers_so, SO) == (17, 17)


def test_complete_answers_have_no_final_errors() -> None:
    assert ENGINE.final_errors(full_answers(), XA) == []
    assert ENGINE.final_errors(full_answers(SO), SO) == []
    assert ENGINE.next_question(full_answers(), XA) is None


def test_final_errors_list_unanswered_required() -> None:
    answers = full_answers()
    del answers["tong_cbcc"]
    del answers["kien_nghi"]  # optional: not an error
    assert ENGINE.final_errors(answers, XA) == ["Câu 1 (Tổng số CB, CC) chưa được trả lời."]


def test_edit_that_breaks_a_check_is_flagged_and_blocks_submission() -> None:
    answers = full_answers()
    result = ENGINE.answer("tong_cbcc", "10", answers, XA)
    assert result.ok  # the edit itself is valid…
    assert result.invalidated == ("dk_ca_nhan",)  # …but breaks a later check
    assert result.warnings == (
        "Câu 4 (Cá nhân đăng ký): Số cá nhân đăng ký (20) không được lớn hơn tổng số (10).",
    )
    answers["tong_cbcc"] = result.value
    assert ENGINE.final_errors(answers, XA) == [
        "Câu 4 (Cá nhân đăng ký): Số cá nhân đăng ký (20) không được lớn hơn tổng số (10)."
    ]
    problems = ENGINE.final_problems(answers, XA)
    assert [(p.n, p.question_id) for p in problems] == [(4, "dk_ca_nhan")]
    answers["dk_ca_nhan"] = ENGINE.answer("dk_ca_nhan", "8", answers, XA).value
    assert ENGINE.final_errors(answers, XA) == []


def test_edit_of_numbers_breaks_sum_check() -> None:
    answers = full_answers()
    answers["giay_khen"] = ENGINE.answer("giay_khen", "3/12/6", answers, XA).value
    assert ENGINE.final_errors(answers, XA) == [
        "Câu 9 (Theo phương thức): Tổng theo phương thức (20) phải bằng tổng khen thưởng (21)."
    ]


def test_answers_to_questions_no_longer_applicable_are_dropped() -> None:
    answers = full_answers()
    answers["pt_chuyen_de"] = ENGINE.answer("pt_chuyen_de", "0", answers, XA).value
    assert "ten_pt" not in [q.id for q in ENGINE.applicable(answers, XA)]
    assert "ten_pt" not in ENGINE.clean(answers, XA)
    assert ENGINE.final_errors(answers, XA) == []
    assert ENGINE.progress(answers, XA) == (17, 17)
    # and re-enabling asks it again only if it was never answered
    answers["pt_chuyen_de"] = 3
    assert ENGINE.next_question(answers, XA, after="pt_chuyen_de") is None
    del answers["ten_pt"]
    assert ENGINE.next_question(answers, XA, after="pt_chuyen_de").id == "ten_pt"


def test_stale_stored_value_is_reported() -> None:
    answers = full_answers()
    answers["tham_quyen"] = "khong_con"
    answers["tong_cbcc"] = "25"
    errors = ENGINE.final_errors(answers, XA)
    assert len(errors) == 2
    assert all("không còn hợp lệ" in error for error in errors)


def test_final_warnings() -> None:
    answers = full_answers()
    answers["nhan_rong"] = 20
    assert ENGINE.final_warnings(answers, XA) == [
        "Câu 7 (Nhân rộng): Số lượt nhân rộng lớn hơn 3 lần số điển hình."
    ]
    assert ENGINE.final_errors(answers, XA) == []


# --- summary and display ----------------------------------------------------------------------


def test_summary_numbering_sections_and_display() -> None:
    lines = ENGINE.summary(full_answers(), XA)
    assert [line.n for line in lines] == list(range(1, 19))
    shown = {line.question_id: line.value for line in lines}
    assert shown["dk_gia_dinh"] == "1.234"
    assert shown["ty_le"] == "97,5"
    assert shown["giay_khen"] == "3 / 12 / 5 (tập thể / cá nhân / hộ gia đình)"
    assert shown["kien_nghi"] == "(bỏ qua)"
    assert shown["danh_hieu"] == "Tập thể lao động tiên tiến; Tập thể lao động xuất sắc"
    assert shown["ngay_ky"] == "16/06/2026"
    assert shown["tham_quyen"] == "TM. Ủy ban nhân dân – Chủ tịch"
    assert shown["dien_thoai"] == "0912 345 678"
    assert shown["file"] == "bao-cao.pdf (1,2 MB)"
    assert shown["ten_pt"] == "Thi đua nông thôn mới Thi đua cải cách hành chính"
    first = lines[0]
    assert (first.n, first.question_id, first.label, first.section) == (
        1,
        "tong_cbcc",
        "Tổng số CB, CC",
        "I. Kết quả",
    )
    assert [line.skipped for line in lines if line.skipped] == [True]
    assert lines[-1].section == "Thông tin ký"


def test_summary_numbers_follow_applicability_and_resolve_edits() -> None:
    answers = full_answers(SO)
    lines = ENGINE.summary(answers, SO)
    assert len(lines) == 17
    by_id = {line.question_id: line.n for line in lines}
    assert by_id["dien_hinh"] == 5  # dk_gia_dinh is not asked of a department
    assert ENGINE.question_by_number(5, answers, SO).id == "dien_hinh"
    assert ENGINE.question_by_number(99, answers, SO) is None
    assert ENGINE.number("dien_hinh", answers, SO) == 5


def test_summary_shortens_long_text_and_marks_unanswered() -> None:
    answers = {"tong_cbcc": 25, "pt_chuyen_de": 1, "ten_pt": "Thi đua " * 100}
    lines = {line.question_id: line for line in ENGINE.summary(answers, XA)}
    assert lines["ten_pt"].value.endswith("…") and len(lines["ten_pt"].value) <= 160
    assert lines["dk_ca_nhan"].value == "(chưa trả lời)"


def test_display_of_empty_multichoice_and_none() -> None:
    question = ENGINE.spec.question("danh_hieu")
    assert ENGINE.display(question, []) == "(không chọn mục nào)"
    assert ENGINE.display(question, None) == "(bỏ qua)"


def test_prompt_shows_period_options_optional_and_current_answer() -> None:
    ctx = FormContext("xa", date(2026, 6, 18), cutoff=date(2026, 6, 14), period_start=date(2025, 12, 15))
    text = ENGINE.prompt(ENGINE.spec.question("pt_chuyen_de"), ctx, {"tong_cbcc": 25})
    assert "Câu 2/17. Số phong trào chuyên đề từ ngày 15/12/2025 đến ngày 14/06/2026?" in text
    # no period start: the spec's default wording with the real cut-off
    assert "từ ngày 15/12/2025 đến ngày 14/06/2026" in ENGINE.prompt(
        ENGINE.spec.question("pt_chuyen_de"), XA, {}
    )
    choice = ENGINE.prompt(ENGINE.spec.question("tham_quyen"), XA, {})
    assert "1. TM. Ủy ban nhân dân – Chủ tịch\n2. KT. Chủ tịch – Phó Chủ tịch" in choice
    optional = ENGINE.prompt(ENGINE.spec.question("kien_nghi"), XA, {})
    assert "không bắt buộc" in optional and "Bỏ qua" in optional
    editing = ENGINE.prompt(ENGINE.spec.question("tong_cbcc"), XA, {"tong_cbcc": 1234})
    assert editing.endswith("Trả lời hiện tại: 1.234")
    file_prompt = ENGINE.prompt(ENGINE.spec.question("file"), XA, {})
    assert "Gửi tệp PDF, DOCX hoặc ảnh JPG/PNG, dung lượng tối đa 20 MB." in file_prompt


def test_prompt_without_buttons_says_what_to_type_and_leaves_the_options_to_the_menu() -> None:
    """Zalo and the console have no buttons: their numbered menu lists a choice question's
    options, so the prompt must not list them too, nor tell anyone to press anything."""
    choice = ENGINE.prompt(ENGINE.spec.question("tham_quyen"), XA, {}, buttons=False)
    assert "TM. Ủy ban nhân dân – Chủ tịch" not in choice and "1." not in choice
    assert "trả lời số thứ tự" in choice and "bấm" not in choice
    optional = ENGINE.prompt(ENGINE.spec.question("kien_nghi"), XA, {}, buttons=False)
    assert "gõ “bỏ qua”" in optional and "chọn “Bỏ qua”" not in optional
    assert "bấm nút" in ENGINE.prompt(ENGINE.spec.question("tham_quyen"), XA, {})  # with buttons: unchanged


@pytest.mark.parametrize("question_id", [q["id"] for q in SPEC["questions"]])
def test_every_prompt_renders_without_leftover_placeholders(question_id: str) -> None:
    text = ENGINE.prompt(ENGINE.spec.question(question_id), XA, full_answers())
    assert "{" not in text and "}" not in text
