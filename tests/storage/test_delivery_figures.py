"""An announcement's delivery figures come from two grouped index reads (issue 14: the
overview shows eight announcements' figures per load); they must say what the rows say."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app import App
from bot.services.announcements import UNREACHABLE_LABEL, DeliveryCounts, DeliveryLine
from storage.models import Announcement, Delivery, Unit


async def test_figures_of_several_announcements_count_every_row(app: App) -> None:
    now = app.clock.now()
    # (channel, status, route, acknowledged, received, seen) per copy, for two announcements
    copies = {
        0: [("telegram", "sent", "", True, False, False), ("telegram", "sent", "", False, False, False),
            ("zalo", "failed", "", False, False, False), ("telegram", "queued", "", False, False, False),
            ("zalo", "sending", "", False, False, False), ("telegram", "cancelled", "", False, False, False),
            ("telegram", "blocked", "", False, False, False)],
        1: [("zalo_oa", "sent", "consultation", True, True, True), ("zalo_oa", "sent", "template_uid", False, True, False),
            ("zalo_oa", "failed", "unreachable", False, False, False), ("zalo_oa", "queued", "", False, False, False),
            ("telegram", "sent", "", True, False, False), ("zalo_oa", "sent", "consultation", False, False, False)],
    }
    async with app.uow() as uow:
        unit = (await uow.session.scalars(select(Unit).limit(1))).one()
        ids = []
        for n in copies:
            a = Announcement(doc_type="Công văn", summary=f"Thử {n}", body="…", audience={"all": True},
                             status="done", created_at=now)
            uow.session.add(a)
            await uow.session.flush()
            ids.append(a.id)
            for i, (channel, status, route, acked, received, seen) in enumerate(copies[n]):
                uow.session.add(Delivery(
                    kind="announcement", announcement_id=a.id, unit_id=unit.id, channel=channel, chat_id=f"{n}-{i}",
                    payload={"text": "…"}, status=status, route=route, next_try_at=now, created_at=now,
                    acknowledged_at=now if acked else None, received_at=now if received else None,
                    seen_at=now if seen else None))
        await uow.commit()
    want = {
        ids[0]: DeliveryCounts(total=6, sent=2, pending=2, failed=1, blocked=1, acknowledged=1),
        ids[1]: DeliveryCounts(total=6, sent=4, pending=1, failed=1, blocked=0, acknowledged=2,
                               routes={"consultation": 2, "template_uid": 1, "unreachable": 1},
                               receipts=5, received=2, seen=1),
    }
    assert await app.services.announcements.counts_of(ids) == want
    assert [await app.services.announcements.counts(i) for i in ids] == [want[i] for i in ids]
    recent = dict((a.id, c) for a, c in await app.services.announcements.recent(8))
    assert {i: recent[i] for i in ids} == want
    assert await app.services.announcements.counts_of([]) == {}


async def test_the_table_of_copies_says_what_the_rows_say(app: App) -> None:
    """An announcement's page reads its copies as plain columns joined to their units; each
    line must carry what its row holds, and the units none reached must be named with why."""
    now = app.clock.now()
    earlier = now - timedelta(minutes=5)
    async with app.uow() as uow:
        units = {u.code: u for u in await uow.units.all()}
        a = Announcement(doc_type="Công văn", summary="Bảng", body="…" * 500, needs_ack=True, status="done",
                         audience={"units": ["X_CAOLOC", "X_DONGDANG", "X_CHILANG", "X_TRANGDINH"]}, created_at=now)
        uow.session.add(a)
        await uow.session.flush()
        rows = [  # unit, channel, chat, status, route, attempts, error, sent, acknowledged, received, seen
            ("X_CAOLOC", "telegram", "t1", "sent", "", 1, "", now, earlier, None, None),
            ("X_CAOLOC", "zalo_oa", "o1", "sent", "consultation", 2, "", now, None, earlier, now),
            ("X_DONGDANG", "zalo", "z1", "failed", "", 5, "Zalo: người dùng không tồn tại", None, None, None, None),
            ("X_DONGDANG", "zalo_oa", "o2", "failed", "unreachable", 1, "quá 7 ngày", None, None, None, None),
            ("X_TRANGDINH", "telegram", "t2", "cancelled", "", 0, "", None, None, None, None),
            (None, "telegram", "t3", "sent", "", 1, "", now, None, None, None),  # its unit was deleted since
        ]
        for code, channel, chat, status, route, attempts, error, sent, acked, received, seen in rows:
            uow.session.add(Delivery(
                kind="announcement", announcement_id=a.id, unit_id=units[code].id if code else None, channel=channel,
                chat_id=chat, payload={"text": "…" * 500}, status=status, route=route, attempts=attempts,
                last_error=error, next_try_at=now, created_at=now, sent_at=sent, acknowledged_at=acked,
                received_at=received, seen_at=seen))
        await uow.commit()
    names = {code: u.name for code, u in units.items()}
    want = [DeliveryLine(code or "-", names[code] if code else "-", channel, chat, status, attempts, sent, acked, error,
                         received_at=received, seen_at=seen)
            for code, channel, chat, status, route, attempts, error, sent, acked, received, seen in rows]
    service = app.services.announcements
    table = await service.delivery_table(a.id)
    assert table.lines == want
    assert await service.deliveries(a.id) == want
    assert await service.deliveries(a.id, ["failed"]) == want[2:4]
    assert table.not_reached == await service.not_reached(a.id) == [
        ("X_CHILANG", names["X_CHILANG"], "chưa liên kết kênh nhắn tin"),
        ("X_DONGDANG", names["X_DONGDANG"], ", ".join(sorted(["gửi lỗi", UNREACHABLE_LABEL]))),
        ("X_TRANGDINH", names["X_TRANGDINH"], "đã hủy"),
    ]
    assert [(d.unit_code, d.status) for d in await service.failed_since(earlier)] == [
        ("X_DONGDANG", "failed"), ("X_DONGDANG", "failed")]
    assert await service.failed_since(now + timedelta(seconds=1)) == []
    assert await service.delivery_table(a.id + 1000) == type(table)([], [])
