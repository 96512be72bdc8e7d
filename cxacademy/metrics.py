"""Every CX formula the course uses, defined once (COURSE.md, "Metric definitions").

Lessons, assignment solutions, hidden tests and the grader import from here, so a
formula can only ever be right or wrong in one place.

Conventions, so learners meet one style everywhere:
- rates and shares shown to people are **percentages** (0–100);
- NPS and Temkin-style ratings are **points** from −100 to +100;
- inputs that are probabilities in a formula (retention ``r``, discount rate ``i``)
  are **shares** (0–1), as in the textbooks;
- missing answers (NaN) are left out of every denominator.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from cxacademy.errors import InputError
from cxacademy.text import t


def _rounded(value: float) -> str:
    """One decimal: enough for percent and points, the course's two units."""
    return f"{value:.1f}"


def _p_value(value: float) -> str:
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


class Interval(NamedTuple):
    """A point estimate with the bounds of its confidence interval, in the estimate's units.

    It displays rounded (``Interval(estimate=82.2, low=81.7, high=82.7)``) because sixteen
    digits suggest a precision the interval itself denies. The unit is the function's: percent
    for rates, points for NPS-style ratings. The fields stay plain floats for arithmetic.
    """

    estimate: float
    low: float
    high: float

    def __repr__(self) -> str:
        return f"Interval(estimate={_rounded(self.estimate)}, low={_rounded(self.low)}, high={_rounded(self.high)})"


class Comparison(NamedTuple):
    """The difference between two independent estimates and how sure we can be it is real.

    It displays rounded and with the 95 % interval of the difference, because that interval —
    not whether the two estimates' own intervals overlap — is what says the difference is real.
    """

    difference: float
    standard_error: float
    z: float
    p_value: float

    def difference_interval(self, confidence: float = 0.95) -> Interval:
        """The difference with its own interval: the one sound way to compare two estimates.

        Why: two intervals that overlap a little can still hide a real difference; the
        difference's interval excludes 0 exactly when the two-sided test rejects "no difference".
        """
        margin = _z(confidence) * self.standard_error
        return Interval(self.difference, self.difference - margin, self.difference + margin)

    def __repr__(self) -> str:
        interval = self.difference_interval()
        return (
            f"Comparison(difference={_rounded(self.difference)} points, "
            f"95 % interval {_rounded(interval.low)} to {_rounded(interval.high)}, "
            f"standard_error={_rounded(self.standard_error)}, z={self.z:.2f}, p_value={_p_value(self.p_value)})"
        )


def _answered(values: Iterable) -> pd.Series:
    series = pd.Series(values, dtype="float64") if not isinstance(values, pd.Series) else values
    return series.dropna().astype("float64")


def _require_shares(**shares: float) -> None:
    """Shares are 0–1 and a respondent is in one band only: say so in the learner's terms.

    NaN passes (a group with no answers has no shares); 45 where 0.45 was meant does not.
    """
    for name, value in shares.items():
        if not math.isnan(value) and not 0 <= value <= 1:
            raise InputError(t("metrics.not_a_share", name=name, value=value))
    if math.fsum(v for v in shares.values() if not math.isnan(v)) > 1 + 1e-9:
        raise InputError(t("metrics.shares_over_one", names=" + ".join(shares)))


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def percent(part: float, whole: float) -> float:
    """``part`` as a percentage of ``whole``; NaN when there is nothing to divide by."""
    return 100.0 * part / whole if whole else math.nan


def rate(flags: Iterable) -> float:
    """Percentage of true values among the answered (non-missing) ones.

    Why a function: "rate" questions go wrong on the denominator; this one says what it is.
    """
    answered = _answered(flags)
    return percent(float(answered.sum()), len(answered))


# --- Net Promoter Score -------------------------------------------------------------


def nps_shares(scores: Iterable) -> tuple[float, float, int]:
    """Promoter share (9–10), detractor share (0–6) and the number answered, from 0–10 scores."""
    answered = _answered(scores)
    n = len(answered)
    if n == 0:
        return math.nan, math.nan, 0
    return float((answered >= 9).mean()), float((answered <= 6).mean()), n


def nps(scores: Iterable) -> float:
    """Net Promoter Score: 100 × (share of 9–10 − share of 0–6). Passives (7–8) count only in n."""
    promoters, detractors, _ = nps_shares(scores)
    return 100.0 * (promoters - detractors)


def nps_standard_error(promoters: float, detractors: float, n: int) -> float:
    """Standard error of NPS in points: 100·√{[(p+d) − (p−d)²]/n}, with p and d as shares."""
    _require_shares(promoters=promoters, detractors=detractors)
    if n <= 0:
        return math.nan
    variance = (promoters + detractors) - (promoters - detractors) ** 2
    return 100.0 * math.sqrt(variance / n)


def nps_interval_from_shares(
    promoters: float, detractors: float, n: int, confidence: float = 0.95
) -> Interval:
    """NPS with a normal-approximation interval, from shares and a sample size."""
    estimate = 100.0 * (promoters - detractors)
    margin = _z(confidence) * nps_standard_error(promoters, detractors, n)
    return Interval(estimate, estimate - margin, estimate + margin)


def nps_interval(scores: Iterable, confidence: float = 0.95) -> Interval:
    """NPS of 0–10 scores with its confidence interval (points)."""
    return nps_interval_from_shares(*nps_shares(scores), confidence=confidence)


def nps_difference(scores_a: Iterable, scores_b: Iterable) -> Comparison:
    """A − B for two independent groups: SE = √(SE₁² + SE₂²), two-sided z test."""
    return nps_difference_from_shares(*nps_shares(scores_a), *nps_shares(scores_b))


# --- Proportions (rates with uncertainty) --------------------------------------------


def proportion_interval(successes: int, n: int, confidence: float = 0.95) -> Interval:
    """A rate in percent with its Wilson score interval.

    Why Wilson and not estimate ± 1.96·SE: it stays inside 0–100 % and behaves for
    small groups and rates near 0 or 100, which is exactly where CX data lives.
    """
    if n == 0:
        return Interval(math.nan, math.nan, math.nan)
    if not 0 <= successes <= n:
        raise InputError(t("metrics.successes_out_of_n", successes=successes, n=n))
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(confidence, method="wilson")
    return Interval(percent(successes, n), 100.0 * float(ci.low), 100.0 * float(ci.high))


def rate_interval(flags: Iterable, confidence: float = 0.95) -> Interval:
    """Percentage of true values among answered ones, with its Wilson interval."""
    answered = _answered(flags)
    return proportion_interval(int(answered.sum()), len(answered), confidence)


# --- Satisfaction, effort, Temkin-style ratings --------------------------------------


def top_box(ratings: Iterable, scale_max: int = 5, boxes: int = 2) -> float:
    """CSAT as top-box percentage: share of answers in the top ``boxes`` points of the scale."""
    answered = _answered(ratings)
    return rate(answered >= scale_max - boxes + 1) if len(answered) else math.nan


def net_rating(ratings: Iterable, positive: tuple[int, int], negative: tuple[int, int]) -> float:
    """Share in the positive band minus share in the negative band, in points."""
    answered = _answered(ratings)
    if not len(answered):
        return math.nan
    share_pos = answered.between(*positive).mean()
    share_neg = answered.between(*negative).mean()
    return 100.0 * float(share_pos - share_neg)


def temkin_rating(success: Iterable, effort: Iterable, emotion: Iterable) -> float:
    """Temkin-style rating: for each 1–7 item, share 6–7 minus share 1–3; then the mean of the three."""
    parts = [net_rating(item, positive=(6, 7), negative=(1, 3)) for item in (success, effort, emotion)]
    return float(np.mean(parts))


# --- Retention and value -------------------------------------------------------------


def churn_rate(customers_at_start: int, lost_during_period: int) -> float:
    """Churn in percent: lost during the period ÷ customers at its start (new arrivals excluded)."""
    return percent(lost_during_period, customers_at_start)


def lifetime_value(margin: float, retention: float, discount_rate: float) -> float:
    """Simple CLV = m·r / (1 + i − r), constant margin per period, retention and discount as shares."""
    if not 0 <= retention < 1 + discount_rate:
        raise InputError(t("metrics.retention_share", retention=retention))
    return margin * retention / (1 + discount_rate - retention)


# --- Contact-centre service level and staffing ---------------------------------------
# Traffic A (Erlangs) = arrival rate × average handle time, both in the same time unit.


def erlang_b(agents: int, traffic: float) -> float:
    """Probability that all ``agents`` are busy in a loss system (Erlang B), by the stable recursion.

    Why the recursion B(k) = A·B(k−1) / (k + A·B(k−1)), B(0) = 1: the textbook ratio of
    Aᴺ/N! to a sum of such terms overflows a float in a mid-size contact centre (Aᴺ passes
    10³⁰⁸ at 160 Erlangs and 140 agents), while every step of the recursion stays in [0, 1].
    """
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = traffic * blocking / (k + traffic * blocking)
    return blocking


def erlang_c_wait_probability(agents: int, traffic: float) -> float:
    """Probability a caller waits (Erlang C) for ``agents`` agents and offered load A = λ·AHT.

    Computed from Erlang B, C = N·B / (N − A·(1 − B)), so it stays exact for thousands of agents.
    """
    if agents <= traffic:
        return 1.0
    blocking = erlang_b(agents, traffic)
    return agents * blocking / (agents - traffic * (1 - blocking))


def erlang_c_service_level(agents: int, traffic: float, target_s: float, aht_s: float) -> float:
    """Share of callers answered within ``target_s`` seconds: 1 − P_wait·e^{−(N−A)t/AHT}."""
    if agents <= traffic:
        return 0.0
    wait = erlang_c_wait_probability(agents, traffic)
    return 1.0 - wait * math.exp(-(agents - traffic) * target_s / aht_s)


def erlang_c_asa(agents: int, traffic: float, aht_s: float) -> float:
    """Average speed of answer in seconds: P_wait·AHT/(N−A)."""
    if agents <= traffic:
        return math.inf
    return erlang_c_wait_probability(agents, traffic) * aht_s / (agents - traffic)


def agents_for_service_level(traffic: float, target_s: float, aht_s: float, service_level: float) -> int:
    """The fewest agents whose Erlang C service level reaches ``service_level`` (a share, e.g. 0.8).

    Why search upwards from ⌊A⌋ + 1: fewer agents than the traffic never clear the queue, and
    the service level rises with every agent added, so the first agent count that meets the
    target is the answer. Agents on the phones only: add shrinkage (breaks, training) on top.
    """
    _require_shares(service_level=service_level)
    agents = math.floor(traffic) + 1
    while erlang_c_service_level(agents, traffic, target_s, aht_s) < service_level:
        agents += 1
    return agents


# --- Scores published per unit (hospital, store, team): pooling and comparing ---------


def pooled_percent(percentages: Iterable, weights: Iterable) -> float:
    """Percentage of all respondents from units that each publish a percentage: Σ nₕ·pₕ / Σ nₕ.

    Why: the plain mean of unit percentages gives a unit with 100 answers the same say as one
    with 10,000. Units with a missing percentage or weight are left out.
    """
    frame = pd.DataFrame({"pct": list(percentages), "weight": list(weights)}, dtype="float64").dropna()
    total = frame["weight"].sum()
    return float((frame["pct"] * frame["weight"]).sum() / total) if total else math.nan


def pooled_net_rating(
    high_pct: Iterable, low_pct: Iterable, n: Iterable, confidence: float = 0.95
) -> Interval:
    """NPS-style net rating (% top band − % bottom band) of units pooled by sample size, with its interval.

    The interval treats the pooled answers as one sample of Σn. For the respondents of exactly
    these units this is slightly conservative (differences between units are part of what is
    measured, not noise); it says nothing about how other units, or next year, would score.
    """
    sizes = list(n)
    high = pooled_percent(high_pct, sizes) / 100
    low = pooled_percent(low_pct, sizes) / 100
    return nps_interval_from_shares(high, low, int(np.nansum(sizes)), confidence)


def nps_difference_from_shares(
    promoters_a: float, detractors_a: float, n_a: int, promoters_b: float, detractors_b: float, n_b: int
) -> Comparison:
    """A − B from each group's promoter and detractor shares: SE = √(SE₁² + SE₂²), two-sided z test.

    Why shares: many sources publish only the bands (9–10, 7–8, 0–6) and a count, never the answers.
    """
    difference = float(100.0 * ((promoters_a - detractors_a) - (promoters_b - detractors_b)))
    se = math.hypot(
        nps_standard_error(promoters_a, detractors_a, n_a), nps_standard_error(promoters_b, detractors_b, n_b)
    )
    z = difference / se if se else math.nan
    return Comparison(difference, se, z, float(2 * stats.norm.sf(abs(z))))


def nps_sample_size(promoters: float, detractors: float, margin: float, confidence: float = 0.95) -> int:
    """Answers needed for an NPS margin of error of ± ``margin`` points: n = (z·100)²·[(p+d) − (p−d)²] / margin².

    Why: it turns "is our sample big enough?" into a number before the survey goes out, and
    shows why a team with thirty answers cannot be ranked on a five-point gap.
    """
    _require_shares(promoters=promoters, detractors=detractors)
    if not margin > 0:
        raise InputError(t("metrics.margin_positive", margin=margin))
    variance = (promoters + detractors) - (promoters - detractors) ** 2
    return math.ceil((_z(confidence) * 100) ** 2 * variance / margin**2)
