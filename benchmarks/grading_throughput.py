"""Grade one cohort of a real assignment with plain serial nbgrader and with the engine, in one run.

Builds a cohort of LEARNERS submissions of a course assignment (its solution, the released
notebook and every typical wrong answer, cycled), then prints:

- (a) the wall time of plain `nbgrader autograde ASSIGNMENT` (serial, its own command line),
- (b) the wall time of `grader.engine.grade_cohort` with the sandbox on and N workers,
- the ratio (a)/(b), and whether both gave every learner the same scores;
- per notebook: the engine's wall time per notebook (b)/LEARNERS and its mean time per learner
  inside a worker, against executing the same notebooks bare with `jupyter nbconvert --execute`.

Run: .venv/bin/python benchmarks/grading_throughput.py [--assignment m01_voice_of_customer]
     [--learners 40] [--workers N] [--bare 8]
Timings depend on the machine and on what else runs on it; nothing here asserts them.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grader import notebooks  # noqa: E402
from grader.course import Course  # noqa: E402
from grader.engine.cohort import grade_cohort, warm_dataset_cache  # noqa: E402
from grader.engine.preflight import stamp_release  # noqa: E402
from grader.prove import load_wrong_answers, wrong_answers_file  # noqa: E402

SOURCE = REPO / "assignments" / "source"
BIN = Path(sys.executable).parent


def cohort(assignment: str, released: nbformat.NotebookNode, size: int) -> dict[str, nbformat.NotebookNode]:
    """``size`` learner notebooks: solution, blank and every wrong answer, cycled."""
    solution = notebooks.solutions(notebooks.read(SOURCE / assignment / f"{assignment}.ipynb"))
    kinds = [notebooks.fill_answers(released, solution), released]
    kinds += [notebooks.fill_answers(released, {**solution, wrong.cell: wrong.code})
              for wrong in load_wrong_answers(wrong_answers_file(SOURCE, assignment))]
    return {f"learner{n:03d}": kind for n, kind in zip(range(1, size + 1), itertools.cycle(kinds))}


def prepared_course(root: Path, assignment: str, learners: dict[str, nbformat.NotebookNode]) -> Course:
    course = Course.create(root, SOURCE, [assignment])
    course.release(assignment)
    stamp_release(course, assignment)
    for learner, notebook in learners.items():
        path = root / "inbox" / learner / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(notebook, str(path))
        course.submit(assignment, learner, path)
    return course


def autograded_totals(course: Course, assignment: str) -> dict[str, float]:
    scores = course.scores(assignment)
    return scores[scores["kind"] == "autograded"].groupby("learner")["score"].sum().to_dict()


def plain_nbgrader(course: Course, assignment: str) -> float:
    started = time.perf_counter()
    subprocess.run([BIN / "nbgrader", "autograde", assignment, "--force"], cwd=course.root, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"})
    return time.perf_counter() - started


def bare_seconds(course: Course, assignment: str, learners: list[str], folder: Path) -> list[float]:
    """Each notebook executed as it was submitted, in a fresh kernel, by `jupyter nbconvert --execute`."""
    times = []
    for learner in learners:
        notebook = course.step_dir(course.coursedir.submitted_directory, assignment, learner) / f"{assignment}.ipynb"
        started = time.perf_counter()
        subprocess.run([BIN / "jupyter", "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
                        "--output-dir", folder, "--output", learner, notebook], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="m01_voice_of_customer")
    parser.add_argument("--learners", type=int, default=40)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--bare", type=int, default=8, help="notebooks to execute bare for the per-notebook comparison")
    options = parser.parse_args()
    warm_dataset_cache()
    with tempfile.TemporaryDirectory(prefix="cx-bench-") as temp:
        root = Path(temp)
        released = notebooks.read(Course.create(root / "release", SOURCE, [options.assignment])
                                  .release(options.assignment) / f"{options.assignment}.ipynb")
        learners = cohort(options.assignment, released, options.learners)
        serial = prepared_course(root / "serial", options.assignment, learners)
        engine = prepared_course(root / "engine", options.assignment, learners)
        print(f"{options.assignment}: {len(learners)} submissions, {os.cpu_count()} cores, "
              f"engine workers {options.workers}")

        serial_s = plain_nbgrader(serial, options.assignment)
        print(f"(a) plain nbgrader autograde, serial:   {serial_s:7.1f} s   ({serial_s / len(learners):.2f} s per notebook)")
        started = time.perf_counter()
        outcomes = grade_cohort(engine, options.assignment, workers=options.workers, progress=False)
        engine_s = time.perf_counter() - started
        print(f"(b) engine, sandbox on, {options.workers} workers:     {engine_s:7.1f} s   "
              f"({engine_s / len(learners):.2f} s per notebook)")
        print(f"    speed-up (a)/(b): {serial_s / engine_s:.2f}x")
        same = autograded_totals(serial, options.assignment) == autograded_totals(engine, options.assignment)
        print(f"    same autograded scores for every learner: {'yes' if same else 'NO'}; "
              f"graded {sum(o.ok for o in outcomes)}/{len(outcomes)}, flagged {sum(o.flagged for o in outcomes)}")

        sample = list(learners)[: options.bare]
        bare = statistics.mean(bare_seconds(engine, options.assignment, sample, root / "bare"))
        latency = statistics.mean(o.seconds for o in outcomes)
        print(f"bare `jupyter nbconvert --execute`, mean of {len(sample)}: {bare:5.2f} s per notebook")
        print(f"engine wall time per notebook (b)/{len(learners)}:   {engine_s / len(learners):5.2f} s  "
              f"= {engine_s / len(learners) / bare:.2f}x bare")
        print(f"engine time per learner inside a worker: {latency:5.2f} s  = {latency / bare:.2f}x bare "
              "(one notebook's latency, the other workers busy alongside)")


if __name__ == "__main__":
    main()
