"""A tiny, safe expression language for `when` conditions and cross-field checks in form specs.

Specs are data written by office staff, so an expression must never be able to run code. We
parse with :mod:`ast` and accept only a whitelist: numbers, strings, booleans, answer ids
(``tong_cbcc``), parts of a "numbers" answer (``kt_tham_quyen.ca_nhan``), ``+ - * /``,
comparisons (chained too), ``and``/``or``/``not``, ``in``/``not in`` against a list/tuple literal
or a multichoice answer, and the functions ``sum(a, b, …)`` and ``len(x)``. Nothing is ever
passed to :func:`eval`.

The period's dates (:data:`DATE_NAMES`: ``cutoff``, ``period_start``, ``today``, ``year_start``,
``year_end``) may be named too, but only as an operand of ``< <= > >= == !=`` (``ngay_ky >=
cutoff``): a date is compared with a date answer (stored "YYYY-MM-DD") or a "YYYY-MM-DD" text,
never computed with. They are not answer ids (no question may be called so) and are not in
:attr:`Expression.refs`; the caller passes them in ``values`` as :class:`datetime.date` (or
``None`` when the period has no such date: the comparison is then not applicable).

Evaluation uses three-valued logic: an unanswered or skipped answer is ``None`` and anything
computed from it is ``None`` ("not applicable"). A check whose result is ``None`` passes; a
``when`` whose result is ``None`` does not hold. ``sum()`` ignores ``None`` arguments (a skipped
optional count adds nothing) and is ``None`` only when every argument is.
"""

from __future__ import annotations

import ast
import keyword
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

__all__ = [
    "DATE_NAMES",
    "FUNCTIONS",
    "RESERVED_NAMES",
    "Expression",
    "ExpressionError",
    "Ref",
    "compile_expression",
    "evaluate",
    "holds",
    "names",
    "passes",
]

FUNCTIONS = frozenset({"sum", "len"})
DATE_NAMES = frozenset({"today", "cutoff", "period_start", "year_start", "year_end"})
"""The period's dates an expression may compare with (the tokens of a date question's min/max)."""
RESERVED_NAMES = FUNCTIONS | DATE_NAMES | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)
MAX_SOURCE_LENGTH = 1000

_ARITHMETIC: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_ORDERING: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MSG_NOT_A_DATE = (
    "một ngày (cutoff, period_start, today, year_start, year_end) chỉ so sánh được với câu trả lời "
    "loại ngày hoặc ngày dạng 'YYYY-MM-DD'"
)


class ExpressionError(ValueError):
    """An expression is not in the allowed language, or (strict mode) misuses a value's type."""


@dataclass(frozen=True)
class Ref:
    """A reference to an answer: ``name`` alone, or ``name.part`` for a "numbers" answer."""

    name: str
    part: str | None = None

    def __str__(self) -> str:
        return f"{self.name}.{self.part}" if self.part else self.name


@dataclass(frozen=True, eq=False)
class Expression:
    """A parsed and whitelisted expression, ready to evaluate many times."""

    source: str
    tree: ast.Expression
    refs: tuple[Ref, ...]
    dates: tuple[str, ...] = ()
    """The period's dates (:data:`DATE_NAMES`) it compares with, in order of first appearance."""

    def names(self) -> list[str]:
        """Referenced answer ids, in order of first appearance, without duplicates."""
        return list(dict.fromkeys(ref.name for ref in self.refs))

    def evaluate(self, values: Mapping[str, Any], *, strict: bool = False) -> Any:
        """Evaluate against ``values`` (answer id → value). Missing ids are ``None``.

        With ``strict`` a type misuse (text in arithmetic, ordering a list…) raises
        :class:`ExpressionError`; otherwise it yields ``None`` so a chat never crashes.
        """
        return _Evaluator(values, strict).eval(self.tree.body)


@lru_cache(maxsize=1024)
def compile_expression(source: str) -> Expression:
    """Parse ``source`` and check it against the whitelist (raises :class:`ExpressionError`)."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("biểu thức rỗng")
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExpressionError(f"biểu thức dài quá {MAX_SOURCE_LENGTH} ký tự")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"biểu thức '{source}' sai cú pháp ({exc.msg})") from None
    validator = _Validator(source)
    validator.check(tree.body)
    return Expression(
        source=source,
        tree=tree,
        refs=tuple(dict.fromkeys(validator.refs)),
        dates=tuple(dict.fromkeys(validator.dates)),
    )


def names(source: str) -> list[str]:
    """Answer ids referenced by ``source`` (for validating that they are asked earlier)."""
    return compile_expression(source).names()


def evaluate(source: str, values: Mapping[str, Any], *, strict: bool = False) -> Any:
    """Compile (cached) and evaluate ``source`` against ``values``."""
    return compile_expression(source).evaluate(values, strict=strict)


def holds(result: Any) -> bool:
    """`when` semantics: only a definite truthy result holds; ``None`` (not applicable) does not."""
    return result is not None and bool(result)


def passes(result: Any) -> bool:
    """Check semantics: a check fails only on a definite false result; ``None`` passes."""
    return result is None or bool(result)


class _Validator:
    """Walks the AST and rejects every node outside the whitelist, collecting references."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.refs: list[Ref] = []
        self.dates: list[str] = []

    def fail(self, reason: str) -> ExpressionError:
        return ExpressionError(f"biểu thức '{self.source}' không hợp lệ: {reason}")

    def check(self, node: ast.AST) -> None:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool | int | float | str):
                return
            raise self.fail(f"không dùng được hằng {node.value!r}")
        if isinstance(node, ast.Name):
            self._name(node.id)
            self.refs.append(Ref(node.id))
            return
        if isinstance(node, ast.Attribute):
            if not isinstance(node.value, ast.Name):
                raise self.fail("chỉ được lấy phần của một câu trả lời dạng ten_cau.ten_phan")
            self._name(node.value.id)
            if node.attr.startswith("_"):
                raise self.fail(f"tên phần '{node.attr}' không được bắt đầu bằng '_'")
            self.refs.append(Ref(node.value.id, node.attr))
            return
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _ARITHMETIC:
                raise self.fail("chỉ được dùng các phép tính + - * /")
            self.check(node.left)
            self.check(node.right)
            return
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd | ast.Not):
                raise self.fail("phép toán một ngôi không được phép")
            self.check(node.operand)
            return
        if isinstance(node, ast.BoolOp):
            for value in node.values:
                self.check(value)
            return
        if isinstance(node, ast.Compare):
            self._compare(node)
            return
        if isinstance(node, ast.Call):
            self._call(node)
            return
        raise self.fail(f"không được phép dùng cấu trúc {type(node).__name__}")

    def _name(self, name: str) -> None:
        if name in DATE_NAMES:
            raise self.fail(
                f"'{name}' là một ngày của kỳ báo cáo, chỉ dùng làm một vế của phép so sánh "
                f"(< <= > >= == !=) với câu trả lời loại ngày, ví dụ: ngay_ky >= {name}"
            )
        if name.startswith("_"):
            raise self.fail(f"tên '{name}' không được bắt đầu bằng '_'")
        if name in FUNCTIONS:
            raise self.fail(f"'{name}' là tên hàm, phải gọi dạng {name}(…)")
        if name in RESERVED_NAMES:
            raise self.fail(f"'{name}' là từ khóa, không dùng làm tên câu hỏi")

    def _compare(self, node: ast.Compare) -> None:
        allowed = (*_ORDERING, ast.Eq, ast.NotEq, ast.In, ast.NotIn)
        membership = any(isinstance(op, ast.In | ast.NotIn) for op in node.ops)
        for operand in (node.left, *node.comparators):
            if isinstance(operand, ast.Name) and operand.id in DATE_NAMES and not membership:
                self.dates.append(operand.id)  # a date of the period: compared, so allowed
        self._operand(node.left, membership)
        for op, right in zip(node.ops, node.comparators, strict=True):
            if not isinstance(op, allowed):
                raise self.fail("phép so sánh không được phép (dùng == != < <= > >= in)")
            if isinstance(op, ast.In | ast.NotIn) and isinstance(right, ast.List | ast.Tuple):
                for element in right.elts:
                    self.check(element)
            elif isinstance(op, ast.In | ast.NotIn) and not isinstance(right, ast.Name | ast.Attribute):
                raise self.fail("vế phải của 'in' phải là danh sách [..] hoặc một câu trả lời")
            else:
                self._operand(right, membership)

    def _operand(self, node: ast.AST, membership: bool) -> None:
        """One side of a comparison: a date of the period is allowed here (not with ``in``)."""
        if isinstance(node, ast.Name) and node.id in DATE_NAMES and not membership:
            return
        self.check(node)

    def _call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise self.fail("chỉ được gọi hàm sum(…) và len(…)")
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            raise self.fail(f"hàm {node.func.id}() chỉ nhận đối số theo vị trí")
        if node.func.id == "len" and len(node.args) != 1:
            raise self.fail("len() nhận đúng một đối số")
        if node.func.id == "sum" and not node.args:
            raise self.fail("sum() cần ít nhất một đối số")
        for arg in node.args:
            self.check(arg)


_NA = None  # "not applicable": the result of anything computed from a missing answer


class _Evaluator:
    """Evaluates a validated AST with three-valued (Kleene) logic over ``None``."""

    def __init__(self, values: Mapping[str, Any], strict: bool) -> None:
        self.values = values
        self.strict = strict

    def type_error(self, what: str) -> None:
        if self.strict:
            raise ExpressionError(what)

    def eval(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.values.get(node.id)
        if isinstance(node, ast.Attribute):
            assert isinstance(node.value, ast.Name)
            whole = self.values.get(node.value.id)
            if whole is None:
                return _NA
            if isinstance(whole, Mapping):
                return whole.get(node.attr)
            self.type_error(f"'{node.value.id}' không có phần '{node.attr}'")
            return _NA
        if isinstance(node, ast.BinOp):
            return self._arithmetic(node)
        if isinstance(node, ast.UnaryOp):
            operand = self.eval(node.operand)
            if isinstance(node.op, ast.Not):
                return _NA if operand is None else not operand
            if operand is None:
                return _NA
            if not _is_number(operand):
                self.type_error("dấu +/- chỉ dùng với số")
                return _NA
            return -operand if isinstance(node.op, ast.USub) else +operand
        if isinstance(node, ast.BoolOp):
            return self._boolean(node)
        if isinstance(node, ast.Compare):
            return self._comparison(node)
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            args = [self.eval(arg) for arg in node.args]
            return self._sum(args) if node.func.id == "sum" else self._len(args[0])
        if isinstance(node, ast.List | ast.Tuple):
            return [self.eval(element) for element in node.elts]
        raise ExpressionError(f"không đánh giá được {type(node).__name__}")  # unreachable after validation

    def _arithmetic(self, node: ast.BinOp) -> Any:
        left, right = self.eval(node.left), self.eval(node.right)
        if left is None or right is None:
            return _NA
        if not (_is_number(left) and _is_number(right)):
            self.type_error("phép tính + - * / chỉ dùng với số")
            return _NA
        if isinstance(node.op, ast.Div) and right == 0:
            return _NA
        return _ARITHMETIC[type(node.op)](left, right)

    def _boolean(self, node: ast.BoolOp) -> Any:
        is_and = isinstance(node.op, ast.And)
        unknown = False
        for value_node in node.values:
            value = self.eval(value_node)
            if value is None:
                unknown = True
            elif bool(value) is not is_and:  # False decides an `and`, True decides an `or`
                return not is_and
        return _NA if unknown else is_and

    def _comparison(self, node: ast.Compare) -> Any:
        left = self.eval(node.left)
        unknown = False
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.eval(right_node)
            result = self._compare(op, left, right)
            if result is None:
                unknown = True
            elif not result:
                return False
            left = right
        return _NA if unknown else True

    def _compare(self, op: ast.cmpop, left: Any, right: Any) -> bool | None:
        if isinstance(op, ast.In | ast.NotIn):
            if left is None or right is None:
                return _NA
            if not isinstance(right, list | tuple):
                self.type_error("vế phải của 'in' phải là danh sách hoặc câu trả lời nhiều lựa chọn")
                return _NA
            return (left in right) is isinstance(op, ast.In)
        if left is None or right is None:
            return _NA
        if isinstance(left, date) or isinstance(right, date):
            return self._compare_dates(op, left, right)
        if isinstance(op, ast.Eq | ast.NotEq):
            if _is_number(left) != _is_number(right) or isinstance(left, Mapping | list):
                self.type_error("so sánh bằng giữa hai kiểu giá trị khác nhau")
            return (left == right) is isinstance(op, ast.Eq)
        comparable = (_is_number(left) and _is_number(right)) or (
            isinstance(left, str) and isinstance(right, str)
        )
        if not comparable:
            self.type_error("so sánh lớn/nhỏ chỉ dùng với hai số (hoặc hai ngày)")
            return _NA
        return _ORDERING[type(op)](left, right)

    def _compare_dates(self, op: ast.cmpop, left: Any, right: Any) -> bool | None:
        """A date of the period against a date answer ("YYYY-MM-DD"), a date text or a date."""
        left_day, right_day = _as_date(left), _as_date(right)
        if left_day is None or right_day is None:
            self.type_error(MSG_NOT_A_DATE)
            return _NA
        if isinstance(op, ast.Eq | ast.NotEq):
            return (left_day == right_day) is isinstance(op, ast.Eq)
        return _ORDERING[type(op)](left_day, right_day)

    def _sum(self, args: list[Any]) -> Any:
        items: list[Any] = []
        for arg in args:
            if isinstance(arg, Mapping):
                items.extend(arg.values())
            elif isinstance(arg, list | tuple):
                items.extend(arg)
            else:
                items.append(arg)
        numbers = [item for item in items if item is not None]
        if not numbers:
            return _NA
        if not all(_is_number(item) for item in numbers):
            self.type_error("sum() chỉ cộng các số")
            return _NA
        return sum(numbers)

    def _len(self, value: Any) -> Any:
        if value is None:
            return _NA
        if isinstance(value, str | list | tuple):
            return len(value)
        self.type_error("len() dùng cho văn bản hoặc danh sách lựa chọn")
        return _NA


def _as_date(value: Any) -> date | None:
    """The day a value stands for: a date, or an ISO "YYYY-MM-DD" text (a date answer)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
