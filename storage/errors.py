"""Our own storage exceptions, so the layers above never import SQLAlchemy to catch one."""

from __future__ import annotations


class Conflict(Exception):
    """A write lost to a concurrent one on a uniqueness rule (a unit's second draft, an invite
    redeemed twice, a job claimed by another process): nothing of the transaction was written."""
