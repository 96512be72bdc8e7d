"""Prove an assignment's tests through real ``nbgrader autograde``.

An assignment is only trustworthy when its tests can fail for the right reasons. For
one assignment this module grades, on a throwaway course directory:

- the source solution — it must earn every autograded point;
- the released notebook untouched — it must earn none, and grading must finish;
- every typical wrong answer declared in ``assignments/wrong_answers/<assignment>.toml``
  — each must lose exactly the points it declares, cell by cell, and no others;
- the generic adversarial answers nobody writes (``grader.adversary``): empty containers,
  the right shape full of zeros, the right values under the wrong labels, one column or
  element changed — each must lose its question's value points.

The first three are graded one by one with plain nbgrader, the reference the engine is
compared with; the adversarial cohort, several times larger, through the grading engine.
Adding an assignment means writing its wrong answers; nothing here changes.
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pandas as pd

from grader import notebooks
from grader.adversary import Attack, attack
from grader.course import Course
from grader.engine.plan import runnable_plans

SOLUTION, BLANK = "solution", "blank"


@dataclass(frozen=True)
class WrongAnswer:
    """A mistake learners really make, written as the code they would write."""

    name: str
    why: str
    cell: str
    code: str
    loses: dict[str, float]

    @property
    def learner(self) -> str:
        return f"wrong-{self.name}".replace("_", "-")


@dataclass
class Proof:
    """What grading showed, and every way it fell short of what was promised."""

    assignment: str
    autograded_points: float
    wrong_answers: list[WrongAnswer]
    scores: pd.DataFrame
    problems: list[str] = field(default_factory=list)
    caught: int = 0
    attack: Attack = field(default_factory=Attack)
    typical_seconds: float = 0.0

    @property
    def proven(self) -> bool:
        return not self.problems and not self.attack.problems

    def summary(self) -> str:
        questions = self.scores.loc[self.scores["kind"] == "autograded", "cell"].nunique()
        problems = len(self.problems) + len(self.attack.problems)
        return (
            f"{self.assignment}: {questions} autograded test cells worth {self.autograded_points:g} points; "
            f"{self.caught}/{len(self.wrong_answers)} wrong answers lose exactly their points; "
            f"{self.attack.summary()}; " + ("proven" if self.proven else f"{problems} problem(s)")
        )

    def timing(self) -> str:
        """How long each part took: the adversarial answers' share of a proof is worth watching."""
        return (f"proof took {self.typical_seconds + self.attack.seconds:.0f} s: solution, blank and typical wrong "
                f"answers {self.typical_seconds:.0f} s (plain nbgrader, one by one), generic adversarial answers "
                f"{self.attack.seconds:.0f} s (engine)")


def wrong_answers_file(source_dir: Path, assignment: str) -> Path:
    """Where an assignment's wrong answers are declared (beside ``source/``)."""
    return source_dir.parent / "wrong_answers" / f"{assignment}.toml"


def load_wrong_answers(path: Path) -> list[WrongAnswer]:
    """Read the ``[[wrong]]`` tables of a wrong-answers file."""
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("wrong", [])
    return [WrongAnswer(**{**entry, "code": entry["code"].strip()}) for entry in entries]


def _learner_notebooks(course: Course, assignment: str, wrong: list[WrongAnswer]) -> Iterator[tuple[str, nbformat.NotebookNode]]:
    source = notebooks.read(course.root / "source" / assignment / f"{assignment}.ipynb")
    released = notebooks.read(course.release(assignment) / f"{assignment}.ipynb")
    runnable_plans(course, assignment)  # a test the engine cannot run is refused before anything is graded
    solution = notebooks.solutions(source)
    yield SOLUTION, notebooks.fill_answers(released, solution)
    yield BLANK, released
    for answer in wrong:
        yield answer.learner, notebooks.fill_answers(released, {**solution, answer.cell: answer.code})


def _check(proof: Proof, learner: str, lost_expected: dict[str, float], label: str) -> bool:
    """Record every test cell whose loss differs from the promise; True when there is none."""
    before = len(proof.problems)
    mine = proof.scores[(proof.scores["learner"] == learner) & (proof.scores["kind"] == "autograded")]
    if mine.empty:
        proof.problems.append(f"{label}: no autograded scores recorded")
        return False
    lost = (mine["max_score"] - mine["score"]).set_axis(mine["cell"])
    for cell, points in lost.items():
        want = lost_expected.get(cell, 0.0)
        if abs(points - want) > 1e-9:
            proof.problems.append(f"{label}: test cell {cell} lost {points:g} points, expected {want:g}")
    for cell in set(lost_expected) - set(lost.index):
        proof.problems.append(f"{label}: declares a loss in {cell}, which is not an autograded test cell")
    return len(proof.problems) == before


def prove(assignment: str, source_dir: Path, workdir: Path, workers: int = 2) -> Proof:
    """Grade solution, blank, wrong and adversarial answers of one assignment in ``workdir`` and compare."""
    started = time.perf_counter()
    wrong = load_wrong_answers(wrong_answers_file(source_dir, assignment))
    course = Course.create(workdir, source_dir, [assignment])
    for learner, notebook in _learner_notebooks(course, assignment, wrong):
        path = workdir / "inbox" / learner / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, str(path))
        course.submit(assignment, learner, path)
        course.autograde(assignment, learner)
    scores = course.scores(assignment)
    auto = scores[(scores["kind"] == "autograded") & (scores["learner"] == SOLUTION)]
    proof = Proof(assignment, float(auto["max_score"].sum()), wrong, scores)
    full = dict(zip(auto["cell"], auto["max_score"]))
    _check(proof, SOLUTION, {}, "solution")
    _check(proof, BLANK, full, "released (blank) notebook")
    proof.caught = sum(
        _check(proof, answer.learner, answer.loses, f"wrong answer {answer.name!r}") for answer in wrong
    )
    proof.typical_seconds = time.perf_counter() - started
    proof.attack = attack(course, assignment, workers=workers)
    return proof
