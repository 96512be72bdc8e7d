"""Labels come from the locale files; theme coding keeps rows aligned and blanks False."""

from __future__ import annotations

import pandas as pd
import pytest

from cxacademy import text
from cxacademy.voc import code_themes


def test_missing_translation_falls_back_to_english(monkeypatch):
    monkeypatch.setenv("CXA_LANG", "xx")
    assert text.t("check.correct", name="n") == "✅ Correct: `n` matches the value computed from the data."


def test_unknown_key_is_an_error():
    with pytest.raises(KeyError, match="locale"):
        text.t("no.such.key")


def test_code_themes_matches_word_starts_and_codes_blanks_false():
    texts = pd.Series(["Runs tighter than expected", None, "Lovely colour"], index=[10, 11, 12])
    coded = code_themes(texts, {"fit": ["tight"], "look": ["colour"]})
    assert list(coded.index) == [10, 11, 12]
    assert coded.to_dict("list") == {"fit": [True, False, False], "look": [False, False, True]}
