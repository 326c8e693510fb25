"""What every dashboard response and request is checked for: headers, cookie, CSRF, address."""

from __future__ import annotations

import hmac

from aiohttp import web

from bot.services.web_access import WebUser
from bot.web.uploads import form_of

COOKIE = "tdkt_session"
# No inline script or style anywhere: everything the pages run or style comes from /web/static.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # The sign-in link in the address bar is never sent to another site; our own pages keep
    # their Origin (with no-referrer, Chromium posts forms with "Origin: null").
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def is_https(request: web.Request, public_https: bool) -> bool:
    """Behind a proxy the request arrives as plain HTTP; PUBLIC_BASE_URL says what the browser used."""
    return public_https or request.secure


def apply_headers(response: web.StreamResponse, *, https: bool, private: bool = True) -> None:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if https:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if private:
        response.headers.setdefault("Cache-Control", "no-store")


def set_session_cookie(response: web.StreamResponse, token: str, *, https: bool) -> None:
    response.set_cookie(COOKIE, token, path="/web", httponly=True, samesite="Lax", secure=https)


def clear_session_cookie(response: web.StreamResponse, *, https: bool) -> None:
    response.del_cookie(COOKIE, path="/web", secure=https, httponly=True, samesite="Lax")


async def csrf_ok(request: web.Request, user: WebUser) -> bool:
    """The form field ``csrf`` (plain forms) or the ``X-CSRF-Token`` header (htmx)."""
    given = request.headers.get("X-CSRF-Token", "")
    if not given and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        given = str((await form_of(request)).get("csrf", ""))
    return bool(given) and hmac.compare_digest(given, user.csrf)


def client_address(request: web.Request, trust_proxy: bool) -> str:
    """The browser's address: behind our own reverse proxy, the one it forwarded."""
    if trust_proxy:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()[:64]
    return (request.remote or "?")[:64]


def see_other(location: str) -> web.Response:
    """303 after a POST: the browser then GETs the page (a reload does not repeat the action)."""
    return web.Response(status=303, headers={"Location": location})
