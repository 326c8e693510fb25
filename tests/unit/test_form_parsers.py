"""Vietnamese input parsing: what officers really type is accepted, anything ambiguous refused."""

from __future__ import annotations

from datetime import date

import pytest

from bot.forms.parsers import (
    FileInput,
    InvalidAnswer,
    content_kind,
    describe_accept,
    fold,
    format_date,
    format_decimal,
    format_integer,
    format_phone,
    format_size,
    kind_key,
    normalize,
    normalize_text,
    parse_choice,
    parse_date,
    parse_decimal,
    parse_file,
    parse_integer,
    parse_multichoice,
    parse_numbers,
    parse_phone,
    parse_year,
)
from bot.forms.spec import Option, Part

# --- normalisation ----------------------------------------------------------------------------


def test_normalize_nfc_and_strip() -> None:
    decomposed = "Vie\u0302\u0323t"  # "Việt" typed with combining marks
    assert normalize(f"  {decomposed}\u00a0 ") == "Việt"


def test_normalize_text_keeps_lines_but_trims_them() -> None:
    assert normalize_text("  dòng 1  \r\ndòng 2\n\n\n\ndòng 3 ") == "dòng 1\ndòng 2\n\ndòng 3"


def test_fold_is_accent_case_and_punctuation_insensitive() -> None:
    assert fold("Lao động Tiên tiến") == "lao dong tien tien"
    assert fold("ĐẶC KHU") == "dac khu"
    assert fold("TM. Ủy ban") == "tm uy ban"
    assert kind_key("Đặc khu") == kind_key("dac_khu") == "dac_khu"


# --- integers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["1234", "1.234", "1 234", "1,234", " 1234 ", "1\u00a0234", "+1234"],
)
def test_integer_thousands_forms(raw: str) -> None:
    assert parse_integer(raw) == 1234


@pytest.mark.parametrize("raw", ["1.234.567", "1 234 567", "1,234,567"])
def test_integer_millions(raw: str) -> None:
    assert parse_integer(raw) == 1_234_567


@pytest.mark.parametrize("raw", ["không", "Không", "ko", "KO", "0", "không có", "khong co", "chưa có"])
def test_integer_zero_words(raw: str) -> None:
    assert parse_integer(raw) == 0


@pytest.mark.parametrize(
    "raw", ["12a", "mười", "1,5", "1.5", "12 người", "1.23", "1.2345", "0.123", "", "  "]
)
def test_integer_refused(raw: str) -> None:
    with pytest.raises(InvalidAnswer):
        parse_integer(raw)


def test_integer_message_is_vietnamese_and_echoes_input() -> None:
    with pytest.raises(InvalidAnswer) as info:
        parse_integer("12a")
    assert "Cần nhập một số nguyên (ví dụ: 12" in info.value.message
    assert "Đồng chí đã nhập: “12a”." in info.value.message


def test_integer_negative_refused_for_counts() -> None:
    with pytest.raises(InvalidAnswer, match="không được là số âm"):
        parse_integer("-3")


def test_integer_negative_allowed_when_asked() -> None:
    assert parse_integer("-3", allow_negative=True) == -3
    assert parse_integer("−1.200", allow_negative=True) == -1200


def test_long_input_is_shortened_in_message() -> None:
    with pytest.raises(InvalidAnswer) as info:
        parse_integer("x" * 300)
    assert "…" in info.value.message
    assert len(info.value.message) < 200


# --- decimals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("7,5", 7.5),
        ("7.5", 7.5),
        ("1.234,5", 1234.5),
        ("1 234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("1.234", 1234.0),
        ("0,123", 0.123),
        ("0.123", 0.123),
        ("12", 12.0),
        ("không", 0.0),
        ("1.234.567,89", 1234567.89),
    ],
)
def test_decimal(raw: str, expected: float) -> None:
    assert parse_decimal(raw) == pytest.approx(expected)


@pytest.mark.parametrize("raw", ["7,5,3", "abc", "7.5.3,2", "1,2.3,4", ",5", "-2,5"])
def test_decimal_refused(raw: str) -> None:
    with pytest.raises(InvalidAnswer):
        parse_decimal(raw)


def test_decimal_negative_allowed_when_asked() -> None:
    assert parse_decimal("-2,5", allow_negative=True) == -2.5


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["18/06/2026", "18/6/2026", "18-06-2026", "18.6.2026", "18/6", "18 / 6 / 2026", "18/6/26",
     "ngày 18/6/2026", "ngày 18 tháng 6 năm 2026", "2026-06-18"],
)  # fmt: skip
def test_date_forms(raw: str) -> None:
    assert parse_date(raw, default_year=2026) == date(2026, 6, 18)


def test_date_day_month_uses_default_year() -> None:
    assert parse_date("5/1", default_year=2027) == date(2027, 1, 5)


def test_date_that_does_not_exist() -> None:
    with pytest.raises(InvalidAnswer) as info:
        parse_date("31/02/2026", default_year=2026)
    assert "31/02/2026" in info.value.message
    assert "không có trên lịch" in info.value.message


@pytest.mark.parametrize("raw", ["hôm qua", "18/13/2026", "2026", "18/6/202", "32/1"])
def test_date_refused(raw: str) -> None:
    with pytest.raises(InvalidAnswer):
        parse_date(raw, default_year=2026)


def test_date_message_names_expected_format() -> None:
    with pytest.raises(InvalidAnswer, match="ngày/tháng/năm"):
        parse_date("hôm qua", default_year=2026)


# --- year -------------------------------------------------------------------------------------


def test_year() -> None:
    assert parse_year("2026") == 2026
    assert parse_year("năm 2027") == 2027
    for bad in ("26", "2.026", "hai nghìn"):
        with pytest.raises(InvalidAnswer):
            parse_year(bad)


# --- phone ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["0912345678", "0912 345 678", "0912.345.678", "0912-345-678", "+84912345678", "+84 912 345 678",
     "84912345678", "0084912345678"],
)  # fmt: skip
def test_phone_forms(raw: str) -> None:
    assert parse_phone(raw) == "0912345678"


@pytest.mark.parametrize("raw", ["912345678", "09123456789", "0912abc678", "12345", "+1 202 555 0100"])
def test_phone_refused(raw: str) -> None:
    with pytest.raises(InvalidAnswer, match="10 chữ số"):
        parse_phone(raw)


# --- choices ----------------------------------------------------------------------------------

TITLES = (
    Option("ldtt", "Lao động tiên tiến"),
    Option("cstdcs", "Chiến sĩ thi đua cơ sở"),
    Option("tt_ldtt", "Tập thể lao động tiên tiến"),
    Option("tt_ldxs", "Tập thể lao động xuất sắc"),
)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("ldtt", "ldtt"),
        ("1", "ldtt"),
        ("2", "cstdcs"),
        ("2.", "cstdcs"),
        ("Lao động tiên tiến", "ldtt"),
        ("lao dong tien tien", "ldtt"),
        ("LAO ĐỘNG TIÊN TIẾN", "ldtt"),
        ("chien si thi dua", "cstdcs"),  # unambiguous start of a label
        ("tap the lao dong xuat sac", "tt_ldxs"),
        ("TT_LDXS", "tt_ldxs"),
    ],
)
def test_choice_accepts_key_number_label(raw: str, key: str) -> None:
    assert parse_choice(raw, TITLES) == key


@pytest.mark.parametrize("raw", ["5", "0", "tập thể lao động", "giỏi", ""])
def test_choice_refused(raw: str) -> None:
    with pytest.raises(InvalidAnswer):
        parse_choice(raw, TITLES)


def test_choice_message_lists_options() -> None:
    with pytest.raises(InvalidAnswer) as info:
        parse_choice("giỏi", TITLES)
    assert "1. Lao động tiên tiến" in info.value.message
    assert "“giỏi”" in info.value.message


@pytest.mark.parametrize(
    ("raw", "keys"),
    [
        ("1, 3", ["ldtt", "tt_ldtt"]),
        ("3,1", ["ldtt", "tt_ldtt"]),
        ("1 3", ["ldtt", "tt_ldtt"]),
        ("1; 4", ["ldtt", "tt_ldxs"]),
        ("lao động tiên tiến; tập thể lao động xuất sắc", ["ldtt", "tt_ldxs"]),
        ("1 và 2", ["ldtt", "cstdcs"]),
        ("2", ["cstdcs"]),
        ("1, 1", ["ldtt"]),
        ("Tập thể lao động tiên tiến", ["tt_ldtt"]),
    ],
)
def test_multichoice(raw: str, keys: list[str]) -> None:
    assert parse_multichoice(raw, TITLES, required=True) == keys


@pytest.mark.parametrize("raw", ["không", "Không có", "ko"])
def test_multichoice_none_when_optional(raw: str) -> None:
    assert parse_multichoice(raw, TITLES, required=False) == []


def test_multichoice_none_refused_when_required() -> None:
    with pytest.raises(InvalidAnswer, match="ít nhất một mục"):
        parse_multichoice("không", TITLES, required=True)


def test_multichoice_unknown_item_named() -> None:
    with pytest.raises(InvalidAnswer) as info:
        parse_multichoice("1, 9", TITLES, required=False)
    assert "“9”" in info.value.message


# --- numbers ----------------------------------------------------------------------------------

GIAY_KHEN = (Part("tap_the", "tập thể"), Part("ca_nhan", "cá nhân"), Part("ho_gia_dinh", "hộ gia đình"))


@pytest.mark.parametrize("raw", ["3/12/5", "3 / 12 / 5", "3 12 5", "3;12;5", "3, 12, 5", "3/12/5 "])
def test_numbers(raw: str) -> None:
    assert parse_numbers(raw, GIAY_KHEN) == {"tap_the": 3, "ca_nhan": 12, "ho_gia_dinh": 5}


def test_numbers_with_thousands_and_words() -> None:
    assert parse_numbers("0/1.234/không", GIAY_KHEN) == {"tap_the": 0, "ca_nhan": 1234, "ho_gia_dinh": 0}


@pytest.mark.parametrize("raw", ["0", "không"])
def test_numbers_single_zero_means_all_zero(raw: str) -> None:
    assert parse_numbers(raw, GIAY_KHEN) == {"tap_the": 0, "ca_nhan": 0, "ho_gia_dinh": 0}


@pytest.mark.parametrize("raw", ["3/12", "3/12/5/1", "12", "3//5", "3 12 5 7"])
def test_numbers_wrong_count(raw: str) -> None:
    with pytest.raises(InvalidAnswer) as info:
        parse_numbers(raw, GIAY_KHEN)
    message = info.value.message
    assert "3 số" in message or "Phần" in message


def test_numbers_message_names_parts() -> None:
    with pytest.raises(InvalidAnswer) as info:
        parse_numbers("3/12", GIAY_KHEN)
    assert "tập thể / cá nhân / hộ gia đình" in info.value.message
    assert "ví dụ: 3/12/5" in info.value.message


def test_numbers_bad_part_named() -> None:
    with pytest.raises(InvalidAnswer, match="cá nhân"):
        parse_numbers("3/1a/5", GIAY_KHEN)


def test_numbers_negative_refused() -> None:
    with pytest.raises(InvalidAnswer):
        parse_numbers("3/-1/5", GIAY_KHEN)


# --- files ------------------------------------------------------------------------------------

ACCEPT = ("pdf", "docx", "xlsx", "jpg", "jpeg", "png")


def _file(name: str, mime: str = "application/octet-stream", size: int = 1000) -> FileInput:
    return FileInput(name=name, mime=mime, size=size, file_ref="tg:abc", sha256="0" * 64)


def test_describe_accept() -> None:
    assert describe_accept(ACCEPT) == "PDF, DOCX, XLSX hoặc ảnh JPG/PNG"
    assert describe_accept(("xlsx", "xls")) == "XLSX hoặc XLS"
    assert describe_accept(("pdf",)) == "PDF"


def test_file_accepted_and_stored_as_dict() -> None:
    value = parse_file(_file("Bao cao.PDF", "application/pdf"), accept=ACCEPT, max_size_mb=20)
    assert value == {
        "name": "Bao cao.PDF",
        "mime": "application/pdf",
        "size": 1000,
        "file_ref": "tg:abc",
        "sha256": "0" * 64,
    }


def test_file_without_extension_uses_mime() -> None:
    assert parse_file(_file("photo", "image/jpeg"), accept=ACCEPT, max_size_mb=20)["name"] == "photo"


def test_file_wrong_type() -> None:
    with pytest.raises(InvalidAnswer) as info:
        parse_file(_file("setup.exe"), accept=ACCEPT, max_size_mb=20)
    assert info.value.message == (
        "Tệp .exe không được chấp nhận. Vui lòng gửi tệp PDF, DOCX, XLSX hoặc ảnh JPG/PNG (tối đa 20 MB)."
    )


def test_file_extension_contradicted_by_mime() -> None:
    with pytest.raises(InvalidAnswer, match="không được chấp nhận"):
        parse_file(_file("bao-cao.pdf", "application/x-msdownload"), accept=ACCEPT, max_size_mb=20)


def test_file_too_big() -> None:
    with pytest.raises(InvalidAnswer) as info:
        parse_file(_file("scan.pdf", "application/pdf", size=25 * 1024 * 1024), accept=ACCEPT, max_size_mb=20)
    assert "quá lớn (25 MB)" in info.value.message
    assert "không quá 20 MB" in info.value.message


def test_file_empty() -> None:
    with pytest.raises(InvalidAnswer, match="không có nội dung"):
        parse_file(_file("scan.pdf", size=0), accept=ACCEPT, max_size_mb=20)


# --- display ----------------------------------------------------------------------------------


def test_formatters() -> None:
    assert format_integer(1234) == "1.234"
    assert format_integer(1234567) == "1.234.567"
    assert format_integer(-1234) == "-1.234"
    assert format_integer(12) == "12"
    assert format_decimal(7.5) == "7,5"
    assert format_decimal(1234.5) == "1.234,5"
    assert format_decimal(3.0) == "3"
    assert format_date(date(2026, 6, 5)) == "05/06/2026"
    assert format_date("2026-06-05") == "05/06/2026"
    assert format_phone("0912345678") == "0912 345 678"
    assert format_size(350 * 1024) == "350 KB"
    assert format_size(int(1.25 * 1024 * 1024)) == "1,2 MB"


@pytest.mark.parametrize(("content", "kind"), [
    (b"%PDF-1.7\n", "pdf"), (b"\xef\xbb\xbf junk first %PDF-1.4", "pdf"), (b"\xff\xd8\xff\xdb", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"), (b"MZ\x90\x00", ""),
    (b"", ""), (b"\xff\xd8 trang", ""), (b"PK\x03\x04garbage", "zip"),
])
def test_content_kind_reads_magic_bytes(content: bytes, kind: str) -> None:
    assert content_kind(content) == kind


def test_content_kind_tells_docx_from_xlsx_from_other_zips() -> None:
    import io
    import zipfile

    def zipped(types: str | None) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            if types is not None:
                z.writestr("[Content_Types].xml", types)
            z.writestr("a.txt", "x")
        return buf.getvalue()

    word = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    assert content_kind(zipped(f'<Override ContentType="{word}"/>')) == "docx"
    assert content_kind(zipped(f'<Override ContentType="{sheet}"/>')) == "xlsx"
    assert content_kind(zipped("<Types/>")) == "zip"
    assert content_kind(zipped(None)) == "zip"


def test_parse_file_refuses_content_that_is_not_what_the_name_says() -> None:
    exe_as_pdf = FileInput(name="bc.pdf", mime="application/pdf", size=4, file_ref="", sha256="", kind="")
    with pytest.raises(InvalidAnswer, match="không phải là tệp PDF"):
        parse_file(exe_as_pdf, accept=["pdf"], max_size_mb=10)
    legacy = FileInput(name="so-lieu.xls", mime="application/vnd.ms-excel", size=8, file_ref="", sha256="", kind="ole")
    assert parse_file(legacy, accept=["xlsx", "xls"], max_size_mb=10)["name"] == "so-lieu.xls"
    jpeg = FileInput(name="anh.jpeg", mime="image/jpeg", size=4, file_ref="", sha256="", kind="jpg")
    assert "kind" not in parse_file(jpeg, accept=["jpeg"], max_size_mb=10)


@pytest.mark.parametrize("parse", [
    parse_integer, parse_decimal, lambda raw: parse_numbers(f"{raw}/1/2", GIAY_KHEN),
    lambda raw: parse_choice(raw, TITLES), lambda raw: parse_multichoice(raw, TITLES, required=True),
])
@pytest.mark.parametrize("raw", ["9" * 5000, "1" + ".000" * 1500, "9" * 5000 + ",5", "9" * 31])
def test_a_number_with_thousands_of_digits_is_refused_in_words(parse, raw: str) -> None:  # type: ignore[no-untyped-def]
    """int() raises ValueError past 4 300 digits and float() says "inf": a key held down
    ended in the "sự cố" reply. Every number parser refuses it with a message instead."""
    with pytest.raises(InvalidAnswer) as info:
        parse(raw)
    assert "Đồng chí" in str(info.value) and len(str(info.value)) < 400


def test_thirty_digits_are_still_a_number() -> None:
    assert parse_integer("9" * 30) == int("9" * 30)
