"""The TT 02/2023 tables as an XLSX laid out like the printed forms.

One sheet per table with the form's heading, its merged header cells, the column numbers row
(A, B, C, 1, 2, …) and the rows with their mã số and labels as printed: first the whole
audience, then one block per cụm/khối. One more sheet per table lists every unit's figures (and
each cụm/khối's subtotal) so the office can see where a total comes from. Figures are numbers;
a cell nobody could fill is blank.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange

from bot.documents.tt02 import TABLES, Cells, Table, add_cells, unit_cells
from bot.documents.xlsx_rows import add_sheet
from bot.documents.xlsx_safe import cell, value

__all__ = ["NO_GROUP", "TT02Unit", "build_tt02_workbook", "first_row_of_block"]

NO_GROUP = "(không thuộc cụm, khối)"
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
BOLD = Font(name="Times New Roman", bold=True, size=11)
PLAIN = Font(name="Times New Roman", size=11)
ITALIC = Font(name="Times New Roman", italic=True, size=11)
TITLE = Font(name="Times New Roman", bold=True, size=13)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)


def _named(name: str, font: Font, alignment: Alignment | None = None) -> NamedStyle:
    style = NamedStyle(name=name, font=font, border=BOX)
    if alignment is not None:
        style.alignment = alignment
    return style


# The boxed cells of the tables, as named styles: one assignment per cell instead of three (a
# province's workbook has one block per cụm/khối, tens of thousands of boxed cells).
HEAD, BOXED = "TT02 tiêu đề cột", "TT02 ô"


def _styles() -> list[NamedStyle]:
    """Fresh for each workbook (a named style belongs to the workbook it is added to)."""
    return [_named(HEAD, BOLD, CENTER), _named(BOXED, PLAIN), _named("TT02 ô đậm", BOLD),
            _named("TT02 nhãn", PLAIN, LEFT), _named("TT02 nhãn đậm", BOLD, LEFT),
            _named("TT02 mã", PLAIN, CENTER), _named("TT02 mã đậm", BOLD, CENTER)]
HEADER_ROWS = 3  # group header, column header, column numbers
PREAMBLE_ROWS = 6  # form code…, title, year, measure, blank


@dataclass(frozen=True)
class TT02Unit:
    """One unit whose (counted) answers feed the tables."""

    code: str
    name: str
    groups: tuple[str, ...]
    answers: dict[str, Any] = field(default_factory=dict)


def _fixed(table: Table) -> list[str]:
    return ["", "Mã số", "Đơn vị tính"] if table.has_unit_column else ["", "Mã số"]


def first_row_of_block(table: Table, block: int) -> int:
    """The sheet row (1-based) of the first data row ("Tổng số") of block ``block`` (0 = all
    units): for tests and for anyone reading the sheet by position."""
    per_block = 1 + HEADER_ROWS + len(table.rows) + 1
    return PREAMBLE_ROWS + block * per_block + 1 + HEADER_ROWS + 1


def _layout_sheet(wb: Workbook, table: Table, blocks: Sequence[tuple[str, Cells]], office: str, year: int) -> None:
    ws = add_sheet(wb, f"Biểu {table.code}")
    fixed = _fixed(table)
    width = len(fixed) + len(table.columns)
    ws.column_dimensions["A"].width = 48
    ws.column_dimensions["B"].width = 8
    for i in range(3, width + 1):
        ws.column_dimensions[get_column_letter(i)].width = 14
    last = get_column_letter(width)
    half = max(width // 2, 3)

    def merged(row: int, c1: int, c2: int) -> None:
        if c2 > c1:
            ws.merged_cells.add(CellRange(f"{get_column_letter(c1)}{row}:{get_column_letter(c2)}{row}"))

    # Preamble: rows 1–6.
    ws.append([cell(ws, table.form, font=BOLD), *[None] * (half - 1), cell(ws, f"Đơn vị báo cáo: {office}", font=PLAIN)])
    ws.append([cell(ws, "Ban hành theo Thông tư số 02/2023/TT-BNV ngày 23/3/2023", font=ITALIC), *[None] * (half - 1),
               cell(ws, "Đơn vị nhận báo cáo: Bộ Nội vụ", font=PLAIN)])
    ws.append([cell(ws, "Ngày nhận báo cáo: ngày 15 tháng 12 năm báo cáo", font=ITALIC)])
    ws.append([cell(ws, table.title, font=TITLE, alignment=CENTER)])
    ws.merged_cells.add(CellRange(f"A4:{last}4"))
    ws.append([cell(ws, f"Năm {year}", font=ITALIC, alignment=CENTER)])
    ws.merged_cells.add(CellRange(f"A5:{last}5"))
    ws.append([cell(ws, table.measure, font=ITALIC)] if table.measure else [])
    row = PREAMBLE_ROWS
    # What every block repeats is made once per table and appended again for each block: a
    # write-only sheet writes a row out as it is appended, so the same cells can go in again
    # (one block per cụm/khối: a province's 20 cụm would otherwise remake them 20 times).
    # Header: the group row, the column row (a column without a group spans both), numbers.
    top, mid, numbers = [], [], []
    for i, h in enumerate(fixed):
        top.append(cell(ws, h, style=HEAD))
        mid.append(cell(ws, None, style=BOXED))
        numbers.append(cell(ws, "ABC"[i], style=HEAD))
    for col in table.columns:
        top.append(cell(ws, col.group or col.label, style=HEAD))
        mid.append(cell(ws, col.label if col.group else None, style=HEAD))
        numbers.append(cell(ws, col.number, style=HEAD))
    # Each row's label, mã số (and unit) cells.
    labels: list[list[Any]] = []
    for r in table.rows:
        bold = " đậm" if r.bold else ""
        labels.append([cell(ws, r.label, style="TT02 nhãn" + bold), cell(ws, r.code, style="TT02 mã" + bold)])
        if table.has_unit_column:
            labels[-1].append(cell(ws, r.unit, style="TT02 mã" + bold))
    for title, cells in blocks:
        row += 1
        ws.append([cell(ws, title, font=BOLD)])
        ws.append(top)
        ws.append(mid)
        ws.append(numbers)
        h1, h2, h3 = row + 1, row + 2, row + 3
        for i in range(1, len(fixed) + 1):
            ws.merged_cells.add(CellRange(f"{get_column_letter(i)}{h1}:{get_column_letter(i)}{h2}"))
        start = len(fixed) + 1
        i = 0
        while i < len(table.columns):
            col = table.columns[i]
            j = i
            while j + 1 < len(table.columns) and col.group and table.columns[j + 1].group == col.group:
                j += 1
            if col.group:
                merged(h1, start + i, start + j)
            else:
                ws.merged_cells.add(CellRange(f"{get_column_letter(start + i)}{h1}:{get_column_letter(start + i)}{h2}"))
            i = j + 1
        i = 0
        while i < len(table.columns):
            j = i
            while j + 1 < len(table.columns) and table.columns[j + 1].number == table.columns[i].number:
                j += 1
            merged(h3, start + i, start + j)
            i = j + 1
        row = h3
        for r, label in zip(table.rows, labels, strict=True):
            style = "TT02 ô đậm" if r.bold else "TT02 ô"
            ws.append([*label, *(cell(ws, cells.get((r.code, col.key)) if r.code else None, style=style)
                                 for col in table.columns)])
            row += 1
        ws.append([])
        row += 1


def _unit_sheet(wb: Workbook, table: Table, units: Sequence[TT02Unit], per_unit: Sequence[Cells],
                groups: dict[str, Cells], total: Cells) -> None:
    ws = add_sheet(wb, f"{table.code} theo đơn vị")
    filled = {k for cells in per_unit for k in cells}
    keys = [(r.code, c.key) for r in table.rows if r.code for c in table.columns if (r.code, c.key) in filled]
    labels = {c.key: c.label if not c.group else f"{c.group} – {c.label}" for c in table.columns}
    head = ["STT", "Mã đơn vị", "Tên đơn vị", "Cụm, khối", *[f"Mã số {r} – {labels[c]}" for r, c in keys]]
    ws.column_dimensions["C"].width = 30
    ws.column_dimensions["D"].width = 24
    ws.append([cell(ws, h, style=HEAD) for h in head])
    for n, (unit, cells) in enumerate(zip(units, per_unit, strict=True), 1):
        # Plain values for the figures: a write-only sheet takes them as they are (fast, typed).
        ws.append([n, value(ws, unit.code), value(ws, unit.name), value(ws, "; ".join(unit.groups)),
                   *[cells.get(k) for k in keys]])
    for name, cells in groups.items():
        ws.append([None, None, cell(ws, f"Cộng {name}", font=BOLD), None,
                   *[cell(ws, cells.get(k), font=BOLD) for k in keys]])
    ws.append([None, None, cell(ws, "Tổng cộng", font=BOLD), None, *[cell(ws, total.get(k), font=BOLD) for k in keys]])


def build_tt02_workbook(units: Sequence[TT02Unit], *, office: str, year: int, scope: str) -> bytes:
    """Tables 0601–0603 for ``units`` (the counted submissions of a period or a year)."""
    wb = Workbook(write_only=True)
    for style in _styles():
        wb.add_named_style(style)
    group_names = sorted({g for u in units for g in (u.groups or (NO_GROUP,))})
    for table in TABLES:
        per_unit = [unit_cells(table, u.answers) for u in units]
        total: Cells = {}
        groups: dict[str, Cells] = {g: {} for g in group_names}
        for unit, cells in zip(units, per_unit, strict=True):
            add_cells(total, cells.items())
            for g in unit.groups or (NO_GROUP,):
                add_cells(groups[g], cells.items())
        blocks = [(f"{scope} ({len(units)} đơn vị)", total),
                  *((f"{g} ({sum(1 for u in units if g in (u.groups or (NO_GROUP,)))} đơn vị)", groups[g])
                    for g in group_names)]
        _layout_sheet(wb, table, blocks, office, year)
        _unit_sheet(wb, table, units, per_unit, groups, total)
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
