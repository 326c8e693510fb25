"""Excel export of a period: one row per unit, every answer in its own typed column,
and a totals sheet (overall and per cụm/khối) the office can paste into its summary report."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.documents.xlsx_rows import add_sheet
from bot.documents.xlsx_safe import cell, value
from bot.forms.spec import FormSpec, Question
from bot.forms.types import type_of
from bot.services.reports import STATE_LABELS, PeriodView, ReportService, SubmissionView, UnitState
from bot.services.views import UnitView

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
def _cell(ws: WriteOnlyWorksheet, item: Any) -> Cell:
    """A cell whose text can never become a formula and never blocks the workbook: answers,
    unit and group names are people's text (``bot.documents.xlsx_safe`` says how)."""
    return cell(ws, item)


def _row_item(ws: WriteOnlyWorksheet, item: Any) -> Any:
    """What goes into the row for a value: numbers as they are, dates as cells with the date
    format, text by ``xlsx_safe.value`` (a cell only when the text is risky)."""
    kind = type(item)
    if item is None or kind is int or kind is float:
        return item
    if isinstance(item, datetime):
        return cell(ws, item, number_format="DD/MM/YYYY HH:MM")
    if isinstance(item, date):
        return cell(ws, item, number_format="DD/MM/YYYY")
    return value(ws, item)


def _set_width(ws: WriteOnlyWorksheet, column: str, width: float) -> None:
    # column_dimensions is set on a write-only sheet at runtime (Worksheet._setup), but
    # types-openpyxl's WriteOnlyWorksheet does not declare it
    ws.column_dimensions[column].width = width  # type: ignore[attr-defined]


def _columns(spec: FormSpec) -> list[tuple[str, str, Question, str | None]]:
    """(key, header, question, part) for every answer column: each question type says its own
    (a 'numbers' question has one per part)."""
    return [(key, header, q, part) for q in spec.questions for key, header, part in type_of(q).export_columns(q)]


def build_workbook(
    period: PeriodView, spec: FormSpec, rows: list[tuple[UnitView, UnitState, SubmissionView | None]],
    tz: str = "Asia/Ho_Chi_Minh",
) -> bytes:
    zone = ZoneInfo(tz)
    wb = Workbook(write_only=True)
    ws: WriteOnlyWorksheet = add_sheet(wb, "Báo cáo đơn vị")  # write-only workbook: write-only sheets
    cols = _columns(spec)
    fixed = ["STT", "Mã đơn vị", "Tên đơn vị", "Cụm, khối", "Trạng thái", "Nộp lúc", "Nộp muộn", "Lần nộp",
             "Số tiếp nhận"]
    headers = fixed + [h for _, h, _, _ in cols]
    widths = [6, 16, 30, 24, 14, 17, 10, 8, 18] + [min(max(len(h) * 0.9, 12), 40) for h in headers[len(fixed):]]
    for i, w in enumerate(widths, 1):
        _set_width(ws, get_column_letter(i), w)
    ws.freeze_panes = "D2"
    header_cells = []
    for h in headers:
        c = _cell(ws, h)
        c.font, c.fill, c.alignment = HEADER_FONT, HEADER_FILL, Alignment(wrap_text=True, vertical="top")
        header_cells.append(c)
    ws.append(header_cells)

    totals: dict[str, float] = defaultdict(float)
    group_totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    numeric_cols = [(k, h) for k, h, q, _ in cols if type_of(q).totalled]
    # What the row loop needs of each answer column, looked up once instead of once a cell
    # (5000 units × 40 columns): the question, its part, its type's export_cell, totalled or not.
    plan = [(key, q, part, type_of(q).export_cell, type_of(q).totalled) for key, _h, q, part in cols]
    for n, (unit, state, sub) in enumerate(rows, 1):
        answers = sub.answers if sub else {}
        submitted = sub.submitted_at.astimezone(zone).replace(tzinfo=None) if sub else None
        values: list[Any] = [n, unit.code, unit.name, "; ".join(unit.groups), STATE_LABELS[state], submitted,
                             ("Có" if sub.late else "Không") if sub else None, sub.revision if sub else None,
                             sub.receipt_no if sub else None]
        counted = sub is not None and state is not UnitState.RETURNED
        figures: list[tuple[str, float]] = []  # this row's totalled numbers, added up below
        for key, q, part, export, totalled in plan:
            answer = answers.get(q.id)
            v = None if answer is None else export(q, part, answer)  # = forms.types.export_cell
            values.append(v)
            if totalled and counted and isinstance(v, int | float) and not isinstance(v, bool):
                figures.append((key, v))
        for key, v in figures:
            totals[key] += v
        if figures:  # only a row with figures gives its groups a column on the totals sheet
            for g in unit.groups or ("(không thuộc cụm, khối)",):
                group = group_totals[g]
                for key, v in figures:
                    group[key] += v
        # blanks and integers, most of the row, go in without a call each
        ws.append([v if v is None or type(v) is int else _row_item(ws, v) for v in values])

    ts: WriteOnlyWorksheet = add_sheet(wb, "Tổng hợp")
    groups = sorted(group_totals)
    _set_width(ts, "A", 50)
    _set_width(ts, "B", 14)
    for i in range(len(groups)):
        _set_width(ts, get_column_letter(i + 3), 18)
    ts.freeze_panes = "B2"
    head = []
    for h in ["Chỉ tiêu", "Tổng cộng", *groups]:
        c = _cell(ts, h)
        c.font, c.fill, c.alignment = HEADER_FONT, HEADER_FILL, Alignment(wrap_text=True, vertical="top")
        head.append(c)
    ts.append(head)
    for key, header in numeric_cols:
        ts.append([_cell(ts, v) for v in (header, totals.get(key, 0), *[group_totals[g].get(key, 0) for g in groups])])
    submitted_count = sum(1 for _, s, sub in rows if sub is not None and s is not UnitState.RETURNED)
    ts.append([])
    ts.append([_cell(ts, f"Số đơn vị đã nộp (được tính): {submitted_count}/{len(rows)} — {period.label}")])
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


class ExportService:
    """A period's results as an Excel file (the office's /xuat and the CLI's ``export``)."""

    def __init__(self, reports: ReportService, forms: dict[str, FormSpec], *,
                 timezone: str = "Asia/Ho_Chi_Minh") -> None:
        self.reports = reports
        self.forms = forms
        self.timezone = timezone

    async def export_period(self, period_id: int) -> tuple[str, bytes]:
        """(file name, XLSX bytes) for a period; ``PeriodError`` if there is none."""
        period, rows = await self.reports.export_rows(period_id)
        data = build_workbook(period, self.forms[period.form_id], rows, tz=self.timezone)
        return f"tdkt_ky{period.id}_{period.form_id}.xlsx", data
