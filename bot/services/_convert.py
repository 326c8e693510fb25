"""ORM → view conversion, shared by the services."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from bot.services.views import BindingView, MemberView, UnitView
from storage.models import ChatBinding, Member, Unit


def prefixed(row: Any, prefix: str) -> Any:
    """The columns of ``row`` labelled ``prefix…``, as an object with the unprefixed names.

    Lets the view builders below take a row of a joined Core query as they take an entity.
    Only ``MemberService.chat_context`` still uses it (the speaker row); other joined reads come
    back from storage as typed records (``storage.records``)."""
    n = len(prefix)
    return SimpleNamespace(**{key[n:]: value for key, value in row._mapping.items() if key.startswith(prefix)})


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
