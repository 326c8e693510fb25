"""Announcements, their deliveries (the outbox) and the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update

from storage.models import (
    Announcement,
    AuditLog,
    Delivery,
    DeliveryStatus,
    Unit,
)
from storage.records import DeliveryListingRow, DeliveryTally, OaTally
from storage.repositories.base import _Repo, plain_rows, rows_matched


class AuditRepository(_Repo):
    def record(self, at: datetime, actor: str, action: str, **detail: Any) -> None:
        self.session.add(AuditLog(at=at, actor=actor, action=action, detail=detail))

    async def of_action(self, action: str, since: datetime) -> list[AuditLog]:
        rows = await self.session.scalars(
            select(AuditLog).where(AuditLog.action == action, AuditLog.at >= since).order_by(AuditLog.at))
        return list(rows)

    async def recent(self, limit: int = 50) -> list[AuditLog]:
        rows = await self.session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(limit))
        return list(rows)

    async def filtered(self, *, actor: str | None = None, action_prefix: str | None = None,
                       limit: int = 500) -> list[AuditLog]:
        """Newest first, by who (exact actor) and what (action or its family, e.g. ``report.``)."""
        stmt = select(AuditLog)
        if actor:
            stmt = stmt.where(AuditLog.actor == actor)
        if action_prefix:
            stmt = stmt.where(AuditLog.action.startswith(action_prefix, autoescape=True))
        rows = await self.session.scalars(stmt.order_by(AuditLog.id.desc()).limit(limit))
        return list(rows)

    async def actors_and_actions(self) -> tuple[list[str], list[str]]:
        actors = await self.session.scalars(select(AuditLog.actor).distinct().order_by(AuditLog.actor))
        actions = await self.session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action))
        return list(actors), list(actions)


class AnnouncementRepository(_Repo):
    async def get(self, announcement_id: int) -> Announcement | None:
        return await self.session.get(Announcement, announcement_id)

    async def by_request_key(self, request_key: str) -> Announcement | None:
        return await self.session.scalar(select(Announcement).where(Announcement.request_key == request_key))

    async def recent(self, limit: int = 10) -> list[Announcement]:
        rows = await self.session.scalars(
            select(Announcement).where(Announcement.status != "draft").order_by(Announcement.id.desc()).limit(limit)
        )
        return list(rows)

    async def cancel_scheduled(self, announcement_id: int) -> bool:
        """Mark the announcement "cancelled" if it is still "scheduled": a conditional update,
        which on PostgreSQL waits for a release holding the row and then finds it queued."""
        result = await self.session.execute(
            update(Announcement)
            .where(Announcement.id == announcement_id, Announcement.status == "scheduled")
            .values(status="cancelled")
            .execution_options(synchronize_session=False))
        return rows_matched(result) == 1

    async def due_scheduled(self, now: datetime) -> list[Announcement]:
        rows = await self.session.scalars(
            select(Announcement)
            .where(Announcement.status == "scheduled", Announcement.send_at <= now)
            .with_for_update(skip_locked=True)
        )
        return list(rows)

    async def for_unit(self, unit_id: int, limit: int = 10) -> list[Announcement]:
        ids = select(Delivery.announcement_id).where(Delivery.unit_id == unit_id, Delivery.announcement_id.is_not(None))
        rows = await self.session.scalars(
            select(Announcement).where(Announcement.id.in_(ids)).order_by(Announcement.id.desc()).limit(limit)
        )
        return list(rows)

    async def with_live_report(self, since: datetime) -> list[Announcement]:
        rows = await self.session.scalars(
            select(Announcement).where(Announcement.report_message_id.is_not(None), Announcement.released_at >= since)
        )
        return list(rows)


class DeliveryRepository(_Repo):
    async def get(self, delivery_id: int) -> Delivery | None:
        return await self.session.get(Delivery, delivery_id)

    async def claim_due(self, channel: str, now: datetime, lease_until: datetime, limit: int,
                        chat_id: str | None = None, *, claim: str) -> list[Delivery]:
        """Atomically take due rows under the token ``claim``: queued and due, or 'sending'
        whose lease ran out (its holder died or lost touch; a live holder renews it).

        One ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)`` statement: on
        PostgreSQL several processes drain one outbox without ever taking the same row; on
        SQLite the statement takes the write lock before it reads, so two processes on one
        file cannot both pick a row (a read followed by a write could, or fail on a stale
        snapshot). A re-claimed row gets a new token, which is what makes the old holder's
        later writes miss.
        """
        due = (
            select(Delivery.id)
            .where(
                Delivery.channel == channel,
                ((Delivery.status == DeliveryStatus.QUEUED) & (Delivery.next_try_at <= now))
                | ((Delivery.status == DeliveryStatus.SENDING) & (Delivery.claimed_until < now)),
            )
            .order_by(Delivery.priority, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if chat_id is not None:
            due = due.where(Delivery.chat_id == chat_id)
        taken = await self.session.execute(
            update(Delivery).where(Delivery.id.in_(due))
            .values(status=DeliveryStatus.SENDING, claimed_until=lease_until, claim=claim)
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        )
        ids = [i for (i,) in taken.all()]
        if not ids:
            return []
        rows = await self.session.scalars(
            select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.priority, Delivery.id)
            .execution_options(populate_existing=True)
        )
        return list(rows)

    async def renew_claims(self, held: Sequence[tuple[int, str]], lease_until: datetime) -> set[int]:
        """Extend the lease of every row still held under its token, in one statement.

        Returns the ids renewed: a held row missing from the answer was re-claimed (or
        released) by someone else, and its holder must not send it any more.
        """
        if not held:
            return set()
        result = await self.session.execute(
            update(Delivery)
            # id and token lists rather than (id, token) pairs: a token is issued by one claim,
            # so a row whose current token is one of ours is one of ours
            .where(Delivery.id.in_([i for i, _ in held]), Delivery.claim.in_({c for _, c in held}),
                   Delivery.status == DeliveryStatus.SENDING)
            .values(claimed_until=lease_until)
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        )
        return {i for (i,) in result.all()}

    async def release_held(self, held: Sequence[tuple[int, str]]) -> int:
        """Put rows back in the queue that their holder stops sending (a clean stop), so they
        need not wait out their lease; rows another claim took meanwhile are left alone."""
        if not held:
            return 0
        result = await self.session.execute(
            update(Delivery)
            .where(Delivery.id.in_([i for i, _ in held]), Delivery.claim.in_({c for _, c in held}),
                   Delivery.status == DeliveryStatus.SENDING)
            .values(status=DeliveryStatus.QUEUED, claimed_until=None, claim=None)
            .execution_options(synchronize_session=False)
        )
        return rows_matched(result)

    async def update_held(self, delivery_id: int, token: str, values: dict[str, Any]) -> bool:
        """Write ``values`` to a row only if the claim ``token`` still holds it ('sending'
        under that token).

        False means the claim was lost (the lease ran out and another claim took the row, or
        the row was released): the caller must leave the row, and its chat, alone.
        """
        result = await self.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.claim == token, Delivery.status == DeliveryStatus.SENDING)
            .values(values)
            .execution_options(synchronize_session=False)
        )
        return rows_matched(result) == 1

    async def release_claims(self, channel: str, chat_id: str | None = None) -> int:
        """Put every 'sending' row of the channel back in the queue at once.

        Only for a caller that has proved no other process is sending on this database
        (``OutboxDispatcher`` says when); anyone else waits for the leases to run out.
        """
        stmt = update(Delivery).where(Delivery.channel == channel, Delivery.status == DeliveryStatus.SENDING)
        if chat_id is not None:
            stmt = stmt.where(Delivery.chat_id == chat_id)
        result = await self.session.execute(
            stmt.values(status=DeliveryStatus.QUEUED, claimed_until=None, claim=None)
            .execution_options(synchronize_session=False)
        )
        return rows_matched(result)

    async def requeue_failed(self, announcement_id: int, now: datetime) -> int:
        """Send the failed rows of an announcement again, from their first part.

        Conditional on the status in the statement itself: a row another process already
        requeued (and a dispatcher may be sending) is not touched again, so it cannot be
        reset under its sender's feet and sent twice.
        """
        result = await self.session.execute(
            update(Delivery)
            .where(Delivery.announcement_id == announcement_id, Delivery.status == DeliveryStatus.FAILED)
            .values(status=DeliveryStatus.QUEUED, next_try_at=now, attempts=0, parts_sent=0,
                    claimed_until=None, claim=None)
            .execution_options(synchronize_session=False)
        )
        return rows_matched(result)

    async def tallies(self, announcement_ids: Sequence[int]) -> tuple[list[DeliveryTally], list[OaTally]]:
        """The announcements' copies counted by status, and their Zalo OA copies by route: two
        grouped reads of indexes (``ix_deliveries_figures``, ``ix_deliveries_oa_figures``),
        never of the rows, which hold the messages."""
        if not announcement_ids:
            return [], []
        ids = Delivery.announcement_id.in_(list(announcement_ids))
        by_status = (select(Delivery.announcement_id, Delivery.status, func.count(), func.count(Delivery.acknowledged_at))
                     .where(ids).group_by(Delivery.announcement_id, Delivery.status))
        oa = (select(Delivery.announcement_id, Delivery.route, func.count(), func.count(Delivery.received_at),
                     func.count(Delivery.seen_at))
              .where(ids, Delivery.channel == "zalo_oa").group_by(Delivery.announcement_id, Delivery.route))
        return ([DeliveryTally(*row) for row in await plain_rows(self.session, by_status)],
                [OaTally(*row) for row in await plain_rows(self.session, oa)])

    async def listing(self, announcement_id: int, statuses: Sequence[str] | None = None,
                      unit_id: int | None = None) -> list[DeliveryListingRow]:
        """The announcement's copies as its table shows them, in the order they were queued.
        Plain columns joined to their units: an announcement to 5000 units has 5000 copies,
        each holding the decree's text, and loading them as entities (with every unit beside
        them) took half a second."""
        stmt = _listing().where(Delivery.announcement_id == announcement_id)
        if statuses:
            stmt = stmt.where(Delivery.status.in_(list(statuses)))
        if unit_id is not None:
            stmt = stmt.where(Delivery.unit_id == unit_id)
        return [DeliveryListingRow(*r) for r in await plain_rows(self.session, stmt.order_by(Delivery.id))]

    async def acknowledge_unit(self, announcement_id: int, unit_id: int, member_id: int, now: datetime) -> int:
        """Mark every delivered, unacknowledged copy of the announcement to the unit's chats
        acknowledged (by ``member_id``, at ``now``); how many. One conditional statement: an
        acknowledgement pressed in chat at the same moment keeps its own time."""
        result = await self.session.execute(
            update(Delivery)
            .where(Delivery.announcement_id == announcement_id, Delivery.unit_id == unit_id,
                   Delivery.status == DeliveryStatus.SENT, Delivery.acknowledged_at.is_(None))
            .values(acknowledged_at=now, acknowledged_by=member_id)
            .execution_options(synchronize_session=False))
        return rows_matched(result)

    async def binding_ids_of(self, announcement_id: int) -> set[int]:
        """The chats that already have a copy of the announcement (ids only, no rows loaded)."""
        stmt = select(Delivery.binding_id).where(Delivery.announcement_id == announcement_id,
                                                 Delivery.binding_id.is_not(None))
        return set(await self.session.scalars(stmt))

    async def of_announcement(self, announcement_id: int, statuses: Sequence[str] | None = None) -> list[Delivery]:
        stmt = select(Delivery).where(Delivery.announcement_id == announcement_id)
        if statuses:
            stmt = stmt.where(Delivery.status.in_(list(statuses)))
        return list(await self.session.scalars(stmt.order_by(Delivery.id)))

    async def unit_ids_of(self, announcement_id: int) -> set[int]:
        """The units that have any copy of the announcement (one id each, no rows loaded)."""
        stmt = select(Delivery.unit_id).where(Delivery.announcement_id == announcement_id,
                                              Delivery.unit_id.is_not(None)).distinct()
        return set(await self.session.scalars(stmt))

    async def pending_count(self, channel: str | None = None) -> int:
        stmt = select(func.count(Delivery.id)).where(
            Delivery.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.SENDING])
        )
        if channel:
            stmt = stmt.where(Delivery.channel == channel)
        return int(await self.session.scalar(stmt) or 0)

    async def last_to_acknowledge(self, channel: str, chat_id: str) -> int | None:
        """The newest delivery sent to this chat whose announcement asks for an acknowledgement
        not given yet (for 'đã nhận' typed)."""
        return await self.session.scalar(
            select(Delivery.id).join(Announcement, Delivery.announcement_id == Announcement.id)
            .where(Delivery.channel == channel, Delivery.chat_id == chat_id, Announcement.needs_ack.is_(True),
                   Delivery.acknowledged_at.is_(None), Delivery.status == DeliveryStatus.SENT)
            .order_by(Delivery.id.desc()).limit(1))

    async def failed_since(self, since: datetime) -> list[DeliveryListingRow]:
        """Every message that failed or found the bot blocked, queued since ``since`` (the digest)."""
        stmt = _listing().where(Delivery.status.in_([DeliveryStatus.FAILED, DeliveryStatus.BLOCKED]),
                                Delivery.created_at >= since).order_by(Delivery.id)
        return [DeliveryListingRow(*r) for r in await plain_rows(self.session, stmt)]


def _listing() -> Select[*tuple[Any, ...]]:
    """The columns of a ``DeliveryListingRow``, each copy with its unit (if it still has one)."""
    return (select(Delivery.unit_id, Unit.code, Unit.name, Delivery.channel, Delivery.chat_id, Delivery.status,
                   Delivery.attempts, Delivery.sent_at, Delivery.acknowledged_at, Delivery.last_error,
                   Delivery.received_at, Delivery.seen_at, Delivery.route)
            .outerjoin(Unit, Unit.id == Delivery.unit_id))
