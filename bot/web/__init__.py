"""The office's web dashboard: an adapter like a channel, over the same services.

Server-rendered pages (jinja2, Vietnamese), htmx vendored as a static file for live figures,
sign-in by single-use links, sessions in the database, CSRF on every state change.
"""

from bot.web.dashboard import Dashboard

__all__ = ["Dashboard"]
