"""Units import from files an office really produces (Excel's CSV with ``;`` and a BOM,
quoted names) and from files it produces by mistake (wrong encoding, a renamed file, an
empty sheet): every one loads correctly or is refused with one line, on every backend."""

from __future__ import annotations

import codecs
import shutil
import zipfile
from pathlib import Path

import pytest

from bot.app import App
from bot.cli import main
from bot.services.units import UnitFileError, UnitImportError

HEADER = "code,name,kind,parent_code,groups\n"


async def _unit(app: App, code: str):  # type: ignore[no-untyped-def]
    async with app.uow() as uow:
        unit = await uow.units.by_code(code)
        assert unit is not None
        return unit.name, list(unit.groups)


async def test_quoted_fields_keep_doubled_quotes_and_commas(app: App, tmp_path: Path) -> None:
    f = tmp_path / "units.csv"
    f.write_text(HEADER + 'T_KD,"Trường THCS ""Kim Đồng"", thành phố Lạng Sơn",truong,TINH_LS,'
                 '"Khối trường học, số 1;Cụm thi đua số 2"\n', encoding="utf-8")
    report = await app.services.units.import_file(f)
    assert report.created == ["T_KD"]
    name, groups = await _unit(app, "T_KD")
    assert name == 'Trường THCS "Kim Đồng", thành phố Lạng Sơn'
    assert groups == ["Cụm thi đua số 2", "Khối trường học, số 1"]


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8], ids=["no-bom", "bom"])
@pytest.mark.parametrize("sep", [",", ";"])
async def test_utf8_with_or_without_bom_and_either_delimiter(app: App, tmp_path: Path, bom: bytes, sep: str) -> None:
    rows = [["code", "name", "kind", "parent_code", "groups"],
            ["X_MOI", "Xã Mới", "xã", "TINH_LS", "Cụm thi đua số 9"],
            ["P_MOI", '"Phường Mới, khu 2"' if sep == "," else "Phường Mới, khu 2", "phường", "TINH_LS", ""]]
    f = tmp_path / "units.csv"
    f.write_bytes(bom + "\r\n".join(sep.join(r) for r in rows).encode("utf-8") + b"\r\n")
    report = await app.services.units.import_file(f)
    assert sorted(report.created) == ["P_MOI", "X_MOI"]
    assert (await _unit(app, "P_MOI"))[0] == "Phường Mới, khu 2"
    assert await _unit(app, "X_MOI") == ("Xã Mới", ["Cụm thi đua số 9"])


async def test_control_characters_are_stripped_from_cells(app: App, tmp_path: Path) -> None:
    f = tmp_path / "units.csv"
    f.write_text(HEADER + "X_\x00CTL,Xã\x01 Cao\tLộc\x85\x7f,xa,TINH_LS,Cụm\x1b số 3\n", encoding="utf-8")
    await app.services.units.import_file(f)
    assert await _unit(app, "X_CTL") == ("Xã Cao Lộc", ["Cụm số 3"])


async def test_row_with_more_cells_than_header_is_refused_with_its_row(app: App, tmp_path: Path) -> None:
    """An unquoted comma in a name would shift every later column into the wrong field."""
    f = tmp_path / "units.csv"
    f.write_text(HEADER + "X_OK,Xã Tốt,xa,TINH_LS,\nT_KD,Trường THCS Kim Đồng, Lạng Sơn,truong,TINH_LS,Khối 1\n",
                 encoding="utf-8")
    before = await app.services.units.count()
    with pytest.raises(UnitImportError) as err:
        await app.services.units.import_file(f)
    assert [row for row, _ in err.value.problems] == [3]
    assert "ngoặc kép" in err.value.problems[0][1]
    assert await app.services.units.count() == before


async def test_over_long_fields_refused_with_row_numbers_alike_on_every_backend(app: App, tmp_path: Path) -> None:
    """PostgreSQL would raise DBAPIError and SQLite store them: the import refuses them first."""
    f = tmp_path / "units.csv"
    f.write_text(HEADER + f"{'C' * 41},Xã dài mã,xa,,\nX_TEN,{'T' * 256},xa,,\nX_NHOM,Xã nhóm,xa,,{'N' * 121}\n"
                 "X_OK,Xã Tốt,xa,,\n", encoding="utf-8")
    before = await app.services.units.count()
    with pytest.raises(UnitImportError) as err:
        await app.services.units.import_file(f)
    problems = dict(err.value.problems)
    assert sorted(problems) == [2, 3, 4]
    assert "41" in problems[2] and "40" in problems[2]
    assert "256" in problems[3] and "255" in problems[3]
    assert "121" in problems[4] and "120" in problems[4]
    assert await app.services.units.count() == before


async def test_fields_at_the_limit_load_on_every_backend(app: App, tmp_path: Path) -> None:
    f = tmp_path / "units.csv"
    f.write_text(HEADER + f"{'C' * 40},{'T' * 255},xa,,{'N' * 120}\n", encoding="utf-8")
    report = await app.services.units.import_file(f)
    assert report.created == ["C" * 40]
    assert await _unit(app, "C" * 40) == ("T" * 255, ["N" * 120])


def _zip_without_workbook(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "không phải bảng tính")


BAD_FILES: list[tuple[str, object, str]] = [
    ("random.xlsx", b"\x8f\x01\xfe random bytes \x00\xff" * 20, "không phải bảng tính Excel"),
    ("archive.xlsx", _zip_without_workbook, "tệp nén (zip) nhưng không phải bảng tính"),
    ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "Excel cũ (.xls) hoặc có đặt mật khẩu"),
    ("empty.csv", b"", "trống"),
    ("bom-only.csv", codecs.BOM_UTF8 + b"\r\n\r\n", "trống"),
    ("header-only.csv", HEADER.encode(), "chỉ có dòng tiêu đề"),
    ("one-column.csv", "mã đơn vị\nX_A\nX_B\n".encode(), "chỉ có một cột"),
    ("missing.csv", b"code,name,parent_code\nX_A,A,\n", "thiếu cột bắt buộc kind"),
    ("cp1258.csv", HEADER.encode() + b"T_A,Tr\xfd\xccng A,truong,,\n", "không phải mã UTF-8"),
    ("utf16.csv", (HEADER + "X_A,Xã A,xa,,\n").encode("utf-16"), "UTF-16"),
    ("utf16-nobom.csv", (HEADER + "X_A,Xã A,xa,,\n").encode("utf-16-le"), "không phải mã UTF-8"),
    ("broken-quote.csv", (HEADER + 'X_A,"Xã "A" sai,xa,,\n').encode(), "sai định dạng CSV ở dòng 2"),
]


def _write_bad(tmp_path: Path, name: str, content: object) -> Path:
    path = tmp_path / name
    if callable(content):
        content(path)
    else:
        assert isinstance(content, bytes)
        path.write_bytes(content)
    return path


@pytest.mark.parametrize(("name", "content", "expected"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
async def test_bad_file_refused_with_one_line_naming_it(app: App, tmp_path: Path, name: str, content: object,
                                                        expected: str) -> None:
    path = _write_bad(tmp_path, name, content)
    before = await app.services.units.count()
    with pytest.raises(UnitFileError) as err:
        await app.services.units.import_file(path)
    assert name in err.value.message and expected in err.value.message, err.value.message
    assert "\n" not in err.value.message
    assert await app.services.units.count() == before


@pytest.fixture
def cli_db(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "cli.sqlite3"
    shutil.copy(sqlite_template, target)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{target}")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    return target


@pytest.mark.parametrize(("name", "content", "expected"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_cli_bad_file_exits_non_zero_with_one_line(cli_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   name: str, content: object, expected: str) -> None:
    path = _write_bad(tmp_path, name, content)
    assert main(["units", "import", str(path)]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and expected in lines[0], captured.err
    assert "Traceback" not in captured.err and captured.out == ""


def test_cli_over_long_fields_listed_by_row(cli_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "units.csv"
    f.write_text(HEADER + f"X_OK,Xã Tốt,xa,,\nX_TEN,{'T' * 300},xa,,\n", encoding="utf-8")
    assert main(["units", "import", str(f)]) == 1
    err = capsys.readouterr().err
    assert "units.csv bị từ chối" in err and "dòng 3: tên đơn vị dài 300 ký tự, tối đa 255" in err
    assert "Traceback" not in err


async def test_a_dry_run_reports_what_applying_does_and_changes_nothing(app: App, tmp_path: Path) -> None:
    """The dashboard's preview: one code path, ``apply`` false rolls it back; ``partial``
    keeps going past bad rows (and the rows hanging from them) instead of refusing the file."""
    f = tmp_path / "units.csv"
    f.write_text(HEADER + "X_MOI,Xã Mới,xa,TINH_LS,\nP_TAMTHANH,Phường Tam Thanh mới,phuong,TINH_LS,Cụm thi đua số 1\n"
                 "X_HONG,Xã Hỏng,thon,,\nX_CON,Xã Con,xa,X_HONG,\n", encoding="utf-8")
    old_name, _ = await _unit(app, "P_TAMTHANH")
    with pytest.raises(UnitImportError):  # all or nothing unless asked otherwise
        await app.services.units.import_file(f, apply=False)
    preview = await app.services.units.import_file(f, name="Đơn vị.csv", apply=False, partial=True)
    assert not preview.applied and preview.created == ["X_MOI"] and preview.updated == ["P_TAMTHANH"]
    assert preview.rejected_lines == [4, 5] and preview.changes["P_TAMTHANH"] == ["name"]
    assert preview.rows["X_MOI"].line == 2
    async with app.uow() as uow:
        assert await uow.units.by_code("X_MOI") is None
    assert (await _unit(app, "P_TAMTHANH"))[0] == old_name
    applied = await app.services.units.import_file(f, apply=True, partial=True)
    assert (applied.created, applied.updated, applied.rejected) == (preview.created, preview.updated, preview.rejected)
    assert (await _unit(app, "P_TAMTHANH"))[0] == "Phường Tam Thanh mới"
    async with app.uow() as uow:
        assert await uow.units.by_code("X_HONG") is None and await uow.units.by_code("X_CON") is None


async def test_the_office_name_of_a_kept_upload_decides_its_type_and_its_messages(app: App, tmp_path: Path) -> None:
    f = tmp_path / ("a" * 64 + "_tep")  # how services.files keeps an upload: hash, then a name
    f.write_bytes(b"\x00\x01 not a workbook")
    with pytest.raises(UnitFileError) as refused:
        await app.services.units.import_file(f, name="Danh sách.xlsx", apply=False, partial=True)
    assert str(refused.value).startswith("Tệp Danh sách.xlsx không phải bảng tính Excel")


BAD_CODE = "không hợp lệ: chỉ dùng chữ không dấu, số, dấu gạch dưới hoặc gạch ngang, không có dấu cách"


async def test_a_code_a_chat_command_cannot_carry_is_refused_with_its_row(app: App, tmp_path: Path) -> None:
    """``/moi X LOWER`` reads the code ``X``: a code with a space (or a diacritic, or a dot)
    could never be invited from chat, so the import refuses it; the rest still goes ahead."""
    f = tmp_path / "units.csv"
    f.write_text(HEADER + "x lower,Xã Thấp,xa,,\nx_ok-1,Xã Tốt,xa,,\nXã_A,Xã A,xa,,\nX.B,Xã B,xa,,\n", encoding="utf-8")
    with pytest.raises(UnitImportError) as err:
        await app.services.units.import_file(f)
    assert err.value.problems == [(2, f"mã đơn vị “X LOWER” {BAD_CODE}"), (4, f"mã đơn vị “XÃ_A” {BAD_CODE}"),
                                  (5, f"mã đơn vị “X.B” {BAD_CODE}")]
    report = await app.services.units.import_file(f, partial=True)
    assert report.created == ["X_OK-1"] and report.rejected_lines == [2, 4, 5]
    async with app.uow() as uow:
        assert await uow.units.by_code("X LOWER") is None


def test_cli_refuses_a_code_with_a_space(cli_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "units.csv"
    f.write_text(HEADER + "X_OK,Xã Tốt,xa,,\nx lower,Xã Thấp,xa,,\n", encoding="utf-8")
    assert main(["units", "import", str(f)]) == 1
    err = capsys.readouterr().err
    assert f"dòng 3: mã đơn vị “X LOWER” {BAD_CODE}" in err and "chưa nạp đơn vị nào" in err
