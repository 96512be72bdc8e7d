"""Self-checks of lessons 01-03 (coding verbatims) and 01-04 (complaints and public reviews).

Each check must accept the right answer, computed here independently with plain pandas,
reject every typical mistake with that mistake's explanation, and never raise.
"""

from __future__ import annotations

import pandas as pd
import pytest
from scipy import stats

from cxacademy.data import load
from cxacademy.practice import m01_complaints_and_reviews as complaints_practice
from cxacademy.practice import m01_coding_verbatims as verbatims_practice
from cxacademy.text import t
from cxacademy.voc import APPAREL_CODEBOOK, code_themes

VERBATIMS = "practice.m01_coding_verbatims"
COMPLAINTS = "practice.m01_complaints_and_reviews"
RELIEF = ["Closed with monetary relief", "Closed with non-monetary relief"]
CARE_WORDS = ("wash", "shrank", "shrunk", "shrink", "dryer", "dry clean", "laundr")


# --- answers computed the way the lessons teach, without the practice modules ---------


@pytest.fixture(scope="module")
def reviews() -> pd.DataFrame:
    frame = load("womens_ecommerce_reviews")
    codebook = {**APPAREL_CODEBOOK, "washing_and_care": CARE_WORDS}
    return frame.join(code_themes(frame["review_text"], codebook))


@pytest.fixture(scope="module")
def complaints() -> pd.DataFrame:
    return load("cfpb_complaints")


def pct_mentioning(frame: pd.DataFrame, theme: str, text_only: bool = True) -> float:
    rows = frame[frame["review_text"].notna()] if text_only else frame
    return 100 * rows[theme].mean()


def lift(frame: pd.DataFrame, theme: str, text_only: bool = True) -> float:
    unhappy = pct_mentioning(frame[~frame["recommended"]], theme, text_only)
    happy = pct_mentioning(frame[frame["recommended"]], theme, text_only)
    return unhappy / happy


def wilson(successes: int, n: int) -> tuple[float, float, float]:
    low, high = stats.binomtest(successes, n).proportion_ci(0.95, method="wilson")
    return 100 * successes / n, 100 * low, 100 * high


def assert_rejected_with(check, answer, message: str, capsys) -> None:
    assert not check(answer)
    assert message in capsys.readouterr().out


# --- lesson 01-03: coding verbatims into themes ------------------------------------------


def test_low_fit_pct(reviews, capsys):
    low = reviews[reviews["rating"] <= 2]
    right = pct_mentioning(low, "fit_and_size")
    check = verbatims_practice.check_low_fit_pct
    assert check(right)
    assert "✅" in capsys.readouterr().out
    with_text = low[low["review_text"].notna()]
    mistakes = {
        "share_not_percent": right / 100,
        "nan_in_denominator": pct_mentioning(low, "fit_and_size", text_only=False),
        "count_not_percent": float(with_text["fit_and_size"].sum()),
        "low_fit_wrong_base": 100 * with_text["fit_and_size"].sum() / reviews["review_text"].notna().sum(),
    }
    for key, answer in mistakes.items():
        assert_rejected_with(check, answer, t(f"{VERBATIMS}.{key}"), capsys)


def test_bottoms_quality_lift(reviews, capsys):
    bottoms = reviews[reviews["department_name"] == "Bottoms"]
    right = lift(bottoms, "fabric_and_quality")
    check = verbatims_practice.check_bottoms_quality_lift
    assert check(right)
    text_rows = bottoms[bottoms["review_text"].notna()]
    unhappy = pct_mentioning(text_rows[~text_rows["recommended"]], "fabric_and_quality")
    happy = pct_mentioning(text_rows[text_rows["recommended"]], "fabric_and_quality")
    mistakes = {
        "lift_inverted": happy / unhappy,
        "lift_points_not_ratio": unhappy - happy,
        "nan_in_denominator": lift(bottoms, "fabric_and_quality", text_only=False),
        "lift_whole_store": lift(reviews, "fabric_and_quality"),
    }
    for key, answer in mistakes.items():
        assert_rejected_with(check, answer, t(f"{VERBATIMS}.{key}"), capsys)


def test_quality_by_department(reviews, capsys):
    def by_department(frame: pd.DataFrame) -> pd.Series:
        return 100 * frame.groupby("department_name", observed=True)["fabric_and_quality"].mean()

    has_text = reviews["review_text"].notna()
    unhappy = ~reviews["recommended"]
    right = by_department(reviews[unhappy & has_text])
    check = verbatims_practice.check_quality_by_department
    assert check(right)
    assert check(right.rename(index=str)), "a plain string index must pass too"
    mistakes = {
        "share_not_percent": right / 100,
        "nan_in_denominator": by_department(reviews[unhappy]),
        "department_all_reviews": by_department(reviews[has_text]),
    }
    capsys.readouterr()
    for key, answer in mistakes.items():
        assert_rejected_with(check, answer, t(f"{VERBATIMS}.{key}"), capsys)


def test_care_pct(reviews, capsys):
    right = pct_mentioning(reviews, "washing_and_care")
    check = verbatims_practice.check_care_pct
    assert check(right)
    mistakes = {
        "share_not_percent": right / 100,
        "nan_in_denominator": pct_mentioning(reviews, "washing_and_care", text_only=False),
        "count_not_percent": float(reviews["washing_and_care"].sum()),
    }
    capsys.readouterr()
    for key, answer in mistakes.items():
        assert_rejected_with(check, answer, t(f"{VERBATIMS}.{key}"), capsys)


def test_care_words_match_the_module():
    assert verbatims_practice.CARE_WORDS == CARE_WORDS


# --- lesson 01-04: complaints and public negative reviews -------------------------------


def test_debt_issues_pct(complaints, capsys):
    debt = complaints[complaints["product"] == "Debt collection"]
    right = 100 * debt["issue"].value_counts(normalize=True)
    check = complaints_practice.check_debt_issues_pct
    assert check(right), "zero rows of the categorical must not matter"
    assert check(right[right > 0].sort_values()), "order does not matter"
    counts = debt["issue"].value_counts()
    mistakes = {
        "share_not_percent": right / 100,
        "sub_issue_not_issue": 100 * debt["sub_issue"].value_counts(normalize=True),
        "pareto_all_complaints": 100 * counts / len(complaints),
        "count_not_percent": counts,
    }
    capsys.readouterr()
    for key, answer in mistakes.items():
        assert_rejected_with(check, answer, t(f"{COMPLAINTS}.{key}"), capsys)
    sub_counts = debt["sub_issue"].value_counts()
    assert_rejected_with(check, 100 * sub_counts / len(debt), t(f"{COMPLAINTS}.sub_issue_not_issue"), capsys)


def relief_counts(frame: pd.DataFrame) -> dict[str, int]:
    outcome = frame["company_response_to_consumer"].astype(str)
    return {
        "relief": int(outcome.isin(RELIEF).sum()),
        "monetary": int((outcome == "Closed with monetary relief").sum()),
        "with_outcome": int((outcome != "In progress").sum()),
        "all": len(frame),
    }


def test_relief_pct(complaints, capsys):
    n = relief_counts(complaints)
    right = 100 * n["relief"] / n["with_outcome"]
    check = complaints_practice.check_relief_pct
    assert check(right)
    assert check(round(right, 2)), "two decimals are precise enough"
    mistakes = {
        "share_not_percent": right / 100,
        "in_progress_in_denominator": 100 * n["relief"] / n["all"],
        "monetary_only": 100 * n["monetary"] / n["with_outcome"],
    }
    capsys.readouterr()
    for key, answer in mistakes.items():
        assert_rejected_with(check, answer, t(f"{COMPLAINTS}.{key}"), capsys)


def test_card_relief(complaints, capsys):
    n = relief_counts(complaints[complaints["product"] == "Credit card or prepaid card"])
    right = wilson(n["relief"], n["with_outcome"])
    check = complaints_practice.check_card_relief
    assert check(right)
    assert check(list(right))
    mistakes = {
        "in_progress_in_denominator": wilson(n["relief"], n["all"]),
        "monetary_only": wilson(n["monetary"], n["with_outcome"]),
    }
    capsys.readouterr()
    for key, answer in mistakes.items():
        assert_rejected_with(check, answer, t(f"{COMPLAINTS}.{key}"), capsys)
    assert_rejected_with(check, right[0], t("check.kind.tuple"), capsys)


# --- both lessons: placeholders and odd answers never raise -----------------------------

ALL_CHECKS = [
    verbatims_practice.check_low_fit_pct,
    verbatims_practice.check_bottoms_quality_lift,
    verbatims_practice.check_quality_by_department,
    verbatims_practice.check_care_pct,
    complaints_practice.check_debt_issues_pct,
    complaints_practice.check_relief_pct,
    complaints_practice.check_card_relief,
]


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda check: check.__name__)
@pytest.mark.parametrize(
    "answer",
    [None, ..., "15", float("nan"), True, [1, 2], {"a": 1}, pd.Series(dtype=float), pd.DataFrame()],
    ids=["none", "ellipsis", "string", "nan", "bool", "short-list", "dict", "empty-series", "empty-frame"],
)
def test_checks_never_raise(check, answer, capsys):
    assert not check(answer)
    out = capsys.readouterr().out
    if answer is None or answer is Ellipsis:
        assert "Not answered yet" in out
    else:
        assert out.startswith("❌")
