"""User-facing Vietnamese text lives in jinja2 templates (``templates/*.md.j2``).

Templates produce Markdown. Every ``{{ value }}`` is Markdown-escaped automatically (a unit
called ``Xã *Tân* Lập`` must not turn bold); wrap trusted Markdown in ``Raw`` to insert it
as is (an announcement body).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from bot.core.clock import fmt_local

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


class Raw(str):
    """Markdown that must not be escaped."""


def md_escape(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Raw):
        return value
    text = _MD_SPECIAL.sub(r"\\\1", str(value))
    # A line starting with "1." or "-" would become a list: escape the marker.
    return re.sub(r"(?m)^(\s*)(\d+)([.)])(\s)", r"\1\2\\\3\4", re.sub(r"(?m)^(\s*)([-+])(\s)", r"\1\\\2\3", text))


def vn_number(value: Any) -> str:
    """1234567 → 1.234.567; 7.5 → 7,5 (Vietnamese conventions)."""
    if value is None or value == "":
        return ""
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return f"{int(value):,}".replace(",", ".")
    if isinstance(value, float):
        whole, _, frac = f"{value:,.2f}".rstrip("0").rstrip(".").partition(".")
        return whole.replace(",", ".") + ("," + frac if frac else "")
    return str(value)


def _dt(value: datetime | date | None, tz: str = "Asia/Ho_Chi_Minh") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return fmt_local(value, tz)
    return value.strftime("%d/%m/%Y")


def _d(value: datetime | date | None, tz: str = "Asia/Ho_Chi_Minh") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return fmt_local(value, tz, date_only=True)
    return value.strftime("%d/%m/%Y")


STATE_LABELS = {
    "chua_bat_dau": "chưa bắt đầu", "dang_soan": "đang soạn", "da_nop": "đã nộp", "nop_muon": "nộp muộn",
    "bi_tra_lai": "bị trả lại", "da_tiep_nhan": "đã tiếp nhận",
}
"""A unit's report state in words (keys are ``UnitState`` values): the one table, for the
templates and, through ``bot.services.reports.STATE_LABELS``, the CLI and the export."""


def _state_label(state: Any) -> str:
    return STATE_LABELS.get(str(state), str(state))


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("bot.rendering", "templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,
        finalize=md_escape,
    )
    env.filters.update(num=vn_number, dt=_dt, d=_d, raw=Raw)
    env.globals["state_label"] = _state_label
    return env


def render(template_name: str, /, **context: Any) -> str:
    """Render ``templates/<template_name>.md.j2`` to Markdown, trimmed."""
    return environment().get_template(f"{template_name}.md.j2").render(**context).strip()
