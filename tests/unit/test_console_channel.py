"""The terminal chat: a typed line becomes an Inbound, an Outbound is printed with its
choices numbered, and a typed number picks what the screen shows."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from bot.channels.console import ConsoleChannel
from bot.core import Address, Attachment, Choice, Inbound, InboundKind, InvalidMessage, Outbound, rows


def _console(tmp_path: Path, lines: str = "") -> tuple[ConsoleChannel, io.StringIO]:
    out = io.StringIO()
    return ConsoleChannel("me", stdin=io.StringIO(lines), stdout=out, files_dir=tmp_path / "files",
                          sender_name="Cán bộ thử"), out


def test_a_typed_line_is_text_and_a_slash_line_a_command(tmp_path: Path) -> None:
    console, _ = _console(tmp_path)
    text = console.to_inbound("  Xin chào  ")
    command = console.to_inbound("/moi X_CAOLOC admin")
    assert text is not None and command is not None
    assert (text.kind, text.text, text.address) == (InboundKind.TEXT, "Xin chào", Address("console", "me"))
    assert (command.kind, command.command, command.args) == (InboundKind.COMMAND, "moi", "X_CAOLOC admin")
    assert text.sender_name == "Cán bộ thử"
    assert int(command.message_id) > int(text.message_id), "every line gets a new message id"
    assert text.key != command.key


def test_an_empty_line_is_nothing(tmp_path: Path) -> None:
    console, _ = _console(tmp_path)
    assert console.to_inbound("   ") is None


def test_decomposed_vietnamese_is_normalised(tmp_path: Path) -> None:
    console, _ = _console(tmp_path)
    nfd = console.to_inbound("La\u0323ng So\u031bn")  # as some keyboards send it
    assert nfd is not None and nfd.text == "L\u1ea1ng S\u01a1n"


def test_tep_sends_a_file_with_its_bytes_and_type(tmp_path: Path) -> None:
    console, _ = _console(tmp_path)
    pdf = tmp_path / "bao cao.pdf"
    pdf.write_bytes(b"%PDF-1.4 test")
    inbound = console.to_inbound(f'/tep "{pdf}"')
    assert inbound is not None and inbound.kind is InboundKind.FILE
    assert inbound.attachment == Attachment("bao cao.pdf", "application/pdf", 13, ref=str(pdf),
                                            content=b"%PDF-1.4 test")


def test_tep_with_a_missing_file_says_so_and_sends_nothing(tmp_path: Path) -> None:
    console, out = _console(tmp_path)
    assert console.to_inbound(f"/tep {tmp_path / 'khong-co.pdf'}") is None
    assert "Không tìm thấy tệp" in out.getvalue()


async def test_choices_are_printed_numbered_under_the_text(tmp_path: Path) -> None:
    console, out = _console(tmp_path)
    message = Outbound(text="**Chọn** kỳ báo cáo", choices=rows(Choice("⬅ Quay lại", "back"), Choice("Bỏ qua", "skip")))
    sent = await console.send(console.address, message)
    printed = out.getvalue()
    assert "Chọn kỳ báo cáo" in printed and "**" not in printed, "Markdown is shown as plain text"
    assert "1. Quay lại\n2. Bỏ qua\n(Trả lời 1 hoặc 2)" in printed
    assert len(sent.message_ids) == 1


async def test_choices_of_a_number_question_are_offered_by_name_only(tmp_path: Path) -> None:
    console, out = _console(tmp_path)
    await console.send(console.address, Outbound(text="Số cán bộ?", choices=rows(Choice("Bỏ qua", "skip")),
                                                 numbered=False))
    assert "(Có thể gõ: “bỏ qua”)" in out.getvalue()
    assert "1. Bỏ qua" not in out.getvalue()


async def test_a_document_is_saved_to_the_files_folder(tmp_path: Path) -> None:
    console, out = _console(tmp_path)
    doc = Attachment("tong-hop.xlsx", "application/vnd.ms-excel", 4, content=b"PK\x03\x04")
    await console.send(console.address, Outbound(text="Tệp tổng hợp", documents=(doc,)))
    assert (tmp_path / "files" / "tong-hop.xlsx").read_bytes() == b"PK\x03\x04"
    assert "📎 Tệp: tong-hop.xlsx" in out.getvalue()


def test_an_empty_message_is_refused(tmp_path: Path) -> None:
    console, _ = _console(tmp_path)
    with pytest.raises(InvalidMessage):
        console.render(Outbound())


async def test_the_console_cannot_edit_so_an_edit_is_sent_anew(tmp_path: Path) -> None:
    console, out = _console(tmp_path)
    assert await console.edit_choices(console.address, "1", ()) is False
    await console.edit(console.address, "1", Outbound(text="Bản mới"))
    assert "Bản mới" in out.getvalue()


async def test_typing_a_number_presses_the_choice_on_screen_and_end_of_input_closes(tmp_path: Path) -> None:
    console, _ = _console(tmp_path, lines="2\n9\n/huy\n")
    await console.send(console.address, Outbound(text="Chọn", choices=rows(Choice("Có", "yes"), Choice("Không", "no"))))
    received: list[Inbound] = []

    async def sink(inbound: Inbound) -> None:
        received.append(inbound)

    await console.start(sink)
    await asyncio.wait_for(console.closed.wait(), timeout=5)
    await console.stop()
    assert [(i.kind, i.payload, i.text) for i in received] == [
        (InboundKind.CALLBACK, "no", ""),
        (InboundKind.TEXT, "", "9"),  # no option 9: the typed text as it is
        (InboundKind.COMMAND, "", "/huy"),
    ]


async def test_a_handler_failure_is_printed_and_the_console_goes_on(tmp_path: Path) -> None:
    console, out = _console(tmp_path, lines="một\nhai\n/thoat\nba\n")
    seen: list[str] = []

    async def sink(inbound: Inbound) -> None:
        seen.append(inbound.text)
        if inbound.text == "một":
            raise RuntimeError("hỏng")

    await console.start(sink)
    await asyncio.wait_for(console.closed.wait(), timeout=5)
    await console.stop()
    assert seen == ["một", "hai"], "/thoat ends the session; nothing after it is read"
    assert "[lỗi] hỏng" in out.getvalue()


async def test_only_this_terminals_chat_remembers_the_menu(tmp_path: Path) -> None:
    console, _ = _console(tmp_path)
    await console.send(Address("console", "other"), Outbound(text="x", choices=rows(Choice("Có", "yes"))))
    assert await console.menus.recall(console.address) is None
    await console.send(console.address, Outbound(text="x", choices=rows(Choice("Có", "yes"))))
    menu = await console.menus.recall(console.address)
    assert menu is not None and [c.payload for c in menu.choices] == ["yes"]


async def test_a_button_answer_with_text_is_shown(tmp_path: Path) -> None:
    console, out = _console(tmp_path)
    inbound = Inbound(address=console.address, kind=InboundKind.CALLBACK, payload="x")
    await console.answer_callback(inbound, "Đã ghi nhận")
    await console.answer_callback(inbound)
    assert out.getvalue() == "[Đã ghi nhận]\n"
    assert console.invite_link("ABCD2345") is None
