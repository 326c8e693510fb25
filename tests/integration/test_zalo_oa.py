"""Issue 16 end to end: the bot on a Zalo Official Account (fake OA platform), beside Telegram.

The officers are on the OA; the admin is on Telegram (where the delivery report and the
alerts go). The fake speaks the OA wire format (tests/fakes/zalo_oa_api.py): signed
webhooks with retries, consultation messages inside the 7-day window, ZBS templates by user
id and by phone, rotating single-use refresh tokens.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import App
from bot.core import Address, FixedClock
from bot.web.render import local_time
from storage.models import ChatBinding, Unit
from tests.conftest import make_settings
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_oa_api import FakeZaloOA, OASent
from tests.integration.conftest import Harness
from tests.integration.test_reports import ANSWERS_6T, open_period
from tests.web.conftest import Dash

U1, U2, U3, U4 = "4100000000000000001", "4100000000000000002", "4100000000000000003", "4100000000000000004"
ADMIN = 9101
TEMPLATES = {"announcement": "301001", "reminder": "301002", "notice": "301003", "digest": "301004",
             "invite": "301005"}


@dataclass
class OA:
    app: App
    tg: FakeTelegram
    oa: FakeZaloOA

    async def say(self, user: str, text: str) -> list[OASent]:
        before = len(self.oa.messages_to(user))
        handled = self.app.dispatcher.handled
        await self.oa.push_text(user, text)
        await self.oa.wait_for(lambda: self.app.dispatcher.handled > handled, timeout=10)
        return self.oa.messages_to(user)[before:]

    async def tap(self, user: str, label_part: str) -> list[OASent]:
        """Tap the ``oa.query.hide`` button whose title contains ``label_part`` (newest first)."""
        for m in reversed(self.oa.messages_to(user)):
            for title, kind, payload in m.buttons:
                if label_part in title:
                    assert kind == "oa.query.hide"
                    return await self.say(user, payload)
        raise AssertionError(f"no button {label_part!r} for {user}")

    async def bind(self, user: str, unit: str) -> None:
        inv = await self.app.services.members.create_invite(unit)
        replies = await self.say(user, f"/start {inv.code}")
        assert "Đã liên kết" in replies[-1].text, replies[-1].text

    async def drain(self) -> None:
        await Harness(self.app, self.tg).drain(60)


async def start_oa(db_url: str, clock: FixedClock, *, dashboard: bool = False,
                   **fake: object) -> tuple[App, FakeTelegram, FakeZaloOA]:
    tg = FakeTelegram()
    oa = FakeZaloOA(**fake)  # type: ignore[arg-type]
    await tg.start()
    await oa.start()
    oa.approved_templates.update(TEMPLATES.values())
    app = App(make_settings(
        db_url, telegram_bot_token=tg.token, telegram_api_base_url=tg.root,
        zalo_oa_app_id=oa.app_id, zalo_oa_app_secret=oa.app_secret, zalo_oa_secret_key=oa.oa_secret_key,
        zalo_oa_refresh_token=oa.refresh_token, zalo_oa_api_base_url=oa.api_base_url,
        zalo_oa_oauth_base_url=oa.oauth_base_url, zalo_oa_business_base_url=oa.business_base_url,
        webhook_listen="127.0.0.1:0",
        **{f"zalo_oa_template_{k}": v for k, v in TEMPLATES.items()}), clock=clock)
    await app.prepare(demo=True)
    await app.start(scheduler=False, dashboard=dashboard)
    channel = app.dispatcher.channels.get("zalo_oa")
    if channel is not None:
        channel.part_delay = 0.0  # type: ignore[attr-defined]
    assert app.web is not None
    oa.webhook_url = f"http://127.0.0.1:{app.web.port}{app.settings.zalo_oa_webhook_path}"
    return app, tg, oa


@pytest.fixture
async def oa(db_url: str, clock: FixedClock) -> AsyncIterator[OA]:
    app, tg, fake = await start_oa(db_url, clock)
    try:
        yield OA(app, tg, fake)
    finally:
        await app.stop()
        await fake.stop()
        await tg.stop()


async def test_bind_from_an_oa_chat_with_start_code(oa: OA) -> None:
    assert oa.oa.refreshes == 1  # the first refresh token was spent at start …
    async with oa.app.uow() as uow:
        row = await uow.zalo_oa.token(oa.oa.app_id)
    assert row is not None and row.refresh_token == oa.oa.refresh_token  # … and its successor stored
    await oa.bind(U1, "X_CAOLOC")
    member = await oa.app.services.members.member_at(Address("zalo_oa", U1))
    assert member is not None and member.unit is not None and member.unit.code == "X_CAOLOC"
    who = await oa.say(U1, "/toi")
    assert "Xã Cao Lộc" in who[-1].text and "**" not in who[-1].text


async def test_forged_signature_is_refused_and_does_nothing(oa: OA) -> None:
    handled = oa.app.dispatcher.handled
    status = await oa.oa.push("user_send_text", U1, {"message": {"msg_id": "m-forged", "text": "/toi"}},
                              forged=True, retries=False)
    assert status == 401
    await asyncio.sleep(0.2)
    assert oa.app.dispatcher.handled == handled and oa.oa.messages_to(U1) == []


async def test_retried_webhook_is_handled_once(oa: OA) -> None:
    await oa.bind(U1, "X_CAOLOC")
    body = oa.oa.event("user_send_text", U1, {"message": {"msg_id": "m-twice", "text": "/toi"}})
    raw = json.dumps(body, ensure_ascii=False).encode()
    before = len(oa.oa.messages_to(U1))
    handled = oa.app.dispatcher.handled
    assert await oa.oa.post_raw(raw, body["timestamp"], retries=False) == 200
    assert await oa.oa.post_raw(raw, body["timestamp"], retries=False, num_retry=1) == 200
    await oa.oa.wait_for(lambda: oa.app.dispatcher.handled > handled)
    await asyncio.sleep(0.3)
    assert len(oa.oa.messages_to(U1)) - before == 1


async def test_both_signature_recipes_are_accepted(db_url: str, clock: FixedClock) -> None:
    app, tg, fake = await start_oa(db_url, clock, sign_with="app_secret", id_first="oa_id")
    try:
        both = OA(app, tg, fake)
        await both.bind(U1, "X_CAOLOC")
    finally:
        await app.stop()
        await fake.stop()
        await tg.stop()


async def test_whole_report_with_buttons_and_the_signed_pdf(oa: OA) -> None:
    period_id = await open_period(oa.app)
    await oa.bind(U1, "X_CAOLOC")
    first = await oa.say(U1, "/baocao")
    assert "Câu 1/" in first[-1].text
    for qid, value in ANSWERS_6T:
        if value == "Bỏ qua":
            reply = await oa.tap(U1, "Bỏ qua")
        elif qid == "tham_quyen_ky":
            reply = await oa.tap(U1, "TM.")
        else:
            reply = await oa.say(U1, value)
        assert not reply[0].text.startswith("❌"), (qid, reply[0].text)
    assert all(len(m.buttons) <= 5 for m in oa.oa.sent)
    url = oa.oa.host_file("bao-cao-45.pdf", b"%PDF-1.4 signed by the chairman")
    before = len(oa.oa.messages_to(U1))
    handled = oa.app.dispatcher.handled
    await oa.oa.push_file(U1, url, "bao-cao-45.pdf", 31)
    await oa.oa.wait_for(lambda: oa.app.dispatcher.handled > handled)
    summary = oa.oa.messages_to(U1)[before:]
    assert "Tóm tắt báo cáo" in summary[0].text and any("Gửi báo cáo" in t for t, _k, _p in summary[-1].buttons)
    receipt = await oa.tap(U1, "Gửi báo cáo")
    assert "Số tiếp nhận" in receipt[-1].text
    unit = (await oa.app.services.members.member_at(Address("zalo_oa", U1))).unit  # type: ignore[union-attr]
    sub = await oa.app.services.reports.submission(unit.id, period_id)  # type: ignore[union-attr]
    assert sub is not None and sub.answers["file"]["name"] == "bao-cao-45.pdf"


async def test_announcement_inside_and_outside_the_window(oa: OA, clock: FixedClock) -> None:
    """Inside the window → consultation (with the PDF as a file); outside → template by user
    id; that refused → template by phone; no phone → unreachable. The report says which."""
    units = {U1: "X_CAOLOC", U2: "X_DONGDANG", U3: "X_HOANGVANTHU", U4: "X_TANTHANH"}
    for user, code in units.items():
        await oa.bind(user, code)
    tg_admin = await oa.app.services.members.create_invite(None, role="admin")
    handled = oa.app.dispatcher.handled
    await oa.tg.push_text(ADMIN, f"/start {tg_admin.code}")
    await oa.tg.wait_for(lambda: oa.app.dispatcher.handled > handled)
    # U2..U4 last wrote ten days ago; U3 cannot get a template by user id but has a phone; U4 neither.
    old = clock.now() - timedelta(days=10)
    async with oa.app.uow() as uow:
        for user in (U2, U3, U4):
            await uow.zalo_oa.touch(user, old)
            (await uow.zalo_oa.contact(user)).last_interaction_at = old  # type: ignore[union-attr]
        unit = await uow.session.scalar(select(Unit).where(Unit.code == "X_HOANGVANTHU"))
        assert unit is not None
        unit.phone = "84912000003"
        await uow.commit()
    oa.oa.user(U2, days_ago=10)
    oa.oa.user(U3, days_ago=10, phone="84912000003", uid_template_ok=False)
    oa.oa.user(U4, days_ago=10, uid_template_ok=False)
    a_id = await _announce(oa, list(units.values()))
    await oa.drain()
    kinds = {user: [m.kind for m in oa.oa.messages_to(user)][-1] for user in units}
    assert kinds[U1] == "cs" and kinds[U2] == "template_uid" and kinds[U3] == "template_phone"
    assert oa.oa.messages_to(U4)[-1].kind == "cs"  # only its binding reply; nothing reached it since
    template = oa.oa.messages_to(U2)[-1]
    assert template.template_id == TEMPLATES["announcement"] and template.template_data["doc_number"] == "12/KH-UBND"
    assert template.template_data["unit_name"] == "Xã Đồng Đăng"
    async with oa.app.uow() as uow:
        rows = {d.chat_id: d for d in await uow.deliveries.of_announcement(a_id)}
    assert rows[U1].route == "consultation" and rows[U2].route == "template_uid"
    assert rows[U3].route == "template_phone" and rows[U4].route == "unreachable"
    counts = await oa.app.services.announcements.counts(a_id)
    assert counts.routes == {"consultation": 1, "template_uid": 1, "template_phone": 1, "unreachable": 1}
    report = (await oa.app.services.announcements.report_outbound(a_id)).text
    assert "tin tư vấn 1" in report and "theo Zalo ID 1" in report and "theo số điện thoại 1" in report
    assert "không liên lạc được 1" in report
    missing = await oa.app.services.announcements.not_reached(a_id)
    assert next(why for c, _n, why in missing if c == "X_TANTHANH").startswith("không liên lạc được qua Zalo OA")


async def _announce(oa: OA, units: list[str]) -> int:
    """A decree with the signed PDF, acknowledgement asked, to ``units``."""
    pdf = await oa.app.services.files.store("ke-hoach-12.pdf", "application/pdf", b"%PDF-1.4 ke hoach")
    view = await oa.app.services.announcements.create(
        doc_type="Kế hoạch", number="12/KH-UBND", summary="Tổ chức phong trào thi đua năm 2026",
        body="Nội dung **kế hoạch**.", audience={"units": units}, needs_ack=True, attachments=[pdf])
    oa.app.wake_outboxes()
    return view.id


async def test_night_rule_reschedules_a_template_to_0605(oa: OA, clock: FixedClock) -> None:
    await oa.bind(U2, "X_DONGDANG")
    old = clock.now() - timedelta(days=9)
    async with oa.app.uow() as uow:
        (await uow.zalo_oa.touch(U2, old)).last_interaction_at = old
        await uow.commit()
    oa.oa.user(U2, days_ago=9)
    oa.oa.night = True
    a_id = await _announce(oa, ["X_DONGDANG"])
    for _ in range(200):
        async with oa.app.uow() as uow:
            rows = [d for d in await uow.deliveries.of_announcement(a_id) if d.chat_id == U2]
        if rows and rows[0].status == "queued" and "night rule" in rows[0].last_error:
            break
        await asyncio.sleep(0.05)
    assert rows and "night rule" in rows[0].last_error
    local = rows[0].next_try_at.astimezone(oa.app.dispatcher.channels["zalo_oa"].tz)  # type: ignore[attr-defined]
    assert (local.hour, local.minute) == (6, 5)


async def test_unfollow_marks_the_binding_left(oa: OA) -> None:
    await oa.bind(U1, "X_CAOLOC")
    await oa.oa.push("unfollow", U1)
    async def left() -> bool:
        async with oa.app.uow() as uow:
            b = await uow.session.scalar(select(ChatBinding).where(ChatBinding.chat_id == U1))
            return b is not None and b.status == "left"
    for _ in range(100):
        if await left():
            break
        await asyncio.sleep(0.05)
    assert await left()


async def test_submitted_phone_becomes_the_units_contact(oa: OA) -> None:
    await oa.bind(U1, "X_CAOLOC")
    await oa.oa.push_submit_info(U1, "0912 345 678", old_shape=True)
    for _ in range(100):
        async with oa.app.uow() as uow:
            unit = await uow.session.scalar(select(Unit).where(Unit.code == "X_CAOLOC"))
            contact = await uow.zalo_oa.contact(U1)
        if unit is not None and unit.phone:
            break
        await asyncio.sleep(0.05)
    assert unit is not None and unit.phone == "84912345678"
    assert contact is not None and contact.phone == "84912345678"


async def test_refused_refresh_tells_the_admins_and_stops_the_channel(db_url: str, clock: FixedClock) -> None:
    tg = FakeTelegram()
    await tg.start()
    fake = FakeZaloOA()
    await fake.start()
    app = App(make_settings(
        db_url, telegram_bot_token=tg.token, telegram_api_base_url=tg.root,
        zalo_oa_app_id=fake.app_id, zalo_oa_app_secret=fake.app_secret, zalo_oa_secret_key=fake.oa_secret_key,
        zalo_oa_refresh_token="rt-an-old-one", zalo_oa_api_base_url=fake.api_base_url,
        zalo_oa_oauth_base_url=fake.oauth_base_url, zalo_oa_business_base_url=fake.business_base_url,
        webhook_listen="127.0.0.1:0"), clock=clock)
    await app.prepare(demo=True)
    try:
        h = Harness(app, tg)
        await app.start(scheduler=False)
        assert "zalo_oa" not in app.dispatcher.channels and "telegram" in app.dispatcher.channels
        await h.bind(ADMIN, None, role="admin")
        await app.stop()
        app = App(app.settings, clock=clock)  # the next start refuses again and now the admin hears it
        h = Harness(app, tg)
        await app.start(scheduler=False)
        await h.drain()
        assert "Zalo OA refused the token refresh" in h.last_text(ADMIN)
        assert fake.refreshes == 0
    finally:
        await app.stop()
        await fake.stop()
        await tg.stop()


async def test_expired_token_is_refreshed_once_and_the_send_retried(oa: OA) -> None:
    await oa.bind(U1, "X_CAOLOC")
    oa.oa.expire_access_tokens()  # the platform says -220 to the token the bot holds
    who = await oa.say(U1, "/toi")
    assert "Xã Cao Lộc" in who[-1].text
    assert oa.oa.refreshes == 2



async def test_a_unit_with_a_phone_and_no_chat_is_invited_by_template(oa: OA) -> None:
    """How a province onboards its communes without printing invites: the code goes to the
    officer's phone as a ZBS template; they open the OA and send /start CODE."""
    assert await oa.app.zalo_invites.set_phone("X_CAOLOC", "0912 000 009") == "84912000009"
    oa.oa.user(U1, days_ago=60, phone="84912000009")  # a Zalo user the OA has never heard from
    queued = await oa.app.zalo_invites.queue(["X_CAOLOC", "X_DONGDANG"])
    assert [q.unit_code for q in queued] == ["X_CAOLOC"]  # X_DONGDANG has no phone
    await oa.drain()
    sent = oa.oa.messages_to(U1)
    assert len(sent) == 1 and sent[0].kind == "template_phone" and sent[0].phone == "84912000009"
    assert sent[0].template_id == TEMPLATES["invite"] and sent[0].template_data["code"] == queued[0].code
    assert sent[0].template_data["unit_name"] == "Xã Cao Lộc"
    reply = await oa.say(U1, f"/start {queued[0].code}")
    assert "Đã liên kết" in reply[-1].text
    assert await oa.app.zalo_invites.queue() == []  # bound now: not invited again


async def test_seen_receipt_lands_on_the_delivery(oa: OA) -> None:
    await oa.bind(U1, "X_CAOLOC")
    a_id = await _announce(oa, ["X_CAOLOC"])
    await oa.drain()
    async with oa.app.uow() as uow:
        (d,) = await uow.deliveries.of_announcement(a_id)
    assert d.status == "sent" and d.message_id and d.seen_at is None
    await oa.oa.push("user_seen_message", U1, {"message": {"msg_ids": [d.message_id]}})
    for _ in range(100):
        async with oa.app.uow() as uow:
            (d,) = await uow.deliveries.of_announcement(a_id)
        if d.seen_at is not None:
            break
        await asyncio.sleep(0.05)
    assert d.seen_at is not None


async def _receipts(oa: OA, a_id: int, received: int, seen: int) -> None:
    for _ in range(200):
        c = await oa.app.services.announcements.counts(a_id)
        if (c.received, c.seen) == (received, seen):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"receipts {c.received}/{c.seen}, expected {received}/{seen}")


RECEIPT_CELLS = re.compile(r'<tr data-unit="([^"]+)" data-status="sent">.*?'
                           r'<td class="hide-s" data-receipt="received">([^<]*)(?:</td>)?'
                           r'<td class="hide-s" data-receipt="seen">([^<]*)', re.S)


async def test_receipts_reach_the_delivery_report_and_the_dashboard(db_url: str, clock: FixedClock) -> None:
    """Two OA units: the platform says one copy reached the phone and the other was seen
    (seen implies received), the seen receipt comes again as a retry; the admin's report and
    the announcement's page say 2 reached, 1 seen, with each unit's times."""
    app, tg, fake = await start_oa(db_url, clock, dashboard=True)
    oa = OA(app, tg, fake)
    try:
        await oa.bind(U1, "X_CAOLOC")
        await oa.bind(U2, "X_DONGDANG")
        a_id = await _announce(oa, ["X_CAOLOC", "X_DONGDANG"])
        await oa.drain()
        async with app.uow() as uow:
            rows = {d.chat_id: d for d in await uow.deliveries.of_announcement(a_id)}
        assert rows[U1].status == rows[U2].status == "sent" and rows[U1].message_id and rows[U2].message_id
        assert "Đã đến máy: 0 · Đã xem: 0" in (await app.services.announcements.report_outbound(a_id)).text

        assert await fake.push("user_received_message", U1, {"message": {"msg_ids": [rows[U1].message_id]}}) == 200
        clock.advance(minutes=3)
        seen = fake.event("user_seen_message", U2, {"message": {"msg_ids": [rows[U2].message_id]}})
        raw = json.dumps(seen).encode()
        assert await fake.post_raw(raw, seen["timestamp"], retries=False) == 200
        await _receipts(oa, a_id, received=2, seen=1)
        seen_at = clock.now()
        clock.advance(minutes=5)
        assert await fake.post_raw(raw, seen["timestamp"], retries=False, num_retry=1) == 200  # the retry
        await oa.say(U2, "xin chào")  # U2's events are handled in order: a retry handled would be done by now
        await _receipts(oa, a_id, received=2, seen=1)
        async with app.uow() as uow:
            after = {d.chat_id: d for d in await uow.deliveries.of_announcement(a_id)}
        assert after[U2].seen_at == after[U2].received_at == seen_at
        assert after[U1].received_at is not None and after[U1].received_at < seen_at and after[U1].seen_at is None

        report = (await app.services.announcements.report_outbound(a_id)).text
        assert "Đã đến máy: 2 · Đã xem: 1" in report

        assert app.web is not None
        dash = Dash(app, tg, base=f"http://127.0.0.1:{app.web.port}")
        b, _csrf = await dash.signed_in("admin")
        async with b:
            page = await (await b.get(f"{dash.base}/web/van-ban/{a_id}")).text()
            listing = await (await b.get(f"{dash.base}/web/van-ban")).text()
        row = listing.split(f'data-announcement="{a_id}"', 1)[1].split("</tr>", 1)[0]
        assert '<td class="hide-s num">2 / 1</td>' in row  # the list too: received / seen
        assert '<b data-figure="received">2</b>' in page and '<b data-figure="seen">1</b>' in page
        assert '<th class="hide-s">Đã đến máy</th><th class="hide-s">Đã xem</th>' in page
        cells = {unit: (got, saw) for unit, got, saw in RECEIPT_CELLS.findall(page)}
        tz = ZoneInfo(app.settings.timezone)
        assert cells == {"X_CAOLOC": (local_time(after[U1].received_at, tz), ""),
                         "X_DONGDANG": (local_time(seen_at, tz), local_time(seen_at, tz))}
    finally:
        await app.stop()
        await fake.stop()
        await tg.stop()


async def test_a_phone_templates_own_delivery_receipt_lands(oa: OA, clock: FixedClock) -> None:
    """The business endpoint pushes ``user_received_message`` (one ``msg_id``, the other
    receipt shape, and our ``tracking_id``) as soon as it answers. Here the outbox records the
    id first; the receipt winning that race, found by its tracking id, is in
    tests/storage/test_zalo_oa_receipts.py."""
    await oa.bind(U3, "X_HOANGVANTHU")
    old = clock.now() - timedelta(days=10)
    async with oa.app.uow() as uow:
        await uow.zalo_oa.touch(U3, old)
        (await uow.zalo_oa.contact(U3)).last_interaction_at = old  # type: ignore[union-attr]
        unit = await uow.session.scalar(select(Unit).where(Unit.code == "X_HOANGVANTHU"))
        assert unit is not None
        unit.phone = "84912000003"
        await uow.commit()
    oa.oa.user(U3, days_ago=10, phone="84912000003", uid_template_ok=False)
    a_id = await _announce(oa, ["X_HOANGVANTHU"])
    await oa.drain()
    await _receipts(oa, a_id, received=1, seen=0)
    async with oa.app.uow() as uow:
        (d,) = await uow.deliveries.of_announcement(a_id)
    assert d.route == "template_phone" and d.received_at is not None
    assert oa.oa.messages_to(U3)[-1].tracking_id == f"tdkt-{d.id}"


async def test_an_event_kept_but_never_handled_is_taken_up_by_the_sweep(oa: OA, clock: FixedClock) -> None:
    """The webhook was answered 200 and the process died before handling it: Zalo will not
    send it again, so the next sweep (this or another process) handles it."""
    await oa.bind(U1, "X_CAOLOC")
    body = oa.oa.event("user_send_text", U1, {"message": {"msg_id": "m-orphan", "text": "/toi"}})
    inbox = oa.app.services.chat_memory.inbox
    assert await inbox.keep("zalo_oa", "orphan-key", body) is not None
    clock.advance(minutes=3)  # the claim of the process that kept it has run out
    before = len(oa.oa.messages_to(U1))
    channel = oa.app.dispatcher.channels["zalo_oa"]
    assert await channel.sweep() == 1  # type: ignore[attr-defined]
    await oa.oa.wait_for(lambda: len(oa.oa.messages_to(U1)) > before)
    assert "Xã Cao Lộc" in oa.oa.messages_to(U1)[-1].text
    clock.advance(minutes=3)
    await asyncio.sleep(0.2)
    assert await channel.sweep() == 0  # type: ignore[attr-defined]  # done: not taken up twice


async def test_a_reminder_outside_the_window_names_its_report_and_deadline(oa: OA, clock: FixedClock) -> None:
    """The reminder template gets what the chat text says: which report, and by when."""
    await oa.bind(U2, "X_DONGDANG")
    old = clock.now() - timedelta(days=9)
    async with oa.app.uow() as uow:
        (await uow.zalo_oa.touch(U2, old)).last_interaction_at = old
        await uow.commit()
    oa.oa.user(U2, days_ago=9)
    period_id = await open_period(oa.app, audience={"units": ["X_DONGDANG"]})
    await oa.drain()
    reached, _ = await oa.app.services.remind_missing_now(period_id)
    assert reached == 1
    await oa.drain()
    template = [m for m in oa.oa.messages_to(U2) if m.kind == "template_uid"][-1]
    assert template.template_id == TEMPLATES["reminder"]
    assert template.template_data["title"] == "Sơ kết 6 tháng đầu năm 2026"
    assert template.template_data["deadline"] == "20/06/2026 17:00"  # 10:00 UTC, in Hà Nội time
    assert template.template_data["unit_name"] == "Xã Đồng Đăng"
