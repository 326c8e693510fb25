"""Issue 15: a unit's report as a Word document in the Nghị định 30/2020 layout, read back with
python-docx: page and margins, the heading (unit, "Số:", motto, place and date), "BÁO CÁO" and
its trích yếu, every section of the form, the figures in sentences, the text answers, the
signature and the preparer."""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO

import pytest
from docx import Document

from bot.documents.text import vn_date_words
from bot.documents.unit_report import UnitReportData, build_unit_report, place_of
from bot.forms.spec import load_specs

SPECS = load_specs()

ANSWERS = {
    "tong_cbcc": 1234, "vb_chi_dao": 3, "pt_thuong_xuyen": 2, "pt_chuyen_de": 1,
    "ten_pt_chuyen_de": "Thi đua xây dựng nông thôn mới\nThi đua cải cách hành chính", "dk_ca_nhan": 1500,
    "dk_tap_the": 4, "dk_gia_dinh": 1200, "dien_hinh": 7, "dien_hinh_nhan_rong": 9, "sang_kien": 2,
    "kt_tham_quyen": {"tap_the": 3, "ca_nhan": 12, "ho_gia_dinh": 5},
    "kt_huan_chuong": {"tap_the": 0, "ca_nhan": 0}, "kt_bk_thu_tuong": {"tap_the": 0, "ca_nhan": 1},
    "kt_bk_tinh": {"tap_the": 1, "ca_nhan": 2}, "kt_co_thi_dua": 0, "kt_cap_tren_khac": {"tap_the": 0, "ca_nhan": 0},
    "phuong_thuc": {"thuong_xuyen": 15, "chuyen_de": 4, "dot_xuat": 1, "khac": 4},
    "kt_pt_chuyen_de": {"tap_the": 1, "ca_nhan": 3}, "cbcc_duoc_khen": 8, "truc_tiep_ld": 6, "de_nghi_cho": 2,
    "noi_bat": "Phong trào xây dựng nông thôn mới lan tỏa rộng khắp.\nH|Không phải đề mục\nX|figures",
    "han_che": "Việc nhân rộng điển hình còn chậm.", "nguyen_nhan": "Kinh phí còn hạn hẹp.",
    "phuong_huong": "Tiếp tục đẩy mạnh các phong trào thi đua.", "kien_nghi": "Đề nghị bổ sung kinh phí khen thưởng.",
    "so_ky_hieu": "45/BC-UBND", "ngay_ky": "2026-06-05", "nguoi_ky": "Hoàng Văn Nam", "tham_quyen_ky": "kt",
    "nguoi_lap": "Trần Thị Bình", "dien_thoai": "0912345678",
}


def _doc(form: str = "bao-cao-6-thang", answers: dict | None = None, **kw: object) -> Document:  # type: ignore[type-arg]
    data = UnitReportData(spec=SPECS[form], unit_name=str(kw.get("unit_name", "Xã Cao Lộc")),
                          unit_kind=str(kw.get("kind", "xa")), answers=answers or ANSWERS, year=2026,
                          office_name="Sở Nội vụ tỉnh Lạng Sơn", parent_name=str(kw.get("parent", "UBND tỉnh Lạng Sơn")),
                          cutoff=date(2026, 6, 14))
    return Document(BytesIO(build_unit_report(data)))


def _cells(doc: Document) -> list[str]:
    return [c.text for t in doc.tables for r in t.rows for c in r.cells]


def _body(doc: Document) -> list[str]:
    return [p.text for p in doc.paragraphs if p.text.strip()]


def test_page_size_margins_and_font() -> None:
    doc = _doc()
    s = doc.sections[0]
    assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)
    assert 20 <= round(s.top_margin.mm) <= 25 and 20 <= round(s.bottom_margin.mm) <= 25
    assert 30 <= round(s.left_margin.mm) <= 35 and 15 <= round(s.right_margin.mm) <= 20
    normal = doc.styles["Normal"].font
    assert normal.name == "Times New Roman" and 13 <= normal.size.pt <= 14
    for p in doc.paragraphs:
        for run in p.runs:
            assert run.font.name in (None, "Times New Roman")


def test_heading_title_sections_figures_and_signature() -> None:
    doc = _doc()
    cells = _cells(doc)
    issuer, motto, number, place_date = cells[0], cells[1], cells[2], cells[3]
    assert issuer.split("\n")[:2] == ["ỦY BAN NHÂN DÂN", "XÃ CAO LỘC"]
    assert motto.split("\n")[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert number == "Số: 45/BC-UBND"
    assert place_date == "Cao Lộc, ngày 05 tháng 6 năm 2026"
    date_para = next(t for t in doc.tables).cell(1, 1).paragraphs[0]
    assert all(run.italic for run in date_para.runs)
    body = _body(doc)
    assert body[0] == "BÁO CÁO"
    assert body[1:3] == ["Sơ kết công tác thi đua, khen thưởng 6 tháng đầu năm 2026;",
                         "phương hướng, nhiệm vụ 6 tháng cuối năm 2026"]
    text = "\n".join(body)
    for q in SPECS["bao-cao-6-thang"].questions:
        section = q.section or ""
        if re.match(r"^[IVX]+\. ", section):
            numeral, _, rest = section.partition(". ")
            assert f"{numeral}. {rest.upper()}" in body, section
    # Figures written in sentences, Vietnamese thousands separators.
    assert "tính đến ngày 14/06/2026 là 1.234 người" in text
    assert "đã ban hành 3 văn bản" in text
    assert "1.500 cá nhân và 4 tập thể đã đăng ký thi đua; 1.200 hộ gia đình" in text
    assert "Giấy khen cho 3 tập thể, 12 cá nhân và 5 hộ gia đình" in text
    assert "Bằng khen của Thủ tướng Chính phủ: 1 cá nhân; Bằng khen của Chủ tịch UBND tỉnh: 1 tập thể, 2 cá nhân" in text
    assert "thường xuyên 15, chuyên đề 4, đột xuất 1, khác 4" in text
    assert "- Thi đua cải cách hành chính" in body
    # Text answers as paragraphs; a line typed like a block marker is only text.
    assert "Kinh phí còn hạn hẹp." in body and "Đề nghị bổ sung kinh phí khen thưởng." in body
    typed = next(p for p in doc.paragraphs if "Không phải đề mục" in p.text)
    assert typed.text == "H|Không phải đề mục" and not any(r.bold for r in typed.runs)
    assert "X|figures" in body
    assert body[-1] == "Người lập báo cáo: Trần Thị Bình, điện thoại 0912345678."
    assert "Trên đây là báo cáo sơ kết công tác thi đua, khen thưởng 6 tháng đầu năm 2026 của Ủy ban nhân dân xã Cao Lộc./." in body
    recipients, signature = cells[-2], cells[-1]
    assert recipients.startswith("Nơi nhận:") and "Sở Nội vụ tỉnh Lạng Sơn" in recipients and "Lưu: VT." in recipients
    lines = [line for line in signature.split("\n") if line.strip()]
    assert lines == ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Hoàng Văn Nam"]


def test_a_department_signs_for_its_director_under_the_province() -> None:
    answers = {**ANSWERS, "so_ky_hieu": "12/BC-SGDĐT", "tham_quyen_ky": "kt_giam_doc"}
    doc = _doc(answers=answers, unit_name="Sở Giáo dục và Đào tạo", kind="so")
    cells = _cells(doc)
    assert cells[0].split("\n")[:2] == ["UBND TỈNH LẠNG SƠN", "SỞ GIÁO DỤC VÀ ĐÀO TẠO"]
    assert cells[3] == "Lạng Sơn, ngày 05 tháng 6 năm 2026"
    assert [x for x in cells[-1].split("\n") if x.strip()] == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Hoàng Văn Nam"]
    assert "Thủ trưởng đơn vị đã tặng Giấy khen" in "\n".join(_body(doc))


def test_annual_report_has_its_titles_and_sections() -> None:
    answers = {**ANSWERS, "dh_ldtt": 20, "dh_cstdcs": 3, "dh_tt_ldtt": 2, "dh_tt_ldxs": 1, "gd_tong": 1000,
               "gd_van_hoa": 853, "thon_tong": 12, "thon_van_hoa": 10, "xa_tieu_bieu": "dat",
               "co_thi_dua_don_vi": "ubnd_tinh", "bai_hoc": "Phải gắn thi đua với nhiệm vụ chính trị.",
               "dh_dang_de_nghi": {"tt_ldxs": 1, "cstd_tinh": 2}}
    doc = _doc("bao-cao-nam", answers)
    body = _body(doc)
    text = "\n".join(body)
    assert body[1:3] == ["Tổng kết công tác thi đua, khen thưởng năm 2026;", "phương hướng, nhiệm vụ năm 2027"]
    assert "20 cá nhân đạt danh hiệu “Lao động tiên tiến”, 3 cá nhân đạt danh hiệu “Chiến sĩ thi đua cơ sở”" in text
    assert "853/1.000 hộ gia đình" in text and "(đạt 85,3%)" in text
    assert ("đang chờ quyết định: 1 tập thể đề nghị tặng danh hiệu “Tập thể lao động xuất sắc” và 2 cá nhân "
            "đề nghị tặng danh hiệu “Chiến sĩ thi đua cấp tỉnh”") in text
    assert "“Xã, phường, đặc khu tiêu biểu”: đạt" in text
    assert "Phải gắn thi đua với nhiệm vụ chính trị." in body
    for q in SPECS["bao-cao-nam"].questions:
        if re.match(r"^[IVX]+\. ", q.section or ""):
            numeral, _, rest = (q.section or "").partition(". ")
            assert f"{numeral}. {rest.upper()}" in body


def test_registration_is_a_registration() -> None:
    answers = {"nam": 2026, "tong_cbcc": 30, "chu_de": "Đoàn kết, kỷ cương, đổi mới", "chi_tieu": "100% hoàn thành",
               "dh_tap_the": ["tt_ldxs"], "dk_ldtt": 25, "dk_cstdcs": 3, "dk_cstd_tinh": 1, "ngay_ky": "2026-03-10",
               "nguoi_ky": "Hoàng Văn Nam", "tham_quyen_ky": "tm", "nguoi_lap": "Trần Thị Bình"}
    body = _body(_doc("dang-ky-thi-dua", answers))
    assert body[0] == "BẢN ĐĂNG KÝ THI ĐUA" and body[1] == "Năm 2026"
    assert "Đơn vị đăng ký danh hiệu thi đua, hình thức khen thưởng tập thể: Tập thể lao động xuất sắc." in body


@pytest.mark.parametrize(("day", "words"), [(date(2026, 6, 5), "ngày 05 tháng 6 năm 2026"),
                                            (date(2026, 2, 15), "ngày 15 tháng 02 năm 2026"),
                                            (date(2026, 12, 1), "ngày 01 tháng 12 năm 2026")])
def test_date_as_the_decree_writes_it(day: date, words: str) -> None:
    assert vn_date_words(day) == words


def test_place_names() -> None:
    assert place_of("Xã Cao Lộc", "xa") == "Cao Lộc"
    assert place_of("Đặc khu Vân Đồn", "dac_khu") == "Vân Đồn"
    assert place_of("Sở Nội vụ", "so", "UBND tỉnh Lạng Sơn") == "Lạng Sơn"
