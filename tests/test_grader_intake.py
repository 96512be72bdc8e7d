"""Intake rules: every kind of bad input is reported clearly, and nothing is lost.

These run without nbgrader's execution (intake only places files), so they are fast;
each test builds its own course directory and inbox under ``tmp_path``.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.course import Course, GradingError
from grader.intake import (ACCEPTED, AMBIGUOUS, BAD_NAME, MALFORMED, NOTHING, UNCHANGED, accept,
                           intake_path, load_intake, read_roster)
from grader.sample_assignment import sample_notebook, write_sample_assignment

ASSIGNMENT = "sample"


@pytest.fixture
def course(tmp_path: Path) -> Course:
    source = write_sample_assignment(tmp_path / "src", ASSIGNMENT).parent
    return Course.create(tmp_path / "course", source, [ASSIGNMENT])


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def notebook_text(marker: str = "") -> str:
    notebook = sample_notebook()
    notebook.cells[1].source = f"answer = 42  # {marker}"
    return nbformat.writes(notebook)


def put(inbox: Path, relative: str, text: str) -> Path:
    path = inbox / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def tree_hashes(root: Path) -> dict[str, str]:
    """Every file and folder under root with the hash of its content."""
    return {path.relative_to(root).as_posix(): sha256(path) if path.is_file() else "folder"
            for path in sorted(root.rglob("*"))}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def submitted(course: Course, learner: str) -> Path:
    return course.root / "submitted" / learner / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def outcome_of(intake, learner: str):
    return next(outcome for outcome in intake.outcomes if outcome.learner == learner)


def test_a_correct_submission_is_placed_with_a_timestamp(course, inbox):
    put(inbox, f"ana/{ASSIGNMENT}.ipynb", notebook_text("ana"))
    outcome = outcome_of(accept(course, ASSIGNMENT, inbox), "ana")
    assert outcome.status == ACCEPTED and outcome.on_file and not outcome.problem
    assert "ana" in submitted(course, "ana").read_text()
    assert (submitted(course, "ana").parent / "timestamp.txt").read_text().strip().endswith("UTC")


def test_a_single_wrongly_named_notebook_is_accepted_under_the_right_name_with_a_warning(course, inbox):
    put(inbox, "ben/Untitled (1).ipynb", notebook_text("ben"))
    outcome = outcome_of(accept(course, ASSIGNMENT, inbox), "ben")
    assert outcome.status == ACCEPTED
    assert "Untitled (1).ipynb" in outcome.warnings[0] and f"{ASSIGNMENT}.ipynb" in outcome.warnings[0]
    assert "ben" in submitted(course, "ben").read_text()


@pytest.mark.parametrize("text, detail", [
    ('{"cells": [{"cell_type": "code", "sour', "not valid JSON"),
    ("", "not valid JSON"),
    ('{"cells": "none", "nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "not a valid notebook"),
])
def test_a_malformed_notebook_is_reported_and_not_graded(course, inbox, text, detail):
    put(inbox, f"cleo/{ASSIGNMENT}.ipynb", text)
    outcome = outcome_of(accept(course, ASSIGNMENT, inbox), "cleo")
    assert outcome.status == MALFORMED and detail in outcome.message and "resubmit" in outcome.message
    assert not outcome.on_file and not submitted(course, "cleo").exists()


def test_an_empty_folder_submitted_nothing(course, inbox):
    (inbox / "dan").mkdir()
    put(inbox, "eve/.DS_Store", "finder litter")
    intake = accept(course, ASSIGNMENT, inbox)
    for learner in ("dan", "eve"):
        outcome = outcome_of(intake, learner)
        assert outcome.status == NOTHING and "empty" in outcome.message
        assert not submitted(course, learner).exists()


def test_a_roster_learner_without_a_folder_submitted_nothing(course, inbox, tmp_path):
    put(inbox, f"ana/{ASSIGNMENT}.ipynb", notebook_text())
    roster = put(tmp_path, "roster.csv", "learner,name\nana,Ana\nfred,Fred\n")
    intake = accept(course, ASSIGNMENT, inbox, roster)
    fred = outcome_of(intake, "fred")
    assert fred.status == NOTHING and "roster" in fred.message
    assert outcome_of(intake, "ana").status == ACCEPTED


def test_a_folder_not_on_the_roster_is_accepted_with_a_warning(course, inbox, tmp_path):
    put(inbox, f"stranger/{ASSIGNMENT}.ipynb", notebook_text())
    roster = put(tmp_path, "roster.csv", "learner\nana\n")
    outcome = outcome_of(accept(course, ASSIGNMENT, inbox, roster), "stranger")
    assert outcome.status == ACCEPTED and "not on the roster" in outcome.warnings[0]


def test_non_notebook_files_are_ignored_with_a_note(course, inbox):
    put(inbox, f"gus/{ASSIGNMENT}.ipynb", notebook_text())
    put(inbox, "gus/data/answers.csv", "a,b\n")
    put(inbox, "hal/essay.pdf", "%PDF")
    intake = accept(course, ASSIGNMENT, inbox)
    gus, hal = outcome_of(intake, "gus"), outcome_of(intake, "hal")
    assert gus.status == ACCEPTED and "data/answers.csv" in gus.notes[0]
    assert hal.status == NOTHING and "no notebook" in hal.message and "essay.pdf" in hal.notes[0]


def test_several_notebooks_and_none_named_right_is_ambiguous(course, inbox):
    put(inbox, "ivy/draft.ipynb", notebook_text("draft"))
    put(inbox, "ivy/final.ipynb", notebook_text("final"))
    outcome = outcome_of(accept(course, ASSIGNMENT, inbox), "ivy")
    assert outcome.status == AMBIGUOUS and "draft.ipynb" in outcome.message and "final.ipynb" in outcome.message
    assert not submitted(course, "ivy").exists()


def test_the_right_name_wins_over_other_notebooks(course, inbox):
    put(inbox, f"jo/{ASSIGNMENT}.ipynb", notebook_text("right"))
    put(inbox, "jo/scratch.ipynb", notebook_text("scratch"))
    outcome = outcome_of(accept(course, ASSIGNMENT, inbox), "jo")
    assert outcome.status == ACCEPTED and "scratch.ipynb" in outcome.notes[0]
    assert "right" in submitted(course, "jo").read_text()


def test_a_folder_name_that_cannot_be_a_learner_id_is_rejected(course, inbox):
    put(inbox, f"kim *[1]/{ASSIGNMENT}.ipynb", notebook_text())
    outcome = outcome_of(accept(course, ASSIGNMENT, inbox), "kim *[1]")
    assert outcome.status == BAD_NAME and "rename the folder" in outcome.message


def test_the_inbox_is_never_modified(course, inbox, tmp_path):
    put(inbox, f"ana/{ASSIGNMENT}.ipynb", notebook_text())
    put(inbox, "ben/Untitled.ipynb", notebook_text())
    put(inbox, f"cleo/{ASSIGNMENT}.ipynb", "{broken")
    put(inbox, "gus/notes.txt", "notes")
    (inbox / "dan").mkdir()
    put(inbox, "README.txt", "stray")
    before = tree_hashes(inbox)
    intake = accept(course, ASSIGNMENT, inbox)
    assert tree_hashes(inbox) == before
    assert "README.txt" in intake.inbox_notes[0]


def test_a_zip_inbox_is_read_without_being_changed(course, inbox, tmp_path):
    put(inbox, f"ana/{ASSIGNMENT}.ipynb", notebook_text())
    put(inbox, "ben/other.ipynb", notebook_text())
    archive = tmp_path / "cohort.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in inbox.rglob("*.ipynb"):
            handle.write(path, Path("cohort") / path.relative_to(inbox))
    before = sha256(archive)
    intake = accept(course, ASSIGNMENT, archive)
    assert {o.learner: o.status for o in intake.outcomes} == {"ana": ACCEPTED, "ben": ACCEPTED}
    assert sha256(archive) == before


def test_a_different_resubmission_archives_the_earlier_one(course, inbox, tmp_path):
    put(inbox, f"ana/{ASSIGNMENT}.ipynb", notebook_text("first"))
    accept(course, ASSIGNMENT, inbox)
    second = tmp_path / "second"
    put(second, f"ana/{ASSIGNMENT}.ipynb", notebook_text("second"))
    outcome = outcome_of(accept(course, ASSIGNMENT, second), "ana")
    assert outcome.status == ACCEPTED and outcome.archived_to
    archived = Path(outcome.archived_to)
    assert archived.parent == course.root / "archive" / "ana" / ASSIGNMENT
    assert "first" in (archived / f"{ASSIGNMENT}.ipynb").read_text()
    assert (archived / "timestamp.txt").is_file()
    assert "second" in submitted(course, "ana").read_text()


def test_an_identical_resubmission_keeps_the_earlier_one_untouched(course, inbox):
    put(inbox, f"ana/{ASSIGNMENT}.ipynb", notebook_text())
    accept(course, ASSIGNMENT, inbox)
    stamp = (submitted(course, "ana").parent / "timestamp.txt").read_text()
    outcome = outcome_of(accept(course, ASSIGNMENT, inbox), "ana")
    assert outcome.status == UNCHANGED and outcome.archived_to is None
    assert (submitted(course, "ana").parent / "timestamp.txt").read_text() == stamp
    assert not (course.root / "archive").exists()


def test_a_broken_resubmission_leaves_the_earlier_one_to_be_graded(course, inbox, tmp_path):
    put(inbox, f"ana/{ASSIGNMENT}.ipynb", notebook_text("good"))
    accept(course, ASSIGNMENT, inbox)
    later = tmp_path / "later"
    put(later, f"ana/{ASSIGNMENT}.ipynb", '{"cut off')
    outcome = outcome_of(accept(course, ASSIGNMENT, later), "ana")
    assert outcome.status == MALFORMED and outcome.on_file
    assert "earlier submission" in outcome.notes[-1]
    assert "good" in submitted(course, "ana").read_text()


def test_the_intake_record_keeps_earlier_batches(course, inbox, tmp_path):
    put(inbox, f"ana/{ASSIGNMENT}.ipynb", notebook_text())
    accept(course, ASSIGNMENT, inbox)
    late = tmp_path / "late"
    (late / "ben").mkdir(parents=True)
    accept(course, ASSIGNMENT, late)
    record = json.loads(intake_path(course, ASSIGNMENT).read_text())
    assert [entry["learner"] for entry in record["learners"]] == ["ana", "ben"]
    assert {o.learner: o.status for o in load_intake(course, ASSIGNMENT)} == {"ana": ACCEPTED, "ben": NOTHING}


def test_a_missing_inbox_or_a_file_that_is_no_zip_is_a_clear_error(course, tmp_path):
    with pytest.raises(GradingError, match="does not exist"):
        accept(course, ASSIGNMENT, tmp_path / "nowhere")
    with pytest.raises(GradingError, match="neither a folder nor a .zip"):
        accept(course, ASSIGNMENT, put(tmp_path, "inbox.txt", "hello"))


def test_an_unknown_assignment_is_a_clear_error(course, inbox):
    with pytest.raises(GradingError, match="no assignment 'm99'.*sample"):
        accept(course, "m99", inbox)


def test_the_roster_uses_the_learner_column_or_the_first_one(tmp_path):
    assert read_roster(put(tmp_path, "a.csv", "name,learner\nAna,ana\nBen, ben \n\n")) == ["ana", "ben"]
    assert read_roster(put(tmp_path, "b.csv", "id\nzed\nana\nana\n")) == ["ana", "zed"]
    with pytest.raises(GradingError, match="lists no learners"):
        read_roster(put(tmp_path, "c.csv", "learner\n"))
    with pytest.raises(GradingError, match="Cannot read the roster"):
        read_roster(tmp_path / "missing.csv")


@pytest.fixture
def two_notebook_course(tmp_path: Path) -> Course:
    """An assignment of two notebooks, as nbgrader's own example ps1 is."""
    folder = write_sample_assignment(tmp_path / "src2", ASSIGNMENT)
    notebook = folder / f"{ASSIGNMENT}.ipynb"
    (folder / "part2.ipynb").write_text(notebook.read_text(encoding="utf-8"), encoding="utf-8")
    notebook.rename(folder / "part1.ipynb")
    return Course.create(tmp_path / "course2", folder.parent, [ASSIGNMENT])


def test_a_several_notebook_assignment_takes_each_by_name_and_reports_what_is_missing(two_notebook_course, inbox):
    put(inbox, "ann/part1.ipynb", notebook_text("1"))
    put(inbox, "ann/sub/part2.ipynb", notebook_text("2"))
    put(inbox, "bob/part1.ipynb", notebook_text("1"))
    put(inbox, "bob/scratch.ipynb", notebook_text("x"))
    put(inbox, "cat/part1.ipynb", notebook_text("a"))
    put(inbox, "cat/old/part1.ipynb", notebook_text("b"))
    put(inbox, "dan/draft.ipynb", notebook_text("d"))
    intake = accept(two_notebook_course, ASSIGNMENT, inbox)
    ann, bob, cat, dan = (outcome_of(intake, name) for name in ("ann", "bob", "cat", "dan"))
    assert ann.status == ACCEPTED and not ann.warnings
    folder = submitted(two_notebook_course, "ann").parent
    assert sorted(path.name for path in folder.glob("*.ipynb")) == ["part1.ipynb", "part2.ipynb"]
    assert bob.status == ACCEPTED and "part2.ipynb not submitted" in bob.warnings[0] and "scratch.ipynb" in bob.notes[0]
    assert cat.status == AMBIGUOUS and "old/part1.ipynb" in cat.message
    assert dan.status == NOTHING and "part1.ipynb, part2.ipynb" in dan.message
    again = outcome_of(accept(two_notebook_course, ASSIGNMENT, inbox), "ann")
    assert again.status == UNCHANGED
