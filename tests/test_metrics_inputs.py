"""The course's formulas refuse impossible inputs with a sentence in the learner's terms.

A learner who passes percentages where shares belong used to get ``math domain error``
from deep inside the package; now the formula names the input and the fix, and the
error displays as that sentence only (``cxacademy.errors``).
"""

from __future__ import annotations

import math

import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from cxacademy import metrics
from cxacademy.errors import InputError
from cxacademy.text import t


def test_percentages_where_shares_belong_are_named():
    with pytest.raises(InputError) as raised:
        metrics.nps_interval_from_shares(45, 20, 400)
    assert str(raised.value) == t("metrics.not_a_share", name="promoters", value=45)


def test_shares_that_add_up_to_more_than_everyone_are_refused():
    with pytest.raises(InputError, match="add up to more than 1"):
        metrics.nps_difference_from_shares(0.7, 0.5, 100, 0.4, 0.2, 100)


def test_no_answers_still_gives_no_interval_rather_than_an_error():
    assert all(math.isnan(value) for value in metrics.nps_interval([]))


@pytest.mark.parametrize("call, key, values", [
    (lambda: metrics.nps_sample_size(0.5, 0.2, 0), "metrics.margin_positive", {"margin": 0}),
    (lambda: metrics.proportion_interval(12, 10), "metrics.successes_out_of_n", {"successes": 12, "n": 10}),
    (lambda: metrics.lifetime_value(100.0, 80, 0.1), "metrics.retention_share", {"retention": 80}),
])
def test_each_impossible_input_has_its_own_sentence(call, key, values):
    with pytest.raises(InputError) as raised:
        call()
    assert str(raised.value) == t(key, **values)


def test_in_a_notebook_the_learner_sees_the_sentence_not_the_package():
    notebook = new_notebook(cells=[new_code_cell(
        "from cxacademy.metrics import nps_interval_from_shares\nnps_interval_from_shares(45, 20, 400)")])
    NotebookClient(notebook, timeout=60, allow_errors=True, kernel_name="python3").execute()
    [error] = [out for out in notebook.cells[0].outputs if out.output_type == "error"]
    shown = "\n".join(error.traceback)
    assert shown == t("metrics.not_a_share", name="promoters", value=45)
    assert "metrics.py" not in shown and "math domain error" not in shown
