"""Load a shipped dataset as a clean, typed, validated DataFrame.

Cleaning is declared in ``catalog.py``; this module applies it the same way for every
dataset, checks the file's fingerprint so a damaged copy is caught before it misleads
anyone, and keeps a parquet copy of the clean frame so the next load is instant.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import zlib
from functools import cache
from pathlib import Path

import pandas as pd
import pandera.errors

from cxacademy.data.catalog import DATASETS, DatasetSpec

#: Bump when cleaning rules change so stale parquet caches are rebuilt.
CLEANING_VERSION = 1

_RESTORE_HINT = (
    "Restore it with `git checkout -- {rel}` from the course repository "
    "(or copy it again from the course's shared datasets folder)."
)


class DatasetError(Exception):
    """Base class for every data problem a learner or instructor can hit."""


class UnknownDatasetError(DatasetError, KeyError):
    """The name is not one of the shipped datasets."""

    def __str__(self) -> str:
        return str(self.args[0])


class DatasetFileError(DatasetError):
    """The dataset file is missing, damaged or does not match its schema."""


def data_dir() -> Path:
    """Where the datasets live: ``$CXA_DATA_DIR`` if set (an academy's own copy), else the repo's."""
    override = os.environ.get("CXA_DATA_DIR")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "datasets"


def cache_dir() -> Path:
    """Where clean parquet copies are kept: ``$CXA_CACHE_DIR`` or the user's cache folder."""
    override = os.environ.get("CXA_CACHE_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cx-academy" / "datasets"


def snake_case(name: str) -> str:
    """'Date received' → 'date_received', 'customerID' → 'customer_id', 'Timely response?' → 'timely_response'."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    name = re.sub(r"[^0-9a-zA-Z]+", "_", name)
    return name.strip("_").lower()


def _spec(name: str) -> DatasetSpec:
    try:
        return DATASETS[name]
    except KeyError:
        available = ", ".join(sorted(DATASETS))
        raise UnknownDatasetError(
            f"No dataset called {name!r}. Available datasets: {available}."
        ) from None


def dataset_path(name: str) -> Path:
    """The shipped file behind a dataset name."""
    spec = _spec(name)
    return data_dir() / spec.name / spec.file


def _fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _checked_file(spec: DatasetSpec) -> tuple[Path, str]:
    path = data_dir() / spec.name / spec.file
    rel = f"datasets/{spec.name}/{spec.file}"
    if not path.is_file():
        raise DatasetFileError(f"Dataset file {path} is missing. " + _RESTORE_HINT.format(rel=rel))
    fingerprint = _fingerprint(path)
    if "CXA_DATA_DIR" not in os.environ and fingerprint != spec.sha256:
        raise DatasetFileError(
            f"Dataset file {path} is damaged or was edited (its SHA-256 does not match the "
            "shipped copy). " + _RESTORE_HINT.format(rel=rel)
        )
    return path, fingerprint


def _read_raw(spec: DatasetSpec, path: Path) -> pd.DataFrame:
    rel = f"datasets/{spec.name}/{spec.file}"
    try:
        frame = pd.read_csv(path, low_memory=False, **spec.read_options)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DatasetFileError(
            f"Dataset file {path} cannot be read ({exc}). " + _RESTORE_HINT.format(rel=rel)
        ) from exc
    return frame


def _to_bool(series: pd.Series, true_false: tuple[str, str], column: str) -> pd.Series:
    true, false = true_false
    text = series.astype("string")
    unknown = set(text.dropna().unique()) - {true, false}
    if unknown:
        raise DatasetFileError(f"Column {column!r} holds unexpected values {sorted(unknown)}.")
    mapped = text.map({true: True, false: False}).astype("boolean")
    return mapped if mapped.isna().any() else mapped.astype(bool)


def clean(spec: DatasetSpec, raw: pd.DataFrame) -> pd.DataFrame:
    """Apply a dataset's declared cleaning: names, dropped index columns, dates, booleans, categories."""
    frame = raw.rename(columns=snake_case).rename(columns=spec.rename)
    frame = frame.drop(columns=list(spec.drop))
    for column, fmt in spec.dates.items():
        with_offset = fmt == "ISO8601"
        parsed = pd.to_datetime(frame[column], format=fmt, utc=with_offset)
        frame[column] = parsed.astype("datetime64[us, UTC]" if with_offset else "datetime64[us]")
    for column, true_false in spec.booleans.items():
        frame[column] = _to_bool(frame[column], true_false, column)
    for column in spec.categories:
        frame[column] = frame[column].astype("category")
    for column, width in spec.zero_pad.items():
        frame[column] = frame[column].str.zfill(width)
    return frame


def _validate(spec: DatasetSpec, frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    try:
        return spec.schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        summary = exc.failure_cases[["column", "check"]].drop_duplicates().head(5)
        problems = "; ".join(f"{row.column}: {row.check}" for row in summary.itertuples())
        raise DatasetFileError(
            f"Dataset {spec.name!r} ({path}) does not match its declared schema: {problems}."
        ) from exc


@cache
def _load_clean(name: str) -> pd.DataFrame:
    spec = _spec(name)
    path, fingerprint = _checked_file(spec)
    cached = cache_dir() / f"{name}-{fingerprint[:16]}-v{CLEANING_VERSION}.parquet"
    if cached.is_file():
        try:
            return pd.read_parquet(cached)
        except (OSError, ValueError):
            cached.unlink(missing_ok=True)
    frame = _validate(spec, clean(spec, _read_raw(spec, path)), path)
    _write_cache(frame, cached)
    return frame


def _write_cache(frame: pd.DataFrame, target: Path) -> None:
    """Best effort: a read-only home (a grading sandbox, say) just means no cache."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        frame.to_parquet(partial)
        partial.replace(target)
    except OSError:
        pass


def load(name: str) -> pd.DataFrame:
    """Return the named dataset as a fresh DataFrame (safe to modify; the next call is unaffected)."""
    return _load_clean(name).copy()


def catalogue() -> pd.DataFrame:
    """One row per dataset: name, size, licence, whether redistribution is clearly allowed, skill areas."""
    rows = []
    for spec in DATASETS.values():
        frame = _load_clean(spec.name)
        rows.append(
            {
                "name": spec.name,
                "title": spec.title,
                "rows": len(frame),
                "columns": frame.shape[1],
                "licence": spec.licence,
                "redistribution": spec.redistribution,
                "clearly_redistributable": spec.redistribution == "clear",
                "skill_areas": ", ".join(spec.skill_areas),
                "caveat": spec.caveat,
            }
        )
    return pd.DataFrame(rows)
