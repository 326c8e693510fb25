"""Signing in with a single-use link, and out ("Đăng xuất", on one browser or everywhere).

Opening the link (GET) only shows a button: chat apps fetch links to preview them, and such
a fetch must not spend the link. The button POSTs the token from our own page (Origin checked).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiohttp import web

from bot.services.web_access import SignInOutcome
from bot.web.guard import Refused, current_user, require
from bot.web.security import clear_session_cookie, client_address, see_other, set_session_cookie
from bot.web.uploads import form_of

if TYPE_CHECKING:
    from bot.web.dashboard import Dashboard


class SignInPages:
    def __init__(self, dash: Dashboard) -> None:
        self.dash = dash

    def register(self, r: web.UrlDispatcher) -> None:
        r.add_get("/web/dang-nhap", self.explain)
        r.add_get("/web/dang-nhap/{token}", self.confirm)
        r.add_post("/web/dang-nhap", self.sign_in)
        r.add_post("/web/dang-xuat", self.sign_out)
        r.add_post("/web/dang-xuat-moi-noi", self.sign_out_everywhere)

    async def explain(self, request: web.Request) -> web.Response:
        user = await current_user(request, self.dash.access)
        if user is not None:
            raise web.HTTPSeeOther("/web")
        return self.dash.page("signin", user=None, outcome=request.query.get("loi", ""))

    async def confirm(self, request: web.Request) -> web.Response:
        return self.dash.page("signin_confirm", user=None, token=request.match_info["token"][:100])

    def _same_origin(self, request: web.Request) -> bool:
        """A sign-in may only be posted from our own page (no logging someone into a session
        of the attacker's from another site)."""
        origin = request.headers.get("Origin") or request.headers.get("Referer") or ""
        if not origin or origin == "null":
            return False
        ours = urlsplit(self.dash.settings.base_url)
        theirs = urlsplit(origin)
        return (theirs.scheme, theirs.netloc) in {(ours.scheme, ours.netloc), (request.scheme, request.host)}

    async def sign_in(self, request: web.Request) -> web.Response:
        if not self._same_origin(request):
            raise Refused(403, "csrf")
        form = await form_of(request)
        token = str(form.get("token", ""))[:100]
        address = client_address(request, self.dash.settings.trust_proxy)
        result = await self.dash.access.sign_in(token, address)
        if result.outcome != SignInOutcome.OK:
            status = 429 if result.outcome == SignInOutcome.LOCKED else 403
            return self.dash.page("signin", status=status, user=None, outcome=str(result.outcome))
        response = see_other("/web")
        set_session_cookie(response, result.token, https=self.dash.settings.https)
        return response

    async def sign_out(self, request: web.Request) -> web.Response:
        user = await require(request, self.dash.access)
        await self.dash.access.sign_out(user)
        response = see_other("/web/dang-nhap?loi=signed_out")
        clear_session_cookie(response, https=self.dash.settings.https)
        return response

    async def sign_out_everywhere(self, request: web.Request) -> web.Response:
        user = await require(request, self.dash.access)
        await self.dash.access.sign_out_everywhere(user)
        response = see_other("/web/dang-nhap?loi=signed_out_all")
        clear_session_cookie(response, https=self.dash.settings.https)
        return response
