"""What chat messages do, channel-neutral. ``build_router`` collects every handler."""

from __future__ import annotations

from bot.core import Router
from handlers import basic, broadcasts, progress, reports, web
from handlers.context import Handler


def build_router() -> Router[Handler]:
    router: Router[Handler] = Router()
    basic.register(router)
    broadcasts.register(router)
    reports.register(router)
    progress.register(router)
    web.register(router)
    return router
