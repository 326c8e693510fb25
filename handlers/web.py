"""``/web``: an admin asks for a sign-in link to the web dashboard, on any channel.

The link signs in the member who asked (their chat proves who they are), once, within 10
minutes; the dashboard itself lives in ``bot/web``.
"""

from __future__ import annotations

from bot.core import Router
from handlers.context import Ctx, Handler, requires


def register(router: Router[Handler]) -> None:
    router.command("web")(web_link)


@requires(admin=True)
async def web_link(ctx: Ctx) -> None:
    assert ctx.member is not None
    access = ctx.services.web_access
    token = await access.link_for_member(ctx.member.id, actor=f"member:{ctx.member.id}")
    await ctx.say("web_link", link=access.url(token))
