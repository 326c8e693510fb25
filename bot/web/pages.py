"""Pages 1, 3 and 4: the overview, a period's units, a submission — and their actions.

Every figure and every action comes from the services the chat handlers use (/tiendo,
"Nhắc ngay", /xuat, "Trả lại", "Tiếp nhận"); this module only picks, filters and lays out.
"""

from __future__ import annotations

import asyncio
import mimetypes
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.core.callbacks import number
from bot.core.text import fold, name_key, vietnamese_order
from bot.forms.engine import FormEngine, answer_files
from bot.services.reports import (
    MAX_RETURN_REASON,
    MIN_RETURN_REASON,
    STATE_LABELS,
    SubmissionView,
    UnitState,
    UnitStatusRow,
)
from bot.services.units import KIND_LABELS
from bot.services.web_access import WebUser
from bot.web.downloads import stored_file
from bot.web.guard import Refused, require
from bot.web.once import first_time
from bot.web.security import see_other
from bot.web.unit_table import UnitRows
from bot.web.uploads import form_of

if TYPE_CHECKING:
    from bot.web.dashboard import Dashboard

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SORTS = {"code", "name", "group", "status", "submitted"}


def _int(value: str) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise Refused(404, "not_found")
    return int(value)


def _kind_order(kind: str) -> tuple[str, str]:
    """The "Loại" filter lists kinds by the words it shows ("Phường" before "Xã")."""
    return vietnamese_order(KIND_LABELS.get(kind, kind))


class ReportPages:
    def __init__(self, dash: Dashboard) -> None:
        self.dash = dash
        self.services = dash.services
        self.unit_rows = UnitRows(ZoneInfo(dash.settings.timezone))

    def register(self, r: web.UrlDispatcher) -> None:
        r.add_get("/web", self.overview)
        r.add_get("/web/tong-quan/so-lieu", self.overview_figures)
        r.add_get("/web/ky/{id}", self.period)
        r.add_get("/web/ky/{id}/so-lieu", self.period_figures)
        r.add_post("/web/ky/{id}/nhac-ngay", self.remind_now)
        r.add_get("/web/ky/{id}/excel", self.excel)
        r.add_get("/web/bao-cao/{id}", self.submission)
        r.add_post("/web/bao-cao/{id}/tra-lai", self.return_submission)
        r.add_post("/web/bao-cao/{id}/tiep-nhan", self.accept)
        r.add_get("/web/bao-cao/{id}/tep/{n}", self.file)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.dash.settings.timezone)

    # ---- 1. Tổng quan -----------------------------------------------------------------------
    async def overview(self, request: web.Request) -> web.Response:
        user = await require(request, self.dash.access)
        if not user.sees_all:
            return await self.unit_home(user)
        return self.dash.page("overview", user=user, **await self._overview_data())

    async def overview_figures(self, request: web.Request) -> web.Response:
        user = await require(request, self.dash.access, staff=True)
        return self.dash.page("overview_figures", user=user, **await self._overview_data())

    async def _overview_data(self) -> dict[str, Any]:
        """Figures only (tallies, the unreached units): no row per unit is read for the overview.

        The reads are independent, so they run side by side: on PostgreSQL each takes its own
        pooled connection and the page waits for the slowest instead of the sum (each read's
        round trips cost more there than its query); on SQLite, with its one connection, they
        take turns as before."""
        local_now = self.services.clock.now().astimezone(self.tz)
        start = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
        periods, announcements, unreached, planned = await asyncio.gather(
            self.services.reports.open_figures(), self.services.announcements.recent(8),
            self.services.units.unreached(), self.services.reminders.planned_between(start, start + timedelta(days=1)))
        labels = {f.period.id: f.period for f in periods}
        planned_today = [(labels[pid], line) for pid, line in planned if pid in labels]
        return {"periods": periods, "labels": STATE_LABELS, "states": list(UnitState),
                "announcements": announcements, "unreached": unreached,
                "planned_today": planned_today, "now": self.services.clock.now()}

    async def unit_home(self, user: WebUser) -> web.Response:
        """An officer's dashboard: their unit in each open period, and what it was sent."""
        assert user.unit is not None
        items = []
        for p in await self.services.reports.open_periods_for(user.unit.id):
            prog = await self.services.reports.progress(p.id)
            state = prog.states.get(user.unit.id) if prog else None
            items.append((p, state, await self.services.reports.submission(user.unit.id, p.id)))
        received = await self.services.announcements.for_unit(user.unit.id)
        return self.dash.page("unit_home", user=user, items=items, labels=STATE_LABELS, received=received)

    # ---- 3. a period ------------------------------------------------------------------------
    async def _exists(self, period_id: int) -> None:
        if await self.services.reports.period(period_id) is None:
            raise Refused(404, "not_found")

    async def period(self, request: web.Request) -> web.Response:
        user = await require(request, self.dash.access, staff=True)
        period_id = _int(request.match_info["id"])
        prog = await self.services.reports.period_table(period_id)
        if prog is None:
            raise Refused(404, "not_found")
        rows = prog.rows
        q = request.query
        status, group, kind = q.get("trang_thai", ""), q.get("cum", ""), q.get("loai", "")
        search = fold(q.get("tim", ""))  # "cao loc" finds "Xã Cao Lộc": both sides folded
        sort = q.get("sap_xep", "code") if q.get("sap_xep", "code") in SORTS else "code"
        shown = [r for r in rows
                 if (not status or (status == "missing" and r.missing) or r.state.value == status)
                 and (not group or group in r.groups)
                 and (not kind or r.kind == kind)
                 and (not search or search in name_key(r.code) or search in name_key(r.name))]
        order = list(UnitState)
        keys: dict[str, Callable[[UnitStatusRow], Any]] = {
            "code": lambda r: r.code, "name": lambda r: vietnamese_order(r.name), "group": lambda r: (r.groups[:1], r.code),
            "status": lambda r: (order.index(r.state), r.code),
            "submitted": lambda r: (r.submitted_at is None, r.submitted_at or 0)}
        shown.sort(key=keys[sort])
        filters = {"trang_thai": status, "cum": group, "loai": kind, "tim": q.get("tim", ""), "sap_xep": sort}
        return self.dash.page(
            "period", user=user, prog=prog, shown=len(shown), total=len(rows),
            table=self.unit_rows.html(shown, admin=user.is_admin), labels=STATE_LABELS, states=list(UnitState),
            groups=sorted({g for r in rows for g in r.groups}), kinds=sorted({r.kind for r in rows}, key=_kind_order),
            filters=filters, query=urlencode({k: v for k, v in filters.items() if v}),
            reminded=q.get("da_nhac"), none_picked=q.get("chua_chon") == "1", repeat=q.get("da_nhac_truoc") == "1",
            unreachable=q.get("khong_lien_lac"), now=self.services.clock.now())

    async def period_figures(self, request: web.Request) -> web.Response:
        user = await require(request, self.dash.access, staff=True)
        figures = await self.services.reports.figures(_int(request.match_info["id"]))
        if figures is None:
            raise Refused(404, "not_found")
        return self.dash.page("period_figures", user=user, prog=figures, labels=STATE_LABELS, states=list(UnitState),
                              now=self.services.clock.now())

    async def remind_now(self, request: web.Request) -> web.Response:
        """"Nhắc ngay": to the ticked units that are still missing, or to every missing unit."""
        user = await require(request, self.dash.access, admin=True)
        period_id = _int(request.match_info["id"])
        await self._exists(period_id)
        form = await form_of(request)
        only = None
        if form.get("pham_vi") != "tat_ca":
            only = {n for v in form.getall("don_vi", []) if (n := number(str(v))) is not None}
        back = str(form.get("quay_lai", ""))
        back = back if back.startswith("?") or not back else ""
        sep = "&" if back else "?"
        if only is not None and not only:  # "đã chọn" with no box ticked: say so, send nothing
            return see_other(f"/web/ky/{period_id}{back}{sep}chua_chon=1")
        if not await first_time(self.services.reminders, form, "remind_now"):
            return see_other(f"/web/ky/{period_id}{back}{sep}da_nhac_truoc=1")
        reached, unreachable = await self.services.remind_missing_now(period_id, only=only)
        await self.dash.access.record(user, "web.remind_now", period=period_id,
                                      scope="all" if only is None else sorted(only), reached=reached)
        return see_other(f"/web/ky/{period_id}{back}{sep}da_nhac={reached}&khong_lien_lac={len(unreachable)}")

    async def excel(self, request: web.Request) -> web.Response:
        user = await require(request, self.dash.access, staff=True)
        period_id = _int(request.match_info["id"])
        await self._exists(period_id)
        name, data = await self.services.export_period(period_id)
        await self.dash.access.record(user, "web.export", period=period_id)
        return web.Response(body=data, content_type=XLSX,
                            headers={"Content-Disposition": f"attachment; filename=\"{quote(name)}\""})

    # ---- 4. a submission --------------------------------------------------------------------
    async def _submission(self, request: web.Request, user: WebUser) -> SubmissionView:
        sub = await self.services.reports.submission_by_id(_int(request.match_info["id"]))
        if sub is None or not user.may_see_unit(sub.unit.id):
            raise Refused(404, "not_found")  # another unit's report does not even exist for an officer
        return sub

    async def submission(self, request: web.Request) -> web.Response:
        user = await require(request, self.dash.access)
        sub = await self._submission(request, user)
        error = request.query.get("loi", "")  # a too-long reason is shown by the POST itself, with its length
        return await self._submission_page(user, sub, error=error if error in ("reason", "state") else "",
                                           done=request.query.get("xong", ""))

    async def _submission_page(self, user: WebUser, sub: SubmissionView, *, error: str = "", done: str = "",
                               reason: str = "", length: int = 0, status: int = 200) -> web.Response:
        """The submission page; after a refused "Trả lại", with the reason typed kept in its box."""
        period = await self.services.reports.period(sub.period_id)
        assert period is not None
        engine = FormEngine(self.services.forms[period.form_id])
        ctx = self.services.submission_context(period, sub)
        lines = engine.summary(sub.answers, ctx, max_text=100_000)
        sections: list[tuple[str, list[Any]]] = []
        for line in lines:
            if not sections or sections[-1][0] != (line.section or ""):
                sections.append((line.section or "", []))
            sections[-1][1].append(line)
        revisions = await self.services.reports.revisions(sub.id)
        changed: set[str] = set()
        if len(revisions) > 1:
            before, after = revisions[-2].answers, revisions[-1].answers
            changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        files = [(n, f, (f.get("mime") or mimetypes.guess_type(f.get("name", ""))[0] or ""))
                 for n, f in enumerate(self._files(sub))]
        return self.dash.page("submission", user=user, s=sub, period=period, sections=sections, changed=changed,
                              revisions=revisions, files=files, min_reason=MIN_RETURN_REASON,
                              max_reason=MAX_RETURN_REASON, error=error, done=done, reason=reason, length=length,
                              status=status)

    @staticmethod
    def _files(sub: SubmissionView) -> list[dict[str, Any]]:
        return [f for v in sub.answers.values() for f in answer_files(v) if f.get("sha256") and f.get("file_ref")]

    async def file(self, request: web.Request) -> web.Response:
        """A file of the report, shown in the browser (images, PDFs) rather than downloaded."""
        user = await require(request, self.dash.access)
        sub = await self._submission(request, user)
        files = self._files(sub)
        n = _int(request.match_info["n"])
        if n >= len(files):
            raise Refused(404, "not_found")
        f = files[n]
        return await stored_file(self.services.files, {"path": f["file_ref"], "name": f.get("name", ""),
                                                       "mime": f.get("mime", "")})

    async def return_submission(self, request: web.Request) -> web.Response:
        """"Trả lại" with a reason; the unit is told in chat at once (same use case as the chat's)."""
        user = await require(request, self.dash.access, admin=True)
        sub = await self._submission(request, user)
        typed = str((await form_of(request)).get("ly_do", ""))
        reason = " ".join(typed.split())
        if len(reason) < MIN_RETURN_REASON or len(reason) > MAX_RETURN_REASON:
            # refused, not cut: the page again with what was typed, and nothing returned
            return await self._submission_page(user, sub, error="reason" if len(reason) < MIN_RETURN_REASON
                                               else "reason_long", reason=typed, length=len(reason), status=400)
        returned = await self.services.reports.return_submission(sub.id, reason, user.member_id)
        if returned is None:
            return see_other(f"/web/bao-cao/{sub.id}?loi=state")
        period = await self.services.reports.period(returned.period_id)
        assert period is not None
        told = await self.services.notify_returned(returned, period)
        await self.dash.access.record(user, "web.return", submission=sub.id, told=told)
        return see_other(f"/web/bao-cao/{sub.id}?xong={'returned' if told else 'returned_untold'}")

    async def accept(self, request: web.Request) -> web.Response:
        user = await require(request, self.dash.access, admin=True)
        sub = await self._submission(request, user)
        accepted = await self.services.reports.accept(sub.id, user.member_id)
        if accepted is None:
            return see_other(f"/web/bao-cao/{sub.id}?loi=state")
        await self.dash.access.record(user, "web.accept", submission=sub.id)
        return see_other(f"/web/bao-cao/{sub.id}?xong=accepted")


__all__ = ["ReportPages"]
