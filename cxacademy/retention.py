"""Retention from a purchase log: cohorts, retention at month k, repeat purchase, period-to-period retention.

A purchase log (one row per purchase: who, when) holds no "churn" field: customers of a shop
simply stop buying. Retention is therefore measured as *activity*: was a customer of a cohort
seen buying again in a given period? Two rules keep these numbers honest:

- count **customers**, not purchases (two orders in a month are one active customer);
- a cohort can only be measured for periods that have been observed: later cells are
  missing (NaN), never zero.
"""

from __future__ import annotations

import pandas as pd


def _periods(purchases: pd.DataFrame, date: str, period: str) -> pd.Series:
    return purchases[date].dt.to_period(period)


def cohort_counts(
    purchases: pd.DataFrame, customer: str = "customer_id", date: str = "date", period: str = "M"
) -> pd.DataFrame:
    """Customers of each acquisition cohort who bought in each period since their first purchase.

    Rows are cohorts, labelled by the period of the first purchase (``"1997-01"`` for months);
    columns count periods since then (0 = the first period, so column 0 is the cohort's size).
    Periods after the end of the log are NaN: not yet observed, not zero.
    """
    periods = _periods(purchases, date, period)
    ordinal = pd.Series(periods.array.asi8, index=purchases.index)
    first = ordinal.groupby(purchases[customer]).transform("min")
    activity = pd.DataFrame(
        {"cohort": first, "age": ordinal - first, "customer": purchases[customer]}
    ).drop_duplicates()
    counts = activity.groupby(["cohort", "age"])["customer"].size().unstack(fill_value=0)
    counts = counts.reindex(columns=range(int(counts.columns.max()) + 1), fill_value=0).astype("float64")
    last = int(ordinal.max())
    for cohort in counts.index:
        counts.loc[cohort, counts.columns > last - cohort] = float("nan")
    counts.index = [str(pd.Period(ordinal=int(c), freq=periods.dtype.freq)) for c in counts.index]
    counts.index.name = "cohort"
    counts.columns.name = "periods_since_first"
    return counts


def cohort_table(
    purchases: pd.DataFrame, customer: str = "customer_id", date: str = "date", period: str = "M"
) -> pd.DataFrame:
    """Retention table: % of each cohort's customers active in each period since their first purchase.

    Column 0 is 100 by definition; column k is "retention at period k". Unobserved cells are NaN.
    """
    counts = cohort_counts(purchases, customer, date, period)
    return 100 * counts.div(counts[0], axis=0)


def retention_at(table: pd.DataFrame, k: int) -> pd.Series:
    """Retention at period ``k`` (a column of ``cohort_table``), one value per cohort."""
    if k not in table.columns:
        raise KeyError(f"the table has periods 0 to {max(table.columns)} since the first purchase; {k} is not one of them")
    return table[k].rename(f"retention_{k}")


def repeat_purchase_rate(
    purchases: pd.DataFrame, customer: str = "customer_id", date: str = "date", within_days: int | None = None
) -> float:
    """% of customers who bought again on a later day than their first purchase (optionally within N days).

    Why "a later day": several orders on the first day are one shopping trip, not a return.
    """
    first = purchases.groupby(customer)[date].transform("min")
    later = purchases[date].dt.normalize() > first.dt.normalize()
    if within_days is not None:
        later &= (purchases[date] - first).dt.days <= within_days
    returned = later.groupby(purchases[customer]).any()
    return float(100 * returned.mean())


def period_retention(
    purchases: pd.DataFrame, customer: str = "customer_id", date: str = "date", period: str = "Q"
) -> pd.Series:
    """Share (0–1) of customers active in one period who are active again in the next.

    The denominator is only those active at the start; customers who arrive or come back
    during the next period are not "retained". Labelled ``"1997Q2→1997Q3"``.
    """
    periods = _periods(purchases, date, period)
    active = purchases[customer].groupby(periods).agg(set)
    active = active.reindex(pd.period_range(periods.min(), periods.max(), freq=periods.dtype.freq), fill_value=set())
    shares = {
        f"{start}→{end}": len(active[start] & active[end]) / len(active[start])
        for start, end in zip(active.index[:-1], active.index[1:])
        if active[start]
    }
    return pd.Series(shares, name="retention", dtype="float64")
