"""Audiences as typed values (parsed, described, stored as the same JSON as ever), durations
parsed one way for the CLI and the chat, state labels from one table."""

from __future__ import annotations

import argparse
from datetime import timedelta

import pytest

from bot.cli import parse_duration as cli_duration
from bot.core.durations import normalise_duration, parse_duration
from bot.rendering.templates import STATE_LABELS as TEMPLATE_LABELS
from bot.services.audience import Audience, AudienceError, describe, parse_audience
from bot.services.reports import STATE_LABELS, PeriodError, UnitState, parse_offsets


@pytest.mark.parametrize(("text", "typed", "stored"), [
    ("all", Audience.everyone(), {"all": True}),
    ("units: x_caoloc; X_DONGDANG", Audience("units", ("X_CAOLOC", "X_DONGDANG")),
     {"units": ["X_CAOLOC", "X_DONGDANG"]}),
    ("group:Cụm thi đua biên giới", Audience("groups", ("Cụm thi đua biên giới",)),
     {"groups": ["Cụm thi đua biên giới"]}),
    ("groups:Cụm A, khu 1;Khối B", Audience("groups", ("Cụm A, khu 1", "Khối B")),
     {"groups": ["Cụm A, khu 1", "Khối B"]}),
    ("kind:xa,phuong", Audience("kinds", ("xa", "phuong")), {"kinds": ["xa", "phuong"]}),
])
def test_parsed_audience_is_typed_and_stored_as_before(text: str, typed: Audience, stored: dict[str, object]) -> None:
    a = parse_audience(text)
    assert a == typed and a.to_json() == stored
    assert Audience.of(stored) == a and Audience.of(a) is a
    assert describe(a) == describe(stored)


def test_empty_or_unknown_stored_audience_means_everyone() -> None:
    assert Audience.of({}) == Audience.of(None) == Audience.of({"all": True}) == Audience.everyone()
    assert describe({}) == "Tất cả đơn vị"
    assert describe({"kinds": ["xa"]}) == "Loại đơn vị: Xã"


@pytest.mark.parametrize("bad", ["kind:lang", "units:", "cum", "ai đó"])
def test_audience_text_not_understood_is_a_vietnamese_error(bad: str) -> None:
    with pytest.raises(AudienceError):
        parse_audience(bad)


def test_durations_are_parsed_once_for_the_cli_and_the_chat() -> None:
    assert parse_duration("7d") == timedelta(days=7)
    assert parse_duration(" 12H ") == timedelta(hours=12)
    assert parse_duration("30m") == timedelta(minutes=30)
    assert normalise_duration("2 h") == "2h"
    assert cli_duration("48h") == timedelta(hours=48)
    assert parse_offsets("7d, 3D,1d,2h") == ["7d", "3d", "1d", "2h"]
    for bad in ("7", "d", "7w", "²d", "-1d", "1.5h"):
        assert normalise_duration(bad) is None
        with pytest.raises(ValueError):
            parse_duration(bad)
        with pytest.raises(argparse.ArgumentTypeError):
            cli_duration(bad)
        with pytest.raises(PeriodError):
            parse_offsets(f"7d,{bad}")


def test_state_labels_come_from_the_templates_table() -> None:
    assert {s: STATE_LABELS[s] for s in UnitState} == {s: TEMPLATE_LABELS[s.value] for s in UnitState}
    assert STATE_LABELS[UnitState.RETURNED] == "bị trả lại"
