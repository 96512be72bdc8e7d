"""The learner's self-assessment: the six competencies rated 1–10, drawn as a radar and saved.

Why a file: the competency profile (a later issue) sets what the learner *thinks* of their
skills beside what their graded work *shows*; the self-assessment is made once in Lesson 03-01
and may be redone at any time, so it lives outside the notebook, in the learner's home folder.

File format of ``~/.cx-academy/self_assessment.json`` (UTF-8 JSON, one object)::

    {
      "format": 1,                                  # bumped if the layout ever changes
      "saved_at": "2026-11-30T19:40:00+00:00",      # ISO 8601, UTC, when the learner pressed Save
      "ratings": {"research": 6, "journey": 4, …}   # every id of cxacademy.competencies.COMPETENCIES,
    }                                               # each an int from 1 to 10

A reader should accept a file whose ``format`` it knows and ignore keys it does not.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display
from matplotlib.figure import Figure

from cxacademy.competencies import COMPETENCIES, competency_name
from cxacademy.plots import show
from cxacademy.text import t

FORMAT = 1
LOWEST, HIGHEST = 1, 10
_KEY = "self_assessment"


def default_path() -> Path:
    """Where the self-assessment is saved: ``~/.cx-academy/self_assessment.json``."""
    return Path.home() / ".cx-academy" / "self_assessment.json"


def _validated(ratings: dict[str, int]) -> dict[str, int]:
    """Every competency once, each a whole number from 1 to 10, in the course's order."""
    if set(ratings) != set(COMPETENCIES):
        raise ValueError(t(f"{_KEY}.wrong_competencies", expected=", ".join(COMPETENCIES)))
    for competency, rating in ratings.items():
        if isinstance(rating, bool) or not isinstance(rating, int) or not LOWEST <= rating <= HIGHEST:
            raise ValueError(t(f"{_KEY}.wrong_rating", competency=competency, rating=rating))
    return {competency: ratings[competency] for competency in COMPETENCIES}


def save(ratings: dict[str, int], path: Path | None = None) -> Path:
    """Write the ratings in the documented format and return the file's path."""
    target = path or default_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    record = {"format": FORMAT, "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
              "ratings": _validated(ratings)}
    target.write_text(json.dumps(record, indent=2), encoding="utf-8")
    return target


def load(path: Path | None = None) -> dict[str, int] | None:
    """The saved ratings, or None when the learner has not saved a self-assessment yet."""
    source = path or default_path()
    if not source.exists():
        return None
    record = json.loads(source.read_text(encoding="utf-8"))
    if record.get("format") != FORMAT:
        raise ValueError(t(f"{_KEY}.unknown_format", format=record.get("format"), path=source))
    return _validated(record["ratings"])


def radar(ratings: dict[str, int]) -> Figure:
    """A radar (spider) chart of the six ratings on the 1–10 scale."""
    values = [ratings[c] for c in COMPETENCIES]
    angles = [2 * math.pi * k / len(values) for k in range(len(values))]
    fig, ax = plt.subplots(figsize=(5, 5), subplot_kw={"projection": "polar"})
    ax.plot([*angles, angles[0]], [*values, values[0]], color="tab:blue")
    ax.fill([*angles, angles[0]], [*values, values[0]], color="tab:blue", alpha=0.25)
    ax.set_xticks(angles, [competency_name(c) for c in COMPETENCIES], fontsize=8)
    ax.set_ylim(0, HIGHEST)
    ax.set_yticks(range(2, HIGHEST + 1, 2))
    ax.set_title(t(f"{_KEY}.title"))
    return fig


def describe(ratings: dict[str, int]) -> str:
    """The radar in one sentence for a screen reader: every rating, strongest and weakest named."""
    listed = ", ".join(f"{competency_name(c)} {ratings[c]}" for c in COMPETENCIES)
    strongest = max(COMPETENCIES, key=ratings.__getitem__)
    weakest = min(COMPETENCIES, key=ratings.__getitem__)
    return t(f"{_KEY}.description", ratings=listed, strongest=competency_name(strongest),
             weakest=competency_name(weakest))


def self_assessment(path: Path | None = None) -> None:
    """Sliders for the six competencies, a radar that redraws, and a Save button.

    Starts from the saved ratings when there are some, so redoing the assessment shows the last one.
    """
    start = load(path) or dict.fromkeys(COMPETENCIES, 5)
    sliders = {c: widgets.IntSlider(value=start[c], min=LOWEST, max=HIGHEST, description=competency_name(c),
                                    style={"description_width": "220px"}, layout=widgets.Layout(width="480px"))
               for c in COMPETENCIES}
    button = widgets.Button(description=t(f"{_KEY}.save_button"), button_style="info")
    status = widgets.HTML()

    def _draw(**ratings: int) -> None:
        show(radar(ratings), describe(ratings))

    def _save(_: widgets.Button) -> None:
        saved = save({c: slider.value for c, slider in sliders.items()}, path)
        status.value = t(f"{_KEY}.saved", path=saved)

    button.on_click(_save)
    chart = widgets.interactive_output(_draw, sliders)
    display(widgets.VBox([*sliders.values(), widgets.HBox([button, status]), chart]))
