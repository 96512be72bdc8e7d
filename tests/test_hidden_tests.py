"""Hidden tests judge an answer by the data alone, and never trust the helper the solution calls.

Two ways a hidden test can pass what it should fail:

- it builds its expectation from the learner's own answer (``reindex(answer.index)``,
  ``isin(answer.index)``), so an empty answer meets an empty expectation (issue 7);
- it computes its expectation with the course helper the solution calls, so a bug in that
  helper moves the expectation and the solution together (issue 14).

Each source notebook runs once here, cell by cell, in a plain namespace (no nbgrader, no
kernel: seconds, not minutes). Then every hidden test runs again with every answer
replaced by a different value, and must hand ``expect`` the very same expectations; and
every course helper a solution calls is replaced by a skewed copy, and some hidden test
of a question that calls it must then fail. Read without running, no hidden test may name
a course helper at all.
"""

from __future__ import annotations

import ast
import importlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

from grader import notebooks
from grader.engine.plan import bound_names
from tests_support import REPO, assignments

SOURCE = REPO / "assignments" / "source"
HIDDEN = "### BEGIN HIDDEN TESTS"
#: Course modules whose functions are helpers a learner may call (not the checks, not the loader).
HELPER_MODULES = ("cxacademy.metrics", "cxacademy.voc", "cxacademy.drivers", "cxacademy.retention",
                  "cxacademy.journey", "cxacademy.operations", "cxacademy.employees")


@dataclass(frozen=True)
class Question:
    """One autograded question: its answer cell and its test cells, in notebook order."""

    answer: str
    tests: list[tuple[str, str]]

    @property
    def hidden(self) -> list[tuple[str, str]]:
        return [(grade_id, source) for grade_id, source in self.tests if HIDDEN in source]


@dataclass(frozen=True)
class Notebook:
    """A source notebook's autograded questions and the course helpers its setup cell imports."""

    cells: list[tuple[str, str]]
    questions: dict[str, Question]
    helpers: set[str]


def _question_of(grade_id: str) -> str:
    return grade_id.split("_", 1)[0]


def _helpers(setup: str) -> set[str]:
    """Functions the setup cell imports from the course's helper modules (not constants like a codebook)."""
    return {alias.asname or alias.name
            for node in ast.walk(ast.parse(setup)) if isinstance(node, ast.ImportFrom) and node.module in HELPER_MODULES
            for alias in node.names if callable(getattr(importlib.import_module(node.module), alias.name))}


@cache
def read(assignment: str) -> Notebook:
    """The notebook's code cells in order, grouped into questions (read, not run)."""
    source = notebooks.read(SOURCE / assignment / f"{assignment}.ipynb")
    cells = [(notebooks.grade_id(cell), cell.source) for cell in source.cells if cell.cell_type == "code"]
    questions: dict[str, Question] = {}
    for cell in source.cells:
        if notebooks.is_autograded_answer(cell):
            questions[_question_of(notebooks.grade_id(cell))] = Question(cell.source, [])
        elif cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            questions[_question_of(notebooks.grade_id(cell))].tests.append((notebooks.grade_id(cell), cell.source))
    return Notebook(cells, questions, _helpers(dict(cells)["setup"]))


@cache
def run(assignment: str) -> dict[str, Any]:
    """The namespace after every code cell ran in order; a test that fails on the solution stops here."""
    namespace: dict[str, Any] = {}
    for grade_id, source in read(assignment).cells:
        exec(compile(source, grade_id, "exec"), namespace)
    return namespace


def _recording(calls: list[tuple]) -> Callable[..., None]:
    """An ``expect`` that records what each check would compare with, and never fails."""

    def expect(name: str, answer: Any, expected: Any, **options: Any) -> None:
        calls.append((name, expected, [mistake.value for mistake in options.get("mistakes", ())]))

    return expect


def _different(value: Any) -> Any:
    """Another answer of the same type: containers emptied, numbers moved, booleans flipped."""
    if isinstance(value, (bool, np.bool_)):
        return not value
    if isinstance(value, (int, float, np.number)):
        return value + 1
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)._make(_different(v) for v in value)
    if isinstance(value, (pd.Series, pd.DataFrame, pd.Index)):
        return value[:0] if isinstance(value, pd.Index) else value.iloc[:0]
    if isinstance(value, (tuple, list, set, str)):
        return type(value)()
    return value


def _expectations(namespace: dict[str, Any], question: Question, answers: Callable[[Any], Any]) -> list[tuple]:
    """What the question's hidden tests expect when its stored answers are mapped through ``answers``."""
    mine = dict(namespace)
    for name in bound_names(ast.parse(question.answer)):
        mine[name] = answers(namespace[name])
    calls: list[tuple] = []
    mine["expect"] = _recording(calls)
    for grade_id, source in question.hidden:
        exec(compile(source, grade_id, "exec"), mine)
    return calls


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (pd.Series, pd.DataFrame)):
        return type(a) is type(b) and a.equals(b)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return bool(a == b)


CASES = [(assignment, question) for assignment in assignments() for question in sorted(read(assignment).questions)]


@pytest.mark.parametrize(("assignment", "question"), CASES)
def test_hidden_expectations_come_from_the_data_not_the_answer(assignment, question):
    asked = read(assignment).questions[question]
    assert asked.hidden, f"{assignment} {question}: no hidden test compares the answer with the data"
    as_given = _expectations(run(assignment), asked, lambda value: value)
    changed = _expectations(run(assignment), asked, _different)
    assert as_given, f"{assignment} {question}: the hidden tests call `expect` nowhere"
    moved = [name for (name, *given), (_, *other) in zip(as_given, changed) if not _same(given, other)]
    assert len(as_given) == len(changed) and not moved, (
        f"{assignment} {question}: hidden tests expect something else when the answer changes: {moved} — "
        "compute what they expect from the data alone"
    )


def _skewed(value: Any) -> Any:
    """A helper's result with the kind of bug a formula has: every number 1 % off, every flag flipped."""
    if isinstance(value, (bool, np.bool_)):
        return not value
    if isinstance(value, (int, float, np.number)):
        return value * 1.01
    if isinstance(value, tuple):
        skewed = [_skewed(v) for v in value]
        return type(value)._make(skewed) if hasattr(value, "_fields") else tuple(skewed)
    if isinstance(value, pd.Series):
        if pd.api.types.is_bool_dtype(value):
            return ~value
        return value * 1.01 if pd.api.types.is_numeric_dtype(value) else value
    if isinstance(value, pd.DataFrame):
        return value.apply(_skewed)
    return value


def _with_bug(helper: Callable[..., Any]) -> Callable[..., Any]:
    return lambda *args, **kwargs: _skewed(helper(*args, **kwargs))


def _failing_hidden_tests(namespace: dict[str, Any], question: Question) -> list[str]:
    failed = []
    for grade_id, source in question.hidden:
        try:
            exec(compile(source, grade_id, "exec"), namespace)
        except AssertionError:
            failed.append(grade_id)
    return failed


def _calls(source: str, helper: str) -> bool:
    return re.search(rf"\b{re.escape(helper)}\b", source) is not None


HELPER_CASES = [(assignment, helper) for assignment in assignments() for helper in sorted(read(assignment).helpers)
                if any(_calls(q.answer, helper) for q in read(assignment).questions.values())]


@pytest.mark.parametrize(("assignment", "helper"), HELPER_CASES)
def test_a_bug_in_a_helper_the_solution_calls_fails_a_hidden_test(assignment, helper):
    caught = []
    for question in read(assignment).questions.values():
        if not _calls(question.answer, helper):
            continue
        namespace = {**run(assignment), helper: _with_bug(run(assignment)[helper])}
        exec(compile(question.answer, "answer", "exec"), namespace)
        caught += _failing_hidden_tests(namespace, question)
    assert caught, f"{assignment}: with a bug in `{helper}`, the solution still passes every hidden test"


@pytest.mark.parametrize("assignment", assignments())
def test_no_hidden_test_computes_its_expectation_with_a_course_helper(assignment):
    notebook = read(assignment)
    trusting = {}
    for question in notebook.questions.values():
        for grade_id, source in question.hidden:
            names = {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}
            if notebook.helpers & names:
                trusting[grade_id] = sorted(notebook.helpers & names)
    assert not trusting, (
        f"{assignment}: hidden tests that compute with the helper the solution uses, so a bug in it passes: {trusting}"
    )
