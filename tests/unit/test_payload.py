"""Button payload fields: only ids a row can have, only indexes inside their list."""

from __future__ import annotations

import pytest

from handlers.payload import MAX_ID, Payload, number


@pytest.mark.parametrize(("text", "value"), [
    ("1", 1), ("42", 42), (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None), ("9" * 40, None), ("0", None),
    ("-1", None), ("²", None), ("١٢", None), ("", None), (" 7", None), ("7a", None), ("9" * 10_000, None),
])
def test_number_accepts_only_possible_row_ids(text: str, value: int | None) -> None:
    assert number(text) == value


def test_payload_fields_and_indexes() -> None:
    p = Payload.parse("an:aud:g:2")
    assert (p.prefix, p.action, p.part(2), p.part(9)) == ("an", "aud", "g", "")
    assert p.index(3, 3) == 2 and p.index(3, 2) is None and p.index(3, 0) is None
    assert Payload.parse("bc:p:" + "9" * 40).id(2) is None
    assert Payload.parse("td:c:0").index(2, 1) == 0
