"""The office's summary of a period as a Word document: a draft to edit, not a finished text.

What the office writes by hand today from dozens of reports: who reported on time, late or not
at all; every figure summed over all units and per cụm/khối, beside the same period of the
previous year; and the units' own words on results, shortcomings and proposals, quoted under
their sections. Figures are counted by the rule of the Excel export (a returned report does not
count; a 'numbers' answer is one figure per part), so the two files always agree. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, RGBColor

from bot.documents.layout import (
    add_blocks,
    add_header,
    add_signature,
    add_title,
    new_a4,
    paragraph,
    save,
    set_cell_text,
)
from bot.documents.text import environment, macros, render_blocks, vn_date_words
from bot.forms.spec import FormSpec
from bot.rendering.templates import vn_number

__all__ = ["COUNTED", "SummaryData", "SummaryUnit", "build_summary", "figure_columns", "figure_totals"]

COUNTED = frozenset({"on_time", "late"})
NUMERIC = frozenset({"integer", "decimal", "numbers"})
ROMAN = ("", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
QUOTED = ("noi_bat", "han_che", "nguyen_nhan", "bai_hoc", "kien_nghi")
NOTHING = frozenset({"", "không", "khong", "không có", "không có kiến nghị", "không có đề xuất"})


@dataclass(frozen=True)
class SummaryUnit:
    """A unit of the audience: ``status`` on_time / late (counted), returned / missing (not)."""

    code: str
    name: str
    groups: tuple[str, ...]
    status: str
    answers: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SummaryData:
    spec: FormSpec
    period_label: str
    year: int
    office_name: str
    units: Sequence[SummaryUnit]
    previous: Sequence[SummaryUnit] | None = None
    previous_label: str = ""
    today: date | None = None


def figure_columns(spec: FormSpec) -> list[tuple[str, str]]:
    """(key, label) of every figure, in form order: the numeric columns of the Excel export."""
    out: list[tuple[str, str]] = []
    for q in spec.questions:
        if q.type not in NUMERIC:
            continue
        if q.type == "numbers":
            out.extend((f"{q.id}.{p.key}", f"{q.label or q.id} – {p.label}") for p in q.parts)
        else:
            out.append((q.id, q.label or q.id))
    return out


def _value(answers: Mapping[str, Any], key: str) -> float | None:
    qid, _, part = key.partition(".")
    value = answers.get(qid)
    if part:
        value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def figure_totals(spec: FormSpec, units: Sequence[SummaryUnit], no_group: str) -> tuple[dict[str, float],
                                                                                       dict[str, dict[str, float]]]:
    """Sums over the counted units: overall and per cụm/khối (a unit in two groups counts in both)."""
    keys = [k for k, _ in figure_columns(spec)]
    total: dict[str, float] = dict.fromkeys(keys, 0)
    groups: dict[str, dict[str, float]] = {}
    for u in units:
        if u.status not in COUNTED:
            continue
        for g in u.groups or (no_group,):
            groups.setdefault(g, dict.fromkeys(keys, 0))
        for key in keys:
            v = _value(u.answers, key)
            if v is None:
                continue
            total[key] += v
            for g in u.groups or (no_group,):
                groups[g][key] += v
    return total, dict(sorted(groups.items()))


def _quote(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    clean = " ".join(text.split())
    return None if clean.lower().rstrip(".") in NOTHING else clean


def _figures_table(doc: Document, spec: FormSpec, labels: Sequence[tuple[str, str]], current: Mapping[str, float],
                   previous: Mapping[str, float] | None, headers: Sequence[str], *, skip_zero: bool = False) -> None:
    """STT, label, figure (and the previous year's, and the change); ``skip_zero``: leave out the
    figures that are 0 now and before (a cụm/khối's table lists what it has)."""
    if skip_zero:
        labels = [(k, label) for k, label in labels if current.get(k) or (previous or {}).get(k)]
    cols = len(headers)
    table = doc.add_table(rows=1 + len(labels), cols=cols)
    table.style = "Table Grid"
    widths = (12, 83, 22, 24, 24) if cols == 5 else (12, 120, 33)
    rows = table.rows
    for i, width in enumerate(widths):
        table.columns[i].width = Mm(width)
    for i, cell in enumerate(rows[0].cells):
        cell.width = Mm(widths[i])
        set_cell_text(cell, headers[i], bold=True, size=11, align=WD_ALIGN_PARAGRAPH.CENTER)
    for n, (key, label) in enumerate(labels, 1):
        cells = rows[n].cells
        values = [str(n), label, vn_number(current.get(key, 0))]
        if previous is not None:
            before = previous.get(key)
            values += [vn_number(before) if before is not None else "",
                       _signed(current.get(key, 0) - before) if before is not None else ""]
        for i, text in enumerate(values):
            cells[i].width = Mm(widths[i])
            set_cell_text(cells[i], text, size=11,
                          align=WD_ALIGN_PARAGRAPH.LEFT if i == 1 else WD_ALIGN_PARAGRAPH.CENTER)
    paragraph(doc, "", size=6)


def _signed(value: float) -> str:
    signed: Callable[[float], str] = environment().filters["signed"]
    return signed(value)


def build_summary(data: SummaryData) -> bytes:
    spec = data.spec
    common = macros("docx_common.txt.j2", {"title": spec.title})
    no_group = common.variable("no_group")
    by_status: dict[str, list[SummaryUnit]] = {"on_time": [], "late": [], "returned": [], "missing": []}
    for u in data.units:
        by_status[u.status if u.status in by_status else "missing"].append(u)
    total, groups = figure_totals(spec, data.units, no_group)
    prev_total = prev_groups = None
    if data.previous is not None:
        prev_total, prev_groups = figure_totals(spec, data.previous, no_group)
    counted = [u for u in data.units if u.status in COUNTED]
    quotes = {key: [(u.name, q) for u in counted if (q := _quote(u.answers.get(key)))] for key in QUOTED}
    group_list = [{"name": g, "count": sum(1 for u in counted if g in (u.groups or (no_group,)))} for g in groups]
    body = render_blocks(
        "docx_summary", period_label=data.period_label, total=len(data.units), on_time=by_status["on_time"],
        late=by_status["late"], missing=by_status["missing"] + by_status["returned"], returned=by_status["returned"],
        counted=len(counted), previous_label=data.previous_label if data.previous is not None else "",
        groups=group_list, quotes=quotes, roman=ROMAN,
    )
    labels = figure_columns(spec)
    headers = list(common.variable("figure_headers")) + (
        list(common.variable("previous_headers")) if prev_total is not None else [])
    group_names = list(groups)

    def table_for(name: str) -> Any:
        def make(doc: Document) -> None:
            if name == "all":
                _figures_table(doc, spec, labels, total, prev_total, headers)
            else:
                g = group_names[int(name)]
                prev = (prev_groups or {}).get(g, {}) if prev_total is not None else None
                _figures_table(doc, spec, labels, groups[g], prev, headers, skip_zero=True)
        return make

    tables = {"figures:all": table_for("all"), **{f"figures:{i}": table_for(str(i)) for i in range(len(group_names))}}

    doc = new_a4()
    notice = paragraph(doc, str(common.variable("draft_notice")), bold=True, italic=True, size=12,
                       align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
    notice.runs[0].font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    today = data.today
    place_date = f"……, {vn_date_words(today)}" if today else f"……, ngày … tháng … năm {data.year}"
    add_header(doc, parent_line="", issuer_line=data.office_name, number="      /BC-……", place_date=place_date)
    add_title(doc, "BÁO CÁO", str(common.summary_subject(data.period_label)).strip())
    add_blocks(doc, body, tables)
    add_signature(doc, recipients=str(common.summary_recipients()).strip().splitlines(),
                  authority=str(common.summary_authority()).strip().splitlines(), signer=str(common.signer_blank()))
    return save(doc)
