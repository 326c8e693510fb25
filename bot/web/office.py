"""Pages 2 and 7: the list of reporting periods (closing one) and the audit log (Nhật ký).

Closing goes through ``Services.change_period`` — the use case ``tdkt-bot periods close``
calls — and the log is read back through ``AuditService``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.services.reports import STATE_LABELS, UnitState
from bot.web.guard import Refused, require
from bot.web.security import see_other

if TYPE_CHECKING:
    from bot.web.dashboard import Dashboard

ACTION_FAMILIES = ("period.", "report.", "announce", "invite.", "units.", "member.", "web.")


class OfficePages:
    def __init__(self, dash: Dashboard) -> None:
        self.dash = dash
        self.services = dash.services

    def register(self, r: web.UrlDispatcher) -> None:
        r.add_get("/web/ky", self.periods)
        r.add_post("/web/ky/{id}/dong", self.close)
        r.add_get("/web/nhat-ky", self.log)

    async def periods(self, request: web.Request) -> web.Response:
        user = await require(request, self.dash.access, staff=True)
        items = []
        for p in await self.services.reports.periods():
            items.append((p, await self.services.reports.figures(p.id)))
        return self.dash.page("periods", user=user, items=items, labels=STATE_LABELS, states=list(UnitState),
                              closed=request.query.get("da_dong", ""))

    async def close(self, request: web.Request) -> web.Response:
        user = await require(request, self.dash.access, admin=True)
        raw = request.match_info["id"]
        if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
            raise Refused(404, "not_found")
        period = await self.services.reports.period(int(raw))
        if period is None:
            raise Refused(404, "not_found")
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
