"""Issue 15: bot.documents.xlsx_rows writes the same sheet XML as openpyxl's own write-only
sheet, byte for byte — plain numbers and text, ready cells (styled, dates, forced text), and
everything it hands to openpyxl (formulas, error codes, bools, empty rows and strings, illegal
characters, comments, zoned datetimes) —
so the faster exports are the same files. It also reads back with openpyxl."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.documents.xlsx_rows import add_sheet
from bot.documents.xlsx_safe import cell

Row = Callable[[WriteOnlyWorksheet], list[Any]]


def _sheets(rows: Sequence[Row], make: Callable[[Workbook, str], WriteOnlyWorksheet]) -> dict[str, bytes]:
    """Every part of the workbook but the document properties (they hold the time)."""
    wb = Workbook(write_only=True)
    ws = make(wb, "Trang 1")
    for row in rows:
        ws.append(row(ws))
    buf = BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf) as z:
        return {name: z.read(name) for name in z.namelist() if not name.startswith("docProps/")}


def _same(rows: Sequence[Row]) -> dict[str, bytes]:
    ours = _sheets(rows, add_sheet)
    assert ours == _sheets(rows, lambda wb, title: wb.create_sheet(title))
    return ours


def _plain(values: list[Any]) -> Row:
    return lambda _ws: values


def _bold(ws: WriteOnlyWorksheet, value: Any) -> Cell:
    c = WriteOnlyCell(ws, value=value)
    c.font = Font(bold=True)
    return c


AWKWARD = [
    1, 0, -7, 2**53 + 1, 10**20, 2.5, 1 / 3, 1e-300, float("nan"), float("inf"), True, False, Decimal("1.10"),
    "Xã Tân Lập", "", " ", "  lề  ", "a & b < c > d", "dòng 1\ndòng 2", "tab\tkép", "cr\rlf\r\n",
    "=SUM(A1)", "=", "+1", "-1", "@x", "#N/A", "#DIV/0!", "x" * 40_000, "'trích", "\u00a0nbsp\u00a0",
    "😀 emoji", "\ufeffbom", date(2026, 6, 30), datetime(2026, 6, 30, 8, 15), None,
]


def test_awkward_values_same_bytes_as_openpyxl() -> None:
    rows: list[Row] = [_plain(AWKWARD), _plain([]), _plain([None, None]), _plain([None, 5, None, "x"])]
    rows += [lambda ws: [_bold(ws, "Tổng"), 3, None, _bold(ws, None), "y", WriteOnlyCell(ws, value=None)]]
    rows += [_plain([v]) for v in AWKWARD]  # each alone: a plain row, or a cell openpyxl writes
    _same(rows)
    back = load_workbook(BytesIO(_workbook(rows)))["Trang 1"]
    assert [back.cell(1, c).value for c in (1, 14, 18, 22, 29)] == [1, "Xã Tân Lập", "a & b < c > d", "=SUM(A1)",
                                                                    "x" * 32767]
    assert back.cell(1, 21).value == "cr\rlf\r\n" and back.cell(1, 35).value == datetime(2026, 6, 30, 8, 15)


def _workbook(rows: Sequence[Row]) -> bytes:
    wb = Workbook(write_only=True)
    ws = add_sheet(wb, "Trang 1")
    for row in rows:
        ws.append(row(ws))
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_ready_cells_same_bytes_as_openpyxl() -> None:
    """Cells as bot.documents.xlsx_safe makes them: styled numbers, dates, forced text."""

    def row(ws: WriteOnlyWorksheet) -> list[Any]:
        return [cell(ws, datetime(2026, 6, 30, 8, 15), number_format="DD/MM/YYYY HH:MM"),
                cell(ws, date(2026, 6, 5), number_format="DD/MM/YYYY"), cell(ws, date(2026, 1, 1)),
                cell(ws, "=1+1"), cell(ws, " +84 912 "), cell(ws, "#N/A"), cell(ws, "a & b", font=Font(bold=True)),
                cell(ws, 7, font=Font(italic=True)), cell(ws, 2.5), cell(ws, ""), cell(ws, None, font=Font(bold=True)),
                cell(ws, True), cell(ws, float("nan"), font=Font(bold=True)), 4, "x"]

    _same([row, row, _plain([1])])


def test_iso_dates_workbook_same_bytes_as_openpyxl() -> None:
    def sheets(make: Callable[[Workbook, str], WriteOnlyWorksheet]) -> bytes:
        wb = Workbook(write_only=True, iso_dates=True)
        ws = make(wb, "Trang 1")
        ws.append([cell(ws, datetime(2026, 6, 30, 8, 15), number_format="DD/MM/YYYY HH:MM"), 1])
        buf = BytesIO()
        wb.save(buf)
        with zipfile.ZipFile(buf) as z:
            return z.read("xl/worksheets/sheet1.xml")

    assert sheets(add_sheet) == sheets(lambda wb, title: wb.create_sheet(title))


def test_datetime_with_zone_refused_as_openpyxl_does() -> None:
    wb = Workbook(write_only=True)
    ws = add_sheet(wb, "Trang 1")
    with pytest.raises(TypeError, match="timezones"):
        ws.append([cell(ws, datetime(2026, 6, 30, tzinfo=UTC))])


def test_comment_row_goes_to_openpyxl() -> None:
    def row(ws: WriteOnlyWorksheet) -> list[Any]:
        c = WriteOnlyCell(ws, value="ghi chú")
        c.comment = Comment("xem lại", "TĐKT")
        return [1, c, "z"]

    _same([_plain([1, 2]), row, _plain([3])])


def test_illegal_character_raises_as_openpyxl_does() -> None:
    wb = Workbook(write_only=True)
    ws = add_sheet(wb, "Trang 1")
    with pytest.raises(IllegalCharacterError):
        ws.append(["ok", "chuông\x07"])


def test_text_xml_cannot_hold_raises_as_openpyxl_does() -> None:
    for make in (add_sheet, lambda wb, title: wb.create_sheet(title)):
        wb = Workbook(write_only=True)
        ws = make(wb, "Trang 1")
        with pytest.raises(ValueError, match="XML compatible"):
            ws.append([1, "\ufffe"])


_CELL = st.one_of(
    st.none(), st.integers(-(2**60), 2**60), st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12),
    st.sampled_from(["=A1", "#REF!", " x", "x\r", "a\tb\n", "&<>", ""]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_CELL, max_size=8), max_size=6))
def test_any_plain_rows_same_bytes_as_openpyxl(rows: list[list[Any]]) -> None:
    _same([_plain(r) for r in rows])
