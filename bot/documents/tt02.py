"""Thông tư 02/2023/TT-BNV statistics tables 0601, 0602 and 0603, filled from the units' answers.

Each table is data: its rows (mã số and label as printed on the form, bold for the group rows)
and its columns (as printed, with the header cells the form merges). :func:`unit_cells` turns one
unit's answers into the cells the forms' rules allow us to fill; everything else stays blank —
a blank cell says "not collected", never a made-up zero. Totals are plain sums of the units'
cells, so the province's figure is exactly the sum of what the units reported.

Where a figure comes from (v1 answers feed what they can, v2 adds what v1 lacked):

* 0601 (phong trào): the unit's own movements are launched at the level "cơ quan, tổ chức, đơn
  vị" (column 4; column 1 = 2 + 3 + 4) and have the unit's scope (row 05); 11 theo chuyên đề =
  ``pt_chuyen_de``, 12 thường xuyên = ``pt_thuong_xuyen``; rows 06–10 by duration from
  ``pt_thoi_han`` (v2). Movements the unit only responded to (``pt_huong_ung``) are the higher
  level's and are not counted again — the double count the province used to make.
* 0602 (cấp Nhà nước): Huân chương (``kt_huan_chuong``), Cờ thi đua của Chính phủ (the unit's
  own flag, ``co_thi_dua_don_vi``), Bằng khen của Thủ tướng (``kt_bk_thu_tuong``); every
  proposal from a commune or a department goes through the province (row 3 = row 1).
  By recipient (v3, ``kt_nha_nuoc_doi_tuong``, in the "Tổng số" column: the Cờ of the
  Government goes to the unit itself, never a business or a person): 7 trong đó doanh nghiệp,
  11 lãnh đạo cấp sở, 12 doanh nhân, 13 lãnh đạo khác từ phó phòng, 14 người trực tiếp lao động.
  By method (v5, ``kt_nha_nuoc_phuong_thuc``: the Huân chương and Bằng khen of the Thủ tướng, in
  the "Tổng số" column too): 15 thường xuyên, 16 chuyên đề, 17 đột xuất, 18 đối ngoại, 19 cống
  hiến, 20 niên hạn, 21 kháng chiến. The unit's Cờ of the Government is not in that split (the
  form does not ask its method), so rows 15–21 add up to row 1 less the Cờ thi đua column.
* 0603 (cấp tỉnh): Bằng khen (``kt_bk_tinh``), Chiến sĩ thi đua cấp tỉnh (``dh_cstd_tinh``, v2),
  Cờ thi đua của UBND tỉnh (``co_thi_dua_don_vi``); by recipient (v3, ``kt_tinh_doi_tuong``,
  Bằng khen only, so in its column alone) 03 doanh nghiệp, 07–10 as in 0602; by method (v5,
  ``kt_tinh_phuong_thuc``, every Bằng khen, households included, so in its column alone: rows
  11–17 add up to row 01 of that column) 11–17 in 0602's order.

A unit whose answers are of an earlier version (or that had no award at that level, so was not
asked) leaves the rows by recipient and by method blank, and the totals count only the units that
answered.

Still blank, because no question can give them exactly: 0602 row 10 and 0603 row 06 (leaders at
ministry/province level: not a commune's or department's own staff), the Huy hiệu column, and the
rows by method outside the two columns above (by form of award: the Cờ thi đua and the CSTĐ cấp
tỉnh are not split by method; the form's ``phuong_thuc`` splits every award of every level at once,
so it gives no figure for one level).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["TABLES", "Cells", "Column", "Row", "Table", "add_cells", "unit_cells"]

Cells = dict[tuple[str, str], int]
"""(row code, column key) → figure."""


@dataclass(frozen=True)
class Row:
    code: str  # mã số as printed ("01"), "" for a group heading
    label: str
    unit: str = ""  # đơn vị tính (0602, 0603)
    bold: bool = False


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the lowest header cell
    group: str = ""  # the merged header cell above it ("" = none: the label spans the header rows)
    number: str = ""  # the column number printed under the header (1, 2, …)


@dataclass(frozen=True)
class Table:
    code: str  # "0601"
    form: str  # "Biểu số: 0601.N/BNV-TĐKT"
    title: str
    measure: str  # "Đơn vị tính: …" ("" when the rows carry their own)
    rows: tuple[Row, ...]
    columns: tuple[Column, ...]
    has_unit_column: bool = False

    def row(self, code: str) -> Row:
        return next(r for r in self.rows if r.code == code)


_METHODS = (("15", "- Thường xuyên"), ("16", "- Chuyên đề"), ("17", "- Đột xuất"), ("18", "- Đối ngoại"),
            ("19", "- Cống hiến"), ("20", "- Niên hạn"), ("21", "- Kháng chiến"))
"""0602's rows by method (0603's are the same, numbered 4 lower: 11–17)."""

_METHOD_PARTS = ("thuong_xuyen", "chuyen_de", "dot_xuat", "doi_ngoai", "cong_hien", "nien_han", "khang_chien")
"""The method split's parts (``kt_nha_nuoc_phuong_thuc``, ``kt_tinh_phuong_thuc``), in ``_METHODS``' order."""

T0601 = Table(
    code="0601", form="Biểu số: 0601.N/BNV-TĐKT", title="SỐ PHONG TRÀO THI ĐUA", measure="Đơn vị tính: Phong trào",
    rows=(
        Row("01", "Tổng số", bold=True),
        Row("", "1. Chia theo phạm vi", bold=True),
        Row("02", "- Toàn quốc"),
        Row("03", "- Bộ, ban, ngành, đoàn thể Trung ương, địa phương"),
        Row("04", "- Cụm, khối thi đua"),
        Row("05", "- Cơ quan, tổ chức, đơn vị"),
        Row("", "2. Chia theo thời gian", bold=True),
        Row("06", "- Dưới 1 năm"),
        Row("07", "- 1 năm"),
        Row("08", "- Từ 1 năm đến dưới 3 năm"),
        Row("09", "- Từ 3 năm đến dưới 5 năm"),
        Row("10", "- Từ 5 năm trở lên"),
        Row("", "3. Chia theo hình thức", bold=True),
        Row("11", "- Theo chuyên đề"),
        Row("12", "- Thường xuyên hằng năm"),
    ),
    columns=(
        Column("c1", "Tổng số", number="1"),
        Column("c2", "Cấp Trung ương (Hội đồng Thi đua - Khen thưởng Trung ương)", "Chia ra theo cấp phát động",
               "2"),
        Column("c3", "Cấp bộ, ban, ngành, đoàn thể Trung ương, tỉnh, thành phố trực thuộc Trung ương",
               "Chia ra theo cấp phát động", "3"),
        Column("c4", "Cơ quan, tổ chức, đơn vị", "Chia ra theo cấp phát động", "4"),
    ),
)

T0602 = Table(
    code="0602", form="Biểu số: 0602.N/BNV-TĐKT", title="SỐ LƯỢNG KHEN THƯỞNG CẤP NHÀ NƯỚC", measure="",
    has_unit_column=True,
    rows=(
        Row("1", "Tổng số", bold=True),
        Row("", "1. Chia theo đơn vị ban hành tờ trình Thủ tướng Chính phủ về khen thưởng", bold=True),
        Row("2", "- Bộ, ban, ngành, đoàn thể Trung ương", "Bộ, ngành"),
        Row("3", "- Tỉnh, thành phố trực thuộc Trung ương", "Tỉnh, TP"),
        Row("", "2. Chia theo đối tượng khen thưởng", bold=True),
        Row("6", "- Tập thể", "Tập thể"),
        Row("7", "Trong đó: Doanh nghiệp", "Doanh nghiệp"),
        Row("8", "- Hộ gia đình", "Hộ"),
        Row("9", "- Cá nhân", "Người"),
        Row("10", "+ Lãnh đạo cấp bộ, cấp tỉnh và tương đương trở lên", "Người"),
        Row("11", "+ Lãnh đạo cấp vụ, sở, ngành và tương đương", "Người"),
        Row("12", "+ Doanh nhân", "Người"),
        Row("13", "+ Các cấp lãnh đạo khác từ phó phòng trở lên", "Người"),
        Row("14", "+ Người trực tiếp công tác, lao động, học tập, chiến đấu và phục vụ chiến đấu "
                  "(công nhân, nông dân, …)", "Người"),
        Row("", "3. Chia theo phương thức khen thưởng", bold=True),
        *(Row(code, label) for code, label in _METHODS),
    ),
    columns=(
        Column("total", "Tổng số", number="1"),
        Column("hc_tt", "Tập thể", "Huân chương", "2"),
        Column("hc_cn", "Cá nhân", "Huân chương", "2"),
        Column("gt_hcm", "Giải thưởng Hồ Chí Minh", number="3"),
        Column("gt_nn", "Giải thưởng Nhà nước", number="4"),
        Column("dh_vd", "Danh hiệu vinh dự nhà nước", number="5"),
        Column("co_cp", "Cờ thi đua của Chính phủ", number="6"),
        Column("bk_ttg_tt", "Tập thể", "Bằng khen của Thủ tướng Chính phủ", "7"),
        Column("bk_ttg_cn", "Cá nhân", "Bằng khen của Thủ tướng Chính phủ", "7"),
        Column("cstd_tq", "Chiến sĩ thi đua toàn quốc", number="8"),
        Column("khac_tt", "Tập thể", "Các hình thức khen thưởng khác", "9"),
        Column("khac_cn", "Cá nhân", "Các hình thức khen thưởng khác", "9"),
    ),
)

T0603 = Table(
    code="0603", form="Biểu số: 0603.N/BNV-TĐKT",
    title="SỐ LƯỢNG KHEN THƯỞNG CẤP BỘ, BAN, NGÀNH, ĐOÀN THỂ TRUNG ƯƠNG VÀ TỈNH, THÀNH PHỐ TRỰC THUỘC TRUNG ƯƠNG",
    measure="", has_unit_column=True,
    rows=(
        Row("01", "Tổng số", bold=True),
        Row("", "1. Chia theo đối tượng khen thưởng", bold=True),
        Row("02", "- Tập thể", "Tập thể"),
        Row("03", "Trong đó: Doanh nghiệp", "Doanh nghiệp"),
        Row("04", "- Hộ gia đình", "Hộ"),
        Row("05", "- Cá nhân", "Người"),
        Row("06", "+ Lãnh đạo cấp bộ, cấp tỉnh và tương đương trở lên", "Người"),
        Row("07", "+ Lãnh đạo cấp vụ, sở, ngành và tương đương", "Người"),
        Row("08", "+ Doanh nhân", "Người"),
        Row("09", "+ Các cấp lãnh đạo khác từ phó phòng trở lên", "Người"),
        Row("10", "+ Người trực tiếp công tác, lao động, học tập, chiến đấu và phục vụ chiến đấu "
                  "(công nhân, nông dân, …)", "Người"),
        Row("", "2. Chia theo phương thức khen thưởng", bold=True),
        *(Row(f"{int(code) - 4:02d}", label) for code, label in _METHODS),
    ),
    columns=(
        Column("total", "Tổng số", number="1"),
        Column("bk", "Bằng khen", "Chia ra", "2"),
        Column("cstd", "Chiến sĩ thi đua cấp bộ, cấp tỉnh", "Chia ra", "3"),
        Column("co", "Cờ thi đua của bộ, ban, ngành, đoàn thể Trung ương, tỉnh, thành phố trực thuộc Trung ương",
               "Chia ra", "4"),
        Column("hh", "Huy hiệu (kỷ niệm chương) của bộ, ban, ngành, đoàn thể Trung ương, tỉnh, thành phố trực "
                     "thuộc Trung ương", "Chia ra", "5"),
    ),
)

TABLES: tuple[Table, ...] = (T0601, T0602, T0603)


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _part(answers: Mapping[str, Any], qid: str, part: str) -> int | None:
    value = answers.get(qid)
    return _int(value.get(part)) if isinstance(value, Mapping) else None


def _put(cells: Cells, row: str, col: str, value: int | None) -> None:
    if value is not None:
        cells[(row, col)] = cells.get((row, col), 0) + value


def _sum(*values: int | None) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _cells_0601(a: Mapping[str, Any]) -> Cells:
    cells: Cells = {}
    tx, cd = _int(a.get("pt_thuong_xuyen")), _int(a.get("pt_chuyen_de"))
    launched = _sum(tx, cd)
    durations = ("06", "duoi_1_nam"), ("07", "mot_nam"), ("08", "1_3_nam"), ("09", "3_5_nam"), ("10", "tu_5_nam")
    for row, value in [("01", launched), ("05", launched), ("11", cd), ("12", tx),
                       *((r, _part(a, "pt_thoi_han", key)) for r, key in durations)]:
        _put(cells, row, "c4", value)
        _put(cells, row, "c1", value)
    return cells


def _flag(a: Mapping[str, Any], key: str) -> int | None:
    """1 when the unit itself received this flag, 0 when the question was answered otherwise."""
    value = a.get("co_thi_dua_don_vi")
    if value is None:
        return None
    return int(value == key or (isinstance(value, list) and key in value))


def _award_cells(columns: Mapping[str, tuple[int | None, int | None]], total_rows: Sequence[str],
                 collective_row: str, individual_row: str) -> Cells:
    """Columns given as (tập thể, cá nhân) figures; a "_tt"/"_cn" column takes its own half."""
    cells: Cells = {}
    for col, (tt, cn) in columns.items():
        for row in total_rows:
            _put(cells, row, col, _sum(tt, cn))
            _put(cells, row, "total", _sum(tt, cn))
        _put(cells, collective_row, col, tt)
        _put(cells, collective_row, "total", tt)
        _put(cells, individual_row, col, cn)
        _put(cells, individual_row, "total", cn)
    return cells


_RECIPIENTS = (("doanh_nghiep", "7", "03"), ("lanh_dao_so", "11", "07"), ("doanh_nhan", "12", "08"),
               ("lanh_dao_khac", "13", "09"), ("truc_tiep", "14", "10"))
"""A recipient split's part → its row in 0602 and in 0603."""


def _cells_0602(a: Mapping[str, Any]) -> Cells:
    cells = _cells_0602_forms(a)
    for part, row, _ in _RECIPIENTS:
        _put(cells, row, "total", _part(a, "kt_nha_nuoc_doi_tuong", part))
    for part, (row, _) in zip(_METHOD_PARTS, _METHODS, strict=True):
        _put(cells, row, "total", _part(a, "kt_nha_nuoc_phuong_thuc", part))
    return cells


def _cells_0602_forms(a: Mapping[str, Any]) -> Cells:
    return _award_cells({
        "hc_tt": (_part(a, "kt_huan_chuong", "tap_the"), None),
        "hc_cn": (None, _part(a, "kt_huan_chuong", "ca_nhan")),
        "co_cp": (_flag(a, "chinh_phu"), None),
        "bk_ttg_tt": (_part(a, "kt_bk_thu_tuong", "tap_the"), None),
        "bk_ttg_cn": (None, _part(a, "kt_bk_thu_tuong", "ca_nhan")),
    }, ("1", "3"), "6", "9")


def _cells_0603(a: Mapping[str, Any]) -> Cells:
    cells = _award_cells({
        "bk": (_part(a, "kt_bk_tinh", "tap_the"), _part(a, "kt_bk_tinh", "ca_nhan")),
        "cstd": (None, _int(a.get("dh_cstd_tinh"))),
        "co": (_flag(a, "ubnd_tinh"), None),
    }, ("01",), "02", "05")
    _put(cells, "04", "bk", _part(a, "kt_bk_tinh", "ho_gia_dinh"))
    _put(cells, "04", "total", _part(a, "kt_bk_tinh", "ho_gia_dinh"))
    _put(cells, "01", "bk", _part(a, "kt_bk_tinh", "ho_gia_dinh"))
    _put(cells, "01", "total", _part(a, "kt_bk_tinh", "ho_gia_dinh"))
    for part, _, row in _RECIPIENTS:
        _put(cells, row, "bk", _part(a, "kt_tinh_doi_tuong", part))
    for part, (row, _) in zip(_METHOD_PARTS, _METHODS, strict=True):
        _put(cells, f"{int(row) - 4:02d}", "bk", _part(a, "kt_tinh_phuong_thuc", part))
    return cells


_BUILDERS = {"0601": _cells_0601, "0602": _cells_0602, "0603": _cells_0603}


def unit_cells(table: Table, answers: Mapping[str, Any]) -> Cells:
    """The cells of ``table`` one unit's answers fill."""
    return _BUILDERS[table.code](answers)


def add_cells(into: Cells, cells: Iterable[tuple[tuple[str, str], int]]) -> Cells:
    for key, value in cells:
        into[key] = into.get(key, 0) + value
    return into
