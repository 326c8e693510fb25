"""Issue 15: Cờ thi đua is asked only of units that belong to a cụm/khối thi đua — the annual
report's own-flag question, and the registration's "Cờ thi đua của UBND tỉnh" option — and of
units whose membership is unknown; the spec key (``group_members_only``) is checked at load."""

from __future__ import annotations

from dataclasses import replace

import pytest
import yaml

from bot.forms import flow as f
from bot.forms.engine import FormEngine
from bot.forms.flow import Draft, FormFlow
from bot.forms.spec import SpecError, load_specs, parse_spec
from tests.unit.test_form_specs_shipped import (
    ANNUAL,
    ANNUAL_ANSWERS,
    REGISTRATION,
    REGISTRATION_ANSWERS,
    fill,
)

SPECS = load_specs()
FLAG = "co_thi_dua_don_vi"


@pytest.mark.parametrize(("in_group", "asked"), [(True, True), (None, True), (False, False)])
def test_the_annual_flag_question_is_asked_only_in_a_group(in_group: bool | None, asked: bool) -> None:
    ctx = replace(ANNUAL, in_group=in_group)
    engine, answers, _ = fill(SPECS["bao-cao-nam"], ctx, ANNUAL_ANSWERS)  # the whole form goes through
    assert (FLAG in answers) == asked
    assert (FLAG in [q.id for q in engine.applicable(answers, ctx)]) == asked
    assert engine.final_errors(answers, ctx) == []
    summary = [line.question_id for line in engine.summary(answers, ctx)]
    assert (FLAG in summary) == asked
    numbers = [line.n for line in engine.summary(answers, ctx)]
    assert numbers == list(range(1, len(numbers) + 1))  # "Câu N" counts only what is asked


def test_an_answer_given_while_in_a_group_does_not_count_once_out_of_it() -> None:
    grouped = replace(ANNUAL, in_group=True)
    engine, answers, _ = fill(SPECS["bao-cao-nam"], grouped, ANNUAL_ANSWERS)
    answers[FLAG] = "ubnd_tinh"
    assert engine.clean(answers, grouped)[FLAG] == "ubnd_tinh"
    assert FLAG not in engine.clean(answers, replace(ANNUAL, in_group=False))


@pytest.mark.parametrize(("in_group", "offered"), [(True, True), (None, True), (False, False)])
def test_the_registration_offers_the_provinces_flag_only_in_a_group(in_group: bool | None, offered: bool) -> None:
    ctx = replace(REGISTRATION, in_group=in_group)
    spec = SPECS["dang-ky-thi-dua"]
    flow = FormFlow(spec, ctx, buttons=True)
    engine = flow.engine
    answers: dict[str, object] = {}
    while (question := engine.next_question(answers, ctx)) is not None and question.id != "dh_tap_the":
        answers[question.id] = engine.answer(question.id, REGISTRATION_ANSWERS[question.id], answers, ctx).value  # type: ignore[arg-type]
    step = flow.step(Draft(answers, history=tuple(answers), position="dh_tap_the"), f.Show())
    ask = step.replies[-1]
    assert isinstance(ask, f.Ask)
    assert ("co_tinh" in [o.key for o in spec.question("dh_tap_the").offered_to(None, in_group).options]) == offered
    assert ("Cờ thi đua của UBND tỉnh" in ask.prompt) == offered
    typed = flow.step(Draft(answers, history=tuple(answers), position="dh_tap_the"),
                      f.Typed("Tập thể lao động xuất sắc; Cờ thi đua của UBND tỉnh"))
    if offered:
        assert typed.save and typed.draft.answers["dh_tap_the"] == ["tt_ldxs", "co_tinh"]
    else:
        assert not typed.save
        message = typed.replies[0].message  # type: ignore[union-attr]
        assert message.startswith("Mục “Cờ thi đua của UBND tỉnh” chỉ dành cho đơn vị thuộc cụm, khối thi đua.")
        numbered = flow.step(Draft(answers, history=tuple(answers), position="dh_tap_the"), f.Typed("1, 2"))
        assert numbered.draft.answers["dh_tap_the"] == ["tt_ldtt", "tt_ldxs"]


def test_the_provinces_flag_kept_by_a_unit_out_of_any_group_blocks_sending() -> None:
    ctx = replace(REGISTRATION, in_group=True)
    engine, answers, _ = fill(SPECS["dang-ky-thi-dua"], ctx, {**REGISTRATION_ANSWERS, "dh_tap_the": "2, 3"})
    assert answers["dh_tap_the"] == ["tt_ldxs", "co_tinh"] and engine.final_errors(answers, ctx) == []
    out = replace(ctx, in_group=False)
    assert [p.question_id for p in engine.final_problems(answers, out)] == ["dh_tap_the"]


def test_group_members_only_is_true_or_false() -> None:
    question = """
id: co
version: 1
title: Thử
questions:
  - id: co
    type: choice
    prompt: Cờ?
    group_members_only: {value}
    options:
      - {{key: a, label: A, group_members_only: {option}}}
      - {{key: b, label: B}}
"""
    spec = parse_spec(yaml.safe_load(question.format(value="true", option="true")), "co.yaml")
    assert spec.question("co").group_members_only and spec.question("co").options[0].group_members_only
    assert spec.asks_by_group and not SPECS["bao-cao-6-thang"].asks_by_group
    with pytest.raises(SpecError, match="'group_members_only' phải là true hoặc false"):
        parse_spec(yaml.safe_load(question.format(value="'có'", option="true")), "co.yaml")
    with pytest.raises(SpecError, match="mục 'a': 'group_members_only' phải là true hoặc false"):
        parse_spec(yaml.safe_load(question.format(value="true", option="1")), "co.yaml")
    assert FormEngine(spec).applicable({}, replace(ANNUAL, in_group=False)) == []
