"""Audiences as the office writes them: parsing (``all``, ``units:A,B``, ``group:…``,
``kind:…``), describing them back in Vietnamese, and checking that the codes and groups named
exist. The typed value is ``storage.audience.Audience``; its one mapping to SQL lives in
``storage.repositories.audience``.

Services take an ``AudienceLike``: the typed value, or its stored JSON form (a chat flow keeps
the audience it is building in its JSON state, and passes that).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storage.audience import Audience
from storage.models import Unit, UnitKind
from storage.records import Recipient
from storage.uow import UnitOfWork

AudienceLike = Audience | Mapping[str, Any]


class AudienceError(ValueError):
    """The audience text cannot be understood; the message is Vietnamese."""


def parse_audience(text: str) -> Audience:
    """``all`` | ``units:A,B`` | ``group:NAME`` (or groups:A;B) | ``kind:xa,phuong``."""
    t = (text or "all").strip()
    if t.lower() in {"all", "tatca", "tất cả"}:
        return Audience.everyone()
    key, _, rest = t.partition(":")
    key = key.strip().lower()
    if key in {"units", "unit", "donvi"}:
        values = [v.strip().upper() for v in rest.replace(";", ",").split(",") if v.strip()]
        if values:
            return Audience("units", tuple(values))
    elif key in {"group", "groups", "cum", "khoi"}:
        values = [v.strip() for v in rest.split(";" if ";" in rest else ",") if v.strip()]
        if values:
            return Audience("groups", tuple(values))
    elif key in {"kind", "kinds", "loai"}:
        values = [v.strip().lower() for v in rest.split(",") if v.strip()]
        bad = [v for v in values if v not in UnitKind.LABELS]
        if bad:
            raise AudienceError(f"Loại đơn vị không hợp lệ: {', '.join(bad)} (dùng: {', '.join(UnitKind.LABELS)})")
        if values:
            return Audience("kinds", tuple(values))
    raise AudienceError(f"Không hiểu đối tượng nhận “{text}”. Dùng: all, units:MÃ1,MÃ2, group:TÊN CỤM, kind:xa,phuong")


def describe(audience: AudienceLike) -> str:
    a = Audience.of(audience)
    if a.kind == "units":
        return "Các đơn vị: " + ", ".join(a.values)
    if a.kind == "groups":
        return "Cụm, khối: " + "; ".join(a.values)
    if a.kind == "kinds":
        return "Loại đơn vị: " + ", ".join(UnitKind.LABELS.get(k, k) for k in a.values)
    return "Tất cả đơn vị"


async def check_names(uow: UnitOfWork, audience: Audience) -> None:
    """Unknown unit codes or cụm/khối names are an error (said in Vietnamese), not silence."""
    missing = await uow.audiences.unknown_names(audience)
    if missing and audience.kind == "units":
        raise AudienceError("Không có đơn vị mã: " + ", ".join(missing))
    if missing:
        raise AudienceError("Không có cụm, khối: " + "; ".join(missing))


async def resolve_units(uow: UnitOfWork, audience: AudienceLike) -> list[Unit]:
    """The open units an audience designates, by code, after checking its names exist."""
    a = Audience.of(audience)
    await check_names(uow, a)
    return await uow.audiences.units(a)


async def recipient_bindings(uow: UnitOfWork, unit_ids: list[int]) -> list[Recipient]:
    """Active officer chats of these units; a member who chose a channel gets only that one."""
    return await uow.audiences.recipients(unit_ids)


__all__ = ["Audience", "AudienceError", "AudienceLike", "Recipient", "describe", "parse_audience",
           "recipient_bindings", "resolve_units"]
