"""Page 6's import over HTTP: upload → preview (nothing applied) → confirm (the good rows)."""

from __future__ import annotations

import io
import os
import re

import aiohttp
from sqlalchemy import select

from storage.models import AuditLog, Unit
from tests.web.conftest import Dash

GOOD_AND_BAD = (
    "code,name,kind,parent_code,groups\n"
    "X_MOI,Xã Mới,xa,TINH_LS,Cụm thi đua số 1\n"
    "P_TAMTHANH,Phường Tam Thanh mới,phuong,TINH_LS,Cụm thi đua số 1\n"
    "X_HONG,Xã Hỏng,thon,TINH_LS,\n"
    "X_CON,Xã Con,xa,X_HONG,\n"
)


def upload(csrf: str, content: bytes, filename: str, mime: str = "text/csv") -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("tep", content, filename=filename, content_type=mime)
    return form


async def units(dash: Dash) -> dict[str, Unit]:
    async with dash.app.uow() as uow:
        return {u.code: u for u in await uow.units.all(include_closed=True)}


async def audit(dash: Dash, action: str) -> list[AuditLog]:
    async with dash.app.uow() as uow:
        return list(await uow.session.scalars(select(AuditLog).where(AuditLog.action == action)))


def hidden(page: str, name: str) -> str:
    return page.split(f'name="{name}" value="', 1)[1].split('"', 1)[0]


async def test_preview_names_the_bad_row_and_applies_nothing_then_confirm_applies_the_good_rows(dash: Dash) -> None:
    before = await units(dash)
    b, csrf = await dash.signed_in("admin")
    async with b:
        page = await (await b.get(dash.base + "/web/don-vi")).text()
        assert 'action="/web/don-vi/nhap"' in page and 'enctype="multipart/form-data"' in page
        r = await b.post(dash.base + "/web/don-vi/nhap", data=upload(csrf, GOOD_AND_BAD.encode(), "don_vi.csv"))
        assert r.status == 200
        preview = await r.text()
        assert "Chưa áp dụng gì" in preview and "don_vi.csv" in preview
        rejected = dict(re.findall(r'<tr data-line="(\d+)"><td class="num">\d+</td><td>([^<]+)</td>', preview))
        assert set(rejected) == {"4", "5"}
        assert "loại đơn vị không hợp lệ" in rejected["4"] and "thon" in rejected["4"]
        assert "X_HONG" in rejected["5"] and "bị từ chối" in rejected["5"]  # its cấp trên is the refused row
        created = preview.split('id="created"', 1)[1].split("</table>", 1)[0]
        updated = preview.split('id="updated"', 1)[1].split("</table>", 1)[0]
        assert re.findall(r'data-unit="([^"]+)"', created) == ["X_MOI"] and "Xã Mới" in created
        assert re.findall(r'data-unit="([^"]+)"', updated) == ["P_TAMTHANH"] and "tên" in updated
        # nothing applied: the same units, the same names, no import in the audit log
        after = await units(dash)
        assert set(after) == set(before) and after["P_TAMTHANH"].name == before["P_TAMTHANH"].name
        assert not await audit(dash, "units.import") or all(a.actor == "demo" for a in await audit(dash, "units.import"))
        # confirm: the form carries the kept file's hash and name, and applies the good rows
        sha, name = hidden(preview, "sha"), hidden(preview, "ten")
        assert re.fullmatch(r"[0-9a-f]{64}", sha) and name == "don_vi.csv"
        r = await b.post(dash.base + "/web/don-vi/nhap/xac-nhan", data={"csrf": csrf, "sha": sha, "ten": name})
        assert r.status == 200
        result = await r.text()
        assert 'id="import-result"' in result and 'data-line="4"' in result
    after = await units(dash)
    assert set(after) == set(before) | {"X_MOI"}
    assert after["P_TAMTHANH"].name == "Phường Tam Thanh mới" and after["X_MOI"].parent_id == after["TINH_LS"].id
    imports = [a for a in await audit(dash, "units.import") if a.actor.startswith("member:")]
    assert len(imports) == 1 and imports[0].detail["created"] == 1 and imports[0].detail["updated"] == 1
    assert imports[0].detail["rejected"] == 2
    assert [a.detail["file"] for a in await audit(dash, "web.units_preview")] == ["don_vi.csv"]
    assert len(await audit(dash, "web.units_import")) == 1


async def test_an_xlsx_is_previewed_by_its_own_row_numbers(dash: Dash) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in [("code", "name", "kind"), ("X_EXCEL", "Xã Excel", "xa"), ("", "Không mã", "xa")]:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    b, csrf = await dash.signed_in("admin")
    async with b:
        r = await b.post(dash.base + "/web/don-vi/nhap", data=upload(
            csrf, buf.getvalue(), "Danh sách.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        preview = await r.text()
        assert r.status == 200 and 'data-line="3"' in preview and "thiếu mã đơn vị" in preview
        assert "X_EXCEL" in preview.split('id="created"', 1)[1]
        r = await b.post(dash.base + "/web/don-vi/nhap/xac-nhan",
                         data={"csrf": csrf, "sha": hidden(preview, "sha"), "ten": hidden(preview, "ten")})
        assert r.status == 200
    assert "X_EXCEL" in await units(dash)


async def test_a_code_with_a_space_is_a_refused_row_and_the_rest_is_previewed(dash: Dash) -> None:
    content = "code,name,kind,parent_code,groups\nX_TOT,Xã Tốt,xa,TINH_LS,\nx lower,Xã Thấp,xa,TINH_LS,\n"
    b, csrf = await dash.signed_in("admin")
    async with b:
        r = await b.post(dash.base + "/web/don-vi/nhap", data=upload(csrf, content.encode(), "don_vi.csv"))
        preview = await r.text()
    assert r.status == 200 and "Chưa áp dụng gì" in preview
    rejected = dict(re.findall(r'<tr data-line="(\d+)"><td class="num">\d+</td><td>([^<]+)</td>', preview))
    assert list(rejected) == ["3"] and "mã đơn vị “X LOWER” không hợp lệ" in rejected["3"]
    assert "không có dấu cách" in rejected["3"]
    assert 'data-unit="X_TOT"' in preview.split('id="created"', 1)[1] and "Áp dụng 1 thay đổi" in preview
    assert "X LOWER" not in await units(dash)


async def test_random_bytes_named_xlsx_get_a_vietnamese_message_and_nothing_is_applied(dash: Dash) -> None:
    before = await units(dash)
    b, csrf = await dash.signed_in("admin")
    async with b:
        r = await b.post(dash.base + "/web/don-vi/nhap", data=upload(csrf, os.urandom(4096), "don_vi.xlsx",
                                                                     "application/octet-stream"))
        page = await r.text()
        assert r.status == 400 and 'id="import-error"' in page
        assert "Tệp don_vi.xlsx không phải bảng tính Excel (.xlsx)" in page and "Chưa có thay đổi nào" in page
        assert "không đúng định dạng.</p>" in page  # the message ends its sentence before the next one
        r = await b.post(dash.base + "/web/don-vi/nhap", data=upload(csrf, "code,name\n".encode("utf-16"), "u16.csv"))
        page = await r.text()
        assert r.status == 400 and "(Comma delimited)”.</p>" in page
        assert 'id="confirm-import"' not in page
        # neither a file of another type, nor one too big, nor a hash the server does not keep
        r = await b.post(dash.base + "/web/don-vi/nhap", data=upload(csrf, b"%PDF-1.4", "quyet_dinh.pdf"))
        assert r.status == 400 and "chỉ nhận tệp .csv hoặc .xlsx" in await r.text()
        big = b"code,name,kind\n" + b"X_A,A,xa\n" * 130_000
        r = await b.post(dash.base + "/web/don-vi/nhap", data=upload(csrf, big, "lon.csv"))
        assert r.status == 413 and "quá lớn" in await r.text()
        r = await b.post(dash.base + "/web/don-vi/nhap", data=upload(csrf, b"", "rong.csv"))
        assert r.status == 400 and "trống" in await r.text()
        r = await b.post(dash.base + "/web/don-vi/nhap/xac-nhan",
                         data={"csrf": csrf, "sha": "0" * 64, "ten": "don_vi.csv"})
        assert r.status == 400 and "hãy tải tệp lên và xem trước lại" in await r.text()
        r = await b.post(dash.base + "/web/don-vi/nhap/xac-nhan",
                         data={"csrf": csrf, "sha": "../../etc/passwd", "ten": "x.csv"})
        assert r.status == 400
    assert set(await units(dash)) == set(before)
    assert [a for a in await audit(dash, "units.import") if a.actor != "demo"] == []


async def test_only_an_admin_with_the_csrf_token_may_import(dash: Dash) -> None:
    before = await units(dash)
    admin, acsrf = await dash.signed_in("admin")
    async with admin:
        preview = await (await admin.post(dash.base + "/web/don-vi/nhap",
                                          data=upload(acsrf, GOOD_AND_BAD.encode(), "don_vi.csv"))).text()
        sha = hidden(preview, "sha")
        r = await admin.post(dash.base + "/web/don-vi/nhap", data=upload("sai", GOOD_AND_BAD.encode(), "don_vi.csv"))
        assert r.status == 403
        r = await admin.post(dash.base + "/web/don-vi/nhap/xac-nhan", data={"sha": sha, "ten": "don_vi.csv"})
        assert r.status == 403
    viewer, vcsrf = await dash.signed_in("viewer")
    async with viewer:
        page = await (await viewer.get(dash.base + "/web/don-vi")).text()
        assert 'id="import-form"' not in page
        r = await viewer.post(dash.base + "/web/don-vi/nhap", data=upload(vcsrf, GOOD_AND_BAD.encode(), "don_vi.csv"))
        assert r.status == 403
        r = await viewer.post(dash.base + "/web/don-vi/nhap/xac-nhan",
                              data={"csrf": vcsrf, "sha": sha, "ten": "don_vi.csv"})
        assert r.status == 403
        big = b"code,name,kind\n" + b"X_A,A,xa\n" * 130_000
        r = await viewer.post(dash.base + "/web/don-vi/nhap", data=upload(vcsrf, big, "lon.csv"))
        assert r.status == 403
    async with aiohttp.ClientSession() as anonymous:
        r = await anonymous.post(dash.base + "/web/don-vi/nhap/xac-nhan", data={"sha": sha, "ten": "don_vi.csv"})
        assert r.status == 403
    assert set(await units(dash)) == set(before)
    assert [a for a in await audit(dash, "units.import") if a.actor != "demo"] == []
