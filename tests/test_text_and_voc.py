"""Labels come from the locale files; theme coding keeps rows aligned and blanks False."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxacademy import text
from cxacademy.voc import APPAREL_CODEBOOK, code_themes


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


def test_fit_theme_reads_small_only_as_a_verdict_on_the_fit():
    # Lesson 01-03 read what the bare word "small" caught: size labels, other garments and
    # damage. The shipped codebook must code those reviews by what they are about.
    texts = pd.Series([
        "bought the extra small. pricey but worth it",   # size label only: not fit
        "paired with a small tank underneath",            # another garment: not fit
        "arrived with a small hole in the seam",          # damage: quality, not fit
        "lovely, but it runs small, order up",            # a verdict on the fit
        "the waist is a little small for me",             # a verdict on the fit
    ])
    coded = code_themes(texts, APPAREL_CODEBOOK)
    assert coded["fit_and_size"].tolist() == [False, False, False, True, True]
    assert coded["fabric_and_quality"].tolist() == [False, False, True, False, False]


MARKS = ("✅", "❌", "⏳")


def _marks_without_a_word(message: str) -> list[str]:
    """Each mark in ``message`` that is not followed by a word (it renders as a box without an emoji font)."""
    return [
        mark
        for mark in MARKS
        for piece in message.split(mark)[1:]
        if not piece.strip()[:1].isalpha()
    ]


def test_every_mark_in_the_locale_comes_with_a_word():
    table = text._table("en")
    bare = {key: message for key, message in table.items() if _marks_without_a_word(message)}
    assert not bare, f"these messages rely on a mark alone: {bare}"
    assert _marks_without_a_word("✅ {name}") and not _marks_without_a_word("✅ Correct: {name}")


def test_quiz_feedback_marks_come_from_the_locale():
    # The quiz widget builds its verdict from the locale words, never from a bare mark in code.
    source = (Path(text.__file__).parent / "widgets.py").read_text(encoding="utf-8")
    assert not any(mark in source for mark in MARKS)
    assert not _marks_without_a_word(text.t("widget.right_choice") + " Yes")
