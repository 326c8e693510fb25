"""Spreadsheet cells that people's text can never turn into a formula (the rule of
bot/services/export.py, for the workbooks this package writes)."""

from __future__ import annotations

from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, Cell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.core import strip_controls

__all__ = ["FORMULA_PREFIXES", "cell", "value"]

# What a spreadsheet reads as the start of a formula (OWASP, CSV injection): such text is also
# marked quote-prefixed, Excel's own "'".
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def cell(ws: WriteOnlyWorksheet, value: Any, **style: Any) -> Cell:
    """A write-only cell: text stored with the explicit string type, controls dropped, quote-
    prefixed when it looks like a formula; numbers keep their type. ``style``: font, fill, …"""
    if isinstance(value, str):
        text = strip_controls(value)
        c = WriteOnlyCell(ws, value=None)
        c.value = text
        c.data_type = "s"
        if text.lstrip(" ").startswith(FORMULA_PREFIXES):
            c.quotePrefix = True
    else:
        c = WriteOnlyCell(ws, value=value)
    for key, val in style.items():
        setattr(c, key, val)
    return c


def value(ws: WriteOnlyWorksheet, item: Any) -> Any:
    """``item`` as it can go into a write-only row: itself when openpyxl would store it as
    plain text or a number anyway (no cell object: 5000 rows of names stay fast), else a
    :func:`cell` (text that looks like a formula or an error code, or has control characters)."""
    risky = isinstance(item, str) and (strip_controls(item) != item or item in ERROR_CODES
                                       or item.lstrip(" ").startswith(FORMULA_PREFIXES))
    return cell(ws, item) if risky else item
