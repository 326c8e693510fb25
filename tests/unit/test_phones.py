"""Vietnamese mobile numbers as officers type them, stored the way ZBS takes them."""

from __future__ import annotations

import pytest

from bot.services.phones import normalise_phone, show_phone


@pytest.mark.parametrize("typed", ["0912345678", "0912 345 678", "0912.345.678", "+84 912 345 678",
                                   "84912345678", "(+84) 912-345-678"])
def test_the_ways_of_writing_one_number(typed: str) -> None:
    assert normalise_phone(typed) == "84912345678"


@pytest.mark.parametrize("typed", ["", "0212345678", "091234567", "09123456789", "02438221234", "abc",
                                   "84012345678", "+1 912 345 678"])
def test_landlines_typos_and_foreign_numbers_are_refused(typed: str) -> None:
    assert normalise_phone(typed) is None


def test_shown_as_people_write_it() -> None:
    assert show_phone("84912345678") == "0912 345 678"
