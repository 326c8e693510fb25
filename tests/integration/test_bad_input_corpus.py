"""Issue 12, "tests that must exist": the bad-input corpus.

Every case goes through the whole bot — the fake Bot API (an officer of Xã Cao Lộc on
Telegram) and the Zalo fake in webhook mode (an officer of Xã Đồng Đăng on Zalo) — on SQLite
and on PostgreSQL. For each case: the bot answers in Vietnamese (never a traceback, an English
error or the generic "sự cố"), stays up (a normal message afterwards is answered), keeps every
earlier answer of both officers' drafts (read back from the database), and the period still
exports — with no ``<f>`` element in any worksheet of the workbook, whatever the text was.

To keep the corpus fast, one bot per backend serves every case (``world``, module scope): both
officers have answered the whole six-monthly report and sit at its summary. A text case edits
question 28 (Đề xuất, kiến nghị — optional text, ≤ 2000 characters) with "sửa 28", sends the
bad text and, when it is taken, submits the report so that the text reaches the export; the
office then returns the report and the officer reopens it, back at the summary for the next
case. Files, payloads, unit imports and webhook bodies leave the drafts as they were.
"""

from __future__ import annotations

import asyncio
import codecs
import io
import os
import re
import unicodedata
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from openpyxl import load_workbook

from bot.app import App
from bot.core import FixedClock
from bot.services.units import UnitImportError
from tests.conftest import BACKENDS, PG_URL, _reset_postgres, make_settings
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.integration.conftest import Harness
from tests.integration.test_channel_wording import zanswer, zphoto
from tests.integration.test_reports import ANSWERS_6T, answer_all, open_period, send_file
from tests.integration.test_zalo import ZCHAT, Both, _fast, zbind

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.postgres]

TG_CHAT = 5401
TG_UNIT, ZALO_UNIT = "X_CAOLOC", "X_DONGDANG"
SECRET = "corpus-webhook-secret"
NOTE, NOTE_NO = "kien_nghi", 28     # optional text, ≤ 2000 characters
SIGNER_NO = 31                      # nguoi_ky: 4–80 characters
SIGN_AS_NO = 32                     # tham_quyen_ky: a choice of two
STAFF, STAFF_NO = "tong_cbcc", 1    # integer 1–100 000
FILE_NO = 35
HUGE = "9" * 40

_VIETNAMESE = re.compile("[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.IGNORECASE)
_ENGLISH_ERRORS = re.compile(r"Traceback|Error|Exception|error:|invalid|None\b|undefined", re.IGNORECASE)


def assert_vietnamese(texts: list[str]) -> None:
    """The bot's answer: there is one, it reads as Vietnamese, and nothing of it is a stack
    trace, an English error or the "something went wrong" reply."""
    joined = "\n".join(texts)
    assert texts and joined.strip(), "no answer"
    assert _VIETNAMESE.search(joined), joined[:500]
    assert not _ENGLISH_ERRORS.search(joined), joined[:500]
    assert "sự cố" not in joined, joined[:500]


def formulas(data: bytes) -> list[str]:
    """Every formula element in the workbook's sheets, read from the XML itself."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [m for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")
                for m in re.findall(r"<f[ >].*?</f>|<f/>|<f [^>]*/>", z.read(n).decode())]


def cell_texts(data: bytes) -> set[str]:
    wb = load_workbook(io.BytesIO(data))
    return {str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None}


@dataclass
class World:
    """One bot with both fakes on one backend, shared by every case of the corpus."""

    app: App
    tg: FakeTelegram
    zalo: FakeZalo
    tmp: Path
    period_id: int
    unit_ids: dict[str, int]
    images: dict[str, bytes]
    image_root: str
    expected: dict[str, dict[str, Any]] = field(default_factory=dict)  # channel → the draft as it must read
    in_export: set[str] = field(default_factory=set)  # unit names every later export must show
    submitted: set[str] = field(default_factory=set)  # answers this case's export must show

    @property
    def harness(self) -> Harness:
        return Harness(self.app, self.tg)

    async def say(self, channel: str, text: str) -> list[str]:
        if channel == "telegram":
            return [m.text or "" for m in await self.harness.say(TG_CHAT, text)]
        return [m.text for m in await Both(self.app, self.tg, self.zalo).zsay(ZCHAT, text)]

    async def press(self, channel: str, label: str) -> list[str]:
        """The button on Telegram; its words, typed, on Zalo."""
        if channel == "telegram":
            return [m.text or "" for m in await self.harness.press_label(TG_CHAT, label)]
        return await self.say(channel, label.lower())

    async def zalo_photo(self, content: bytes) -> list[str]:
        """A picture sent on Zalo: a URL (served here) that the bot downloads."""
        key = f"p{len(self.images)}.jpg"
        self.images[key] = content
        before = len(self.zalo.messages_to(ZCHAT))
        handled = self.app.dispatcher.handled
        await self.zalo.push_image(ZCHAT, f"{self.image_root}/{key}")
        await self.zalo.wait_for(lambda: self.app.dispatcher.handled > handled, timeout=10)
        await asyncio.sleep(0)
        return [m.text for m in self.zalo.messages_to(ZCHAT)[before:]]

    async def draft(self, channel: str) -> dict[str, Any] | None:
        unit = TG_UNIT if channel == "telegram" else ZALO_UNIT
        return await self.app.services.reports.draft_answers(self.unit_ids[unit], self.period_id)

    def stored_files(self) -> list[Path]:
        root = Path(self.app.settings.files_dir)
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []

    async def submit_and_reopen_later(self, channel: str) -> None:
        reply = await self.press(channel, "Gửi báo cáo")
        assert "Số tiếp nhận" in reply[-1], reply[-1]


CHANNELS = ("telegram", "zalo")


# ---- the cases -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    run: Callable[[World], Awaitable[bool]]  # True when the reports were submitted (reopen after)
    label: str


def answer(text: str, stored: str | None, *, number: int = NOTE_NO,
           qid: str = NOTE) -> Callable[[World], Awaitable[bool]]:
    """``text`` typed as the answer to question ``number`` on both channels. ``stored`` is what
    the draft must then hold (cleaned at the boundary), or None if the bot must refuse it —
    with a ❌ message in Vietnamese, after which the officer goes back to the summary and the
    answer given before is still the answer."""

    async def run(w: World) -> bool:
        for channel in CHANNELS:
            opened = await w.say(channel, f"sửa {number}")
            assert f"Câu {number}/" in opened[-1], opened[-1]
            replies = await w.say(channel, text)
            assert_vietnamese(replies)
            if stored is None:
                assert replies[0].startswith("❌"), (channel, replies)
                replies = await w.press(channel, "Về bảng tóm tắt")
                assert "Tóm tắt báo cáo" in "\n".join(replies), replies[-1]
                continue
            assert not replies[0].startswith("❌"), replies[0]
            assert "Tóm tắt báo cáo" in "\n".join(replies), replies[-1]
            w.expected[channel][qid] = stored
        if stored is None:
            return False
        for channel in CHANNELS:
            await w.submit_and_reopen_later(channel)
        w.submitted.add(stored)
        return True

    return run


def at_summary(telegram: str | tuple[str, str], zalo: str) -> Callable[[World], Awaitable[bool]]:
    """Something typed (or, on Telegram, a forged button payload ``("press", data)``) while the
    officer is at the summary: answered, nothing changed."""

    async def run(w: World) -> bool:
        if isinstance(telegram, tuple):
            summary = next(m for m in reversed(w.tg.messages_to(TG_CHAT)) if w.tg.buttons(m))
            replies = [m.text or "" for m in await w.harness.press(TG_CHAT, telegram[1], summary.message_id)]
        else:
            replies = await w.say("telegram", telegram)
        assert_vietnamese(replies)
        assert_vietnamese(await w.say("zalo", zalo))
        return False

    return run


def bad_file(name: str, mime: str, content: bytes, says: str) -> Callable[[World], Awaitable[bool]]:
    """A file that is not what it claims, at the file question: refused by name, not kept,
    and the officer goes back to the summary with the signed report of before."""

    async def run(w: World) -> bool:
        kept = w.stored_files()
        for channel in CHANNELS:
            opened = await w.say(channel, f"sửa {FILE_NO}")
            assert f"Câu {FILE_NO}/" in opened[-1], opened[-1]
            if channel == "telegram":
                replies = [m.text or "" for m in await send_file(w.harness, TG_CHAT, name, mime, content)]
                expected_says = says
            else:  # Zalo receives pictures only: the same bytes as a "photo"
                replies = await w.zalo_photo(content)
                expected_says = "không có nội dung" if not content else "không phải là tệp JPG"
            assert_vietnamese(replies)
            assert replies[0].startswith("❌") and expected_says in replies[0], replies[0]
            back = await w.press(channel, "Về bảng tóm tắt")
            assert "Tóm tắt báo cáo" in "\n".join(back), back[-1]
        assert w.stored_files() == kept
        return False

    return run


def units_file(name: str, content: bytes, *, says: str | None = None, names: tuple[str, ...] = (),
               groups: tuple[str, ...] = ()) -> Callable[[World], Awaitable[bool]]:
    """A units table imported (what ``tdkt-bot units import`` runs): refused with one
    Vietnamese line naming the problem and nothing loaded, or loaded with the exact names."""

    async def run(w: World) -> bool:
        path = w.tmp / name
        path.write_bytes(content)
        before = {u.code: u.name for u, _ in await w.app.services.units.list()}
        if says is not None:
            with pytest.raises(UnitImportError) as refused:
                await w.app.services.units.import_file(path)
            assert_vietnamese([str(refused.value)])
            assert says in str(refused.value), str(refused.value)
            assert {u.code: u.name for u, _ in await w.app.services.units.list()} == before
            return False
        await w.app.services.units.import_file(path)
        now = {u.name for u, _ in await w.app.services.units.list()}
        for n in names:
            assert n in now, (n, sorted(now))
            w.in_export.add(n)
        w.in_export.update(groups)  # in the units sheet's "Cụm, khối" and as a column of the totals
        return False

    return run


def zalo_webhook_body(raw: bytes) -> Callable[[World], Awaitable[bool]]:
    """A body posted to our Zalo webhook with the right secret: 400, nothing handled."""

    async def run(w: World) -> bool:
        handled = w.app.dispatcher.handled
        assert await w.zalo.post_webhook({}, SECRET, raw=raw) == 400
        await asyncio.sleep(0.05)
        assert w.app.dispatcher.handled == handled
        return False

    return run


def telegram_deep_update(depth: int) -> Callable[[World], Awaitable[bool]]:
    """A Telegram update carrying a deeply nested field the bot does not know, with a text:
    the text is answered like any other."""

    async def run(w: World) -> bool:
        nested: Any = 1
        for _ in range(depth):
            nested = {"x": nested}
        before = len(w.tg.messages_to(TG_CHAT))
        handled = w.app.dispatcher.handled
        await w.tg.push_update({"message": {
            "message_id": 900_000, "date": 1_780_000_000, "text": "chưa rõ", "extra": nested,
            "chat": {"id": TG_CHAT, "type": "private"},
            "from": {"id": TG_CHAT, "is_bot": False, "first_name": "Cán bộ"}}})
        await w.tg.wait_for(lambda: w.app.dispatcher.handled > handled, timeout=10)
        assert_vietnamese([m.text or "" for m in w.tg.messages_to(TG_CHAT)[before:]])
        return False

    return run


def _csv(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


LONG_NOTE = "Đề nghị " * 1250  # 10 000 characters, over the question's 2000
NFD = unicodedata.normalize("NFD", "Đề nghị tỉnh hỗ trợ kinh phí khen thưởng")
FAMILY = "👨\u200d👩\u200d👧\u200d👦"
FLAG_AND_SKIN = "🇻🇳 👍🏽 🧑🏻\u200d💻"
QUOTED_CSV = ('code,name,kind,parent_code,groups\n'
              'T_KIMDONG,"Xã ""Kim Đồng"", huyện cũ",xa,,"Cụm 1, Cụm 2"\n')
FORMULA_CSV = ('code;name;kind;parent_code;groups\n'
               'X_EVIL;"=HYPERLINK(""http://evil.example"",""Xã Tân Lập"")";xa;;+Cụm thi đua 9\n'
               'X_EVIL2;@SUM(1+1)*cmd|\' /C calc\'!A0;xa;;-2+3\n')
CONTROL_CSV = 'code,name,kind\nX_CTRL,"Xã\x01 Bắc\x00 Sơn\x1b",xa\n'
SIMPLE_CSV = "code,name,kind\nX_CP,Ph\u01b0\u0300ng \u0110\u00f4ng Kinh,xa\n"  # as Windows-1258 writes it: ư + a combining grave

CASES = [
    # text typed as an answer: stored cleaned, or refused in Vietnamese
    Case(answer("Đề nghị\x00 bổ sung\x00 kinh phí", "Đề nghị bổ sung kinh phí"), "nul"),
    Case(answer("\x01\x02Đề nghị\x07 tăng cường\x1b[31m kiểm tra\x7f", "Đề nghị tăng cường[31m kiểm tra"), "c0-controls"),
    Case(answer("Kiến nghị\x85 về\x9b thủ tục", "Kiến nghị về thủ tục"), "c1-controls"),
    Case(answer("Đề nghị \u202eạhk gnơht\u202c cấp tỉnh", "Đề nghị \u202eạhk gnơht\u202c cấp tỉnh"), "rtl-override"),
    Case(answer("Đề\u200dnghị\u200c hỗ\u200btrợ\ufeff", "Đề\u200dnghị\u200c hỗ\u200btrợ\ufeff"), "zero-width"),
    Case(answer(f"Gia đình văn hóa {FAMILY} {FLAG_AND_SKIN}", f"Gia đình văn hóa {FAMILY} {FLAG_AND_SKIN}"), "emoji-zwj"),
    Case(answer(NFD, unicodedata.normalize("NFC", NFD)), "nfd"),
    Case(answer(LONG_NOTE, None), "10000-chars"),
    Case(answer("=cmd|' /C calc'!A0", "=cmd|' /C calc'!A0"), "formula-dde"),
    Case(answer("+1+1 đề nghị bổ sung", "+1+1 đề nghị bổ sung"), "formula-plus"),
    Case(answer("-2+3 đề nghị bổ sung", "-2+3 đề nghị bổ sung"), "formula-minus"),
    Case(answer("@SUM(A1) đề nghị", "@SUM(A1) đề nghị"), "formula-at"),
    Case(answer("\t=1+1 đề nghị", "=1+1 đề nghị"), "formula-after-tab"),
    Case(answer("\r=1+1 đề nghị", "=1+1 đề nghị"), "formula-after-cr"),
    Case(answer("Đề nghị\n=2+2\n\t+3+3", "Đề nghị\n=2+2\n\t+3+3"), "formula-on-later-lines"),
    Case(answer('=HYPERLINK("http://evil.example/x","Bấm vào đây")',
                '=HYPERLINK("http://evil.example/x","Bấm vào đây")'), "formula-hyperlink"),
    Case(answer("<b>Đề nghị</b> <script>alert(1)</script> &amp; <a href='x'>xem</a>",
                "<b>Đề nghị</b> <script>alert(1)</script> &amp; <a href='x'>xem</a>"), "html"),
    Case(answer("**Đề nghị** _tỉnh_ `hỗ trợ` [xem](http://evil.example) ~~x~~ ||ẩn||",
                "**Đề nghị** _tỉnh_ `hỗ trợ` [xem](http://evil.example) ~~x~~ ||ẩn||"), "markdown"),
    Case(answer("Nguyễn " * 14, None, number=SIGNER_NO, qid="nguoi_ky"), "over-long-name"),
    Case(answer("=1+1", None, number=STAFF_NO, qid=STAFF), "formula-as-number"),
    Case(answer(HUGE * 100, None, number=STAFF_NO, qid=STAFF), "4000-digit-number"),
    Case(answer("9" * 5000, None, number=STAFF_NO, qid=STAFF), "5000-digit-number"),
    Case(answer("1e308", None, number=STAFF_NO, qid=STAFF), "float-overflow-number"),
    Case(answer("9" * 5000, None, number=SIGN_AS_NO, qid="tham_quyen_ky"), "5000-digit-option"),
    # button payloads (Telegram) and their typed form (Zalo) with integers too large
    Case(at_summary(("press", f"bc:p:{HUGE}"), f"sửa {HUGE}"), "huge-payload-period"),
    Case(at_summary(("press", f"bc:e:{HUGE}"), "sửa " + "9" * 5000), "huge-payload-edit"),
    Case(at_summary(("press", f"bc:o:{HUGE}:{HUGE}"), HUGE), "huge-payload-option"),
    Case(at_summary(f"/baocao {HUGE}", f"/baocao {HUGE}"), "huge-command-argument"),
    # files that are not what they say
    Case(bad_file("bao-cao.pdf", "application/pdf", b"MZ\x90\x00\x03\x00\x00\x00 This program cannot be run in DOS mode",
                  "không phải là tệp PDF"), "exe-named-pdf"),
    Case(bad_file("bao-cao.pdf", "application/pdf", b"", "không có nội dung"), "empty-pdf"),
    Case(bad_file("bao-cao.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                  bytes(range(256)) * 8, "không"), "random-bytes-xlsx"),
    # units tables: quoted CSV, formulas and controls in names, wrong encodings, fake types
    Case(units_file("donvi.csv", _csv(QUOTED_CSV), names=('Xã "Kim Đồng", huyện cũ',)), "quoted-csv"),
    Case(units_file("donvi.csv", _csv(FORMULA_CSV), names=('=HYPERLINK("http://evil.example","Xã Tân Lập")',
                                                           "@SUM(1+1)*cmd|' /C calc'!A0"),
                    groups=("+Cụm thi đua 9", "-2+3")),
         "formula-unit-names"),
    Case(units_file("donvi.csv", _csv(CONTROL_CSV), names=("Xã Bắc Sơn",)), "control-unit-name"),
    Case(units_file("donvi.csv", _csv(SIMPLE_CSV, "cp1258"), says="không phải mã UTF-8"), "cp1258-csv"),
    Case(units_file("donvi.csv", codecs.BOM_UTF16_LE + _csv(SIMPLE_CSV, "utf-16-le"), says="UTF-16"), "utf16-csv"),
    Case(units_file("donvi.csv", _csv(SIMPLE_CSV, "utf-16-le"), says="UTF-16"), "utf16-csv-no-bom"),
    Case(units_file("donvi.xlsx", bytes(range(256)) * 4, says="không phải bảng tính Excel"), "random-bytes-xlsx-units"),
    Case(units_file("donvi.csv", _csv(f"code,name,kind\nX_LONG,{'Xã ' * 100},xa\n"), says="dòng 2"), "over-long-unit-name"),
    # deep JSON
    Case(zalo_webhook_body(b"[" * 100_000 + b"]" * 100_000), "zalo-webhook-100000-deep"),
    Case(zalo_webhook_body(b'{"event_name": "message.text.received", "message": ' + b'{"x": ' * 200 + b"1"
                           + b"}" * 201), "zalo-webhook-200-deep-update"),
    Case(telegram_deep_update(200), "telegram-update-200-deep"),
]


# ---- the world -------------------------------------------------------------------------------
@pytest_asyncio.fixture(scope="module", loop_scope="module", params=BACKENDS)
async def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                sqlite_template: Path) -> AsyncIterator[World]:
    tmp = tmp_path_factory.mktemp(f"corpus-{request.param}")
    env = pytest.MonkeyPatch()
    env.chdir(tmp)  # what tests/conftest.py's _isolated_env does per test, for the module
    for key in [k for k in os.environ if k.startswith(("TELEGRAM_", "ZALO_", "WEBHOOK_"))
                or k in {"DATABASE_URL", "PUBLIC_BASE_URL"}]:
        env.delenv(key)
    if request.param == "postgresql":
        await _reset_postgres(PG_URL)
        url = PG_URL
    else:
        target = tmp / "tdkt.sqlite3"
        target.write_bytes(sqlite_template.read_bytes())
        url = f"sqlite+aiosqlite:///{target}"

    images: dict[str, bytes] = {}

    async def image(req: web.Request) -> web.Response:
        return web.Response(body=images[req.match_info["key"]], content_type="image/jpeg")

    image_app = web.Application()
    image_app.router.add_get("/{key}", image)
    image_runner = web.AppRunner(image_app)
    await image_runner.setup()
    site = web.TCPSite(image_runner, "127.0.0.1", 0)
    await site.start()
    image_root = f"http://127.0.0.1:{image_runner.addresses[0][1]}"

    tg, zalo = FakeTelegram(), FakeZalo()
    await tg.start()
    await zalo.start()
    clock = FixedClock(datetime(2026, 6, 8, 2, 0, tzinfo=UTC))
    app = App(make_settings(url, telegram_bot_token=tg.token, telegram_api_base_url=tg.root,
                            zalo_bot_token=zalo.token, zalo_api_base_url=zalo.base_url, zalo_mode="webhook",
                            zalo_webhook_url="https://bot.example.gov.vn/zalo/hook", zalo_webhook_secret=SECRET,
                            webhook_listen="127.0.0.1:0", files_dir=str(tmp / "files"), zalo_rate=50), clock=clock)
    for_zalo = app.zalo_channel

    def local_webhook():  # type: ignore[no-untyped-def]
        """Zalo posts to our own server: the channel registers its local URL once it is up."""
        channel = _fast(for_zalo())
        start = channel.start

        async def start_here(sink):  # type: ignore[no-untyped-def]
            channel.webhook_url = f"http://127.0.0.1:{app.web.port}/zalo/hook"  # type: ignore[union-attr]
            await start(sink)

        channel.start = start_here
        return channel

    app.zalo_channel = local_webhook  # type: ignore[method-assign]
    await app.prepare(demo=True)
    await app.start(scheduler=False)
    app.dispatcher.channels["telegram"].pacer.per_chat_rate = None  # type: ignore[attr-defined]
    try:
        assert zalo.webhook_url and zalo.webhook_url.startswith("http://127.0.0.1:")
        period_id = await open_period(app)
        h = Harness(app, tg)
        both = Both(app, tg, zalo)
        await h.bind(TG_CHAT, TG_UNIT)
        await zbind(both, ZCHAT, ZALO_UNIT)
        await h.say(TG_CHAT, "/baocao")
        await answer_all(h, TG_CHAT, ANSWERS_6T)
        assert "Tóm tắt báo cáo" in (await send_file(h, TG_CHAT, "bao-cao.pdf", "application/pdf",
                                                     b"%PDF-1.4 signed"))[-1].text
        await both.zsay(ZCHAT, "/baocao")
        await zanswer(both, ANSWERS_6T)
        assert "Tóm tắt báo cáo" in "\n".join(m.text for m in await zphoto(both))
        units = {u.code: u.id for u, _ in await app.services.units.list()}
        w = World(app, tg, zalo, tmp, period_id, {TG_UNIT: units[TG_UNIT], ZALO_UNIT: units[ZALO_UNIT]},
                  images, image_root)
        for channel in CHANNELS:
            answers = await w.draft(channel)
            assert answers is not None and answers[NOTE] == "Không"
            w.expected[channel] = dict(answers)
        yield w
    finally:
        await app.stop()
        await zalo.stop()
        await tg.stop()
        await image_runner.cleanup()
        env.undo()


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
async def test_bad_input_is_answered_in_vietnamese_and_nothing_is_lost(world: World, case: Case) -> None:
    submitted = await case.run(world)

    # The bot stays up: an ordinary message afterwards is answered on both channels.
    for channel in CHANNELS:
        status = await world.say(channel, "/trangthai")
        assert_vietnamese(status)
        assert "Sơ kết 6 tháng đầu năm 2026" in "\n".join(status), status

    # The period exports, as text only, with what the officers wrote in it.
    _name, data = await world.app.services.export_period(world.period_id)
    assert formulas(data) == []
    shown = cell_texts(data)
    missing = [t for t in world.in_export | world.submitted if t not in shown]
    assert not missing, missing

    # Every answer of both officers is still there, read back from the database.
    if submitted:
        for channel, unit in (("telegram", TG_UNIT), ("zalo", ZALO_UNIT)):
            sub = await world.app.services.reports.submission(world.unit_ids[unit], world.period_id)
            assert sub is not None
            assert {k: v for k, v in sub.answers.items() if k in world.expected[channel]} == world.expected[channel]
            assert await world.app.services.reports.return_submission(sub.id, "Kiểm tra lại số liệu.", None)
            reopened = await world.say(channel, "/baocao")
            assert "Tóm tắt báo cáo" in "\n".join(reopened), reopened[-1]
        world.submitted.clear()  # returned and reopened: the next case submits its own
    for channel in CHANNELS:
        assert await world.draft(channel) == world.expected[channel], channel
