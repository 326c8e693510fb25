"""The units import's optional ``phone`` column: validated, normalised, never erased by a blank."""

from __future__ import annotations

import os
import re
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import App
from bot.cli import main
from bot.services.units import UnitImportError


async def _phone(app: App, code: str) -> str | None:
    async with app.uow() as uow:
        unit = await uow.units.by_code(code)
        assert unit is not None
        return unit.phone


async def test_phone_column_is_normalised_and_a_blank_keeps_it(app: App, tmp_path: Path) -> None:
    f = tmp_path / "units.csv"
    f.write_text("code,name,kind,parent_code,groups,phone\nX_A,Xã A,xa,TINH_LS,,0912 345 678\n"
                 "X_B,Xã B,xa,TINH_LS,,\n", encoding="utf-8")
    report = await app.services.units.import_file(f)
    assert report.created == ["X_A", "X_B"]
    assert await _phone(app, "X_A") == "84912345678" and await _phone(app, "X_B") is None
    f.write_text("code,name,kind,parent_code,groups,phone\nX_A,Xã A,xa,TINH_LS,,\nX_B,Xã B,xa,TINH_LS,,+84 983 000 111\n",
                 encoding="utf-8")
    report = await app.services.units.import_file(f)
    assert report.updated == ["X_B"] and report.unchanged == ["X_A"]
    assert await _phone(app, "X_A") == "84912345678" and await _phone(app, "X_B") == "84983000111"


async def test_a_wrong_phone_refuses_the_file_with_its_line(app: App, tmp_path: Path) -> None:
    f = tmp_path / "units.csv"
    f.write_text("code,name,kind,parent_code,groups,phone\nX_A,Xã A,xa,TINH_LS,,024 3822 1234\n", encoding="utf-8")
    with pytest.raises(UnitImportError) as err:
        await app.services.units.import_file(f)
    assert err.value.problems == [(2, "số điện thoại “024 3822 1234” không phải số di động Việt Nam "
                                      "(ví dụ 0912 345 678 hoặc +84 912 345 678)")]
    assert await app.services.units.count() > 0


@pytest.fixture
def cli_db(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "cli.sqlite3"
    shutil.copy(sqlite_template, target)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{target}")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    return target


def test_cli_invite_with_a_phone(cli_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "units.csv"
    f.write_text("code,name,kind,parent_code,groups\nX_A,Xã A,xa,,\n", encoding="utf-8")
    assert main(["units", "import", str(f)]) == 0
    assert main(["invite", "X_A", "--phone", "0912 345 678"]) == 0
    out = capsys.readouterr().out
    assert "Số điện thoại của đơn vị X_A: 0912 345 678" in out and "Mã mời:" in out
    assert main(["invite", "X_A", "--phone", "024 3822 1234"]) == 1
    err = capsys.readouterr().err
    assert "không phải số di động Việt Nam" in err and "Traceback" not in err
    assert main(["invite", "--zalo-oa-all"]) == 1  # no OA configured: said so, nothing queued
    assert "ZALO_OA_TEMPLATE_INVITE" in capsys.readouterr().err


def test_cli_invite_shows_the_expiry_in_the_office_timezone_and_the_role_in_vietnamese(
        cli_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A server runs in UTC: the expiry is the office's clock time (TIMEZONE), not the server's."""
    f = tmp_path / "units.csv"
    f.write_text("code,name,kind,parent_code,groups\nX_A,Xã A,xa,,\n", encoding="utf-8")
    assert main(["units", "import", str(f)]) == 0
    server_tz = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        start = datetime.now(UTC)
        assert main(["invite", "X_A", "--expires", "48h"]) == 0
        out = capsys.readouterr().out
    finally:
        if server_tz is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = server_tz
        time.tzset()
    assert "Vai trò: cán bộ phụ trách thi đua – khen thưởng" in out and "officer" not in out
    shown = re.search(r"Hết hạn: (\d\d/\d\d/\d{4} \d\d:\d\d)", out)
    assert shown is not None, out
    expires = datetime.strptime(shown.group(1), "%d/%m/%Y %H:%M").replace(tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    assert timedelta(hours=47, minutes=58) <= expires - start <= timedelta(hours=48, minutes=1)
    assert main(["invite", "--role", "admin"]) == 0
    assert "Vai trò: quản trị (cơ quan Nội vụ)   Đơn vị: -" in capsys.readouterr().out


def test_cli_import_says_the_new_units_reminders_were_planned(cli_db: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    due = (datetime.now(UTC) + timedelta(days=20)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert main(["periods", "open", "--form", "bao-cao-6-thang", "--label", "Sơ kết", "--no-announce",
                 "--due", due.strftime("%d/%m/%Y 10:00"), "--remind", "7d"]) == 0
    f = tmp_path / "units.csv"
    f.write_text("code,name,kind,parent_code,groups\nX_MOI,Xã Mới,xa,,\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["units", "import", str(f)]) == 0
    assert "Đã lên lịch 6 lời nhắc hạn nộp cho các đơn vị mới vào kỳ báo cáo đang mở" in capsys.readouterr().out
    assert main(["periods", "show", "1"]) == 0
    assert sum("X_MOI" in line for line in capsys.readouterr().out.splitlines()) == 6
