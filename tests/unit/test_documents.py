"""Metadata guessed from a decree written in Markdown: the markup is not part of what is guessed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.services.documents import guess_metadata, read_document

SAMPLES = Path(__file__).resolve().parents[2] / "bot" / "data" / "announcements"

HEADED = """# Chỉ thị số 01/CT-UBND về đẩy mạnh phong trào thi đua năm 2027

**ỦY BAN NHÂN DÂN TỈNH LẠNG SƠN**

Số: 01/CT-UBND

*Lạng Sơn, ngày 05 tháng 01 năm 2027*

## CHỈ THỊ

### **Về việc đẩy mạnh phong trào thi đua yêu nước năm 2027**

Nội dung…
"""


def test_markdown_heading_is_not_taken_for_the_issuer() -> None:
    """`tdkt-bot announce` printed "Cơ quan ban hành: # Chỉ thị số 01/CT-UBND…": the heading's
    'CT-UBND' looked like an issuer. The issuer is the agency line, without its bold markers."""
    meta = read_document(HEADED)
    assert meta.issuer == "ỦY BAN NHÂN DÂN TỈNH LẠNG SƠN"
    assert meta.doc_type == "Chỉ thị"
    assert meta.summary == "Về việc đẩy mạnh phong trào thi đua yêu nước năm 2027"
    assert meta.number == "01/CT-UBND"
    assert meta.issued_on == date(2027, 1, 5)


@pytest.mark.parametrize(
    "line",
    ["# Chỉ thị số 01/CT-UBND", "Số: 12/CT-UBND", "> **Kế hoạch** số 3/KH-UBND", "- Kính gửi: [UBND các xã](http://x)"],
)
def test_lines_that_only_mention_an_agency_are_not_issuers(line: str) -> None:
    assert guess_metadata(f"{line}\n\nNội dung\n").issuer == ""


@pytest.mark.parametrize(
    ("line", "issuer"),
    [
        ("## ỦY BAN NHÂN DÂN HUYỆN VĂN LÃNG", "ỦY BAN NHÂN DÂN HUYỆN VĂN LÃNG"),
        ("**UBND** **XÃ** __TÂN THANH__", "UBND XÃ TÂN THANH"),
        ("HỘI ĐỒNG TĐKT TỈNH LẠNG SƠN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "HỘI ĐỒNG TĐKT TỈNH LẠNG SƠN"),
        (r"SỞ KẾ HOẠCH VÀ ĐẦU TƯ \*", "SỞ KẾ HOẠCH VÀ ĐẦU TƯ *"),
    ],
)
def test_agency_line_in_markdown_is_the_issuer(line: str, issuer: str) -> None:
    assert guess_metadata(f"\n{line}\n\nNội dung\n").issuer == issuer


def test_shipped_samples_have_no_markup_in_guesses() -> None:
    for path in sorted(SAMPLES.glob("*.md")):
        meta = read_document(path.read_text(encoding="utf-8"))
        for value in (meta.issuer, meta.summary):
            assert not any(mark in value for mark in ("**", "# ", "__")), (path.name, value)
