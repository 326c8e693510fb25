"""Page 5, Văn bản: the announcements with their delivery figures, one announcement's table
of units, its follow-ups, and composing a new one with a preview of what each platform shows.

Every action is the chat's use case: ``AnnouncementService.create`` (what /thongbao ends in),
``retry_failed`` ("Gửi lại cho đơn vị lỗi"), ``remind_unacknowledged`` ("Nhắc đơn vị chưa
xác nhận"), ``preview_draft`` (the preview /thongbao shows before sending). This module only
reads the form, lays out and audits who did it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aiohttp import web
from markupsafe import Markup
from multidict import MultiDictProxy

from bot.core import nfc
from bot.rendering.markup import markdown_to_telegram_html
from bot.services.announcements import COPY_STATUS_LABELS, DOC_TYPES, NO_CHAT_LABEL, ReceivedAnnouncement
from bot.services.audience import AudienceError
from bot.web.announcement_files import (
    ANNEX_SUFFIXES,
    BODY_SUFFIXES,
    MAX_FILES,
    ComposeFiles,
    compose_files,
    keep_token,
)
from bot.web.delivery_table import delivery_rows
from bot.web.downloads import stored_file
from bot.web.guard import Refused, require
from bot.web.once import KEY, first_time, form_key
from bot.web.previews import files_preview, telegram_parts, zalo_parts
from bot.web.security import see_other
from bot.web.uploads import form_of, oversized_files

if TYPE_CHECKING:
    from bot.web.dashboard import Dashboard

KINDS = ("xa", "phuong", "so", "truong")
"""The kinds of unit the composer offers as an audience (their words: the template)."""
MAX_NUMBER, MAX_SUMMARY, MAX_BODY = 80, 1000, 100_000
LIST_LIMIT = 50


@dataclass
class Draft:
    """The compose form as typed, kept whole when it is refused so nothing is lost."""

    doc_type: str = "Thông báo"
    number: str = ""
    issued_on: str = ""
    summary: str = ""
    body: str = ""
    audience_kind: str = "all"
    group: str = ""
    kind: str = "xa"
    units: str = ""
    needs_ack: bool = False
    send_at: str = ""
    """"Hẹn giờ gửi": the browser's datetime-local (2026-06-15T07:30) or typed 15/06/2026 07:30,
    in the office's time zone."""
    files: ComposeFiles = field(default_factory=ComposeFiles)
    errors: list[str] = field(default_factory=list)
    """Codes of what is wrong; ``announcement_compose.html.j2`` words each one."""
    key: str = field(default_factory=form_key)
    """The form's one-time key, made when the compose page is first shown and carried through
    previews and corrections: sending the same form twice makes one announcement."""

    @classmethod
    def from_form(cls, form: MultiDictProxy[Any]) -> Draft:
        def text(name: str) -> str:
            return nfc(str(form.get(name, ""))).strip()

        key = str(form.get("khoa", ""))
        draft = cls(doc_type=text("loai"), number=text("so"), issued_on=text("ngay"), summary=text("trich_yeu"),
                    body=nfc(str(form.get("noi_dung", ""))).replace("\r\n", "\n").strip(),
                    audience_kind=text("doi_tuong") or "all", group=text("cum"), kind=text("loai_dv"),
                    units=text("ma_dv"), needs_ack=form.get("xac_nhan") == "1", send_at=text("gui_luc"))
        if KEY.fullmatch(key):
            draft.key = key
        return draft

    def check(self) -> None:
        """Fill ``errors`` with what the office must fix (the audience's names are checked by
        the service, as the chat's are)."""
        if self.doc_type not in DOC_TYPES:
            self.errors.append("doc_type")
        if len(self.number) > MAX_NUMBER:
            self.errors.append("number")
        if self.issued_on and self.issued_date() is None:
            self.errors.append("issued_on")
        if not self.summary:
            self.errors.append("summary")
        elif len(self.summary) > MAX_SUMMARY:
            self.errors.append("summary_long")
        if len(self.body) > MAX_BODY:
            self.errors.append("body_long")
        if self.audience_kind not in ("all", "group", "kind", "units"):
            self.errors.append("audience")
        elif self.audience_kind == "units" and not self.unit_codes():
            self.errors.append("units")
        elif self.audience_kind == "kind" and self.kind not in KINDS:
            self.errors.append("audience")
        elif self.audience_kind == "group" and not self.group:
            self.errors.append("group")

    def check_send_at(self, tz: str, now: datetime) -> datetime | None:
        """The time to send at (aware), checked to be a real time still to come; None when
        the field is empty. A wrong one is an error, never "send now" instead."""
        if not self.send_at:
            self.errors.append("send_at_missing")
            return None
        for fmt in ("%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M", "%d/%m/%Y %Hh%M"):
            try:
                at = datetime.strptime(self.send_at, fmt).replace(tzinfo=ZoneInfo(tz))
            except ValueError:
                continue
            if at <= now:
                self.errors.append("send_at_past")
                return None
            return at.astimezone(UTC)
        self.errors.append("send_at")
        return None

    def issued_date(self) -> date | None:
        """The browser's date field sends 2026-06-15; typed by hand (no date picker) 15/06/2026."""
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.strptime(self.issued_on, fmt).date()
            except ValueError:
                continue
        return None

    def unit_codes(self) -> list[str]:
        return [c.strip().upper() for c in self.units.replace(";", ",").replace(" ", ",").split(",") if c.strip()]

    def audience(self) -> dict[str, Any]:
        """The audience in the stored JSON shape the chat's /thongbao builds."""
        if self.audience_kind == "group":
            return {"groups": [self.group]}
        if self.audience_kind == "kind":
            return {"kinds": [self.kind]}
        if self.audience_kind == "units":
            return {"units": self.unit_codes()}
        return {"all": True}

    def data(self) -> dict[str, Any]:
        """What ``preview_draft`` reads (the chat flow's state has the same keys)."""
        return {"doc_type": self.doc_type, "number": self.number.upper().replace(" ", ""),
                "issued_on": self.issued_date(), "summary": self.summary, "body": self.body, "ack": self.needs_ack,
                "attachments": self.files.stored}


class AnnouncementPages:
    def __init__(self, dash: Dashboard) -> None:
        self.dash = dash
        self.services = dash.services
        self.tz = ZoneInfo(dash.settings.timezone)

    def register(self, r: web.UrlDispatcher) -> None:
        r.add_get("/web/van-ban", self.list)
        r.add_get("/web/van-ban/soan", self.compose)
        r.add_post("/web/van-ban/soan", self.submit)
        r.add_get("/web/van-ban/{id}", self.announcement)
        r.add_get("/web/van-ban/{id}/so-lieu", self.figures)
        r.add_post("/web/van-ban/{id}/gui-lai", self.retry)
        r.add_post("/web/van-ban/{id}/nhac-xac-nhan", self.remind)
        r.add_post("/web/van-ban/{id}/huy-hen", self.cancel)
        r.add_post("/web/van-ban/{id}/xac-nhan", self.acknowledge)
        r.add_get("/web/van-ban/{id}/tep/{n}", self.file)

    async def list(self, request: web.Request) -> web.Response:
        user = await require(request, self.dash.access, staff=True)
        items = await self.services.announcements.recent(LIST_LIMIT)
        return self.dash.page("announcements", user=user, items=items)

    async def _get(self, request: web.Request) -> Any:
        raw = request.match_info["id"]
        if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
            raise Refused(404, "not_found")
        a = await self.services.announcements.get(int(raw))
        if a is None:
            raise Refused(404, "not_found")
        return a

    async def announcement(self, request: web.Request) -> web.Response:
        """Every chat the announcement went to (delivered, acknowledged at, failed with the
        reason), then the audience's units no chat reaches. An officer sees instead the
        announcement as their unit received it, if it did."""
        user = await require(request, self.dash.access)
        a = await self._get(request)
        if not user.sees_all:
            return await self._received(request, user, a.id)
        table = await self.services.announcements.delivery_table(a.id)
        reached = {d.unit_code for d in table.lines}
        lines = sorted(table.lines, key=lambda d: (d.unit_code, d.channel))
        no_chat = [line for line in table.not_reached if line[0] not in reached]
        counts = await self.services.announcements.counts(a.id)
        rows = delivery_rows(lines, no_chat, receipts=bool(counts.receipts), needs_ack=a.needs_ack, tz=self.tz)
        return self.dash.page("announcement", user=user, a=a, counts=counts, rows=rows,
                              a_files=await self.services.announcements.attachments(a.id),
                              lines=lines, no_chat=no_chat,
                              no_chat_count=sum(1 for _, _, why in no_chat if why == NO_CHAT_LABEL),
                              done=request.query.get("xong", ""), n=request.query.get("n", ""))

    async def _received(self, request: web.Request, user: Any, announcement_id: int) -> web.Response:
        got = await self._of_unit(user, announcement_id)
        return self.dash.page("announcement_received", user=user, r=got, a=got.announcement,
                              body=Markup(markdown_to_telegram_html(got.body)) if got.body else "",
                              statuses=COPY_STATUS_LABELS,
                              done=request.query.get("xong", ""))

    async def _of_unit(self, user: Any, announcement_id: int) -> ReceivedAnnouncement:
        """The announcement as the officer's unit received it; 404 (as for one that does not
        exist) when it never reached the unit, so ids cannot be probed."""
        got = await self.services.announcements.received_by(announcement_id, user.unit.id) if user.unit else None
        if got is None:
            raise Refused(404, "not_found")
        return got

    async def acknowledge(self, request: web.Request) -> web.Response:
        """"Đã nhận" pressed on the dashboard by an officer of a unit the announcement reached."""
        user = await require(request, self.dash.access)
        a = await self._get(request)
        if user.sees_all or user.unit is None:
            raise Refused(403, "role")
        await self._of_unit(user, a.id)
        n = await self.services.announcements.acknowledge_for_unit(a.id, user.unit.id, user.member_id)
        await self.dash.access.record(user, "web.announcement_acknowledge", announcement=a.id, copies=n)
        return see_other(f"/web/van-ban/{a.id}?xong=acked")

    async def file(self, request: web.Request) -> web.Response:
        """An attached file: for the office, and for an officer of a unit it reached."""
        user = await require(request, self.dash.access)
        a = await self._get(request)
        files = (await self._of_unit(user, a.id)).files if not user.sees_all else \
            await self.services.announcements.attachments(a.id)
        raw = request.match_info["n"]
        if not raw.isascii() or not raw.isdigit() or int(raw) >= len(files):
            raise Refused(404, "not_found")
        return await stored_file(self.services.files, files[int(raw)])

    async def figures(self, request: web.Request) -> web.Response:
        """The figures alone, for the page to refresh itself while the announcement goes out."""
        user = await require(request, self.dash.access, staff=True)
        a = await self._get(request)
        return self.dash.page("announcement_figures", user=user, a=a,
                              counts=await self.services.announcements.counts(a.id),
                              no_chat_count=await self.services.announcements.without_chat(a.id))

    async def retry(self, request: web.Request) -> web.Response:
        user = await require(request, self.dash.access, admin=True)
        a = await self._get(request)
        n = await self.services.announcements.retry_failed(a.id)
        await self.dash.access.record(user, "web.announcement_retry", announcement=a.id, requeued=n)
        return see_other(f"/web/van-ban/{a.id}?xong=retry&n={n}")

    async def remind(self, request: web.Request) -> web.Response:
        user = await require(request, self.dash.access, admin=True)
        a = await self._get(request)
        if not await first_time(self.services.reminders, await form_of(request), "announcement_remind"):
            return see_other(f"/web/van-ban/{a.id}?xong=remind_repeat")
        n = await self.services.announcements.remind_unacknowledged(a.id)
        await self.dash.access.record(user, "web.announcement_remind", announcement=a.id, reminded=n)
        return see_other(f"/web/van-ban/{a.id}?xong=remind&n={n}")

    async def cancel(self, request: web.Request) -> web.Response:
        """"Hủy hẹn gửi": only while the announcement still waits for its time."""
        user = await require(request, self.dash.access, admin=True)
        a = await self._get(request)
        cancelled = await self.services.announcements.cancel_scheduled(a.id, actor=user.actor)
        await self.dash.access.record(user, "web.announcement_cancel", announcement=a.id, cancelled=cancelled)
        return see_other(f"/web/van-ban/{a.id}?xong={'cancelled' if cancelled else 'too_late'}")

    async def compose(self, request: web.Request) -> web.Response:
        user = await require(request, self.dash.access, admin=True)
        return await self._form(user, Draft(), previews=None)

    async def _form(self, user: Any, draft: Draft, previews: Any, status: int = 200,
                    audience_error: str = "", files: Any = ()) -> web.Response:
        return self.dash.page("announcement_compose", status=status, user=user, d=draft, doc_types=DOC_TYPES,
                              kinds=KINDS, groups=await self.services.units.group_names(), previews=previews,
                              audience_error=audience_error, files=files, max_files=MAX_FILES,
                              body_suffixes=", ".join(BODY_SUFFIXES), annex_suffixes=", ".join(ANNEX_SUFFIXES),
                              keep_token=keep_token)

    async def submit(self, request: web.Request) -> web.Response:
        """"Xem trước" shows the form again with each platform's parts; "Gửi ngay" sends — the
        same announcement /thongbao would make — and opens its table; "Hẹn giờ gửi" stores it
        scheduled (the ticks release it at its time, as a /thongbao with a time). Files are
        stored at once and carried between the preview and the sending by their hash."""
        user = await require(request, self.dash.access, admin=True)
        form = await form_of(request)
        draft = Draft.from_form(form)
        draft.files = await compose_files(form, self.services.files, oversized_files(request))
        draft.check()
        action = form.get("hanh_dong")
        send_at = None
        if action == "hen":
            send_at = draft.check_send_at(self.dash.settings.timezone, self.services.clock.now())
        if draft.errors or draft.files.errors:
            return await self._form(user, draft, previews=None, status=400)
        try:
            await self.services.announcements.check_audience(draft.audience())
        except AudienceError as exc:
            return await self._form(user, draft, previews=None, status=400, audience_error=str(exc))
        issuer = self.dash.settings.office_name
        if action not in ("gui", "hen"):
            previews = (telegram_parts(self.services.announcements.preview_draft(draft.data(), issuer, buttons=True)),
                        zalo_parts(self.services.announcements.preview_draft(draft.data(), issuer, buttons=False)))
            return await self._form(user, draft, previews=previews, files=files_preview(draft.files.stored))
        data = draft.data()
        a, made = await self.services.announcements.create_once(
            draft.key, doc_type=data["doc_type"], number=data["number"], issued_on=data["issued_on"], issuer=issuer,
            summary=data["summary"], body=data["body"], attachments=draft.files.stored, audience=draft.audience(),
            send_at=send_at, needs_ack=draft.needs_ack, created_by=user.member_id, actor=user.actor)
        if not made:  # the same form again: show what the first one did, send nothing more
            return see_other(f"/web/van-ban/{a.id}?xong=repeat")
        await self.dash.access.record(user, "web.announce", announcement=a.id, files=len(draft.files.stored),
                                      send_at=send_at.isoformat() if send_at else None)
        return see_other(f"/web/van-ban/{a.id}?xong={'scheduled' if send_at else 'sent'}")


__all__ = ["AnnouncementPages", "Draft"]
