"""Button payloads: built and read by one codec, so a forged or stale press fails in one place."""

from __future__ import annotations

import pytest

from bot.core.callbacks import MAX_ID, CallbackData, Flag, Id, Index, Word, callback, decode
from bot.rendering import buttons as b


def test_payloads_keep_the_strings_already_on_screens() -> None:
    assert b.PickOption(question=3, option=1).pack() == "bc:o:3:1"
    assert b.ShowProgress(period=12).pack() == "td:p:12"
    assert b.OfficeCancel().pack() == "td:c:0"
    assert b.Acknowledge(delivery=42).pack() == "ack:42"
    assert b.DeliveryReport(announcement=7, view="m").pack() == "rp:7:m"
    assert b.AnnounceToGroup(index=0).pack() == "an:aud:g:0"
    assert b.AnnounceNeedsAck(required=True).pack() == "an:ack:1"
    assert b.ReceiveOn(channel="zalo").pack() == "kenh:set:zalo"


@pytest.mark.parametrize("raw", [
    "bc:o:3:1", "bc:sum", "bc:submit:9", "td:p:12", "td:f:bao-cao-nam", "td:ok:0", "ack:42", "rp:7:s",
    "an:aud:all", "an:aud:k:xa", "an:ack:0", "kenh:link", "vb:3", "bc:e:35",
])
def test_every_shown_payload_reads_back_as_itself(raw: str) -> None:
    pressed = decode(raw)
    assert pressed is not None and pressed.pack() == raw


@pytest.mark.parametrize("raw", [
    "", "bc", "bc:o:3", "bc:o:3:1:9", "bc:zz:1", "zz:1", f"td:p:{MAX_ID + 1}", "td:p:0", "td:p:-1",
    "td:p:99999999999999999999", "td:s:²", "td:s:١", "bc:o:3:10000", "an:ack:2", "an:aud:k:x;drop",
    "ack:", "ack:4 2", "td:c:1", "td:f:" + "x" * 41, "bc:submit:" + "9" * 5000, "rp:7:s:extra",
])
def test_forged_or_corrupted_payloads_read_as_nothing(raw: str) -> None:
    assert decode(raw) is None


def test_fields_are_range_checked_when_built_too() -> None:
    with pytest.raises(ValueError):
        b.ShowProgress(period=0).pack()
    with pytest.raises(ValueError):
        b.OpenWithForm(form="có dấu").pack()


def test_a_payload_too_long_for_telegram_cannot_be_built() -> None:
    @callback("zzlong")
    class Long(CallbackData):
        a: Word
        b: Word

    with pytest.raises(ValueError, match="64 bytes"):
        Long(a="x" * 40, b="y" * 40).pack()


def test_two_classes_with_the_same_shape_are_refused_at_import() -> None:
    @callback("zzdup", "x")
    class One(CallbackData):
        n: Id

    with pytest.raises(ValueError):
        @callback("zzdup", "x")
        class Two(CallbackData):
            m: Index

    assert decode("zzdup:x:5") == One(n=5)


def test_field_types_are_checked_at_import() -> None:
    with pytest.raises(TypeError):
        @callback("zzbad")
        class Bad(CallbackData):
            n: int


def test_flags_and_words() -> None:
    @callback("zzflag")
    class Choice(CallbackData):
        on: Flag
        name: Word

    assert decode("zzflag:1:ab-c.d_e") == Choice(on=True, name="ab-c.d_e")
    assert decode("zzflag:0:x") == Choice(on=False, name="x")
    assert decode("zzflag:yes:x") is None
