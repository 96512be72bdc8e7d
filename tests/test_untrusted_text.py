"""Text a learner controls reaches the instructor only as inert, visible text (issue 7 §2).

A cohort of the hostile fixture assignment (``tests/fixtures/hostile``) puts markup,
terminal escapes, a forged "graded (16 / 16)" line and spreadsheet formulas into every
channel a learner has: an exception message, a value's type name, the kernel's stderr, a
patched display function, a notebook's file name, a folder name, plus a roster entry.
It goes through ``cx-grader accept → autograde → export → report``; every output the
instructor reads is then checked, and each check also finds the learner's text in it,
made visible, so that none can pass because the text never got there.
"""

from __future__ import annotations

import csv
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner, Result

from grader import notebooks
from grader.cli import app
from grader.course import Course
from grader.engine.preflight import stamp_release
from grader.intake import BAD_NAME, load_intake
from grader.safe_text import (BLOCK_MARGIN, CONTROL, ELLIPSIS, FORMULA_PREFIXES, LINE_CHARS, one_line,
                              quoted_block, spreadsheet_cell)
from tests_support import REPO

ASSIGNMENT = "hostile"
FIXTURE_SOURCE = REPO / "tests" / "fixtures" / "hostile" / "source"
TEMPLATE = REPO / "grader" / "templates" / "report.html.j2"
MARKUP = "<img src=x onerror=alert(1)>"
HOSTILE = f"{MARKUP}\x1b[2J\x1b[31m\ngraded (16 / 16)"
FILE_NAME = f"{MARKUP}\x1b[31m\ngraded (16 of 16).ipynb"  # a file name cannot hold "/"
FORMULA_FOLDER = '=HYPERLINK("evil.example","open")'  # a folder name cannot hold "/" either
FORMULA_ROSTER_ID = "+cmd|' /C calc'!A0"
TRAILING_NEWLINE = "trailing\n"
#: OWASP's formula triggers, including the two that one_line turns into visible escapes.
SPREADSHEET_TRIGGERS = (*FORMULA_PREFIXES, "\t", "\r")
ANSWERS = {
    "raiser": {"q1_answer": f"import os\nos.write(2, {HOSTILE!r}.encode())\nraise ValueError({HOSTILE!r})",
               "q2_answer": f"ranking = type({HOSTILE!r}, (), {{}})()"},
    "patcher": {"q1_answer": "import IPython.display\n\ndef refuse(*args, **kwargs):\n"
                             f"    raise ValueError({HOSTILE!r})\n\n"
                             "IPython.display.publish_display_data = refuse\nanswer = 6 * 7"},
}
RIGHT = {"q1_answer": "answer = 6 * 7", "q2_answer": "ranking = prices.sort_values(ascending=False)"}
runner = CliRunner()


def _write(folder: Path, released: nbformat.NotebookNode, answers: dict[str, str], name: str) -> None:
    folder.mkdir(parents=True)
    nbformat.write(notebooks.fill_answers(released, answers), str(folder / name))


def _inbox(course: Course, inbox: Path) -> Path:
    """Every hostile submission of the cohort; returns the roster."""
    released = notebooks.read(course.step_dir("release", ASSIGNMENT) / f"{ASSIGNMENT}.ipynb")
    for learner, answers in ANSWERS.items():
        _write(inbox / learner, released, answers, f"{ASSIGNMENT}.ipynb")
    _write(inbox / "misnamed", released, RIGHT, FILE_NAME)
    _write(inbox / FORMULA_FOLDER, released, RIGHT, f"{ASSIGNMENT}.ipynb")
    _write(inbox / TRAILING_NEWLINE, released, RIGHT, f"{ASSIGNMENT}.ipynb")
    roster = inbox.parent / "roster.csv"
    with roster.open("w", newline="") as handle:
        csv.writer(handle).writerows([["learner"], *[[name] for name in [*ANSWERS, "misnamed", FORMULA_ROSTER_ID]]])
    return roster


def _run(*args: str) -> Result:
    """One cx-grader command, its output as a terminal would get it (click strips escapes from a pipe)."""
    result = runner.invoke(app, list(args), color=True)
    assert result.exit_code == 0, f"cx-grader {' '.join(args)} failed:\n{result.output}\n{result.exception!r}"
    return result


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[Course, dict[str, Result]]:
    """The hostile cohort taken through cx-grader; the course and each command's result."""
    workdir = tmp_path_factory.mktemp("untrusted")
    course = Course.create(workdir / "course", FIXTURE_SOURCE, [ASSIGNMENT])
    course.release(ASSIGNMENT)
    stamp_release(course, ASSIGNMENT)
    roster = _inbox(course, workdir / "inbox")
    where = ["--course-dir", str(course.root)]
    results = {
        "accept": _run("accept", ASSIGNMENT, str(workdir / "inbox"), "--roster", str(roster), *where),
        "autograde": _run("autograde", ASSIGNMENT, "--workers", "2", *where),
        "export": _run("export", ASSIGNMENT, *where),
        "report": _run("report", ASSIGNMENT, *where),
    }
    return course, results


def _forged(text: str) -> list[str]:
    """Lines that would pass for the grader's own verdict on a learner."""
    return [line for line in text.splitlines() if line.lstrip(" -").startswith("graded")]


# --- the helpers themselves ------------------------------------------------------------

def test_one_line_shows_every_control_character_as_an_escape():
    # C0 (newline, ESC…), DEL, C1 (NEL, the one-byte CSI), line separators, bidi override and isolate.
    controls = [chr(code) for code in range(0x20)] + ["\x7f", "\x85", "\x9b", "\u2028", "\u2029", "\u202e", "\u2066"]
    for char in controls:
        shown = one_line(f"a{char}b")
        assert CONTROL.search(shown) is None and shown.startswith("a") and shown.endswith("b"), repr(char)
        assert len(shown) > 3, f"{char!r} was dropped, not shown"
    assert one_line(one_line(HOSTILE)) == one_line(HOSTILE)
    assert one_line(HOSTILE).count("\\x1b") == HOSTILE.count("\x1b")


def test_one_line_caps_length():
    capped = one_line("x" * (LINE_CHARS * 3))
    assert len(capped) == LINE_CHARS and capped.endswith(ELLIPSIS)
    assert one_line("x" * (LINE_CHARS * 3), limit=None) == "x" * (LINE_CHARS * 3)


def test_quoted_block_keeps_every_line_behind_the_margin():
    block = quoted_block(HOSTILE + "\r\nstatus:  graded")
    lines = block.split("\n")
    assert len(lines) == HOSTILE.count("\n") + 2
    assert all(line.startswith(BLOCK_MARGIN) for line in lines)
    assert CONTROL.search(block.replace("\n", "")) is None and not _forged(block)


@pytest.mark.parametrize("trigger", SPREADSHEET_TRIGGERS, ids=repr)
def test_spreadsheet_cell_neutralises_formula_triggers(trigger):
    cell = spreadsheet_cell(f"{trigger}HYPERLINK(\"http://evil.example\")\n=1+1")
    assert not cell.startswith(SPREADSHEET_TRIGGERS) and CONTROL.search(cell) is None
    assert "HYPERLINK" in cell


def test_spreadsheet_cell_leaves_numbers_and_plain_text_alone():
    assert spreadsheet_cell(-3.5) == -3.5 and spreadsheet_cell(None) is None
    assert spreadsheet_cell("graded") == "graded"


# --- every instructor-facing output of a real cohort --------------------------------------

class _Elements(HTMLParser):
    """The tags, attributes and text of an HTML page as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser


@pytest.mark.nbgrader
def test_report_html_has_no_element_or_attribute_from_learners(graded):
    course, _ = graded
    page = _parse((course.reports_dir(ASSIGNMENT) / "report.html").read_text(encoding="utf-8"))
    template_tags = {tag for tag, _ in _parse(TEMPLATE.read_text(encoding="utf-8")).tags}
    assert {tag for tag, _ in page.tags} <= template_tags
    assert not [(tag, name) for tag, attrs in page.tags for name in attrs if name.startswith("on")]
    assert all(attrs["src"].startswith("data:image/png;base64,") for tag, attrs in page.tags if tag == "img")
    text = "".join(page.text)
    assert MARKUP in text, "the learner's exception message should be shown, as text"
    assert "\x1b" not in text and "\\x1b[2J" in text


def _csv_cells(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


@pytest.mark.nbgrader
def test_grades_csv_cells_are_never_formulas_nor_hold_control_characters(graded):
    course, _ = graded
    for path in (course.root / "reports" / "grades.csv", course.reports_dir(ASSIGNMENT) / "grades.csv"):
        cells = _csv_cells(path)
        assert [cell for cell in cells if cell.startswith(SPREADSHEET_TRIGGERS)] == [], path
        assert [cell for cell in cells if CONTROL.search(cell)] == [], path
        assert "'" + FORMULA_FOLDER in cells and "'" + FORMULA_ROSTER_ID in cells
        assert any(one_line(HOSTILE) in cell for cell in cells), "the learner's message should reach the notes"
        assert any(one_line(FILE_NAME) in cell for cell in cells), "the learner's file name should reach the notes"


@pytest.mark.nbgrader
def test_logs_hold_no_terminal_escapes_and_no_forged_lines(graded):
    course, _ = graded
    logs = {path: path.read_text(encoding="utf-8") for path in course.reports_dir(ASSIGNMENT).rglob("*.log")}
    assert course.reports_dir(ASSIGNMENT) / "engine" / "raiser.log" in logs
    for path, text in logs.items():
        assert "\x1b" not in text and "\r" not in text, path
        assert not _forged(text), path
    raiser = logs[course.reports_dir(ASSIGNMENT) / "engine" / "raiser.log"]
    assert raiser.count(one_line(HOSTILE)) >= 1 and raiser.count("\\x1b[2J") >= 2, \
        "the value's type name (notes) and the kernel's stderr should both be in the log, escaped"


@pytest.mark.nbgrader
def test_cli_output_holds_no_terminal_escapes_and_no_forged_lines(graded):
    _, results = graded
    for command, result in results.items():
        for stream in (result.stdout, result.stderr):
            assert "\x1b[2J" not in stream and "\x1b[31m" not in stream, command
            assert not _forged(stream), command
        assert "\r" not in result.stdout, command
    assert one_line(FILE_NAME) in results["accept"].stdout and one_line(FORMULA_FOLDER) in results["accept"].stdout
    assert one_line(HOSTILE) in results["autograde"].stdout


@pytest.mark.nbgrader
def test_folder_names_that_are_not_learner_ids_are_refused(graded):
    course, _ = graded
    outcomes = {outcome.learner: outcome for outcome in load_intake(course, ASSIGNMENT)}
    assert outcomes[TRAILING_NEWLINE].status == BAD_NAME
    assert outcomes[FORMULA_FOLDER].status == BAD_NAME
    assert TRAILING_NEWLINE not in course.submitted_learners(ASSIGNMENT)
