"""Text helpers every layer may need."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Case- and accent-insensitive key: 'Quay lại' == 'quay lai' == 'QUAY LẠI'."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s/]", " ", text.lower())).strip()
