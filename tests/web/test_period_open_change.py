"""Page 2 over HTTP: open a reporting period from the dashboard (form → reminder plan → "Mở kỳ")
and change a period's deadline or audience. The bot runs whole (fake Telegram, SQLite); the
clock is Mon 08/06/2026 09:00 in Hà Nội."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.services.reports import UnitState
from storage.models import Announcement, AuditLog, Reminder, ReportPeriod
from tests.web.conftest import Dash

HN = ZoneInfo("Asia/Ho_Chi_Minh")
# Mon 22/06/2026 08:00: "1d" falls on Sunday and "2h" at 06:00 in the quiet hours — both move
# to Monday 07:00; "7d" (Mon 15/06 08:00) and "3d" (Fri 19/06 08:00) stay where they are.
FORM = {"mau": "bao-cao-6-thang", "ten": "Sơ kết 6 tháng đầu năm 2026 (web)", "chot": "2026-06-14",
        "han": "2026-06-22T08:00", "doi_tuong": "kind", "loai_dv": "xa", "nhac": "7d,3d,1d,2h"}


async def counts(dash: Dash) -> tuple[int, int, int]:
    """Periods, planned reminders and "period.open" audit rows stored."""
    async with dash.app.uow() as uow:
        s = uow.session
        return (int(await s.scalar(select(func.count()).select_from(ReportPeriod)) or 0),
                int(await s.scalar(select(func.count()).select_from(Reminder)) or 0),
                int(await s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "period.open"))
                    or 0))


def plan_row(page: str, kind: str) -> str:
    m = re.search(rf'<tr data-kind="{kind}"[^>]*>.*?</tr>', page, re.S)
    assert m, f"no plan row {kind}"
    return m.group(0)


def post(form: dict[str, str], csrf: str, **extra: str) -> dict[str, Any]:
    return {**form, "csrf": csrf, **extra}


async def test_the_plan_preview_shows_moved_times_and_stores_nothing(dash: Dash) -> None:
    before = await counts(dash)
    b, csrf = await dash.signed_in("admin")
    async with b:
        page = await (await b.get(dash.base + "/web/ky")).text()
        assert 'id="open-form"' in page and 'value="7d,3d,1d,2h"' in page  # the default offsets
        r = await b.post(dash.base + "/web/ky/mo", data=post(FORM, csrf, hanh_dong="xem"))
        page = await r.text()
        assert r.status == 200, page
    assert await counts(dash) == before  # nothing stored, not even an audit row
    one_day = plan_row(page, "1d")
    assert 'class="moved"' in one_day and "CN 21/06/2026 08:00" in one_day and "T2 22/06/2026 07:00" in one_day
    assert "đã dời" in one_day
    two_hours = plan_row(page, "2h")
    assert 'class="moved"' in two_hours and "T2 22/06/2026 07:00" in two_hours
    seven = plan_row(page, "7d")
    assert "moved" not in seven and "T2 15/06/2026 08:00" in seven
    assert "T3 23/06/2026 08:00" in plan_row(page, "od1")  # the first working day after the deadline
    xa = sum(1 for u, _ in await dash.app.services.units.list() if u.kind == "xa")
    assert f"{xa} đơn vị" in page
    # the confirm form carries every typed value on, and "Sửa lại" gives them back in the form
    assert 'name="ten" value="Sơ kết 6 tháng đầu năm 2026 (web)"' in html.unescape(page)
    b, csrf = await dash.signed_in("admin")
    async with b:
        back = await (await b.post(dash.base + "/web/ky/mo", data=post(FORM, csrf, hanh_dong="sua"))).text()
        assert 'value="2026-06-22T08:00"' in back and 'value="xa" checked' in back
    assert await counts(dash) == before


async def test_opening_creates_the_period_with_its_reminders(dash: Dash) -> None:
    b, csrf = await dash.signed_in("admin")
    async with b:
        preview = await (await b.post(dash.base + "/web/ky/mo", data=post(FORM, csrf, hanh_dong="xem"))).text()
        r = await b.post(dash.base + "/web/ky/mo", data=post(FORM, csrf, hanh_dong="mo"), allow_redirects=False)
        assert r.status == 303, await r.text()
        location = r.headers["Location"]
        assert location.startswith("/web/ky?da_mo=")
        period_id = int(location.rsplit("=", 1)[1])
        page = await (await b.get(dash.base + location)).text()
        assert 'id="open-result"' in page and "Sơ kết 6 tháng đầu năm 2026 (web)" in page
    p = await dash.app.services.reports.period(period_id)
    assert p is not None and p.is_open and p.form_id == "bao-cao-6-thang"
    assert p.due_at == datetime(2026, 6, 22, 8, 0, tzinfo=HN) and p.cutoff is not None and p.cutoff.isoformat() == "2026-06-14"
    assert p.audience == {"kinds": ["xa"]} and p.announcement_id is not None
    lines = await dash.app.services.reminder_plan(period_id)
    xa = {u.code for u, _ in await dash.app.services.units.list() if u.kind == "xa"}
    assert {line.unit_code for line in lines} == xa
    kinds = re.findall(r'<tr data-kind="([^"]+)"', preview)
    assert len(lines) == len(xa) * len(kinds)
    # what was stored is what the preview showed
    one_day = next(line for line in lines if line.kind == "1d")
    assert one_day.send_at == datetime(2026, 6, 22, 7, 0, tzinfo=HN) and one_day.moved
    opened = [a for a in await audit(dash, "period.open") if a.detail["id"] == period_id]
    assert len(opened) == 1 and opened[0].actor.startswith("member:")


async def audit(dash: Dash, action: str) -> list[AuditLog]:
    async with dash.app.uow() as uow:
        return list(await uow.session.scalars(select(AuditLog).where(AuditLog.action == action)))


async def test_bad_input_is_refused_in_vietnamese_keeping_what_was_typed(dash: Dash) -> None:
    before = await counts(dash)
    b, csrf = await dash.signed_in("admin")
    async with b:
        for change, message in (({"han": "31/02/2026 17:00"}, "Hạn nộp không hợp lệ"),
                                ({"han": "2026-06-01T17:00"}, "Hạn nộp phải ở tương lai."),
                                ({"chot": "hôm qua"}, "Ngày chốt số liệu không hợp lệ"),
                                ({"doi_tuong": "units", "ma_dv": "X_CAOLOC, KHONG_CO"}, "Không có đơn vị mã: KHONG_CO"),
                                ({"nhac": "7d,abc"}, "Mốc nhắc không hợp lệ"),
                                ({"doi_tuong": "group"}, "Chọn ít nhất một cụm/khối.")):
            for action in ("xem", "mo"):
                r = await b.post(dash.base + "/web/ky/mo", data=post({**FORM, **change}, csrf, hanh_dong=action))
                page = html.unescape(await r.text())
                assert r.status == 400, (change, page)
                assert message in page and 'id="period-errors"' in page, change
                assert 'value="Sơ kết 6 tháng đầu năm 2026 (web)"' in page  # nothing typed is lost
                for value in change.values():
                    assert f'value="{value}"' in page or value in page, (change, value)
    assert await counts(dash) == before


async def test_a_viewer_or_a_forged_post_cannot_open_or_change(dash: Dash) -> None:
    period = await dash.open_period()
    before = await counts(dash)
    viewer, vcsrf = await dash.signed_in("viewer")
    async with viewer:
        page = await (await viewer.get(dash.base + "/web/ky")).text()
        assert 'id="open-form"' not in page
        for action in ("xem", "mo"):
            r = await viewer.post(dash.base + "/web/ky/mo", data=post(FORM, vcsrf, hanh_dong=action))
            assert r.status == 403
        r = await viewer.post(f"{dash.base}/web/ky/{period}/doi-han",
                              data={"csrf": vcsrf, "han": "2026-06-26T17:00", "doi_tuong": "all", "hanh_dong": "luu"})
        assert r.status == 403
        assert (await viewer.get(f"{dash.base}/web/ky/{period}/doi-han")).status == 403
    officer, ocsrf = await dash.signed_in(unit="X_CAOLOC")
    async with officer:
        r = await officer.post(dash.base + "/web/ky/mo", data=post(FORM, ocsrf, hanh_dong="mo"))
        assert r.status == 403
    admin, _ = await dash.signed_in("admin")
    async with admin:
        r = await admin.post(dash.base + "/web/ky/mo", data={**FORM, "hanh_dong": "mo"})
        assert r.status == 403  # no CSRF token
        r = await admin.post(f"{dash.base}/web/ky/{period}/doi-han",
                             data={"csrf": "forged", "han": "2026-06-26T17:00", "doi_tuong": "all", "hanh_dong": "luu"})
        assert r.status == 403
    assert await counts(dash) == before
    p = await dash.app.services.reports.period(period)
    assert p is not None and p.due_at == datetime(2026, 6, 20, 10, 0, tzinfo=UTC)


async def test_changing_the_deadline_replans_the_reminders(dash: Dash) -> None:
    period = await dash.open_period()  # due Sat 20/06/2026 17:00, kinds: xa
    old = {line.kind: line for line in await dash.app.services.reminder_plan(period) if line.status == "planned"}
    assert old["1d"].send_at == datetime(2026, 6, 19, 17, 0, tzinfo=HN)
    b, csrf = await dash.signed_in("admin")
    async with b:
        page = await (await b.get(f"{dash.base}/web/ky/{period}")).text()
        assert f'href="/web/ky/{period}/doi-han"' in page
        page = await (await b.get(f"{dash.base}/web/ky/{period}/doi-han")).text()
        assert 'value="2026-06-20T17:00"' in page and 'value="xa" checked' in page
        assert "T6 19/06/2026 17:00" in page  # the 1d reminder planned now
        # Sun 28/06 17:00: "1d" lands on Saturday 27/06, "2h" on the Sunday → moved back to Saturday 20:59
        change = {"csrf": csrf, "han": "2026-06-28T17:00", "doi_tuong": "kind", "loai_dv": "xa"}
        r = await b.post(f"{dash.base}/web/ky/{period}/doi-han", data={**change, "hanh_dong": "xem"})
        preview = await r.text()
        assert r.status == 200, preview
        assert "T7 27/06/2026 17:00" in plan_row(preview, "1d")
        assert 'class="moved"' in plan_row(preview, "2h") and "T7 27/06/2026 20:59" in plan_row(preview, "2h")
        p = await dash.app.services.reports.period(period)
        assert p is not None and p.due_at == datetime(2026, 6, 20, 10, 0, tzinfo=UTC)  # a preview changes nothing
        bad = await b.post(f"{dash.base}/web/ky/{period}/doi-han", data={**change, "han": "28/06", "hanh_dong": "luu"})
        text = await bad.text()
        assert bad.status == 400 and "Hạn nộp không hợp lệ" in text and 'value="28/06"' in text
        r = await b.post(f"{dash.base}/web/ky/{period}/doi-han", data={**change, "thong_bao": "1", "hanh_dong": "luu"},
                         allow_redirects=False)
        assert r.status == 303, await r.text()
        done = await (await b.get(dash.base + r.headers["Location"])).text()
        assert 'id="change-result"' in done and "T7 27/06/2026 17:00" in done
    p = await dash.app.services.reports.period(period)
    assert p is not None and p.due_at == datetime(2026, 6, 28, 17, 0, tzinfo=HN) and p.audience == {"kinds": ["xa"]}
    new = [line for line in await dash.app.services.reminder_plan(period) if line.status == "planned"]
    one_day = {line.send_at for line in new if line.kind == "1d"}
    assert one_day == {datetime(2026, 6, 27, 17, 0, tzinfo=HN)}
    assert all(line.send_at != old["1d"].send_at for line in new)
    updates = [a for a in await audit(dash, "period.update") if a.detail["id"] == period]
    assert len(updates) == 1 and updates[0].actor.startswith("member:") and updates[0].detail["due_at"]


async def test_narrowing_the_audience_warns_of_the_units_leaving_and_keeps_their_reports(dash: Dash) -> None:
    period = await dash.open_period()  # kinds: xa
    sub = await dash.submit(period, "X_DONGDANG")
    await dash.app.services.reports.accept(sub, None)
    await dash.app.services.web_access.link_for_unit("X_TANTHANH")
    tanthanh = next(u for u, _ in await dash.app.services.units.list() if u.code == "X_TANTHANH")
    started = await dash.app.services.reports.start(await dash._officer(tanthanh.id), tanthanh.id, period)
    assert started.draft is not None  # a draft being written
    narrow = {"han": "2026-06-20T17:00", "doi_tuong": "units", "ma_dv": "X_CAOLOC"}
    b, csrf = await dash.signed_in("admin")
    async with b:
        r = await b.post(f"{dash.base}/web/ky/{period}/doi-han", data={**narrow, "csrf": csrf, "hanh_dong": "xem"})
        page = html.unescape(await r.text())
        assert r.status == 200, page
        warning = re.search(r'<section class="alert warn" id="leaving-warning">.*?</section>', page, re.S)
        assert warning, page
        text = warning.group(0)
        assert "1 đơn vị đã nộp báo cáo, 1 đơn vị đang soạn báo cáo sẽ không còn trong kỳ" in text
        assert 'data-leaving="X_DONGDANG">Xã Đồng Đăng (đã nộp)' in text
        assert 'data-leaving="X_TANTHANH">Xã Tân Thành (đang soạn)' in text
        assert "Xã Hoàng Văn Thụ (X_HOANGVANTHU)" in text and "X_CAOLOC" not in text
        assert "Báo cáo vẫn được lưu, sẽ hiện lại nếu đưa đơn vị trở lại." in text
        seen = re.search(r'name="da_xem" value="([0-9a-f]+)"', page)
        assert seen, "the confirm form carries the preview it showed"
        # "Lưu thay đổi" straight from the form, without that preview: the warning, nothing saved
        r = await b.post(f"{dash.base}/web/ky/{period}/doi-han", data={**narrow, "csrf": csrf, "hanh_dong": "luu"},
                         allow_redirects=False)
        page = html.unescape(await r.text())
        assert r.status == 200 and 'id="leaving-unseen"' in page and 'id="leaving-warning"' in page
        assert 'value="X_CAOLOC"' in page  # what was typed is kept
        p = await dash.app.services.reports.period(period)
        assert p is not None and p.audience == {"kinds": ["xa"]}
        r = await b.post(f"{dash.base}/web/ky/{period}/doi-han",
                         data={**narrow, "csrf": csrf, "hanh_dong": "luu", "da_xem": seen.group(1)},
                         allow_redirects=False)
        assert r.status == 303, await r.text()
    p = await dash.app.services.reports.period(period)
    assert p is not None and p.audience == {"units": ["X_CAOLOC"]} and p.due_at == datetime(2026, 6, 20, 10, 0, tzinfo=UTC)
    planned = {line.unit_code for line in await dash.app.services.reminder_plan(period) if line.status == "planned"}
    assert planned == {"X_CAOLOC"}
    async with dash.app.uow() as uow:  # hidden, not deleted
        assert [s.unit_id for s in await uow.reports.submissions_of_period(period)] != []
    await dash.app.services.change_period(period, audience={"kinds": ["xa"]})
    prog = await dash.app.services.reports.progress(period)
    assert prog is not None
    dongdang = next(uid for uid, u in prog.units.items() if u.code == "X_DONGDANG")
    assert prog.states[dongdang] == UnitState.ACCEPTED  # back in the period, report and all


async def test_widening_the_audience_saves_without_a_warning(dash: Dash) -> None:
    period = await dash.open_period({"units": ["X_CAOLOC"]})
    b, csrf = await dash.signed_in("admin")
    async with b:
        r = await b.post(f"{dash.base}/web/ky/{period}/doi-han",
                         data={"csrf": csrf, "han": "2026-06-20T17:00", "doi_tuong": "kind", "loai_dv": "xa",
                               "hanh_dong": "luu"}, allow_redirects=False)
        assert r.status == 303, await r.text()
    p = await dash.app.services.reports.period(period)
    assert p is not None and p.audience == {"kinds": ["xa"]}


async def test_a_double_click_on_open_makes_one_period_and_one_announcement(dash: Dash) -> None:
    b, csrf = await dash.signed_in("admin")
    async with b:
        r = await b.post(dash.base + "/web/ky/mo", data=post(FORM, csrf, hanh_dong="mo"), allow_redirects=False)
        assert r.status == 303, await r.text()
        first = int(r.headers["Location"].rsplit("=", 1)[1])
        before = await counts(dash), await announcements(dash)
        r = await b.post(dash.base + "/web/ky/mo", data=post(FORM, csrf, hanh_dong="mo"), allow_redirects=False)
        page = html.unescape(await r.text())
        assert r.status == 400, page
        assert f"Đã có kỳ “Sơ kết 6 tháng đầu năm 2026 (web)” đang mở (số {first})" in page
        assert 'id="period-errors"' in page and 'value="Sơ kết 6 tháng đầu năm 2026 (web)"' in page
        # the preview says so too, before anything is confirmed
        r = await b.post(dash.base + "/web/ky/mo", data=post(FORM, csrf, hanh_dong="xem"))
        assert r.status == 400 and f"đang mở (số {first})" in html.unescape(await r.text())
        assert (await counts(dash), await announcements(dash)) == before
        # once it is closed, a new period may have the same name
        await dash.app.services.change_period(first, status="closed")
        r = await b.post(dash.base + "/web/ky/mo", data=post(FORM, csrf, hanh_dong="mo"), allow_redirects=False)
        assert r.status == 303, await r.text()


async def test_the_database_refuses_a_second_open_period_of_the_same_name(dash: Dash) -> None:
    """Two opens racing past the check: the partial unique index of migration 0018 refuses
    the second, and the use case words it as the check does."""
    from bot.services.reports import PeriodError
    from storage.errors import Conflict

    period = await dash.open_period()
    p = await dash.app.services.reports.period(period)
    assert p is not None
    async with dash.app.uow() as uow:
        uow.session.add(ReportPeriod(form_id=p.form_id, form_version=p.form_version, label=p.label, opens_at=p.opens_at,
                                     due_at=p.due_at, audience=p.audience, remind_offsets=[], status="open",
                                     created_at=p.opens_at))
        try:
            await uow.commit()
        except Conflict:
            pass
        else:
            raise AssertionError("a second open period of the same form and label was stored")
    try:
        await dash.app.services.open_period(
            form_id=p.form_id, label=p.label + " ", due_at=p.due_at, cutoff=None, audience=p.audience,
            remind_offsets=["1d"], announce=False)
    except PeriodError as exc:
        assert f"đang mở (số {period})" in str(exc)
    else:
        raise AssertionError("opened twice")


async def test_a_cutoff_long_after_the_deadline_is_refused(dash: Dash) -> None:
    before = await counts(dash)
    bad = {**FORM, "chot": "2027-06-30", "han": "2027-01-10T17:00"}
    b, csrf = await dash.signed_in("admin")
    async with b:
        for action in ("xem", "mo"):
            r = await b.post(dash.base + "/web/ky/mo", data=post(bad, csrf, hanh_dong=action))
            page = html.unescape(await r.text())
            assert r.status == 400, page
            assert "Ngày chốt số liệu (30/06/2027) sau hạn nộp (10/01/2027) quá 31 ngày." in page
            assert 'value="2027-06-30"' in page and 'value="2027-01-10T17:00"' in page
        # the same day is fine, and so is an annual cut-off (14/12) after the dossiers' deadline (30/11)
        for chot, han in (("2027-01-10", "2027-01-10T17:00"), ("2026-12-14", "2026-11-30T17:00")):
            r = await b.post(dash.base + "/web/ky/mo", data=post({**bad, "chot": chot, "han": han}, csrf, hanh_dong="xem"))
            assert r.status == 200, (chot, han)
    assert (await counts(dash))[0] == before[0]


async def announcements(dash: Dash) -> int:
    async with dash.app.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Announcement)) or 0)


async def test_a_deadline_on_a_rest_day_is_pointed_out_before_confirming(dash: Dash) -> None:
    """22/06/2026 is a Monday; 21/06 a Sunday (this office rests on Sundays)."""
    b, csrf = await dash.signed_in("admin")
    async with b:
        page = await (await b.post(dash.base + "/web/ky/mo", data=post(FORM, csrf, hanh_dong="xem"))).text()
        assert 'id="reminder-plan"' in page and 'id="due-rest-day"' not in page
        sunday = {**FORM, "han": "2026-06-21T17:00"}
        page = await (await b.post(dash.base + "/web/ky/mo", data=post(sunday, csrf, hanh_dong="xem"))).text()
        assert 'id="due-rest-day"' in page and "Hạn nộp rơi vào ngày nghỉ" in page
        # the same on changing a period's deadline
        period = await dash.open_period()
        r = await b.post(f"{dash.base}/web/ky/{period}/doi-han",
                         data={"csrf": csrf, "han": "2026-06-21T17:00", "doi_tuong": "all", "hanh_dong": "xem"})
        assert 'id="due-rest-day"' in await r.text()
