"""Issue 15: TT 02/2023 tables 0601–0603 from five units' known answers — every cell read back
with openpyxl equals the figure computed by hand, in total and per cụm/khối; blank where no
answer can fill a cell; unit and group names stored as text, never formulas."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.documents.tt02 import T0601, T0602, T0603, Table
from bot.documents.tt02_xlsx import NO_GROUP, TT02Unit, build_tt02_workbook


def _durations(a: int, b: int, c: int, d: int, e: int) -> dict[str, int]:
    return {"duoi_1_nam": a, "mot_nam": b, "1_3_nam": c, "3_5_nam": d, "tu_5_nam": e}


METHOD_KEYS = ("thuong_xuyen", "chuyen_de", "dot_xuat", "doi_ngoai", "cong_hien", "nien_han", "khang_chien")


def _methods(*figures: int) -> dict[str, int]:
    return dict(zip(METHOD_KEYS, figures, strict=True))


# Version 5: the state-level (Huân chương + Bằng khen TTg) and the provincial (every Bằng khen
# UBND tỉnh, households included) awards split by method — X_A (Cụm 1) and P_C (Cụm 2) only.
X_A_METHODS = {"nn": (2, 1, 0, 0, 1, 0, 0), "tinh": (3, 2, 1, 0, 0, 0, 0)}  # of 1+2+0+1 = 4 and 2+3+1 = 6
P_C_METHODS = {"nn": (0, 0, 0, 0, 0, 0, 1), "tinh": (1, 0, 0, 0, 2, 1, 0)}  # of 0+1+0+0 = 1 and 0+2+2 = 4


UNITS = [
    TT02Unit("X_A", "Xã A", ("Cụm 1",), {
        "pt_thuong_xuyen": 2, "pt_chuyen_de": 1, "pt_huong_ung": 6, "pt_thoi_han": _durations(1, 2, 0, 0, 0),
        "kt_huan_chuong": {"tap_the": 1, "ca_nhan": 2}, "kt_bk_thu_tuong": {"tap_the": 0, "ca_nhan": 1},
        "kt_bk_tinh": {"tap_the": 2, "ca_nhan": 3, "ho_gia_dinh": 1}, "co_thi_dua_don_vi": "ubnd_tinh",
        "dh_cstd_tinh": 1,
        # version 3: who received them
        "kt_nha_nuoc_doi_tuong": {"doanh_nghiep": 1, "lanh_dao_so": 0, "lanh_dao_khac": 1, "doanh_nhan": 0,
                                  "truc_tiep": 2},
        "kt_tinh_doi_tuong": {"doanh_nghiep": 1, "lanh_dao_so": 1, "lanh_dao_khac": 0, "doanh_nhan": 0,
                              "truc_tiep": 2},
        # version 5: by method, per level
        "kt_nha_nuoc_phuong_thuc": _methods(*X_A_METHODS["nn"]), "kt_tinh_phuong_thuc": _methods(*X_A_METHODS["tinh"])}),
    TT02Unit("X_B", "Xã B", ("Cụm 1", "Cụm biên giới"), {
        "pt_thuong_xuyen": 3, "pt_chuyen_de": 0, "pt_huong_ung": 2, "pt_thoi_han": _durations(0, 3, 0, 0, 0),
        "kt_huan_chuong": {"tap_the": 0, "ca_nhan": 0}, "kt_bk_thu_tuong": {"tap_the": 1, "ca_nhan": 0},
        "kt_bk_tinh": {"tap_the": 1, "ca_nhan": 4, "ho_gia_dinh": 0}, "co_thi_dua_don_vi": "chinh_phu",
        "dh_cstd_tinh": 0}),
    TT02Unit("P_C", "Phường C", ("Cụm 2",), {
        "pt_thuong_xuyen": 1, "pt_chuyen_de": 2, "pt_thoi_han": _durations(2, 0, 1, 0, 0),
        "kt_huan_chuong": {"tap_the": 0, "ca_nhan": 1}, "kt_bk_thu_tuong": {"tap_the": 0, "ca_nhan": 0},
        "kt_bk_tinh": {"tap_the": 0, "ca_nhan": 2, "ho_gia_dinh": 2}, "co_thi_dua_don_vi": "khong",
        "dh_cstd_tinh": 2,
        "kt_tinh_doi_tuong": {"doanh_nghiep": 0, "lanh_dao_so": 0, "lanh_dao_khac": 0, "doanh_nhan": 0,
                              "truc_tiep": 2},
        "kt_nha_nuoc_phuong_thuc": _methods(*P_C_METHODS["nn"]), "kt_tinh_phuong_thuc": _methods(*P_C_METHODS["tinh"])}),
    # A department whose answers are of the first version of the form: no durations, no
    # households for Bằng khen, no flag question, no CSTĐ cấp tỉnh.
    TT02Unit("S_D", "=HYPERLINK(\"http://x\",\"Sở D\")", (), {
        "pt_thuong_xuyen": 4, "pt_chuyen_de": 1,
        "kt_huan_chuong": {"tap_the": 2, "ca_nhan": 0}, "kt_bk_thu_tuong": {"tap_the": 1, "ca_nhan": 2},
        "kt_bk_tinh": {"tap_the": 1, "ca_nhan": 1}}),
    TT02Unit("X_E", "Xã E", ("Cụm 2", "Cụm biên giới"), {
        "pt_thuong_xuyen": 0, "pt_chuyen_de": 0, "pt_thoi_han": _durations(0, 0, 0, 0, 0),
        "kt_huan_chuong": {"tap_the": 0, "ca_nhan": 0}, "kt_bk_thu_tuong": {"tap_the": 0, "ca_nhan": 0},
        "kt_bk_tinh": {"tap_the": 0, "ca_nhan": 0, "ho_gia_dinh": 0}, "co_thi_dua_don_vi": "khong",
        "dh_cstd_tinh": 0}),
]

# --- figures computed by hand (row code → {column key: figure}); every other cell is blank ----

E0601 = {
    "Tổng hợp": {"01": 14, "05": 14, "06": 3, "07": 5, "08": 1, "09": 0, "10": 0, "11": 4, "12": 10},
    "Cụm 1": {"01": 6, "05": 6, "06": 1, "07": 5, "08": 0, "09": 0, "10": 0, "11": 1, "12": 5},
    "Cụm 2": {"01": 3, "05": 3, "06": 2, "07": 0, "08": 1, "09": 0, "10": 0, "11": 2, "12": 1},
    "Cụm biên giới": {"01": 3, "05": 3, "06": 0, "07": 3, "08": 0, "09": 0, "10": 0, "11": 0, "12": 3},
    NO_GROUP: {"01": 5, "05": 5, "11": 1, "12": 4},
}
# 0601: the unit's own movements, launched at the level "cơ quan, tổ chức, đơn vị" (c4), c1 = c4.
EXPECTED_0601 = {block: {(r, c): v for r, v in rows.items() for c in ("c1", "c4")} for block, rows in E0601.items()}


def _awards(row1: dict[str, int], row6: dict[str, int], row9: dict[str, int], *, province: str = "3") -> dict:
    cells = {}
    for row, values in (("1", row1), (province, row1), ("6", row6), ("9", row9)):
        for col, v in values.items():
            cells[(row, col)] = v
    return cells


EXPECTED_0602 = {
    "Tổng hợp": _awards({"total": 12, "hc_tt": 3, "hc_cn": 3, "co_cp": 1, "bk_ttg_tt": 2, "bk_ttg_cn": 3},
                        {"total": 6, "hc_tt": 3, "co_cp": 1, "bk_ttg_tt": 2}, {"total": 6, "hc_cn": 3, "bk_ttg_cn": 3}),
    "Cụm 1": _awards({"total": 6, "hc_tt": 1, "hc_cn": 2, "co_cp": 1, "bk_ttg_tt": 1, "bk_ttg_cn": 1},
                     {"total": 3, "hc_tt": 1, "co_cp": 1, "bk_ttg_tt": 1}, {"total": 3, "hc_cn": 2, "bk_ttg_cn": 1}),
    "Cụm 2": _awards({"total": 1, "hc_tt": 0, "hc_cn": 1, "co_cp": 0, "bk_ttg_tt": 0, "bk_ttg_cn": 0},
                     {"total": 0, "hc_tt": 0, "co_cp": 0, "bk_ttg_tt": 0}, {"total": 1, "hc_cn": 1, "bk_ttg_cn": 0}),
    "Cụm biên giới": _awards({"total": 2, "hc_tt": 0, "hc_cn": 0, "co_cp": 1, "bk_ttg_tt": 1, "bk_ttg_cn": 0},
                             {"total": 2, "hc_tt": 0, "co_cp": 1, "bk_ttg_tt": 1},
                             {"total": 0, "hc_cn": 0, "bk_ttg_cn": 0}),
    NO_GROUP: _awards({"total": 5, "hc_tt": 2, "hc_cn": 0, "bk_ttg_tt": 1, "bk_ttg_cn": 2},
                      {"total": 3, "hc_tt": 2, "bk_ttg_tt": 1}, {"total": 2, "hc_cn": 0, "bk_ttg_cn": 2}),
}


def _p(r01: dict[str, int], r02: dict[str, int], r04: dict[str, int], r05: dict[str, int]) -> dict:
    return {(row, col): v for row, values in (("01", r01), ("02", r02), ("04", r04), ("05", r05))
            for col, v in values.items()}


EXPECTED_0603 = {
    "Tổng hợp": _p({"total": 21, "bk": 17, "cstd": 3, "co": 1}, {"total": 5, "bk": 4, "co": 1},
                   {"total": 3, "bk": 3}, {"total": 13, "bk": 10, "cstd": 3}),
    "Cụm 1": _p({"total": 13, "bk": 11, "cstd": 1, "co": 1}, {"total": 4, "bk": 3, "co": 1},
                {"total": 1, "bk": 1}, {"total": 8, "bk": 7, "cstd": 1}),
    "Cụm 2": _p({"total": 6, "bk": 4, "cstd": 2, "co": 0}, {"total": 0, "bk": 0, "co": 0},
                {"total": 2, "bk": 2}, {"total": 4, "bk": 2, "cstd": 2}),
    "Cụm biên giới": _p({"total": 5, "bk": 5, "cstd": 0, "co": 0}, {"total": 1, "bk": 1, "co": 0},
                        {"total": 0, "bk": 0}, {"total": 4, "bk": 4, "cstd": 0}),
    NO_GROUP: _p({"total": 2, "bk": 2}, {"total": 1, "bk": 1}, {}, {"total": 1, "bk": 1}),
}

# By recipient (version 3 answers of X_A, Cụm 1, and of P_C, Cụm 2): 0602 in its "Tổng số" column,
# 0603 in the Bằng khen column; the units without the question leave the rows blank, not 0.
X_A_0602 = {("7", "total"): 1, ("11", "total"): 0, ("12", "total"): 0, ("13", "total"): 1, ("14", "total"): 2}
for _block_name in ("Tổng hợp", "Cụm 1"):
    EXPECTED_0602[_block_name].update(X_A_0602)
for _block_name, figures in (("Tổng hợp", (1, 1, 0, 0, 4)), ("Cụm 1", (1, 1, 0, 0, 2)), ("Cụm 2", (0, 0, 0, 0, 2))):
    EXPECTED_0603[_block_name].update({(row, "bk"): v for row, v in zip(("03", "07", "08", "09", "10"), figures,
                                                                        strict=True)})

# By method (version 5 answers of X_A, Cụm 1, and P_C, Cụm 2): 0602 rows 15–21 in its "Tổng số"
# column, 0603 rows 11–17 in the Bằng khen column; blank for the units of an earlier version
# (X_B, S_D) or without an award at that level (X_E, not asked), so blank in Cụm biên giới and in
# the units without a cụm, khối — never 0.
ROWS_0602_METHOD = ("15", "16", "17", "18", "19", "20", "21")
ROWS_0603_METHOD = ("11", "12", "13", "14", "15", "16", "17")
METHODS_BY_BLOCK = {
    "Tổng hợp": {"nn": (2, 1, 0, 0, 1, 0, 1), "tinh": (4, 2, 1, 0, 2, 1, 0)},
    "Cụm 1": X_A_METHODS,
    "Cụm 2": P_C_METHODS,
}
for _block_name, split in METHODS_BY_BLOCK.items():
    EXPECTED_0602[_block_name].update(
        {(row, "total"): v for row, v in zip(ROWS_0602_METHOD, split["nn"], strict=True)})
    EXPECTED_0603[_block_name].update({(row, "bk"): v for row, v in zip(ROWS_0603_METHOD, split["tinh"], strict=True)})

# Where each column of the printed forms is (A label, B mã số, C đơn vị tính on 0602/0603).
LETTERS = {
    "0601": dict(zip(["c1", "c2", "c3", "c4"], "CDEF", strict=True)),
    "0602": dict(zip([c.key for c in T0602.columns], "DEFGHIJKLMNO", strict=True)),
    "0603": dict(zip([c.key for c in T0603.columns], "DEFGH", strict=True)),
}


@pytest.fixture(scope="module")
def workbook():  # type: ignore[no-untyped-def]
    data = build_tt02_workbook(UNITS, office="Sở Nội vụ tỉnh Lạng Sơn", year=2026, scope="Tổng hợp")
    return load_workbook(BytesIO(data))


def _block(ws: Worksheet, table: Table, title: str) -> dict[str, int]:
    """Row code → sheet row of the block whose title starts with ``title``."""
    start = next(r for r in range(1, ws.max_row + 1) if str(ws.cell(r, 1).value or "").startswith(title + " ("))
    rows = {}
    for offset, row in enumerate(table.rows):
        r = start + 4 + offset
        assert ws.cell(r, 1).value == row.label and (ws.cell(r, 2).value or "") == row.code
        if row.code:
            rows[row.code] = r
    return rows


@pytest.mark.parametrize(("table", "expected"), [(T0601, EXPECTED_0601), (T0602, EXPECTED_0602),
                                                 (T0603, EXPECTED_0603)], ids=["0601", "0602", "0603"])
def test_every_cell_equals_the_hand_computed_figure(workbook, table: Table, expected: dict) -> None:  # type: ignore[no-untyped-def]
    ws = workbook[f"Biểu {table.code}"]
    letters = LETTERS[table.code]
    for block, cells in expected.items():
        rows = _block(ws, table, block)
        for code, r in rows.items():
            for key, letter in letters.items():
                got = ws[f"{letter}{r}"].value
                want = cells.get((code, key))
                assert got == want, (table.code, block, code, key, got, want)
                if want is not None:
                    assert type(got) is int  # numbers as numbers


@pytest.mark.parametrize(("sheet", "rows", "column", "level"),
                         [("0602 theo đơn vị", ROWS_0602_METHOD, "Tổng số", "nn"),
                          ("0603 theo đơn vị", ROWS_0603_METHOD, "Chia ra – Bằng khen", "tinh")], ids=["0602", "0603"])
def test_the_rows_by_method_per_unit(workbook, sheet: str, rows: tuple[str, ...], column: str, level: str) -> None:  # type: ignore[no-untyped-def]
    ws = workbook[sheet]
    head = [c.value for c in ws[1]]
    cols = [head.index(f"Mã số {row} – {column}") + 1 for row in rows]
    assert not any(str(h).startswith(f"Mã số {rows[0]} – ") and h != f"Mã số {rows[0]} – {column}" for h in head)
    got = {ws.cell(r, 3).value: tuple(ws.cell(r, c).value for c in cols) for r in range(2, ws.max_row + 1)}
    blank = (None,) * 7
    assert got["Xã A"] == X_A_METHODS[level] and got["Phường C"] == P_C_METHODS[level]
    assert got["Xã B"] == got["Xã E"] == blank
    assert next(v for k, v in got.items() if str(k).startswith("=HYPERLINK")) == blank
    assert got["Cộng Cụm 1"] == X_A_METHODS[level] and got["Cộng Cụm 2"] == P_C_METHODS[level]
    assert got["Cộng Cụm biên giới"] == got[f"Cộng {NO_GROUP}"] == blank
    assert got["Tổng cộng"] == METHODS_BY_BLOCK["Tổng hợp"][level]


def test_a_unit_of_an_earlier_version_leaves_the_method_rows_blank() -> None:
    from bot.documents.tt02 import unit_cells

    v4 = {"kt_huan_chuong": {"tap_the": 1, "ca_nhan": 0}, "kt_bk_thu_tuong": {"tap_the": 0, "ca_nhan": 0},
          "kt_bk_tinh": {"tap_the": 1, "ca_nhan": 0, "ho_gia_dinh": 0}, "phuong_thuc": _methods(2, 0, 0, 0, 0, 0, 0)}
    assert not any(row in ROWS_0602_METHOD for row, _ in unit_cells(T0602, v4))
    assert not any(row in ROWS_0603_METHOD for row, _ in unit_cells(T0603, v4))
    v5 = {**v4, "kt_nha_nuoc_phuong_thuc": _methods(0, 0, 1, 0, 0, 0, 0),
          "kt_tinh_phuong_thuc": _methods(0, 1, 0, 0, 0, 0, 0)}
    assert {k: v for k, v in unit_cells(T0602, v5).items() if k[0] in ROWS_0602_METHOD} == {
        (row, "total"): v for row, v in zip(ROWS_0602_METHOD, (0, 0, 1, 0, 0, 0, 0), strict=True)}
    assert {k: v for k, v in unit_cells(T0603, v5).items() if k[0] in ROWS_0603_METHOD} == {
        (row, "bk"): v for row, v in zip(ROWS_0603_METHOD, (0, 1, 0, 0, 0, 0, 0), strict=True)}


def test_the_printed_headings_and_merged_header_cells(workbook) -> None:  # type: ignore[no-untyped-def]
    ws = workbook["Biểu 0602"]
    assert ws["A1"].value == "Biểu số: 0602.N/BNV-TĐKT"
    assert ws["A4"].value == "SỐ LƯỢNG KHEN THƯỞNG CẤP NHÀ NƯỚC" and ws["A5"].value == "Năm 2026"
    title = next(r for r in range(1, 40) if str(ws.cell(r, 1).value or "").startswith("Tổng hợp ("))
    h1, h2, h3 = title + 1, title + 2, title + 3
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert f"E{h1}:F{h1}" in merged and ws[f"E{h1}"].value == "Huân chương"
    assert (ws[f"E{h2}"].value, ws[f"F{h2}"].value) == ("Tập thể", "Cá nhân")
    assert f"K{h1}:L{h1}" in merged and ws[f"K{h1}"].value == "Bằng khen của Thủ tướng Chính phủ"
    assert f"J{h1}:J{h2}" in merged and ws[f"J{h1}"].value == "Cờ thi đua của Chính phủ"
    # The column numbers as printed; a number over two columns is one merged cell.
    assert [ws.cell(h3, c).value for c in range(1, 16)] == ["A", "B", "C", "1", "2", None, "3", "4", "5", "6", "7",
                                                           None, "8", "9", None]
    assert f"E{h3}:F{h3}" in merged
    ws = workbook["Biểu 0601"]
    assert ws["A4"].value == "SỐ PHONG TRÀO THI ĐUA" and ws["A6"].value == "Đơn vị tính: Phong trào"
    title = next(r for r in range(1, 40) if str(ws.cell(r, 1).value or "").startswith("Tổng hợp ("))
    assert ws.cell(title, 1).value == "Tổng hợp (5 đơn vị)"
    assert f"D{title + 1}:F{title + 1}" in {str(m) for m in ws.merged_cells.ranges}
    assert ws[f"D{title + 1}"].value == "Chia ra theo cấp phát động"


def test_each_unit_and_each_group_on_the_unit_sheet(workbook) -> None:  # type: ignore[no-untyped-def]
    ws = workbook["0601 theo đơn vị"]
    head = [c.value for c in ws[1]]
    col = head.index("Mã số 01 – Tổng số") + 1
    by_name = {ws.cell(r, 3).value: ws.cell(r, col).value for r in range(2, ws.max_row + 1)}
    assert by_name["Xã A"] == 3 and by_name["Xã B"] == 3 and by_name["Phường C"] == 3 and by_name["Xã E"] == 0
    assert by_name["Cộng Cụm biên giới"] == 3 and by_name[f"Cộng {NO_GROUP}"] == 5 and by_name["Tổng cộng"] == 14
    # A unit name that looks like a formula is text, and marked so for Excel.
    name_cell = next(ws.cell(r, 3) for r in range(2, ws.max_row + 1) if ws.cell(r, 2).value == "S_D")
    assert name_cell.data_type == "s" and name_cell.value.startswith("=HYPERLINK")


def test_a_movement_responded_to_is_not_counted_again() -> None:
    from bot.documents.tt02 import unit_cells

    cells = unit_cells(T0601, {"pt_thuong_xuyen": 1, "pt_chuyen_de": 0, "pt_huong_ung": 9})
    assert cells[("01", "c1")] == 1 and ("01", "c2") not in cells and ("01", "c3") not in cells


def test_plain_values_go_as_they_are_and_risky_text_as_a_text_cell() -> None:
    """The fast path of the unit sheets and the period export: only text openpyxl would store
    as plain text anyway skips the cell object."""
    from openpyxl import Workbook

    from bot.documents.xlsx_safe import value

    ws = Workbook(write_only=True).create_sheet()
    for plain in ("Xã Cao Lộc", 12, 3.5, None, "Cụm 1; Cụm biên giới"):
        assert value(ws, plain) == plain
    for risky in ("=1+1", " @SUM(A1)", "#N/A", "#REF!", "a\x07b", "－1"):
        got = value(ws, risky)
        assert got is not risky and got.data_type == "s", risky
