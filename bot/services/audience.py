"""Who an announcement, period or reminder is for: all units, listed units, groups or kinds.

An audience is stored as plain data (``{"all": true}``, ``{"units": [...]}``,
``{"groups": [...]}``, ``{"kinds": [...]}``) so it survives restarts and can be shown back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import raiseload

from storage.models import BindingStatus, ChatBinding, Member, Role, Unit, UnitGroup, UnitKind
from storage.uow import UnitOfWork

Audience = dict[str, Any]


class AudienceError(ValueError):
    """The audience text cannot be understood; the message is Vietnamese."""


def parse_audience(text: str) -> Audience:
    """``all`` | ``units:A,B`` | ``group:NAME`` (or groups:A;B) | ``kind:xa,phuong``."""
    t = (text or "all").strip()
    if t.lower() in {"all", "tatca", "tất cả"}:
        return {"all": True}
    key, _, rest = t.partition(":")
    key = key.strip().lower()
    if key in {"units", "unit", "donvi"}:
        values = [v.strip().upper() for v in rest.replace(";", ",").split(",") if v.strip()]
        if values:
            return {"units": values}
    elif key in {"group", "groups", "cum", "khoi"}:
        values = [v.strip() for v in rest.split(";" if ";" in rest else ",") if v.strip()]
        if values:
            return {"groups": values}
    elif key in {"kind", "kinds", "loai"}:
        values = [v.strip().lower() for v in rest.split(",") if v.strip()]
        bad = [v for v in values if v not in UnitKind.LABELS]
        if bad:
            raise AudienceError(f"Loại đơn vị không hợp lệ: {', '.join(bad)} (dùng: {', '.join(UnitKind.LABELS)})")
        if values:
            return {"kinds": values}
    raise AudienceError(f"Không hiểu đối tượng nhận “{text}”. Dùng: all, units:MÃ1,MÃ2, group:TÊN CỤM, kind:xa,phuong")


def describe(audience: Audience) -> str:
    if audience.get("all"):
        return "Tất cả đơn vị"
    if "units" in audience:
        return "Các đơn vị: " + ", ".join(audience["units"])
    if "groups" in audience:
        return "Cụm, khối: " + "; ".join(audience["groups"])
    if "kinds" in audience:
        return "Loại đơn vị: " + ", ".join(UnitKind.LABELS.get(k, k) for k in audience["kinds"])
    return "Tất cả đơn vị"


def _audience_filter(audience: Audience):  # type: ignore[no-untyped-def]
    """The WHERE clause on ``Unit`` an audience stands for (open units only)."""
    cond = Unit.closed_on.is_(None)
    if audience.get("all") or not audience:
        return cond & Unit.kind.not_in(["tinh"])
    if "units" in audience:
        return cond & Unit.code.in_([c.upper() for c in audience["units"]])
    if "groups" in audience:
        return cond & Unit.id.in_(select(UnitGroup.unit_id).where(UnitGroup.name.in_(list(audience["groups"]))))
    if "kinds" in audience:
        return cond & Unit.kind.in_(list(audience["kinds"]))
    return cond


async def audience_unit(uow: UnitOfWork, unit_id: int, audience: Audience) -> Unit | None:
    """The unit if the audience includes it: one indexed lookup, for the hot path of a
    conversation (not a list of every unit); its group links are not loaded (and raise if touched)."""
    stmt = select(Unit).where(Unit.id == unit_id, _audience_filter(audience)).options(raiseload(Unit.group_links))
    return await uow.session.scalar(stmt)


async def resolve_units(uow: UnitOfWork, audience: Audience) -> list[Unit]:
    """The open units an audience designates (unknown codes are an error, not silence)."""
    stmt = select(Unit).where(Unit.closed_on.is_(None))
    if audience.get("all") or not audience:
        stmt = stmt.where(Unit.kind.not_in(["tinh"]))
    elif "units" in audience:
        codes = [c.upper() for c in audience["units"]]
        found = await uow.units.by_codes(codes)
        missing = [c for c in codes if c not in found]
        if missing:
            raise AudienceError("Không có đơn vị mã: " + ", ".join(missing))
        stmt = stmt.where(Unit.code.in_(codes))
    elif "groups" in audience:
        names = list(audience["groups"])
        known = set(await uow.units.group_names())
        missing = [g for g in names if g not in known]
        if missing:
            raise AudienceError("Không có cụm, khối: " + "; ".join(missing))
        stmt = stmt.where(Unit.id.in_(select(UnitGroup.unit_id).where(UnitGroup.name.in_(names))))
    elif "kinds" in audience:
        stmt = stmt.where(Unit.kind.in_(list(audience["kinds"])))
    return list(await uow.session.scalars(stmt.order_by(Unit.code)))


@dataclass(frozen=True, slots=True)
class Recipient:
    """One chat that should receive a unit's messages (a plain row, cheap by the thousand)."""

    id: int
    member_id: int
    unit_id: int
    channel: str
    chat_id: str


async def recipient_bindings(uow: UnitOfWork, unit_ids: list[int]) -> list[Recipient]:
    """Active officer chats of these units; a member who chose a channel gets only that one."""
    if not unit_ids:
        return []
    stmt = (
        select(ChatBinding.id, ChatBinding.member_id, Member.unit_id, ChatBinding.channel, ChatBinding.chat_id,
               Member.preferred_channel)
        .join(Member, ChatBinding.member_id == Member.id)
        .where(Member.unit_id.in_(unit_ids), Member.role == Role.OFFICER,
               ChatBinding.status == BindingStatus.ACTIVE)
        .order_by(ChatBinding.id)
    )
    by_member: dict[int, list[tuple[Recipient, str | None]]] = {}
    for row in (await uow.session.execute(stmt)).all():
        rec = Recipient(row.id, row.member_id, row.unit_id, row.channel, row.chat_id)
        by_member.setdefault(row.member_id, []).append((rec, row.preferred_channel))
    chosen: list[Recipient] = []
    for items in by_member.values():
        pref = items[0][1]
        preferred = [r for r, _ in items if r.channel == pref]
        chosen.extend(preferred or [r for r, _ in items])
    return chosen
