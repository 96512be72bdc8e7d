"""Self-checks of lessons 00.01, 01.01 and 01.02 (cxacademy.practice.m00_orientation,
m01_sources_of_voice, m01_survey_scores).

For every check: the right answer, computed here independently with plain pandas and the
textbook formulas, passes; each typical mistake fails with its own explanation; an
unanswered placeholder or an answer of the wrong kind fails politely without raising.
"""

from __future__ import annotations

import math
import warnings

import pandas as pd
import pytest

from cxacademy.data import load
from cxacademy.practice import m00_orientation as m00
from cxacademy.practice import m01_sources_of_voice as m01_voice
from cxacademy.practice import m01_survey_scores as m01_scores
from cxacademy.text import t

Z95 = 1.959963984540054


# --- independent reference computations ------------------------------------------------


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float, float]:
    """Wilson score interval in percent, written out from the textbook formula."""
    share = successes / n
    centre = share + z**2 / (2 * n)
    margin = z * math.sqrt(share * (1 - share) / n + z**2 / (4 * n**2))
    denominator = 1 + z**2 / n
    return 100 * share, 100 * (centre - margin) / denominator, 100 * (centre + margin) / denominator


def nps_with_interval(promoters: float, detractors: float, n: int) -> tuple[float, float, float]:
    """NPS in points with its normal-approximation 95 % interval, from shares."""
    score = 100 * (promoters - detractors)
    se = 100 * math.sqrt(((promoters + detractors) - (promoters - detractors) ** 2) / n)
    return score, score - Z95 * se, score + Z95 * se


@pytest.fixture(scope="module")
def complaints() -> pd.DataFrame:
    return load("cfpb_complaints")


@pytest.fixture(scope="module")
def reviews() -> pd.DataFrame:
    return load("womens_ecommerce_reviews")


@pytest.fixture(scope="module")
def hospitals() -> pd.DataFrame:
    return load("hcahps_hospital_2022")


def passes(check, answer, capsys) -> str:
    assert check(answer)
    out = capsys.readouterr().out
    assert out.startswith("✅")
    return out


def fails_with(check, answer, message: str, capsys) -> None:
    assert not check(answer)
    out = capsys.readouterr().out
    assert out.startswith("❌")
    assert message in out, f"expected the explanation {message!r}, got {out!r}"


# --- every check: placeholder and wrong kinds never raise -------------------------------

ALL_CHECKS = [
    m00.check_web_share,
    m00.check_debt_untimely,
    m00.check_timely_pct_by_channel,
    m00.check_relabelled,
    m01_voice.check_narrative_pct,
    m01_voice.check_low_rating_pct,
    m01_voice.check_disputed_pct,
    m01_voice.check_patient_weighted_pct,
    m01_scores.check_top2_pct,
    m01_scores.check_trend_interval,
    m01_scores.check_hospital_nps,
    m01_scores.check_most_reliable_class,
]


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda check: check.__name__)
@pytest.mark.parametrize("placeholder", [None, ...], ids=["None", "Ellipsis"])
def test_placeholder_says_not_answered_yet(check, placeholder, capsys):
    assert not check(placeholder)
    out = capsys.readouterr().out
    assert out.startswith("⏳")
    assert t("check.not_answered", name="X").split("`")[0] in out


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda check: check.__name__)
@pytest.mark.parametrize("answer", ["seventy", [1, 2], pd.Series([1.0]), pd.DataFrame({"a": [1]}), float("nan")])
def test_wrong_kind_of_answer_fails_without_raising(check, answer, capsys):
    assert not check(answer)
    assert capsys.readouterr().out.startswith("❌")


# --- lesson 00.01: notebooks, pandas and plots ---------------------------------------------

M00 = "practice.m00_orientation"


def test_web_share(complaints, capsys):
    web = int((complaints["submitted_via"] == "Web").sum())
    right = web / len(complaints) * 100
    passes(m00.check_web_share, right, capsys)
    fails_with(m00.check_web_share, right / 100, t(f"{M00}.share_not_percent"), capsys)
    fails_with(m00.check_web_share, web, t(f"{M00}.count_not_percent"), capsys)
    fails_with(m00.check_web_share, 100 - right, t(f"{M00}.web_share_inverted"), capsys)


def test_debt_untimely(complaints, capsys):
    debt = complaints[complaints["product"] == "Debt collection"]
    right = len(debt[debt["timely_response"] == False])  # noqa: E712 — written as a learner would
    passes(m00.check_debt_untimely, right, capsys)
    all_late = len(complaints[complaints["timely_response"] == False])  # noqa: E712
    fails_with(m00.check_debt_untimely, all_late, t(f"{M00}.forgot_product_filter"), capsys)
    fails_with(m00.check_debt_untimely, len(debt), t(f"{M00}.forgot_timely_filter"), capsys)
    fails_with(m00.check_debt_untimely, len(debt) - right, t(f"{M00}.counted_timely"), capsys)


def test_timely_pct_by_channel(complaints, capsys):
    grouped = complaints.groupby("submitted_via")["timely_response"]
    right = grouped.mean() * 100
    passes(m00.check_timely_pct_by_channel, right, capsys)
    fails_with(m00.check_timely_pct_by_channel, right / 100, t(f"{M00}.share_not_percent"), capsys)
    fails_with(m00.check_timely_pct_by_channel, grouped.sum(), t(f"{M00}.count_not_percent"), capsys)
    fails_with(m00.check_timely_pct_by_channel, 100 - right, t(f"{M00}.untimely_instead"), capsys)


def test_relabelled_with_loc_passes(complaints, capsys):
    cleaned = complaints.copy()
    cleaned.loc[cleaned["product"] == "Credit card", "product"] = "Credit card or prepaid card"
    passes(m00.check_relabelled, cleaned, capsys)


def test_relabelled_with_replace_passes(complaints, capsys):
    cleaned = complaints.copy()
    cleaned["product"] = cleaned["product"].astype(str).replace("Credit card", "Credit card or prepaid card")
    passes(m00.check_relabelled, cleaned, capsys)


def test_the_untouched_copy_is_not_answered_yet_and_gives_nothing_away(complaints, capsys):
    """The starting cell already holds a copy: the first Run All must not show ❌ or the solution."""
    assert not m00.check_relabelled(complaints.copy())
    shown = capsys.readouterr().out
    old_rows = int((complaints["product"] == "Credit card").sum())
    assert shown.strip() == t(f"{M00}.relabel_unchanged", old=old_rows)
    assert "❌" not in shown and ".loc[" not in shown


def test_chained_assignment_points_at_the_warning(complaints, capsys):
    cleaned = complaints.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cleaned["product"][cleaned["product"] == "Credit card"] = "Credit card or prepaid card"
    assert not m00.check_relabelled(cleaned)
    assert "ChainedAssignmentError" in capsys.readouterr().out


def test_relabelled_needs_the_whole_table(complaints, capsys):
    column = complaints["product"].replace("Credit card", "Credit card or prepaid card")
    assert not m00.check_relabelled(column)
    assert t(f"{M00}.relabel_not_a_frame") in capsys.readouterr().out


def test_relabelled_losing_rows_is_not_right(complaints, capsys):
    dropped = complaints.loc[complaints["product"] != "Credit card"]
    assert not m00.check_relabelled(dropped)
    assert t(f"{M00}.relabel_hint") in capsys.readouterr().out


# --- lesson 01.01: sources of customer voice ------------------------------------------------

M01V = "practice.m01_sources_of_voice"


def test_narrative_pct(complaints, capsys):
    stories = int(complaints["consumer_complaint_narrative"].notna().sum())
    right = stories / len(complaints) * 100
    passes(m01_voice.check_narrative_pct, right, capsys)
    fails_with(m01_voice.check_narrative_pct, right / 100, t(f"{M01V}.share_not_percent"), capsys)
    fails_with(m01_voice.check_narrative_pct, stories, t(f"{M01V}.count_not_percent"), capsys)
    missing = complaints["consumer_complaint_narrative"].isna().mean() * 100
    fails_with(m01_voice.check_narrative_pct, missing, t(f"{M01V}.narrative_inverted"), capsys)


def test_low_rating_pct(reviews, capsys):
    stars = reviews["rating"]
    right = (stars <= 2).sum() / len(stars) * 100
    passes(m01_voice.check_low_rating_pct, right, capsys)
    fails_with(m01_voice.check_low_rating_pct, right / 100, t(f"{M01V}.share_not_percent"), capsys)
    fails_with(m01_voice.check_low_rating_pct, int((stars <= 2).sum()), t(f"{M01V}.count_not_percent"), capsys)
    fails_with(m01_voice.check_low_rating_pct, (stars <= 3).mean() * 100, t(f"{M01V}.three_stars_counted"), capsys)
    fails_with(m01_voice.check_low_rating_pct, (stars == 1).mean() * 100, t(f"{M01V}.only_one_star"), capsys)


def test_disputed_pct(complaints, capsys):
    answered = complaints["consumer_disputed"].dropna()
    disputed = int(answered.sum())
    right = disputed / len(answered) * 100
    passes(m01_voice.check_disputed_pct, right, capsys)
    blanks_in = disputed / len(complaints) * 100
    message = t(f"{M01V}.missing_in_denominator", answered=len(answered), total=len(complaints))
    fails_with(m01_voice.check_disputed_pct, blanks_in, message, capsys)
    blanks_as_no = complaints["consumer_disputed"].fillna(False).astype(bool).mean() * 100
    fails_with(m01_voice.check_disputed_pct, blanks_as_no, message, capsys)
    fails_with(m01_voice.check_disputed_pct, right / 100, t(f"{M01V}.share_not_percent"), capsys)
    fails_with(m01_voice.check_disputed_pct, disputed, t(f"{M01V}.count_not_percent"), capsys)
    fails_with(m01_voice.check_disputed_pct, 100 - right, t(f"{M01V}.not_disputed_instead"), capsys)


def test_patient_weighted_pct(hospitals, capsys):
    quiet, surveys = hospitals["quiet_always_pct"], hospitals["n_completed_surveys"]
    right = (quiet * surveys).sum() / surveys.sum()
    passes(m01_voice.check_patient_weighted_pct, right, capsys)
    fails_with(m01_voice.check_patient_weighted_pct, quiet.mean(), t(f"{M01V}.unweighted_mean"), capsys)
    fails_with(m01_voice.check_patient_weighted_pct, right / 100, t(f"{M01V}.share_not_percent"), capsys)


# --- lesson 01.02: survey scores with uncertainty -------------------------------------------

M01S = "practice.m01_survey_scores"


def test_top2_pct(reviews, capsys):
    stars = reviews["rating"]
    right = (stars >= 4).mean() * 100
    passes(m01_scores.check_top2_pct, right, capsys)
    fails_with(m01_scores.check_top2_pct, stars.mean(), t(f"{M01S}.mean_not_top2"), capsys)
    fails_with(m01_scores.check_top2_pct, right / 100, t(f"{M01S}.share_not_percent"), capsys)
    fails_with(m01_scores.check_top2_pct, (stars >= 3).mean() * 100, t(f"{M01S}.top3_not_top2"), capsys)
    fails_with(m01_scores.check_top2_pct, (stars == 5).mean() * 100, t(f"{M01S}.top1_not_top2"), capsys)


def test_trend_interval(reviews, capsys):
    trend = reviews[reviews["department_name"] == "Trend"]
    recommends, n = int(trend["recommended"].sum()), len(trend)
    right = wilson(recommends, n)
    passes(m01_scores.check_trend_interval, right, capsys)
    fails_with(m01_scores.check_trend_interval, tuple(v / 100 for v in right), t(f"{M01S}.interval_in_shares"), capsys)
    everyone = wilson(int(reviews["recommended"].sum()), len(reviews))
    fails_with(m01_scores.check_trend_interval, everyone, t(f"{M01S}.interval_all_reviews"), capsys)
    top2 = wilson(int((trend["rating"] >= 4).sum()), n)
    fails_with(m01_scores.check_trend_interval, top2, t(f"{M01S}.interval_of_top2"), capsys)
    share = recommends / n
    margin = 1.96 * math.sqrt(share * (1 - share) / n)
    wald = (100 * share, 100 * (share - margin), 100 * (share + margin))
    fails_with(m01_scores.check_trend_interval, wald, t(f"{M01S}.wald_interval"), capsys)


def test_hospital_nps(hospitals, capsys):
    row = hospitals[hospitals["facility_id"] == "220177"].iloc[0]
    high, middle, low = (row[f"overall_rating_{band}_pct"] / 100 for band in ("9_10", "7_8", "0_6"))
    n = int(row["n_completed_surveys"])
    check = m01_scores.check_hospital_nps
    passes(check, nps_with_interval(high, low, n), capsys)
    fails_with(check, nps_with_interval(high + middle, low, n), t(f"{M01S}.passives_as_promoters"), capsys)
    fails_with(check, nps_with_interval(high, low + middle, n), t(f"{M01S}.passives_as_detractors"), capsys)
    fails_with(check, nps_with_interval(low, high, n), t(f"{M01S}.promoters_detractors_swapped"), capsys)
    recommend = nps_with_interval(row["recommend_definitely_yes_pct"] / 100, row["recommend_not_pct"] / 100, n)
    fails_with(check, recommend, t(f"{M01S}.recommend_question_used"), capsys)


def test_most_reliable_class(reviews, capsys):
    counts = reviews.groupby("class_name", observed=True)["recommended"].agg(["sum", "size"])
    table = pd.DataFrame(
        [wilson(int(s), int(n)) for s, n in zip(counts["sum"], counts["size"])],
        index=counts.index,
        columns=["estimate", "low", "high"],
    ).assign(reviews=counts["size"])
    right = str(table["low"].idxmax())
    passes(m01_scores.check_most_reliable_class, right, capsys)
    perfect = table[table["estimate"] == 100]
    assert len(perfect) >= 1, "the data should hold tiny classes with a 100 % point rate"
    for name, row in perfect.iterrows():
        message = t(f"{M01S}.ranked_by_point_rate", reviews=int(row["reviews"]), low=row["low"])
        fails_with(m01_scores.check_most_reliable_class, str(name), message, capsys)
    biggest = str(table["reviews"].idxmax())
    fails_with(m01_scores.check_most_reliable_class, biggest, t(f"{M01S}.ranked_by_size"), capsys)
    other = next(str(name) for name in table.index if str(name) not in {right, biggest, *map(str, perfect.index)})
    fails_with(m01_scores.check_most_reliable_class, other, t(f"{M01S}.most_reliable_class_hint"), capsys)
