"""Function answers: a test that calls a learner's function runs in the clean room, the function in the learner's kernel.

Plan time: a test that merely calls a learner's function is not a problem any more (the
function route). A test that deletes or rebinds a learner's name, uses a learner's class,
inspects code or namespaces, or draws plots cannot run in the clean room as written;
``grader.engine.plan`` names each such cell and why. A cell the course declares to run in
the learner's kernel is not a problem, runs there in full (hidden part included, never a
snapshot), and its bindings come from the learner like any answer.

Grading time: a small function assignment (an NPS function; visible, hidden and
exception tests; a helper from the setup cell) is built here and graded by the engine
in its sandbox against hostile function answers: one that patches the test's helper when
called, ones that return objects that lie, one that never returns, and one that records
the arguments it is called with. The end-to-end proof on nbgrader's own example course is
``tests/test_nbgrader_example_course.py``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grader import notebooks
from grader.course import Course
from grader.engine import snapshot, values
from grader.engine.cohort import grade_cohort
from grader.engine.preflight import stamp_release
from grader.engine.sandbox import Limits

from grader.engine.execute import KERNEL_TEST, SNAPSHOT, VISIBLE_TEST, build_steps
from grader.engine.plan import build_plan, clean_room_problem

ANSWER = "def squares(n):\n    return [i ** 2 for i in range(1, n + 1)]"
VALUE_ANSWER = "total = 385"
CLASS_ANSWER = "class Journey:\n    def __init__(self, steps):\n        self.steps = steps"


def cell(source: str, grade_id: str, *, solution: bool = False, grade: bool = False) -> dict:
    meta = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": not solution, "points": 1}
    return new_code_cell(source, metadata={"nbgrader": meta})


def notebook(*tests: str) -> dict:
    cells = [cell("import math", "setup"), cell(ANSWER, "squares", solution=True),
             cell(VALUE_ANSWER, "total", solution=True), cell(CLASS_ANSWER, "journey", solution=True)]
    cells += [cell(source, f"test_{number}", grade=True) for number, source in enumerate(tests)]
    return new_notebook(cells=cells)


@pytest.mark.parametrize(("source", "why"), [
    ("orig = total\ndel total\ntotal = orig", "deletes the learner's total"),
    ("squares = lambda n: []\nassert total == 385", "rebinds the learner's function squares"),
    ("for squares in [len]:\n    pass", "rebinds the learner's function squares"),
    ("assert Journey(1).steps == 1", "uses Journey, which the answer cells define as classes"),
    ("import inspect\nassert 'sum' in inspect.getsource(total)", "inspects code or namespaces"),
    ("assert 'total' in globals()", "inspects code or namespaces"),
    ("assert total.__code__", "inspects code or namespaces"),
    ("import matplotlib.pyplot as plt\nassert plt.gcf().axes", "draws or reads plots"),
])
def test_a_test_the_clean_room_cannot_run_is_named_with_why(source, why):
    plan = build_plan("a", "nb", notebook(source), {}, {})
    assert [(cell_id, why in reason) for cell_id, reason in plan.problems] == [("test_0", True)]


@pytest.mark.parametrize("source", [
    "assert total == 385",
    "assert math.isclose(total, 385)",
    "squared = [n ** 2 for n in range(3)]\nassert squared[total % 3] >= 0",
    "total = round(total)\nassert total == 385",
    "assert squares(2) == [1, 4]",
    "f = squares\nassert f(1) == [1]",
    "assert sorted(map(squares, [1, 2])) == [[1], [1, 4]]",
])
def test_a_test_of_values_is_not_a_problem(source):
    assert build_plan("a", "nb", notebook(source), {}, {}).problems == ()


def test_only_the_learners_names_count():
    """A test's own function, or a setup name, is the clean room's: not a learner function."""
    assert clean_room_problem("def helper(x):\n    return x\nassert helper(total)", ("total",), {"squares"}) is None
    assert clean_room_problem("del math", (), {"squares"}) is None


def test_a_declared_cell_runs_in_full_in_the_learner_kernel_and_binds_there():
    source = notebook("orig = squares\n### BEGIN HIDDEN TESTS\nassert squares(3) == [1, 4, 9]\n"
                      "### END HIDDEN TESTS", "assert orig is not None and total == 385")
    plan = build_plan("a", "nb", source, {}, {}, learner_kernel=frozenset({"test_0"}))
    declared, later = plan.cells[-2:]
    assert plan.problems == ()
    assert declared.in_learner_kernel and [c.id for c in plan.clean_cells] == [c.id for c in plan.cells
                                                                                if c.id != "test_0"]
    assert "orig" in later.needs, "a name a declared cell binds lives in the learner's kernel"
    steps = [(step.kind, step.label, step.cell.source) for step in build_steps(source, plan)
             if step.trusted is not None and step.trusted.test]
    assert (KERNEL_TEST, "test_0", declared.source) in steps and "HIDDEN" in declared.source
    assert not any(kind in (SNAPSHOT, VISIBLE_TEST) and label == "test_0" for kind, label, _ in steps)
    assert (VISIBLE_TEST, "test_1", later.visible_source) in steps


def test_a_learner_function_crosses_as_a_reference_and_comes_back_as_a_proxy():
    def squares(n):
        return [i ** 2 for i in range(1, n + 1)]

    snapshot._registry[0] = registry = []
    node = snapshot.encode([squares, squares, lambda: 1], [100])
    assert [item["ref"] for item in node["v"]] == [0, 0, 1] and registry[0] is squares
    proxies = values.decode(node)
    assert [(type(proxy), proxy.__name__) for proxy in proxies] == [(values.LearnerFunction, "squares")] * 2 + [
        (values.LearnerFunction, "<lambda>")]
    with pytest.raises(snapshot.Refused, match="builtin_function_or_method"):
        snapshot.encode(len, [100])


@pytest.mark.parametrize(("reply", "raised", "message"), [
    ({"raised": "ValueError", "builtin": True, "message": "n must be positive"}, ValueError, "n must be positive"),
    ({"raised": "ValueError", "builtin": False, "message": "mine"}, values.LearnerError, "ValueError: mine"),
    ({"raised": "SystemExit", "builtin": True, "message": "0"}, values.LearnerError, "SystemExit: 0"),
    ({"refused": "returned a value that is a __main__.Liar"}, values.AnswerNotCheckable, "is a __main__.Liar"),
    ({"value": {"$": "eval", "v": "1"}}, values.AnswerNotCheckable, "could not be rebuilt"),
    ({"error": "did not return within the 4 s per-cell time limit"}, values.CallNotCompleted, "did not return"),
])
def test_a_call_gives_the_test_a_builtin_exception_from_the_allow_list_or_a_grader_error(reply, raised, message):
    """Only allow-listed built-ins come back as themselves; the grader's own errors escape ``except Exception``."""
    with pytest.raises(raised, match=message):
        values.call_result("squares", reply)
    assert issubclass(raised, Exception) == (raised in (ValueError, values.LearnerError))


def test_a_call_returns_the_decoded_value_and_its_arguments_travel_with_function_references():
    assert values.call_result("squares", {"value": {"$": "list", "v": [1, 4]}}) == [1, 4]
    payload = values.call_payload(([1, 2], values.LearnerFunction("squares", 3)), {"n": 2})
    (numbers, function), kwargs = snapshot._arguments(payload, registry=["a", "b", "c", len])
    assert (numbers, function, kwargs) == ([1, 2], len, {"n": 2})
    with pytest.raises(values.CallNotCompleted, match="cannot be sent"):
        values.call_payload((lambda: 1,), {})


# --- hostile function answers, graded in the sandbox ---------------------------------------------------------

ASSIGNMENT = "functions"
SETUP = "def check(value, expected):\n    assert value == expected, f'{value!r} is not {expected!r}'"
NPS = ("def nps(scores):\n    ### BEGIN SOLUTION\n    promoters = sum(1 for s in scores if s >= 9)\n"
       "    detractors = sum(1 for s in scores if s <= 6)\n"
       "    return round(100 * (promoters - detractors) / len(scores), 1)\n    ### END SOLUTION")
HIDDEN_INPUT = [0, 10, 10, 5, 9]
TESTS = {
    "test_nps": "check(nps([10, 9, 3, 7]), 25.0)",
    "test_nps_hidden": f"### BEGIN HIDDEN TESTS\ncheck(nps({HIDDEN_INPUT}), 20.0)\n### END HIDDEN TESTS",
    "test_nps_empty": "try:\n    nps([])\nexcept ZeroDivisionError:\n    pass\n"
                      "else:\n    raise AssertionError('an empty list has no NPS')",
}
CORRECT = NPS.replace("    ### BEGIN SOLUTION\n", "").replace("    ### END SOLUTION", "").rstrip()
#: learner → their answer cell. Each attack is on the function route: the test calls the learner's function.
ANSWERS = {
    "solution": CORRECT,
    "patches-helper": "def nps(scores):\n    import sys\n"
                      "    sys.modules['__main__'].check = lambda *args: None\n    return 0",
    "lying-float": "class Score(float):\n    def __eq__(self, other):\n        return True\n"
                   "    __hash__ = float.__hash__\n\ndef nps(scores):\n    return Score(0)",
    "lying-object": "class Anything:\n    def __eq__(self, other):\n        return True\n\n"
                    "def nps(scores):\n    return Anything()",
    "lying-list": "class Scores(list):\n    def __eq__(self, other):\n        return True\n\n"
                  "def nps(scores):\n    return Scores()",
    "never-returns": "def nps(scores):\n    while True:\n        pass",
    "records-arguments": "seen = []\n\n" + CORRECT.replace("def nps(scores):\n",
                                                              "def nps(scores):\n    seen.append(list(scores))\n"
                                                              "    print('called with', scores)\n"),
}
FUNCTION_LIMITS = Limits(wall_seconds=120, memory_bytes=2 << 30)
PER_CALL_SECONDS = 4


def function_assignment(folder: Path) -> Path:
    """The source of a one-question function assignment, as an instructor writes it."""
    def meta(grade_id: str, **flags) -> dict:
        return {"nbgrader": {"grade_id": grade_id, "schema_version": 3, "task": False, "grade": False,
                             "solution": False, "locked": True, **flags}}

    cells = [new_code_cell(SETUP, metadata=meta("setup")),
             new_code_cell(NPS, metadata=meta("nps_answer", solution=True, locked=False))]
    cells += [new_code_cell(source, metadata=meta(grade_id, grade=True, points=1))
              for grade_id, source in TESTS.items()]
    path = folder / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                      "language": "python"}}), str(path))
    return folder


@pytest.fixture(scope="module")
def function_cohort(tmp_path_factory) -> tuple[Course, dict]:
    root = tmp_path_factory.mktemp("functions")
    course = Course.create(root / "course", function_assignment(root / "sources"), [ASSIGNMENT])
    with (course.root / "nbgrader_config.py").open("a", encoding="utf-8") as config:
        config.write(f"\nc.Execute.timeout = {PER_CALL_SECONDS}\n")
    course = Course(course.root)
    course.release(ASSIGNMENT)
    stamp_release(course, ASSIGNMENT)
    released = notebooks.read(course.step_dir(course.coursedir.release_directory, ASSIGNMENT) / f"{ASSIGNMENT}.ipynb")
    for learner, answer in ANSWERS.items():
        path = root / "inbox" / learner / f"{ASSIGNMENT}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(notebooks.fill_answers(released, {"nps_answer": answer}), str(path))
        course.submit(ASSIGNMENT, learner, path)
    outcomes = grade_cohort(course, ASSIGNMENT, workers=2, limits=FUNCTION_LIMITS, progress=False)
    return course, {outcome.learner: outcome for outcome in outcomes}


def graded_test_outputs(course: Course, learner: str) -> dict[str, list]:
    """Each test cell's outputs in the learner's graded notebook."""
    path = course.step_dir(course.coursedir.autograded_directory, ASSIGNMENT, learner) / f"{ASSIGNMENT}.ipynb"
    return {cell.metadata.nbgrader.grade_id: cell.outputs for cell in notebooks.read(path).cells
            if cell.metadata.get("nbgrader", {}).get("grade")}


def errors(course: Course, learner: str) -> dict[str, str]:
    return {cell: f"{out.ename}: {out.evalue}" for cell, outputs in graded_test_outputs(course, learner).items()
            for out in outputs if out.output_type == "error"}


def scores(course: Course) -> dict[str, float]:
    table = course.scores(ASSIGNMENT)
    return table.groupby("learner")["score"].sum().to_dict()


@pytest.mark.nbgrader
def test_the_function_route_needs_no_declaration_and_a_correct_function_is_never_flagged(function_cohort):
    course, outcomes = function_cohort
    for learner in ("solution", "records-arguments"):
        assert outcomes[learner].ok and not outcomes[learner].flagged, outcomes[learner].readable()
        assert scores(course)[learner] == len(TESTS)
        assert outcomes[learner].calls[f"{ASSIGNMENT}: nps"]["count"] == len(TESTS)


@pytest.mark.nbgrader
def test_a_function_that_patches_the_tests_helper_changes_only_its_own_kernel(function_cohort):
    course, outcomes = function_cohort
    outcome = outcomes["patches-helper"]
    assert outcome.ok and scores(course)["patches-helper"] == 0
    assert outcome.flagged and any("test_nps passed in the learner's own kernel" in flag for flag in outcome.flags)
    assert "AssertionError: 0 is not 25.0" == errors(course, "patches-helper")["test_nps"]


@pytest.mark.parametrize("learner", ["lying-float", "lying-object", "lying-list"])
@pytest.mark.nbgrader
def test_a_function_that_returns_a_lying_object_is_refused_not_a_crash(function_cohort, learner):
    course, outcomes = function_cohort
    assert outcomes[learner].ok and scores(course)[learner] == 0
    found = errors(course, learner)
    assert set(found) == set(TESTS)
    assert all(error.startswith("AnswerNotCheckable: nps(...) returned a value that is a ") for error in found.values())


@pytest.mark.nbgrader
def test_a_function_that_never_returns_is_stopped_per_call_and_grading_finishes(function_cohort):
    course, outcomes = function_cohort
    outcome = outcomes["never-returns"]
    assert outcome.ok and scores(course)["never-returns"] == 0
    stopped = f"nps(...) did not return within the {PER_CALL_SECONDS} s per-cell time limit and was stopped"
    assert errors(course, "never-returns") == {cell: f"CallNotCompleted: {stopped}" for cell in TESTS}
    assert any("nps(...) called by test_nps did not finish" in event for event in outcome.events)


@pytest.mark.nbgrader
def test_a_function_that_records_its_arguments_learns_the_hidden_inputs_and_nothing_else(function_cohort):
    """What the README warns hidden-test authors about: the arguments of the calls a test makes reach the learner."""
    course, _ = function_cohort
    outputs = graded_test_outputs(course, "records-arguments")["test_nps_hidden"]
    printed = "".join(out.get("text", "") for out in outputs)
    assert f"called with {HIDDEN_INPUT}" in printed
    assert "20.0" not in printed, "the expected value stays in the clean room"
