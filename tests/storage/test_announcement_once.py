"""The dashboard's compose form sent twice (a double click on "Gửi ngay", a reload, two
replicas each taking one of the requests) makes one announcement and one copy per chat."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.app import App
from storage.models import Announcement, ChatBinding, Delivery, Member, Unit

FIELDS = {"doc_type": "Công văn", "summary": "Về tổng kết năm", "body": "Đề nghị báo cáo.", "audience": {"all": True}}


async def _bind_two(app: App) -> None:
    now = app.clock.now()
    async with app.uow() as uow:
        units = list(await uow.session.scalars(select(Unit).where(Unit.kind == "xa").order_by(Unit.code).limit(2)))
        for i, u in enumerate(units):
            m = Member(name=f"Cán bộ {i}", role="officer", unit_id=u.id, created_at=now)
            uow.session.add(m)
            await uow.session.flush()
            uow.session.add(ChatBinding(member_id=m.id, channel="telegram", chat_id=str(900 + i), bound_at=now))
        await uow.commit()


async def _counts(app: App) -> tuple[int, int]:
    async with app.uow() as uow:
        return (int(await uow.session.scalar(select(func.count()).select_from(Announcement)) or 0),
                int(await uow.session.scalar(select(func.count()).select_from(Delivery)) or 0))


async def test_the_same_key_twice_makes_one_announcement(app: App) -> None:
    await _bind_two(app)
    service = app.services.announcements
    first, made = await service.create_once("k" * 32, **FIELDS)
    again, made_again = await service.create_once("k" * 32, **FIELDS)
    assert made and not made_again and again.id == first.id
    assert await _counts(app) == (1, 2)
    other, made_other = await service.create_once("o" * 32, **FIELDS)  # another form: another announcement
    assert made_other and other.id != first.id and await _counts(app) == (2, 4)


async def test_two_requests_racing_with_one_key_make_one_announcement(app: App) -> None:
    """On PostgreSQL the two really run at once, each on its own connection; the unique key
    refuses the second insert and that request answers with the first announcement."""
    await _bind_two(app)
    service = app.services.announcements
    results = await asyncio.gather(*(service.create_once("r" * 32, **FIELDS) for _ in range(4)))
    assert len({a.id for a, _ in results}) == 1 and sum(made for _, made in results) == 1
    assert await _counts(app) == (1, 2)
