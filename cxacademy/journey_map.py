"""A journey map a team can build, draw, export, and rebuild next quarter — plus a service blueprint.

A map bought once goes stale; one the team rebuilds from fresh data every quarter lives. So the
map here is data, not a drawing: touchpoints by stage, each with a metric computed from the data
and a Fix – WOW – Plan B note (what to repair, what would delight, what the customer is promised
when the point fails anyway). Drawing, the workshop table and the comparison with last
quarter's map are all computed from it. Every label comes from the locale (``journey.toml``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes

from cxacademy.plots import show
from cxacademy.text import t

#: The columns of a map's table, in order (also the CSV a team takes to a workshop).
COLUMNS = ("stage", "touchpoint", "metric", "value", "fix", "wow", "plan_b")
#: The notes every touchpoint needs before the map is ready for a workshop.
NOTES = ("fix", "wow", "plan_b")
#: The four lanes of a service blueprint, top to bottom; the line of visibility lies under the second.
BLUEPRINT_LANES = ("customer", "frontstage", "backstage", "support")


@dataclass(frozen=True)
class Touchpoint:
    """One point where the customer meets the company, with the number that says how it goes."""

    stage: str
    name: str
    metric: str
    value: float
    fix: str = ""
    wow: str = ""
    plan_b: str = ""


@dataclass
class JourneyMap:
    """Stages in order and the touchpoints on them; see the module docstring for why it is data."""

    title: str
    stages: list[str]
    touchpoints: list[Touchpoint] = field(default_factory=list)

    def add(self, touchpoint: Touchpoint) -> None:
        """Add a touchpoint, replacing one of the same name on the same stage (a re-run updates it)."""
        if touchpoint.stage not in self.stages:
            raise ValueError(t("journey.unknown_stage", stage=touchpoint.stage, stages=", ".join(self.stages)))
        self.touchpoints = [tp for tp in self.touchpoints
                            if (tp.stage, tp.name) != (touchpoint.stage, touchpoint.name)] + [touchpoint]

    def table(self) -> pd.DataFrame:
        """One row per touchpoint, in stage order: what a team takes to a workshop."""
        rows = [{column: getattr(tp, "name" if column == "touchpoint" else column) for column in COLUMNS}
                for tp in self.touchpoints]
        frame = pd.DataFrame(rows, columns=list(COLUMNS))
        order = {stage: position for position, stage in enumerate(self.stages)}
        return frame.sort_values("stage", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)

    def incomplete(self) -> list[str]:
        """Touchpoints that still lack a Fix, a WOW or a Plan B note (empty when the map is ready)."""
        return [tp.name for tp in self.touchpoints if not all(getattr(tp, note).strip() for note in NOTES)]

    def draw(self, ax: Axes | None = None) -> Axes:
        """Draw the map: a column per stage, a card per touchpoint with its metric and its three notes."""
        table = self.table()
        deepest = int(table["stage"].value_counts().max()) if len(table) else 1
        if ax is None:
            _, ax = plt.subplots(figsize=(3.2 * max(len(self.stages), 1), 0.6 + 1.9 * deepest))
        for column, stage in enumerate(self.stages):
            ax.text(column + 0.5, deepest, stage, ha="center", va="bottom", weight="bold", fontsize=10)
            for row, tp in enumerate(table[table["stage"] == stage].itertuples(index=False)):
                ax.text(column + 0.05, deepest - 0.08 - row, _card(tp), ha="left", va="top", fontsize=7,
                        bbox={"boxstyle": "round", "facecolor": "#eef4fb", "edgecolor": "#3a6ea5"})
        ax.set_xlim(0, max(len(self.stages), 1))
        ax.set_ylim(0, deepest + 0.15)
        ax.set_axis_off()
        ax.set_title(self.title)
        return ax

    def export(self, folder: str | Path, name: str) -> tuple[Path, Path]:
        """Write the map as ``name.png`` and its table as ``name.csv`` into ``folder``; return both paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        picture, table = folder / f"{name}.png", folder / f"{name}.csv"
        ax = self.draw()
        ax.figure.savefig(picture, dpi=120, bbox_inches="tight")
        plt.close(ax.figure)
        self.table().to_csv(table, index=False)
        return picture, table


def _card(tp: object) -> str:
    """The text of one touchpoint's card: name, metric and value, then the three notes, wrapped."""
    lines = [f"{tp.touchpoint}", f"{tp.metric}: {tp.value:,.1f}"]
    for note in NOTES:
        text = getattr(tp, note)
        if text:
            lines.append(textwrap.fill(f"{t(f'journey.{note}')}: {text}", width=34))
    return "\n".join(lines)


def compare_maps(before: JourneyMap, after: JourneyMap) -> pd.DataFrame:
    """What changed between two versions of a map: touchpoints that appeared, disappeared or stayed.

    One row per (stage, touchpoint) in either map, with ``status`` ("appeared", "disappeared",
    "kept"), the metric's value before and after and the change — where to dig next quarter.
    """
    keys = ["stage", "touchpoint"]
    old = before.table()[[*keys, "metric", "value"]].rename(columns={"value": "value_before"})
    new = after.table()[[*keys, "metric", "value"]].rename(columns={"value": "value_after"})
    merged = old.merge(new, on=keys, how="outer", suffixes=("_before", "_after"), indicator=True)
    merged["status"] = merged["_merge"].map({"left_only": "disappeared", "right_only": "appeared", "both": "kept"})
    merged["metric"] = merged["metric_after"].fillna(merged["metric_before"])
    merged["change"] = merged["value_after"] - merged["value_before"]
    return merged[[*keys, "status", "metric", "value_before", "value_after", "change"]]


def draw_blueprint(steps: Sequence[Mapping[str, str]], ax: Axes | None = None) -> Axes:
    """Draw a service blueprint: one column per step, one lane per :data:`BLUEPRINT_LANES`.

    Each step maps a lane to what happens there ("customer": "hands over the car keys"). The
    dashed line of visibility separates what the customer sees (customer, frontstage) from what
    they do not (backstage, support) — but what they *overhear* from backstage is a touchpoint too.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(2.8 * max(len(steps), 1), 5))
    lanes = len(BLUEPRINT_LANES)
    for lane, name in enumerate(BLUEPRINT_LANES):
        y = lanes - lane - 0.5
        ax.text(-0.1, y, t(f"journey.lane_{name}"), ha="right", va="center", weight="bold", fontsize=9)
        for column, step in enumerate(steps):
            if step.get(name):
                ax.text(column + 0.5, y, textwrap.fill(step[name], width=22), ha="center", va="center", fontsize=7,
                        bbox={"boxstyle": "round", "facecolor": "#f3f3f3" if lane > 1 else "#eef4fb"})
    ax.axhline(lanes - 2, color="tab:red", linestyle="--", linewidth=1)
    ax.text(len(steps), lanes - 2, t("journey.line_of_visibility"), ha="right", va="bottom", color="tab:red",
            fontsize=8)
    for lane in range(1, lanes):
        if lane != lanes - 2:
            ax.axhline(lane, color="grey", linewidth=0.5)
    ax.set_xlim(-0.05, len(steps))
    ax.set_ylim(0, lanes)
    ax.set_axis_off()
    return ax


def journey_map_builder(journey_map: JourneyMap, metrics: Mapping[str, float], folder: str | Path = "my_journey_map"
                        ) -> widgets.VBox:
    """An ipywidgets form that adds touchpoints to ``journey_map``, redraws it, and exports it.

    The learner picks a stage, names the touchpoint, attaches one of ``metrics`` (computed from
    the data beforehand, so every card carries a real number) and writes the Fix, WOW and Plan B
    notes. *Export* writes the picture and the table into ``folder`` for a workshop. The form is
    returned, so a notebook cell that ends with this call displays it.
    """
    stage = widgets.Dropdown(options=journey_map.stages, description=t("journey.stage"))
    name = widgets.Text(description=t("journey.touchpoint"))
    metric = widgets.Dropdown(options=list(metrics), description=t("journey.metric"))
    notes = {note: widgets.Textarea(description=t(f"journey.{note}"), layout=widgets.Layout(width="480px"))
             for note in NOTES}
    add, export = widgets.Button(description=t("journey.add"), button_style="info"), widgets.Button(
        description=t("journey.export"))
    output = widgets.Output()
    for control in (stage, name, metric, *notes.values()):
        control.style = {"description_width": "initial"}

    def redraw() -> None:
        output.clear_output()
        with output:
            if journey_map.touchpoints:
                show(journey_map.draw().figure, t("journey.map_description", title=journey_map.title,
                                                  count=len(journey_map.touchpoints)))
            missing = journey_map.incomplete()
            print(t("journey.incomplete", names=", ".join(missing)) if missing else t("journey.complete"))

    def on_add(_: widgets.Button) -> None:
        if not name.value.strip():
            with output:
                print(t("journey.name_needed"))
            return
        journey_map.add(Touchpoint(stage.value, name.value.strip(), metric.value, float(metrics[metric.value]),
                                   **{note: box.value.strip() for note, box in notes.items()}))
        redraw()

    def on_export(_: widgets.Button) -> None:
        picture, table = journey_map.export(folder, "journey_map")
        with output:
            print(t("journey.exported", picture=picture, table=table))

    add.on_click(on_add)
    export.on_click(on_export)
    redraw()
    return widgets.VBox([stage, name, metric, *notes.values(), widgets.HBox([add, export]), output])
