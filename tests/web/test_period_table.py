"""The period page's table of units (written by bot/web/unit_table.py for speed): what each
row says, that free text is escaped, and that the filters still pick the rows."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from storage.models import ChatBinding, Unit
from tests.web.conftest import Dash

ROW = re.compile(r'<tr data-unit="([^"]+)" data-state="([^"]+)">(.*)')


async def test_rows_filters_and_escaping(dash: Dash) -> None:
    async with dash.app.uow() as uow:
        await uow.session.execute(update(Unit).where(Unit.code == "X_DONGDANG").values(name='Xã <i>Đồng</i> "Đăng" & cộng sự'))
        await uow.commit()
    await dash.bind(5401, "X_CAOLOC")
    await dash.bind(5402, "X_CAOLOC", name="Cán bộ hai")
    async with dash.app.uow() as uow:  # the same officer also follows the Official Account
        tg = (await uow.session.scalars(select(ChatBinding).where(ChatBinding.chat_id == "5401"))).one()
        uow.session.add(ChatBinding(member_id=tg.member_id, channel="zalo_oa", chat_id="oa-user-1",
                                    person_id="oa-user-1", bound_at=tg.bound_at))
        await uow.commit()
    period = await dash.open_period()
    sub = await dash.submit(period, "X_CAOLOC")
    b, _ = await dash.signed_in("admin")
    async with b:
        units_page = await (await b.get(f"{dash.base}/web/don-vi")).text()
        assert re.search(r'data-channels="telegram zalo_oa">Zalo OA, Telegram 2</td>', units_page)
        assert re.search(r'class="bad" data-channels="">chưa có</td>', units_page)
        page = await (await b.get(f"{dash.base}/web/ky/{period}")).text()
        rows = {code: (state, rest) for code, state, rest in ROW.findall(page)}
        prog = await dash.app.services.reports.progress(period)
        assert prog is not None and set(rows) == {u.code for u in prog.units.values()}
        assert f"Đang hiện {len(rows)}/{prog.total} đơn vị" in page
        state, caoloc = rows["X_CAOLOC"]
        assert state == "da_nop" and f'<a href="/web/bao-cao/{sub}">' in caoloc and " disabled>" in caoloc
        assert '<b class="s-da_nop">đã nộp</b>' in caoloc and caoloc.endswith("<td>Zalo OA, Telegram 2")
        state, dongdang = rows["X_DONGDANG"]
        assert state == "chua_bat_dau" and "disabled" not in dongdang.split("<td>", 2)[1]
        assert dongdang.endswith('<td class="bad">chưa có'), "the Đơn vị page's words, not a red 0"
        assert "Xã &lt;i&gt;Đồng&lt;/i&gt; &#34;Đăng&#34; &amp; cộng sự" in dongdang and "<i>" not in page
        # the tick boxes are the ones "Nhắc ngay" reads
        assert re.search(r'name="don_vi" value="\d+">', dongdang)
        # filters: missing only, a search, a search that matches nothing
        page = await (await b.get(f"{dash.base}/web/ky/{period}?trang_thai=missing")).text()
        codes = {c for c, _, _ in ROW.findall(page)}
        assert "X_CAOLOC" not in codes and "X_DONGDANG" in codes and len(codes) == len(rows) - 1
        page = await (await b.get(f"{dash.base}/web/ky/{period}?tim=caoloc")).text()
        assert [c for c, _, _ in ROW.findall(page)] == ["X_CAOLOC"]
        page = await (await b.get(f"{dash.base}/web/ky/{period}?tim=khong-co-dau")).text()
        assert not ROW.findall(page) and "Không có đơn vị nào khớp bộ lọc." in page
    # a viewer sees the same rows without tick boxes
    v, _ = await dash.signed_in("viewer")
    async with v:
        page = await (await v.get(f"{dash.base}/web/ky/{period}")).text()
        assert len(ROW.findall(page)) == len(rows) and 'name="don_vi"' not in page
        assert '<table class="units" id="units">' in page


async def test_search_ignores_accents_and_names_sort_as_vietnamese(dash: Dash) -> None:
    async with dash.app.uow() as uow:
        await uow.session.execute(update(Unit).where(Unit.code == "X_NAMQUAN").values(name="Thị trấn Na Dương"))
        await uow.commit()
    period = await dash.open_period()
    b, _ = await dash.signed_in("admin")
    async with b:
        async def codes(query: str) -> list[str]:
            page = await (await b.get(f"{dash.base}/web/ky/{period}", params={"tim": query})).text()
            return [c for c, _, _ in ROW.findall(page)]

        assert await codes("cao loc") == ["X_CAOLOC"]
        assert await codes("na duong") == ["X_NAMQUAN"]
        assert await codes("dong dang") == await codes("ĐỒNG ĐĂNG") == await codes("Đồng Đăng") == ["X_DONGDANG"]
        assert await codes("x_cao") == ["X_CAOLOC"]
        page = await (await b.get(f"{dash.base}/web/ky/{period}?sap_xep=name")).text()
        order = [c for c, _, _ in ROW.findall(page)]
        picked = [c for c in order if c in {"X_BACSON", "X_BINHGIA", "X_CHILANG", "X_DINHLAP", "X_DONGDANG",
                                            "X_DONGMO", "X_HOANGVANTHU", "X_VANQUAN"}]
        # code-point order put "Bình" before "Bắc" and every "Đ…" after "V…"
        assert picked == ["X_BACSON", "X_BINHGIA", "X_CHILANG", "X_DINHLAP", "X_DONGDANG", "X_DONGMO",
                          "X_HOANGVANTHU", "X_VANQUAN"]


async def test_kinds_are_shown_in_words(dash: Dash) -> None:
    period = await dash.open_period({"kinds": ["xa", "phuong"]})
    b, _ = await dash.signed_in("admin")
    async with b:
        page = await (await b.get(f"{dash.base}/web/ky/{period}")).text()
        options = re.findall(r'<option value="(xa|phuong)"[^>]*>([^<]*)</option>', page)
        assert options == [("phuong", "Phường"), ("xa", "Xã")]
        page = await (await b.get(f"{dash.base}/web/ky/{period}?loai=phuong")).text()
        assert {c for c, _, _ in ROW.findall(page)} == {"P_TAMTHANH", "P_LUONGVANTRI", "P_DONGKINH", "P_KYLUA"}
        assert '<option value="phuong" selected>Phường</option>' in page
        units = await (await b.get(f"{dash.base}/web/don-vi")).text()
        assert '<td class="hide-s">Xã</td>' in units and '<td class="hide-s">xa</td>' not in units
        assert '<td class="hide-s">Sở, ban, ngành</td>' in units


async def test_the_units_page_searches_without_accents(dash: Dash) -> None:
    await dash.bind(5401, "X_CAOLOC")
    b, _ = await dash.signed_in("admin")
    async with b:
        async def codes(query: str) -> list[str]:
            page = await (await b.get(f"{dash.base}/web/don-vi", params=query)).text()
            return re.findall(r'<tr data-unit="([^"]+)">', page)

        page = await (await b.get(f"{dash.base}/web/don-vi")).text()
        assert '<table id="unit-list">' in page and 'id="units"' not in page
        assert await codes("tim=cao loc") == ["X_CAOLOC"]
        assert await codes("tim=dong dang") == ["X_DONGDANG"]
        assert await codes("tim=DONG") == ["P_DONGKINH", "X_DONGDANG", "X_DONGMO"]
        # with "chưa liên kết kênh": both filters at once, and the search kept in its box
        assert await codes("chua_lien_ket=1&tim=cao loc") == []
        page = await (await b.get(f"{dash.base}/web/don-vi", params="chua_lien_ket=1&tim=xa d")).text()
        assert 'value="xa d"' in page and 'name="chua_lien_ket" value="1"' in page
        assert set(re.findall(r'<tr data-unit="([^"]+)">', page)) == {"X_DONGDANG", "X_DONGMO", "X_DINHLAP"}
        page = await (await b.get(f"{dash.base}/web/don-vi?tim=khong-co")).text()
        assert "Không có đơn vị nào khớp." in page
