"""The test session's private dataset cache (tests/conftest.py) works where grading needs it.

The engine builds the parquet cache once on the host (``warm_dataset_cache``) and every
sandbox binds it read-only; a kernel there must find the session's cache, read it, and
be unable to change it. A cache folder only its creator can read would make every
sandboxed ``load`` parse the raw files again, or fail.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from cxacademy.data import load
from cxacademy.data.catalog import DATASETS
from cxacademy.data.loader import CLEANING_VERSION, cache_dir
from grader.engine.cohort import warm_dataset_cache
from grader.engine.sandbox import HOME, Limits, Sandbox, require_bwrap

DATASET = "telco_churn"
PROBE = """
import json
from pathlib import Path
import pandas as pd
from cxacademy.data.loader import cache_dir
cached = sorted(cache_dir().glob("{name}-*-v{version}.parquet"))
try:
    (cache_dir() / "planted.parquet").write_bytes(b"x")
    write = "written"
except OSError as error:
    write = error.strerror
print(json.dumps({{"cache": str(cache_dir()), "rows": [len(pd.read_parquet(path)) for path in cached], "write": write}}))
"""


def run_in_sandbox(tmp_path: Path, code: str) -> dict:
    """Run ``code`` as a learner's kernel would be run, and return the JSON it prints."""
    require_bwrap()
    sandbox = Sandbox(0, Limits(), tmp_path / "run")
    notebook = tmp_path / "assignment.ipynb"
    notebook.write_text("{}")
    command = sandbox.learner_command([sys.executable, "-c", code], sandbox.new_learner_uid(), [notebook],
                                      HOME / "assignment", [])
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_engine_warms_the_session_cache_and_sandboxes_read_it_but_cannot_write_it(tmp_path):
    warm_dataset_cache()
    assert all(any(cache_dir().glob(f"{name}-*-v{CLEANING_VERSION}.parquet")) for name in DATASETS)
    seen = run_in_sandbox(tmp_path, textwrap.dedent(PROBE.format(name=DATASET, version=CLEANING_VERSION)))
    assert seen["cache"] == str(cache_dir())
    assert seen["rows"] == [len(load(DATASET))]
    assert seen["write"] == "Read-only file system"
