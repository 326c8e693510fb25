"""How the office writes who a message or period is for: ``all``, ``units:…``, ``group:…``,
``kind:…`` — read back as the description the office sees, or refused in Vietnamese."""

from __future__ import annotations

import pytest

from bot.services.audience import AudienceError, describe, parse_audience


@pytest.mark.parametrize("text", ["", "all", "ALL", "tatca", "tất cả", "  Tất cả  "])
def test_everyone(text: str) -> None:
    assert describe(parse_audience(text)) == "Tất cả đơn vị"


@pytest.mark.parametrize(("text", "described"), [
    ("units:X_CAOLOC", "Các đơn vị: X_CAOLOC"),
    ("units: x_caoloc, p_vinhtrai ; x_mai", "Các đơn vị: X_CAOLOC, P_VINHTRAI, X_MAI"),
    ("donvi:X_A,,X_B,", "Các đơn vị: X_A, X_B"),
    ("Unit:x_a", "Các đơn vị: X_A"),
])
def test_units_by_code_in_capitals_whatever_the_separator(text: str, described: str) -> None:
    assert describe(parse_audience(text)) == described


@pytest.mark.parametrize(("text", "described"), [
    ("group:Cụm thi đua số 1", "Cụm, khối: Cụm thi đua số 1"),
    ("groups:Cụm 1, Cụm 2", "Cụm, khối: Cụm 1; Cụm 2"),
    ("cum:Cụm A, xã miền núi;Cụm B", "Cụm, khối: Cụm A, xã miền núi; Cụm B"),
    ("khoi: Khối trường học ", "Cụm, khối: Khối trường học"),
])
def test_groups_split_at_semicolons_if_any_else_at_commas(text: str, described: str) -> None:
    assert describe(parse_audience(text)) == described


def test_kinds_are_named_in_vietnamese() -> None:
    assert describe(parse_audience("kind:xa,phuong")) == "Loại đơn vị: Xã, Phường"
    assert describe(parse_audience("loai: XA ")) == "Loại đơn vị: Xã"


def test_an_unknown_kind_is_refused_naming_it_and_the_known_ones() -> None:
    with pytest.raises(AudienceError) as refused:
        parse_audience("kind:xa,thon")
    message = str(refused.value)
    assert "Loại đơn vị không hợp lệ: thon" in message
    assert "xa" in message and "phuong" in message


@pytest.mark.parametrize("text", ["units:", "group: ;", "kind:", "khong-biet", "vung:mien-nui", "units"])
def test_what_cannot_be_understood_is_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(AudienceError) as refused:
        parse_audience(text)
    assert "Không hiểu đối tượng nhận" in str(refused.value)
    assert "units:MÃ1,MÃ2" in str(refused.value)
