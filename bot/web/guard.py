"""Who is asking, and may they: every dashboard route goes through ``require``.

GET pages without a session go to the sign-in explanation; anything else without one, a
POST without the session's CSRF token, or a role that may not do it is refused (403) with a
page saying why (``refused.html.j2``).
"""

from __future__ import annotations

from aiohttp import web

from bot.services.web_access import WebAccessService, WebUser
from bot.web.security import COOKIE, csrf_ok


class Refused(Exception):
    """An HTTP refusal; ``why`` picks the explanation in ``refused.html.j2``."""

    def __init__(self, status: int, why: str, redirect: str = "") -> None:
        super().__init__(why)
        self.status, self.why, self.redirect = status, why, redirect


ENDED = "/web/dang-nhap?loi=het_phien"
"""Where a request whose session has ended goes: the sign-in page, saying so."""


async def current_user(request: web.Request, access: WebAccessService) -> WebUser | None:
    return await access.user(request.cookies.get(COOKIE, ""))


async def require(request: web.Request, access: WebAccessService, *, admin: bool = False,
                  staff: bool = False) -> WebUser:
    """The signed-in user, or a refusal. Every non-GET request must carry the session's CSRF
    token. ``admin``: office staff only (viewers and officers get 403); ``staff``: admins and
    viewers (officers see only their own unit's pages)."""
    user = await current_user(request, access)
    if user is None:
        # a cookie that no longer opens a session: it ended (idle, signed out, revoked)
        ended = ENDED if request.cookies.get(COOKIE) else ""
        if request.method == "GET" and "HX-Request" not in request.headers:
            raise web.HTTPSeeOther(ended or "/web/dang-nhap")
        # htmx (the live figures polling) follows HX-Redirect whatever the status, instead of
        # silently stopping on the 403
        raise Refused(403, "no_session", redirect=ended or "/web/dang-nhap")
    if request.method != "GET" and not await csrf_ok(request, user):
        raise Refused(403, "csrf")
    if admin and not user.is_admin:
        raise Refused(403, "role")
    if staff and not user.sees_all:
        raise Refused(404, "not_found")
    return user
