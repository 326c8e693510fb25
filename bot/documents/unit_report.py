"""One unit's report as the Word document its leader signs (Nghị định 30/2020/NĐ-CP layout).

The office asks for a signed, sealed copy of every report; without this the officer types into
Word what they have just answered in chat. The document is written from the stored answers:
figures as sentences, text answers as paragraphs, under the official outline's sections (the
spec's own section headings), with the number, date, signer and authority the officer gave. Pure:
no database, no clock — the service gathers a :class:`UnitReportData` and calls
:func:`build_unit_report`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.documents.layout import add_blocks, add_header, add_signature, add_title, new_a4, paragraph, save
from bot.documents.text import macros, render_blocks, vn_date_words
from bot.forms.parsers import kind_key
from bot.forms.spec import FormSpec
from bot.rendering.templates import vn_number

__all__ = ["COMMUNE_KINDS", "Answers", "UnitReportData", "build_unit_report", "place_of"]

COMMUNE_KINDS = frozenset({"xa", "phuong", "dac_khu"})
_ROMAN = re.compile(r"^([IVX]+)\.\s*(.*)$")
_KIND_WORDS = re.compile(r"^(xã|phường|đặc khu|thị trấn|ubnd tỉnh|ủy ban nhân dân tỉnh|tỉnh|thành phố)\s+",
                         re.IGNORECASE)
# Higher-level awards as the report lists them, in the order of the form.
HIGHER_AWARDS = ("kt_huan_chuong", "kt_bk_thu_tuong", "kt_bk_tinh", "kt_co_thi_dua", "kt_cap_tren_khac")


class Answers(dict):  # type: ignore[type-arg]
    """Answers as a template reads them: a question not asked (or not in this form's version) is
    none instead of an error."""

    def __missing__(self, key: str) -> None:
        return None


@dataclass(frozen=True)
class UnitReportData:
    """Everything the document says, gathered by the service."""

    spec: FormSpec
    unit_name: str
    unit_kind: str
    answers: Mapping[str, Any]
    year: int
    office_name: str
    parent_name: str = ""
    cutoff: date | None = None


def place_of(unit_name: str, kind: str, parent_name: str = "") -> str:
    """The place in "Cao Lộc, ngày …": a commune's own name without "Xã"; for a department or
    school the province of its parent ("UBND tỉnh Lạng Sơn" → "Lạng Sơn")."""
    source = unit_name if kind_key(kind) in COMMUNE_KINDS or not parent_name else parent_name
    return _KIND_WORDS.sub("", source.strip()).strip() or source.strip()


def _answers(raw: Mapping[str, Any]) -> Answers:
    """Questions of another form or version resolve to none in the template."""
    return Answers({k: dict(v) if isinstance(v, Mapping) else v for k, v in raw.items()})


def _part_text(spec: FormSpec, qid: str, value: Any) -> str:
    q = spec.question(qid)
    if q.type == "numbers":
        items = [f"{vn_number(value.get(p.key))} {p.label}" for p in q.parts if value and value.get(p.key)]
        return f"{q.label}: {', '.join(items)}" if items else ""
    return f"{q.label}: {vn_number(value)}" if value else ""


def higher_awards(spec: FormSpec, answers: Mapping[str, Any]) -> str:
    """"Huân chương: 1 tập thể, 2 cá nhân; Bằng khen …" from the form's own labels; empty when
    the unit received none."""
    texts = [_part_text(spec, qid, answers.get(qid)) for qid in HIGHER_AWARDS if spec.has(qid)]
    return "; ".join(t for t in texts if t)


def methods(spec: FormSpec, answers: Mapping[str, Any]) -> str:
    if not spec.has("phuong_thuc") or not isinstance(answers.get("phuong_thuc"), Mapping):
        return ""
    value = answers["phuong_thuc"]
    parts = spec.question("phuong_thuc").parts
    # Methods with no award are left out (seven of them since the annual form follows TT 02/2023).
    items = [f"{p.label} {vn_number(value.get(p.key))}" for p in parts if value.get(p.key)]
    return ", ".join(items)


def _headings(spec: FormSpec) -> dict[str, str]:
    """Roman numeral → the section heading in capitals ("I" → "I. KẾT QUẢ …")."""
    out = {}
    for q in spec.questions:
        m = _ROMAN.match(q.section or "")
        if m and m[1] not in out:
            out[m[1]] = f"{m[1]}. {m[2].upper()}"
    return out


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def build_unit_report(data: UnitReportData) -> bytes:
    """The report as DOCX bytes."""
    spec, kind = data.spec, kind_key(data.unit_kind)
    common = macros("docx_common.txt.j2", {"title": spec.title})
    answers = _answers(data.answers)
    headings = _headings(spec)
    subject = str(common.subject(spec.id, data.year)).strip()
    signed = _date(answers.get("ngay_ky"))
    place = place_of(data.unit_name, kind, data.parent_name)
    place_date = f"{place}, {vn_date_words(signed)}" if signed else f"{place}, ngày … tháng … năm {data.year}"

    def choice_labels(qid: str) -> str:
        if not spec.has(qid):
            return ""
        value = answers.get(qid)
        keys = value if isinstance(value, list) else [value]
        labels = {o.key: o.label for o in spec.question(qid).options}
        return "; ".join(labels.get(k, str(k)) for k in keys if k)

    def percent(part: Any, whole: Any) -> str:
        return f"{vn_number(round((part or 0) * 100 / whole, 1))}%" if whole else ""

    body = render_blocks(
        "docx_unit_report", form_id=spec.id, a=answers, h=lambda r: headings.get(r, r + "."), year=data.year,
        cutoff=data.cutoff.strftime("%d/%m/%Y") if data.cutoff else "chốt số liệu", unit_name=data.unit_name,
        commune=kind in COMMUNE_KINDS, higher=higher_awards(spec, answers), methods=methods(spec, answers),
        choice_labels=choice_labels, percent=percent,
        subject_line=_lower_first(subject.splitlines()[0].rstrip(" ;")),
        issuer_name=str(common.issuer_inline(kind, data.unit_name)).strip(),
    )

    doc = new_a4()
    number = str(answers.get("so_ky_hieu") or "      /")
    add_header(doc, parent_line=data.parent_name if kind not in COMMUNE_KINDS else "",
               issuer_line=str(common.issuer(kind, data.unit_name)).strip(), number=number, place_date=place_date)
    add_title(doc, str(common.doc_kind(spec.id)).strip(), subject)
    add_blocks(doc, body)
    authority = [line for line in str(common.authority(answers.get("tham_quyen_ky"), kind)).strip().splitlines()]
    add_signature(doc, recipients=str(common.recipients(data.office_name)).strip().splitlines(),
                  authority=authority, signer=str(answers.get("nguoi_ky") or ""))
    if answers.get("nguoi_lap"):
        paragraph(doc, str(common.preparer(answers["nguoi_lap"], answers.get("dien_thoai") or "")).strip(),
                  italic=True, size=11, space_before=12)
    return save(doc)
