"""The structural check learners and graders share (cxacademy.integrity), and the grader's repair.

The fixtures in tests/fixtures/hostile/submissions carry the manifest their release was
stamped with, exactly as a learner's notebook does, so each check runs here as it runs in
the learner's notebook, without nbgrader or a course directory.
"""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import pytest

from cxacademy.integrity import INFO, REJECT, TAMPER, WARNING, check, compare, findings_for, manifest, reference_for
from grader.engine.preflight import repair
from tests_support import REPO

SUBMISSIONS = REPO / "tests" / "fixtures" / "hostile" / "submissions"


def codes(name: str) -> dict[str, str]:
    return {finding.code: finding.severity for finding in findings_for(SUBMISSIONS / f"{name}.ipynb")}


@pytest.mark.parametrize("name, code, severity", [
    ("deleted_test", "missing_test", TAMPER),
    ("missing_answer", "missing_answer", TAMPER),
    ("retyped_test", "retyped", TAMPER),
    ("changed_points", "points", TAMPER),
    ("changed_metadata", "metadata", TAMPER),
    ("edited_test", "edited_locked", TAMPER),
    ("duplicated_test", "duplicate", WARNING),
    ("empty_notebook", "empty", REJECT),
    ("metadata_stripped", "structure_lost", REJECT),
    ("blank", "unanswered", INFO),
])
def test_each_structural_change_is_named_with_its_severity(name, code, severity):
    assert codes(name).get(code) == severity


def test_an_untouched_solution_has_nothing_but_information():
    assert set(codes("solution").values()) <= {INFO}


def test_a_notebook_of_another_assignment_is_recognised_even_when_ids_overlap():
    other = json.loads((SUBMISSIONS / "other_assignment.ipynb").read_text(encoding="utf-8"))
    reference = reference_for(json.loads((SUBMISSIONS / "solution.ipynb").read_text(encoding="utf-8")))
    assert {"setup", "q1_answer"} <= {c["metadata"].get("nbgrader", {}).get("grade_id") for c in other["cells"]}
    assert [f.severity for f in compare(reference, other)] == [REJECT]


def test_a_notebook_stamped_for_another_assignment_is_rejected():
    notebook = json.loads((SUBMISSIONS / "solution.ipynb").read_text(encoding="utf-8"))
    reference = dict(reference_for(notebook), assignment="m02_other")
    assert compare(reference, notebook)[0].code == "foreign"


def test_the_learner_check_prints_the_diagnosis_and_its_command_line_fails_on_tampering(capsys):
    findings = check(SUBMISSIONS / "deleted_test.ipynb")
    assert "q1_value" in capsys.readouterr().out and any(f.severity == TAMPER for f in findings)
    check(SUBMISSIONS / "solution.ipynb")
    assert "matches the assignment" in capsys.readouterr().out
    command = [sys.executable, "-m", "cxacademy.integrity"]
    assert subprocess.run([*command, str(SUBMISSIONS / "solution.ipynb")], capture_output=True).returncode == 0
    assert subprocess.run([*command, str(SUBMISSIONS / "retyped_test.ipynb")], capture_output=True).returncode == 1


def test_without_a_manifest_edited_locked_cells_are_still_found(tmp_path):
    notebook = json.loads((SUBMISSIONS / "edited_test.ipynb").read_text(encoding="utf-8"))
    del notebook["metadata"]["cx_integrity"]
    path = tmp_path / "unstamped.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    assert {"no_manifest", "edited_locked"} <= {f.code for f in findings_for(path)}


@pytest.mark.parametrize("name", ["deleted_test", "deleted_answer_and_test", "duplicated_test", "retyped_test",
                                  "changed_points", "changed_metadata", "missing_answer"])
def test_repair_leaves_every_released_cell_once_in_place_with_its_released_metadata(name):
    released = nbformat.read(SUBMISSIONS / "blank.ipynb", as_version=4)
    notebook = nbformat.read(SUBMISSIONS / f"{name}.ipynb", as_version=4)
    repair(notebook, released)
    left = [f for f in compare(manifest(released, "hostile", "hostile"), notebook)
            if f.code not in ("unanswered", "edited_locked")]
    assert not left, [f.message for f in left]
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in notebook.cells]
    expected = [c.metadata["nbgrader"]["grade_id"] for c in released.cells]
    assert [i for i in ids if i] == expected


def test_in_jupyterlab_the_check_finds_its_own_notebook(monkeypatch, capsys):
    monkeypatch.setenv("JPY_SESSION_NAME", str(SUBMISSIONS / "changed_points.ipynb"))
    assert "points" in {finding.code for finding in check()}
    assert "100 points" in capsys.readouterr().out
