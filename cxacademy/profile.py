"""A learner's competency profile: the six competencies on 1–10, each with the evidence behind it.

Shared by the grader (``cx-grader competencies`` computes every learner's profile from the
gradebook and writes ``profile.json`` into their feedback folder) and the learner's notebook
(lesson 05-04 reads that file and draws it beside the Module 03 self-assessment), so both
sides show the same numbers from one rule.

Manifest (``assignments/<assignment>.toml``)
--------------------------------------------
``[competencies]`` maps each graded question (grade_id prefix ``qN``) to competency weights
that sum to 1. A written answer graded with a rubric adds one table per criterion::

    [rubric.q6.owns_it]
    points = 1.0
    competencies = { leadership = 0.6, research = 0.4 }
    says = "takes responsibility without blaming the customer"

whose ``points`` sum to the written answer's points. :func:`load_manifest` refuses, naming the
file and the item, an unknown competency, weights that do not sum to 1, a graded question or
criterion with no competencies, and criteria whose points do not add up to the cell's.

The rule
--------
1. *Evidence* is every graded cell with a score. A written answer still waiting for a person's
   grade is not evidence yet, and an assignment the learner has not handed in is no evidence:
   neither counts as 0.
2. An autograded question's points count for its competencies by the question's weights.
   A written answer with a rubric counts per criterion: nbgrader keeps one score per cell, so
   the cell's score is shared among its criteria in proportion to their points (a criterion
   worth 2 of 5 points gets 2/5 of the score), then each criterion's share goes to its own
   competencies by its weights. That is honest about what is recorded: the criteria of one
   answer share its average, since the instructor grades the cell as a whole.
3. Per competency, *available* is the sum of weight × points available over the evidence and
   *earned* the sum of weight × points earned; the score is ``1 + 9 × earned / available``,
   rounded to one decimal (all points earned → 10, none → 1).
4. A competency with fewer than :data:`MIN_EVIDENCE_POINTS` weighted points available is
   *not yet assessed* (``None``): with less, one small question would swing it from 1 to 10.
5. *Next steps*: among the items behind the weakest assessed competency, the two whose missed
   points would raise it most if earned in full (the gain is weight × points missed).

File format of ``profile.json`` (UTF-8 JSON, one object): ``format`` (1), ``learner``,
``generated_at`` (ISO 8601, UTC), ``demo`` (true only for the course's demo learner),
``competencies`` (each id of ``cxacademy.competencies.COMPETENCIES`` → ``score`` (or null),
``earned``, ``available`` and ``evidence``: a list of ``assignment``, ``item``, ``label``,
``weight``, ``earned``, ``available``, the item's own points before weighting), and
``next_steps`` (``assignment``, ``item``, ``label``, ``competency``, ``missed``,
``score_now``, ``score_after``).
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from cxacademy.competencies import COMPETENCIES, competency_name, question_of
from cxacademy.plots import show
from cxacademy.text import t

FORMAT = 1
LOWEST, HIGHEST = 1.0, 10.0
#: Fewer weighted points than this behind a competency and it is "not yet assessed".
MIN_EVIDENCE_POINTS = 3.0
NEXT_STEPS = 2
PROFILE_FILE = "profile.json"
#: The demo learner shown until a learner has a profile of their own: ``ben_partial`` of ``make demo``
#: (all four assignments autograded; the Module 01 reply graded 0 of 5 by hand against its rubric,
#: the other written answers still awaiting a grade), relabelled with ``demo`` true.
DEMO_PROFILE = Path(__file__).with_name("demo_profile.json")
#: Columns of the scores table the rule reads (``grader.course.Course.scores`` plus ``assignment``).
SCORE_COLUMNS = ["learner", "assignment", "cell", "kind", "score", "max_score", "needs_manual_grade"]
_KEY = "profile"
#: The profile section ``embed_in_feedback`` adds to a feedback page, and the data inside it.
_SECTION_START, _SECTION_END = "<!-- cx-competency-profile -->", "<!-- /cx-competency-profile -->"
_FEEDBACK_SECTION = re.compile(re.escape(_SECTION_START) + ".*?" + re.escape(_SECTION_END), re.DOTALL)
_FEEDBACK_DATA = re.compile(r'<script type="application/json" id="cx-competency-profile">(.*?)</script>', re.DOTALL)


class ManifestError(ValueError):
    """A competency manifest that cannot be used; the message names the file and the item."""


@dataclass(frozen=True)
class Criterion:
    """One line of a written answer's rubric and the competencies it evidences."""

    id: str
    points: float
    competencies: dict[str, float]
    says: str


@dataclass(frozen=True)
class Part:
    """What a group of graded cells counts as: an item, its share of the cells' points, its weights."""

    item: str
    label: str
    share: float
    competencies: dict[str, float]


@dataclass(frozen=True)
class Manifest:
    """An assignment's validated declarations: question weights and rubric criteria."""

    assignment: str
    title: str
    questions: dict[str, dict[str, float]]
    rubrics: dict[str, tuple[Criterion, ...]]

    def parts(self, question: str, kind: str) -> list[Part]:
        """The items a question's cells of one kind (autograded/manual) count as."""
        name = f"{question.upper()} · {self.title}"
        criteria = self.rubrics.get(question, ()) if kind == "manual" else ()
        if not criteria:
            return [Part(question, name, 1.0, self.questions[question])]
        total = sum(criterion.points for criterion in criteria)
        return [Part(f"{question}.{c.id}", f"{name}: {c.says}", c.points / total, c.competencies)
                for c in criteria]


@dataclass(frozen=True)
class GradedCell:
    """A graded cell as the source notebook declares it."""

    grade_id: str
    points: float
    manual: bool


def graded_cells(notebook: Path) -> list[GradedCell]:
    """The graded cells of an nbgrader source notebook (read as JSON: no nbgrader needed)."""
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    found = []
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            manual = cell.get("cell_type") != "code" or bool(meta.get("solution"))
            found.append(GradedCell(meta["grade_id"], float(meta.get("points", 0)), manual))
    return found


def load_manifest(path: Path, notebook: Path | None = None) -> Manifest:
    """Read and validate ``assignments/<assignment>.toml`` against its source notebook.

    ``notebook`` defaults to ``source/<assignment>/<assignment>.ipynb`` beside the manifest.
    """
    path = Path(path)
    assignment = path.stem
    notebook = notebook or path.parent / "source" / assignment / f"{assignment}.ipynb"
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    cells = graded_cells(notebook)
    questions = {question: _weights(path, question, weights)
                 for question, weights in raw.get("competencies", {}).items()}
    _check_questions(path, questions, cells)
    rubrics = {question: _criteria(path, question, table, cells)
               for question, table in raw.get("rubric", {}).items()}
    return Manifest(assignment, raw.get("title", assignment), questions, rubrics)


def load_manifests(folder: Path, assignments: Iterable[str]) -> dict[str, Manifest]:
    """The validated manifests of ``assignments`` from a course folder (``folder/<assignment>.toml``)."""
    manifests = {}
    for assignment in assignments:
        path = Path(folder) / f"{assignment}.toml"
        if not path.is_file():
            raise ManifestError(t(f"{_KEY}.manifest.missing", file=path))
        manifests[assignment] = load_manifest(path)
    return manifests


def _weights(path: Path, item: str, weights: object) -> dict[str, float]:
    """Competency weights of one item, checked: known ids, at least one, summing to 1."""
    if not isinstance(weights, dict) or not weights:
        raise ManifestError(t(f"{_KEY}.manifest.no_competencies", file=path, item=item))
    unknown = sorted(set(weights) - set(COMPETENCIES))
    if unknown:
        raise ManifestError(t(f"{_KEY}.manifest.unknown_competency", file=path, item=item,
                              unknown=", ".join(unknown), known=", ".join(COMPETENCIES)))
    total = sum(float(weight) for weight in weights.values())
    if not math.isclose(total, 1.0, abs_tol=1e-9):
        raise ManifestError(t(f"{_KEY}.manifest.weights_sum", file=path, item=item, total=f"{total:g}"))
    return {competency: float(weight) for competency, weight in weights.items()}


def _check_questions(path: Path, questions: dict[str, dict[str, float]], cells: list[GradedCell]) -> None:
    """Every graded question of the notebook declared, and nothing declared that is not graded."""
    graded = list(dict.fromkeys(question_of(cell.grade_id) for cell in cells))
    for question in graded:
        if question not in questions:
            raise ManifestError(t(f"{_KEY}.manifest.no_competencies", file=path, item=question))
    for question in questions:
        if question not in graded:
            raise ManifestError(t(f"{_KEY}.manifest.not_graded", file=path, item=question))


def _criteria(path: Path, question: str, table: object, cells: list[GradedCell]) -> tuple[Criterion, ...]:
    """A question's rubric criteria, checked: weights as above, points adding up to the written cells'."""
    manual_points = sum(cell.points for cell in cells if cell.manual and question_of(cell.grade_id) == question)
    if not manual_points:
        raise ManifestError(t(f"{_KEY}.manifest.rubric_without_answer", file=path, item=question))
    criteria = []
    for criterion_id, spec in (table if isinstance(table, dict) else {}).items():
        item = f"rubric.{question}.{criterion_id}"
        points = spec.get("points")
        if isinstance(points, bool) or not isinstance(points, int | float) or points <= 0:
            raise ManifestError(t(f"{_KEY}.manifest.criterion_points", file=path, item=item))
        weights = _weights(path, item, spec.get("competencies"))
        says = str(spec.get("says", "")).strip()
        if not says:
            raise ManifestError(t(f"{_KEY}.manifest.criterion_says", file=path, item=item))
        criteria.append(Criterion(criterion_id, float(points), weights, says))
    total = sum(criterion.points for criterion in criteria)
    if not math.isclose(total, manual_points, abs_tol=1e-9):
        raise ManifestError(t(f"{_KEY}.manifest.criteria_points", file=path, item=f"rubric.{question}",
                              total=f"{total:g}", points=f"{manual_points:g}"))
    return tuple(criteria)


@dataclass(frozen=True)
class Evidence:
    """One item behind a competency: the item's own points and the weight they count with."""

    assignment: str
    item: str
    label: str
    weight: float
    earned: float
    available: float


@dataclass(frozen=True)
class CompetencyScore:
    """A competency's 1–10 score (None: not yet assessed), its weighted points and their evidence."""

    competency: str
    score: float | None
    earned: float
    available: float
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class NextStep:
    """An item whose missed points, earned in full, would raise the weakest competency the most."""

    assignment: str
    item: str
    label: str
    competency: str
    missed: float
    score_now: float
    score_after: float


@dataclass(frozen=True)
class Profile:
    """One learner's profile: a score per competency, in the course's order, and the next steps."""

    learner: str
    competencies: dict[str, CompetencyScore]
    next_steps: tuple[NextStep, ...]
    generated_at: str = ""
    demo: bool = False

    def score(self, competency: str) -> float | None:
        """The competency's 1–10 score, or None when it is not yet assessed."""
        return self.competencies[competency].score

    def to_dict(self) -> dict:
        """The documented ``profile.json`` layout."""
        return {"format": FORMAT, "learner": self.learner, "generated_at": self.generated_at,
                "demo": self.demo,
                "competencies": {c: {key: value for key, value in asdict(s).items() if key != "competency"}
                                 for c, s in self.competencies.items()},
                "next_steps": [asdict(step) for step in self.next_steps]}

    @classmethod
    def from_dict(cls, record: Mapping) -> Profile:
        """A profile read back from its ``profile.json`` layout."""
        if record.get("format") != FORMAT:
            raise ValueError(t(f"{_KEY}.unknown_format", format=record.get("format")))
        competencies = {c: CompetencyScore(c, s["score"], s["earned"], s["available"],
                                           tuple(Evidence(**e) for e in s["evidence"]))
                        for c, s in record["competencies"].items()}
        return cls(record["learner"], {c: competencies[c] for c in COMPETENCIES},
                   tuple(NextStep(**step) for step in record["next_steps"]),
                   record.get("generated_at", ""), bool(record.get("demo", False)))


def score_of(earned: float, available: float) -> float | None:
    """The rule: ``1 + 9 × earned / available`` to one decimal, or None below the minimum of evidence."""
    if available < MIN_EVIDENCE_POINTS:
        return None
    return round(LOWEST + (HIGHEST - LOWEST) * earned / available, 1)


def evidence_table(scores: pd.DataFrame, manifests: Mapping[str, Manifest]) -> pd.DataFrame:
    """Learner × item × competency rows of points earned and available, from a gradebook's scores.

    ``scores`` has :data:`SCORE_COLUMNS`; cells awaiting a manual grade are left out (not evidence yet).
    """
    missing = sorted(set(scores["assignment"]) - set(manifests))
    if missing:
        raise ManifestError(t(f"{_KEY}.manifest.missing", file=", ".join(f"{a}.toml" for a in missing)))
    scored = scores[~scores["needs_manual_grade"].astype(bool)].assign(question=scores["cell"].map(question_of))
    rows = []
    keys = ["learner", "assignment", "question", "kind"]
    for (learner, assignment, question, kind), cells in scored.groupby(keys, sort=False):
        earned, available = float(cells["score"].sum()), float(cells["max_score"].sum())
        for part in manifests[assignment].parts(question, kind):
            for competency, weight in part.competencies.items():
                rows.append((learner, assignment, part.item, part.label, competency, weight,
                             part.share * earned, part.share * available))
    return pd.DataFrame(rows, columns=["learner", "assignment", "item", "label", "competency",
                                       "weight", "earned", "available"])


def profile_of(learner: str, evidence: pd.DataFrame) -> Profile:
    """One learner's profile from their rows of :func:`evidence_table`."""
    mine = evidence[evidence["learner"] == learner]
    competencies = {}
    for competency in COMPETENCIES:
        rows = mine[mine["competency"] == competency]
        items = tuple(Evidence(r.assignment, r.item, r.label, float(r.weight), float(r.earned), float(r.available))
                      for r in rows.itertuples())
        earned = sum(e.weight * e.earned for e in items)
        available = sum(e.weight * e.available for e in items)
        competencies[competency] = CompetencyScore(competency, score_of(earned, available), earned, available, items)
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    return Profile(learner, competencies, _next_steps(competencies), generated)


def profiles(scores: pd.DataFrame, manifests: Mapping[str, Manifest],
             learners: Iterable[str] | None = None) -> dict[str, Profile]:
    """Every learner's profile (``learners`` may wrap the list, e.g. in a progress bar)."""
    evidence = evidence_table(scores, manifests)
    names = learners if learners is not None else sorted(set(scores["learner"]))
    return {learner: profile_of(learner, evidence) for learner in names}


def _next_steps(competencies: Mapping[str, CompetencyScore]) -> tuple[NextStep, ...]:
    """The items that would raise the weakest assessed competency most, if their missed points were earned."""
    assessed = [c for c in COMPETENCIES if competencies[c].score is not None]
    if not assessed:
        return ()
    weakest = competencies[min(assessed, key=lambda c: competencies[c].score)]
    missing = sorted((e for e in weakest.evidence if e.available > e.earned),
                     key=lambda e: (-e.weight * (e.available - e.earned), e.assignment, e.item))
    return tuple(NextStep(e.assignment, e.item, e.label, weakest.competency, e.available - e.earned, weakest.score,
                          score_of(weakest.earned + e.weight * (e.available - e.earned), weakest.available))
                 for e in missing[:NEXT_STEPS])


def save(profile: Profile, path: Path) -> Path:
    """Write ``profile`` as ``profile.json`` in the documented format."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(profile.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load(path: Path) -> Profile:
    """A profile from a ``profile.json`` file, or from a feedback page that carries one."""
    text = Path(path).read_text(encoding="utf-8")
    if Path(path).suffix == ".html":
        return Profile.from_dict(json.loads(_FEEDBACK_DATA.search(text).group(1)))
    return Profile.from_dict(json.loads(text))


def embed_in_feedback(profile: Profile, page: Path) -> Path:
    """Add (or replace) the profile section of a feedback page: a readable table and the data.

    nbgrader's exchange carries only a notebook's feedback HTML to the learner, never other
    files, so the profile travels inside that page: the learner reads it there, and lesson
    05-04 reads the data back from the fetched page.
    """
    html = _FEEDBACK_SECTION.sub("", page.read_text(encoding="utf-8"))
    rows = "".join(f"<tr><td>{escape(competency_name(c))}</td><td>{_score_text(profile.score(c))}</td></tr>"
                   for c in COMPETENCIES)
    # No "<", ">" or "&" inside the script element: the data can never end it or start a tag.
    data = json.dumps(profile.to_dict()).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    section = (f'{_SECTION_START}<section style="margin:2em"><h2>{escape(t(f"{_KEY}.feedback_title"))}</h2>'
               f"<p>{escape(t(f'{_KEY}.feedback_note', generated=profile.generated_at))}</p>"
               f"<table>{rows}</table>"
               f'<script type="application/json" id="cx-competency-profile">{data}</script></section>{_SECTION_END}')
    closing = html.rfind("</body>")
    page.write_text(html[:closing] + section + html[closing:] if closing >= 0 else html + section, encoding="utf-8")
    return page


def _score_text(score: float | None) -> str:
    return escape(t(f"{_KEY}.not_assessed")) if score is None else f"{score:g}"


def find_profile(folders: Iterable[Path]) -> Path | None:
    """The newest ``profile.json`` in the learner's folders.

    Looked for where fetched feedback lands (``<assignment>/feedback/<time>/``: a ``profile.json``
    or a feedback page carrying one) and directly in each folder; the newest by its ``generated_at`` wins, since every assignment's
    feedback carries the profile as it stood when that feedback was written.
    """
    found = [path for folder in folders if Path(folder).is_dir()
             for pattern in (PROFILE_FILE, f"*/feedback/*/{PROFILE_FILE}", "*/feedback/*/*.html")
             for path in Path(folder).glob(pattern)
             if path.suffix != ".html" or _FEEDBACK_DATA.search(path.read_text(encoding="utf-8", errors="replace"))]
    return max(found, key=lambda path: load(path).generated_at, default=None)


def learner_profile(folders: Iterable[Path]) -> Profile:
    """The learner's own newest profile, or the course's demo learner's (``demo`` is then True)."""
    found = find_profile(folders)
    return load(found) if found else load(DEMO_PROFILE)


def radar(profile: Profile, self_ratings: Mapping[str, int] | None = None) -> Figure:
    """A radar of what the graded work shows, with the self-assessment overlaid when there is one.

    A competency not yet assessed has no point on the evidence line (never a 0 that reads as a
    verdict) and says so in its axis label.
    """
    angles = [2 * math.pi * k / len(COMPETENCIES) for k in range(len(COMPETENCIES))]
    closed = [*angles, angles[0]]
    evidence = [profile.score(c) if profile.score(c) is not None else math.nan for c in COMPETENCIES]
    fig, ax = plt.subplots(figsize=(6, 6), subplot_kw={"projection": "polar"})
    ax.plot(closed, [*evidence, evidence[0]], color="tab:green", marker="o", label=t(f"{_KEY}.evidence_label"))
    if not any(math.isnan(value) for value in evidence):
        ax.fill(closed, [*evidence, evidence[0]], color="tab:green", alpha=0.2)
    if self_ratings:
        rated = [self_ratings[c] for c in COMPETENCIES]
        ax.plot(closed, [*rated, rated[0]], color="tab:blue", linestyle="--", label=t(f"{_KEY}.self_label"))
    ax.set_xticks(angles, [_axis_label(profile, c) for c in COMPETENCIES], fontsize=8)
    ax.set_ylim(0, HIGHEST)
    ax.set_yticks(range(2, int(HIGHEST) + 1, 2))
    ax.set_rlabel_position(90 / len(COMPETENCIES))
    ax.set_title(t(f"{_KEY}.demo_title" if profile.demo else f"{_KEY}.title"))
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.22), ncols=2, frameon=False)
    return fig


def _axis_label(profile: Profile, competency: str) -> str:
    name = competency_name(competency)
    return name if profile.score(competency) is not None else t(f"{_KEY}.axis_not_assessed", name=name)


def describe(profile: Profile, self_ratings: Mapping[str, int] | None = None) -> str:
    """The radar in words for a screen reader: each score beside the self-rating, gaps named."""
    parts = []
    for competency in COMPETENCIES:
        score = profile.score(competency)
        shown = f"{score:g}" if score is not None else t(f"{_KEY}.not_assessed")
        rated = t(f"{_KEY}.rated", rating=self_ratings[competency]) if self_ratings else ""
        parts.append(f"{competency_name(competency)} {shown}{rated}")
    key = f"{_KEY}.description_with_self" if self_ratings else f"{_KEY}.description"
    return t(key, scores="; ".join(parts))


def show_profile(profile: Profile, self_ratings: Mapping[str, int] | None = None) -> None:
    """Display the radar with its text description (``cxacademy.plots.show``)."""
    show(radar(profile, self_ratings), describe(profile, self_ratings))


def evidence_frame(profile: Profile) -> pd.DataFrame:
    """The evidence behind every number, one row per item and competency, for the learner to read."""
    rows = [(competency_name(c), e.assignment, e.label, e.weight, e.earned, e.available)
            for c, s in profile.competencies.items() for e in s.evidence]
    columns = [t(f"{_KEY}.column.{name}") for name in
               ("competency", "assignment", "item", "weight", "earned", "available")]
    return pd.DataFrame(rows, columns=columns)


def summary_frame(profile: Profile) -> pd.DataFrame:
    """One row per competency: the 1–10 score (or "not yet assessed") and the weighted points behind it."""
    rows = [(competency_name(c), s.score if s.score is not None else t(f"{_KEY}.not_assessed"),
             round(s.earned, 2), round(s.available, 2), len(s.evidence))
            for c, s in profile.competencies.items()]
    columns = [t(f"{_KEY}.column.{name}") for name in ("competency", "score", "earned", "available", "items")]
    return pd.DataFrame(rows, columns=columns)


def next_steps_text(profile: Profile) -> str:
    """The two items that would raise the weakest competency most, as sentences (markdown)."""
    if not profile.next_steps:
        return t(f"{_KEY}.no_next_steps")
    lines = [t(f"{_KEY}.next_step", label=step.label, assignment=step.assignment, missed=f"{step.missed:g}",
               competency=competency_name(step.competency), now=f"{step.score_now:g}",
               after=f"{step.score_after:g}") for step in profile.next_steps]
    return "\n".join(f"- {line}" for line in lines)


def learner_folders() -> list[Path]:
    """Where a learner's fetched feedback may hold their ``profile.json``.

    ``$CXA_WORKSPACE`` when set; else the repository's ``workspace/`` (``make lab``'s root, where
    the Assignment List fetches into) and the home folder (a JupyterHub learner's root).
    """
    workspace = os.environ.get("CXA_WORKSPACE")
    if workspace:
        return [Path(workspace)]
    return [Path(__file__).resolve().parents[1] / "workspace", Path.home()]


def whose(profile: Profile) -> str:
    """One line that says whose profile is shown: the learner's own, or the clearly labelled demo."""
    if profile.demo:
        return t(f"{_KEY}.demo_notice", learner=profile.learner)
    return t(f"{_KEY}.own_notice", generated=profile.generated_at)


def overlay_note(self_ratings: Mapping[str, int] | None) -> str:
    """What the dashed line is, or how to add it when no self-assessment is saved yet."""
    return t(f"{_KEY}.overlay" if self_ratings else f"{_KEY}.no_self_assessment")
