"""Guided report forms: YAML specs, Vietnamese input parsing and the generic form engine.

Pure: no storage, no platform code. The caller keeps the draft (answers + history) as JSON.
"""

from bot.forms.engine import AnswerResult, FormContext, FormEngine, Problem, SummaryLine
from bot.forms.expressions import ExpressionError
from bot.forms.parsers import FileInput, InvalidAnswer
from bot.forms.spec import (
    Check,
    FormSpec,
    Option,
    Part,
    Question,
    SpecError,
    default_specs_dir,
    load_spec,
    load_specs,
)

__all__ = [
    "AnswerResult",
    "Check",
    "ExpressionError",
    "FileInput",
    "FormContext",
    "FormEngine",
    "FormSpec",
    "InvalidAnswer",
    "Option",
    "Part",
    "Problem",
    "Question",
    "SpecError",
    "SummaryLine",
    "default_specs_dir",
    "load_spec",
    "load_specs",
]
