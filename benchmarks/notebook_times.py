"""Print the wall time of running each course and assignment-source notebook top to bottom.

Each notebook runs in a fresh kernel through nbclient, as nbval and nbgrader do.
Run: .venv/bin/python benchmarks/notebook_times.py [NOTEBOOK...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
BUDGET_S = 20.0


def run(path: Path) -> float:
    notebook = nbformat.read(str(path), as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=120, resources={"metadata": {"path": str(path.parent)}},
                   extra_arguments=["--IPKernelApp.log_level=ERROR"]).execute()
    return time.perf_counter() - start


def main(paths: list[Path]) -> None:
    worst = 0.0
    for path in paths:
        seconds = run(path)
        worst = max(worst, seconds)
        flag = "" if seconds < BUDGET_S else f"  over the {BUDGET_S:.0f} s budget"
        print(f"{seconds:6.1f} s  {path.relative_to(REPO)}{flag}")
    print(f"{len(paths)} notebooks; slowest {worst:.1f} s (budget {BUDGET_S:.0f} s each)")


if __name__ == "__main__":
    chosen = [Path(p).resolve() for p in sys.argv[1:]] or sorted(
        p for folder in ("course", "assignments/source") for p in (REPO / folder).rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts
    )
    main(chosen)
