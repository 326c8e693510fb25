"""ORM → view conversion, shared by the services."""

from __future__ import annotations

from bot.services.views import BindingView, MemberView, UnitView
from storage.models import ChatBinding, Member, Unit


def unit_view(u: Unit, parent_code: str | None = None, *, groups: tuple[str, ...] | None = None) -> UnitView:
    """``groups`` given (even empty) means: do not touch the unit's group links (not loaded)."""
    return UnitView(id=u.id, code=u.code, name=u.name, kind=u.kind, parent_code=parent_code,
                    groups=tuple(u.groups) if groups is None else groups, closed=u.closed_on is not None)


def binding_view(b: ChatBinding) -> BindingView:
    return BindingView(channel=b.channel, chat_id=b.chat_id, status=b.status, bound_at=b.bound_at)


def member_view(m: Member, bindings: list[ChatBinding] | None = None) -> MemberView:
    """``bindings`` given explicitly avoids a lazy load (the member's own list may be unloaded)."""
    chats = bindings if bindings is not None else m.bindings
    return MemberView(
        id=m.id, name=m.name, role=m.role, unit=unit_view(m.unit) if m.unit else None,
        preferred_channel=m.preferred_channel, bindings=tuple(binding_view(b) for b in chats),
    )
