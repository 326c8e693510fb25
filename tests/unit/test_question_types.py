"""Question types are one class each: every type a spec can name has its class, and a new type
needs nothing but its class in the registry — the spec loader, the engine, the flow and the
export all ask the class."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.forms import flow as f
from bot.forms import types
from bot.forms.engine import FormContext, FormEngine
from bot.forms.flow import Draft, FormFlow
from bot.forms.parsers import InvalidAnswer, format_decimal, parse_decimal
from bot.forms.spec import QUESTION_TYPES, Question, load_specs, parse_spec
from bot.services.export import _columns

CTX = FormContext(unit_kind="xa", today=date(2026, 6, 20))


class Percent(types.QuestionType):
    """A share of 0–100 %, typed "7,5" or "7,5%"."""

    name = "percent"
    bounds = "number"
    integral = False
    totalled = False

    def parse(self, question: Question, raw: str, ctx: FormContext) -> Any:
        return parse_decimal(raw.replace("%", ""))

    def validate(self, question: Question, value: Any, ctx: FormContext) -> None:
        if not 0 <= value <= 100:
            raise InvalidAnswer("Tỷ lệ phải từ 0 đến 100 %.")

    def display(self, question: Question, value: Any) -> str:
        return f"{format_decimal(value)} %"

    def hint(self, question: Question, ctx: FormContext, buttons: bool) -> str:
        return "Nhập tỷ lệ phần trăm (ví dụ: 7,5)."

    def sample(self, question: Question) -> Any:
        return 50.0

    def export_cell(self, question: Question, part: str | None, value: Any) -> Any:
        return value / 100


def test_every_type_a_spec_can_name_has_its_class() -> None:
    assert set(types.TYPES) == QUESTION_TYPES
    assert all(t.name == name for name, t in types.TYPES.items())


def test_a_new_type_is_one_class(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(types.TYPES, "percent", Percent())  # type: ignore[index]
    spec = parse_spec({"id": "ty-le", "version": 1, "title": "Tỷ lệ", "questions": [
        {"id": "ty_le", "type": "percent", "label": "Tỷ lệ", "prompt": "Tỷ lệ hoàn thành?",
         "checks": [{"rule": "ty_le >= 10", "message": "Thấp.", "level": "warn"}]}]})
    engine = FormEngine(spec)
    assert engine.answer("ty_le", "7,5%", {}, CTX).value == 7.5
    assert engine.answer("ty_le", "120", {}, CTX).error == "Tỷ lệ phải từ 0 đến 100 %."
    step = FormFlow(spec, CTX).step(Draft({}, position="ty_le"), f.Show())
    assert "Nhập tỷ lệ phần trăm (ví dụ: 7,5)." in step.replies[0].prompt  # type: ignore[union-attr]
    done = FormFlow(spec, CTX).step(Draft({}, position="ty_le"), f.Typed("7,5"))
    assert [type(r) for r in done.replies] == [f.Caution, f.Summary]
    assert done.replies[1].lines[0].value == "7,5 %"  # type: ignore[union-attr]
    ((key, header, question, part),) = _columns(spec)
    assert (key, header, part) == ("ty_le", "Tỷ lệ", None)
    assert types.export_cell(question, part, 7.5) == 0.075
    assert types.export_cell(question, part, None) is None


@pytest.mark.parametrize(("qtype", "stored", "cell"), [
    ("integer", 12, 12), ("decimal", 7.5, 7.5), ("year", 2026, 2026), ("phone", "0912345678", "0912345678"),
    ("date", "2026-06-18", date(2026, 6, 18)), ("text", "=1+1", "=1+1"),
    ("file", {"name": "a.pdf", "size": 1, "file_ref": "x", "more": [{"name": "b.jpg"}]}, "a.pdf; b.jpg"),
])
def test_export_cells_keep_their_types(qtype: str, stored: Any, cell: Any) -> None:
    question = Question(id="q", prompt="?", type=qtype)
    assert types.export_cell(question, None, stored) == cell
    assert types.TYPES[qtype].totalled is (qtype in {"integer", "decimal"})


def test_the_advice_on_photographed_pages_only_where_photos_are_accepted() -> None:
    """The annual form's Excel list (xlsx/xls) is not photographed; its signed report is."""
    spec = load_specs()["bao-cao-nam"]
    ctx = FormContext(unit_kind="xa", today=date(2026, 12, 3), cutoff=date(2026, 11, 14))
    hints = {tuple(q.accept): types.File().hint(q, ctx, False) for q in spec.questions if q.type == "file"}
    assert hints[("xlsx", "xls")] == "Gửi tệp XLSX hoặc XLS, dung lượng tối đa 20 MB."
    assert hints[("pdf", "docx", "jpg", "jpeg", "png")].endswith("Báo cáo chụp thành nhiều ảnh thì gửi lần lượt từng trang.")
