"""Page and header layout of an administrative document per Nghị định 30/2020/NĐ-CP, Phụ lục I.

What a văn thư checks first, and so what every document we produce has: A4 portrait; margins
top and bottom 20 mm, left 30 mm, right 15 mm (within 20–25 / 30–35 / 15–20); Times New Roman
13 pt body; the issuing body's name on the left over "Số: …", the national name and motto on the
right over the place and date in italics; the document type and its trích yếu centred in bold;
"Nơi nhận:" on the left of the signature, which carries the authority (TM., KT., …), the title and
the signer's name. Builders use these helpers and never set fonts or spacing on their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from io import BytesIO

from docx import Document as new_document
from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from bot.documents.text import Block

__all__ = [
    "BODY_PT",
    "FONT",
    "MARGINS_MM",
    "add_blocks",
    "add_header",
    "add_signature",
    "add_title",
    "new_a4",
    "paragraph",
    "save",
    "set_cell_text",
]

FONT = "Times New Roman"
BODY_PT = 13
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
MOTTO_NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


def new_a4(*, landscape: bool = False) -> Document:
    """An empty A4 document with the decree's margins and Times New Roman as its base style."""
    doc = new_document()
    section = doc.sections[0]
    section.page_width, section.page_height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(BODY_PT)
    # Word reads the East-Asian font slot for Vietnamese runs in some locales: set it too.
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)
    fmt = style.paragraph_format
    fmt.space_before, fmt.space_after = Pt(0), Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    return doc


def paragraph(
    container: Document | _Cell, text: str = "", *, bold: bool = False, italic: bool = False,
    size: float = BODY_PT, align: WD_ALIGN_PARAGRAPH | None = None, indent_first: bool = False,
    space_after: float = 0, space_before: float = 0, underline: bool = False, line_spacing: float | None = None,
    left_indent_mm: float = 0,
) -> Paragraph:
    """One paragraph with one run; the only place text formatting is decided.

    A summary of 5000 units has some 15 000 paragraphs, and python-docx inserts each new body
    paragraph by scanning the body for the section properties and sets each run property by
    scanning for its place — quadratic, 20 s for one document. So the first paragraph of each
    formatting is made through python-docx and kept as a prototype; the next ones are copies of
    it with their own text, put before the section properties directly: the same XML, in
    linear time."""
    key = (bold, italic, size, align, indent_first, space_after, space_before, underline, line_spacing, left_indent_mm)
    protos: dict[tuple[object, ...], object] = _prototypes(container)
    proto = protos.get(key) if text else None
    if proto is not None:
        el = deepcopy(proto)
        t = el.find(".//" + qn("w:t"))
        t.text = text
        t.set(XML_SPACE, "preserve")
        if isinstance(container, _Cell):
            container._tc.append(el)
        else:
            # body.sectPr would scan the whole body for it each time: found once, kept.
            sect = protos.get("sectPr")
            if sect is None:
                sect = protos["sectPr"] = container.element.body.sectPr  # type: ignore[union-attr]
            sect.addprevious(el)  # type: ignore[attr-defined]
        return Paragraph(el, container)
    p = _styled_paragraph(container, text, bold=bold, italic=italic, size=size, align=align,
                          indent_first=indent_first, space_after=space_after, space_before=space_before,
                          underline=underline, line_spacing=line_spacing, left_indent_mm=left_indent_mm)
    if text:
        protos[key] = deepcopy(p._p)
    return p


XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _prototypes(container: Document | _Cell) -> dict[tuple[object, ...], object]:
    """Prototype paragraphs per formatting, kept on the document (a cell's go in its document's)."""
    part = container.part
    protos = getattr(part, "_tdkt_prototypes", None)
    if protos is None:
        protos = {}
        part._tdkt_prototypes = protos  # type: ignore[attr-defined]
    return protos


def _styled_paragraph(
    container: Document | _Cell, text: str, *, bold: bool, italic: bool, size: float,
    align: WD_ALIGN_PARAGRAPH | None, indent_first: bool, space_after: float, space_before: float,
    underline: bool, line_spacing: float | None, left_indent_mm: float,
) -> Paragraph:
    p = container.add_paragraph()
    if text:
        run = p.add_run(text)
        run.bold, run.italic, run.underline = bold, italic, underline
        run.font.size = Pt(size)
        run.font.name = FONT
    fmt = p.paragraph_format
    if align is not None:
        p.alignment = align
    if indent_first:
        fmt.first_line_indent = Mm(10)
    fmt.space_after, fmt.space_before = Pt(space_after), Pt(space_before)
    if line_spacing is not None:
        fmt.line_spacing = line_spacing
    if left_indent_mm:
        fmt.left_indent = Mm(left_indent_mm)
    return p


def set_cell_text(cell: _Cell, text: str, **kwargs: object) -> Paragraph:
    """Replace a table cell's empty first paragraph with formatted text."""
    first = cell.paragraphs[0]
    p = paragraph(cell, text, **kwargs)  # type: ignore[arg-type]
    first._element.getparent().remove(first._element)
    return p


def _borderless(table: Table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)


def _widths(table: Table, widths_mm: Sequence[float]) -> None:
    """Column widths on the grid and on every cell: Word reads the cells, LibreOffice the grid."""
    for i, width in enumerate(widths_mm):
        table.columns[i].width = Mm(width)
        for cell in table.columns[i].cells:
            cell.width = Mm(width)


def _rule(container: Document | _Cell, width_mm: float, room_mm: float) -> None:
    """The short solid line under the issuer's name, the motto and the trích yếu: an empty
    paragraph whose bottom border is narrowed by equal indents to ``width_mm`` (a border draws in
    every viewer and converter; underlined spaces do not)."""
    p = paragraph(container, "", size=2)
    side = Mm(max((room_mm - width_mm) / 2, 0))
    p.paragraph_format.left_indent = p.paragraph_format.right_indent = side
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    p._p.get_or_add_pPr().append(borders)


def add_header(
    doc: Document, *, parent_line: str, issuer_line: str, number: str, place_date: str,
    left_mm: float = 68, right_mm: float = 97,
) -> Table:
    """The two-column heading: issuer and "Số:" left, national name and motto right, then the
    place and date in italics under the motto."""
    table = doc.add_table(rows=2, cols=2)
    _borderless(table)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _widths(table, (left_mm, right_mm))
    left, right = table.cell(0, 0), table.cell(0, 1)
    first = True
    if parent_line:
        set_cell_text(left, parent_line.upper(), size=12, align=WD_ALIGN_PARAGRAPH.CENTER)
        first = False
    for line in issuer_line.upper().splitlines():
        if first:
            set_cell_text(left, line, bold=True, size=12, align=WD_ALIGN_PARAGRAPH.CENTER)
            first = False
        else:
            paragraph(left, line, bold=True, size=12, align=WD_ALIGN_PARAGRAPH.CENTER)
    _rule(left, 25, left_mm)
    set_cell_text(right, MOTTO_NATION, bold=True, size=12, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph(right, MOTTO, bold=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    _rule(right, 62, right_mm)
    set_cell_text(table.cell(1, 0), f"Số: {number}", size=13, align=WD_ALIGN_PARAGRAPH.CENTER,
                  space_before=4)
    set_cell_text(table.cell(1, 1), place_date, italic=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER,
                  space_before=4)
    return table


def add_title(doc: Document, kind: str, subject: str) -> None:
    """"BÁO CÁO" and the trích yếu, centred, bold, with the short line below."""
    paragraph(doc, kind, bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER, space_before=18)
    for line in subject.splitlines():
        paragraph(doc, line.strip(), bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    _rule(doc, 30, 165)
    paragraph(doc, "", size=6, space_after=6)


def add_blocks(doc: Document, items: Sequence[Block], tables: dict[str, object] | None = None) -> None:
    """The body: headings, paragraphs and quotes from a rendered template; ``X|name`` calls
    ``tables[name](doc)`` so a builder can put a table where the template says."""
    for block in items:
        match block.kind:
            case "H":
                paragraph(doc, block.text, bold=True, size=BODY_PT, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
                          indent_first=True, space_before=6, space_after=6, line_spacing=1.15)
            case "S":
                paragraph(doc, block.text, bold=True, size=BODY_PT, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
                          indent_first=True, space_after=6, line_spacing=1.15)
            case "P":
                paragraph(doc, block.text, size=BODY_PT, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
                          indent_first=True, space_after=6, line_spacing=1.15)
            case "Q":
                paragraph(doc, block.text, italic=True, size=BODY_PT, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
                          space_after=6, line_spacing=1.15, left_indent_mm=10)
            case "X":
                make = (tables or {}).get(block.text)
                if make is None:
                    raise ValueError(f"document template asks for an unknown table {block.text!r}")
                make(doc)  # type: ignore[operator]


def add_signature(
    doc: Document, *, recipients: Sequence[str], authority: Sequence[str], signer: str,
    left_mm: float = 80, right_mm: float = 85,
) -> Table:
    """"Nơi nhận:" left; authority lines, room for the signature and seal, and the name right."""
    table = doc.add_table(rows=1, cols=2)
    _borderless(table)
    table.autofit = False
    _widths(table, (left_mm, right_mm))
    left, right = table.cell(0, 0), table.cell(0, 1)
    p = set_cell_text(left, "Nơi nhận:", bold=True, italic=True, size=12, space_before=12)
    for line in recipients:
        paragraph(left, line, size=11)
    first = True
    for line in authority:
        if first:
            set_cell_text(right, line.upper(), bold=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER,
                          space_before=12)
            first = False
        else:
            paragraph(right, line.upper(), bold=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph(right, "", size=13, space_after=60)
    paragraph(right, signer, bold=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    del p
    return table


def save(doc: Document) -> bytes:
    buf = BytesIO()
    doc.save(buf)
    return buf.getvalue()
