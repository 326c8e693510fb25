"""The report conversation as a pure step: what each message saves and what it says, with no
database and no chat — answer → next question, refusals, warnings, back, edits from the
summary, the return to it, redelivery and file answers."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import yaml

from bot.forms import flow as f
from bot.forms.engine import FileInput, FormContext
from bot.forms.flow import SUMMARY, Draft, FormFlow, Step
from bot.forms.spec import parse_spec

SPEC = parse_spec(yaml.safe_load(
    """
id: luong
version: 1
title: Báo cáo thử luồng
questions:
  - id: tong
    type: integer
    label: Tổng số
    prompt: Tổng số cán bộ?
    min: 1
  - id: co_pt
    type: choice
    label: Có phong trào
    prompt: Có phong trào chuyên đề không?
    options:
      - {key: co, label: Có}
      - {key: khong, label: Không}
  - id: ten_pt
    type: text
    label: Tên phong trào
    prompt: Tên phong trào?
    when: co_pt == "co"
  - id: ca_nhan
    type: integer
    label: Cá nhân
    prompt: Số cá nhân đăng ký?
    checks:
      - rule: ca_nhan <= tong
        message: Không được lớn hơn tổng số ({tong}).
      - rule: ca_nhan * 2 >= tong
        level: warn
        message: Ít hơn một nửa tổng số.
  - id: ghi_chu
    type: text
    label: Ghi chú
    prompt: Ghi chú?
    required: false
  - id: tep
    type: file
    label: Tệp báo cáo
    prompt: Gửi tệp báo cáo đã ký.
    accept: [pdf, jpg]
"""
), "luong.yaml")
CTX = FormContext(unit_kind="xa", today=date(2026, 6, 20), cutoff=date(2026, 6, 14))
FLOW = FormFlow(SPEC, CTX, buttons=True)
PDF = FileInput("bc.pdf", "application/pdf", 2048, "", "")
DONE: dict[str, Any] = {"tong": 10, "co_pt": "khong", "ca_nhan": 6, "ghi_chu": None,
                        "tep": {"name": "bc.pdf", "mime": "application/pdf", "size": 2048, "file_ref": "f/1",
                                "sha256": "aa"}}


def kinds(step: Step) -> list[type]:
    return [type(r) for r in step.replies]


def asked(step: Step) -> str:
    last = step.replies[-1]
    assert isinstance(last, f.Ask), step.replies
    return last.question.id


def test_answer_saves_and_asks_the_next_question() -> None:
    step = FLOW.step(Draft({}, position="tong"), f.Typed("12"), key="m1")
    assert step.save
    assert step.draft.answers == {"tong": 12}
    assert step.draft.history == ("tong",)
    assert step.draft.position == "co_pt"
    assert step.draft.last_inbound == "m1"
    assert kinds(step) == [f.Ask]
    ask = step.replies[0]
    assert isinstance(ask, f.Ask)
    assert ask.prompt.startswith("Câu 2/5. Có phong trào chuyên đề không?")
    assert [o.key for o in ask.options] == ["co", "khong"]
    assert ask.index == 1 and ask.back and not ask.skip and not ask.to_summary
    assert step.progress == (1, 5)


def test_a_when_condition_decided_by_the_answer_adds_the_question() -> None:
    draft = Draft({"tong": 12}, history=("tong",), position="co_pt")
    step = FLOW.step(draft, f.Pick("1", 0))
    assert step.draft.answers["co_pt"] == "co"
    assert asked(step) == "ten_pt"
    assert step.replies[-1].prompt.startswith("Câu 3/6. ")  # type: ignore[union-attr]


def test_invalid_answer_is_refused_nothing_saved_and_the_question_asked_again() -> None:
    draft = Draft({}, position="tong")
    step = FLOW.step(draft, f.Typed("mười hai"), key="m1")
    assert not step.save
    assert step.draft == draft
    assert kinds(step) == [f.Refused, f.Ask]
    assert "số nguyên" in step.replies[0].message  # type: ignore[union-attr]
    assert asked(step) == "tong"


def test_a_failing_error_check_refuses_and_a_warning_is_said_once_with_the_next_question() -> None:
    draft = Draft({"tong": 10, "co_pt": "khong"}, history=("tong", "co_pt"), position="ca_nhan")
    refused = FLOW.step(draft, f.Typed("11"))
    assert not refused.save and kinds(refused) == [f.Refused, f.Ask]
    assert refused.replies[0].message == "Không được lớn hơn tổng số (10)."  # type: ignore[union-attr]
    warned = FLOW.step(draft, f.Typed("3"))
    assert warned.save and warned.draft.answers["ca_nhan"] == 3
    assert kinds(warned) == [f.Caution, f.Ask]
    assert warned.replies[0].warnings == ("Ít hơn một nửa tổng số.",)  # type: ignore[union-attr]
    assert asked(warned) == "ghi_chu"


def test_skip_records_none_for_an_optional_question_and_refuses_a_required_one() -> None:
    draft = Draft({"tong": 10, "co_pt": "khong", "ca_nhan": 6}, history=("tong", "co_pt", "ca_nhan"),
                  position="ghi_chu")
    step = FLOW.step(draft, f.Skip("4"))
    assert step.draft.answers["ghi_chu"] is None and asked(step) == "tep"
    typed = FLOW.step(draft, f.Typed("Bỏ qua"))
    assert typed.draft.answers == step.draft.answers
    required = FLOW.step(Draft({}, position="tong"), f.Typed("bỏ qua"))
    assert not required.save and kinds(required) == [f.Refused, f.Ask]


def test_back_goes_to_the_previous_answered_question_and_says_so_at_the_first() -> None:
    draft = Draft({"tong": 10, "co_pt": "khong"}, history=("tong", "co_pt"), position="ca_nhan")
    step = FLOW.step(draft, f.Typed("quay lại"))
    assert step.save and step.draft.position == "co_pt" and step.draft.answers == draft.answers
    ask = step.replies[-1]
    assert isinstance(ask, f.Ask) and "Trả lời hiện tại: Không" in ask.prompt
    first = FLOW.step(Draft({}, position="tong"), f.Back("0"))
    assert kinds(first) == [f.FirstQuestion, f.Ask] and asked(first) == "tong"


def test_a_button_of_another_question_is_refused_and_the_current_one_asked() -> None:
    draft = Draft({"tong": 10}, history=("tong",), position="co_pt")
    step = FLOW.step(draft, f.Pick("0", 1))
    assert not step.save and kinds(step) == [f.OldButton, f.Ask] and asked(step) == "co_pt"
    at_summary = FLOW.step(Draft(DONE, history=tuple(DONE), position=SUMMARY), f.Skip("4"))
    assert kinds(at_summary) == [f.OldButton, f.Summary]


def test_the_last_answer_leads_to_the_summary_and_marks_the_return() -> None:
    answers = {k: v for k, v in DONE.items() if k != "ca_nhan"}
    draft = Draft(answers, history=tuple(answers), position="ca_nhan")
    step = FLOW.step(draft, f.Typed("6"))
    assert step.draft.position == SUMMARY and step.draft.return_to_summary
    summary = step.replies[-1]
    assert isinstance(summary, f.Summary)
    assert [line.n for line in summary.lines] == [1, 2, 3, 4, 5]
    assert summary.problems == () and summary.warnings == ()
    assert [line.value for line in summary.lines][3] == "(bỏ qua)"


def test_edit_from_the_summary_asks_that_question_and_returns_to_the_summary() -> None:
    draft = Draft(DONE, history=tuple(DONE), position=SUMMARY, return_to_summary=True)
    typed = FLOW.step(draft, f.Typed("sửa 3"))
    pressed = FLOW.step(draft, f.EditNumber(3))
    for step in (typed, pressed):
        assert step.save and step.draft.position == "ca_nhan" and step.draft.return_to_summary
        ask = step.replies[-1]
        assert isinstance(ask, f.Ask) and ask.to_summary
    back = FLOW.step(typed.draft, f.Typed("7"))
    assert back.draft.answers["ca_nhan"] == 7 and back.draft.position == SUMMARY
    assert kinds(back) == [f.Summary]


def test_an_edit_that_opens_a_later_question_asks_it_before_the_summary() -> None:
    draft = Draft(DONE, history=tuple(DONE), position="co_pt", return_to_summary=True)
    step = FLOW.step(draft, f.Typed("1"))  # "Có": ten_pt now applies and is unanswered
    assert step.draft.position == "ten_pt" and asked(step) == "ten_pt"
    done = FLOW.step(step.draft, f.Typed("Phong trào xanh"))
    assert done.draft.position == SUMMARY and kinds(done) == [f.Summary]


def test_summary_text_numbers_send_and_anything_else() -> None:
    draft = Draft(DONE, history=tuple(DONE), position=SUMMARY, return_to_summary=True)
    missing = FLOW.step(draft, f.Typed("sửa 9"))
    assert not missing.save and missing.replies == (f.NoSuchQuestion(9, 5),)
    huge = FLOW.step(draft, f.Typed("sửa " + "9" * 30))  # never converted: said back, shortened
    assert huge.replies == (f.NoSuchQuestion("“" + "9" * 19 + "…”", 5),)
    superscript = FLOW.step(draft, f.Typed("sửa ²"))  # a digit to str.isdigit, not a number
    assert superscript.replies == (f.NoSuchQuestion("“²”", 5),)
    send = FLOW.step(draft, f.Typed("Gửi báo cáo"))
    assert send.submit and not send.save and send.replies == ()
    unclear = FLOW.step(draft, f.Typed("xin chào"))
    assert kinds(unclear) == [f.SummaryUnclear, f.Summary]
    assert FLOW.step(draft, f.EditPicker()).replies == (f.EditHow(5),)


def test_redelivery_of_the_applied_message_only_asks_again() -> None:
    first = FLOW.step(Draft({}, position="tong"), f.Typed("12"), key="upd-7")
    again = FLOW.step(first.draft, f.Typed("12"), key="upd-7")
    assert not again.save and again.draft == first.draft
    assert kinds(again) == [f.Ask] and asked(again) == "co_pt"
    other = FLOW.step(first.draft, f.Typed("1"), key="upd-8")
    assert other.save  # a new message with the same text is an answer


def test_show_moves_a_position_that_no_longer_applies() -> None:
    draft = Draft({"tong": 10, "co_pt": "khong"}, history=("tong", "co_pt"), position="ten_pt")
    step = FLOW.step(draft, f.Show(), key="m2")
    assert step.save and step.draft.position == "ca_nhan" and asked(step) == "ca_nhan"
    same = FLOW.step(step.draft, f.Show())
    assert not same.save


def test_to_summary_button_shows_the_summary_with_its_problems() -> None:
    draft = Draft({"tong": 10}, history=("tong",), position="co_pt", return_to_summary=True)
    step = FLOW.step(draft, f.ToSummary())
    assert step.save and step.draft.position == SUMMARY
    summary = step.replies[-1]
    assert isinstance(summary, f.Summary)
    assert [p.question_id for p in summary.problems] == ["co_pt", "ca_nhan", "tep"]


def test_a_file_is_fetched_judged_by_its_bytes_and_stored_only_once_accepted() -> None:
    answers = {k: v for k, v in DONE.items() if k != "tep"}
    draft = Draft(answers, history=tuple(answers), position="tep")
    wants = FLOW.step(draft, f.Upload(PDF))
    assert wants.fetch and not wants.save and wants.replies == ()
    refused = wants.fetched("zip", 2048)  # a .pdf whose bytes are a ZIP archive
    assert not refused.save and refused.store is None and kinds(refused) == [f.Refused, f.Ask]
    accepted = wants.fetched("pdf", 2000)
    assert accepted.save and accepted.store == f.StoreSlot("tep", False)
    assert accepted.draft.answers["tep"]["size"] == 2000  # the bytes counted, not the announced size
    stored = accepted.stored("files/ab.pdf", "ab")
    assert stored.draft.answers["tep"] == {"name": "bc.pdf", "mime": "application/pdf", "size": 2000,
                                           "file_ref": "files/ab.pdf", "sha256": "ab"}
    assert stored.store is None and kinds(stored) == [f.Summary]


def test_a_file_too_big_to_download_is_refused_by_its_announced_size() -> None:
    draft = Draft({}, position="tep")
    step = FLOW.step(draft, f.Upload(FileInput("bc.pdf", "application/pdf", 30 * 1024 * 1024, "", "")))
    assert not step.fetch and not step.save and step.store is None
    assert kinds(step) == [f.Refused, f.Ask]


def test_files_where_none_is_asked_and_words_where_a_file_is() -> None:
    draft = Draft({}, position="tong")
    step = FLOW.step(draft, f.Upload(PDF))
    assert not step.fetch and kinds(step) == [f.NotAFileQuestion, f.Ask]
    sticker = FLOW.step(Draft({}, position="tep"), f.Other())
    assert sticker.replies[0] == f.Unsupported(wants_file=True)
    typed = FLOW.step(Draft({}, position="tep"), f.Typed("đã gửi"))
    assert kinds(typed) == [f.Refused, f.Ask]


def test_another_page_at_the_summary_is_added_to_the_file_answer() -> None:
    draft = Draft(DONE, history=tuple(DONE), position=SUMMARY, return_to_summary=True)
    wants = FLOW.step(draft, f.Upload(FileInput("trang2.jpg", "image/jpeg", 500, "", "")))
    assert wants.fetch
    added = wants.fetched("jpg", 500)
    assert added.store == f.StoreSlot("tep", True)
    assert added.replies == (f.FileAdded("trang2.jpg", "Tệp báo cáo", 2, complete=True),)
    stored = added.stored("files/p2.jpg", "p2")
    value = stored.draft.answers["tep"]
    assert value["file_ref"] == "f/1" and value["more"][-1]["file_ref"] == "files/p2.jpg"
    assert stored.draft.position == SUMMARY and stored.draft.history == draft.history


@pytest.mark.parametrize("buttons", [True, False])
def test_the_prompt_speaks_to_the_channel(buttons: bool) -> None:
    flow = FormFlow(SPEC, CTX, buttons=buttons)
    step = flow.step(Draft({"tong": 3}, history=("tong",), position="co_pt"), f.Show())
    prompt = step.replies[-1].prompt  # type: ignore[union-attr]
    assert ("1. Có" in prompt) is buttons  # without buttons the channel's numbered menu lists them


def test_submission_gives_the_clean_answers_or_the_summary() -> None:
    stale = {**DONE, "ten_pt": "Không còn áp dụng"}
    clean, summary = FLOW.submission(stale)
    assert summary is None and "ten_pt" not in clean and clean["tong"] == 10
    clean, summary = FLOW.submission({"tong": 10})
    assert clean == {} and summary is not None and summary.problems
