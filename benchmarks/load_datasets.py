"""Print how long loading every shipped dataset takes: cold (no cache) and warm.

Run: .venv/bin/python benchmarks/load_datasets.py
"""

from __future__ import annotations

import os
import tempfile
import time

from cxacademy.data import DATASETS, load
from cxacademy.data import loader


def _load_all() -> tuple[float, dict[str, float]]:
    loader._load_clean.cache_clear()
    each = {}
    start = time.perf_counter()
    for name in DATASETS:
        tick = time.perf_counter()
        load(name)
        each[name] = time.perf_counter() - tick
    return time.perf_counter() - start, each


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        os.environ["CXA_CACHE_DIR"] = cache
        cold, cold_each = _load_all()
        warm, _ = _load_all()
    print(f"{'dataset':34} {'cold s':>7}")
    for name, seconds in cold_each.items():
        print(f"{name:34} {seconds:7.2f}")
    print(f"all {len(DATASETS)} datasets, cold (parse, clean, validate, write cache): {cold:.2f} s")
    print(f"all {len(DATASETS)} datasets, warm (from parquet cache, new process state): {warm:.2f} s")


if __name__ == "__main__":
    main()
