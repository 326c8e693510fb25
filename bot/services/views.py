"""Plain, immutable views of stored objects handed to handlers and the CLI.

Handlers never hold ORM objects (no lazy loads after the session closed, no accidental
writes); services translate at their boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class UnitView:
    id: int
    code: str
    name: str
    kind: str
    parent_code: str | None = None
    groups: tuple[str, ...] = ()
    closed: bool = False


@dataclass(frozen=True, slots=True)
class BindingView:
    channel: str
    chat_id: str
    status: str
    bound_at: datetime


@dataclass(frozen=True, slots=True)
class MemberView:
    id: int
    name: str
    role: str
    unit: UnitView | None
    preferred_channel: str | None = None
    bindings: tuple[BindingView, ...] = field(default_factory=tuple)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True, slots=True)
class InviteView:
    code: str
    role: str
    unit: UnitView | None
    expires_at: datetime
