"""Control characters are dropped where text comes in: a NUL cannot be stored by
PostgreSQL and openpyxl refuses a workbook holding \\x01, so neither may get past ``Inbound``."""

from __future__ import annotations

import pytest

from bot.core import Address, Attachment, Inbound, InboundKind, nfc, strip_controls

ADDR = Address("telegram", "1")


@pytest.mark.parametrize(("raw", "clean"), [
    ("Phong trào\x00 tốt", "Phong trào tốt"),
    ("Xã\x01 Cao Lộc", "Xã Cao Lộc"),
    ("a\x1b[31mb", "a[31mb"),
    ("DEL\x7f và C1\x85\x9b", "DEL và C1"),
    ("dòng 1\r\ndòng 2\rdòng 3", "dòng 1\ndòng 2\ndòng 3"),
    ("cột\tcột\ndòng", "cột\tcột\ndòng"),
    ("Nguye\u0302\u0303n", "Nguyễn"),
    ("👩\u200d👩\u200d👧 emoji", "👩\u200d👩\u200d👧 emoji"),
])
def test_nfc_drops_controls_keeps_tab_newline(raw: str, clean: str) -> None:
    assert nfc(raw) == clean


def test_every_text_field_of_an_inbound_is_clean() -> None:
    msg = Inbound(ADDR, InboundKind.COMMAND, text="/start AB\x00CD", command="start", args="AB\x00CD",
                  payload="bc:p:1\x00", sender_name="Lan\x00\x01 Nguyễn")
    assert (msg.text, msg.args, msg.payload, msg.sender_name) == ("/start ABCD", "ABCD", "bc:p:1", "Lan Nguyễn")
    typed = Inbound.from_text(ADDR, "\x00=1+1\x02")
    assert typed.kind is InboundKind.TEXT and typed.text == "=1+1"


def test_attachment_name_is_clean() -> None:
    assert Attachment(name="bao\x00cao\x01.pdf", mime="application/pdf", size=1).name == "baocao.pdf"


def test_printable_text_is_returned_as_is() -> None:
    text = "Sơ kết 6 tháng đầu năm 2026"
    assert strip_controls(text) is text
