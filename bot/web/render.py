"""The dashboard's HTML templates (jinja2, autoescaped) and the filters they share."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.services.units import KIND_LABELS
from bot.web.once import form_key

TEMPLATES = Path(__file__).with_name("templates")


def local_time(dt: datetime | None, tz: ZoneInfo, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A stored UTC time as the office reads it (the ``local`` filter; pages that format
    thousands of cells at once call it directly)."""
    return dt.astimezone(tz).strftime(fmt) if dt else ""


CHANNEL_LABELS = {"zalo_oa": "Zalo OA", "zalo": "Zalo", "telegram": "Telegram", "console": "Console"}
"""The platforms by the names officials know them (Zalo first: the channel they use)."""


@cache
def environment(timezone: str) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["j2", "html"]),
                      trim_blocks=True, lstrip_blocks=True)
    tz = ZoneInfo(timezone)

    def local(dt: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
        return local_time(dt, tz, fmt)

    def number(n: int | float) -> str:
        return f"{n:,}".replace(",", ".")

    def plain(value: Any) -> str:
        """A logged detail as a person reads it: lists joined, mappings as "key: value"
        (audit details are stored as JSON, and their Python form is not for the office)."""
        if isinstance(value, dict):
            return "; ".join(f"{k}: {plain(v)}" for k, v in value.items())
        if isinstance(value, list | tuple | set):
            return ", ".join(plain(v) for v in value)
        if value is True or value is False:
            return "có" if value else "không"
        return str(value)

    env.globals["form_key"] = form_key
    env.filters["local"] = local
    env.filters["plain"] = plain
    env.filters["number"] = number
    env.filters["channel"] = lambda name: CHANNEL_LABELS.get(name, name)
    env.filters["kind"] = lambda code: KIND_LABELS.get(code, code)
    return env


def render_page(timezone: str, name: str, **context: Any) -> str:
    return environment(timezone).get_template(f"{name}.html.j2").render(**context)
