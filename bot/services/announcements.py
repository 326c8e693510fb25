"""Announcements: create, release to the outbox, acknowledge, report on delivery."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.core import Attachment, Choice, Clock, Outbound, Route
from bot.rendering.buttons import Acknowledge, DeliveryReport
from bot.rendering.templates import Raw, render
from bot.services.audience import (
    Audience,
    AudienceLike,
    check_names,
    describe,
    recipient_bindings,
    resolve_units,
)
from storage.errors import Conflict
from storage.models import Announcement, Delivery, DeliveryStatus
from storage.records import DeliveryListingRow, DeliveryTally, OaTally
from storage.uow import UnitOfWork, UnitOfWorkFactory

ACK_PREFIX = "ack"
DOC_TYPES = ("Chỉ thị", "Kế hoạch", "Phát động", "Công văn", "Thông báo", "Quyết định", "Hướng dẫn",
             "Giao ước thi đua")
"""The kinds of document the office sends (the chat's /thongbao and the dashboard offer these)."""


@dataclass(frozen=True)
class AnnouncementView:
    id: int
    doc_type: str
    number: str
    issued_on: date | None
    issuer: str
    summary: str
    audience: str
    status: str
    needs_ack: bool
    send_at: datetime | None
    created_at: datetime
    released_at: datetime | None


@dataclass(frozen=True)
class DeliveryCounts:
    total: int
    sent: int
    pending: int
    failed: int
    blocked: int
    acknowledged: int
    routes: dict[str, int] = field(default_factory=dict)
    """Zalo OA only: how many went as consultation, template by user id / phone, unreachable."""
    receipts: int = 0
    """Deliveries on a channel that reports receipts (Zalo OA): 0 → no receipt figures to show."""
    received: int = 0
    """Deliveries the platform said reached the phone."""
    seen: int = 0
    """Deliveries the platform said were seen."""

    @property
    def done(self) -> bool:
        return self.pending == 0


async def _counts_of(uow: UnitOfWork, announcement_ids: list[int]) -> dict[int, DeliveryCounts]:
    tallies, oa = await uow.deliveries.tallies(announcement_ids)
    return {a: delivery_counts([t for t in tallies if t.announcement_id == a], [t for t in oa if t.announcement_id == a])
            for a in announcement_ids}


def delivery_counts(tallies: Iterable[DeliveryTally], oa: Iterable[OaTally]) -> DeliveryCounts:
    """One announcement's figures from its tallies: every copy but the cancelled ones counts
    in the total; acknowledged, and the OA's routes and receipts, whatever the copy's status."""
    by_status: dict[str, int] = {}
    acknowledged = 0
    for t in tallies:
        by_status[t.status] = t.copies
        acknowledged += t.acknowledged
    oa = list(oa)
    return DeliveryCounts(
        total=sum(n for status, n in by_status.items() if status != DeliveryStatus.CANCELLED),
        sent=by_status.get(DeliveryStatus.SENT, 0),
        pending=by_status.get(DeliveryStatus.QUEUED, 0) + by_status.get(DeliveryStatus.SENDING, 0),
        failed=by_status.get(DeliveryStatus.FAILED, 0), blocked=by_status.get(DeliveryStatus.BLOCKED, 0),
        acknowledged=acknowledged, routes={t.route: t.copies for t in oa if t.route},
        receipts=sum(t.copies for t in oa), received=sum(t.received for t in oa), seen=sum(t.seen for t in oa))


@dataclass(frozen=True)
class DeliveryLine:
    unit_code: str
    unit_name: str
    channel: str
    chat_id: str
    status: str
    attempts: int
    sent_at: datetime | None
    acknowledged_at: datetime | None
    last_error: str
    received_at: datetime | None = None
    seen_at: datetime | None = None


def _delivery_line(r: DeliveryListingRow) -> DeliveryLine:
    return DeliveryLine(r.unit_code or "-", r.unit_name or "-", r.channel, r.chat_id, r.status, r.attempts,
                        r.sent_at, r.acknowledged_at, r.last_error, received_at=r.received_at, seen_at=r.seen_at)


@dataclass(frozen=True)
class ReceivedAnnouncement:
    """An announcement as one recipient unit has it: its body (the Markdown its chats were
    sent under the header), the attached files, and the unit's own copies."""

    announcement: AnnouncementView
    body: str
    files: list[dict[str, Any]]
    copies: list[DeliveryLine]

    @property
    def acknowledged_at(self) -> datetime | None:
        """When the unit first acknowledged it (any of its chats), if it did."""
        return min((c.acknowledged_at for c in self.copies if c.acknowledged_at), default=None)

    @property
    def delivered(self) -> bool:
        return any(c.status == DeliveryStatus.SENT for c in self.copies)


@dataclass(frozen=True)
class DeliveryTable:
    """An announcement's page: every copy (``lines``), and the audience's units no copy
    reached (``not_reached``: code, name, why) — both from one read of the copies."""

    lines: list[DeliveryLine]
    not_reached: list[tuple[str, str, str]]


def view(a: Announcement) -> AnnouncementView:
    return AnnouncementView(
        id=a.id, doc_type=a.doc_type, number=a.number, issued_on=a.issued_on, issuer=a.issuer, summary=a.summary,
        audience=describe(a.audience), status=a.status, needs_ack=a.needs_ack, send_at=a.send_at,
        created_at=a.created_at, released_at=a.released_at,
    )


def announcement_markdown(a: Announcement, *, buttons: bool = True) -> str:
    """The text every recipient sees (and the admin's preview): header, then the body.

    ``buttons`` is whether the recipient's channel has buttons: the request to acknowledge
    names what can be done there ("bấm" a button, or type the words where there is none)."""
    return render("announcement", a=a, body=Raw(a.body.strip()), buttons=buttons)


def announcement_outbound(a: Announcement, delivery_id: int | None, *, buttons: bool = True) -> Outbound:
    """What one recipient gets: the text, then every attached file as a document."""
    choices = ack_choices(delivery_id) if a.needs_ack and delivery_id is not None else ()
    documents = tuple(Attachment(name=f["name"], mime=f.get("mime", ""), size=int(f.get("size", 0)),
                                 ref=f.get("path", ""), content=read_stored(f.get("path", ""))) for f in a.attachments)
    return Outbound(text=announcement_markdown(a, buttons=buttons), choices=choices, documents=documents)


def ack_choices(delivery_id: int) -> tuple[tuple[Choice, ...], ...]:
    """The 'Đã nhận' button of one recipient's copy (the payload names the delivery row)."""
    return ((Choice("✅ Đã nhận", Acknowledge(delivery=delivery_id).pack()),),)


def read_stored(path: str) -> bytes | None:
    """The bytes of a stored file, or None if it is gone (the message then goes without it)."""
    try:
        return Path(path).read_bytes() if path else None
    except OSError:
        return None


class AnnouncementService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, on_queued: Any = None) -> None:
        self.uow = uow
        self.clock = clock
        self.on_queued = on_queued or (lambda: None)

    async def create(
        self, *, doc_type: str, number: str = "", issued_on: date | None = None, issuer: str = "", summary: str = "",
        body: str = "", attachments: list[dict[str, Any]] | None = None, audience: AudienceLike | None = None,
        send_at: datetime | None = None, needs_ack: bool = False, created_by: int | None = None, actor: str = "cli",
        request_key: str | None = None,
    ) -> AnnouncementView:
        """Store the announcement and, unless it is scheduled for later, its deliveries: one
        transaction (a crash leaves either nothing or an announcement on its way)."""
        now = self.clock.now()
        async with self.uow() as uow:
            a = await stage_announcement(
                uow, now, doc_type=doc_type, number=number, issued_on=issued_on, issuer=issuer, summary=summary,
                body=body, attachments=attachments, audience=audience, send_at=send_at, needs_ack=needs_ack,
                created_by=created_by, actor=actor, request_key=request_key)
            if a.status == "queued":
                await stage_deliveries(uow, a, now)
            await uow.commit()
            queued = a.status == "sending"
            result = view(a)
        if queued:
            self.on_queued()
        return result

    async def create_once(self, request_key: str, **fields: Any) -> tuple[AnnouncementView, bool]:
        """``create`` for a form that may arrive twice (a double click, a reload): the first
        request with ``request_key`` makes the announcement, a repeat — even one racing it on
        another replica, which the unique key refuses — gets that same announcement and
        False. Nothing is sent twice."""
        async with self.uow() as uow:
            existing = await uow.announcements.by_request_key(request_key)
            if existing is not None:
                return view(existing), False
        try:
            return await self.create(**fields, request_key=request_key), True
        except Conflict:
            async with self.uow() as uow:
                existing = await uow.announcements.by_request_key(request_key)
            if existing is None:
                raise
            return view(existing), False

    async def release(self, announcement_id: int) -> int:
        """Create one delivery per recipient chat (idempotent: re-running adds only new chats)."""
        now = self.clock.now()
        async with self.uow() as uow:
            a = await uow.announcements.get(announcement_id)
            if a is None:
                return 0
            created = await stage_deliveries(uow, a, now)
            try:
                await uow.commit()
            except Conflict:  # another process released it at the same moment
                return 0
        self.on_queued()
        return created

    async def release_due(self) -> list[int]:
        """Scheduled announcements whose time has come (called by the scheduler tick)."""
        async with self.uow() as uow:
            rows = await uow.announcements.due_scheduled(self.clock.now())
            due = [a.id for a in rows]
            for a in rows:
                a.status = "queued"
            await uow.commit()
        for ann_id in due:
            await self.release(ann_id)
        return due

    async def get(self, announcement_id: int) -> AnnouncementView | None:
        async with self.uow() as uow:
            a = await uow.announcements.get(announcement_id)
            return view(a) if a else None

    async def preview(self, announcement_id: int, *, buttons: bool = True) -> Outbound | None:
        """The announcement as a recipient on a channel with (or without) ``buttons`` sees it."""
        async with self.uow() as uow:
            a = await uow.announcements.get(announcement_id)
            return announcement_outbound(a, None, buttons=buttons) if a else None

    async def counts(self, announcement_id: int) -> DeliveryCounts:
        return (await self.counts_of([announcement_id]))[announcement_id]

    async def counts_of(self, announcement_ids: list[int]) -> dict[int, DeliveryCounts]:
        """Each announcement's delivery figures, all from two grouped index reads."""
        async with self.uow() as uow:
            return await _counts_of(uow, announcement_ids)

    async def recent(self, limit: int = 5) -> list[tuple[AnnouncementView, DeliveryCounts]]:
        """The latest announcements with their figures (the overview), in one transaction."""
        async with self.uow() as uow:
            items = [view(a) for a in await uow.announcements.recent(limit)]
            counts = await _counts_of(uow, [a.id for a in items])
        return [(a, counts[a.id]) for a in items]

    async def for_unit(self, unit_id: int, limit: int = 8) -> list[AnnouncementView]:
        async with self.uow() as uow:
            return [view(a) for a in await uow.announcements.for_unit(unit_id, limit)]

    async def deliveries(self, announcement_id: int, statuses: list[str] | None = None) -> list[DeliveryLine]:
        async with self.uow() as uow:
            return [_delivery_line(r) for r in await uow.deliveries.listing(announcement_id, statuses)]

    async def delivery_table(self, announcement_id: int) -> DeliveryTable:
        """Every copy of the announcement and the audience's units none reached, in one transaction."""
        async with self.uow() as uow:
            a = await uow.announcements.get(announcement_id)
            return await _read_table(uow, a) if a else DeliveryTable([], [])

    async def received_by(self, announcement_id: int, unit_id: int) -> ReceivedAnnouncement | None:
        """The announcement as the unit received it; None if none of its chats was sent a
        copy (an officer may open only what reached their unit)."""
        async with self.uow() as uow:
            a = await uow.announcements.get(announcement_id)
            copies = await uow.deliveries.listing(announcement_id, unit_id=unit_id) if a else []
            if a is None or not copies:
                return None
            return ReceivedAnnouncement(view(a), a.body.strip(), list(a.attachments or []),
                                        [_delivery_line(r) for r in copies])

    async def attachments(self, announcement_id: int) -> list[dict[str, Any]]:
        """The files attached to the announcement, as stored (name, mime, size, path)."""
        async with self.uow() as uow:
            a = await uow.announcements.get(announcement_id)
            return list(a.attachments or []) if a else []

    async def acknowledge_for_unit(self, announcement_id: int, unit_id: int, member_id: int) -> int:
        """"Đã nhận" for the whole unit (from the dashboard): each delivered copy to its chats
        not yet acknowledged is, so none of them is reminded again; how many."""
        now = self.clock.now()
        async with self.uow() as uow:
            n = await uow.deliveries.acknowledge_unit(announcement_id, unit_id, member_id, now)
            if n:
                uow.audit.record(now, f"member:{member_id}", "announcement.acknowledge", id=announcement_id,
                                 unit=unit_id, copies=n)
            await uow.commit()
        return n

    async def cancel_scheduled(self, announcement_id: int, actor: str) -> bool:
        """Call off an announcement waiting for its time; False when it is no longer waiting
        (the scheduler released it first, or it was sent or called off already). One
        conditional statement, so it cannot cancel what a replica is releasing."""
        async with self.uow() as uow:
            cancelled = await uow.announcements.cancel_scheduled(announcement_id)
            if cancelled:
                uow.audit.record(self.clock.now(), actor, "announcement.cancel", id=announcement_id)
            await uow.commit()
        return cancelled

    async def acknowledge(self, delivery_id: int, member_id: int | None) -> tuple[bool, datetime | None]:
        """Record 'Đã nhận'. Returns (recorded now, when it was first recorded); repeats are harmless."""
        async with self.uow() as uow:
            d = await uow.deliveries.get(delivery_id)
            if d is None or d.announcement_id is None:
                return False, None
            if d.acknowledged_at is not None:
                return False, d.acknowledged_at
            if member_id is not None and d.member_id is not None and d.member_id != member_id:
                # another member of the same unit may acknowledge for the unit
                same_unit = (await uow.members.get(member_id))
                if same_unit is None or same_unit.unit_id != d.unit_id:
                    return False, None
            d.acknowledged_at, d.acknowledged_by = self.clock.now(), member_id
            await uow.commit()
            return True, d.acknowledged_at

    async def ack_of_last_for_chat(self, channel: str, chat_id: str) -> int | None:
        """The newest unacknowledged delivery needing acknowledgement in this chat (for 'đã nhận' typed)."""
        async with self.uow() as uow:
            return await uow.deliveries.last_to_acknowledge(channel, chat_id)

    async def retry_failed(self, announcement_id: int) -> int:
        """Queue the failed deliveries again. One conditional statement, not read-then-write:
        two offices pressing "retry" at once must not reset a row a dispatcher already sends."""
        now = self.clock.now()
        async with self.uow() as uow:
            n = await uow.deliveries.requeue_failed(announcement_id, now)
            a = await uow.announcements.get(announcement_id)
            if a is not None and n:
                a.status = "sending"
            await uow.commit()
        if n:
            self.on_queued()
        return n

    async def remind_unacknowledged(self, announcement_id: int) -> int:
        """Queue a short reminder to every chat that received but did not acknowledge."""
        now = self.clock.now()
        async with self.uow() as uow:
            a = await uow.announcements.get(announcement_id)
            if a is None:
                return 0
            rows = [d for d in await uow.deliveries.of_announcement(announcement_id, [DeliveryStatus.SENT])
                    if d.acknowledged_at is None]
            pressed, typed = render("ack_reminder", a=a, buttons=True), render("ack_reminder", a=a, buttons=False)
            for d in rows:
                uow.deliveries.add(Delivery(
                    kind="notice", announcement_id=None, binding_id=d.binding_id, member_id=d.member_id,
                    unit_id=d.unit_id, channel=d.channel, chat_id=d.chat_id,
                    payload={"text": pressed, "typed_text": typed, "choices": [[["✅ Đã nhận", Acknowledge(delivery=d.id).pack()]]]},
                    status=DeliveryStatus.QUEUED, priority=3, attempts=0, parts_sent=0, last_error="",
                    next_try_at=now, message_id="", created_at=now,
                ))
            await uow.commit()
        if rows:
            self.on_queued()
        return len(rows)

    async def attach_report(self, announcement_id: int, channel: str, chat_id: str, message_id: str, text: str) -> None:
        async with self.uow() as uow:
            a = await uow.announcements.get(announcement_id)
            if a is not None:
                a.report_channel, a.report_chat_id, a.report_message_id, a.report_text = channel, chat_id, message_id, text
                await uow.commit()

    async def live_reports(self) -> list[tuple[int, str, str, str, str]]:
        """(id, channel, chat, message id, last text) of status messages still worth refreshing."""
        since = self.clock.now() - timedelta(days=2)
        async with self.uow() as uow:
            return [(a.id, a.report_channel or "", a.report_chat_id or "", a.report_message_id or "",
                     a.report_text or "") for a in await uow.announcements.with_live_report(since)]

    async def check_audience(self, audience: AudienceLike) -> None:
        async with self.uow() as uow:
            await resolve_units(uow, audience)

    def preview_draft(self, data: dict[str, Any], issuer: str = "", *, buttons: bool = True) -> Outbound:
        """Exactly what recipients on a channel with (or without) ``buttons`` will see, before
        anything is stored."""
        draft = Announcement(doc_type=data.get("doc_type", "Thông báo"), number=data.get("number", ""),
                             issued_on=data.get("issued_on"), issuer=data.get("issuer", issuer),
                             summary=data.get("summary", ""), body=data.get("body", ""),
                             attachments=data.get("attachments", []), needs_ack=bool(data.get("ack")))
        return Outbound(text=announcement_markdown(draft, buttons=buttons))

    async def report_outbound(self, announcement_id: int) -> Outbound:
        """The admin's status message: figures and the follow-up buttons."""
        a = await self.get(announcement_id)
        assert a is not None
        c = await self.counts(announcement_id)
        text = render("delivery_report", a=a, c=c, updated=self.clock.now())
        return Outbound(text=text, choices=_report_choices(a.id, a.needs_ack))

    async def not_reached(self, announcement_id: int) -> list[tuple[str, str, str]]:
        return await units_not_reached(self.uow, announcement_id)

    async def without_chat(self, announcement_id: int) -> int:
        """How many audience units no chat reaches: the figure the dashboard refreshes while
        the announcement goes out. Once it is released, the units that got no copy at all
        (read without loading deliveries); before, the units with no linked chat. The audience
        is read as the page's table reads it (``_read_table``): ids only, as it is now."""
        async with self.uow() as uow:
            a = await uow.announcements.get(announcement_id)
            if a is None:
                return 0
            unit_ids = [i for i, _, _ in await uow.audiences.unit_names(Audience.of(a.audience))]
            have = await uow.deliveries.unit_ids_of(announcement_id)
            if not have and a.status in NOT_SENT_YET:
                have = {r.unit_id for r in await uow.audiences.recipients(unit_ids)}
        return sum(1 for i in unit_ids if i not in have)

    async def failed_since(self, since: datetime) -> list[DeliveryLine]:
        async with self.uow() as uow:
            return [_delivery_line(r) for r in await uow.deliveries.failed_since(since)]

    async def mark_done_if_finished(self, announcement_id: int) -> None:
        counts = await self.counts(announcement_id)
        if counts.done:
            async with self.uow() as uow:
                a = await uow.announcements.get(announcement_id)
                if a is not None and a.status == "sending":
                    a.status = "done"
                    await uow.commit()


async def units_not_reached(uow_factory: UnitOfWorkFactory, announcement_id: int) -> list[tuple[str, str, str]]:
    """(code, name, why) for every audience unit without a delivered copy — including units
    that have no bound chat at all, which is exactly what the office needs to chase."""
    async with uow_factory() as uow:
        a = await uow.announcements.get(announcement_id)
        return (await _read_table(uow, a)).not_reached if a else []


COPY_STATUS_LABELS = {"queued": "đang chờ gửi", "sending": "đang gửi", "sent": "đã nhận", "failed": "gửi lỗi",
                      "blocked": "đã chặn bot", "cancelled": "đã hủy"}
"""A copy's state as the office reads it (an announcement's table, and why a unit was not reached)."""

NO_CHAT_LABEL = "chưa liên kết kênh nhắn tin"

NOT_SENT_YET = {"scheduled": "chờ đến giờ gửi", "queued": "đang chuẩn bị gửi", "cancelled": "đã hủy, không gửi"}
"""An announcement's states before it has any copy, and what they mean for a unit with a chat."""


async def _read_table(uow: UnitOfWork, a: Announcement) -> DeliveryTable:
    """The copies of ``a`` and who was not reached. Before it is released there are no copies
    yet: a unit with a linked chat is then waiting (or called off), not unreachable."""
    rows = await uow.deliveries.listing(a.id)
    audience = await uow.audiences.unit_names(Audience.of(a.audience))
    waiting = NOT_SENT_YET.get(a.status, "") if not rows else ""
    linked = {r.unit_id for r in await uow.audiences.recipients([i for i, _, _ in audience])} if waiting else set()
    return DeliveryTable([_delivery_line(r) for r in rows], _not_reached(audience, rows, linked, waiting))


def _not_reached(audience: list[tuple[int, str, str]], rows: list[DeliveryListingRow],
                 linked: set[int] | None = None, waiting: str = "") -> list[tuple[str, str, str]]:
    """The audience's units (id, code, name) none of whose copies was delivered, each with why:
    no chat at all, or what its copies' states are — or, for a unit in ``linked`` before the
    announcement has copies, ``waiting``. The audience is read as it is now (a unit closed
    since is left out; a cụm/khối renamed since designates nobody), so the page of an old
    announcement still opens."""
    by_unit: dict[int, list[DeliveryListingRow]] = {}
    for r in rows:
        by_unit.setdefault(r.unit_id or -1, []).append(r)
    out: list[tuple[str, str, str]] = []
    for unit_id, code, name in audience:
        copies = by_unit.get(unit_id, [])
        if any(r.status == DeliveryStatus.SENT for r in copies):
            continue
        if copies:
            why = ", ".join(sorted({UNREACHABLE_LABEL if r.route == Route.UNREACHABLE
                                    else COPY_STATUS_LABELS.get(r.status, r.status) for r in copies}))
        else:
            why = waiting if waiting and linked and unit_id in linked else NO_CHAT_LABEL
        out.append((code, name, why))
    return out


UNREACHABLE_LABEL = "không liên lạc được qua Zalo OA (quá 7 ngày chưa tương tác, không gửi được tin mẫu)"
async def stage_announcement(
    uow: UnitOfWork, now: datetime, *, doc_type: str, number: str = "", issued_on: date | None = None,
    issuer: str = "", summary: str = "", body: str = "", attachments: list[dict[str, Any]] | None = None,
    audience: AudienceLike | None = None, send_at: datetime | None = None, needs_ack: bool = False,
    created_by: int | None = None, actor: str = "cli", request_key: str | None = None,
) -> Announcement:
    """Add an announcement to ``uow`` (flushed, audited, not committed): "queued", or
    "scheduled" when ``send_at`` is later. Its audience is checked now, not at send time."""
    aud = Audience.of(audience)
    await check_names(uow, aud)
    a = Announcement(
        doc_type=doc_type or "Thông báo", number=number, issued_on=issued_on, issuer=issuer, summary=summary,
        body=body, attachments=attachments or [], audience=aud.to_json(), send_at=send_at, needs_ack=needs_ack,
        status="scheduled" if send_at and send_at > now else "queued", created_by=created_by, created_at=now,
        request_key=request_key,
    )
    uow.announcements.add(a)
    await uow.flush()
    uow.audit.record(now, actor, "announcement.create", id=a.id, number=number, audience=aud.to_json())
    return a


async def stage_deliveries(uow: UnitOfWork, a: Announcement, now: datetime) -> int:
    """Add one outbox row per recipient chat not yet given one and mark the announcement
    "sending" (in ``uow``, not committed); how many rows were added."""
    units = await resolve_units(uow, a.audience)
    bindings = await recipient_bindings(uow, [u.id for u in units])
    existing = await uow.deliveries.binding_ids_of(a.id)
    created = 0
    for b in bindings:
        if b.id in existing:
            continue
        uow.deliveries.add(Delivery(
            kind="announcement", announcement_id=a.id, binding_id=b.id, member_id=b.member_id,
            unit_id=b.unit_id, channel=b.channel, chat_id=b.chat_id, payload={},
            status=DeliveryStatus.QUEUED, priority=5, attempts=0, parts_sent=0, last_error="",
            next_try_at=now, message_id="", created_at=now,
        ))
        created += 1
    a.status, a.released_at = "sending", a.released_at or now
    return created


def _report_choices(announcement_id: int, needs_ack: bool) -> tuple[tuple[Choice, ...], ...]:
    row1 = (Choice("Đơn vị chưa nhận", DeliveryReport(announcement=announcement_id, view="m").pack()), Choice("Gửi lại cho đơn vị lỗi", DeliveryReport(announcement=announcement_id, view="r").pack()))
    if needs_ack:
        return (row1, (Choice("Nhắc đơn vị chưa xác nhận", DeliveryReport(announcement=announcement_id, view="a").pack()),))
    return (row1,)
