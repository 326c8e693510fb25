"""Reading the audit log (Nhật ký): who did what, with people's names instead of ids.

Every use case writes its own entries; this only reads them back, filtered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core import Clock
from storage.uow import UnitOfWorkFactory


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    actor_name: str  # the member's name for "member:N", else the actor as written (cli, demo, system…)
    action: str
    detail: dict[str, Any]


class AuditService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock

    async def entries(self, *, actor: str | None = None, action: str | None = None,
                      limit: int = 500) -> list[AuditEntry]:
        async with self.uow() as uow:
            rows = await uow.audit.filtered(actor=actor or None, action_prefix=action or None, limit=limit)
            names = await self._names(uow, {r.actor for r in rows})
        return [AuditEntry(r.at, r.actor, names.get(r.actor, r.actor), r.action, dict(r.detail)) for r in rows]

    async def choices(self) -> tuple[list[tuple[str, str]], list[str]]:
        """(actor, shown name) and the action names that occur: the filters' options."""
        async with self.uow() as uow:
            actors, actions = await uow.audit.actors_and_actions()
            names = await self._names(uow, set(actors))
        return [(a, names.get(a, a)) for a in actors], actions

    @staticmethod
    async def _names(uow: Any, actors: set[str]) -> dict[str, str]:
        out = {}
        for actor in actors:
            kind, _, ident = actor.partition(":")
            if kind == "member" and ident.isdigit():
                m = await uow.members.get(int(ident))
                if m is not None:
                    out[actor] = m.name
        return out
