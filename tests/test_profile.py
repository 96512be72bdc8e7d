"""The competency profile's rules (``cxacademy.profile``): manifests, the 1–10 rule, the learner view.

Manifest validation runs on a small source notebook (``grader.sample_assignment``: Q1 autograded,
3 points; Q2 a 2-point written answer) with one broken manifest per case. The rule's numbers are
checked on a labelled fixture, a scores table in the gradebook's layout built here directly;
``tests/test_competency_report.py`` checks the same rule on a gradebook filled by real grading.
Every expected score is computed here from the table and the manifest's weights.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import replace

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from cxacademy import profile as rule
from cxacademy.competencies import COMPETENCIES
from cxacademy.text import t
from grader.sample_assignment import write_sample_assignment
from tests_support import REPO, assignments

GOOD_MANIFEST = """
title = "Sample"
[competencies]
q1 = { research = 0.5, metrics = 0.5 }
q2 = { leadership = 1.0 }
[rubric.q2.clear]
points = 1.5
competencies = { leadership = 1.0 }
says = "Clear: says why in one sentence"
[rubric.q2.grounded]
points = 0.5
competencies = { research = 0.4, strategy = 0.6 }
says = "Grounded: quotes the customer"
"""

#: (what is broken, the manifest's text with it broken, the item the error must name)
BROKEN = [
    ("unknown competency", GOOD_MANIFEST.replace("metrics = 0.5 }", "charisma = 0.5 }"), "q1"),
    ("weights sum to 0.9", GOOD_MANIFEST.replace("metrics = 0.5 }", "metrics = 0.4 }"), "q1"),
    ("graded question without competencies", GOOD_MANIFEST.replace("q2 = { leadership = 1.0 }\n", ""), "q2"),
    ("empty competency table", GOOD_MANIFEST.replace("q2 = { leadership = 1.0 }", "q2 = {}"), "q2"),
    ("declared question that is not graded", GOOD_MANIFEST.replace("[rubric.q2.clear]", "q9 = { journey = 1.0 }\n[rubric.q2.clear]"), "q9"),
    ("criterion without competencies", GOOD_MANIFEST.replace("competencies = { leadership = 1.0 }\n", ""), "rubric.q2.clear"),
    ("criterion weights sum to 1.2", GOOD_MANIFEST.replace("strategy = 0.6", "strategy = 0.8"), "rubric.q2.grounded"),
    ("criterion with unknown competency", GOOD_MANIFEST.replace("strategy = 0.6", "vision = 0.6"), "rubric.q2.grounded"),
    ("criteria points sum to 2.5, not 2", GOOD_MANIFEST.replace("points = 0.5", "points = 1.0"), "rubric.q2"),
    ("criterion without points", GOOD_MANIFEST.replace("points = 0.5\n", ""), "rubric.q2.grounded"),
    ("criterion without says", GOOD_MANIFEST.replace('says = "Grounded: quotes the customer"', ""), "rubric.q2.grounded"),
    ("rubric for an autograded question", GOOD_MANIFEST + '[rubric.q1.tidy]\npoints = 3\n'
     'competencies = { metrics = 1.0 }\nsays = "Tidy"\n', "rubric.q1"),
]


@pytest.fixture
def course_folder(tmp_path):
    """A folder laid out like ``assignments/``: ``source/sample/sample.ipynb``, manifest to be written."""
    write_sample_assignment(tmp_path / "source", "sample")
    return tmp_path


def test_a_valid_manifest_loads_with_its_rubric(course_folder):
    (course_folder / "sample.toml").write_text(GOOD_MANIFEST)
    manifest = rule.load_manifest(course_folder / "sample.toml")
    declared = tomllib.loads(GOOD_MANIFEST)
    assert manifest.questions == declared["competencies"]
    assert {c.id: c.points for c in manifest.rubrics["q2"]} == {
        criterion: spec["points"] for criterion, spec in declared["rubric"]["q2"].items()}


@pytest.mark.parametrize(("case", "text", "item"), BROKEN, ids=[case for case, _, _ in BROKEN])
def test_a_broken_manifest_is_refused_naming_file_and_item(course_folder, case, text, item):
    path = course_folder / "sample.toml"
    path.write_text(text)
    with pytest.raises(rule.ManifestError) as refused:
        rule.load_manifest(path)
    message = str(refused.value)
    assert str(path) in message, message
    assert re.search(rf"(?<![\w.]){re.escape(item)}(?![\w.])", message), f"{case}: {message}"


def test_a_missing_manifest_is_refused_naming_the_file(course_folder):
    with pytest.raises(rule.ManifestError, match="sample.toml"):
        rule.load_manifests(course_folder, ["sample"])


@pytest.mark.parametrize("assignment", assignments())
def test_every_shipped_manifest_validates_and_every_written_answer_has_a_rubric(assignment):
    manifest = rule.load_manifest(REPO / "assignments" / f"{assignment}.toml")
    cells = rule.graded_cells(REPO / "assignments" / "source" / assignment / f"{assignment}.ipynb")
    written = {rule.question_of(cell.grade_id) for cell in cells if cell.manual}
    assert set(manifest.rubrics) == written, "every written answer's rubric criteria map to competencies"


# A labelled fixture in the gradebook's layout: two assignments that share the sample's manifest.
# "ana" has every cell graded; "bo" waits for both written answers' manual grades; "cy" handed
# in nothing.
FIXTURE_SCORES = pd.DataFrame(
    [("ana", "sample", "q1_type", "autograded", 1.0, 1.0, False),
     ("ana", "sample", "q1_value", "autograded", 1.0, 2.0, False),
     ("ana", "sample", "q2_written", "manual", 1.0, 2.0, False),
     ("ana", "sample_again", "q1_type", "autograded", 0.0, 1.0, False),
     ("ana", "sample_again", "q1_value", "autograded", 0.0, 2.0, False),
     ("ana", "sample_again", "q2_written", "manual", 2.0, 2.0, False),
     ("bo", "sample", "q1_type", "autograded", 1.0, 1.0, False),
     ("bo", "sample", "q1_value", "autograded", 2.0, 2.0, False),
     ("bo", "sample", "q2_written", "manual", 0.0, 2.0, True),
     ("bo", "sample_again", "q1_type", "autograded", 1.0, 1.0, False),
     ("bo", "sample_again", "q1_value", "autograded", 0.0, 2.0, False),
     ("bo", "sample_again", "q2_written", "manual", 0.0, 2.0, True)],
    columns=rule.SCORE_COLUMNS)


@pytest.fixture
def manifests(course_folder):
    (course_folder / "sample.toml").write_text(GOOD_MANIFEST)
    manifest = rule.load_manifest(course_folder / "sample.toml")
    return {"sample": manifest, "sample_again": manifest}


def _expected_points(learner: str, competency: str) -> tuple[float, float]:
    """Weighted points earned and available, straight from the fixture and the manifest's text."""
    declared = tomllib.loads(GOOD_MANIFEST)
    criteria = declared["rubric"]["q2"]
    rubric_points = sum(spec["points"] for spec in criteria.values())
    earned = available = 0.0
    for row in FIXTURE_SCORES[(FIXTURE_SCORES.learner == learner) & ~FIXTURE_SCORES.needs_manual_grade].itertuples():
        if row.kind == "autograded":
            weights = [(declared["competencies"]["q1"].get(competency, 0.0), 1.0)]
        else:
            weights = [(spec["competencies"].get(competency, 0.0), spec["points"] / rubric_points)
                       for spec in criteria.values()]
        for weight, share in weights:
            earned += weight * share * row.score
            available += weight * share * row.max_score
    return earned, available


def test_scores_follow_the_rule_and_thin_evidence_is_not_yet_assessed(manifests):
    profiles = rule.profiles(FIXTURE_SCORES, manifests)
    for learner, learner_profile in profiles.items():
        for competency in COMPETENCIES:
            earned, available = _expected_points(learner, competency)
            expected = round(1 + 9 * earned / available, 1) if available >= rule.MIN_EVIDENCE_POINTS else None
            assert learner_profile.score(competency) == expected, (learner, competency)
            assert learner_profile.competencies[competency].available == pytest.approx(available)
    assert profiles["ana"].score("strategy") is None, "0.6 weighted points are too little evidence to score"
    assert profiles["bo"].score("leadership") is None, "a written answer awaiting its grade is not evidence"


def test_a_learner_without_any_graded_work_is_not_yet_assessed_anywhere(manifests):
    evidence = rule.evidence_table(FIXTURE_SCORES, manifests)
    nobody = rule.profile_of("cy", evidence)
    assert [nobody.score(c) for c in COMPETENCIES] == [None] * len(COMPETENCIES)
    assert nobody.next_steps == ()


def test_next_steps_are_the_items_that_raise_the_weakest_competency_most(manifests):
    ana = rule.profiles(FIXTURE_SCORES, manifests)["ana"]
    assessed = {c: ana.score(c) for c in COMPETENCIES if ana.score(c) is not None}
    weakest = ana.competencies[min(assessed, key=assessed.get)]
    gains = sorted((-e.weight * (e.available - e.earned), e.assignment, e.item) for e in weakest.evidence
                   if e.available > e.earned)
    assert [(step.assignment, step.item) for step in ana.next_steps] == [
        (assignment, item) for _, assignment, item in gains[:rule.NEXT_STEPS]]
    for step in ana.next_steps:
        item = next(e for e in weakest.evidence if (e.assignment, e.item) == (step.assignment, step.item))
        raised = (weakest.earned + item.weight * (item.available - item.earned)) / weakest.available
        assert (step.competency, step.score_now, step.score_after) == (
            weakest.competency, weakest.score, round(1 + 9 * raised, 1))


def test_profile_json_round_trips_and_the_newest_file_wins(manifests, tmp_path):
    profiles = rule.profiles(FIXTURE_SCORES, manifests)
    older = rule.save(profiles["ana"], tmp_path / "m01" / "feedback" / "2026-01-01" / rule.PROFILE_FILE)
    newer = rule.save(profiles["bo"], tmp_path / "m02" / "feedback" / "2026-02-01" / rule.PROFILE_FILE)
    record = json.loads(older.read_text())
    record["generated_at"] = "2000-01-01T00:00:00+00:00"
    older.write_text(json.dumps(record))
    assert rule.load(newer) == profiles["bo"]
    assert rule.find_profile([tmp_path]) == newer
    assert rule.learner_profile([tmp_path]).learner == "bo"


FEEDBACK_PAGE = "<html><head><title>problem</title></head><body><h1>Feedback</h1></body></html>"


def test_a_fetched_feedback_page_carries_the_profile_to_the_learner(manifests, tmp_path):
    """nbgrader's exchange moves only feedback pages, so the profile must travel inside one."""
    learner_profile = rule.profiles(FIXTURE_SCORES, manifests)["ana"]
    page = tmp_path / "sample" / "feedback" / "2026-03-01 10:00:00.000000 UTC" / "sample.ipynb.html"
    page.parent.mkdir(parents=True)
    page.write_text(FEEDBACK_PAGE)
    rule.embed_in_feedback(learner_profile, page)
    rule.embed_in_feedback(learner_profile, page)  # run again after a new grade: one section, replaced
    html = page.read_text()
    assert html.count('id="cx-competency-profile"') == 1 and html.index("<h1>Feedback</h1>") < html.index("</table>")
    assert rule.find_profile([tmp_path]) == page
    assert rule.learner_profile([tmp_path]) == learner_profile
    shown = [learner_profile.score(c) for c in COMPETENCIES]
    cells = re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td></tr>", html)
    assert cells == [t("profile.not_assessed") if score is None else f"{score:g}" for score in shown]


def test_a_learner_name_cannot_break_out_of_the_feedback_page(manifests, tmp_path):
    learner_profile = replace(rule.profiles(FIXTURE_SCORES, manifests)["ana"], learner="</script><img src=x onerror=alert(1)>")
    page = tmp_path / "page.html"
    page.write_text(FEEDBACK_PAGE)
    html = rule.embed_in_feedback(learner_profile, page).read_text()
    assert "<img" not in html and html.count("</script>") == 1
    assert rule.load(page).learner == learner_profile.learner


def test_without_a_profile_of_their_own_the_learner_sees_the_labelled_demo(tmp_path):
    shown = rule.learner_profile([tmp_path])
    assert shown.demo and "demo" in shown.learner.lower()


def test_the_shipped_demo_profile_follows_the_rule_from_its_own_evidence():
    demo = rule.load(rule.DEMO_PROFILE)
    for competency, scored in demo.competencies.items():
        earned = sum(e.weight * e.earned for e in scored.evidence)
        available = sum(e.weight * e.available for e in scored.evidence)
        assert scored.score == rule.score_of(earned, available), competency
    assert any(s.score is not None for s in demo.competencies.values())


def test_the_radar_draws_evidence_and_self_assessment_and_names_what_is_not_assessed(manifests):
    ana = rule.profiles(FIXTURE_SCORES, manifests)["ana"]
    ratings = {c: rank + 2 for rank, c in enumerate(COMPETENCIES)}
    figure = rule.radar(ana, ratings)
    axes = figure.axes[0]
    evidence_line, self_line = axes.get_lines()
    drawn = list(evidence_line.get_ydata())[:-1]
    assert [None if math.isnan(v) else v for v in drawn] == [ana.score(c) for c in COMPETENCIES]
    assert list(self_line.get_ydata())[:-1] == [ratings[c] for c in COMPETENCIES]
    labels = [label.get_text() for label in axes.get_xticklabels()]
    assert [("not yet assessed" in label) for label in labels] == [ana.score(c) is None for c in COMPETENCIES]
    description = rule.describe(ana, ratings)
    assert all(f"you rated yourself {ratings[c]}" in description for c in COMPETENCIES)
    plt.close(figure)


def test_the_learner_tables_show_not_yet_assessed_never_a_number(manifests):
    ana = rule.profiles(FIXTURE_SCORES, manifests)["ana"]
    summary = rule.summary_frame(ana)
    shown = dict(zip(summary.iloc[:, 0], summary.iloc[:, 1]))
    assert [shown[name] == "not yet assessed" for name in shown] == [ana.score(c) is None for c in COMPETENCIES]
    assert len(rule.evidence_frame(ana)) == sum(len(s.evidence) for s in ana.competencies.values())
