"""Self-checks for lesson 00.01 "Notebooks, pandas and plots" (CFPB complaint log).

Every expected value is computed here from the data, and every typical mistake is
computed the way a learner would make it, so its message fires on exactly that answer.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cxacademy.checks import Mistake, Verdict, check
from cxacademy.data import load
from cxacademy.metrics import rate
from cxacademy.text import t

_KEY = "practice.m00_orientation"
_OLD_LABEL = "Credit card"
_NEW_LABEL = "Credit card or prepaid card"


def _msg(key: str, **values: Any) -> str:
    return t(f"{_KEY}.{key}", **values)


def check_web_share(answer: Any) -> Verdict:
    """Exercise 1: percentage of complaints submitted through the web form."""
    is_web = load("cfpb_complaints")["submitted_via"] == "Web"
    expected = rate(is_web)
    mistakes = [
        Mistake(expected / 100, _msg("share_not_percent")),
        Mistake(int(is_web.sum()), _msg("count_not_percent")),
        Mistake(100 - expected, _msg("web_share_inverted")),
    ]
    return check("web_share", answer, expected, tolerance=0.05, mistakes=mistakes, hint=_msg("web_share_hint"))


def check_debt_untimely(answer: Any) -> Verdict:
    """Exercise 2: number of debt-collection complaints that did not get a timely response."""
    complaints = load("cfpb_complaints")
    is_debt = complaints["product"] == "Debt collection"
    is_late = ~complaints["timely_response"]
    expected = int((is_debt & is_late).sum())
    mistakes = [
        Mistake(int(is_late.sum()), _msg("forgot_product_filter")),
        Mistake(int(is_debt.sum()), _msg("forgot_timely_filter")),
        Mistake(int((is_debt & ~is_late).sum()), _msg("counted_timely")),
    ]
    return check("debt_untimely", answer, expected, mistakes=mistakes, hint=_msg("debt_untimely_hint"))


def check_timely_pct_by_channel(answer: Any) -> Verdict:
    """Exercise 3: timely-response rate (%) for each submission channel, as a Series."""
    by_channel = load("cfpb_complaints").groupby("submitted_via")["timely_response"]
    expected = by_channel.agg(rate)
    mistakes = [
        Mistake(expected / 100, _msg("share_not_percent")),
        Mistake(by_channel.sum(), _msg("count_not_percent")),
        Mistake(100 - expected, _msg("untimely_instead")),
    ]
    return check(
        "timely_pct_by_channel", answer, expected, tolerance=0.05, mistakes=mistakes,
        hint=_msg("timely_pct_by_channel_hint"),
    )


def _label_counts(complaints: pd.DataFrame) -> pd.Series:
    """How many rows carry the old and the new product label, and how many rows there are."""
    product = complaints["product"]
    return pd.Series(
        {
            _OLD_LABEL: int((product == _OLD_LABEL).sum()),
            _NEW_LABEL: int((product == _NEW_LABEL).sum()),
            "rows": len(complaints),
        }
    )


def check_relabelled(answer: Any) -> Verdict:
    """Exercise 4: the old product label "Credit card" merged into "Credit card or prepaid card" with .loc."""
    original = load("cfpb_complaints")
    relabelled = original.copy()
    relabelled.loc[relabelled["product"] == _OLD_LABEL, "product"] = _NEW_LABEL
    expected = _label_counts(relabelled)
    if answer is None or answer is Ellipsis:
        return check("cleaned", answer, expected)
    if not isinstance(answer, pd.DataFrame) or "product" not in answer.columns:
        verdict = Verdict(False, _msg("relabel_not_a_frame"))
        print(verdict.message)
        return verdict
    counts = _label_counts(answer)
    if counts.equals(_label_counts(original)):
        verdict = Verdict(False, _msg("relabel_unchanged", old=int(counts[_OLD_LABEL])))
        print(verdict.message)
        return verdict
    return check("cleaned", counts, expected, hint=_msg("relabel_hint"))
