"""Repositories: the queries the services need, one class per aggregate.

They add, load and query; they never commit (the unit of work does).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, String, and_, bindparam, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import lazyload, selectinload

from storage.models import (
    Announcement,
    AuditLog,
    BindingStatus,
    ChatBinding,
    ChatMenu,
    ChatState,
    Delivery,
    DeliveryStatus,
    FormSession,
    InboundKey,
    InboundKeyState,
    InboxItem,
    Invite,
    InviteFailure,
    Member,
    ReportPeriod,
    Role,
    Submission,
    SubmissionRevision,
    Unit,
    UnitGroup,
)

# ---- statements every incoming message runs, built once -------------------------------------
# Building a select (operators, coercions, cache key) cost more CPU than SQLite takes to run
# it, and loading ORM entities more again; these are plain Core statements over the tables,
# compiled once by SQLAlchemy's cache and answered as rows.
_units, _members = Unit.__table__, Member.__table__
_bindings, _states = ChatBinding.__table__, ChatState.__table__
_periods, _drafts = ReportPeriod.__table__, FormSession.__table__

_chat = select(bindparam("channel", type_=String).label("channel"),
               bindparam("chat_id", type_=String).label("chat_id")).subquery("chat")
SPEAKER = (
    select(*(_members.c[name].label(f"m_{name}") for name in ("id", "name", "role", "preferred_channel")),
           *(_units.c[name].label(f"u_{name}") for name in ("id", "code", "name", "kind", "closed_on")),
           _states.c.flow, _states.c.data.label("flow_data"))
    .select_from(
        _chat.outerjoin(_states, and_(_states.c.channel == _chat.c.channel, _states.c.chat_id == _chat.c.chat_id))
        .outerjoin(_bindings, and_(_bindings.c.channel == _chat.c.channel, _bindings.c.chat_id == _chat.c.chat_id,
                                   _bindings.c.status == BindingStatus.ACTIVE))
        .outerjoin(_members, _members.c.id == _bindings.c.member_id)
        .outerjoin(_units, _units.c.id == _members.c.unit_id))
)
"""One row per chat, all parts optional: who speaks there (``m_``, ``u_``) and its flow state."""

DRAFT = (
    select(*(c.label(f"d_{c.name}") for c in _drafts.c), *(c.label(f"p_{c.name}") for c in _periods.c),
           *(c.label(f"u_{c.name}") for c in _units.c))
    .join(_periods, _periods.c.id == _drafts.c.period_id)
    .join(_units, _units.c.id == _drafts.c.unit_id)
    .where(_drafts.c.id == bindparam("session_id"))
)
"""A draft with its period and unit; columns prefixed ``d_``, ``p_``, ``u_``."""

SAVE_DRAFT = (
    update(_drafts)
    .where(_drafts.c.id == bindparam("session_id"), _drafts.c.version == bindparam("expected_version"))
    .values(version=_drafts.c.version + 1)
)
"""Executed with the draft's new column values as parameters (the SET clause follows them);
matches no row when the draft moved past ``expected_version`` since it was read."""

_menus, _keys = ChatMenu.__table__, InboundKey.__table__

MENU = select(_menus.c.choices, _menus.c.numbered).where(
    _menus.c.channel == bindparam("m_channel"), _menus.c.chat_id == bindparam("m_chat_id"),
    _menus.c.shown_at >= bindparam("since"))
"""The menu on screen in a chat, if shown since ``since`` (read on every typed message)."""


def _show_menu(insert: Any) -> Any:
    stmt = insert(_menus).values(channel=bindparam("m_channel"), chat_id=bindparam("m_chat_id"),
                                 choices=bindparam("m_choices"), numbered=bindparam("m_numbered"),
                                 shown_at=bindparam("now"))
    return stmt.on_conflict_do_update(
        index_elements=[_menus.c.channel, _menus.c.chat_id],
        set_={"choices": stmt.excluded.choices, "numbered": stmt.excluded.numbered,
              "shown_at": stmt.excluded.shown_at})


def _begin_key(insert: Any) -> Any:
    """Claim a key in one statement: insert it, or take over an ``in_progress`` mark (its attempt died).

    A row comes back (its attempt number) exactly when the caller should handle the message."""
    stmt = insert(_keys).values(key=bindparam("k"), state=InboundKeyState.IN_PROGRESS, attempts=1,
                                seen_at=bindparam("now"))
    return stmt.on_conflict_do_update(
        index_elements=[_keys.c.key],
        set_={"attempts": _keys.c.attempts + 1, "seen_at": stmt.excluded.seen_at},
        where=_keys.c.state == InboundKeyState.IN_PROGRESS,
    ).returning(_keys.c.attempts)


# Both dialects speak ``INSERT … ON CONFLICT``, each through its own construct.
SHOW_MENU = {"postgresql": _show_menu(pg_insert), "sqlite": _show_menu(sqlite_insert)}
BEGIN_KEY = {"postgresql": _begin_key(pg_insert), "sqlite": _begin_key(sqlite_insert)}
FINISH_KEY = (update(_keys).where(_keys.c.key == bindparam("k"))
              .values(state=InboundKeyState.DONE, seen_at=bindparam("now")))


class _Repo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, obj: Any) -> None:
        self.session.add(obj)


class UnitRepository(_Repo):
    async def by_code(self, code: str) -> Unit | None:
        return await self.session.scalar(select(Unit).where(Unit.code == code))

    async def by_codes(self, codes: Sequence[str]) -> dict[str, Unit]:
        if not codes:
            return {}
        rows = await self.session.scalars(select(Unit).where(Unit.code.in_(list(codes))))
        return {u.code: u for u in rows}

    async def get(self, unit_id: int) -> Unit | None:
        return await self.session.get(Unit, unit_id)

    async def all(self, *, include_closed: bool = False) -> list[Unit]:
        stmt = select(Unit).order_by(Unit.code)
        if not include_closed:
            stmt = stmt.where(Unit.closed_on.is_(None))
        return list(await self.session.scalars(stmt))

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count(Unit.id))) or 0)

    async def group_names(self) -> list[str]:
        rows = await self.session.scalars(select(UnitGroup.name).distinct().order_by(UnitGroup.name))
        return list(rows)

    async def bound_chat_counts(self) -> dict[int, int]:
        """Active chats per unit (officers' bindings), for ``/donvi``."""
        stmt = (
            select(Member.unit_id, func.count(ChatBinding.id))
            .join(ChatBinding, ChatBinding.member_id == Member.id)
            .where(ChatBinding.status == BindingStatus.ACTIVE, Member.unit_id.is_not(None))
            .group_by(Member.unit_id)
        )
        return {uid: n for uid, n in (await self.session.execute(stmt)).all()}


class MemberRepository(_Repo):
    async def get(self, member_id: int) -> Member | None:
        return await self.session.get(Member, member_id)

    async def admins(self) -> list[Member]:
        rows = await self.session.scalars(
            select(Member).where(Member.role == Role.ADMIN).order_by(Member.id).options(selectinload(Member.bindings)))
        return list(rows)

    async def of_unit(self, unit_id: int) -> list[Member]:
        rows = await self.session.scalars(select(Member).where(Member.unit_id == unit_id).order_by(Member.id))
        return list(rows)


class BindingRepository(_Repo):
    async def at(self, channel: str, chat_id: str) -> ChatBinding | None:
        return await self.session.scalar(
            select(ChatBinding).where(ChatBinding.channel == channel, ChatBinding.chat_id == chat_id)
        )

    async def speaker(self, channel: str, chat_id: str) -> Row[Any]:
        """Member, unit and flow state behind a chat, in one query (read on every message).

        Always one row (see ``SPEAKER``); its member and flow columns are NULL where the chat
        has no active binding or no flow.
        """
        return (await self.session.execute(SPEAKER, {"channel": channel, "chat_id": chat_id})).one()

    async def of_member(self, member_id: int) -> list[ChatBinding]:
        rows = await self.session.scalars(
            select(ChatBinding).where(ChatBinding.member_id == member_id).order_by(ChatBinding.id)
            .options(lazyload(ChatBinding.member))
        )
        return list(rows)


class InviteRepository(_Repo):
    async def by_code(self, code: str, *, for_update: bool = False) -> Invite | None:
        stmt = select(Invite).where(Invite.code == code)
        if for_update:
            stmt = stmt.with_for_update(of=Invite)
        return await self.session.scalar(stmt)

    async def exists(self, code: str) -> bool:
        return await self.session.scalar(select(func.count(Invite.id)).where(Invite.code == code)) > 0


class InviteFailureRepository(_Repo):
    def add(self, at: datetime, channel: str, chat_id: str, sender_id: str | None) -> None:
        self.session.add(InviteFailure(at=at, channel=channel, chat_id=chat_id, sender_id=sender_id or None))

    async def of_chat(self, channel: str, chat_id: str, since: datetime, limit: int) -> list[datetime]:
        """When this chat's newest ``limit`` failures since ``since`` happened, newest first."""
        rows = await self.session.scalars(
            select(InviteFailure.at).where(InviteFailure.channel == channel, InviteFailure.chat_id == chat_id,
                                           InviteFailure.at > since)
            .order_by(InviteFailure.at.desc()).limit(limit))
        return list(rows)

    async def of_sender(self, channel: str, sender_id: str, since: datetime, limit: int) -> list[datetime]:
        """When this person's newest ``limit`` failures since ``since`` happened (any chat)."""
        rows = await self.session.scalars(
            select(InviteFailure.at).where(InviteFailure.channel == channel, InviteFailure.sender_id == sender_id,
                                           InviteFailure.at > since)
            .order_by(InviteFailure.at.desc()).limit(limit))
        return list(rows)

    async def forget_before(self, cutoff: datetime) -> int:
        result = await self.session.execute(delete(InviteFailure).where(InviteFailure.at < cutoff))
        return int(result.rowcount or 0)


class ChatStateRepository(_Repo):
    async def get(self, channel: str, chat_id: str) -> ChatState | None:
        return await self.session.get(ChatState, (channel, chat_id))

    async def set(self, channel: str, chat_id: str, flow: str, data: dict[str, Any], now: datetime) -> None:
        """One upsert statement (both dialects speak ``ON CONFLICT``): no read, no ORM flush."""
        insert = pg_insert if self.session.bind.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(ChatState).values(channel=channel, chat_id=chat_id, flow=flow, data=dict(data), updated_at=now)
        await self.session.execute(stmt.on_conflict_do_update(
            index_elements=[ChatState.channel, ChatState.chat_id],
            set_={"flow": stmt.excluded.flow, "data": stmt.excluded.data, "updated_at": stmt.excluded.updated_at}))

    async def clear(self, channel: str, chat_id: str) -> bool:
        result = await self.session.execute(
            delete(ChatState).where(ChatState.channel == channel, ChatState.chat_id == chat_id)
        )
        return bool(result.rowcount)


class ChatMemoryRepository(_Repo):
    """Menus on screen and handled message keys: small rows read and written on every update,
    so each operation is one prebuilt statement."""

    @property
    def _dialect(self) -> str:
        return self.session.bind.dialect.name

    async def menu(self, channel: str, chat_id: str, since: datetime) -> Row[Any] | None:
        """``(choices, numbered)`` of the menu shown in the chat since ``since``, if any."""
        return (await self.session.execute(MENU, {"m_channel": channel, "m_chat_id": chat_id,
                                                  "since": since})).first()

    async def show_menu(self, channel: str, chat_id: str, choices: list[list[str]], numbered: bool,
                        now: datetime) -> None:
        await self.session.execute(SHOW_MENU[self._dialect], {
            "m_channel": channel, "m_chat_id": chat_id, "m_choices": choices, "m_numbered": numbered, "now": now})

    async def forget_menu(self, channel: str, chat_id: str) -> None:
        await self.session.execute(delete(ChatMenu).where(ChatMenu.channel == channel, ChatMenu.chat_id == chat_id))

    async def begin_key(self, key: str, now: datetime) -> int | None:
        """The attempt number if the caller now holds ``key`` (1: first time), else None (done)."""
        row = (await self.session.execute(BEGIN_KEY[self._dialect], {"k": key, "now": now})).first()
        return int(row[0]) if row is not None else None

    async def finish_key(self, key: str, now: datetime) -> None:
        await self.session.execute(FINISH_KEY, {"k": key, "now": now})

    async def forget_before(self, cutoff: datetime) -> tuple[int, int]:
        """Delete menus shown and keys last seen before ``cutoff``; (menus, keys) deleted."""
        menus = await self.session.execute(delete(ChatMenu).where(ChatMenu.shown_at < cutoff))
        keys = await self.session.execute(delete(InboundKey).where(InboundKey.seen_at < cutoff))
        return int(menus.rowcount or 0), int(keys.rowcount or 0)


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

    async def recent(self, limit: int = 10) -> list[Announcement]:
        rows = await self.session.scalars(
            select(Announcement).where(Announcement.status != "draft").order_by(Announcement.id.desc()).limit(limit)
        )
        return list(rows)

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
        return int(result.rowcount or 0)

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
        return int(result.rowcount or 0) == 1

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
        return int(result.rowcount or 0)

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
        return int(result.rowcount or 0)

    async def counts(self, announcement_id: int) -> dict[str, int]:
        stmt = (
            select(Delivery.status, func.count(Delivery.id))
            .where(Delivery.announcement_id == announcement_id)
            .group_by(Delivery.status)
        )
        out = {s: n for s, n in (await self.session.execute(stmt)).all()}
        acked = await self.session.scalar(
            select(func.count(Delivery.id)).where(
                Delivery.announcement_id == announcement_id, Delivery.acknowledged_at.is_not(None)
            )
        )
        out["acknowledged"] = int(acked or 0)
        return out

    async def of_announcement(self, announcement_id: int, statuses: Sequence[str] | None = None) -> list[Delivery]:
        stmt = select(Delivery).where(Delivery.announcement_id == announcement_id)
        if statuses:
            stmt = stmt.where(Delivery.status.in_(list(statuses)))
        return list(await self.session.scalars(stmt.order_by(Delivery.id)))

    async def pending_count(self, channel: str | None = None) -> int:
        stmt = select(func.count(Delivery.id)).where(
            Delivery.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.SENDING])
        )
        if channel:
            stmt = stmt.where(Delivery.channel == channel)
        return int(await self.session.scalar(stmt) or 0)

    async def failed_since(self, since: datetime) -> list[Delivery]:
        rows = await self.session.scalars(
            select(Delivery).where(Delivery.status.in_([DeliveryStatus.FAILED, DeliveryStatus.BLOCKED]),
                                   Delivery.created_at >= since)
        )
        return list(rows)


class ReportRepository(_Repo):
    """Periods, drafts and submissions."""

    async def period(self, period_id: int) -> ReportPeriod | None:
        return await self.session.get(ReportPeriod, period_id)

    async def periods(self, status: str | None = None) -> list[ReportPeriod]:
        stmt = select(ReportPeriod).order_by(ReportPeriod.id.desc())
        if status:
            stmt = stmt.where(ReportPeriod.status == status)
        return list(await self.session.scalars(stmt))

    async def session_for(self, unit_id: int, period_id: int, *, for_update: bool = False) -> FormSession | None:
        stmt = select(FormSession).where(FormSession.unit_id == unit_id, FormSession.period_id == period_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def form_session(self, session_id: int, *, for_update: bool = False) -> FormSession | None:
        stmt = select(FormSession).where(FormSession.id == session_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def draft_row(self, session_id: int) -> Row[Any] | None:
        """The draft with its period and unit (see ``DRAFT``), read on every answer."""
        return (await self.session.execute(DRAFT, {"session_id": session_id})).first()

    async def save_draft(self, session_id: int, expected_version: int, **values: Any) -> bool:
        """Write the draft if it is still at ``expected_version`` (the version moves on by one);
        False when another writer got there first and nothing was written."""
        result = await self.session.execute(
            SAVE_DRAFT, {"session_id": session_id, "expected_version": expected_version, **values})
        return bool(result.rowcount)

    async def sessions_of_period(self, period_id: int) -> list[FormSession]:
        return list(await self.session.scalars(select(FormSession).where(FormSession.period_id == period_id)))

    async def submission(self, submission_id: int) -> Submission | None:
        return await self.session.get(Submission, submission_id)

    async def submission_for(self, unit_id: int, period_id: int, *, for_update: bool = False) -> Submission | None:
        stmt = select(Submission).where(Submission.unit_id == unit_id, Submission.period_id == period_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def submissions_of_period(self, period_id: int) -> list[Submission]:
        return list(await self.session.scalars(
            select(Submission).where(Submission.period_id == period_id).order_by(Submission.id)))

    async def revisions(self, submission_id: int) -> list[SubmissionRevision]:
        return list(await self.session.scalars(
            select(SubmissionRevision).where(SubmissionRevision.submission_id == submission_id)
            .order_by(SubmissionRevision.revision)))


class SendBudgetRepository(_Repo):
    """The shared send budget (PostgreSQL only: SQLite runs one process, whose pacer is enough).

    Times are the database server's ``clock_timestamp()``, one clock for every replica."""

    async def take(self, key: str, interval: float) -> float:
        """Reserve the next slot and return the seconds to wait for it (≤ 0: go now)."""
        await self.session.execute(
            text("INSERT INTO send_budgets (key, next_at) VALUES (:key, clock_timestamp()) ON CONFLICT DO NOTHING"),
            {"key": key})
        wait = await self.session.scalar(text(
            "UPDATE send_budgets SET next_at = greatest(next_at, clock_timestamp()) + make_interval(secs => :interval) "
            "WHERE key = :key RETURNING extract(epoch FROM next_at - clock_timestamp()) - :interval"),
            {"key": key, "interval": interval})
        return float(wait or 0.0)

    async def pause(self, key: str, seconds: float) -> None:
        """A 429 seen by one replica holds every replica's next slot back as long."""
        await self.session.execute(text(
            "UPDATE send_budgets SET next_at = greatest(next_at, clock_timestamp() + make_interval(secs => :s)) "
            "WHERE key = :key"), {"key": key, "s": seconds})


class InboxRepository(_Repo):
    """Updates kept before handling (see ``InboxItem``)."""

    async def keep(self, channel: str, key: str, update: dict[str, Any], now: datetime, until: datetime) -> int | None:
        """Store the update, claimed by the caller until ``until``; None if it was kept before
        (a redelivery: whoever kept it first sees it through)."""
        insert = pg_insert if self.session.bind.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(InboxItem).values(channel=channel, key=key, update=update, received_at=now, attempts=1,
                                        claimed_until=until).on_conflict_do_nothing(index_elements=[InboxItem.key])
        return await self.session.scalar(stmt.returning(InboxItem.id))

    async def done(self, item_id: int, now: datetime) -> None:
        await self.session.execute(update(InboxItem).where(InboxItem.id == item_id).values(done_at=now))

    async def claim_orphans(self, channel: str, now: datetime, until: datetime, max_attempts: int,
                            limit: int) -> list[tuple[int, dict[str, Any]]]:
        """Take undone items whose claim ran out (their process died or gave up), one
        statement, so two processes never take the same one."""
        due = (select(InboxItem.id)
               .where(InboxItem.channel == channel, InboxItem.done_at.is_(None), InboxItem.claimed_until < now,
                      InboxItem.attempts < max_attempts)
               .order_by(InboxItem.id).limit(limit).with_for_update(skip_locked=True))
        rows = await self.session.execute(
            update(InboxItem).where(InboxItem.id.in_(due))
            .values(claimed_until=until, attempts=InboxItem.attempts + 1)
            .returning(InboxItem.id, InboxItem.update).execution_options(synchronize_session=False))
        return sorted((int(i), dict(u)) for i, u in rows.all())

    async def forget_before(self, cutoff: datetime) -> int:
        result = await self.session.execute(delete(InboxItem).where(InboxItem.received_at < cutoff))
        return int(result.rowcount or 0)
