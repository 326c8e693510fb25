"""Durations as offices type them: ``7d``, ``12h``, ``30m`` (reminder offsets, invite expiries).

One parser for the CLI and the chat, so both accept exactly the same words.
"""

from __future__ import annotations

import re
from datetime import timedelta

DURATION = re.compile(r"^\s*(\d+)\s*([dhm])\s*$", re.IGNORECASE | re.ASCII)
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def normalise_duration(text: str) -> str | None:
    """``" 7 D"`` → ``"7d"``; None when the text is not a duration."""
    m = DURATION.match(text)
    return f"{int(m.group(1))}{m.group(2).lower()}" if m else None


def parse_duration(text: str) -> timedelta:
    """``7d`` / ``12h`` / ``30m`` → timedelta; ``ValueError`` for anything else."""
    norm = normalise_duration(text)
    if norm is None:
        raise ValueError(f"not a duration: {text!r}")
    return timedelta(**{_UNITS[norm[-1]]: int(norm[:-1])})
