"""The generic adversarial answers of ``cx-grader prove`` (grader/adversary.py) catch vacuous tests.

- Every generated variant is plain Python that runs on the answer alone, changes the
  value, keeps the rest of it (a column variant changes that column only), and keeps a
  namedtuple a namedtuple.
- Questions, their answers and value tests are read from the notebook; a question whose
  answer another question reads is graded alone; the others share notebooks.
- The rules: an answer changed in every part must lose every point of the value tests that
  read only it; a changed part (or a whole answer that keeps one part right) must lose at
  least one value point.
- End to end on the hostile fixture assignment (copied, with two planted defects: a vacuous
  hidden test and a stored column no test compares), through the grading engine: exactly
  the variants the defects let through are reported, and nothing else.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections import namedtuple
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell

from grader import adversary_probe, notebooks
from grader.adversary import Question, Variant, attack, batches, find_questions, judge, variants_for
from grader.course import Course
from tests_support import REPO

HOSTILE = REPO / "tests" / "fixtures" / "hostile" / "source" / "hostile"
Interval = namedtuple("Interval", ["estimate", "low", "high"])
ANSWERS = {
    "frame": pd.DataFrame({"count": [3, 5, 8], "name": ["a", "b", "c"]}, index=["x", "y", "z"]),
    "series": pd.Series([4.5, 3.0, 2.5], index=["cake", "tea", "milk"]),
    "tuple": (1.5, 2.5, "label"),
    "namedtuple": Interval(50.0, 40.0, 60.0),
    "list": ["a", "b"],
    "dict": {"a": 1.0, "b": "text", "c": True},
    "set": {"a", "b"},
    "number": 42,
    "bool": True,
    "text": "promoter",
}


def _apply(variant: Variant, value):
    scope = {variant.name: value}
    exec(variant.code, scope)
    return scope[variant.name]


def _variants(value) -> list[Variant]:
    made, skipped = variants_for("q1", "answer", json.loads(adversary_probe.describe(value)))
    assert not skipped, skipped
    return made


@pytest.mark.parametrize("kind", ANSWERS)
def test_every_variant_runs_on_the_answer_alone_and_changes_it(kind):
    value = ANSWERS[kind]
    for variant in _variants(value):
        changed = _apply(variant, copy.deepcopy(value))
        assert not adversary_probe.same(changed, value), variant.title
        assert adversary_probe.same(value, ANSWERS[kind]), f"{variant.title} changed the original in place"


def test_a_column_variant_changes_that_column_and_nothing_else():
    frame = ANSWERS["frame"]
    parts = [variant for variant in _variants(frame) if variant.label.startswith("column")]
    assert len(parts) == len(frame.columns)
    for variant, column in zip(parts, frame.columns):
        changed = _apply(variant, frame)
        differs = [c for c in frame.columns if not adversary_probe.same(changed[c], frame[c])]
        assert differs == [column], variant.title
        assert changed.index.equals(frame.index)


def test_tuple_variants_keep_a_namedtuple_and_change_one_element_each():
    value = ANSWERS["namedtuple"]
    for variant in _variants(value):
        changed = _apply(variant, value)
        if changed != ():
            assert type(changed) is Interval, variant.title
        if variant.label.startswith("element "):
            assert sum(a != b for a, b in zip(changed, value)) == 1, variant.title


def _verdicts(value) -> dict[str, str]:
    made = _variants(value)
    return json.loads(adversary_probe.compare("answer", {v.label: v.code for v in made}, {"answer": value}))


def test_a_variant_equal_to_the_correct_value_is_skipped():
    verdicts = _verdicts(pd.Series([0.0, 0.0], index=["a", "b"]))
    assert verdicts["right index, every value 0"] == "equals the correct value"
    assert verdicts["empty Series of the same dtype"] == adversary_probe.USABLE


def test_a_variant_equal_to_an_earlier_one_is_skipped():
    verdicts = _verdicts((1.0, 2.0))
    assert verdicts["elements in reverse order"] == adversary_probe.USABLE
    assert verdicts["elements rotated by one"] == "gives the same value as “elements in reverse order”"


def test_a_variant_that_cannot_be_built_is_skipped_with_the_reason():
    verdicts = json.loads(adversary_probe.compare("answer", {"first": "answer = answer[0]"}, {"answer": []}))
    assert verdicts["first"].startswith("could not be built on the solution's value (IndexError")


def test_same_compares_data_not_types_of_numbers():
    assert adversary_probe.same(0, 0.0) and adversary_probe.same(float("nan"), float("nan"))
    assert not adversary_probe.same(pd.Series([1, 2]), pd.Series([2, 1]))
    assert not adversary_probe.same(pd.Series([1, 2], index=["a", "b"]), pd.Series([1, 2], index=["b", "a"]))
    assert not adversary_probe.same((1, 2), [1, 2]) and not adversary_probe.same(True, 1)


def _hidden_test_ids(source) -> set[str]:
    return {notebooks.grade_id(cell) for cell in source.cells if "BEGIN HIDDEN TESTS" in cell.source}


def test_questions_come_from_the_notebook():
    source = notebooks.read(HOSTILE / "hostile.ipynb")
    questions = find_questions("hostile", source)
    answer_cells = [notebooks.grade_id(cell) for cell in source.cells if notebooks.is_autograded_answer(cell)]
    assert [cell for q in questions for cell in q.answers] == answer_cells
    assert {cell for q in questions for cell in q.value_cells} == _hidden_test_ids(source)
    assert {name for q in questions for names in q.answers.values() for name in names} == {"answer", "ranking"}
    assert not any(q.shared for q in questions)


def test_a_question_whose_answer_another_cell_reads_is_shared():
    source = notebooks.read(HOSTILE / "hostile.ipynb")
    q2 = next(cell for cell in source.cells if notebooks.grade_id(cell) == "q2_answer")
    q2.source = q2.source.replace("ascending=False)", "ascending=answer < 0)")
    shared = {q.id: q.shared for q in find_questions("hostile", source)}
    assert shared == {"q1": True, "q2": False}


def _question(id: str, shared: bool = False) -> Question:
    return Question(id, {f"{id}_answer": ("x", "y")}, {f"{id}_shape": 1.0, f"{id}_x": 2.0, f"{id}_both": 1.0},
                    (f"{id}_x", f"{id}_both"), True,
                    {f"{id}_shape": frozenset("xy"), f"{id}_x": frozenset("x"), f"{id}_both": frozenset("xy")}, shared)


def _variant(question: str, number: int, strict: bool = True, name: str = "x") -> Variant:
    return Variant(question, name, f"variant {number}", f"{name} = {number}", strict)


def test_batches_pack_independent_questions_and_isolate_shared_ones():
    questions = [_question("q1"), _question("q2"), _question("q3", shared=True)]
    variants = [_variant("q1", n) for n in range(3)] + [_variant("q2", n) for n in range(2)] + \
        [_variant("q3", n) for n in range(2)]
    planned = batches(variants, questions)
    assert sorted(v.title for batch in planned for v in batch) == sorted(v.title for v in variants)
    assert all(len({v.question for v in batch}) == len(batch) for batch in planned)
    assert [len(batch) for batch in planned if any(v.question == "q3" for v in batch)] == [1, 1]
    independent = [len([v for v in variants if v.question == q]) for q in ("q1", "q2")]
    assert len(planned) == max(independent) + 2


def test_an_answer_replaced_whole_must_lose_all_tests_reading_only_it():
    question = _question("q1")
    everything = {cell: points for cell, points in question.points.items()}
    assert judge(_variant("q1", 0), question, everything).problem is None
    kept_own = judge(_variant("q1", 0), question, {**everything, "q1_x": 1.0})
    assert "q1 · x: variant 0 kept 1 of q1_x" in kept_own.problem
    follow_through = judge(_variant("q1", 0, name="y"), question, {"q1_both": 1.0})
    assert follow_through.problem is None
    nothing = judge(_variant("q1", 0, name="y"), question, {"q1_shape": 1.0})
    assert "lost no value points" in nothing.problem


def test_a_changed_part_must_lose_some_value_point():
    question = _question("q1")
    assert judge(_variant("q1", 0, strict=False), question, {"q1_both": 1.0}).problem is None
    found = judge(_variant("q1", 0, strict=False), question, {"q1_shape": 1.0}).problem
    assert found and "lost no value points" in found


def test_only_variants_that_change_every_part_must_lose_every_value_point():
    value = ANSWERS["namedtuple"]
    for variant in _variants(value):
        changed = _apply(variant, value)
        assert variant.strict == all(a != b for a, b in zip(changed, value)), variant.title


VACUOUS_Q1 = '### BEGIN HIDDEN TESTS\nassert isinstance(answer, int), "`answer` is not 6 × 7."\n### END HIDDEN TESTS'
MENU_ANSWER = '### BEGIN SOLUTION\nmenu = pd.DataFrame({"price": prices, "item": prices.index.str.upper()})\n' \
              '### END SOLUTION'
MENU_TEST = '### BEGIN HIDDEN TESTS\nexpect("menu[\'price\']", menu["price"], prices)\n### END HIDDEN TESTS'


def _nbgrader_cell(grade_id: str, source: str, *, grade: bool, points: int = 0) -> nbformat.NotebookNode:
    meta = {"grade": grade, "grade_id": grade_id, "locked": grade, "schema_version": 3, "solution": not grade,
            "task": False} | ({"points": points} if grade else {})
    return new_code_cell(source, id=grade_id.replace("_", "-"), metadata={"nbgrader": meta})


def _planted_course(root: Path) -> Course:
    """The hostile fixture with a vacuous q1 value test and a q4 whose `item` column no test compares."""
    source = root / "source"
    shutil.copytree(HOSTILE, source / "hostile")
    path = source / "hostile" / "hostile.ipynb"
    notebook = notebooks.read(path)
    next(cell for cell in notebook.cells if notebooks.grade_id(cell) == "q1_value").source = VACUOUS_Q1
    notebook.cells += [_nbgrader_cell("q4_answer", MENU_ANSWER, grade=False),
                       _nbgrader_cell("q4_values", MENU_TEST, grade=True, points=2)]
    nbformat.write(notebook, str(path))
    course = Course.create(root / "course", source, ["hostile"])
    course.release("hostile")
    return course


@pytest.mark.nbgrader
def test_the_harness_reports_exactly_the_variants_a_vacuous_test_lets_through(tmp_path):
    found = attack(_planted_course(tmp_path), "hostile")
    assert not found.failures
    failing = {finding.variant.title for finding in found.findings if finding.problem}
    assert failing == {"q1 · answer: 0", "q4 · menu: column 'item' rotated among the rows"}
    caught = {finding.variant.question for finding in found.findings if not finding.problem}
    assert caught == {"q1", "q2", "q4"}
    assert all(finding.lost["q2_values"] == 2 for finding in found.findings if finding.variant.question == "q2")
    print("\n".join(finding.line() for finding in found.findings))
