"""An announcement's delivery figures come from two grouped index reads (issue 14: the
overview shows eight announcements' figures per load); they must say what the rows say."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from bot.services.announcements import DeliveryCounts
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
