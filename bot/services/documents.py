"""Reading official documents: YAML front matter and metadata guessed from the text.

Real decrees are imperfect (blank numbers "Số: /PD-CTĐ", merged header lines), so every
guess may be missing; nothing here ever rejects a document for a missing field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.core import nfc

DOC_TYPES: dict[str, str] = {
    "CT": "Chỉ thị", "KH": "Kế hoạch", "HD": "Hướng dẫn", "TB": "Thông báo", "QĐ": "Quyết định",
    "QD": "Quyết định", "BC": "Báo cáo", "TTr": "Tờ trình", "PĐ": "Phát động", "PD": "Phát động",
    "CV": "Công văn", "GƯ": "Giao ước thi đua", "GU": "Giao ước thi đua",
}
TYPE_WORDS = ["Chỉ thị", "Kế hoạch", "Phát động", "Công văn", "Thông báo", "Quyết định", "Hướng dẫn",
              "Báo cáo", "Tờ trình", "Giao ước thi đua"]
_NUMBER = re.compile(r"Số\s*:?\s*(\d*)\s*/\s*([A-Za-zĐđƯư][A-Za-zĐđƯư0-9\-/]*)")
_DATE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
# At the start of the line: "Số: 12/CT-UBND" or a title "Chỉ thị số 01/CT-UBND" only mention one.
_ISSUER_HINT = re.compile(r"^(ỦY BAN NHÂN DÂN|UỶ BAN NHÂN DÂN|UBND|SỞ |PHÒNG |HỘI ĐỒNG|BỘ |CỤM THI ĐUA)")
_BLOCK_MARKS = re.compile(r"^\s*(?:>\s?)*(?:#{1,6}(?=\s|$)|[-*+](?=\s)|\d{1,3}[.)](?=\s))?\s*")
_CLOSING_HASHES = re.compile(r"\s+#+\s*$")
_NATIONAL_MOTTO = re.compile(r"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM|Độc lập\s*-\s*Tự do\s*-\s*Hạnh phúc", re.IGNORECASE)


@dataclass
class DocumentMeta:
    doc_type: str = ""
    number: str = ""
    issued_on: date | None = None
    issuer: str = ""
    summary: str = ""
    body: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """``---\\nyaml\\n---\\nbody`` → (mapping, body); no front matter → ({}, text)."""
    if text.startswith("---"):
        parts = text.split("\n---", 1)
        if len(parts) == 2:
            head = parts[0][3:]
            body = parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
            data = yaml.safe_load(head) or {}
            if isinstance(data, dict):
                return data, body
    return {}, text


def type_from_code(number: str) -> str:
    code = number.split("/", 1)[1].split("-", 1)[0] if "/" in number else ""
    return DOC_TYPES.get(code, DOC_TYPES.get(code.upper(), ""))


def plain_line(line: str) -> str:
    """One line of Markdown as the words it shows: no heading, quote or list marks, no
    emphasis, links as their text. Decrees come as Markdown, and the guesses below must see
    the document's words, not its markup ("# Chỉ thị số 01/CT-UBND" was taken for an issuer)."""
    line = _CLOSING_HASHES.sub("", _BLOCK_MARKS.sub("", line, count=1))
    tokens = _inline_parser().parseInline(line)
    return "".join(_inline_text(token) for token in tokens).strip()


def _inline_text(token: Token) -> str:
    if token.type in ("text", "text_special", "code_inline"):
        return token.content
    if token.type in ("softbreak", "hardbreak"):
        return " "
    return "".join(_inline_text(child) for child in token.children or ())


@lru_cache(maxsize=1)
def _inline_parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False})


def guess_metadata(text: str) -> DocumentMeta:
    text = nfc(text)
    meta = DocumentMeta(body=text.strip())
    head = "\n".join(plain_line(line) for line in text[:3000].splitlines())
    m = _NUMBER.search(head)
    if m:
        meta.number = (f"{m.group(1)}/{m.group(2)}" if m.group(1) else "").strip()
        meta.doc_type = type_from_code(f"x/{m.group(2)}")
    d = _DATE.search(head)
    if d:
        try:
            meta.issued_on = date(int(d.group(3)), int(d.group(2)), int(d.group(1)))
        except ValueError:
            meta.issued_on = None
    lines = [ln.strip() for ln in head.splitlines()]
    for i, line in enumerate(lines):
        bare = line.rstrip(":")
        for word in TYPE_WORDS:
            if bare.upper() == word.upper():
                meta.doc_type = word
                following = [ln for ln in lines[i + 1 : i + 4] if ln]
                if following:
                    meta.summary = following[0]
                break
        if meta.summary:
            break
    for line in lines[:6]:
        issuer = _NATIONAL_MOTTO.sub("", line).strip(" -")
        if _ISSUER_HINT.search(issuer):
            meta.issuer = re.sub(r"\s{2,}", " ", issuer)
            break
    return meta


def read_document(text: str) -> DocumentMeta:
    """Front matter wins over guesses; guesses fill what is missing."""
    data, body = split_front_matter(nfc(text))
    meta = guess_metadata(body)
    if data:
        meta.doc_type = str(data.get("type") or data.get("loai") or meta.doc_type)
        meta.number = str(data.get("number") or data.get("so") or meta.number)
        meta.issuer = str(data.get("issuer") or data.get("co_quan") or meta.issuer)
        meta.summary = str(data.get("summary") or data.get("trich_yeu") or meta.summary)
        issued = data.get("issued") or data.get("ngay")
        if isinstance(issued, date):
            meta.issued_on = issued
        elif isinstance(issued, str) and issued.strip():
            meta.issued_on = parse_vn_date(issued)
        meta.extra = {k: v for k, v in data.items() if k in {"audience", "ack", "at"}}
    return meta


def parse_vn_date(text: str) -> date:
    m = re.fullmatch(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*", text)
    if not m:
        raise ValueError(f"ngày không hợp lệ: {text!r} (dạng dd/mm/yyyy)")
    return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
