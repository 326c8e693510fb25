"""Which handler an event goes to: commands by name and alias, buttons by payload prefix,
free text and files to the guided flow the person is in, else to the fallback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.core import Address, Attachment, Inbound, InboundKind, Router

HERE = Address("test", "1")
Handler = Callable[..., Awaitable[Any]]


def _handler(name: str) -> Handler:
    async def handle(*_: object) -> str:
        return name

    handle.__name__ = name
    return handle


def _router() -> tuple[Router[Handler], dict[str, Handler]]:
    router: Router[Handler] = Router()
    h = {name: _handler(name) for name in ("help", "report", "ack", "skip", "report_flow", "fallback")}
    router.command("trogiup", "help", "HuongDan")(h["help"])
    router.command("baocao")(h["report"])
    router.callback("ack")(h["ack"])
    router.callback("skip")(h["skip"])
    router.flow("report")(h["report_flow"])
    router.otherwise(h["fallback"])
    return router, h


def _callback(payload: str) -> Inbound:
    return Inbound(address=HERE, kind=InboundKind.CALLBACK, payload=payload, callback_id="c1")


def test_a_command_and_each_of_its_aliases_go_to_one_handler() -> None:
    router, h = _router()
    for typed in ("/trogiup", "/help", "/huongdan", "/TROGIUP", "/trogiup@tdkt_bot extra words"):
        assert router.resolve(Inbound.from_text(HERE, typed)) is h["help"], typed
    assert router.resolve(Inbound.from_text(HERE, "/baocao")) is h["report"]


def test_an_unknown_command_resolves_to_nothing_not_to_the_fallback() -> None:
    router, _ = _router()
    assert router.resolve(Inbound.from_text(HERE, "/khongco")) is None


def test_a_button_goes_by_the_prefix_of_its_payload() -> None:
    router, h = _router()
    assert router.resolve(_callback("ack:42")) is h["ack"]
    assert router.resolve(_callback("ack:42:extra")) is h["ack"]
    assert router.resolve(_callback("skip")) is h["skip"], "a payload without ':' is its own prefix"


def test_a_button_whose_prefix_nobody_handles_resolves_to_nothing() -> None:
    router, _ = _router()
    assert router.resolve(_callback("zz:1")) is None
    assert router.resolve(_callback("acknowledge:1")) is None, "a prefix matches whole, not by its start"


def test_free_text_and_files_outside_a_command_go_to_the_fallback() -> None:
    router, h = _router()
    assert router.resolve(Inbound.from_text(HERE, "xin chào")) is h["fallback"]
    assert router.resolve(Inbound.from_text(HERE, "/")) is h["fallback"], "a lone slash is text"
    file = Inbound(address=HERE, kind=InboundKind.FILE, attachment=Attachment("a.pdf", "application/pdf", 3))
    assert router.resolve(file) is h["fallback"]


def test_without_a_fallback_free_text_resolves_to_nothing() -> None:
    router: Router[Handler] = Router()
    assert router.resolve(Inbound.from_text(HERE, "xin chào")) is None


def test_free_text_and_files_go_to_the_flow_the_person_is_in() -> None:
    router, h = _router()
    text = Inbound.from_text(HERE, "42")
    file = Inbound(address=HERE, kind=InboundKind.FILE, attachment=Attachment("a.pdf", "application/pdf", 3))
    assert router.resolve(text, flow="report") is h["report_flow"]
    assert router.resolve(file, flow="report") is h["report_flow"]
    assert router.resolve(text, flow="no-such-flow") is h["fallback"], "an unknown flow falls back"


def test_commands_and_buttons_win_over_the_flow() -> None:
    router, h = _router()
    assert router.resolve(Inbound.from_text(HERE, "/trogiup"), flow="report") is h["help"]
    assert router.resolve(_callback("ack:1"), flow="report") is h["ack"]
    assert router.resolve(Inbound.from_text(HERE, "/khongco"), flow="report") is None


def test_flows_are_registered_by_name_and_a_later_registration_replaces_an_earlier_one() -> None:
    router, h = _router()
    assert router.flows == {"report": h["report_flow"]}
    replacement = _handler("other")
    router.flow("report")(replacement)
    router.command("baocao")(replacement)
    assert router.flows["report"] is replacement
    assert router.resolve(Inbound.from_text(HERE, "/baocao")) is replacement


def test_registering_returns_the_handler_unchanged_so_it_stays_callable() -> None:
    router: Router[Handler] = Router()
    fn = _handler("x")
    assert router.command("a")(fn) is fn and router.callback("b")(fn) is fn
    assert router.flow("c")(fn) is fn and router.otherwise(fn) is fn
