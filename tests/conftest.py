"""Shared fixtures: repository paths and a private dataset cache per test session.

The loader keeps clean parquet copies of the datasets (``cxacademy.data.loader.cache_dir``).
Tests that read the user's cache would read frames cleaned by whatever code last filled
it, so a broken cleaning rule could pass every test. Each session therefore starts from an
empty cache of its own, set in ``CXA_CACHE_DIR`` before any test is collected (collection
imports modules that load data), and inherited by everything the tests start: notebook
kernels, the engine's ``warm_dataset_cache`` and its sandboxes, which bind it read-only.

Under pytest-xdist the controller creates the folder and hands its path to every worker,
so the workers share one cache: the loader writes each file under a temporary name and
renames it, so concurrent writers never expose a half-written file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CACHE_ENV = "CXA_CACHE_DIR"
_WORKER_KEY = "cxa_cache_dir"
_OWNED_CACHE = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """Point the dataset cache at this session's folder: the controller's, or a new one."""
    inherited = getattr(config, "workerinput", {}).get(_WORKER_KEY)
    if inherited:
        os.environ[CACHE_ENV] = inherited
        return
    folder = tempfile.mkdtemp(prefix="cxa-test-cache-")
    # Sandboxed kernels run under other uids and must read the cache (never write it).
    os.chmod(folder, 0o755)
    config.stash[_OWNED_CACHE] = folder
    os.environ[CACHE_ENV] = folder


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """pytest-xdist: a worker uses the controller's cache instead of creating its own."""
    node.workerinput[_WORKER_KEY] = os.environ[CACHE_ENV]


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_OWNED_CACHE, None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
