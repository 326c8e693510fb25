"""Vietnamese mobile numbers: what officers type, stored the one way Zalo's ZBS API takes.

``0912 345 678``, ``0912.345.678``, ``+84 912 345 678`` and ``84912345678`` are one number,
stored ``84912345678``. Mobile numbers have ten digits with the leading 0 and start 03, 05,
07, 08 or 09 since the 2018 renumbering; a landline or a typo is refused, not guessed at.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s.\-()/]")
_MOBILE = re.compile(r"[35789]\d{8}")


def normalise_phone(raw: str) -> str | None:
    """``84`` + nine digits, or None when ``raw`` is not a Vietnamese mobile number."""
    digits = _SEPARATORS.sub("", raw or "")
    if digits.startswith("+"):
        digits = digits[1:]
    if digits.startswith("84") and len(digits) == 11:
        rest = digits[2:]
    elif digits.startswith("0") and len(digits) == 10:
        rest = digits[1:]
    else:
        return None
    return f"84{rest}" if _MOBILE.fullmatch(rest) else None


def show_phone(stored: str | None) -> str:
    """``84912345678`` as people write it: ``0912 345 678``."""
    if not stored or not stored.startswith("84") or len(stored) != 11:
        return stored or ""
    local = "0" + stored[2:]
    return f"{local[:4]} {local[4:7]} {local[7:]}"
