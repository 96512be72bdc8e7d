"""cx-grader: one command per grading step for the course's nbgrader assignments.

release → accept (or collect, from a JupyterHub's exchange) → autograde → feedback →
export / report, each on the course directory (default: the repository's assignments/),
and demo to run them all on the shipped demo cohort.

Learner ids, file names and grading messages quote what learners handed in: every such
line or table cell is printed through ``grader.safe_text.one_line``, and saved logs through
``quoted_block``, so a submission cannot recolour, clear or forge the instructor's output.
"""

from __future__ import annotations

import functools
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from cxacademy.competencies import COMPETENCIES
from cxacademy.profile import Profile
from grader.competency_report import graded_assignments, learner_lines, run as profile_cohort
from grader.course import DEFAULT_COURSE_DIR, Course, GradingError, StepResult
from grader.demo_cohort import build_cohort
from grader.engine.cohort import engine_dir, grade_cohort
from grader.engine.plan import runnable_plans
from grader.engine.preflight import stamp_release
from grader.grades import (NEEDS_MANUAL, export_grades, learner_table, notebook_columns, save_autograde,
                           score_summary, up_to_date)
from grader.intake import Intake, accept as accept_inbox
from grader.item_analysis import CSV_NAME as ITEM_ANALYSIS_CSV, item_rows, save_item_analysis
from grader.prove import prove as prove_assignment, wrong_answers_file
from grader.report import write_report
from grader.safe_text import one_line, quoted_block

DEMO_COHORTS = DEFAULT_COURSE_DIR / "demo_cohort"

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)

CourseDir = Annotated[Path, typer.Option("--course-dir", help="nbgrader course directory.", file_okay=False)]
DbUrl = Annotated[str | None, typer.Option("--db-url", envvar="CXA_DB_URL",
                                           help="Gradebook URL (default: gradebook.db in the course directory).")]
Workers = Annotated[int | None, typer.Option("--workers", "-w", min=1,
                    help="Learners graded at once, each in its own sandbox (default: one per CPU core).")]


def _reports_errors(command: Callable) -> Callable:
    """Turn a course-level failure into its message and exit status 1 instead of a traceback."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except GradingError as error:
            typer.secho(str(error), err=True, fg=typer.colors.RED)
            raise typer.Exit(1) from error
    return wrapper


def _course(course_dir: Path, db_url: str | None) -> Course:
    return Course(course_dir, db_url=db_url or None)


def _progress(items: list[str], description: str) -> tqdm:
    return tqdm(items, desc=description, unit="learner", disable=None)


def _table(rows: list[list[str]], headers: list[str]) -> str:
    """A plain-text table that reads the same in a terminal, a CI log or an e-mail."""
    cells = [headers, *[[one_line(value) for value in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _save_logs(course: Course, assignment: str, step: str, results: list[StepResult]) -> None:
    """Keep nbgrader's full log of every failure where the instructor can read it."""
    for result in results:
        if not result.ok:
            path = course.reports_dir(assignment) / "logs" / f"{result.learner}-{step}.log"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(quoted_block(result.log), encoding="utf-8")


@app.command()
@_reports_errors
def release(assignments: Annotated[list[str] | None, typer.Argument(help="Assignments (default: all).")] = None,
            course_dir: CourseDir = DEFAULT_COURSE_DIR, db_url: DbUrl = None) -> None:
    """Generate the learners' version of assignments (solutions and hidden tests removed)."""
    course = _course(course_dir, db_url)
    _release(course, assignments or course.assignments())


def _release(course: Course, names: list[str]) -> None:
    if not names:
        raise GradingError(f"No assignments in {course.root / 'source'}: add a source folder first.")
    for name in names:
        folder = course.release(name)
        in_learner_kernel = [cell.id for plan in runnable_plans(course, name).values()
                             for cell in plan.learner_kernel_cells]
        stamp_release(course, name)
        outbound = course.publish(name)
        typer.echo(f"Released {name} → {folder}; learners fetch it from {outbound}")
        if in_learner_kernel:
            typer.echo(f"  {name}: {', '.join(in_learner_kernel)} run in the learner's sandboxed kernel as declared "
                       "(hidden parts too, like plain nbgrader), not in the clean room")


def _echo_intake(intake: Intake) -> None:
    rows = [[o.learner, o.status, o.notebook or "–"] for o in intake.outcomes]
    typer.echo(_table(rows, ["learner", "intake", "notebook"]))
    for outcome in intake.outcomes:
        if outcome.message_matters:
            typer.echo(one_line(f"{outcome.learner}: {outcome.message}"))
        for warning in outcome.warnings:
            typer.secho(one_line(f"{outcome.learner}: warning: {warning}"), fg=typer.colors.YELLOW)
        for note in outcome.notes:
            typer.echo(one_line(f"{outcome.learner}: note: {note}"))
    for note in intake.inbox_notes:
        typer.echo(one_line(f"note: {note}"))


@app.command()
@_reports_errors
def collect(assignment: str, course_dir: CourseDir = DEFAULT_COURSE_DIR, db_url: DbUrl = None) -> None:
    """Collect what learners submitted through the exchange (a JupyterHub's Assignment List) into submitted/."""
    course = _course(course_dir, db_url)
    learners = course.collect(assignment)
    typer.echo(one_line(f"Collected {assignment}: {len(learners)} learner(s) in "
                        f"{course.root / course.coursedir.submitted_directory}: {', '.join(learners) or '–'}"))
    typer.echo(f"Grade them with: cx-grader autograde {assignment}")


@app.command()
@_reports_errors
def accept(assignment: str,
           inbox: Annotated[Path, typer.Argument(help="Folder with one folder per learner, or a .zip of them.")],
           roster: Annotated[Path | None, typer.Option(help="CSV of learner ids ('learner' column).")] = None,
           course_dir: CourseDir = DEFAULT_COURSE_DIR, db_url: DbUrl = None) -> None:
    """Place each learner's notebook in submitted/, reporting anything that cannot be graded."""
    course = _course(course_dir, db_url)
    _echo_intake(accept_inbox(course, assignment, inbox, roster))
    typer.echo(f"Intake record: {course.reports_dir(assignment) / 'intake.json'}")


def _autograde(course: Course, assignment: str, everyone: bool, workers: int | None = None) -> list[StepResult]:
    course.check_assignment(assignment)
    learners = course.submitted_learners(assignment)
    if not learners:
        raise GradingError(f"No submissions of {assignment} in {course.root / 'submitted'}: "
                           f"accept an inbox first (cx-grader accept {assignment} INBOX).")
    done = set() if everyone else up_to_date(course, assignment) & set(learners)
    if done:
        typer.echo(f"Skipping {len(done)} learner(s) whose current submission is already autograded; "
                   "--force grades them again (their written answers are then flagged for manual grading again).")
    todo = [learner for learner in learners if learner not in done]
    results = [outcome.step_result() for outcome in grade_cohort(course, assignment, todo, workers=workers)]
    save_autograde(course, assignment, results)
    _save_logs(course, assignment, "autograde", results)
    return results


def _echo_summary(course: Course, assignment: str) -> None:
    table = learner_table(course, assignment)
    columns = notebook_columns(course.grade_cells(assignment))
    rows = [[row["learner"], row["status"], score_summary(row, columns)] for _, row in table.iterrows()]
    typer.echo(_table(rows, ["learner", "status", "score"]))
    for row in table.itertuples():
        if row.notes:
            typer.echo(one_line(f"{row.learner}: {row.notes}"))


@app.command()
@_reports_errors
def autograde(assignment: str,
              force: Annotated[bool, typer.Option(help="Also regrade unchanged, already graded submissions.")] = False,
              workers: Workers = None,
              course_dir: CourseDir = DEFAULT_COURSE_DIR, db_url: DbUrl = None) -> None:
    """Autograde new and changed submissions in parallel sandboxes; one learner's failure never stops the rest."""
    course = _course(course_dir, db_url)
    results = _autograde(course, assignment, everyone=force, workers=workers)
    _echo_summary(course, assignment)
    failed = [result for result in results if not result.ok]
    if failed:
        typer.secho(f"{len(failed)} submission(s) could not be autograded; one log per learner is in "
                    f"{engine_dir(course, assignment)}.", fg=typer.colors.YELLOW)


def _feedback(course: Course, assignment: str) -> list[StepResult]:
    table = learner_table(course, assignment)
    learners = [row.learner for row in table.itertuples()
                if course.step_dir(course.coursedir.autograded_directory, assignment, row.learner).is_dir()]
    if not learners:
        raise GradingError(f"No autograded submissions of {assignment}: run cx-grader autograde {assignment} first.")
    results = [course.generate_feedback(assignment, learner)
               for learner in _progress(learners, f"feedback {assignment}")]
    _save_logs(course, assignment, "feedback", results)
    pending = int((table["status"] == NEEDS_MANUAL).sum())
    if pending:
        typer.secho(f"{pending} learner(s) still need manual grading (formgrader); their feedback shows 0 for "
                    "those answers until you grade them and run feedback again.", fg=typer.colors.YELLOW)
    return results


@app.command()
@_reports_errors
def feedback(assignment: str, course_dir: CourseDir = DEFAULT_COURSE_DIR, db_url: DbUrl = None) -> None:
    """Write each autograded learner's feedback HTML into feedback/ and the exchange (learners fetch it there)."""
    course = _course(course_dir, db_url)
    results = _feedback(course, assignment)
    published = course.publish_feedback(assignment)
    if published:
        typer.echo(f"{len(published)} learner(s) who submitted through the exchange fetch their feedback "
                   "in the Assignment List.")
    scores = learner_table(course, assignment).set_index("learner", drop=False)
    columns = notebook_columns(course.grade_cells(assignment))
    for result in results:
        typer.echo(one_line(f"{result.learner}: {score_summary(scores.loc[result.learner], columns)}; {result.message}"))


@app.command()
@_reports_errors
def export(assignment: Annotated[str | None, typer.Argument(help="Assignment (default: all).")] = None,
           course_dir: CourseDir = DEFAULT_COURSE_DIR, db_url: DbUrl = None) -> None:
    """Write grades CSVs (one row per learner per assignment) to reports/."""
    course = _course(course_dir, db_url)
    if assignment:
        course.check_assignment(assignment)
    names = [assignment] if assignment else [name for name in course.assignments()
                                             if not course.grade_cells(name).empty]
    if not names:
        raise GradingError("No assignment has been released yet, so there are no grades to export.")
    for path in export_grades(course, names):
        typer.echo(f"Grades: {path}")


@app.command()
@_reports_errors
def report(assignment: str, course_dir: CourseDir = DEFAULT_COURSE_DIR, db_url: DbUrl = None) -> None:
    """Write the cohort's HTML report for an assignment to reports/<assignment>/report.html."""
    course = _course(course_dir, db_url)
    course.check_assignment(assignment)
    typer.echo(f"Report: {write_report(course, assignment)}")


@app.command("item-analysis")
@_reports_errors
def item_analysis(assignment: str, course_dir: CourseDir = DEFAULT_COURSE_DIR, db_url: DbUrl = None) -> None:
    """How each autograded check and question worked: difficulty, discrimination, reliability, flags (and a CSV)."""
    course = _course(course_dir, db_url)
    course.check_assignment(assignment)
    analysis, path = save_item_analysis(course, assignment)
    typer.echo(_table(item_rows(analysis), ["item", "points", "learners", "difficulty", "discrimination", "flags"]))
    typer.echo(analysis.reliability.describe())
    typer.echo(f"Item analysis: {path} (also in cx-grader report {assignment})")


def _competencies(course: Course) -> dict[str, Profile]:
    result = profile_cohort(course, lambda learners: _progress(learners, "competency profiles"))
    rows = [[learner, *("n/a" if profile.score(c) is None else f"{profile.score(c):g}" for c in COMPETENCIES)]
            for learner, profile in result.profiles.items()]
    typer.echo(_table(rows, ["learner", *COMPETENCIES]))
    typer.echo(f"Competency report: {result.html}")
    typer.echo(f"Competencies CSV:  {result.csv}")
    typer.echo(f"Learner profiles:  {len(result.learner_files)} profile.json file(s) in the feedback folders, "
               "and in each feedback page")
    published = [learner for assignment in graded_assignments(course) for learner in course.publish_feedback(assignment)]
    if published:
        typer.echo(f"{len(set(published))} learner(s) who submitted through the exchange fetch their profile with "
                   "their feedback in the Assignment List.")
    return result.profiles


@app.command()
@_reports_errors
def competencies(learner: Annotated[str | None, typer.Option(help="Also show this learner's evidence.")] = None,
                 course_dir: CourseDir = DEFAULT_COURSE_DIR, db_url: DbUrl = None) -> None:
    """Profile every graded learner 1–10 per competency: cohort report (HTML, CSV) and each learner's profile.json."""
    profiles = _competencies(_course(course_dir, db_url))
    if learner is not None:
        if learner not in profiles:
            raise GradingError(f"No graded work of '{one_line(learner)}' in the gradebook.")
        for line in learner_lines(profiles[learner]):
            typer.echo(one_line(line))


@app.command()
@_reports_errors
def prove(assignment: str, course_dir: CourseDir = DEFAULT_COURSE_DIR,
          workers: Annotated[int, typer.Option("--workers", "-w", min=1,
                                               help="Adversarial answers graded at once.")] = 2) -> None:
    """Check an assignment's tests: solution full marks, blank zero, each wrong and adversarial answer its loss."""
    course = Course(course_dir)
    course.check_assignment(assignment)
    source = course.root / course.coursedir.source_directory
    if not wrong_answers_file(source, assignment).is_file():
        raise GradingError(f"{assignment} declares no typical wrong answers: write "
                           f"{wrong_answers_file(source, assignment)} (see CONTRIBUTING.md), then prove it.")
    with tempfile.TemporaryDirectory(prefix="cx-prove-") as workdir:
        proof = prove_assignment(assignment, source, Path(workdir) / "course", workers=workers)
    typer.echo("Generic adversarial answers (what each lost in its own question):")
    for finding in proof.attack.findings:
        typer.secho(f"  {finding.line()}", fg=typer.colors.RED if finding.problem else None)
    for skipped in proof.attack.skipped:
        typer.echo(f"  skip  {skipped.title}: {skipped.reason}")
    typer.echo(proof.timing())
    typer.echo(proof.summary())
    for problem in [*proof.problems, *proof.attack.problems]:
        typer.secho(f"problem: {problem}", fg=typer.colors.RED)
    if not proof.proven:
        raise typer.Exit(1)


@app.command("build-demo-cohort")
@_reports_errors
def build_demo_cohort(assignment: str,
                      cohorts: Annotated[Path, typer.Option(help="Folder of demo cohorts.")] = DEMO_COHORTS,
                      course_dir: CourseDir = DEFAULT_COURSE_DIR) -> None:
    """Regenerate the demo cohort's notebooks from its answers file and the current assignment."""
    course = Course(course_dir)
    course.check_assignment(assignment)
    source = course.root / course.coursedir.source_directory
    folder = build_cohort(assignment, cohorts / f"{assignment}.toml", cohorts / assignment, source)
    typer.echo(f"Demo cohort for {assignment} written to {folder}")


@app.command()
@_reports_errors
def demo(course_dir: CourseDir = DEFAULT_COURSE_DIR, db_url: DbUrl = None,
         cohorts: Annotated[Path, typer.Option(help="Folder of demo cohorts.")] = DEMO_COHORTS) -> None:
    """Release everything and grade the shipped demo cohort end to end."""
    started = time.perf_counter()
    course = _course(course_dir, db_url)
    _release(course, course.assignments())
    graded = [name for name in course.assignments() if (cohorts / name).is_dir()]
    if not graded:
        raise GradingError(f"No demo cohort in {cohorts} for any of {', '.join(course.assignments())}: "
                           "build one with cx-grader build-demo-cohort ASSIGNMENT.")
    reports = []
    for name in graded:
        roster = cohorts / name / "roster.csv"
        _echo_intake(accept_inbox(course, name, cohorts / name, roster if roster.is_file() else None))
        _autograde(course, name, everyone=True)  # the release may have changed since the last demo
        _echo_summary(course, name)
        _feedback(course, name)
        reports.append(write_report(course, name))
    grades = export_grades(course, graded)
    typer.echo(f"Feedback:  {course.root / course.coursedir.feedback_directory}/<learner>/<assignment>/")
    typer.echo(f"Grades:    {grades[0]}")
    for path in reports:
        typer.echo(f"Report:    {path}")
        typer.echo(f"Item analysis: {path}#item-analysis and {path.parent / ITEM_ANALYSIS_CSV}")
    typer.echo("\nCompetency profiles (cx-grader competencies): each learner's six competencies on 1–10 = "
               "1 + 9 × weighted share of available points earned; 'not yet assessed' below 3 weighted points. "
               "The report shows the cohort heatmap, the distribution per competency and role readiness.")
    _competencies(course)
    typer.echo(f"\nDemo finished in {time.perf_counter() - started:.0f} s.")
    typer.echo("Open the course in JupyterLab: make lab")
