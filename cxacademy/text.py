"""Every learner-facing label and check message, kept in one place per language.

Code never embeds prose: it asks for a key, ``t("check.correct")``, and the text comes
from the TOML files in ``locale/<lang>/`` (``common.toml`` plus one file per lesson or
widget family, merged). The Russian edition adds ``locale/ru/``; a missing key falls
back to English so a half-translated edition still runs.
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path

_LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "en"


def language() -> str:
    """The edition in use: ``$CXA_LANG`` (e.g. "ru"), else English."""
    return os.environ.get("CXA_LANG", DEFAULT_LANGUAGE)


@cache
def _table(lang: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for path in sorted((_LOCALE_DIR / lang).glob("*.toml")):
        table.update(_flatten(tomllib.loads(path.read_text(encoding="utf-8"))))
    return table


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


def has(key: str) -> bool:
    """Whether ``key`` has a text in the current language or in English."""
    return key in _table(language()) or key in _table(DEFAULT_LANGUAGE)


def t(key: str, **values: object) -> str:
    """The text for ``key`` in the current language, with ``{placeholders}`` filled in."""
    text = _table(language()).get(key) or _table(DEFAULT_LANGUAGE).get(key)
    if text is None:
        raise KeyError(f"No text for {key!r} in cxacademy/locale/{DEFAULT_LANGUAGE}/")
    return text.format(**values) if values else text
