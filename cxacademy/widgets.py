"""Small interactive explorations for lessons (ipywidgets + matplotlib).

Widgets call the same formulas as everything else (``cxacademy.metrics``) and take
every label from ``cxacademy.text``, so they need no translation of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display

from cxacademy.metrics import nps_interval_from_shares
from cxacademy.text import has, t


def _draw_nps_interval(n: int, promoters_pct: float, detractors_pct: float) -> None:
    if promoters_pct + detractors_pct > 100:
        print(t("widget.invalid_shares"))
        return
    est, low, high = nps_interval_from_shares(promoters_pct / 100, detractors_pct / 100, n)
    fig, ax = plt.subplots(figsize=(7, 1.6))
    ax.errorbar([est], [0], xerr=[[est - low], [high - est]], fmt="o", capsize=8, color="tab:blue")
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_xlim(-100, 100)
    ax.set_yticks([])
    ax.set_xlabel(t("widget.nps_axis"))
    ax.set_title(t("widget.nps_title", nps=est, low=low, high=high, n=n))
    plt.show()


def nps_interval_explorer(n: int = 200, promoters_pct: float = 45, detractors_pct: float = 20) -> None:
    """Sliders for sample size and promoter/detractor shares that redraw NPS and its 95 % interval.

    Why: seeing the interval shrink only with √n is what stops people ranking teams by
    a five-point NPS gap measured on thirty answers.
    """
    controls = {
        "n": widgets.IntSlider(value=n, min=10, max=5000, step=10, description=t("widget.sample_size")),
        "promoters_pct": widgets.FloatSlider(value=promoters_pct, min=0, max=100, step=1, description=t("widget.promoters")),
        "detractors_pct": widgets.FloatSlider(value=detractors_pct, min=0, max=100, step=1, description=t("widget.detractors")),
    }
    for control in controls.values():
        control.style = {"description_width": "initial"}
        control.layout = widgets.Layout(width="480px")
    output = widgets.interactive_output(_draw_nps_interval, controls)
    display(widgets.VBox([*controls.values(), output]))


def multiple_choice(question: str, options: Sequence[str], answer: int, explanations: Sequence[str]) -> None:
    """A one-answer quiz: the learner picks an option and gets the explanation for that option.

    Question and explanations come from the lesson (markdown-level prose passed in), so the
    widget itself holds no course text.
    """
    choice = widgets.RadioButtons(options=list(options), index=None, layout=widgets.Layout(width="auto"))
    button = widgets.Button(description=t("widget.check_button"), button_style="info")
    feedback = widgets.HTML()

    def _on_click(_: widgets.Button) -> None:
        if choice.index is None:
            feedback.value = t("widget.choose")
            return
        verdict = t("widget.right_choice") if choice.index == answer else t("widget.wrong_choice")
        feedback.value = f"{verdict} {explanations[choice.index]}"

    button.on_click(_on_click)
    display(widgets.VBox([widgets.HTML(f"<b>{question}</b>"), choice, button, feedback]))


@dataclass(frozen=True)
class Quiz:
    """A one-answer quiz whose words live in the locale and whose right answer lives in code.

    Under ``key`` the locale holds ``question``, and ``option_1``, ``explain_1``,
    ``option_2`` … one explanation per option; ``answer`` is the 0-based index of the
    right option. A translation changes the words, never which option is right.
    """

    key: str
    answer: int

    def content(self) -> tuple[str, list[str], int, list[str]]:
        """Question, options, index of the right option, one explanation per option."""
        count = 0
        while has(f"{self.key}.option_{count + 1}"):
            count += 1
        numbers = range(1, count + 1)
        return (
            t(f"{self.key}.question"),
            [t(f"{self.key}.option_{k}") for k in numbers],
            self.answer,
            [t(f"{self.key}.explain_{k}") for k in numbers],
        )

    def show(self) -> None:
        """Display the quiz as a widget."""
        multiple_choice(*self.content())
