"""Forms whose repeat would send messages again ("Nhắc ngay", "Nhắc đơn vị chưa xác nhận")
carry a one-time key, made each time the page is drawn (``form_key`` in the templates). The
first request with a key claims it — across replicas, by the jobs table's primary key, as the
daily digest does — and acts; a second (a double click, a reload of the POST) is told it was
done already and sends nothing. A request without a well-formed key acts, as before."""

from __future__ import annotations

import re
import secrets
from typing import Any

from multidict import MultiDictProxy

from bot.services.reminders import ReminderService

KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
"""What a form's one-time key looks like (``secrets.token_urlsafe``)."""


def form_key() -> str:
    return secrets.token_urlsafe(24)


async def first_time(reminders: ReminderService, form: MultiDictProxy[Any], action: str) -> bool:
    """True unless this form's key was used already for ``action``."""
    key = str(form.get("khoa", ""))
    if not KEY.fullmatch(key):
        return True
    return await reminders.claim_job(f"web:{action}:{key}")


__all__ = ["KEY", "first_time", "form_key"]
