"""Splitting long messages for Telegram (HTML, 4096) and Zalo (plain, 2000).

The properties that matter for a broadcast: every part is accepted by the platform on
its own (size, well-formed HTML), and the parts together say exactly what the whole
said, in order — only whitespace at the cut points may disappear.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rendering.markup import (
    html_text_length,
    markdown_to_plain,
    markdown_to_telegram_html,
    utf16_len,
)
from bot.rendering.split import number_parts, split_html, split_message, split_plain
from tests.unit.test_markup import telegram_html_errors, visible_text

DECREES = sorted((Path(__file__).parents[2] / "bot" / "data" / "announcements").glob("*.md"))
MARKER = re.compile(r"^\((\d+)/(\d+)\) ")
FAMILY = "👨\u200d👩\u200d👧"


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def strip_markers(parts: list[str]) -> list[str]:
    """Remove "(i/n) " markers, checking they are there and in order when needed."""
    if len(parts) < 2:
        assert not any(MARKER.match(p) for p in parts) or len(parts) == 0
        return parts
    bodies = []
    for i, part in enumerate(parts, 1):
        m = MARKER.match(part)
        assert m is not None and (int(m.group(1)), int(m.group(2))) == (i, len(parts)), part[:30]
        bodies.append(part[m.end() :])
    return bodies


def check_html_parts(whole: str, parts: list[str], limit: int, *, numbered: bool) -> None:
    assert parts, "nothing to send"
    for part in parts:
        assert len(part) <= limit, (len(part), part[:60])
        assert html_text_length(part) <= limit
        assert telegram_html_errors(part) == [], part
        assert part == part.strip() or len(parts) == 1
    bodies = strip_markers(parts) if numbered else parts
    assert squash("".join(visible_text(b) for b in bodies)) == squash(visible_text(whole))


def check_plain_parts(whole: str, parts: list[str], limit: int) -> None:
    assert parts
    for part in parts:
        assert utf16_len(part) <= limit, (utf16_len(part), part[:60])
    assert squash("".join(strip_markers(parts))) == squash(whole)


# ------------------------------------------------------------------ basics
def test_what_fits_is_one_unnumbered_part_unchanged() -> None:
    assert split_html("<b>ngắn</b>  ") == ["<b>ngắn</b>  "]
    assert split_plain("ngắn\n\n") == ["ngắn\n\n"]
    assert split_message("<b>ngắn</b>", limit=4096, markup="html") == ["<b>ngắn</b>"]
    assert split_message("", limit=2000, markup="plain") == [""]


def test_paragraphs_are_packed_greedily() -> None:
    paras = [f"Đoạn {i} " + "x" * 80 + "." for i in range(6)]
    text = "\n\n".join(paras)
    parts = split_plain(text, 200)
    assert parts == ["\n\n".join(paras[0:2]), "\n\n".join(paras[2:4]), "\n\n".join(paras[4:6])]


def test_long_paragraph_is_cut_at_sentences() -> None:
    sentences = [f"Câu số {i} nói về thi đua khen thưởng." for i in range(20)]
    parts = split_plain(" ".join(sentences), 100)
    assert all(p.endswith(".") for p in parts)
    assert " ".join(parts) == " ".join(sentences)
    for sep in ("; ", "! ", "? "):
        text = sep.join(["một hai ba bốn năm sáu bảy"] * 10)
        assert all(p.endswith(sep[0]) for p in split_plain(text, 80)[:-1])


def test_ellipsis_is_a_sentence_end_even_without_space() -> None:
    text = "a" * 50 + "…" + "b" * 50
    assert split_plain(text, 80) == ["a" * 50 + "…", "b" * 50]


def test_sentence_then_space_then_hard_cut() -> None:
    words = " ".join(["thiđua"] * 40)
    parts = split_plain(words, 50)
    assert all(set(p.split()) == {"thiđua"} for p in parts)
    assert split_plain("x" * 450, 200) == ["x" * 200, "x" * 200, "x" * 50]


def test_coarser_boundaries_win_when_the_part_stays_at_least_half_full() -> None:
    first = "Đoạn đầu " + "a" * 120 + "."
    second = "Câu một dài. " + "b " * 100
    parts = split_plain(f"{first}\n\n{second}", 200)
    assert parts[0] == first


def test_a_short_first_paragraph_is_filled_up_rather_than_sent_alone() -> None:
    text = "Mở đầu.\n\n" + " ".join(f"Câu {i} về phong trào." for i in range(40))
    parts = split_plain(text, 200)
    assert parts[0].startswith("Mở đầu.\n\nCâu 0") and len(parts[0]) > 150


def test_headings_stay_with_their_body() -> None:
    body = "Nội dung thi đua dài dòng. " * 5
    text = f"{'Đoạn mở đầu khá dài. ' * 6}\n\nI. NỘI DUNG THI ĐUA:\n\n{body}"
    parts = split_plain(text, 200)
    assert parts[1].startswith("I. NỘI DUNG THI ĐUA:")


def test_never_cuts_inside_an_entity_or_a_tag() -> None:
    html = "&amp;" * 100
    for limit in (7, 50, 51, 99):
        parts = split_html(html, limit)
        assert all(re.fullmatch(r"(&amp;)+", p) for p in parts)
        assert "".join(parts) == html
    html = '<a href="https://x.vn/rất-dài">' + "chữ " * 100 + "</a>"
    for part in split_html(html, 120):
        assert telegram_html_errors(part) == []


def test_open_tags_are_closed_and_reopened_with_their_attributes() -> None:
    html = (
        '<blockquote><b>Đậm</b> <a href="https://x.vn/?a=1&amp;b=2">'
        + "liên kết dài. " * 40
        + "</a></blockquote>"
    )
    parts = split_html(html, 150)
    assert len(parts) > 3
    for part in parts[1:]:
        assert part.startswith('<blockquote><a href="https://x.vn/?a=1&amp;b=2">liên')
        assert part.endswith("</a></blockquote>")
    check_html_parts(html, parts, 150, numbered=False)


def test_no_empty_tags_at_cut_points() -> None:
    html = "<b>" + "một. " * 30 + "</b> <i>hai</i>" + "\n\n<b>" + "ba " * 40 + "</b>"
    for limit in range(30, 200, 7):
        parts = split_html(html, limit)
        for part in parts:
            assert not re.search(r"<(\w+)[^>]*>\s*</\1>", part), (limit, part)
        check_html_parts(html, parts, limit, numbered=False)


def test_emoji_and_grapheme_clusters_are_never_split() -> None:
    text = FAMILY * 100
    for limit in (8, 20, 50, 333):
        for part in split_plain(text, limit):
            assert part.replace(FAMILY, "") == "", part
        for part in split_html(text, limit):
            assert part.replace(FAMILY, "") == ""
    flags = "🇻🇳" * 50  # regional indicator pairs: best effort, but never broken surrogates
    for part in split_plain(flags, 11):
        part.encode("utf-8")  # a lone surrogate would raise
        assert utf16_len(part) <= 11


def test_emoji_count_double_for_telegram() -> None:
    text = "😀" * 3000  # 3000 characters but 6000 UTF-16 units
    parts = split_html(text, 4096)
    assert [len(p) for p in parts] == [2048, 952]
    assert all(html_text_length(p) <= 4096 for p in parts)


def test_whitespace_only_lost_at_cut_points() -> None:
    text = "Một hai.\n\n   \n\nBa bốn. Năm sáu.  Bảy tám."
    parts = split_plain(text, 10)
    assert squash("".join(parts)) == squash(text)
    assert all(p == p.strip() for p in parts)


def test_limit_must_leave_room_for_content() -> None:
    with pytest.raises(ValueError):
        split_plain("abc def", 0)
    with pytest.raises(ValueError):
        split_html('<a href="https://x.vn/very/long/path">' + "x " * 50 + "</a>", 20)


# ------------------------------------------------------------------ numbering
def test_number_parts() -> None:
    assert number_parts(["a"]) == ["a"]
    assert number_parts([]) == []
    assert number_parts(["a", "b", "c"]) == ["(1/3) a", "(2/3) b", "(3/3) c"]
    assert number_parts(["a", "b"], fmt="[{i}/{n}]\n") == ["[1/2]\na", "[2/2]\nb"]


def test_split_message_reserves_room_for_the_marker() -> None:
    text = " ".join(f"Câu {i}." for i in range(400))
    for limit in (30, 100, 2000):
        parts = split_message(text, limit=limit, markup="plain")
        check_plain_parts(text, parts, limit)
    parts = split_message("x" * 1000, limit=20, markup="plain")  # 10+ parts: two-digit markers
    assert len(parts) >= 10 and parts[-1].startswith(f"({len(parts)}/{len(parts)}) ")
    check_plain_parts("x" * 1000, parts, 20)


def test_split_message_rejects_unknown_markup() -> None:
    with pytest.raises(ValueError):
        split_message("x", limit=10, markup="markdown")  # type: ignore[arg-type]


# ------------------------------------------------------------------ real decrees
@pytest.mark.parametrize("path", DECREES, ids=lambda p: p.stem)
def test_decrees_split_for_telegram_and_zalo(path: Path) -> None:
    md = path.read_text(encoding="utf-8")
    html = markdown_to_telegram_html(md)
    parts = split_message(html, limit=4096, markup="html")
    check_html_parts(html, parts, 4096, numbered=True)
    assert len(parts) >= -(-html_text_length(html) // 4096)
    plain = markdown_to_plain(md)
    zalo = split_message(plain, limit=2000, markup="plain")
    check_plain_parts(plain, zalo, 2000)
    assert len(zalo) >= -(-utf16_len(plain) // 2000)
    # Greedy: no two consecutive parts would have fitted together.
    bodies = strip_markers(zalo)
    assert all(utf16_len(a) + utf16_len(b) > 2000 - 16 for a, b in itertools.pairwise(bodies))


def test_longest_decree_gives_at_least_three_telegram_parts() -> None:
    longest = max(DECREES, key=lambda p: len(p.read_text(encoding="utf-8")))
    html = markdown_to_telegram_html(longest.read_text(encoding="utf-8"))
    parts = split_message(html, limit=4096, markup="html")
    assert len(parts) >= 3
    assert all(len(p) <= 4096 for p in parts)


# ------------------------------------------------------------------ properties
_VOCABULARY = (
    "thi đua khen thưởng Ủy ban nhân dân tỉnh Lạng Sơn Nội vụ phong trào “yêu nước” năm 2024 "
    '— (ĐVT) x<y A&B a>b &amp; "trích" 😀 🇻🇳 1. Đ/c …'
)
WORDS = [*_VOCABULARY.split(), FAMILY, "e\u0301", "hội\u00a0đồng"]
word = st.sampled_from(WORDS) | st.text(st.sampled_from("abcdđêôơưxyz"), min_size=1, max_size=8)
long_word = st.text(st.sampled_from("abcđêơ&<>😀"), min_size=60, max_size=400)
punct = st.sampled_from([".", ";", "!", "?", "…", ",", "", ":"])


@st.composite
def sentence(draw: st.DrawFn) -> str:
    words = draw(st.lists(word, min_size=1, max_size=25))
    if draw(st.booleans()):
        a = draw(st.integers(0, len(words) - 1))
        b = draw(st.integers(a, len(words) - 1))
        mark = draw(st.sampled_from(["**", "*"]))
        words[a] = mark + words[a]
        words[b] = words[b] + mark
    return " ".join(words) + draw(punct)


paragraph = st.lists(sentence(), min_size=1, max_size=12).map(" ".join)
block = st.one_of(
    paragraph,
    paragraph,
    sentence().map(lambda s: "## " + s),
    st.lists(sentence(), min_size=1, max_size=6).map(lambda items: "\n".join(f"- {s}" for s in items)),
    st.lists(sentence(), min_size=1, max_size=6).map(
        lambda items: "\n".join(f"{i}. {s}" for i, s in enumerate(items, 1))
    ),
    paragraph.map(lambda p: "> " + p),
    st.lists(long_word, min_size=1, max_size=3).map(" ".join),
    st.lists(long_word, min_size=1, max_size=2).map(lambda ws: "**" + "".join(ws) + "**"),
)
document = st.tuples(st.lists(block, min_size=1, max_size=12).map("\n\n".join), st.integers(1, 6)).map(
    lambda doc_times: "\n\n".join([doc_times[0]] * doc_times[1])
)


@settings(max_examples=150, deadline=None)
@given(document, st.sampled_from([4096, 4096, 1000, 200, 120]))
def test_html_parts_are_valid_and_lose_nothing(md: str, limit: int) -> None:
    html = markdown_to_telegram_html(md)
    parts = split_message(html, limit=limit, markup="html")
    check_html_parts(html, parts, limit, numbered=True)
    raw = split_html(html, limit)
    check_html_parts(html, raw, limit, numbered=False)


@settings(max_examples=150, deadline=None)
@given(document, st.sampled_from([2000, 2000, 500, 200, 60]))
def test_plain_parts_fit_and_lose_nothing(md: str, limit: int) -> None:
    plain = markdown_to_plain(md)
    parts = split_message(plain, limit=limit, markup="plain")
    check_plain_parts(plain, parts, limit)
    for part in strip_markers(parts):
        assert not part.startswith("\u200d") and not part.endswith("\u200d")
