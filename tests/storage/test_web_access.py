"""Dashboard sign-in on every backend: a link opens one session, even when two browsers
open it at the same moment; sessions end when revoked; the per-address lockout holds."""

from __future__ import annotations

import asyncio

from bot.app import App
from bot.services.web_access import SignInOutcome


async def test_one_link_one_session_even_when_raced(app: App) -> None:
    access = app.services.web_access
    token, name = await access.link_for_role("admin", "Phạm Thu Trang")
    assert name == "Phạm Thu Trang"
    results = await asyncio.gather(*(access.sign_in(token, f"10.0.0.{n}") for n in range(4)))
    outcomes = sorted(r.outcome for r in results)
    assert outcomes.count(SignInOutcome.OK) == 1 and outcomes.count(SignInOutcome.USED) == 3
    ok = next(r for r in results if r.outcome == SignInOutcome.OK)
    user = await access.user(ok.token)
    assert user is not None and user.role == "admin" and user.name == "Phạm Thu Trang" and user.csrf
    await access.sign_out(user)
    assert await access.user(ok.token) is None


async def test_officer_link_is_for_the_unit_and_lockout_counts_per_address(app: App) -> None:
    access = app.services.web_access
    token, _ = await access.link_for_unit("x_caoloc")
    for n in range(5):
        assert (await access.sign_in(f"wrong{n}", "192.0.2.1")).outcome == SignInOutcome.UNKNOWN
    assert (await access.sign_in(token, "192.0.2.1")).outcome == SignInOutcome.LOCKED
    result = await access.sign_in(token, "192.0.2.2")  # another address is not punished
    assert result.outcome == SignInOutcome.OK and result.user is not None
    assert result.user.role == "officer" and result.user.unit is not None and result.user.unit.code == "X_CAOLOC"
    assert result.user.may_see_unit(result.user.unit.id) and not result.user.may_see_unit(result.user.unit.id + 1)
