"""Vietnamese chat input → plain JSON-able values, and values → Vietnamese display text.

Commune officers answer on a phone and write numbers and dates the Vietnamese way: "1.234" and
"1 234" are one thousand two hundred thirty-four, "7,5" is seven and a half, "không" is zero,
"18/6" is a date this year. These functions accept what people actually type and refuse anything
ambiguous with :class:`InvalidAnswer`, whose message is polite Vietnamese naming what is expected
and echoing what was typed, so the chat can show it and ask the question again.

Every user-facing message of the forms package lives in this module (``MSG_*``) so the wording
stays consistent: the officer is addressed as "đồng chí".
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

__all__ = [
    "IMAGE_EXTENSIONS",
    "MIME_EXTENSIONS",
    "FileInput",
    "InvalidAnswer",
    "answer_files",
    "content_kind",
    "describe_accept",
    "echo",
    "fold",
    "format_date",
    "format_decimal",
    "format_integer",
    "format_phone",
    "format_size",
    "kind_key",
    "normalize",
    "normalize_text",
    "parse_choice",
    "parse_date",
    "parse_decimal",
    "parse_file",
    "parse_integer",
    "parse_multichoice",
    "parse_numbers",
    "parse_phone",
    "parse_year",
]


class InvalidAnswer(ValueError):
    """The answer cannot be accepted; ``message`` is what the chat shows the officer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Labelled(Protocol):
    """Anything with a key and a label: spec options and "numbers" parts."""

    @property
    def key(self) -> str: ...

    @property
    def label(self) -> str: ...


@dataclass(frozen=True)
class FileInput:
    """A file the officer sent; the engine stores it as a plain dict (``as_dict``)."""

    name: str
    mime: str
    size: int
    file_ref: str
    sha256: str
    kind: str | None = None
    """What the bytes are (``content_kind``); ``None`` when they were not looked at (a file
    refused by its announced size is never downloaded). Not stored: only for the check."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "mime": self.mime,
            "size": self.size,
            "file_ref": self.file_ref,
            "sha256": self.sha256,
        }


def answer_files(value: Any) -> list[dict[str, Any]]:
    """Every file of a file question's answer, in the order sent: the answer is the first
    file's dict, further pages (photos sent one by one) are listed under its ``more``."""
    if not isinstance(value, Mapping):
        return []
    return [dict(value), *value.get("more", [])]


# --- messages ---------------------------------------------------------------------------------

MSG_EMPTY = "Chưa nhận được câu trả lời. Đồng chí vui lòng nhập nội dung trả lời."
MSG_INTEGER = "Cần nhập một số nguyên (ví dụ: 12; nếu không có thì nhập 0). Đồng chí đã nhập: {echo}."
MSG_NEGATIVE = "Số lượng không được là số âm. Đồng chí đã nhập: {echo}."
MSG_YEAR = "Cần nhập năm gồm 4 chữ số (ví dụ: 2026). Đồng chí đã nhập: {echo}."
MSG_DECIMAL = "Cần nhập một số (ví dụ: 7,5 hoặc 1.234). Đồng chí đã nhập: {echo}."
MSG_DATE = "Cần nhập ngày theo dạng ngày/tháng/năm (ví dụ: 18/06/2026). Đồng chí đã nhập: {echo}."
MSG_DATE_INVALID = "Ngày {echo} không có trên lịch. Đồng chí vui lòng kiểm tra lại ngày, tháng."
MSG_PHONE = (
    "Cần nhập số điện thoại di động gồm 10 chữ số, bắt đầu bằng 0 (ví dụ: 0912 345 678). "
    "Đồng chí đã nhập: {echo}."
)
MSG_CHOICE = "Chưa nhận ra lựa chọn {echo}. Đồng chí vui lòng chọn một trong các mục: {options} (có thể nhập số thứ tự)."
MSG_MULTI_REQUIRED = "Cần chọn ít nhất một mục: {options} (có thể nhập nhiều số thứ tự, ví dụ: 1, 3)."
MSG_NUMBERS = (
    "Cần nhập đúng {count} số theo thứ tự: {labels}, cách nhau bởi dấu “/” (ví dụ: {example}). "
    "Đồng chí đã nhập: {echo}."
)
MSG_TOO_MANY_DIGITS = "Số đồng chí nhập có {count} chữ số, quá lớn so với bất kỳ số liệu nào của báo cáo. Đồng chí đã nhập: {echo}."
MSG_NUMBERS_PART = "Phần “{label}” cần là một số nguyên không âm. Đồng chí đã nhập: {echo}."
MSG_FILE_TEXT = "Câu này cần gửi tệp, không phải tin nhắn chữ. Đồng chí vui lòng đính kèm tệp {accept} (tối đa {max_mb} MB)."
MSG_FILE_TYPE = "Tệp {ext} không được chấp nhận. Vui lòng gửi tệp {accept} (tối đa {max_mb} MB)."
MSG_FILE_SIZE = "Tệp “{name}” quá lớn ({size}). Vui lòng gửi tệp {accept} không quá {max_mb} MB."
MSG_FILE_EMPTY = "Tệp “{name}” không có nội dung. Đồng chí vui lòng gửi lại tệp."
MSG_FILE_CONTENT = (
    "Nội dung tệp “{name}” không phải là tệp {ext} (tệp bị hỏng hoặc bị đổi đuôi). "
    "Đồng chí vui lòng gửi tệp {accept} (tối đa {max_mb} MB)."
)
MSG_FILE_TOO_MANY = (
    "Câu “{label}” đã có {count} tệp (tối đa {max}). Đồng chí gộp các trang thành một tệp PDF "
    "rồi gửi lại bằng “Sửa câu {n}”."
)
MSG_NOT_TEXT = "Câu này cần trả lời bằng tin nhắn chữ, không phải tệp đính kèm."

ZERO_WORDS = frozenset({"khong", "ko", "k", "khong co", "ko co", "chua co", "khong co ai"})
NONE_WORDS = ZERO_WORDS | {"0", "khong chon", "khong dang ky"}

IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "png"})
MIME_EXTENSIONS: dict[str, str] = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-excel": "xls",
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/png": "png",
    "application/zip": "zip",
    "application/x-msdownload": "exe",
    "application/x-dosexec": "exe",
}
_GENERIC_MIMES = frozenset({"", "application/octet-stream", "binary/octet-stream"})

# --- normalisation ----------------------------------------------------------------------------


def normalize(raw: str) -> str:
    """NFC, unify line ends and odd spaces, strip: the canonical form of any typed answer."""
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2009", " ")
    return text.strip()


def normalize_text(raw: str) -> str:
    """Free text: canonical form, trailing spaces removed per line, at most one blank line."""
    lines = [line.rstrip() for line in normalize(raw).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def fold(text: str) -> str:
    """Accent-, case- and punctuation-insensitive key: "Lao động tiên tiến" → "lao dong tien tien"."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def kind_key(kind: str) -> str:
    """Canonical unit kind: "Đặc khu", "dac_khu", "đặc khu" → "dac_khu"."""
    return fold(kind).replace(" ", "_")


def echo(raw: str, limit: int = 60) -> str:
    """The officer's input quoted for an error message, shortened if long."""
    text = " ".join(normalize(raw).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return f"“{text}”"


# --- numbers ----------------------------------------------------------------------------------

_SIGNS = "-−–"
_GROUPED = re.compile(r"[1-9]\d{0,2}(?P<sep>[., ])\d{3}(?:(?P=sep)\d{3})*")


def _split_sign(text: str) -> tuple[bool, str]:
    if text[:1] in _SIGNS:
        return True, text[1:].strip()
    if text[:1] == "+":
        return False, text[1:].strip()
    return False, text


MAX_DIGITS = 30
"""More digits than any figure of a report: refused before ``int()``, which raises
ValueError past 4 300 digits (a key held down) and would end in the "sự cố" reply."""


def _digits(body: str) -> str:
    """The digits of a number body, refused with a clear message when there are too many."""
    if len(body) > MAX_DIGITS and sum(ch.isdigit() for ch in body) > MAX_DIGITS:
        raise InvalidAnswer(MSG_TOO_MANY_DIGITS.format(count=format_integer(sum(ch.isdigit() for ch in body)),
                                                       echo=echo(body)))
    return body


def _plain_integer(body: str) -> int | None:
    """Digits, or digits grouped by thousands with one consistent separator (. , or space)."""
    if re.fullmatch(r"\d+", body):
        return int(_digits(body))
    if _GROUPED.fullmatch(body):
        return int(_digits(re.sub(r"[., ]", "", body)))
    return None


def parse_integer(raw: str, *, allow_negative: bool = False) -> int:
    """Counts: "1234", "1.234", "1 234", "1,234" → 1234; "không", "ko", "không có" → 0."""
    text = normalize(raw)
    if not text:
        raise InvalidAnswer(MSG_EMPTY)
    if fold(text) in ZERO_WORDS:
        return 0
    negative, body = _split_sign(text)
    value = _plain_integer(body)
    if value is None:
        raise InvalidAnswer(MSG_INTEGER.format(echo=echo(raw)))
    if negative and value != 0:
        if not allow_negative:
            raise InvalidAnswer(MSG_NEGATIVE.format(echo=echo(raw)))
        value = -value
    return value


def parse_year(raw: str) -> int:
    """A calendar year typed as four digits ("2026"); "năm 2026" is accepted too."""
    text = re.sub(r"^(?:năm|nam)\s+", "", normalize(raw), flags=re.IGNORECASE)
    if not text:
        raise InvalidAnswer(MSG_EMPTY)
    if not re.fullmatch(r"(?:19|20|21)\d{2}", text):
        raise InvalidAnswer(MSG_YEAR.format(echo=echo(raw)))
    return int(text)


def parse_decimal(raw: str, *, allow_negative: bool = False) -> float:
    """Numbers: "7,5" and "7.5" → 7.5; "1.234,5" → 1234.5; "1.234" → 1234 (dot groups thousands)."""
    text = normalize(raw)
    if not text:
        raise InvalidAnswer(MSG_EMPTY)
    if fold(text) in ZERO_WORDS:
        return 0.0
    negative, body = _split_sign(text)
    value = _decimal_body(body)
    if value is None:
        raise InvalidAnswer(MSG_DECIMAL.format(echo=echo(raw)))
    if negative and value != 0:
        if not allow_negative:
            raise InvalidAnswer(MSG_NEGATIVE.format(echo=echo(raw)))
        value = -value
    return value


def _decimal_body(body: str) -> float | None:
    """A single comma is always the decimal mark; a single dot is one unless it groups thousands
    ("7.5" vs "1.234"); with both, the last one is the decimal mark ("1.234,5", "1,234.5")."""
    if re.fullmatch(r"\d+", body):
        return float(_digits(body))  # float() would not raise but say "inf"
    commas, dots = body.count(","), body.count(".")
    if commas and dots:
        point = max(body.rfind(","), body.rfind("."))
    elif commas == 1 or (dots == 1 and not _GROUPED.fullmatch(body)):
        point = body.rfind("," if commas else ".")
    else:
        whole = _plain_integer(body)
        return None if whole is None else float(whole)
    int_part, frac = body[:point], body[point + 1 :]
    if body[point] in int_part or not re.fullmatch(r"\d+", frac):
        return None
    whole = _plain_integer(int_part)
    return None if whole is None else float(f"{whole}.{frac}")


# --- dates ------------------------------------------------------------------------------------

_DATE_NUMERIC = re.compile(r"(\d{1,2})\s*([/.\-])\s*(\d{1,2})(?:\s*\2\s*(\d{4}|\d{2}))?")
_DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DATE_WORDS = re.compile(r"(?:ngay\s*)?(\d{1,2})\s*thang\s*(\d{1,2})(?:\s*nam\s*(\d{4}))?")


def parse_date(raw: str, *, default_year: int) -> date:
    """Dates: "18/06/2026", "18-6-2026", "18.6.2026", "ngày 18 tháng 6 năm 2026", "18/6" (year = ``default_year``)."""
    text = normalize(raw)
    if not text:
        raise InvalidAnswer(MSG_EMPTY)
    text = re.sub(r"^(?:ngày|ngay)\s+(?=\d)", "", text, flags=re.IGNORECASE)
    day = month = year = None
    if match := _DATE_NUMERIC.fullmatch(text):
        day, month = int(match[1]), int(match[3])
        year = _full_year(match[4]) if match[4] else default_year
    elif match := _DATE_ISO.fullmatch(text):
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    elif match := _DATE_WORDS.fullmatch(fold(text)):
        day, month = int(match[1]), int(match[2])
        year = int(match[3]) if match[3] else default_year
    else:
        raise InvalidAnswer(MSG_DATE.format(echo=echo(raw)))
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidAnswer(MSG_DATE_INVALID.format(echo=echo(f"{day:02d}/{month:02d}/{year}"))) from None


def _full_year(text: str) -> int:
    return 2000 + int(text) if len(text) == 2 else int(text)


# --- phone ------------------------------------------------------------------------------------


def parse_phone(raw: str) -> str:
    """Vietnamese mobile number as "0xxxxxxxxx"; accepts spaces, dots, dashes and +84/84/0084."""
    text = normalize(raw)
    if not text:
        raise InvalidAnswer(MSG_EMPTY)
    digits = re.sub(r"[\s.\-()]", "", text)
    for prefix in ("+84", "0084"):
        if digits.startswith(prefix):
            digits = "0" + digits[len(prefix) :]
            break
    else:
        if digits.startswith("84") and len(digits) == 11:
            digits = "0" + digits[2:]
    if not re.fullmatch(r"0\d{9}", digits):
        raise InvalidAnswer(MSG_PHONE.format(echo=echo(raw)))
    return digits


# --- choices ----------------------------------------------------------------------------------


def _options_text(options: Sequence[Labelled]) -> str:
    return "; ".join(f"{i}. {option.label}" for i, option in enumerate(options, 1))


def _match_option(text: str, options: Sequence[Labelled]) -> str | None:
    folded = fold(text)
    if not folded:
        return None
    if folded.isdigit():
        if len(folded) > MAX_DIGITS:
            return None  # no such option; int() of 5 000 digits raises
        index = int(folded)
        return options[index - 1].key if 1 <= index <= len(options) else None
    for option in options:
        if folded in (fold(option.key), fold(option.label)):
            return option.key
    prefixed = [o.key for o in options if fold(o.label).startswith(folded + " ")]
    return prefixed[0] if len(prefixed) == 1 else None


def parse_choice(raw: str, options: Sequence[Labelled]) -> str:
    """Option key from its key, 1-based number, label, or unambiguous start of the label
    (case- and accent-insensitive: "lao dong tien tien" = "Lao động tiên tiến")."""
    text = normalize(raw)
    if not text:
        raise InvalidAnswer(MSG_EMPTY)
    key = _match_option(text, options)
    if key is None:
        raise InvalidAnswer(MSG_CHOICE.format(echo=echo(raw), options=_options_text(options)))
    return key


def parse_multichoice(raw: str, options: Sequence[Labelled], *, required: bool) -> list[str]:
    """Several options ("1, 3", "1 3", "TT LĐTT; Cờ thi đua"), in the options' order, or none
    ("không", "không có") when the question is optional."""
    text = normalize(raw)
    if not text:
        raise InvalidAnswer(MSG_EMPTY)
    if fold(text) in NONE_WORDS:
        if required:
            raise InvalidAnswer(MSG_MULTI_REQUIRED.format(options=_options_text(options)))
        return []
    whole = _match_option(text, options)
    if whole is not None:
        return [whole]
    chosen: set[str] = set()
    for token in _multichoice_tokens(text):
        key = _match_option(token, options)
        if key is None:
            raise InvalidAnswer(MSG_CHOICE.format(echo=echo(token), options=_options_text(options)))
        chosen.add(key)
    if not chosen:
        raise InvalidAnswer(MSG_CHOICE.format(echo=echo(raw), options=_options_text(options)))
    return [option.key for option in options if option.key in chosen]


def _multichoice_tokens(text: str) -> Iterable[str]:
    for part in re.split(r"[,;\n+]|\s+(?:và|va)\s+", text, flags=re.IGNORECASE):
        part = part.strip(" .")
        if not part:
            continue
        if re.fullmatch(r"\d+(?:\s+\d+)+", part):
            yield from part.split()
        else:
            yield part


# --- several integers in one answer -----------------------------------------------------------


def parse_numbers(raw: str, parts: Sequence[Labelled], *, allow_negative: bool = False) -> dict[str, int]:
    """``len(parts)`` integers in order, separated by "/", ";", "," or spaces ("3/12/5", "3 12 5").
    A single "0"/"không" means zero for every part (most rows of a table are empty)."""
    text = normalize(raw)
    if not text:
        raise InvalidAnswer(MSG_EMPTY)
    if fold(text) in NONE_WORDS:
        return {part.key: 0 for part in parts}
    tokens = re.split(r"\s*[/;,]\s*", text) if re.search(r"[/;,]", text) else text.split()
    labels = " / ".join(part.label for part in parts)
    if len(tokens) != len(parts):
        example = "/".join(str(n) for n in (3, 12, 5, 2, 1, 4, 6, 8)[: len(parts)])
        raise InvalidAnswer(
            MSG_NUMBERS.format(count=len(parts), labels=labels, example=example, echo=echo(raw))
        )
    values: dict[str, int] = {}
    for part, token in zip(parts, tokens, strict=True):
        try:
            values[part.key] = parse_integer(token, allow_negative=allow_negative)
        except InvalidAnswer:
            raise InvalidAnswer(MSG_NUMBERS_PART.format(label=part.label, echo=echo(raw))) from None
    return values


# --- files ------------------------------------------------------------------------------------


def describe_accept(accept: Sequence[str]) -> str:
    """Accepted types in words: ["pdf", "docx", "xlsx", "jpg", "jpeg", "png"] → "PDF, DOCX, XLSX hoặc ảnh JPG/PNG"."""
    documents = [ext.upper() for ext in accept if ext not in IMAGE_EXTENSIONS]
    images = [ext.upper() for ext in accept if ext in IMAGE_EXTENSIONS and ext != "jpeg"]
    if "jpeg" in accept and "jpg" not in accept:
        images.insert(0, "JPEG")
    items = [*documents]
    if images:
        items.append("ảnh " + "/".join(images))
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " hoặc " + items[-1]


def file_extension(name: str, mime: str) -> str:
    """Lower-case extension from the file name, else from the MIME type ("" if unknown)."""
    base = name.rsplit("/", 1)[-1]
    if "." in base.strip("."):
        return base.rsplit(".", 1)[-1].lower()
    return MIME_EXTENSIONS.get(mime.lower().split(";")[0].strip(), "")


_ZIP_KINDS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
}
_CONTENT_TYPES_MAX = 1024 * 1024
"""A real ``[Content_Types].xml`` is a few KB; a bigger one is not read (zip bomb)."""
_KIND_OF_EXTENSION = {"pdf": "pdf", "jpg": "jpg", "jpeg": "jpg", "png": "png", "docx": "docx",
                      "xlsx": "xlsx", "doc": "ole", "xls": "ole"}
"""What the content of a file with this extension must be; extensions not listed are not
looked into. DOC and XLS are both OLE2 compound files, told apart only by their streams."""


def content_kind(content: bytes) -> str:
    """What a file is by its bytes: "pdf", "jpg", "png", "docx", "xlsx", "ole" (DOC/XLS),
    "zip" (another zip), or "" (none of these).

    The name and MIME type are the sender's word: an EXE renamed ``bao-cao.pdf`` carries
    both. The magic bytes are what an office's PDF reader or Word will actually meet."""
    if b"%PDF-" in content[:1024]:  # the PDF spec lets a header follow up to 1 KB of junk
        return "pdf"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if content.startswith(b"PK\x03\x04"):
        return _zip_kind(content)
    return ""


def _zip_kind(content: bytes) -> str:
    """DOCX/XLSX are zips whose ``[Content_Types].xml`` names the main part's type."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > _CONTENT_TYPES_MAX:
                return "zip"
            types = archive.read(info).decode("utf-8", errors="replace")
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, NotImplementedError, RuntimeError):
        # zipfile's own errors for a damaged archive: NotImplementedError is what it raises for
        # a compression method it does not support, RuntimeError for an encrypted member.
        return "zip"
    return next((kind for ctype, kind in _ZIP_KINDS.items() if ctype in types), "zip")


def parse_file(file: FileInput, *, accept: Sequence[str], max_size_mb: float) -> dict[str, Any]:
    """Check a sent file's type (extension, the MIME type when it is specific, and the
    content when it was downloaded), that it is not empty, and its size."""
    accept_text = describe_accept(accept)
    max_text = format_decimal(max_size_mb)
    ext = file_extension(file.name, file.mime)
    mime = file.mime.lower().split(";")[0].strip()
    mime_ext = MIME_EXTENSIONS.get(mime)
    equivalent = {"jpeg": "jpg"}
    mime_conflicts = (
        mime not in _GENERIC_MIMES
        and mime_ext is not None
        and equivalent.get(mime_ext, mime_ext) != equivalent.get(ext, ext)
        and mime_ext not in accept
    )
    if ext not in accept or mime_conflicts:
        shown = f".{ext}" if ext and not mime_conflicts else f"“{file.name}”"
        raise InvalidAnswer(MSG_FILE_TYPE.format(ext=shown, accept=accept_text, max_mb=max_text))
    if file.size <= 0:
        raise InvalidAnswer(MSG_FILE_EMPTY.format(name=file.name))
    expected = _KIND_OF_EXTENSION.get(ext)
    if file.kind is not None and expected is not None and file.kind != expected:
        raise InvalidAnswer(MSG_FILE_CONTENT.format(name=file.name, ext=ext.upper(), accept=accept_text,
                                                    max_mb=max_text))
    if file.size > max_size_mb * 1024 * 1024:
        raise InvalidAnswer(
            MSG_FILE_SIZE.format(
                name=file.name, size=format_size(file.size), accept=accept_text, max_mb=max_text
            )
        )
    return file.as_dict()


# --- display ----------------------------------------------------------------------------------


def format_integer(value: int) -> str:
    """1234567 → "1.234.567" (dot groups thousands in Vietnamese)."""
    sign = "-" if value < 0 else ""
    return sign + f"{abs(int(value)):,}".replace(",", ".")


def format_decimal(value: float, places: int = 6) -> str:
    """1234.5 → "1.234,5"; 3.0 → "3" (comma is the decimal mark)."""
    text = f"{abs(value):.{places}f}".rstrip("0").rstrip(".")
    whole, _, frac = text.partition(".")
    sign = "-" if value < 0 and text not in ("0", "") else ""
    result = sign + format_integer(int(whole))
    return f"{result},{frac}" if frac else result


def format_date(value: date | str) -> str:
    """date(2026, 6, 18) or "2026-06-18" → "18/06/2026"."""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return value.strftime("%d/%m/%Y")


def format_phone(value: str) -> str:
    """Phone grouped for reading: "0912345678" → "0912 345 678"."""
    if re.fullmatch(r"0\d{9}", value):
        return f"{value[:4]} {value[4:7]} {value[7:]}"
    return value


def format_size(size: int) -> str:
    """Bytes as "350 KB" or "1,2 MB"."""
    if size < 1024 * 1024:
        return f"{format_integer(max(1, round(size / 1024)))} KB"
    return f"{format_decimal(round(size / (1024 * 1024), 1))} MB"
