"""Write-only sheets whose rows are serialized in one piece.

openpyxl's write-only sheet turns every appended value into a ``WriteOnlyCell`` and writes it
through three nested lxml ``xmlfile`` elements (``openpyxl.cell._writer.lxml_write_cell``):
about 15 µs a cell, most of the time of a 5000-unit export (240 000 cells). Here a row's cells
become the same ``<c>`` markup as one string, parsed once per row by openpyxl's own XML parser
(lxml here): plain values (int, finite float, text openpyxl would store as-is) and ready cells
whose value is a number, text or date (styled or not, as ``bot.documents.xlsx_safe.cell``
makes them). Whatever else a row holds (formulas, error codes, bools, empty styled cells) still
goes through openpyxl's ``write_cell``, cell by cell, in its place, and a row openpyxl would
annotate (comments, hyperlinks, row dimensions) is handed to openpyxl whole. The XML is the
same byte for byte (tests/unit/test_xlsx_rows.py compares both writers).

This leans on openpyxl 3.1's write-only internals (``WriteOnlyWorksheet._write_rows``,
``WorksheetWriter.write_row``, ``cell._writer.write_cell``, ``Workbook._add_sheet``); the
project pins ``openpyxl<4`` and the comparison test says when a release changes them.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterator
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell._writer import write_cell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.dimensions import ColumnDimension, DimensionHolder, RowDimension
from openpyxl.xml.functions import fromstring

__all__ = ["RowSheet", "add_sheet"]

# openpyxl.cell.cell.Cell.check_string truncates longer text to this many characters.
MAX_TEXT = 32767
# A write-only row is at most this wide in practice; letters beyond are computed on demand.
_LETTERS = [get_column_letter(i) for i in range(1, 257)]
# What the text of an element must escape to come back unchanged from lxml's parser: "\r"
# would otherwise be read as a line break "\n" (XML 1.0 §2.11, end-of-line handling). "&"
# first, so the others' entities are not escaped again.
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;"))


def _escape(text: str) -> str:
    """``text`` as element content (most text has none of these: a look each, no copy)."""
    for char, entity in _ESCAPES:
        if char in text:
            text = text.replace(char, entity)
    return text


def _letters(width: int) -> list[str]:
    """The column letters of a row ``width`` cells wide."""
    if width <= len(_LETTERS):
        return _LETTERS[:width]
    return _LETTERS + [get_column_letter(i) for i in range(len(_LETTERS) + 1, width + 1)]


def _text(ref: str, style: str, text: str) -> str:
    """An inline string as ``lxml_write_cell`` writes it: ``xml:space="preserve"`` when the
    text has outer whitespace."""
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'


def _plain(item: Any, ref: str) -> str | None:
    """The ``<c>`` markup openpyxl would write for the bare value ``item`` at ``ref``, or None
    when it needs openpyxl's own cell (a date, a bool, a formula…).

    Mirrors ``Cell._bind_value`` (text: "=…" is a formula, ``ERROR_CODES`` an error, illegal
    control characters raise, longer than ``MAX_TEXT`` is cut) and ``lxml_write_cell`` (numbers
    as ``"%.16g"``; "" as ``<c …></c>``, which a parsed element would shorten to ``<c …/>``)."""
    kind = type(item)
    if kind is int or (kind is float and math.isfinite(item)):
        return f'<c r="{ref}" t="n"><v>{item:.16g}</v></c>'
    if kind is str:
        if (not item or len(item) > MAX_TEXT or (len(item) > 1 and item[0] == "=") or item in ERROR_CODES
                or ILLEGAL_CHARACTERS_RE.search(item)):
            return None
        return _text(ref, "", item)
    return None


def _ready(c: Cell, ref: str, book: Workbook) -> str | None:
    """The ``<c>`` markup openpyxl would write for the ready cell ``c`` at ``ref`` when its value
    is text, a finite number or a date (``_set_attributes``: the style's index, then the type;
    a date as its serial number unless ``book`` writes ISO dates), else None."""
    value, kind = c._value, c.data_type  # type: ignore[attr-defined]
    style = f' s="{c.style_id}"' if c.has_style else ""
    if kind == "s" and type(value) is str and value:
        return _text(ref, style, value)
    if kind == "n" and type(value) in (int, float) and math.isfinite(value):
        return f'<c r="{ref}"{style} t="n"><v>{value:.16g}</v></c>'
    if kind == "d" and type(value) in (datetime, date) and not book.iso_dates:
        if isinstance(value, datetime) and value.tzinfo is not None:
            return None  # openpyxl refuses it with its own error
        serial = to_excel(value, book.epoch)  # type: ignore[no-untyped-call]  # openpyxl's own
        return f'<c r="{ref}"{style} t="n"><v>{serial:.16g}</v></c>'
    return None


class RowSheet(WriteOnlyWorksheet):
    """A write-only sheet (same API, same file) that writes plain values without a cell each."""

    # Set on every write-only sheet at runtime (Worksheet._setup, called by its __init__) but
    # not declared by types-openpyxl's WriteOnlyWorksheet: annotations only, for mypy.
    column_dimensions: DimensionHolder[str, ColumnDimension]
    row_dimensions: DimensionHolder[int, RowDimension]
    merged_cells: MultiCellRange

    def _write_rows(self) -> Generator[None, Any, None]:
        """openpyxl 3.1's ``WriteOnlyWorksheet._write_rows`` with :meth:`_write_row` per row."""
        writer = self._writer  # type: ignore[attr-defined]
        book = self.parent
        if book is None:  # only a sheet of a workbook is ever written
            raise ValueError("a worksheet without its workbook")
        try:
            xf = writer.xf.send(True)
        except StopIteration:
            self._already_saved()  # type: ignore[attr-defined]
        with xf.element("sheetData"):
            row_idx = 1
            try:
                while True:
                    row = yield
                    self._write_row(xf, list(row), row_idx, book)
                    row_idx += 1
            except GeneratorExit:
                pass
        writer.xf.send(None)

    def _write_row(self, xf: Any, values: list[Any], row_idx: int, book: Workbook) -> None:
        r = str(row_idx)
        if row_idx in self.row_dimensions or not any(item is not None for item in values):
            # a row with attributes of its own, or an empty one (openpyxl writes <row …></row>)
            self._openpyxl_row(xf, values, row_idx)
            return
        markup: list[str | None] = []  # per value: its markup, or None (none, or openpyxl's cell)
        mixed = False
        for letter, item in zip(_letters(len(values)), values, strict=True):
            kind = type(item)
            if kind is int:  # most of a report's cells: inline here, not a call each
                markup.append(f'<c r="{letter}{r}" t="n"><v>{item:.16g}</v></c>')
                continue
            if item is None:
                text = None
            elif isinstance(item, Cell):
                if item.comment is not None or item.hyperlink is not None:
                    # recorded beside the row by openpyxl's writer: let it write the whole row
                    self._openpyxl_row(xf, values, row_idx)
                    return
                text = _ready(item, letter + r, book)
            else:
                text = _plain(item, letter + r)
            mixed = mixed or (text is None and item is not None)
            markup.append(text)
        try:
            parsed = fromstring(f'<row r="{r}">{"".join([m for m in markup if m])}</row>')
        except (SyntaxError, ValueError):  # text XML cannot hold: let openpyxl raise its error
            self._openpyxl_row(xf, values, row_idx)
            return
        if not mixed:
            xf.write(parsed)
            return
        # Mixed row: the parsed plain cells and openpyxl's own cells, in column order.
        plain: Iterator[Any] = iter(parsed)
        with xf.element("row", {"r": r}):
            for col, (text, item) in enumerate(zip(markup, values, strict=True), 1):
                if item is None:
                    continue
                if text is not None:
                    xf.write(next(plain))
                    continue
                c = item if isinstance(item, Cell) else WriteOnlyCell(self, value=item)
                c.column, c.row = col, row_idx
                if c._value is None and not c.has_style:  # type: ignore[attr-defined]  # skipped, as WorksheetWriter.write_row does
                    continue
                write_cell(xf, self, c, c.has_style)

    def _openpyxl_row(self, xf: Any, values: list[Any], row_idx: int) -> None:
        """The row as openpyxl's own write-only sheet writes it."""
        self._writer.write_row(xf, self._values_to_row(values, row_idx), row_idx)  # type: ignore[attr-defined]


def add_sheet(wb: Workbook, title: str) -> RowSheet:
    """A :class:`RowSheet` added to the write-only workbook ``wb`` (what ``create_sheet`` does
    for its own write-only sheets)."""
    ws = RowSheet(parent=wb, title=title)
    wb._add_sheet(ws)  # type: ignore[attr-defined]
    return ws
