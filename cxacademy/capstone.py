"""The capstone's declared figures: plain data a learner states, recomputed from the dataset it names.

A CX programme stands on a few numbers. In the capstone (Module 05) the learner states them
as a *declaration* — plain data, so it crosses to the grader's clean room unchanged and
anyone can recompute it::

    {
        "dataset": "hcahps_hospital_2022",                      # as cxacademy.data.load spells it
        "net_score": {"value": 57.7, "interval": [57.6, 57.8]},  # points, with its 95 % interval
        "rates": {"overall_9_10": 72.3, "recommend_definitely": 71.4},  # every rate the dataset supports, %
        "drivers": {"care_transition_strongly_agree_pct": 21.7, ...},   # driver → importance %, most important first
    }

Which datasets qualify, and what each figure means for them (``DATASETS``):

- ``hcahps_hospital_2022`` (public domain; a hospital group's patients): net score = pooled
  % rating 9–10 − % rating 0–6 with its interval (``pooled_net_rating``); rates
  ``overall_9_10`` and ``recommend_definitely`` pooled over patients (``pooled_percent``);
  drivers = the eight care dimensions of Lesson 04-02, by Shapley share of the 9–10 rating's
  explained variance (``relative_importance``).
- ``womens_ecommerce_reviews`` (CC0; an online apparel retailer's reviews): net score =
  % 5 stars − % 1–3 stars with its interval (``nps_interval_from_shares``); rates
  ``recommend`` (``rate``) and ``top_2_box`` (``top_box``); drivers = the themes of
  ``voc.APPAREL_CODEBOOK`` in the reviews that have a text, by Shapley share of the star
  rating's explained variance.

``worth_range`` prices a driver's improvement for the business case (Lesson 05-02).

``recompute`` uses the package's own formulas, once each (``cxacademy.metrics``,
``drivers``, ``voc``); ``tests/test_capstone.py`` checks it against plain pandas arithmetic,
so a hidden test that calls it does not simply trust the helper a learner called.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from numbers import Real
from typing import Any

import pandas as pd

from cxacademy.data import load
from cxacademy.drivers import relative_importance
from cxacademy.errors import InputError
from cxacademy.metrics import nps_interval_from_shares, pooled_net_rating, pooled_percent, rate, top_box
from cxacademy.text import t
from cxacademy.voc import APPAREL_CODEBOOK, code_themes

#: Every declared number must lie within this of the recomputed one (points or percentage points).
TOLERANCE = 0.05
#: The keys of a declaration, in the documented order.
KEYS = ("dataset", "net_score", "rates", "drivers")

#: The hospitals' drivers: the eight care dimensions of Lesson 04-02, each a top-box percentage.
HCAHPS_DIMENSIONS = (
    "nurse_comm_always_pct", "doctor_comm_always_pct", "staff_responsive_always_pct", "medicines_comm_always_pct",
    "discharge_info_yes_pct", "care_transition_strongly_agree_pct", "clean_always_pct", "quiet_always_pct",
)


@dataclass(frozen=True)
class Profile:
    """What a dataset supports in a declaration, and how each figure is computed from it."""

    net_score: Callable[[pd.DataFrame], tuple[float, float, float]]
    rates: Mapping[str, Callable[[pd.DataFrame], float]]
    driver_names: tuple[str, ...]
    drivers: Callable[[pd.DataFrame], pd.Series]


def _hospital_rate(column: str) -> Callable[[pd.DataFrame], float]:
    return lambda hospitals: pooled_percent(hospitals[column], hospitals["n_completed_surveys"])


def _hospital_net_score(hospitals: pd.DataFrame) -> tuple[float, float, float]:
    return pooled_net_rating(hospitals["overall_rating_9_10_pct"], hospitals["overall_rating_0_6_pct"],
                             hospitals["n_completed_surveys"])


def _hospital_drivers(hospitals: pd.DataFrame) -> pd.Series:
    return relative_importance(hospitals, HCAHPS_DIMENSIONS, "overall_rating_9_10_pct")["importance_pct"]


def _review_net_score(reviews: pd.DataFrame) -> tuple[float, float, float]:
    stars = reviews["rating"].dropna()
    return nps_interval_from_shares(float((stars == 5).mean()), float((stars <= 3).mean()), len(stars))


def _review_drivers(reviews: pd.DataFrame) -> pd.Series:
    with_text = reviews.dropna(subset=["review_text"])
    themes = code_themes(with_text["review_text"], APPAREL_CODEBOOK)
    frame = themes.astype("float64").assign(rating=with_text["rating"])
    return relative_importance(frame, list(themes.columns), "rating")["importance_pct"]


#: The shipped company datasets a declaration may name, and what each supports.
DATASETS: dict[str, Profile] = {
    "hcahps_hospital_2022": Profile(
        net_score=_hospital_net_score,
        rates={"overall_9_10": _hospital_rate("overall_rating_9_10_pct"),
               "recommend_definitely": _hospital_rate("recommend_definitely_yes_pct")},
        driver_names=HCAHPS_DIMENSIONS,
        drivers=_hospital_drivers,
    ),
    "womens_ecommerce_reviews": Profile(
        net_score=_review_net_score,
        rates={"recommend": lambda reviews: rate(reviews["recommended"]),
               "top_2_box": lambda reviews: top_box(reviews["rating"])},
        driver_names=tuple(APPAREL_CODEBOOK),
        drivers=_review_drivers,
    ),
}


def worth_range(frame: pd.DataFrame, drivers: Sequence[str], outcome: str, driver: str,
                gain: float) -> tuple[float, float]:
    """How far raising ``driver`` by ``gain`` points may move ``outcome``: (low, high), in the outcome's points.

    Why a range and not one number: drivers are collinear. The multiple-regression slope credits
    the driver only with what it moves on its own (the low end); the simple-regression slope
    credits it with everything that moves along with it (the high end). Neither is causal: a
    pilot against a control group says where in the range — or outside it — the truth lies.
    """
    data = frame[[*drivers, outcome]].dropna()
    own = relative_importance(data, drivers, outcome).loc[driver, "coefficient"]
    along = data[driver].cov(data[outcome]) / data[driver].var()
    low, high = sorted((float(own * gain), float(along * gain)))
    return low, high


@dataclass(frozen=True)
class Finding:
    """One declared figure compared with its data: which figure, whether it matches, and the sentence why."""

    figure: str
    passed: bool
    message: str


def describe(dataset: str) -> str:
    """What a declaration on ``dataset`` must contain, in words a learner can act on."""
    profile = _profile(dataset)
    return t("capstone.describe", dataset=dataset, net_score=t(f"capstone.net_score.{dataset}"),
             rates=", ".join(f"`{name}`" for name in profile.rates), drivers=t(f"capstone.drivers.{dataset}"))


def _profile(dataset: Any) -> Profile:
    if not isinstance(dataset, str) or dataset not in DATASETS:
        raise InputError(t("capstone.unknown_dataset", dataset=repr(dataset), known=", ".join(DATASETS)))
    return DATASETS[dataset]


@cache
def _figures(dataset: str) -> dict[str, Any]:
    """The figures of ``dataset``, computed once per process (every hidden test of a learner asks again)."""
    profile = _profile(dataset)
    frame = load(dataset)
    value, low, high = profile.net_score(frame)
    drivers = profile.drivers(frame)
    return {
        "dataset": dataset,
        "net_score": {"value": float(value), "interval": [float(low), float(high)]},
        "rates": {name: float(formula(frame)) for name, formula in profile.rates.items()},
        "drivers": {str(name): float(share) for name, share in drivers.items()},
    }


def recompute(declaration: Mapping[str, Any] | str) -> dict[str, Any]:
    """The declaration's figures recomputed from the dataset it names, in the same structure.

    Accepts a declaration or a dataset name. Raises ``InputError`` naming the supported
    datasets when the name is not one of them.
    """
    dataset = declaration.get("dataset") if isinstance(declaration, Mapping) else declaration
    _profile(dataset)  # an unknown name is told which names qualify, before it reaches the cache
    return copy.deepcopy(_figures(dataset))


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def structure_problems(declaration: Any) -> list[str]:
    """Every way ``declaration`` departs from the documented structure, as sentences; empty when it follows it."""
    if not isinstance(declaration, Mapping):
        return [t("capstone.not_a_dict", kind=type(declaration).__name__)]
    missing = [key for key in KEYS if key not in declaration]
    if missing:
        return [t("capstone.missing_keys", keys=", ".join(missing))]
    try:
        profile = _profile(declaration["dataset"])
    except InputError as error:
        return [str(error)]
    return [*_net_score_problems(declaration["net_score"]),
            *_named_numbers_problems("rates", declaration["rates"], set(profile.rates)),
            *_named_numbers_problems("drivers", declaration["drivers"], set(profile.driver_names))]


def _net_score_problems(net_score: Any) -> list[str]:
    if not isinstance(net_score, Mapping) or not _is_number(net_score.get("value")):
        return [t("capstone.net_score_shape")]
    interval = net_score.get("interval")
    if not isinstance(interval, (list, tuple)) or len(interval) != 2 or not all(map(_is_number, interval)):
        return [t("capstone.interval_shape")]
    if not interval[0] <= net_score["value"] <= interval[1]:
        return [t("capstone.interval_order")]
    return []


def _named_numbers_problems(key: str, declared: Any, names: set[str]) -> list[str]:
    if not isinstance(declared, Mapping) or not all(_is_number(value) for value in declared.values()):
        return [t(f"capstone.{key}_shape")]
    if set(declared) != names:
        return [t(f"capstone.{key}_names", missing=", ".join(sorted(names - set(declared))) or "—",
                  unknown=", ".join(sorted(map(str, set(declared) - names))) or "—")]
    return []


def compare(declaration: Any) -> list[Finding]:
    """Each declared figure against the named dataset recomputed; structure problems first, when there are any."""
    problems = structure_problems(declaration)
    if problems:
        return [Finding("structure", False, problem) for problem in problems]
    truth = recompute(declaration)
    net, expected_net = declaration["net_score"], truth["net_score"]
    return [
        _number_finding("net_score.value", net["value"], expected_net["value"], truth["dataset"]),
        *(_number_finding(f"net_score.interval[{side}]", net["interval"][i], expected_net["interval"][i],
                          truth["dataset"]) for i, side in enumerate(("low", "high"))),
        *(_number_finding(f"rates.{name}", declaration["rates"][name], value, truth["dataset"])
          for name, value in truth["rates"].items()),
        _ranking_finding(list(declaration["drivers"]), list(truth["drivers"])),
        *(_number_finding(f"drivers.{name}", declaration["drivers"][name], value, truth["dataset"])
          for name, value in truth["drivers"].items()),
    ]


def _number_finding(figure: str, declared: float, expected: float, dataset: str) -> Finding:
    if math.isclose(declared, expected, abs_tol=TOLERANCE):
        return Finding(figure, True, t("capstone.figure_ok", figure=figure, declared=declared))
    return Finding(figure, False, t("capstone.figure_differs", figure=figure, declared=declared,
                                    expected=round(expected, 2), dataset=dataset, tolerance=TOLERANCE))


def _ranking_finding(declared: list[str], expected: list[str]) -> Finding:
    if declared == expected:
        return Finding("drivers (ranking)", True, t("capstone.ranking_ok", top=declared[0]))
    key = "capstone.ranking_reversed" if declared == expected[::-1] else "capstone.ranking_differs"
    return Finding("drivers (ranking)", False, t(key, expected=", ".join(expected)))


def check_declaration(declaration: Any) -> bool:
    """The learner's self-check: print one line per figure (✅ or ❌ and why); True when every figure matches."""
    findings = compare(declaration)
    for finding in findings:
        print(finding.message)
    passed = all(finding.passed for finding in findings)
    print(t("capstone.all_match" if passed else "capstone.some_differ",
            failed=sum(not finding.passed for finding in findings)))
    return passed
