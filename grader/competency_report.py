"""The cohort's competency profiles for instructors and academies, and each learner's ``profile.json``.

Every learner's six 1–10 scores come from ``cxacademy.profile`` (its docstring states the rule),
computed from the gradebook of every released assignment with the competency manifests
``<course>/<assignment>.toml``. This module shows them for a cohort: a heatmap (learners ×
competencies), the distribution per competency, and who is ready for which role, in
``reports/competencies.html`` and ``reports/competencies.csv``; and it writes each learner's
profile into their feedback folder (``feedback/<learner>/<assignment>/profile.json``), where
lesson 05-04 reads it once the learner has it.

Role readiness (:data:`ROLES`): a learner is *ready* for a role when every competency the role
names is assessed and at or above its threshold; *not yet assessed* when one of them has too
little evidence; otherwise *not yet*, naming the competencies below their threshold. The
thresholds follow what each role does daily: a CX analyst researches and measures; a journey
manager designs journeys from research and runs them; a CX director needs all six, strategy and
leadership most.

Learner ids are what learners' folder names made them: the HTML is rendered with autoescape on
and every value through ``grader.safe_text.one_line`` (``grader.report``'s environment), figure
labels through ``one_line``, and every CSV cell through ``spreadsheet_cell``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cxacademy import profile as rule
from cxacademy.competencies import COMPETENCIES, competency_name
from cxacademy.profile import ManifestError, Profile
from grader.course import Course, GradingError
from grader.report import _environment, _png
from grader.safe_text import one_line, spreadsheet_cell

#: Role → the competencies it needs and the lowest score (1–10) that counts as ready.
ROLES: dict[str, dict[str, float]] = {
    "CX analyst": {"research": 6.0, "metrics": 6.0},
    "Journey manager": {"journey": 6.0, "research": 5.0, "operations": 5.0},
    "CX director": {"research": 6.0, "journey": 6.0, "operations": 6.0, "metrics": 6.0,
                    "strategy": 7.0, "leadership": 7.0},
}
READY, NOT_YET, NOT_ASSESSED = "ready", "not yet", "not yet assessed"
LABEL_CHARS = 40


@dataclass(frozen=True)
class CompetencyReport:
    """What ``cx-grader competencies`` produced."""

    profiles: dict[str, Profile]
    html: Path
    csv: Path
    learner_files: list[Path]


def graded_assignments(course: Course) -> list[str]:
    """Assignments the gradebook knows (released at least once), in the course's order."""
    return [name for name in course.assignments() if not course.grade_cells(name).empty]


def cohort_scores(course: Course, assignments: list[str]) -> pd.DataFrame:
    """Every learner's graded cells of every assignment, in ``cxacademy.profile.SCORE_COLUMNS``."""
    frames = [course.scores(name).assign(assignment=name) for name in assignments]
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        raise GradingError("No learner has been graded yet: autograde an assignment first "
                           "(cx-grader autograde ASSIGNMENT), then profile the cohort.")
    return pd.concat(frames, ignore_index=True)[rule.SCORE_COLUMNS]


def cohort_profiles(course: Course, progress: Callable[[list[str]], Iterable[str]] = iter) -> dict[str, Profile]:
    """Every graded learner's profile; ``progress`` may wrap the learners in a progress bar."""
    assignments = graded_assignments(course)
    scores = cohort_scores(course, assignments)
    try:
        manifests = rule.load_manifests(course.root, assignments)
        return rule.profiles(scores, manifests, progress(sorted(set(scores["learner"]))))
    except ManifestError as error:
        raise GradingError(str(error)) from error


def readiness(profile: Profile) -> dict[str, str]:
    """Per role: ready, not yet (naming what is short), or not yet assessed (naming what lacks evidence)."""
    verdicts = {}
    for role, needs in ROLES.items():
        unassessed = [c for c in needs if profile.score(c) is None]
        short = [f"{c} {profile.score(c):g} < {needs[c]:g}" for c in needs
                 if c not in unassessed and profile.score(c) < needs[c]]
        if unassessed:
            verdicts[role] = f"{NOT_ASSESSED}: {', '.join(unassessed)}"
        elif short:
            verdicts[role] = f"{NOT_YET}: {', '.join(short)}"
        else:
            verdicts[role] = READY
    return verdicts


def score_table(profiles: dict[str, Profile]) -> pd.DataFrame:
    """Learners × competencies, scores 1–10 with NaN where not yet assessed."""
    rows = {learner: [p.score(c) for c in COMPETENCIES] for learner, p in profiles.items()}
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(COMPETENCIES), dtype=float)


def write_learner_profiles(course: Course, profiles: dict[str, Profile]) -> list[Path]:
    """Put each learner's profile into every feedback folder of theirs: as profile.json and in each page.

    The pages are what nbgrader's exchange carries to the learner (``cx-grader competencies``
    publishes them again), so the profile reaches a learner on JupyterHub too.
    """
    written = []
    for learner, learner_profile in profiles.items():
        for assignment in graded_assignments(course):
            folder = course.step_dir(course.coursedir.feedback_directory, assignment, learner)
            if folder.is_dir():
                written.append(rule.save(learner_profile, folder / rule.PROFILE_FILE))
                for page in sorted(folder.glob("*.html")):
                    rule.embed_in_feedback(learner_profile, page)
    return written


def csv_table(profiles: dict[str, Profile]) -> pd.DataFrame:
    """One row per learner: each competency's score and weighted points, then each role's verdict."""
    rows = []
    for learner, p in profiles.items():
        row = {"learner": learner}
        for c, s in p.competencies.items():
            row |= {c: s.score, f"{c}_earned": round(s.earned, 3), f"{c}_available": round(s.available, 3)}
        rows.append(row | {f"role: {role}": verdict for role, verdict in readiness(p).items()})
    return pd.DataFrame(rows)


def distribution(scores: pd.DataFrame) -> list[dict]:
    """Per competency: how many learners are assessed, their median, lowest and highest, and how many are not."""
    return [{"competency": competency_name(c), "assessed": int(scores[c].notna().sum()),
             "not_assessed": int(scores[c].isna().sum()), "median": scores[c].median(),
             "lowest": scores[c].min(), "highest": scores[c].max()} for c in COMPETENCIES]


def _heatmap(scores: pd.DataFrame) -> Figure:
    """Learners × competencies coloured by score; a grey "n/a" cell is not yet assessed."""
    figure = Figure(figsize=(8, 0.4 * len(scores) + 2.2))
    axes = figure.subplots()
    image = axes.imshow(np.ma.masked_invalid(scores.to_numpy()), cmap="RdYlGn", vmin=1, vmax=10, aspect="auto")
    axes.set_facecolor("#bdbdbd")
    for (row, column), value in np.ndenumerate(scores.to_numpy()):
        axes.text(column, row, "n/a" if np.isnan(value) else f"{value:g}", ha="center", va="center", fontsize=8)
    axes.set_xticks(range(len(COMPETENCIES)), [competency_name(c) for c in COMPETENCIES],
                    rotation=30, ha="right", fontsize=8)
    axes.set_yticks(range(len(scores)), [one_line(name, limit=LABEL_CHARS) for name in scores.index], fontsize=8)
    figure.colorbar(image, ax=axes, label="score (1–10)")
    return figure


def _distribution_figure(scores: pd.DataFrame) -> Figure:
    """Each competency's assessed scores as a box with the learners as dots."""
    figure = Figure(figsize=(8, 3.5))
    axes = figure.subplots()
    columns = [scores[c].dropna().to_numpy() for c in COMPETENCIES]
    axes.boxplot([values if len(values) else [np.nan] for values in columns], widths=0.5)
    for position, values in enumerate(columns, start=1):
        axes.scatter(np.full(len(values), position), values, color="#1565c0", alpha=0.6, zorder=3)
    axes.set_xticks(range(1, len(COMPETENCIES) + 1), [competency_name(c) for c in COMPETENCIES],
                    rotation=30, ha="right", fontsize=8)
    axes.set_ylim(0.5, 10.5)
    axes.set_ylabel("score (1–10)")
    return figure


def write_competency_report(course: Course, profiles: dict[str, Profile]) -> tuple[Path, Path]:
    """Render ``reports/competencies.html`` and ``reports/competencies.csv``; return their paths."""
    folder = course.root / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    scores = score_table(profiles)
    html = _environment().get_template("competency_report.html.j2").render(
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        assignments=graded_assignments(course),
        competencies=[competency_name(c) for c in COMPETENCIES],
        rows=[{"learner": learner, "scores": [p.score(c) for c in COMPETENCIES], "roles": readiness(p)}
              for learner, p in profiles.items()],
        roles=ROLES, names={c: competency_name(c) for c in COMPETENCIES},
        heatmap=_png(_heatmap(scores)) if profiles else None,
        distribution_plot=_png(_distribution_figure(scores)) if profiles else None,
        distribution=distribution(scores),
        minimum=rule.MIN_EVIDENCE_POINTS,
    )
    html_path, csv_path = folder / "competencies.html", folder / "competencies.csv"
    html_path.write_text(html, encoding="utf-8")
    csv_table(profiles).map(spreadsheet_cell).to_csv(csv_path, index=False)
    return html_path, csv_path


def run(course: Course, progress: Callable[[list[str]], Iterable[str]] = iter) -> CompetencyReport:
    """Profile the cohort, write the report and CSV, and put each learner's profile into their feedback."""
    profiles = cohort_profiles(course, progress)
    html, csv = write_competency_report(course, profiles)
    return CompetencyReport(profiles, html, csv, write_learner_profiles(course, profiles))


def learner_lines(learner_profile: Profile) -> list[str]:
    """One learner's profile as terminal lines: each score with its evidence, then the next steps."""
    lines = []
    for competency, scored in learner_profile.competencies.items():
        shown = NOT_ASSESSED if scored.score is None else f"{scored.score:g}"
        lines.append(f"{competency_name(competency)}: {shown} "
                     f"({scored.earned:.2f} of {scored.available:.2f} weighted points, {len(scored.evidence)} items)")
        lines += [f"    {e.assignment} {e.item}: {e.earned:g} / {e.available:g} points × weight {e.weight:g}"
                  for e in scored.evidence]
    lines += [f"next step: {s.assignment} {s.item} — {s.missed:g} point(s) missed; {competency_name(s.competency)} "
              f"{s.score_now:g} → {s.score_after:g}" for s in learner_profile.next_steps]
    return lines
