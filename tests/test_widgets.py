"""Widgets build without a browser and draw with the shared formula and labels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from cxacademy import widgets  # noqa: E402
from cxacademy.text import t  # noqa: E402


def test_nps_explorer_builds():
    assert widgets.nps_interval_explorer(n=100, promoters_pct=50, detractors_pct=20) is None


def test_impossible_shares_are_explained(capsys):
    widgets._draw_nps_interval(100, 70, 40)
    assert t("widget.invalid_shares") in capsys.readouterr().out


def test_multiple_choice_builds():
    assert widgets.multiple_choice("Q?", ["a", "b"], 1, ["no", "yes"]) is None
