"""Zalo OA delivery and seen receipts on the deliveries (issue 16): found by the platform's
message id or by our template ``tracking_id``, first receipt wins, seen implies received,
only OA rows, and the announcement's figures count them. Runs on every backend."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app import App
from bot.services.zalo_oa import OaContactBook, delivery_of_tracking, tracking_of
from storage.models import Delivery, DeliveryStatus


def _delivery(announcement_id: int, channel: str, chat_id: str, message_id: str, at: datetime) -> Delivery:
    sent = bool(message_id)
    return Delivery(kind="announcement", announcement_id=announcement_id, channel=channel, chat_id=chat_id,
                    payload={}, status=DeliveryStatus.SENT if sent else DeliveryStatus.QUEUED, next_try_at=at,
                    created_at=at, sent_at=at if sent else None, message_id=message_id)


async def _rows(app: App, announcement_id: int) -> dict[str, Delivery]:
    async with app.uow() as uow:
        return {f"{d.channel}:{d.chat_id}": d for d in await uow.deliveries.of_announcement(announcement_id)}


async def test_receipts_land_once_on_the_oa_rows_they_name(app: App) -> None:
    clock = app.clock
    a = await app.services.announcements.create(doc_type="Thông báo", summary="Họp sơ kết",
                                                 audience={"units": ["X_CAOLOC"]})
    t0 = clock.now()
    async with app.uow() as uow:
        rows = [_delivery(a.id, "zalo_oa", "u1", "m1", t0), _delivery(a.id, "zalo_oa", "u2", "m2", t0),
                _delivery(a.id, "zalo_oa", "u3", "", t0),  # its template send has not recorded an id yet
                _delivery(a.id, "telegram", "501", "m1", t0)]  # same id on another platform: not ours
        uow.session.add_all(rows)
        await uow.commit()
        pending_id = rows[2].id
    book = OaContactBook(app.uow, clock)
    t1, t2 = t0 + timedelta(minutes=1), t0 + timedelta(minutes=9)

    await book.received(["m1", ""], "", t1)  # "" must not match the rows still without an id
    await book.received(["m1"], "", t2)  # the platform's retry, or a second receipt: the first wins
    got = await _rows(app, a.id)
    assert got["zalo_oa:u1"].received_at == t1 and got["zalo_oa:u1"].seen_at is None
    assert got["zalo_oa:u3"].received_at is None and got["telegram:501"].received_at is None

    await book.received([], tracking_of(pending_id), t1)  # a ZBS receipt ahead of the recorded msg_id
    await book.received([], "a1b2c3d4", t2)  # someone else's tracking id: nothing
    await book.seen(["m2"], t1)  # seen without a delivery receipt: received too
    await book.seen(["m2"], t2)
    await book.seen(["m1"], t2)  # seen after received: received keeps its time
    got = await _rows(app, a.id)
    assert got["zalo_oa:u3"].received_at == t1
    assert (got["zalo_oa:u2"].received_at, got["zalo_oa:u2"].seen_at) == (t1, t1)
    assert (got["zalo_oa:u1"].received_at, got["zalo_oa:u1"].seen_at) == (t1, t2)
    assert got["telegram:501"].received_at is None and got["telegram:501"].seen_at is None

    c = await app.services.announcements.counts(a.id)
    assert (c.receipts, c.received, c.seen) == (3, 3, 2)
    lines = {(d.channel, d.chat_id): d for d in await app.services.announcements.deliveries(a.id)}
    assert lines[("zalo_oa", "u1")].received_at == t1 and lines[("zalo_oa", "u1")].seen_at == t2
    assert "Đã đến máy: 3 · Đã xem: 2" in (await app.services.announcements.report_outbound(a.id)).text


async def test_no_receipt_figures_without_an_oa_delivery(app: App) -> None:
    a = await app.services.announcements.create(doc_type="Thông báo", summary="Họp sơ kết",
                                                 audience={"units": ["X_CAOLOC"]})
    async with app.uow() as uow:
        uow.session.add(_delivery(a.id, "telegram", "501", "7", app.clock.now()))
        await uow.commit()
    c = await app.services.announcements.counts(a.id)
    assert (c.receipts, c.received, c.seen) == (0, 0, 0)
    assert "Đã đến máy" not in (await app.services.announcements.report_outbound(a.id)).text


def test_tracking_ids_name_our_deliveries_only() -> None:
    assert delivery_of_tracking(tracking_of(42)) == 42
    assert delivery_of_tracking("tdkt-") is None and delivery_of_tracking("tdkt-4x") is None
    assert delivery_of_tracking("9f8e7d6c") is None and delivery_of_tracking("tdkt-٣") is None
