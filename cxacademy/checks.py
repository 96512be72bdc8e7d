"""Checks that teach: one engine for lesson self-checks and nbgrader test cells.

A check compares a learner's answer with the value computed from the data. When the
answer is wrong, it looks for the *typical* mistake that would produce exactly that
answer ("you counted passives as promoters") and says so; otherwise it gives the hint.
Expected values of hidden tests are never printed.

- In lessons: ``check(...)`` prints ✅ or ❌ with the reason and returns True/False.
- In nbgrader test cells: ``expect(...)`` and friends raise ``CheckFailed``
  (``cxacademy.errors``: an ``AssertionError``, so nbgrader scores the cell as failed) whose
  traceback is just the sentence: the notebook, Validate and the feedback read like a
  tutor, not a stack trace into this package.

An empty answer never passes a comparison: a question always asks for something the data
has, so an empty Series or a DataFrame without rows is "not yet", even when a carelessly
written expectation happens to be empty too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Number
from typing import Any

import numpy as np
import pandas as pd

from cxacademy.errors import CheckFailed
from cxacademy.text import t


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer, the value it produces on this data, and what to tell its author."""

    value: Any
    message: str


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check: whether it passed and the sentence that explains why.

    It is truthy when the check passed, and shows nothing as a cell's last value: the
    message has already been printed, and a stray ``False`` under it only confuses.
    """

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def _ipython_display_(self) -> None:
        """Display nothing in Jupyter."""


def _is_number(value: Any) -> bool:
    return isinstance(value, (Number, np.number)) and not isinstance(value, (bool, np.bool_))


def _close(answer: Any, expected: Any, tolerance: float) -> bool:
    """Equal within ``tolerance`` for numbers and numeric containers; exact otherwise."""
    try:
        if _is_number(expected):
            return _is_number(answer) and math.isclose(float(answer), float(expected), abs_tol=tolerance)
        if isinstance(expected, pd.Series):
            return _series_close(answer, expected, tolerance)
        if isinstance(expected, pd.DataFrame):
            return _frame_close(answer, expected, tolerance)
        if isinstance(expected, (list, tuple)):
            return (
                isinstance(answer, (list, tuple, pd.Index, np.ndarray))
                and len(answer) == len(expected)
                and all(_close(a, e, tolerance) for a, e in zip(list(answer), expected))
            )
        return bool(answer == expected)
    except (TypeError, ValueError):
        return False


def _series_close(answer: Any, expected: pd.Series, tolerance: float) -> bool:
    if not isinstance(answer, pd.Series) or set(answer.index) != set(expected.index):
        return False
    aligned = answer.reindex(expected.index)
    if pd.api.types.is_numeric_dtype(expected):
        return bool(np.allclose(aligned.astype(float), expected.astype(float), atol=tolerance, equal_nan=True))
    return bool((aligned.astype(str) == expected.astype(str)).all())


def _frame_close(answer: Any, expected: pd.DataFrame, tolerance: float) -> bool:
    if not isinstance(answer, pd.DataFrame) or set(answer.columns) != set(expected.columns):
        return False
    return all(_series_close(answer[c], expected[c], tolerance) for c in expected.columns)


def _describe(value: Any) -> str:
    """A learner-readable kind: a number, a tuple, a pandas Series … (never a class name like Interval)."""
    if _is_number(value):
        return t("check.kind.number")
    for kind, label in ((pd.Series, "series"), (pd.DataFrame, "dataframe"), (tuple, "tuple"),
                        (list, "list"), (str, "text"), (bool, "boolean")):
        if isinstance(value, kind):
            return t(f"check.kind.{label}")
    return t("check.kind.other", name=type(value).__name__)


def _unanswered(answer: Any) -> bool:
    return answer is None or answer is Ellipsis


def _size(value: Any) -> int | None:
    """How many rows or items a container holds; None for a single value (a number, text)."""
    if isinstance(value, (pd.Series, pd.DataFrame, pd.Index, list, tuple, dict, set, frozenset)):
        return len(value)
    if isinstance(value, np.ndarray):
        return int(value.size)
    return None


def _rounded(value: Any, decimals: int) -> Any:
    """``value`` with its numbers rounded to ``decimals`` places (containers element by element)."""
    if _is_number(value):
        return round(float(value), decimals)
    if isinstance(value, pd.Series) and pd.api.types.is_numeric_dtype(value):
        return value.round(decimals)
    if isinstance(value, pd.DataFrame):
        return value.apply(lambda column: _rounded(column, decimals))
    if isinstance(value, (list, tuple)):
        return [_rounded(item, decimals) for item in value]
    return value


def _rounded_too_coarsely(answer: Any, expected: Any, tolerance: float) -> bool:
    """The answer is the right value rounded to fewer decimals than the check's tolerance allows.

    Why a separate verdict: "does not match" would send a learner who computed the right
    thing hunting for a wrong method, when all they did was round to a whole percent.
    """
    for decimals in range(4):
        step = 0.5 * 10 ** -decimals
        if step <= tolerance:
            return False
        if _close(answer, _rounded(answer, decimals), 1e-9) and _close(answer, expected, step + 1e-9):
            return True
    return False


def judge(
    name: str,
    answer: Any,
    expected: Any,
    *,
    tolerance: float = 1e-6,
    mistakes: Sequence[Mistake] = (),
    hint: str = "",
) -> Verdict:
    """Compare ``answer`` with ``expected`` and explain the result in the learner's terms."""
    if _unanswered(answer):
        return Verdict(False, t("check.not_answered", name=name))
    if _size(answer) == 0:
        return Verdict(False, t("check.empty", name=name, kind=_describe(answer)))
    if _close(answer, expected, tolerance):
        return Verdict(True, t("check.correct", name=name))
    for mistake in mistakes:
        if _close(answer, mistake.value, tolerance):
            return Verdict(False, t("check.known_mistake", name=name, message=mistake.message))
    if _rounded_too_coarsely(answer, expected, tolerance):
        return Verdict(False, t("check.rounded", name=name, tolerance=tolerance))
    if _describe(answer) != _describe(expected):
        return Verdict(
            False,
            t("check.wrong_kind", name=name, expected=_describe(expected), actual=_describe(answer)),
        )
    return Verdict(False, t("check.wrong_value", name=name, hint=hint or t("check.default_hint")))


def check(name: str, answer: Any, expected: Any, **options: Any) -> Verdict:
    """Lesson self-check: print ✅/❌ with the reason; the verdict is truthy when the answer is right."""
    verdict = judge(name, answer, expected, **options)
    print(verdict.message)
    return verdict


def expect(name: str, answer: Any, expected: Any, **options: Any) -> None:
    """nbgrader test: pass silently or fail with the teaching message."""
    verdict = judge(name, answer, expected, **options)
    if not verdict.passed:
        raise CheckFailed(verdict.message)


def require(condition: Any, message: str) -> None:
    """nbgrader test: a plain condition with a sentence, shown without a traceback when it fails."""
    if not condition:
        raise CheckFailed(t("check.requirement", message=message))


def expect_type(name: str, answer: Any, kind: type | tuple[type, ...], hint: str = "") -> None:
    """nbgrader test: the answer must be of the promised type (``float`` accepts ints and NumPy numbers)."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    ok = isinstance(answer, kinds) or (float in kinds and _is_number(answer))
    if not ok:
        wanted = " or ".join(k.__name__ for k in kinds)
        raise CheckFailed(
            t("check.wrong_type", name=name, expected=wanted, actual=_describe(answer), hint=hint)
        )


def _not_a_number(values: pd.Series) -> str | None:
    """The locale key explaining why ``values`` are not numbers (text, booleans), or None.

    pandas reads "57.1" as 57.1 and True as 1, so a range alone would let a quoted number
    or a comparison's result pass for the quantity asked for.
    """
    if pd.api.types.is_bool_dtype(values):
        return "check.boolean_not_number"
    if pd.api.types.is_numeric_dtype(values):
        return None
    if any(isinstance(v, (bool, np.bool_)) for v in values):
        return "check.boolean_not_number"
    return "check.text_not_number" if any(isinstance(v, str) for v in values) else None


def expect_between(name: str, answer: Any, low: float, high: float, hint: str = "") -> None:
    """nbgrader test: a number (or every value of a Series) must lie in [low, high]; text and booleans fail."""
    values = answer if isinstance(answer, pd.Series) else pd.Series([answer])
    refusal = _not_a_number(values)
    if refusal:
        raise CheckFailed(t(refusal, name=name, hint=hint))
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.isna().any() or not numeric.between(low, high).all():
        raise CheckFailed(t("check.out_of_range", name=name, low=low, high=high, hint=hint))


def expect_index(name: str, answer: pd.Series | pd.DataFrame, labels: Sequence, hint: str = "") -> None:
    """nbgrader test: a Series or DataFrame must be indexed by exactly these labels, in this order."""
    if not isinstance(answer, (pd.Series, pd.DataFrame)):
        raise CheckFailed(t("check.wrong_type", name=name, expected=t("check.kind.series_or_dataframe"),
                            actual=_describe(answer), hint=hint))
    if list(answer.index) != list(labels):
        raise CheckFailed(t("check.wrong_index", name=name, expected=list(labels), hint=hint))
