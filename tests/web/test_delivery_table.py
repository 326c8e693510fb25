"""An announcement's table of copies (written by bot/web/delivery_table.py for speed): each
row has the header's columns, says what its copy says, and escapes the free text."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from bot.services.announcements import DeliveryLine
from bot.web.delivery_table import delivery_rows

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SENT = datetime(2026, 6, 8, 2, 0, tzinfo=UTC)      # 09:00 in Hà Nội
ACKED = datetime(2026, 6, 8, 3, 30, tzinfo=UTC)    # 10:30
RECEIVED = datetime(2026, 6, 8, 2, 1, tzinfo=UTC)  # 09:01


class Cells(HTMLParser):
    """Each ``<tr>``'s attributes and the text of its cells, as a browser reads them (the
    writer leaves out the closing tags HTML does not need)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[dict[str, str | None], list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append((dict(attrs), []))
        elif tag == "td":
            self.rows[-1][1].append("")

    def handle_data(self, data: str) -> None:
        if self.rows and self.rows[-1][1]:
            self.rows[-1][1][-1] += data.strip()


def parse(html: str) -> list[tuple[dict[str, str | None], list[str]]]:
    p = Cells()
    p.feed(f"<table><tbody>{html}</tbody></table>")
    return p.rows


LINES = [
    DeliveryLine("X_CAOLOC", 'Xã <b>Cao</b> "Lộc" & Co', "telegram", "1", "sent", 1, SENT, ACKED, ""),
    DeliveryLine("X_CAOLOC", "Xã Cao Lộc", "zalo_oa", "o1", "sent", 1, SENT, None, "", received_at=RECEIVED),
    DeliveryLine("X_DONGDANG", "Xã Đồng Đăng", "zalo", "z1", "failed", 5, None, None, "Lỗi <script>x</script>"),
    DeliveryLine("X_TRANGDINH", "Xã Tràng Định", "telegram", "2", "blocked", 1, None, None, "Forbidden"),
    DeliveryLine("X_VANLANG", "Xã Văn Lãng", "telegram", "3", "queued", 0, None, None, "429 chờ gửi lại"),
    DeliveryLine("X_LOCBINH", "Xã Lộc Bình", "telegram", "4", "cancelled", 0, None, None, ""),
]
NO_CHAT = [("X_CHILANG", "Xã Chi <Lăng>", "chưa liên kết kênh nhắn tin")]


@pytest.mark.parametrize("receipts", [False, True])
def test_rows_have_the_headers_columns_and_say_what_each_copy_says(receipts: bool) -> None:
    html = str(delivery_rows(LINES, NO_CHAT, receipts=receipts, needs_ack=True, tz=TZ))
    rows = parse(html)
    columns = 9 if receipts else 7  # as announcement.html.j2's header
    assert [len(cells) for _, cells in rows] == [columns] * 7
    assert [(a["data-unit"], a["data-status"]) for a, _ in rows] == [
        ("X_CAOLOC", "sent"), ("X_CAOLOC", "sent"), ("X_DONGDANG", "failed"), ("X_TRANGDINH", "blocked"),
        ("X_VANLANG", "queued"), ("X_LOCBINH", "cancelled"), ("X_CHILANG", "no_chat")]
    by = [cells for _, cells in rows]
    receipt = ["", ""] if receipts else []
    assert by[0] == ["X_CAOLOC", 'Xã <b>Cao</b> "Lộc" & Co', "Telegram", "đã nhận", "08/06/2026 09:00", *receipt,
                     "08/06/2026 10:30", ""]
    # delivered, not acknowledged: "chưa"; the OA's receipt in its column
    assert by[1][2:5] == ["Zalo OA", "đã nhận", "08/06/2026 09:00"] and by[1][-2] == "chưa"
    if receipts:
        assert by[1][5:7] == ["08/06/2026 09:01", ""]
    # failed and blocked show the platform's reason; a queued copy's last error is not a failure
    assert by[2][3] == "gửi lỗi" and by[2][-1] == "Lỗi <script>x</script>" and by[2][-2] == ""
    assert by[3][3] == "đã chặn bot" and by[3][-1] == "Forbidden"
    assert by[4][3] == "đang chờ gửi" and by[4][-1] == "" and by[5][3] == "đã hủy"
    assert by[6][:4] == ["X_CHILANG", "Xã Chi <Lăng>", "–", "chưa liên kết kênh nhắn tin"]
    # free text escaped, and the bad cells marked
    assert "<script>" not in html and "<b>Cao" not in html and "Chi &lt;Lăng&gt;" in html
    assert len(re.findall(r'<td class="bad">', html)) == 3


def test_without_acknowledgement_nothing_is_awaited() -> None:
    rows = parse(str(delivery_rows(LINES[1:2], [], receipts=False, needs_ack=False, tz=TZ)))
    assert rows[0][1][-2] == ""
    assert str(delivery_rows([], [], receipts=True, needs_ack=True, tz=TZ)) == ""
