"""Markdown → Telegram HTML / plain text.

Telegram rejects a whole message when its HTML is malformed or uses unknown tags, so the
renderer is checked on real decrees and on arbitrary input, not only on examples.
"""

from __future__ import annotations

import re
import unicodedata
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rendering.markup import (
    ALLOWED_TAGS,
    escape_html,
    html_text_length,
    markdown_to_plain,
    markdown_to_telegram_html,
    utf16_len,
)

DECREES = sorted((Path(__file__).parents[2] / "bot" / "data" / "announcements").glob("*.md"))

_ALLOWED_ATTRS = {"a": {"href"}, "code": {"class"}}
_ENTITIES = {"lt", "gt", "amp", "quot"}


class _TelegramHtmlChecker(HTMLParser):
    """Collects every way a string would be rejected (or mangled) by Telegram's HTML parser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[list] = []  # [tag, has visible text]
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        open_tags = [t for t, _ in self.stack]
        if tag not in ALLOWED_TAGS:
            self.errors.append(f"tag <{tag}> not allowed")
        if extra := {k for k, _ in attrs} - _ALLOWED_ATTRS.get(tag, set()):
            self.errors.append(f"attributes {extra} on <{tag}>")
        if tag == "code" and attrs and open_tags[-1:] != ["pre"]:
            self.errors.append("code class outside pre")
        if open_tags and open_tags[-1] in ("code", "pre") and not (tag == "code" and open_tags[-1] == "pre"):
            self.errors.append(f"<{tag}> inside <{open_tags[-1]}>")
        if tag in ("a", "code") and "a" in open_tags:
            self.errors.append(f"<{tag}> inside <a>")
        if tag in open_tags:
            self.errors.append(f"<{tag}> nested in itself")
        self.stack.append([tag, False])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.errors.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append(f"unbalanced </{tag}>, open: {[t for t, _ in self.stack]}")
            return
        _, has_text = self.stack.pop()
        if not has_text:
            self.errors.append(f"empty <{tag}>")

    def handle_data(self, data: str) -> None:
        if re.search(r"[<>&]", data):
            self.errors.append(f"unescaped character in {data[:40]!r}")
        if data.strip():
            for entry in self.stack:
                entry[1] = True

    def handle_entityref(self, name: str) -> None:
        if name not in _ENTITIES:
            self.errors.append(f"entity &{name};")
        for entry in self.stack:
            entry[1] = True

    def handle_charref(self, name: str) -> None:
        self.errors.append(f"character reference &#{name};")

    def handle_comment(self, data: str) -> None:
        self.errors.append("comment")

    def handle_decl(self, decl: str) -> None:
        self.errors.append("declaration")

    def unknown_decl(self, data: str) -> None:
        self.errors.append("declaration")

    def handle_pi(self, data: str) -> None:
        self.errors.append("processing instruction")


def telegram_html_errors(html: str) -> list[str]:
    """Why Telegram would refuse ``html`` (empty list: it is fine)."""
    checker = _TelegramHtmlChecker()
    checker.feed(html)
    checker.close()
    errors = checker.errors
    if checker.stack:
        errors.append(f"unclosed {[t for t, _ in checker.stack]}")
    if re.search(r"&(?!(?:lt|gt|amp|quot);)", html):
        errors.append("bare & or unknown entity")
    return errors


def visible_text(html: str) -> str:
    return unescape(re.sub(r"<[^<>]*>", "", html))


_LINE_MARKERS = re.compile(r"^\s*(?:[-*+]\s+|#+\s+|>\s?)*")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def html(md: str) -> str:
    return markdown_to_telegram_html(md)


# ------------------------------------------------------------------ HTML: inline
def test_bold_italic_code_strike() -> None:
    assert html("**đậm** và *nghiêng* và `mã` và ~~gạch~~") == (
        "<b>đậm</b> và <i>nghiêng</i> và <code>mã</code> và <s>gạch</s>"
    )


def test_nested_emphasis_does_not_nest_a_tag_in_itself() -> None:
    assert html("***cả hai***") in ("<i><b>cả hai</b></i>", "<b><i>cả hai</i></b>")
    assert html("**ngoài *trong* ngoài**") == "<b>ngoài <i>trong</i> ngoài</b>"
    assert html("# Tiêu đề **đậm**") == "<b>Tiêu đề đậm</b>"


def test_curly_quotes_around_bold_as_in_decrees() -> None:
    assert html("chủ đề: **“Siết chặt kỷ cương”**.") == "chủ đề: <b>“Siết chặt kỷ cương”</b>."
    assert html("chủ đề “**Siết chặt**” thi") == "chủ đề “<b>Siết chặt</b>” thi"
    assert html("về việc “*Tiếp tục đổi mới*”;") == "về việc “<i>Tiếp tục đổi mới</i>”;"


def test_escaping_uses_only_the_four_entities() -> None:
    out = html("a < b > c & d \"e\" 'f'")
    assert out == "a &lt; b &gt; c &amp; d &quot;e&quot; 'f'"
    assert escape_html('<&>"') == "&lt;&amp;&gt;&quot;"


def test_raw_html_in_source_is_shown_as_text() -> None:
    out = html('Xem <b>đây</b> <script>alert("x")</script>')
    assert "<b>" not in out and "<script>" not in out
    assert visible_text(out) == 'Xem <b>đây</b> <script>alert("x")</script>'
    block = html('<div class="x">\nkhối\n</div>')
    assert visible_text(block) == '<div class="x">\nkhối\n</div>'
    assert telegram_html_errors(out) == telegram_html_errors(block) == []


def test_markdown_entities_are_decoded_then_reescaped() -> None:
    assert html("A &amp; B &copy; &#65;") == "A &amp; B © A"


def test_links() -> None:
    assert html("[Cổng](https://x.gov.vn/a?b=1&c=2)") == '<a href="https://x.gov.vn/a?b=1&amp;c=2">Cổng</a>'
    assert html("<https://x.gov.vn>") == '<a href="https://x.gov.vn">https://x.gov.vn</a>'
    assert html("[**đậm**](https://x.vn)") == '<a href="https://x.vn"><b>đậm</b></a>'


def test_links_telegram_cannot_take_are_shown_as_text() -> None:
    assert html("[trang](/tuong-doi)") == "trang (/tuong-doi)"
    assert html("[](https://x.vn)") == '<a href="https://x.vn">https://x.vn</a>'
    # Telegram forbids code inside a link.
    assert html("[`mã`](https://x.vn)") == '<a href="https://x.vn">mã</a>'


def test_images_become_their_alt_text_linked() -> None:
    assert html("![Ảnh *hội nghị*](https://x.vn/a.png)") == '<a href="https://x.vn/a.png">Ảnh hội nghị</a>'
    assert html("![](https://x.vn/a.png)") == '<a href="https://x.vn/a.png">https://x.vn/a.png</a>'


def test_line_breaks() -> None:
    assert html("dòng một\ndòng hai") == "dòng một\ndòng hai"
    assert html("dòng một  \ndòng hai") == "dòng một\ndòng hai"
    assert html("dòng một\\\ndòng hai") == "dòng một\ndòng hai"


# ------------------------------------------------------------------ HTML: blocks
def test_paragraphs_and_headings_are_separated_by_blank_lines() -> None:
    assert html("# Tiêu đề\nĐoạn một.\n\n\n\nĐoạn hai.") == "<b>Tiêu đề</b>\n\nĐoạn một.\n\nĐoạn hai."
    assert html("Tiêu đề phụ\n---\n\nNội dung") == "<b>Tiêu đề phụ</b>\n\nNội dung"


def test_roman_numbered_headings_stay_paragraphs() -> None:
    assert html("I. NỘI DUNG THI ĐUA:\n\n1. Tiếp tục.") == "I. NỘI DUNG THI ĐUA:\n\n1. Tiếp tục."


def test_bullet_lists() -> None:
    assert html("- một\n- **hai**\n* ba") == "• một\n• <b>hai</b>\n\n• ba"
    assert html("- một\n\n- hai") == "• một\n\n• hai"


def test_ordered_lists_keep_source_numbers() -> None:
    assert html("3. ba\n4. bốn") == "3. ba\n4. bốn"
    assert html("1. một\n1. hai\n1. ba") in ("1. một\n2. hai\n3. ba", "1. một\n1. hai\n1. ba")
    assert html("1) một\n2) hai") == "1) một\n2) hai"


def test_nested_lists_are_indented() -> None:
    assert html("- a\n  - b\n    - c\n- d") == "• a\n  • b\n    • c\n• d"
    assert html("1. a\n   - b\n2. c") == "1. a\n   • b\n2. c"


def test_list_item_with_two_paragraphs() -> None:
    assert html("- đoạn một\n\n  đoạn hai\n- khác") == "• đoạn một\n\n  đoạn hai\n\n• khác"


def test_block_quotes() -> None:
    assert html("> trích **dẫn**\n> tiếp") == "<blockquote>trích <b>dẫn</b>\ntiếp</blockquote>"
    assert html("> a\n>\n> b") == "<blockquote>a\n\nb</blockquote>"


def test_nested_block_quotes_are_flattened_since_telegram_forbids_nesting() -> None:
    out = html("> ngoài\n>\n> > trong")
    assert out == "<blockquote>ngoài\n\n│ trong</blockquote>"


def test_code_blocks() -> None:
    assert html("```\nx < 1 && y\n```") == "<pre>x &lt; 1 &amp;&amp; y</pre>"
    assert html("```python\nprint(1)\n```") == '<pre><code class="language-python">print(1)</code></pre>'
    assert html("    thụt lề") == "<pre>thụt lề</pre>"
    assert html("```\n\n```") == ""


def test_horizontal_rule_and_table() -> None:
    assert html("a\n\n---\n\nb") == "a\n\n———\n\nb"
    table = "| Đơn vị | Điểm |\n|---|---|\n| Xã **A** | 9 |\n| Xã B | 8 |"
    assert html(table) == "Đơn vị | Điểm\nXã <b>A</b> | 9\nXã B | 8"


def test_never_an_empty_tag_pair() -> None:
    for md in ("#", "# ", "****", "** **", "[ ](https://x.vn)", "> ", ">", "-", "``", "` `", "![]()"):
        out = html(md)
        assert not re.search(r"<(\w+)[^>]*>\s*</\1>", out), (md, out)
        assert telegram_html_errors(out) == [], (md, out)


def test_nfd_input_gives_nfc_output() -> None:
    md = unicodedata.normalize("NFD", "**Thi đua** khen thưởng — Nội vụ")
    assert md != unicodedata.normalize("NFC", md)
    out_html = html(md)
    out_plain = markdown_to_plain(md)
    assert out_html == "<b>Thi đua</b> khen thưởng — Nội vụ"
    assert unicodedata.is_normalized("NFC", out_html) and unicodedata.is_normalized("NFC", out_plain)


# ------------------------------------------------------------------ plain text
def test_plain_removes_markup_and_keeps_structure() -> None:
    md = (
        "# Kế hoạch *năm* 2024\n\n"
        "Đoạn **đậm** và *nghiêng*, `mã`, ~~gạch~~ & <b>thẻ</b>.\n\n"
        "- một\n- hai\n  - con\n\n"
        "3. ba\n4. bốn\n\n"
        "> trích dẫn\n> dòng hai\n>\n> đoạn hai\n\n"
        "---\n\n"
        "[Cổng](https://x.gov.vn) và <https://y.vn> và ![ảnh](https://x.vn/a.png)"
    )
    assert markdown_to_plain(md) == (
        "KẾ HOẠCH NĂM 2024\n\n"
        "Đoạn đậm và nghiêng, mã, gạch & <b>thẻ</b>.\n\n"
        "• một\n• hai\n  • con\n\n"
        "3. ba\n4. bốn\n\n"
        "│ trích dẫn\n│ dòng hai\n│\n│ đoạn hai\n\n"
        "———\n\n"
        "Cổng (https://x.gov.vn) và https://y.vn và ảnh (https://x.vn/a.png)"
    )


def test_plain_heading_capitals_do_not_touch_urls() -> None:
    assert markdown_to_plain("## Xem [cổng](https://X.vn/Abc)") == "XEM CỔNG (https://X.vn/Abc)"


def test_plain_code_block_and_table() -> None:
    assert markdown_to_plain("```\nx < 1\n```") == "x < 1"
    assert markdown_to_plain("| a | b |\n|---|---|\n| 1 | 2 |") == "a | b\n1 | 2"


# ------------------------------------------------------------------ lengths
def test_html_text_length_counts_what_telegram_counts() -> None:
    assert html_text_length("<b>a&amp;b</b>") == 3
    assert html_text_length('<a href="https://x.vn">ab</a>') == 2
    assert html_text_length("😀") == 2  # one astral character is two UTF-16 units
    assert html_text_length("Thi đua &lt;") == 9
    assert utf16_len("a😀") == 3


# ------------------------------------------------------------------ real decrees
@pytest.mark.parametrize("path", DECREES, ids=lambda p: p.stem)
def test_decrees_render_to_well_formed_telegram_html(path: Path) -> None:
    md = path.read_text(encoding="utf-8")
    out = html(md)
    assert telegram_html_errors(out) == []
    assert "**" not in out and ("<b>" in out or "<i>" in out)
    assert "\n\n\n" not in out
    # Nothing of the text is lost: every source line, markers aside, is in the output.
    shown = squash(visible_text(out))
    for line in unicodedata.normalize("NFC", md).splitlines():
        content = squash(_LINE_MARKERS.sub("", line).replace("*", ""))
        assert content in shown, line


@pytest.mark.parametrize("path", DECREES, ids=lambda p: p.stem)
def test_decrees_render_to_plain_text_without_markup(path: Path) -> None:
    md = path.read_text(encoding="utf-8")
    out = markdown_to_plain(md)
    assert "**" not in out and "<" not in out
    assert unicodedata.is_normalized("NFC", out)
    assert squash(visible_text(html(md)).replace("│", "")) == squash(out)


def test_decree_structure_survives() -> None:
    md = next(p for p in DECREES if "2022_CT-UBND" in p.name).read_text(encoding="utf-8")
    out = html(md)
    assert (
        "<b>“Siết chặt kỷ cương, tăng cường trách nhiệm, quyết liệt hành động, sáng tạo bứt phá”</b>" in out
    )
    assert "\n• Hội đồng TĐKT TW;\n• Ban TĐKT TW;\n" in out
    assert "\n\n1. Mục tiêu tổng quát\n\n" in out


# ------------------------------------------------------------------ arbitrary input
_MD_ALPHABET = st.sampled_from(list("aăâbđeêoơuưy ÁÀẢÃẠáàảãạ\n*_`#>-+.1)[]()!<>&\"'“”|~\\ \t😀\u0301"))


@settings(max_examples=200, deadline=None)
@given(st.text(_MD_ALPHABET, max_size=300) | st.text(max_size=100))
def test_any_input_gives_html_telegram_accepts(md: str) -> None:
    out = html(md)
    assert telegram_html_errors(out) == [], out
    assert unicodedata.is_normalized("NFC", out)
    plain = markdown_to_plain(md)
    assert unicodedata.is_normalized("NFC", plain)
    assert html_text_length(out) >= 0
