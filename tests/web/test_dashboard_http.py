"""The dashboard over HTTP, without a browser: who gets in, what a POST needs, what every
response carries. The bot runs whole (fake Telegram, real aiohttp server, SQLite)."""

from __future__ import annotations

import asyncio
import html
import re
from typing import Any

from sqlalchemy import select

from bot.cli import main
from storage.models import AuditLog, Member
from tests.web.conftest import Dash

ADMIN_CHAT, OFFICER_CHAT = 9301, 5301


async def audit(dash: Dash, action: str) -> list[AuditLog]:
    async with dash.app.uow() as uow:
        return list(await uow.session.scalars(select(AuditLog).where(AuditLog.action == action)))


async def test_no_page_without_a_session(dash: Dash) -> None:
    period = await dash.open_period()
    sub = await dash.submit(period, "X_CAOLOC")
    async with dash.browser() as b:
        for path in ("/web", f"/web/ky/{period}", f"/web/bao-cao/{sub}", f"/web/bao-cao/{sub}/tep/0",
                     f"/web/ky/{period}/excel"):
            r = await b.get(dash.base + path, allow_redirects=False)
            assert r.status == 303 and r.headers["Location"] == "/web/dang-nhap", path
        # a live-figures request (htmx) is refused outright
        r = await b.get(f"{dash.base}/web/ky/{period}/so-lieu", headers={"HX-Request": "true"})
        assert r.status == 403
        # a made-up cookie is no session either
        b.cookie_jar.update_cookies({"tdkt_session": "forged"})
        r = await b.get(dash.base + "/web", allow_redirects=False)
        assert r.status == 303
        page = await (await b.get(dash.base + "/web/dang-nhap")).text()
        assert "/web" in page and "tdkt-bot web link --admin" in page


async def test_a_link_signs_in_once_and_an_expired_one_never(dash: Dash) -> None:
    url = await dash.link("admin", name="Trần Thị Hoa")
    async with dash.browser() as b:
        # opening the link (what a chat app's preview does) shows a button, spends nothing
        for _ in range(2):
            r = await b.get(url)
            assert r.status == 200 and 'id="sign-in"' in await r.text()
        r = await dash.sign_in(b, url)
        assert r.status == 303 and r.headers["Location"] == "/web"
        home = await b.get(dash.base + "/web")
        assert home.status == 200 and "Trần Thị Hoa" in await home.text()
    async with dash.browser() as other:
        again = await dash.sign_in(other, url)
        assert again.status == 403 and "đã được dùng" in await again.text()
        assert (await other.get(dash.base + "/web", allow_redirects=False)).status == 303
        late = await dash.link("admin")
        dash.app.clock.advance(minutes=11)  # type: ignore[attr-defined]
        expired = await dash.sign_in(other, late)
        assert expired.status == 403 and "hết hạn" in await expired.text()
    refused = await audit(dash, "web.signin_refused")
    assert [r.detail["outcome"] for r in refused] == ["used", "expired"]
    assert len(await audit(dash, "web.signin")) == 1


async def test_a_sign_in_posted_from_another_site_is_refused(dash: Dash) -> None:
    url = await dash.link("admin")
    async with dash.browser() as b:
        token = url.rsplit("/", 1)[1]
        for headers in ({}, {"Origin": "https://evil.example"}, {"Origin": "null"}):
            r = await b.post(f"{dash.base}/web/dang-nhap", data={"token": token}, headers=headers,
                             allow_redirects=False)
            assert r.status == 403
        assert (await dash.sign_in(b, url)).status == 303, "the link was not spent by the refused posts"


async def test_wrong_links_in_a_row_lock_the_address_out(dash: Dash) -> None:
    async with dash.browser() as b:
        for n in range(5):
            r = await dash.sign_in(b, f"{dash.base}/web/dang-nhap/guess{n}")
            assert r.status == 403
        good = await dash.link("admin")
        r = await dash.sign_in(b, good)
        assert r.status == 429 and "15 phút" in await r.text()
        dash.app.clock.advance(minutes=9)  # type: ignore[attr-defined]
        assert (await dash.sign_in(b, good)).status == 429, "still locked within the 15 minutes"
        dash.app.clock.advance(minutes=7)  # type: ignore[attr-defined]
        assert (await dash.sign_in(b, await dash.link("admin"))).status == 303


async def test_every_post_without_a_valid_csrf_token_is_refused(dash: Dash) -> None:
    period = await dash.open_period()
    sub = await dash.submit(period, "X_CAOLOC")
    b, csrf = await dash.signed_in("admin")
    posts: list[tuple[str, dict[str, Any]]] = [
        (f"/web/ky/{period}/nhac-ngay", {"pham_vi": "tat_ca"}),
        (f"/web/bao-cao/{sub}/tra-lai", {"ly_do": "Thiếu số liệu khen thưởng"}),
        (f"/web/bao-cao/{sub}/tiep-nhan", {}),
        ("/web/dang-xuat", {}),
        ("/web/dang-xuat-moi-noi", {}),
    ]
    async with b:
        for path, data in posts:
            for token in (None, "", csrf[:-1] + ("A" if csrf[-1] != "A" else "B")):
                form = dict(data) if token is None else {**data, "csrf": token}
                r = await b.post(dash.base + path, data=form, allow_redirects=False)
                assert r.status == 403, (path, token)
                assert "CSRF" in await r.text()
            # the header htmx sends, wrong, is refused too
            r = await b.post(dash.base + path, data=data, headers={"X-CSRF-Token": "nope"}, allow_redirects=False)
            assert r.status == 403
        # nothing happened: the report is untouched, nobody reminded, still signed in
        s = await dash.app.services.reports.submission_by_id(sub)
        assert s is not None and s.status == "submitted"
        assert dash.tg.sent == []
        assert (await b.get(dash.base + "/web", allow_redirects=False)).status == 200
        # and with the token, the same POST works
        r = await b.post(f"{dash.base}/web/bao-cao/{sub}/tiep-nhan", data={"csrf": csrf}, allow_redirects=False)
        assert r.status == 303
        s = await dash.app.services.reports.submission_by_id(sub)
        assert s is not None and s.status == "accepted"
    accepted = await audit(dash, "report.accept")
    assert len(accepted) == 1 and accepted[0].actor.startswith("member:")
    assert len(await audit(dash, "web.accept")) == 1


async def test_a_viewer_sees_but_every_change_is_refused(dash: Dash) -> None:
    period = await dash.open_period()
    sub = await dash.submit(period, "X_CAOLOC")
    b, csrf = await dash.signed_in("viewer")
    async with b:
        for path in ("/web", f"/web/ky/{period}", f"/web/bao-cao/{sub}"):
            r = await b.get(dash.base + path)
            assert r.status == 200, path
        page = await (await b.get(f"{dash.base}/web/ky/{period}")).text()
        assert "Nhắc ngay" not in page and 'id="check-all"' not in page
        assert 'id="return"' not in await (await b.get(f"{dash.base}/web/bao-cao/{sub}")).text()
        for path, data in ((f"/web/ky/{period}/nhac-ngay", {"pham_vi": "tat_ca"}),
                           (f"/web/bao-cao/{sub}/tra-lai", {"ly_do": "Thiếu số liệu khen thưởng"}),
                           (f"/web/bao-cao/{sub}/tiep-nhan", {})):
            r = await b.post(dash.base + path, data={**data, "csrf": csrf}, allow_redirects=False)
            assert r.status == 403, path
            assert "chỉ được xem" in await r.text()
        s = await dash.app.services.reports.submission_by_id(sub)
        assert s is not None and s.status == "submitted"
        assert dash.tg.sent == []


async def test_an_officer_sees_only_their_own_unit(dash: Dash) -> None:
    period = await dash.open_period()
    own = await dash.submit(period, "X_CAOLOC")
    other = await dash.submit(period, "X_DONGDANG")
    ann = await dash.app.services.announcements.create(doc_type="Thông báo", summary="Họp", audience={"all": True})
    b, csrf = await dash.signed_in(unit="X_CAOLOC")
    async with b:
        home = await (await b.get(dash.base + "/web")).text()
        assert "Xã Cao Lộc" in home and f"/web/bao-cao/{own}" in home and "Đồng Đăng" not in home
        assert (await b.get(f"{dash.base}/web/bao-cao/{own}")).status == 200
        for path in (f"/web/bao-cao/{other}", f"/web/bao-cao/{other}/tep/0", f"/web/ky/{period}",
                     f"/web/ky/{period}/excel", "/web/tong-quan/so-lieu", f"/web/van-ban/{ann.id}/so-lieu"):
            r = await b.get(dash.base + path)
            assert r.status == 404, path
            assert "Đồng Đăng" not in await r.text()
        r = await b.post(f"{dash.base}/web/bao-cao/{own}/tiep-nhan", data={"csrf": csrf}, allow_redirects=False)
        assert r.status == 403, "an officer does not accept their own report"


async def test_logout_ends_the_session_and_everywhere_ends_all(dash: Dash) -> None:
    first, csrf1 = await dash.signed_in("admin")
    second, _ = await dash.signed_in("admin")
    async with first, second:
        r = await first.post(dash.base + "/web/dang-xuat", data={"csrf": csrf1}, allow_redirects=False)
        assert r.status == 303 and r.headers["Location"].startswith("/web/dang-nhap")
        assert "tdkt_session=" in r.headers.get("Set-Cookie", "")
        assert (await first.get(dash.base + "/web", allow_redirects=False)).status == 303
        assert (await second.get(dash.base + "/web", allow_redirects=False)).status == 200
    # the old cookie, replayed by hand after logout, is nothing either
    third, csrf3 = await dash.signed_in("admin")
    fourth, _ = await dash.signed_in("admin")
    async with third, fourth:
        cookie = next(c for c in third.cookie_jar if c.key == "tdkt_session").value
        r = await third.post(dash.base + "/web/dang-xuat-moi-noi", data={"csrf": csrf3}, allow_redirects=False)
        assert r.status == 303
        assert (await fourth.get(dash.base + "/web", allow_redirects=False)).status == 303
    async with dash.browser() as replay:
        replay.cookie_jar.update_cookies({"tdkt_session": cookie})
        assert (await replay.get(dash.base + "/web", allow_redirects=False)).status == 303
    assert len(await audit(dash, "web.signout")) == 1 and len(await audit(dash, "web.signout_all")) == 1


async def test_an_idle_session_ends(dash: Dash) -> None:
    b, _ = await dash.signed_in("admin")
    async with b:
        dash.app.clock.advance(hours=1, minutes=50)  # type: ignore[attr-defined]
        assert (await b.get(dash.base + "/web", allow_redirects=False)).status == 200  # use keeps it alive
        dash.app.clock.advance(hours=1, minutes=50)  # type: ignore[attr-defined]
        assert (await b.get(dash.base + "/web", allow_redirects=False)).status == 200
        dash.app.clock.advance(hours=2, minutes=1)  # type: ignore[attr-defined]
        r = await b.get(dash.base + "/web", allow_redirects=False)
        assert r.status == 303 and r.headers["Location"] == "/web/dang-nhap?loi=het_phien"
        page = await (await b.get(dash.base + r.headers["Location"])).text()
        assert "Phiên làm việc đã kết thúc" in page
        # the live figures, polling: told where to go, instead of stopping on a bare 403
        r = await b.get(dash.base + "/web/tong-quan/so-lieu", headers={"HX-Request": "true"}, allow_redirects=False)
        assert r.status == 403 and r.headers["HX-Redirect"] == "/web/dang-nhap?loi=het_phien"
    async with dash.browser() as fresh:  # no cookie at all: the plain sign-in page
        r = await fresh.get(dash.base + "/web", allow_redirects=False)
        assert r.status == 303 and r.headers["Location"] == "/web/dang-nhap"
        r = await fresh.get(dash.base + "/web/tong-quan/so-lieu", headers={"HX-Request": "true"}, allow_redirects=False)
        assert r.status == 403 and r.headers["HX-Redirect"] == "/web/dang-nhap"


async def test_security_headers_and_cookie_flags(dash: Dash) -> None:
    url = await dash.link("admin")
    async with dash.browser() as b:
        r = await dash.sign_in(b, url)
        cookie = r.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/web" in cookie
        assert "Secure" not in cookie, "plain HTTP on 127.0.0.1: a Secure cookie would never come back"
        for path in ("/web", "/web/dang-nhap", url.removeprefix(dash.base), "/web/does-not-exist"):
            resp = await b.get(dash.base + path)
            csp = resp.headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
            assert resp.headers["X-Frame-Options"] == "DENY" and resp.headers["X-Content-Type-Options"] == "nosniff"
            assert resp.headers["Referrer-Policy"] == "same-origin"
            # the server's own time (bench/dashboard.py measures by it): a number of ms
            assert re.fullmatch(r"app;dur=\d+\.\d", resp.headers["Server-Timing"])
        html = await (await b.get(dash.base + "/web")).text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), "no inline script (CSP forbids it)"
        assert " style=" not in html and "<style" not in html
        js = await b.get(dash.base + "/web/static/htmx.min.js")
        assert js.status == 200 and (await js.text()).startswith("/*! htmx 2.0.11")
        assert (await b.get(dash.base + "/web/static/..%2Fsecurity.py")).status == 404


async def test_behind_https_the_cookie_is_secure(sqlite_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.web.conftest import start_dashboard

    dash = await start_dashboard(sqlite_url, clock, public_base_url="https://tdkt.example.gov.vn")
    try:
        url = await dash.link("admin")
        assert url.startswith("https://tdkt.example.gov.vn/web/dang-nhap/")
        async with dash.browser() as b:
            token = url.rsplit("/", 1)[1]
            r = await b.post(f"{dash.base}/web/dang-nhap", data={"token": token},
                             headers={"Origin": "https://tdkt.example.gov.vn"}, allow_redirects=False)
            assert r.status == 303
            assert "Secure" in r.headers["Set-Cookie"] and "HttpOnly" in r.headers["Set-Cookie"]
            assert "max-age" in r.headers["Strict-Transport-Security"]
    finally:
        await dash.app.stop()
        await dash.tg.stop()


async def test_web_in_chat_gives_an_admin_a_link_and_nobody_else(dash: Dash) -> None:
    await dash.bind(ADMIN_CHAT, None, role="admin", name="Lê Văn Minh")
    await dash.bind(OFFICER_CHAT, "X_CAOLOC")
    reply = (await dash.say(ADMIN_CHAT, "/web"))[-1].text
    url = re.search(r"http://\S+/web/dang-nhap/\S+", reply)
    assert url and "10 phút" in reply
    async with dash.browser() as b:
        r = await dash.sign_in(b, url.group(0))
        assert r.status == 303
        assert "Lê Văn Minh" in await (await b.get(dash.base + "/web")).text()
    refused = (await dash.say(OFFICER_CHAT, "/web"))[-1].text
    assert "/dang-nhap/" not in refused


def test_cli_link_bootstraps_the_first_admin(tmp_path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from bot.app import App
    from bot.config import load_settings

    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/fresh.sqlite3")
    assert main(["web", "link", "--admin", "Nguyễn Văn An"]) == 0
    out = capsys.readouterr().out
    assert "Nguyễn Văn An" in out and re.search(r"http://127\.0\.0\.1:8080/web/dang-nhap/\S+", out)
    assert main(["web", "link", "--admin"]) == 0  # the first admin again, not a second one
    assert main(["web", "link", "--unit", "NOPE"]) == 1
    assert "NOPE" in capsys.readouterr().err

    async def admins() -> list[str]:
        app = App(load_settings())
        try:
            async with app.uow() as uow:
                return [m.name for m in await uow.session.scalars(select(Member).where(Member.role == "admin"))]
        finally:
            await app.engine.dispose()

    assert asyncio.run(admins()) == ["Nguyễn Văn An"]


async def test_periods_list_closing_and_the_audit_log(dash: Dash) -> None:
    period = await dash.open_period()
    viewer, vcsrf = await dash.signed_in("viewer")
    async with viewer:
        page = await (await viewer.get(dash.base + "/web/ky")).text()
        assert "Sơ kết 6 tháng đầu năm 2026" in page and "Đóng kỳ" not in page
        r = await viewer.post(f"{dash.base}/web/ky/{period}/dong", data={"csrf": vcsrf}, allow_redirects=False)
        assert r.status == 403
    b, csrf = await dash.signed_in("admin")
    async with b:
        assert (await b.post(f"{dash.base}/web/ky/{period}/dong", allow_redirects=False)).status == 403
        p = await dash.app.services.reports.period(period)
        assert p is not None and p.is_open
        r = await b.post(f"{dash.base}/web/ky/{period}/dong", data={"csrf": csrf, "xac_nhan": "1"},
                         allow_redirects=False)
        assert r.status == 303
        p = await dash.app.services.reports.period(period)
        assert p is not None and not p.is_open
        assert await dash.app.services.reminder_plan(period) == [] or all(
            line.status != "planned" for line in await dash.app.services.reminder_plan(period))
        log = await (await b.get(dash.base + "/web/nhat-ky?hanh_dong=period.")).text()
        rows = set(re.findall(r'<tr data-action="([^"]+)"', log))
        assert "period.update" in rows and rows <= {"period.open", "period.update"}
        assert "Quản trị Nội vụ" in log
        assert "Đổi hạn, đối tượng hoặc đóng kỳ" in log and ">Kỳ báo cáo (mọi việc)</option>" in log
        await dash.app.services.announcements.create(doc_type="Thông báo", summary="Họp", audience={"units": ["X_CAOLOC"]})
        everything = html.unescape(await (await b.get(dash.base + "/web/nhat-ky")).text())
        assert '<tr data-action="web.signin"' in everything and "Lãnh đạo (xem)" in everything
        # details as a person reads them, not as Python prints them
        assert "audience: units: X_CAOLOC" in everything and "{'" not in everything and "['" not in everything
    updates = await audit(dash, "period.update")
    assert len(updates) == 1 and updates[0].actor.startswith("member:") and updates[0].detail["status"] == "closed"


async def test_the_periods_page_title_is_just_its_name(dash: Dash) -> None:
    b, _ = await dash.signed_in("admin")
    async with b:
        page = await (await b.get(dash.base + "/web/ky")).text()
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title and title.group(1).startswith("Kỳ báo cáo — ") and len(title.group(1)) < 80, title
    assert "<" not in title.group(1) and page.count('id="open-form"') == 1


async def test_closing_a_period_asks_first_and_says_how_many_have_not_reported(dash: Dash) -> None:
    period = await dash.open_period()  # kinds: xa
    await dash.submit(period, "X_CAOLOC")
    figures = await dash.app.services.reports.figures(period)
    assert figures is not None and figures.done == 1
    b, csrf = await dash.signed_in("admin")
    async with b:
        listing = await (await b.get(dash.base + "/web/ky")).text()
        assert f'<a class="button close-period" href="/web/ky/{period}/dong">Đóng kỳ</a>' in listing
        r = await b.get(f"{dash.base}/web/ky/{period}/dong")
        page = await r.text()
        assert r.status == 200, page
        missing = re.search(r'<li id="close-missing">(.*?)</li>', page, re.S)
        assert missing and f"{figures.total - 1} đơn vị chưa nộp báo cáo" in missing.group(1)
        assert "không nộp hay sửa báo cáo" in page and "lượt nhắc chưa gửi được hủy" in page
        assert 'name="xac_nhan" value="1"' in page and 'id="close-back"' in page
        # a POST without the confirmation (an old page, a stray click) closes nothing
        r = await b.post(f"{dash.base}/web/ky/{period}/dong", data={"csrf": csrf}, allow_redirects=False)
        assert r.status == 303 and r.headers["Location"] == f"/web/ky/{period}/dong"
        p = await dash.app.services.reports.period(period)
        assert p is not None and p.is_open
        r = await b.post(f"{dash.base}/web/ky/{period}/dong", data={"csrf": csrf, "xac_nhan": "1"},
                         allow_redirects=False)
        assert r.status == 303 and r.headers["Location"] == f"/web/ky?da_dong={period}"
        p = await dash.app.services.reports.period(period)
        assert p is not None and not p.is_open
        # the confirm page of a closed period goes back to the list
        r = await b.get(f"{dash.base}/web/ky/{period}/dong", allow_redirects=False)
        assert r.status == 303
        log = await (await b.get(dash.base + "/web/nhat-ky?hanh_dong=period.update")).text()
        assert '<tr data-action="period.update"' in log
    viewer, _ = await dash.signed_in("viewer")
    async with viewer:
        assert (await viewer.get(f"{dash.base}/web/ky/{period}/dong")).status == 403
    updates = await audit(dash, "period.update")
    assert len(updates) == 1 and updates[0].detail == {**updates[0].detail, "id": period, "status": "closed"}
    assert updates[0].actor.startswith("member:")


async def test_units_and_the_printable_invite_sheet(dash: Dash) -> None:
    import html as html_lib

    from bot.web.units import qr_svg

    await dash.bind(OFFICER_CHAT, "X_CAOLOC")
    viewer, vcsrf = await dash.signed_in("viewer")
    async with viewer:
        page = await (await viewer.get(dash.base + "/web/don-vi?chua_lien_ket=1")).text()
        assert "X_DONGDANG" in page and 'data-unit="X_CAOLOC"' not in page and "Phiếu mời" not in page
        r = await viewer.post(dash.base + "/web/don-vi/phieu-moi", data={"csrf": vcsrf, "pham_vi": "chua_lien_ket"})
        assert r.status == 403
    b, csrf = await dash.signed_in("admin")
    async with b:
        units = await dash.app.services.units.list()
        unbound = [u for u, n in units if n == 0]
        r = await b.post(dash.base + "/web/don-vi/phieu-moi", data={"csrf": csrf, "pham_vi": "chua_lien_ket"})
        assert r.status == 200
        sheet = await r.text()
        blocks = re.findall(r'<article class="invite" data-unit="([^"]+)">', sheet)
        assert sorted(blocks) == sorted(u.code for u in unbound) and "X_CAOLOC" not in blocks
        codes = re.findall(r'<b class="code">([A-Z0-9]+)</b>', sheet)
        assert len(set(codes)) == len(unbound)
        # each QR encodes the bot's deep link for that unit's code (the fake Bot API has a username)
        link = dash.app._invite_link(codes[0])
        assert link and link.endswith(f"?start={codes[0]}")
        assert str(qr_svg(link)) in sheet and sheet.count('class="segno"') == len(unbound)
        # the codes work: an officer of the first unit binds with it
        reply = (await dash.say(5399, f"/start {html_lib.unescape(codes[0])}"))[-1].text
        assert "Đã liên kết" in reply
        # ticked units only
        caoloc = next(u for u, _ in units if u.code == "X_CAOLOC")
        r = await b.post(dash.base + "/web/don-vi/phieu-moi", data={"csrf": csrf, "pham_vi": "da_chon",
                                                                    "don_vi": str(caoloc.id)})
        assert re.findall(r'data-unit="([^"]+)">', await r.text()) == ["X_CAOLOC"]
    from_web = [a for a in await audit(dash, "invite.create") if a.actor.startswith("member:")]
    assert len(from_web) == len(unbound) + 1  # the harness's own /start invite was made by "cli"


async def test_a_too_long_or_empty_return_reason_is_refused_and_kept(dash: Dash) -> None:
    """Not cut to the limit in silence: the page again with the reason typed, nothing returned."""
    import html as html_lib

    await dash.bind(OFFICER_CHAT, "X_CAOLOC")
    period = await dash.open_period()
    sub = await dash.submit(period, "X_CAOLOC")
    await dash.drain()
    before = len(dash.tg.messages_to(OFFICER_CHAT))
    b, csrf = await dash.signed_in("admin")
    async with b:
        long_reason = ("Thiếu số liệu khen thưởng <cấp tỉnh> & cấp xã. " * 120)[:5000]
        r = await b.post(f"{dash.base}/web/bao-cao/{sub}/tra-lai", data={"csrf": csrf, "ly_do": long_reason},
                         allow_redirects=False)
        page = await r.text()
        assert r.status == 400
        error = page.split('id="action-error">', 1)[1].split("</p>", 1)[0]
        assert "5.000 ký tự" in error and "2.000 ký tự" in error and "chưa bị trả lại" in error
        box = page.split('id="reason"', 1)[1].split(">", 1)[1].split("</textarea>", 1)[0]
        assert html_lib.unescape(box) == long_reason
        for empty in ("", "   "):
            r = await b.post(f"{dash.base}/web/bao-cao/{sub}/tra-lai", data={"csrf": csrf, "ly_do": empty},
                             allow_redirects=False)
            assert r.status == 400 and "ít nhất 5 ký tự" in await r.text()
        view = await dash.app.services.reports.submission_by_id(sub)
        assert view is not None and view.status == "submitted"
        await dash.drain()
        assert len(dash.tg.messages_to(OFFICER_CHAT)) == before, "the unit was told nothing"
        assert await audit(dash, "web.return") == []
        # at the limit exactly: returned, the whole reason kept
        reason = "Đề nghị bổ sung số liệu. " + "x" * 1975
        assert len(reason) == 2000
        r = await b.post(f"{dash.base}/web/bao-cao/{sub}/tra-lai", data={"csrf": csrf, "ly_do": reason},
                         allow_redirects=False)
        assert r.status == 303 and "xong=returned" in r.headers["Location"]
    view = await dash.app.services.reports.submission_by_id(sub)
    assert view is not None and view.status == "returned" and view.return_reason == reason


async def test_remind_the_chosen_units_with_none_chosen_says_so_and_sends_nothing(dash: Dash) -> None:
    await dash.bind(OFFICER_CHAT, "X_DONGDANG")
    period = await dash.open_period()
    await dash.drain()
    before = len(dash.tg.messages_to(OFFICER_CHAT))
    b, csrf = await dash.signed_in("admin")
    async with b:
        r = await b.post(f"{dash.base}/web/ky/{period}/nhac-ngay",
                         data={"csrf": csrf, "pham_vi": "da_chon", "quay_lai": "?trang_thai=missing"})
        page = await r.text()
        assert r.status == 200 and "trang_thai=missing" in str(r.url), "the filter is kept"
        result = page.split('id="remind-result">', 1)[1].split("</p>", 1)[0]
        assert "Đồng chí chưa chọn đơn vị nào để nhắc" in result and "Đã gửi nhắc tới" not in page
    await dash.drain()
    assert len(dash.tg.messages_to(OFFICER_CHAT)) == before
    assert await audit(dash, "web.remind_now") == []


async def test_nhac_ngay_pressed_twice_reminds_once(dash: Dash) -> None:
    """The page's form carries a one-time key: the same form sent again (a double click, a
    reload of the POST) says it was sent already and sends nothing more; the page drawn anew
    has a new key, so the office can remind again on purpose."""
    await dash.bind(OFFICER_CHAT, "X_DONGDANG")
    period = await dash.open_period()
    await dash.drain()
    before = len(dash.tg.messages_to(OFFICER_CHAT))
    b, csrf = await dash.signed_in("admin")
    async with b:
        page = await (await b.get(f"{dash.base}/web/ky/{period}")).text()
        key = re.search(r'name="khoa" value="([^"]+)"', page)
        assert key
        form = {"csrf": csrf, "pham_vi": "tat_ca", "khoa": key.group(1)}
        first, second = await asyncio.gather(*(b.post(f"{dash.base}/web/ky/{period}/nhac-ngay", data=form,
                                                      allow_redirects=False) for _ in range(2)))
        assert sorted("da_nhac_truoc=1" in r.headers["Location"] for r in (first, second)) == [False, True]
        await dash.drain()
        assert len(dash.tg.messages_to(OFFICER_CHAT)) == before + 1
        page = await (await b.get(f"{dash.base}/web/ky/{period}?da_nhac_truoc=1")).text()
        assert "đã được gửi từ lần bấm trước" in page
        fresh = re.search(r'name="khoa" value="([^"]+)"', page)
        assert fresh and fresh.group(1) != key.group(1)
        r = await b.post(f"{dash.base}/web/ky/{period}/nhac-ngay", data={**form, "khoa": fresh.group(1)},
                         allow_redirects=False)
        assert "da_nhac=" in r.headers["Location"]
        await dash.drain()
        assert len(dash.tg.messages_to(OFFICER_CHAT)) == before + 2
    assert len(await audit(dash, "web.remind_now")) == 2
