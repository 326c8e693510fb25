"""Page 6 (first part): units with their chats, and a printable A4 invite sheet (the import
with its preview: ``bot.web.unit_import``).

Invite codes are made by ``MemberService.create_invite`` — the use case behind ``/moi`` and
``tdkt-bot invite`` — one per unit; each block of the sheet carries the unit's name, its
code and a QR code (segno, pure Python, inline SVG: no script, nothing fetched) of the
bot's deep link, or of "/start CODE" where the platform has no links (Zalo).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import segno
from aiohttp import web
from markupsafe import Markup

from bot.core.callbacks import number
from bot.core.text import fold, name_key
from bot.web.guard import require
from bot.web.unit_import import UnitImportPages
from bot.web.unit_table import channels_text
from bot.web.uploads import form_of

if TYPE_CHECKING:
    from bot.web.dashboard import Dashboard

INVITE_VALID = timedelta(days=30)  # a printed sheet travels by post and meetings


def qr_svg(text: str) -> Markup:
    """The QR code of ``text`` as inline SVG (segno writes only attributes, no style or script)."""
    return Markup(segno.make(text, error="m").svg_inline(scale=4, border=2))


class UnitPages:
    def __init__(self, dash: Dashboard, invite_link: Callable[[str], str | None]) -> None:
        self.dash = dash
        self.services = dash.services
        self.invite_link = invite_link

    def register(self, r: web.UrlDispatcher) -> None:
        r.add_get("/web/don-vi", self.units)
        r.add_post("/web/don-vi/phieu-moi", self.invite_sheet)
        UnitImportPages(self.dash).register(r)

    async def units(self, request: web.Request) -> web.Response:
        user = await require(request, self.dash.access, staff=True)
        only_unbound = request.query.get("chua_lien_ket") == "1"
        chats = await self.services.units.chats_by_channel()
        search = fold(request.query.get("tim", ""))  # "cao loc" finds "Xã Cao Lộc"
        rows = [(u, chats.get(u.id, {})) for u, n in await self.services.units.list()
                if (not only_unbound or n == 0)
                and (not search or search in name_key(u.code) or search in name_key(u.name))]
        return self.dash.page("units", user=user, rows=rows, only_unbound=only_unbound, channels=channels_text,
                              search=request.query.get("tim", ""))

    async def invite_sheet(self, request: web.Request) -> web.Response:
        """New invite codes for the ticked units (or all without a chat), as a sheet to print."""
        user = await require(request, self.dash.access, admin=True)
        form = await form_of(request)
        units = await self.services.units.list()
        if form.get("pham_vi") == "chua_lien_ket":
            chosen = [u for u, n in units if n == 0]
        else:
            ids = {n for v in form.getall("don_vi", []) if (n := number(str(v))) is not None}
            chosen = [u for u, _ in units if u.id in ids]
        blocks = []
        for unit in chosen:
            invite = await self.services.members.create_invite(
                unit.code, valid_for=INVITE_VALID, created_by=user.member_id, actor=user.actor)
            link = self.invite_link(invite.code)
            blocks.append((unit, invite, link, qr_svg(link or f"/start {invite.code}")))
        await self.dash.access.record(user, "web.invite_sheet", units=len(blocks))
        return self.dash.page("invite_sheet", user=user, blocks=blocks)
