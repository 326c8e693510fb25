"""Pages 2 and 7: the reporting periods (open one, change its deadline or audience, close it)
and the audit log (Nhật ký).

Opening and changing go through ``PeriodService.open``/``.change`` — the use cases the chat's
/kybaocao and ``tdkt-bot periods`` call — after a preview of the reminder plan computed by the
same planning code without storing anything (``preview_open``/``preview_change``). Closing goes
through ``Services.change_period`` from a confirm page that says what closing does (it cannot be
undone); the log is read back through ``AuditService``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.services.audience import AudienceError
from bot.services.reports import STATE_LABELS, PeriodError, PeriodView, UnitState
from bot.services.web_access import WebUser
from bot.web.guard import Refused, require
from bot.web.period_form import KINDS, ChangeDraft, PeriodDraft
from bot.web.security import see_other
from bot.web.uploads import form_of

if TYPE_CHECKING:
    from bot.web.dashboard import Dashboard

ACTION_FAMILIES = ("period.", "report.", "announce", "invite.", "units.", "member.", "web.")


class OfficePages:
    def __init__(self, dash: Dashboard) -> None:
        self.dash = dash
        self.services = dash.services

    def register(self, r: web.UrlDispatcher) -> None:
        r.add_get("/web/ky", self.periods)
        r.add_post("/web/ky/mo", self.open)
        r.add_get("/web/ky/{id}/dong", self.close_page)
        r.add_post("/web/ky/{id}/dong", self.close)
        r.add_get("/web/ky/{id}/doi-han", self.change_page)
        r.add_post("/web/ky/{id}/doi-han", self.change)
        r.add_get("/web/nhat-ky", self.log)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.dash.settings.timezone)

    async def _choices(self) -> dict[str, Any]:
        """What the audience and form pickers offer."""
        forms = sorted(self.services.forms.values(), key=lambda f: f.id)
        return {"forms": forms, "groups": await self.services.units.group_names(), "kinds": KINDS}

    async def periods(self, request: web.Request, draft: PeriodDraft | None = None,
                      status: int = 200) -> web.Response:
        user = await require(request, self.dash.access, staff=True)
        items = []
        for p in await self.services.reports.periods():
            items.append((p, await self.services.reports.figures(p.id)))
        return self.dash.page("periods", status=status, user=user, items=items, labels=STATE_LABELS,
                              states=list(UnitState), closed=request.query.get("da_dong", ""),
                              opened=request.query.get("da_mo", ""), d=draft or PeriodDraft(),
                              **await self._choices())

    async def open(self, request: web.Request) -> web.Response:
        """"Xem lịch nhắc" shows the plan to confirm; "Mở kỳ" opens the period — announced and
        with its reminders, one transaction, as /kybaocao does; "Sửa lại" goes back to the form.
        A refusal (400) shows the form again with everything as typed."""
        user = await require(request, self.dash.access, admin=True)
        form = await form_of(request)
        draft = PeriodDraft.from_form(form)
        action = form.get("hanh_dong", "xem")
        if action == "sua":
            return await self.periods(request, draft)
        draft.check(set(self.services.forms))
        if not draft.ok:
            return await self.periods(request, draft, status=400)
        due_at, offsets = draft.due_at(self.tz), draft.offset_list()
        try:
            if action != "mo":
                preview = await self.services.periods.preview_open(
                    form_id=draft.form_id, due_at=due_at, audience=draft.audience.to_json(), remind_offsets=offsets,
                    label=draft.label, cutoff=draft.cutoff_date())
                return self.dash.page("period_confirm", user=user, d=draft, preview=preview, due_at=due_at,
                                      title=self.services.forms[draft.form_id].title, **await self._choices())
            period = await self.services.periods.open(
                form_id=draft.form_id, label=draft.label, due_at=due_at, cutoff=draft.cutoff_date(),
                audience=draft.audience.to_json(), remind_offsets=offsets, created_by=user.member_id,
                actor=user.actor)
        except (PeriodError, AudienceError) as exc:
            draft.problem = str(exc)
            return await self.periods(request, draft, status=400)
        return see_other(f"/web/ky?da_mo={period.id}")

    async def _period(self, request: web.Request) -> PeriodView:
        raw = request.match_info["id"]
        if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
            raise Refused(404, "not_found")
        period = await self.services.reports.period(int(raw))
        if period is None:
            raise Refused(404, "not_found")
        return period

    async def _change_form(self, user: WebUser, period: PeriodView, draft: ChangeDraft, *, status: int = 200,
                           preview: Any = None, changed: bool = False) -> web.Response:
        """The period's deadline and audience form, with the reminder times planned now
        (one line per time: every unit of the period has the same ones)."""
        planned = sorted({(line.kind, line.planned_for, line.send_at)
                          for line in await self.services.reminders.plan_lines(period.id) if line.status == "planned"},
                         key=lambda t: t[2])
        return self.dash.page("period_change", status=status, user=user, p=period, d=draft, preview=preview,
                              planned=planned, changed=changed, **await self._choices())

    async def change_page(self, request: web.Request) -> web.Response:
        user = await require(request, self.dash.access, admin=True)
        period = await self._period(request)
        return await self._change_form(user, period, ChangeDraft.of(period.due_at, period.audience, self.tz),
                                       changed=request.query.get("xong") == "1")

    async def change(self, request: web.Request) -> web.Response:
        """"Xem lịch nhắc" previews the new plan; "Lưu thay đổi" changes the period and plans its
        reminders again (``PeriodService.change``, one transaction), announcing a new deadline
        when asked.

        An audience that takes units out of the period is saved only from a preview that named
        them (the form carries ``da_xem``, the preview's ``leaving_key``): otherwise the
        preview with its warning is shown instead, and nothing changes."""
        user = await require(request, self.dash.access, admin=True)
        period = await self._period(request)
        form = await form_of(request)
        draft = ChangeDraft.from_form(form)
        if not period.is_open:
            draft.problem = "Kỳ báo cáo đã đóng, không đổi được hạn nộp hay đối tượng."
            return await self._change_form(user, period, draft, status=400)
        draft.check()
        if not draft.ok:
            return await self._change_form(user, period, draft, status=400)
        due_at, audience = draft.due_at(self.tz), draft.audience.to_json()
        new_due = due_at if due_at != period.due_at else None
        new_audience = audience if audience != period.audience else None
        try:
            preview = None
            if form.get("hanh_dong", "xem") != "luu" or new_audience is not None:
                preview = await self.services.periods.preview_change(period.id, due_at=new_due, audience=new_audience)
            if form.get("hanh_dong", "xem") != "luu":
                return await self._change_form(user, period, draft, preview=preview)
            if preview is not None and preview.leaving and form.get("da_xem", "") != preview.leaving_key:
                draft.unseen = True
                return await self._change_form(user, period, draft, preview=preview)
            if new_due is not None or new_audience is not None:
                await self.services.periods.change(period.id, due_at=new_due, audience=new_audience,
                                                   announce=draft.announce and new_due is not None, actor=user.actor)
        except (PeriodError, AudienceError) as exc:
            draft.problem = str(exc)
            return await self._change_form(user, period, draft, status=400)
        return see_other(f"/web/ky/{period.id}/doi-han?xong=1")

    async def close_page(self, request: web.Request) -> web.Response:
        """What closing does, before it is done: closing is for good (officers can no longer
        submit or correct, reminders stop), so the list's "Đóng kỳ" leads here first."""
        user = await require(request, self.dash.access, admin=True)
        period = await self._period(request)
        if not period.is_open:
            return see_other(f"/web/ky?da_dong={period.id}")
        figures = await self.services.reports.figures(period.id)
        missing = figures.total - figures.done if figures else 0
        return self.dash.page("period_close", user=user, p=period, figures=figures, missing=missing)

    async def close(self, request: web.Request) -> web.Response:
        """Close the period — only from the confirm page (``xac_nhan=1``); a POST without it
        (an old list page, a stray click) is sent to that page and closes nothing."""
        user = await require(request, self.dash.access, admin=True)
        period = await self._period(request)
        form = await form_of(request)
        if form.get("xac_nhan") != "1":
            return see_other(f"/web/ky/{period.id}/dong")
        if period.is_open:
            await self.services.change_period(period.id, status="closed", actor=user.actor)
        return see_other(f"/web/ky?da_dong={period.id}")

    async def log(self, request: web.Request) -> web.Response:
        user = await require(request, self.dash.access, staff=True)
        actor = request.query.get("nguoi", "")[:120]
        action = request.query.get("hanh_dong", "")[:60]
        entries = await self.services.audit.entries(actor=actor or None, action=action or None)
        actors, actions = await self.services.audit.choices()
        return self.dash.page("audit", user=user, entries=entries, actors=actors, actions=actions,
                              families=ACTION_FAMILIES, actor=actor, action=action)
