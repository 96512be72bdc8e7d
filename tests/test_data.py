"""The loader: clean typed frames, clear errors, a catalogue that tells licences apart."""

from __future__ import annotations

import gzip
import shutil

import pandas as pd
import pytest

from cxacademy.data import DATASETS, DatasetFileError, UnknownDatasetError, catalogue, load
from cxacademy.data import loader
from cxacademy.data.loader import snake_case


@pytest.fixture
def private_copy(tmp_path, monkeypatch):
    """A copy of the datasets and an empty cache that a test may break freely."""
    data = tmp_path / "datasets"
    shutil.copytree(loader.data_dir(), data, ignore=shutil.ignore_patterns("*.md"))
    monkeypatch.setattr(loader, "data_dir", lambda: data)
    monkeypatch.setenv("CXA_CACHE_DIR", str(tmp_path / "cache"))
    loader._load_clean.cache_clear()
    yield data
    loader._load_clean.cache_clear()


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_dataset_loads_clean_and_typed(name):
    frame = load(name)
    assert len(frame) > 1000
    assert all(column == snake_case(column) for column in frame.columns), "column names must be snake_case"
    for column in DATASETS[name].dates:
        assert pd.api.types.is_datetime64_any_dtype(frame[column]), f"{column} should be parsed as dates"
    for column in DATASETS[name].categories:
        assert isinstance(frame[column].dtype, pd.CategoricalDtype), f"{column} should be a category"
    spec = DATASETS[name]
    for column in spec.booleans:
        assert pd.api.types.is_bool_dtype(frame[column]), f"{column} should hold booleans"
    assert set(spec.rename.values()) <= set(frame.columns), "renamed columns should carry their new names"
    assert not set(spec.drop) & set(frame.columns), "index columns of the export should be dropped"
    for column, width in spec.zero_pad.items():
        assert (frame[column].str.len() == width).all(), f"{column} should be zero-padded to {width}"


def test_the_session_reads_a_private_dataset_cache_not_the_users(monkeypatch):
    """A cache filled by other code (or an older cleaning) must not stand in for this code's cleaning."""
    private = loader.cache_dir()
    monkeypatch.delenv("CXA_CACHE_DIR")
    assert private != loader.cache_dir()
    assert private.name.startswith("cxa-test-cache-")


def test_every_dataset_ships_its_data_card(repo):
    for name, spec in DATASETS.items():
        card = (repo / "datasets" / name / "SOURCE.md").read_text()
        assert "icen" in card.lower() and spec.file in card, f"{name}: data card must name the file and licence"


def test_load_returns_an_independent_copy():
    first = load("telco_churn")
    first.loc[:, "tenure"] = -1
    assert (load("telco_churn")["tenure"] >= 0).all()


def test_snake_case_examples():
    assert snake_case("Date received") == "date_received"
    assert snake_case("customerID") == "customer_id"
    assert snake_case("Timely response?") == "timely_response"
    assert snake_case("Departure/Arrival time convenient") == "departure_arrival_time_convenient"


def test_unknown_name_lists_the_available_ones():
    with pytest.raises(UnknownDatasetError) as error:
        load("cfpb_complaint")
    assert "cfpb_complaints" in str(error.value) and "telco_churn" in str(error.value)


def test_missing_file_says_which_and_how_to_restore(private_copy):
    (private_copy / "telco_churn" / "telco_customer_churn.csv.gz").unlink()
    with pytest.raises(DatasetFileError, match=r"telco_customer_churn\.csv\.gz is missing.*git checkout"):
        load("telco_churn")


FINGERPRINT_MISMATCH = r"is damaged or was edited \(its SHA-256 does not match the shipped copy\)"


def test_damaged_file_is_caught_before_it_misleads(private_copy):
    target = private_copy / "telco_churn" / "telco_customer_churn.csv.gz"
    target.write_bytes(target.read_bytes()[:5000])
    with pytest.raises(DatasetFileError, match=FINGERPRINT_MISMATCH + r".*git checkout"):
        load("telco_churn")


def test_an_edit_that_still_reads_and_fits_the_schema_is_caught_by_the_fingerprint(private_copy):
    """Only the fingerprint can tell: the edited file parses, cleans and validates like the real one."""
    target = private_copy / "telco_churn" / "telco_customer_churn.csv.gz"
    frame = pd.read_csv(target, dtype=str, keep_default_na=False)
    frame.loc[0, "tenure"] = str(int(frame.loc[0, "tenure"]) % 70 + 1)
    with gzip.open(target, "wt", newline="") as handle:
        frame.to_csv(handle, index=False)
    with pytest.raises(DatasetFileError, match=FINGERPRINT_MISMATCH):
        load("telco_churn")


def test_a_new_cleaning_version_never_reads_the_older_cache(private_copy, monkeypatch):
    """Cached frames are keyed by CLEANING_VERSION: changed cleaning rules are applied, not hidden."""
    true_tenure = load("telco_churn")["tenure"]
    cached = next(loader.cache_dir().glob(f"telco_churn-*-v{loader.CLEANING_VERSION}.parquet"))
    pd.read_parquet(cached).assign(tenure=true_tenure + 1000).to_parquet(cached)
    loader._load_clean.cache_clear()
    assert (load("telco_churn")["tenure"] == true_tenure + 1000).all(), "the cache should serve this version"
    monkeypatch.setattr(loader, "CLEANING_VERSION", loader.CLEANING_VERSION + 1)
    loader._load_clean.cache_clear()
    assert load("telco_churn")["tenure"].equals(true_tenure)


def test_academy_data_that_breaks_the_schema_is_named(private_copy, monkeypatch):
    """An academy's own export ($CXA_DATA_DIR) skips the fingerprint but never the schema."""
    monkeypatch.setenv("CXA_DATA_DIR", str(private_copy))
    target = private_copy / "telco_churn" / "telco_customer_churn.csv.gz"
    frame = pd.read_csv(target)
    frame.loc[0, "tenure"] = 999
    with gzip.open(target, "wt") as handle:
        frame.to_csv(handle, index=False)
    with pytest.raises(DatasetFileError, match="tenure"):
        load("telco_churn")


def test_unreadable_academy_file_is_named(private_copy, monkeypatch):
    monkeypatch.setenv("CXA_DATA_DIR", str(private_copy))
    target = private_copy / "telco_churn" / "telco_customer_churn.csv.gz"
    target.write_bytes(b"this is not gzip")
    with pytest.raises(DatasetFileError, match="cannot be read"):
        load("telco_churn")


def test_catalogue_flags_licences():
    table = catalogue().set_index("name")
    assert table.loc["cfpb_complaints", "clearly_redistributable"]
    assert not table.loc["twitter_airline_sentiment", "clearly_redistributable"]
    assert not table.loc["airline_passenger_satisfaction", "clearly_redistributable"]
    assert table.loc["telco_churn", "caveat"].lower().count("fictional") == 1
    assert table.loc["uci_online_retail", "rows"] == 541_909
    assert set(table.columns) >= {"rows", "columns", "licence", "redistribution", "skill_areas"}
