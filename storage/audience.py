"""Who an announcement, period or reminder is for: all units, listed units, groups or kinds.

A typed value, stored as plain JSON (``{"all": true}``, ``{"units": [...]}``,
``{"groups": [...]}``, ``{"kinds": [...]}``) so it survives restarts and can be shown back.
Its one mapping to SQL is ``storage.repositories.audience.audience_filter``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

AudienceKind = Literal["all", "units", "groups", "kinds"]
_KINDS: tuple[AudienceKind, ...] = ("units", "groups", "kinds")


@dataclass(frozen=True, slots=True)
class Audience:
    kind: AudienceKind = "all"
    values: tuple[str, ...] = ()

    @classmethod
    def everyone(cls) -> Audience:
        return cls("all")

    @classmethod
    def of(cls, value: Audience | Mapping[str, Any] | None) -> Audience:
        """From its stored JSON (or a value already typed); empty or ``{"all": true}`` is everyone."""
        if isinstance(value, Audience):
            return value
        if not value or value.get("all"):
            return cls.everyone()
        for kind in _KINDS:
            if kind in value:
                return cls(kind, tuple(str(v) for v in value[kind]))
        return cls.everyone()

    def to_json(self) -> dict[str, Any]:
        """What is stored (and audited): the same shape the bot always stored."""
        if self.kind == "all":
            return {"all": True}
        return {self.kind: list(self.values)}

    @property
    def is_everyone(self) -> bool:
        return self.kind == "all"
