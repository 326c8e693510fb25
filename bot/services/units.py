"""Units: import from CSV/XLSX (all or nothing), listing, audience resolution."""

from __future__ import annotations

import builtins
import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from bot.core import Clock, nfc
from bot.services.phones import normalise_phone
from bot.services.reminders import ReminderService
from bot.services.views import UnitView
from storage.models import Unit, UnitGroup, UnitKind, declared_length
from storage.records import UnitListingRow
from storage.uow import UnitOfWorkFactory

KIND_ALIASES = {
    "tinh": "tinh", "tỉnh": "tinh",
    "huyen": "huyen", "huyện": "huyen",
    "so": "so", "sở": "so", "sở, ngành": "so", "nganh": "so", "ngành": "so",
    "xa": "xa", "xã": "xa",
    "phuong": "phuong", "phường": "phuong",
    "dac_khu": "dac_khu", "đặc khu": "dac_khu", "dac khu": "dac_khu",
    "truong": "truong", "trường": "truong", "trường học": "truong",
    "phong": "phong", "phòng": "phong", "phòng ban": "phong", "phòng, ban": "phong",
    "khoi": "khoi", "khối": "khoi",
    "khac": "khac", "khác": "khac",
}
KIND_LABELS = UnitKind.LABELS
"""A kind's words ("xa" → "Xã") for pages that may not import storage: staff read the
words, the stored code stays the value of a filter."""
COLUMNS = ("code", "name", "kind", "parent_code", "groups")
REQUIRED = ("code", "name", "kind")
DELIMITERS = (",", ";")
EXTRA = "\x00extra"  # key of a row's column count when it has more cells than the header
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and password-protected .xlsx
# The database's own limits, so the import refuses on SQLite exactly what PostgreSQL would.
MAX_CODE = declared_length(Unit, "code")
MAX_NAME = declared_length(Unit, "name")
MAX_GROUP = declared_length(UnitGroup, "name")
_FOLD = re.compile(r"[\t\n\r\v\f]+")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CODE_PATTERN = re.compile(r"[A-Z0-9_-]+")
"""A unit code, upper-cased: chat commands split on spaces (``/moi X LOWER`` reads the code
``X``), and officers type codes on phone keyboards, so letters without diacritics only."""


class UnitImportError(Exception):
    """The file was rejected; ``problems`` lists (row number, message) and nothing was loaded."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"dòng {r}: {m}" for r, m in problems))


class UnitFileError(UnitImportError):
    """The file as a whole cannot be read as a units table (wrong type, encoding, empty,
    missing columns): one line that names the file and the problem, no row list."""

    def __init__(self, message: str) -> None:
        self.problems = []
        self.message = message
        Exception.__init__(self, message)


@dataclass(frozen=True)
class UnitRow:
    line: int
    code: str
    name: str
    kind: str
    parent_code: str
    groups: tuple[str, ...]
    phone: str = ""
    """The officer's mobile, normalised ``84…`` (optional column ``phone``; empty keeps the stored one)."""


@dataclass
class ImportReport:
    """What an import did — or, with ``applied`` false, what it would do (the dashboard's
    preview): codes created / updated / unchanged, and the rows refused with their reason."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    """(row number, reason), sorted; only a partial import keeps going past them."""
    rows: dict[str, UnitRow] = field(default_factory=dict)
    """Code → the file's row, so a preview can show each unit's row number and name."""
    changes: dict[str, list[str]] = field(default_factory=dict)
    """Code of an updated unit → what changes: ``name``, ``kind``, ``groups``, ``phone``, ``parent``."""
    applied: bool = True
    reminders_planned: int = 0
    """Reminders of open periods planned for the units added or moved into their audience."""

    @property
    def rejected_lines(self) -> list[int]:
        return sorted({line for line, _ in self.rejected})


def _clean(value: object) -> str:
    """One cell as import text: NFC, tabs/line breaks folded to a space, every other C0/C1
    control removed. A NUL or ``\\x01`` pasted into a unit name would otherwise be stored
    (SQLite keeps it, PostgreSQL refuses it) and later break every export naming the unit."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed as a number in Excel comes back as 12.0
    return _CONTROLS.sub("", _FOLD.sub(" ", nfc(str(value)))).strip()


def _columns_message(name: str, header: list[str]) -> str:
    missing = [c for c in REQUIRED if c not in header]
    shown = ", ".join(h for h in header if h) or "không có"
    if len([h for h in header if h]) <= 1:
        return (f"Tệp {name} chỉ có một cột ({shown}): cần các cột {', '.join(COLUMNS)}, "
                "phân cách bằng dấu phẩy (,) hoặc chấm phẩy (;)")
    return f"Tệp {name} thiếu cột bắt buộc {', '.join(missing)} (tiêu đề đọc được: {shown}); cần các cột {', '.join(COLUMNS)}"


def _table_to_dicts(name: str, table: list[list[str]]) -> list[dict[str, str]]:
    """Header row + data rows → dicts. Blank rows stay (as empty dicts) so that row numbers
    in messages are the row numbers the office sees in its spreadsheet."""
    while table and not any(table[-1]):
        table.pop()
    if not table:
        raise UnitFileError(f"Tệp {name} trống: cần dòng tiêu đề {', '.join(COLUMNS)} và ít nhất một đơn vị")
    header = [h.lower() for h in table[0]]
    if not set(REQUIRED) <= set(header):
        raise UnitFileError(_columns_message(name, header))
    if len(table) == 1:
        raise UnitFileError(f"Tệp {name} chỉ có dòng tiêu đề, không có đơn vị nào")
    out: list[dict[str, str]] = []
    for cells in table[1:]:
        row = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h}
        if any(cells[len(header):]):
            row[EXTRA] = str(len(cells))
        out.append(row)
    return out


def _read_xlsx(path: Path, name: str) -> list[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    head = path.read_bytes()[:8]
    if head.startswith(OLE_MAGIC):
        raise UnitFileError(f"Tệp {name} là bảng tính Excel cũ (.xls) hoặc có đặt mật khẩu: "
                            "hãy mở và lưu lại dạng .xlsx không mật khẩu, hoặc CSV UTF-8")
    if not zipfile.is_zipfile(path):
        raise UnitFileError(f"Tệp {name} không phải bảng tính Excel (.xlsx): nội dung không đúng định dạng")
    with zipfile.ZipFile(path) as z:
        if "xl/workbook.xml" not in z.namelist():
            raise UnitFileError(f"Tệp {name} là tệp nén (zip) nhưng không phải bảng tính Excel (.xlsx)")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            ws = wb.active
            if ws is None:
                return []
            return [[_clean(v) for v in row] for row in ws.iter_rows(values_only=True)]
        finally:
            wb.close()
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, ElementTree.ParseError):
        raise UnitFileError(f"Tệp {name} là bảng tính Excel bị hỏng, không đọc được") from None


def _decode(path: Path, name: str) -> str:
    """UTF-8, with or without the BOM Excel writes. Anything else is refused by name rather
    than guessed: a cp1258 or UTF-16 file decoded wrongly would load garbled unit names."""
    data = path.read_bytes()
    hint = "hãy lưu lại dạng “CSV UTF-8 (Comma delimited)”"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UnitFileError(f"Tệp {name} được lưu bằng mã UTF-16, không phải UTF-8: {hint}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnitFileError(f"Tệp {name} không phải mã UTF-8 (có thể là Windows-1258, TCVN3 hay UTF-16): {hint}") from None
    if text.count("\x00") * 4 > len(text):  # UTF-16 without a BOM: "UTF-8" with a NUL after every letter
        raise UnitFileError(f"Tệp {name} không phải mã UTF-8 (có thể là UTF-16): {hint}")
    return text


def _read_csv(path: Path, name: str) -> list[list[str]]:
    """CSV through the ``csv`` module, so quoted cells keep their commas and doubled quotes.
    The delimiter is the one of ``,`` and ``;`` whose header holds the required columns
    (Excel writes ``;`` where the comma is the decimal sign); if neither does, the one
    ``csv.Sniffer`` finds, so that the message names the columns actually read."""
    text = _decode(path, name)
    if not text.strip():
        return []
    delimiter = ","
    for d in DELIMITERS:
        header = next(csv.reader(io.StringIO(text), delimiter=d), [])
        if set(REQUIRED) <= {_clean(h).lower() for h in header}:
            delimiter = d
            break
    else:
        try:
            delimiter = csv.Sniffer().sniff(text[:8192], delimiters="".join(DELIMITERS)).delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        return [[_clean(c) for c in row] for row in reader]
    except csv.Error as exc:
        raise UnitFileError(f"Tệp {name} sai định dạng CSV ở dòng {reader.line_num}: {exc}") from None


def read_rows(path: Path, name: str | None = None) -> list[dict[str, str]]:
    """Rows as dicts keyed by lower-case header, from CSV (UTF-8, ``,`` or ``;``) or XLSX,
    every cell cleaned. A file that cannot be read as a units table raises
    ``UnitFileError`` with one line naming the file and the problem. ``name``: the name the
    office gave the file (an upload is kept under its hash), used for the type and messages."""
    name = name or path.name
    suffix = Path(name).suffix.lower()
    if suffix == ".xls":
        raise UnitFileError(f"Tệp {name} là bảng tính Excel cũ (.xls): hãy lưu lại dạng .xlsx hoặc CSV UTF-8")
    table = _read_xlsx(path, name) if suffix in {".xlsx", ".xlsm"} else _read_csv(path, name)
    return _table_to_dicts(name, table)


def parse_rows(raw: list[dict[str, str]], existing_codes: set[str]) -> list[UnitRow]:
    """Validate every row; collect every problem before refusing, with row numbers."""
    rows, problems = check_rows(raw, existing_codes)
    if problems:
        raise UnitImportError(problems)
    return rows


def accepted_rows(raw: list[dict[str, str]], existing_codes: set[str]) -> tuple[list[UnitRow], list[tuple[int, str]]]:
    """The rows that can be loaded on their own, and every problem (row number, reason).

    A row with any problem is left out; so is, in turn, a row whose cấp trên is only in a
    left-out row (it would point at a unit that will not exist)."""
    rows, problems = check_rows(raw, existing_codes)
    bad = {line for line, _ in problems}
    good = [r for r in rows if r.line not in bad]
    while True:
        known = {r.code for r in good} | existing_codes
        orphans = [r for r in good if r.parent_code and r.parent_code not in known]
        if not orphans:
            return good, sorted(problems)
        for r in orphans:
            problems.append((r.line, f"mã đơn vị cấp trên {r.parent_code} chỉ có ở dòng bị từ chối"))
        good = [r for r in good if r not in orphans]


def check_rows(raw: list[dict[str, str]], existing_codes: set[str]) -> tuple[list[UnitRow], list[tuple[int, str]]]:
    """Every row read and checked: the rows, and every problem found (row number, reason)."""
    problems: list[tuple[int, str]] = []
    if raw and not set(REQUIRED) <= set(raw[0]) | {EXTRA}:
        raise UnitFileError(_columns_message("dữ liệu", list(raw[0])))
    rows: list[UnitRow] = []
    seen: dict[str, int] = {}
    for i, r in enumerate(raw, start=2):
        code = _clean(r.get("code")).upper()
        name = _clean(r.get("name"))
        kind_raw = _clean(r.get("kind")).lower()
        parent = _clean(r.get("parent_code")).upper()
        groups = tuple(dict.fromkeys(g.strip() for g in _clean(r.get("groups")).replace("|", ";").split(";") if g.strip()))
        if EXTRA in r:
            problems.append((i, f"có {r[EXTRA]} ô, nhiều hơn số cột tiêu đề: ô có dấu phẩy hay chấm phẩy "
                                "phải đặt trong ngoặc kép"))
            continue  # its later cells are shifted: checking them would only add noise
        if not code and not name and not kind_raw:
            continue
        if not code:
            problems.append((i, "thiếu mã đơn vị (code)"))
        elif len(code) > MAX_CODE:
            problems.append((i, f"mã đơn vị dài {len(code)} ký tự, tối đa {MAX_CODE}"))
        elif not CODE_PATTERN.fullmatch(code):
            problems.append((i, f"mã đơn vị “{code}” không hợp lệ: chỉ dùng chữ không dấu, số, dấu gạch dưới "
                                "hoặc gạch ngang, không có dấu cách"))
        elif code in seen:
            problems.append((i, f"mã {code} trùng với dòng {seen[code]}"))
        if not name:
            problems.append((i, "thiếu tên đơn vị (name)"))
        elif len(name) > MAX_NAME:
            problems.append((i, f"tên đơn vị dài {len(name)} ký tự, tối đa {MAX_NAME}"))
        for g in groups:
            if len(g) > MAX_GROUP:
                problems.append((i, f"tên cụm/khối “{g[:40]}…” dài {len(g)} ký tự, tối đa {MAX_GROUP}"))
        kind = KIND_ALIASES.get(kind_raw)
        if kind is None:
            problems.append((i, f"loại đơn vị không hợp lệ: “{kind_raw}” (dùng: tinh, so, xa, phuong, dac_khu, truong, phong, khoi, khac)"))
        if parent and parent == code:
            problems.append((i, "đơn vị không thể là cấp trên của chính nó"))
        phone_raw = _clean(r.get("phone"))
        phone = normalise_phone(phone_raw) if phone_raw else ""
        if phone is None:
            problems.append((i, f"số điện thoại “{phone_raw[:20]}” không phải số di động Việt Nam "
                                "(ví dụ 0912 345 678 hoặc +84 912 345 678)"))
        seen.setdefault(code, i)
        rows.append(UnitRow(i, code, name, kind or "", parent, groups, phone or ""))
    known = set(seen) | existing_codes
    for row in rows:
        if row.parent_code and row.parent_code not in known:
            problems.append((row.line, f"mã đơn vị cấp trên {row.parent_code} không có trong tệp hay cơ sở dữ liệu"))
    return rows, sorted(problems)


class UnitService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, reminders: ReminderService) -> None:
        self.uow = uow
        self.clock = clock
        self.reminders = reminders

    async def import_file(self, path: Path, actor: str = "cli", *, name: str | None = None, apply: bool = True,
                          partial: bool = False) -> ImportReport:
        """Load a units file (see ``import_rows``); ``name`` is the office's name for it."""
        return await self.import_rows(read_rows(path, name), actor=actor, source=name or path.name, apply=apply,
                                      partial=partial)

    async def import_rows(self, raw: list[dict[str, str]], *, actor: str = "cli", source: str = "",
                          apply: bool = True, partial: bool = False) -> ImportReport:
        """Create and update units from the file's rows.

        ``partial`` false (the CLI): all or nothing — any bad row raises ``UnitImportError``.
        ``partial`` true (the dashboard): bad rows are reported in ``rejected`` and the rest
        go ahead. ``apply`` false runs exactly the same steps and rolls them back, so the
        dashboard's preview is what confirming will do, not a second guess at it.

        Units added, or changed into an open period's audience, get that period's reminders
        in the same transaction (units changed out of it lose the ones not sent): a period
        promises to remind every unit still missing, not only those there when it opened."""
        now = self.clock.now()
        report = ImportReport(applied=apply)
        async with self.uow() as uow:
            existing = {u.code: u for u in await uow.units.all(include_closed=True)}
            if partial:
                rows, report.rejected = accepted_rows(raw, set(existing))
            else:
                rows = parse_rows(raw, set(existing))
            report.rows = {r.code: r for r in rows}
            by_code = dict(existing)
            for row in rows:
                unit = by_code.get(row.code)
                if unit is None:
                    unit = Unit(code=row.code, name=row.name, kind=row.kind, phone=row.phone or None,
                                created_at=now, updated_at=now)
                    unit.group_links = [UnitGroup(name=g) for g in row.groups]
                    uow.units.add(unit)
                    by_code[row.code] = unit
                    report.created.append(row.code)
                    continue
                changes = [what for what, differs in (
                    ("name", unit.name != row.name), ("kind", unit.kind != row.kind),
                    ("groups", tuple(unit.groups) != tuple(sorted(row.groups))),
                    ("phone", bool(row.phone and unit.phone != row.phone))) if differs]
                if changes:
                    report.changes[row.code] = changes
                    unit.name, unit.kind, unit.updated_at = row.name, row.kind, now
                    if row.phone:
                        unit.phone = row.phone
                    if tuple(unit.groups) != tuple(sorted(row.groups)):
                        unit.group_links = [UnitGroup(name=g) for g in sorted(row.groups)]
                    report.updated.append(row.code)
                else:
                    report.unchanged.append(row.code)
            await uow.flush()
            for row in rows:
                unit = by_code[row.code]
                parent_id = by_code[row.parent_code].id if row.parent_code else None
                if unit.parent_id != parent_id:
                    unit.parent_id = parent_id
                    if row.code not in report.created:
                        report.changes.setdefault(row.code, []).append("parent")
                    if row.code not in report.created and row.code not in report.updated:
                        report.unchanged.remove(row.code)
                        report.updated.append(row.code)
            await uow.flush()
            touched = [by_code[c].id for c in (*report.created, *report.updated)]
            report.reminders_planned = await self.reminders.stage_units_changed(uow, touched)
            if not apply:
                return report  # leaving the block without a commit rolls every change back
            uow.audit.record(now, actor, "units.import", source=source, created=len(report.created),
                             updated=len(report.updated), rejected=len(report.rejected),
                             reminders=report.reminders_planned)
            await uow.commit()
        return report

    async def list(self) -> list[tuple[UnitView, int]]:
        """Every open unit with the number of chats bound to it."""
        async with self.uow() as uow:
            rows = await uow.units.listing()
        return [(_listed(r), r.chats) for r in rows]

    async def unreached(self) -> builtins.list[UnitView]:
        """The open units no active chat reaches (a message cannot get to them), by code."""
        async with self.uow() as uow:
            return [_listed(r) for r in await uow.units.listing(unreached_only=True)]

    async def chat_counts(self) -> dict[int, int]:
        """Unit id → its active chats (units with none are left out)."""
        async with self.uow() as uow:
            return await uow.units.bound_chat_counts()

    async def chats_by_channel(self) -> dict[int, dict[str, int]]:
        """Unit id → {channel: its active chats} (units with none are left out)."""
        async with self.uow() as uow:
            return await uow.units.bound_chats_by_channel()

    async def group_names(self) -> builtins.list[str]:  # `list` here is the method above
        async with self.uow() as uow:
            return await uow.units.group_names()

    async def count(self) -> int:
        async with self.uow() as uow:
            return await uow.units.count()


def _listed(r: UnitListingRow) -> UnitView:
    return UnitView(id=r.id, code=r.code, name=r.name, kind=r.kind, parent_code=r.parent_code, groups=r.groups,
                    closed=r.closed_on is not None)
