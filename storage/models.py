"""The domain's tables (SQLAlchemy 2 declarative, typed with ``Mapped[]``).

Business state lives here and only here: conversations, outbox and reminders are rows,
so a crash or a restart loses nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import JSONType, UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType, list[Any]: JSONType}


def table_of(model: type[Base]) -> Table:
    """The Table behind a mapped class, as a Table: ``__table__`` is typed as any FromClause
    (a class may map a select), which Core's insert and update do not take."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


def declared_length(model: type[Base], column: str) -> int:
    """The length a String column is declared with, for code outside storage that must
    refuse on SQLite (which ignores lengths) exactly what PostgreSQL would refuse."""
    kind = model.__table__.c[column].type
    if not isinstance(kind, String) or kind.length is None:
        raise TypeError(f"{model.__name__}.{column} is not a String column with a length")
    return kind.length


class UnitKind:
    """Kinds of unit after the 2025 two-tier reform (extensible: stored as text)."""

    LABELS = {
        "tinh": "Tỉnh",
        "huyen": "Huyện",
        "so": "Sở, ban, ngành",
        "xa": "Xã",
        "phuong": "Phường",
        "dac_khu": "Đặc khu",
        "truong": "Trường học",
        "phong": "Phòng, ban",
        "khoi": "Khối thi đua",
        "khac": "Khác",
    }


class Role:
    OFFICER = "officer"
    ADMIN = "admin"
    VIEWER = "viewer"  # a leader on the web dashboard: sees everything, changes nothing
    LABELS = {"officer": "Cán bộ phụ trách TĐKT của đơn vị", "admin": "Quản trị (cơ quan Nội vụ)"}


class BindingStatus:
    ACTIVE = "active"
    BLOCKED = "blocked"
    LEFT = "left"


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    closed_on: Mapped[date | None]
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    phone: Mapped[str | None] = mapped_column(String(15))
    """The officer's mobile, normalised ``84…``: a unit with no chat can still get a Zalo (ZBS) template."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id", foreign_keys=[parent_id])
    group_links: Mapped[list[UnitGroup]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UnitGroup.name"
    )

    @property
    def groups(self) -> list[str]:
        return [g.name for g in self.group_links]


class UnitGroup(Base):
    """Membership of a unit in an emulation cluster/bloc (cụm, khối thi đua)."""

    __tablename__ = "unit_groups"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), primary_key=True)


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"), index=True)
    preferred_channel: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime]

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    bindings: Mapped[list[ChatBinding]] = relationship(back_populates="member", lazy="raise")
    """Never loaded implicitly (async): repositories load a member's chats when asked."""

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class ChatBinding(Base):
    """A chat (on one channel) bound to a member: it receives the member's unit's messages.

    A chat binds to one member only. Who may act through it is decided by ``person_id``, the
    platform's id of the person who bound it: in a private chat that is the chat's own person;
    in a group it is whoever redeemed the code there, and the group's other members are
    strangers to the bot until they bind a chat of their own.
    """

    __tablename__ = "chat_bindings"
    __table_args__ = (UniqueConstraint("channel", "chat_id", name="uq_binding_address"),
                      Index("ix_chat_bindings_person", "channel", "person_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[str | None] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(20), default=BindingStatus.ACTIVE)
    bound_at: Mapped[datetime]

    member: Mapped[Member] = relationship(back_populates="bindings", lazy="joined")


class Invite(Base):
    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))

    unit: Mapped[Unit | None] = relationship(lazy="joined")


class ChatState(Base):
    """What a chat is in the middle of (a guided flow), so ``/huy`` and restarts work."""

    __tablename__ = "chat_states"

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    flow: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class ChatMenu(Base):
    """The menu on screen in a chat without buttons (Zalo, console): what a typed "2" means.

    Kept here, not in the process, so that a restart or another replica reads "2" the same way.
    """

    __tablename__ = "chat_menus"
    __table_args__ = (Index("ix_chat_menus_shown_at", "shown_at"),)

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    choices: Mapped[list[Any]] = mapped_column(default=list)
    """``[[label, payload], ...]`` in the order shown (numbered from 1)."""
    numbered: Mapped[bool] = mapped_column(default=True)
    shown_at: Mapped[datetime]


class InboundKeyState:
    IN_PROGRESS = "in_progress"
    DONE = "done"


class InboundKey(Base):
    """A platform message being or having been handled (``Inbound.key``): each is handled once.

    ``in_progress`` from the start of its handling, ``done`` at the end. The dispatcher asks
    under the chat's turn, so an ``in_progress`` row it meets was left by an attempt that died,
    and the redelivery is handled again.
    """

    __tablename__ = "inbound_keys"
    __table_args__ = (Index("ix_inbound_keys_seen_at", "seen_at"),)

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    state: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(default=1)
    seen_at: Mapped[datetime]


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class DeliveryStatus:
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"
    FINAL = (SENT, FAILED, BLOCKED, CANCELLED)


class Announcement(Base):
    """A decree/announcement to broadcast. Audience is data: {"all": true} or units/groups/kinds."""

    __tablename__ = "announcements"
    __table_args__ = (Index("uq_announcements_request_key", "request_key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(60))
    number: Mapped[str] = mapped_column(String(80), default="")
    issued_on: Mapped[date | None]
    issuer: Mapped[str] = mapped_column(String(255), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[Any]] = mapped_column(default=list)
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    send_at: Mapped[datetime | None]
    needs_ack: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    released_at: Mapped[datetime | None]
    report_channel: Mapped[str | None] = mapped_column(String(20))
    report_chat_id: Mapped[str | None] = mapped_column(String(64))
    report_message_id: Mapped[str | None] = mapped_column(String(64))
    report_text: Mapped[str | None] = mapped_column(Text)
    request_key: Mapped[str | None] = mapped_column(String(64))
    """The compose form's one-time key: the same form sent twice (a double click on "Gửi
    ngay", a reload) finds the announcement it made instead of making a second one."""


class Delivery(Base):
    """The outbox: one row per message to one chat. A crash loses nothing; a restart resumes.

    ``parts_sent`` lets a long message resume at the part where it stopped. ``claim`` is the
    token of the dispatcher claim that holds a 'sending' row until ``claimed_until``: the
    holder renews the lease while the row waits, and every later write of the row compares
    the token, so a row re-claimed after its lease ran out is never completed (or sent) by
    the claim that lost it.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "channel", "status", "next_try_at"),
        # An announcement's figures (and its rows by status) read from indexes alone: by
        # status and acknowledged; the routes and receipts that only the OA's copies have.
        Index("ix_deliveries_figures", "announcement_id", "status", "acknowledged_at"),
        Index("ix_deliveries_oa_figures", "announcement_id", "channel", "route", "received_at", "seen_at"),
        Index("ix_deliveries_message", "channel", "message_id"),  # receipts name the platform's id
        UniqueConstraint("announcement_id", "binding_id", name="uq_delivery_announcement_binding"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    announcement_id: Mapped[int | None] = mapped_column(ForeignKey("announcements.id", ondelete="CASCADE"))
    binding_id: Mapped[int | None] = mapped_column(ForeignKey("chat_bindings.id", ondelete="SET NULL"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.QUEUED)
    priority: Mapped[int] = mapped_column(default=5)
    attempts: Mapped[int] = mapped_column(default=0)
    parts_sent: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_try_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    claim: Mapped[str | None] = mapped_column(String(40))
    message_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    route: Mapped[str] = mapped_column(String(20), default="", server_default="")
    """How a Zalo OA delivery reached (or did not reach) the person: ``consultation``,
    ``template_uid``, ``template_phone`` or ``unreachable``; "" on other channels."""
    received_at: Mapped[datetime | None]
    """When the platform said it reached the person's phone (Zalo OA ``user_received_message``,
    or implied by a seen receipt); first receipt wins."""
    seen_at: Mapped[datetime | None]
    """When the platform said the person saw it (Zalo OA ``user_seen_message``)."""


class ReportPeriod(Base):
    """A reporting round: which form, for whom, data cut-off, deadline, reminder offsets."""

    __tablename__ = "report_periods"
    # One open period per form and label: a double-clicked "Mở kỳ" (or two admins at once)
    # cannot open the same period twice; closed ones may share a label with a new one.
    __table_args__ = (Index("uq_periods_open_label", "form_id", "label", unique=True,
                            sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[str] = mapped_column(String(60))
    form_version: Mapped[int]
    label: Mapped[str] = mapped_column(String(255))
    cutoff: Mapped[date | None]
    opens_at: Mapped[datetime]
    due_at: Mapped[datetime]
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    remind_offsets: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), default="open")
    announcement_id: Mapped[int | None] = mapped_column(ForeignKey("announcements.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class FormSession(Base):
    """The draft of one unit's report for one period, owned by the member who started it.

    Every answer is written here the moment it is given; the chat can go away for days.
    """

    __tablename__ = "form_sessions"
    __table_args__ = (UniqueConstraint("unit_id", "period_id", name="uq_session_unit_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("report_periods.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    history: Mapped[list[Any]] = mapped_column(default=list)
    position: Mapped[str | None] = mapped_column(String(60))
    return_to_summary: Mapped[bool] = mapped_column(default=False)
    # Digest of the last message or button press applied (Inbound.key): a redelivery
    # of that same message after a crash re-asks the question instead of answering the next one.
    last_inbound: Mapped[str | None] = mapped_column(String(40))
    # Bumped by every write: a save names the version it was computed from and loses (0 rows)
    # if another chat or process wrote in between, instead of overwriting that answer silently.
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Submission(Base):
    """A unit's report for a period: nháp → đã nộp → bị trả lại → đã tiếp nhận."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("unit_id", "period_id", name="uq_submission_unit_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("report_periods.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    revision: Mapped[int]
    form_version: Mapped[int]
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime]
    first_submitted_at: Mapped[datetime]
    late: Mapped[bool] = mapped_column(default=False)
    receipt_no: Mapped[str] = mapped_column(String(40))
    return_reason: Mapped[str] = mapped_column(Text, default="")
    returned_at: Mapped[datetime | None]
    returned_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    accepted_at: Mapped[datetime | None]


class SubmissionRevision(Base):
    """Every version ever submitted, kept: a return-and-revise never overwrites history."""

    __tablename__ = "submission_revisions"
    __table_args__ = (UniqueConstraint("submission_id", "revision", name="uq_revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    revision: Mapped[int]
    form_version: Mapped[int]
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime]
    late: Mapped[bool] = mapped_column(default=False)
    receipt_no: Mapped[str] = mapped_column(String(40))
    # The draft this revision was made from (gone since): a second tap on that draft's "Gửi"
    # gets this receipt back instead of "the button is old".
    session_id: Mapped[int | None] = mapped_column(index=True)


class Reminder(Base):
    """One planned reminder for one unit. Unique per (period, unit, kind): never twice.

    ``planned_for`` is the ideal time from the offset; ``send_at`` is after moving out of
    quiet hours and rest days (the difference is what ``periods show`` reports as moved).
    """

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("period_id", "unit_id", "kind", name="uq_reminder"),
        Index("ix_reminders_due", "status", "send_at"),
        # The latest reminder sent to each unit of a period (the dashboard's table).
        Index("ix_reminders_sent", "period_id", "status", "unit_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("report_periods.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    planned_for: Mapped[datetime]
    send_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="planned")
    claim: Mapped[str | None] = mapped_column(String(40))
    sent_at: Mapped[datetime | None]
    deliveries: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]


class JobRun(Base):
    """Once-only jobs (the daily digest of a given day): the primary key is the claim."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    at: Mapped[datetime]


__all__ = [
    "Announcement",
    "AuditLog",
    "Base",
    "BindingStatus",
    "ChatBinding",
    "ChatMenu",
    "ChatState",
    "Delivery",
    "DeliveryStatus",
    "InboundKey",
    "InboundKeyState",
    "Invite",
    "Member",
    "Role",
    "Text",
    "Unit",
    "UnitGroup",
    "UnitKind",
    "ZaloOaContact",
    "ZaloOaToken",
]


class SendBudget(Base):
    """One bot's send budget shared by every replica (PostgreSQL): the time of the next free
    slot. Each message advances it by one interval in a single UPDATE, so two processes never
    take the same slot and together never go faster than the platform allows."""

    __tablename__ = "send_budgets"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    next_at: Mapped[datetime]


class InboxItem(Base):
    """An update a platform will not deliver again, kept before we take it: Zalo's webhook is
    answered 200 at once and its getUpdates hands an update out only once, so a process that
    dies while handling would lose it. Kept here first, marked done when handled; an item left
    undone is taken up again by any process (``claimed_until`` lets one at a time try)."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("key", name="uq_inbox_key"),
        Index("ix_inbox_pending", "channel", "done_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(40))
    update: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=1)
    claimed_until: Mapped[datetime | None]
    done_at: Mapped[datetime | None]


class InviteFailure(Base):
    """One invite code tried in vain (unknown, used or expired), kept so that guessing is
    limited per chat and per sender across restarts and replicas: codes are short enough
    (~2⁴⁰) that an unlimited guesser would eventually find a live one."""

    __tablename__ = "invite_failures"
    __table_args__ = (
        Index("ix_invite_failures_chat", "channel", "chat_id", "at"),
        Index("ix_invite_failures_sender", "channel", "sender_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))
    sender_id: Mapped[str | None] = mapped_column(String(64))


class ZaloOaToken(Base):
    """The OA's token pair. Zalo's refresh token is single-use and rotates, so the pair must
    live where every process sees it, and a new pair is committed before the new access
    token is used: a crash after the refresh but before the commit would lose the only
    refresh token there is (and the channel with it)."""

    __tablename__ = "zalo_oa_tokens"

    app_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text, default="")
    refresh_token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]
    refreshed_at: Mapped[datetime]
    generation: Mapped[int] = mapped_column(default=0)


class ZaloOaContact(Base):
    """What the OA knows of one Zalo user: when they last interacted (consultation messages
    are refused seven days after it) and the phone they shared (``user_submit_info``)."""

    __tablename__ = "zalo_oa_contacts"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_interaction_at: Mapped[datetime | None]
    following: Mapped[bool] = mapped_column(default=True)
    phone: Mapped[str | None] = mapped_column(String(15))
    updated_at: Mapped[datetime]
class WebLink(Base):
    """A single-use sign-in link to the dashboard (10 minutes). Only the SHA-256 of its token
    is kept: a copy of the database does not let anyone sign in."""

    __tablename__ = "web_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser, kept server-side: the cookie carries only a random token (hashed
    here), so a session ends the moment it is revoked or idles out, on every replica."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class WebSignInFailure(Base):
    """A wrong, used or expired sign-in link opened from an address: a few in a row and that
    address is refused for a while (kept in the database: restarts and replicas agree)."""

    __tablename__ = "web_signin_failures"
    __table_args__ = (Index("ix_web_signin_failures_address", "address", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    address: Mapped[str] = mapped_column(String(64))
