"""Units: import from CSV/XLSX (all or nothing), listing, audience resolution."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from bot.core import Clock, nfc
from bot.services._convert import unit_view
from bot.services.views import UnitView
from storage.models import Unit, UnitGroup
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
COLUMNS = ("code", "name", "kind", "parent_code", "groups")


class UnitImportError(Exception):
    """The file was rejected; ``problems`` lists (row number, message) and nothing was loaded."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"dòng {r}: {m}" for r, m in problems))


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class UnitRow:
    line: int
    code: str
    name: str
    kind: str
    parent_code: str
    groups: tuple[str, ...]


def read_rows(path: Path) -> list[dict[str, str]]:
    """Rows as dicts keyed by lower-case header, from CSV (utf-8, ; or ,) or XLSX."""
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        ws = wb.active
        it = ws.iter_rows(values_only=True)
        header = [str(h or "").strip().lower() for h in next(it, ())]
        out = [{header[i]: "" if v is None else str(v) for i, v in enumerate(row) if i < len(header)} for row in it]
        wb.close()
        return out
    text = path.read_bytes().decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    return [{(k or "").strip().lower(): (v or "") for k, v in row.items()} for row in reader]


def parse_rows(raw: list[dict[str, str]], existing_codes: set[str]) -> list[UnitRow]:
    """Validate every row; collect every problem before refusing, with row numbers."""
    problems: list[tuple[int, str]] = []
    if raw and not {"code", "name", "kind"} <= set(raw[0]):
        raise UnitImportError([(1, "thiếu cột bắt buộc: cần các cột " + ", ".join(COLUMNS))])
    rows: list[UnitRow] = []
    seen: dict[str, int] = {}
    for i, r in enumerate(raw, start=2):
        code = nfc(r.get("code", "")).strip().upper()
        name = nfc(r.get("name", "")).strip()
        kind_raw = nfc(r.get("kind", "")).strip().lower()
        parent = nfc(r.get("parent_code", "")).strip().upper()
        groups = tuple(g.strip() for g in nfc(r.get("groups", "")).replace("|", ";").split(";") if g.strip())
        if not code and not name and not kind_raw:
            continue
        if not code:
            problems.append((i, "thiếu mã đơn vị (code)"))
        elif code in seen:
            problems.append((i, f"mã {code} trùng với dòng {seen[code]}"))
        if not name:
            problems.append((i, "thiếu tên đơn vị (name)"))
        kind = KIND_ALIASES.get(kind_raw)
        if kind is None:
            problems.append((i, f"loại đơn vị không hợp lệ: “{kind_raw}” (dùng: tinh, so, xa, phuong, dac_khu, truong, phong, khoi, khac)"))
        if parent and parent == code:
            problems.append((i, "đơn vị không thể là cấp trên của chính nó"))
        seen.setdefault(code, i)
        rows.append(UnitRow(i, code, name, kind or "", parent, groups))
    known = set(seen) | existing_codes
    for row in rows:
        if row.parent_code and row.parent_code not in known:
            problems.append((row.line, f"mã đơn vị cấp trên {row.parent_code} không có trong tệp hay cơ sở dữ liệu"))
    if problems:
        raise UnitImportError(sorted(problems))
    return rows


class UnitService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock

    async def import_file(self, path: Path, actor: str = "cli") -> ImportReport:
        return await self.import_rows(read_rows(path), actor=actor, source=path.name)

    async def import_rows(self, raw: list[dict[str, str]], *, actor: str = "cli", source: str = "") -> ImportReport:
        now = self.clock.now()
        report = ImportReport()
        async with self.uow() as uow:
            existing = {u.code: u for u in await uow.units.all(include_closed=True)}
            rows = parse_rows(raw, set(existing))
            by_code = dict(existing)
            for row in rows:
                unit = by_code.get(row.code)
                if unit is None:
                    unit = Unit(code=row.code, name=row.name, kind=row.kind, created_at=now, updated_at=now)
                    unit.group_links = [UnitGroup(name=g) for g in row.groups]
                    uow.units.add(unit)
                    by_code[row.code] = unit
                    report.created.append(row.code)
                    continue
                changed = unit.name != row.name or unit.kind != row.kind or tuple(unit.groups) != tuple(sorted(row.groups))
                if changed:
                    unit.name, unit.kind, unit.updated_at = row.name, row.kind, now
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
                    if row.code not in report.created and row.code not in report.updated:
                        report.unchanged.remove(row.code)
                        report.updated.append(row.code)
            uow.audit.record(now, actor, "units.import", source=source, created=len(report.created),
                             updated=len(report.updated))
            await uow.commit()
        return report

    async def list(self) -> list[tuple[UnitView, int]]:
        """Every open unit with the number of chats bound to it."""
        async with self.uow() as uow:
            units = await uow.units.all()
            counts = await uow.units.bound_chat_counts()
            codes = {u.id: u.code for u in units}
            return [(unit_view(u, codes.get(u.parent_id or -1)), counts.get(u.id, 0)) for u in units]

    async def group_names(self) -> list[str]:
        async with self.uow() as uow:
            return await uow.units.group_names()

    async def count(self) -> int:
        async with self.uow() as uow:
            return await uow.units.count()
