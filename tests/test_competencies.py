"""Every graded item declares the competencies it evidences, with weights that sum to 1."""

from __future__ import annotations

import tomllib

import pytest

from cxacademy.competencies import COMPETENCIES, competency_name
from cxacademy.data import DATASETS
from grader import notebooks
from tests_support import REPO, assignments


def _graded_questions(assignment: str) -> set[str]:
    source = notebooks.read(REPO / "assignments" / "source" / assignment / f"{assignment}.ipynb")
    graded = [c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")]
    return {notebooks.grade_id(c).split("_")[0] for c in graded}


@pytest.mark.parametrize("assignment", assignments())
def test_every_graded_question_declares_competencies(assignment):
    manifest = tomllib.loads((REPO / "assignments" / f"{assignment}.toml").read_text())
    declared = manifest["competencies"]
    assert set(declared) == _graded_questions(assignment), "declare competencies for exactly the graded questions"
    for question, weights in declared.items():
        assert set(weights) <= set(COMPETENCIES), f"{question}: unknown competency in {sorted(weights)}"
        assert sum(weights.values()) == pytest.approx(1.0), f"{question}: weights must sum to 1"
    assert set(manifest["datasets"]) <= set(DATASETS)


def test_dataset_skill_areas_are_competencies():
    for spec in DATASETS.values():
        assert set(spec.skill_areas) <= set(COMPETENCIES), spec.name


def test_every_competency_has_a_name():
    assert [competency_name(c) for c in COMPETENCIES][0] == "Customer research & insight"
