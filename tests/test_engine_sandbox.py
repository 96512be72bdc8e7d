"""The learner sandbox holds what the threat model says, and nothing else.

Each test runs a small Python program through the same bubblewrap command line a learner's
kernel gets, and checks from inside: no network, a filesystem with only the Python
environment, the course package, the datasets and the learner's own files (read-only), no
secrets in the environment, the resource limits in force, no privileges, and nothing left
running once the sandbox is killed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from grader.engine.sandbox import HOME, Limits, Sandbox, privileged, require_bwrap

LIMITS = Limits(memory_bytes=1 << 30, processes=32, file_bytes=8 << 20, scratch_bytes=16 << 20)


@pytest.fixture
def box(tmp_path: Path):
    """A sandbox, a learner's work folder holding one notebook, and a helper to run code inside."""
    require_bwrap()
    sandbox = Sandbox(0, LIMITS, tmp_path / "run")
    notebook = tmp_path / "work" / "assignment.ipynb"
    notebook.parent.mkdir()
    notebook.write_text("{}")
    uid = sandbox.new_learner_uid()

    def run(code: str, **kwargs) -> subprocess.CompletedProcess:
        argv = [sys.executable, "-c", code]
        command = sandbox.learner_command(argv, uid, [notebook], HOME / "assignment", [])
        return subprocess.run(command, capture_output=True, text=True, timeout=60, **kwargs)

    return run


def inside(run, code: str, **kwargs) -> dict:
    result = run(textwrap.dedent(code) + "\nprint(json.dumps(report))", **kwargs)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_there_is_no_network(box):
    report = inside(box, """
        import json, socket
        try:
            socket.create_connection(("1.1.1.1", 53), timeout=3)
            report = "connected"
        except OSError as error:
            report = str(error)
    """)
    assert "unreachable" in report.lower()


def test_only_the_environment_the_package_the_data_and_own_files_are_visible(box, tmp_path, repo):
    secret = tmp_path / "gradebook.db"
    secret.write_text("scores")
    report = inside(box, f"""
        import json, os
        report = {{
            "cwd": os.getcwd(), "here": os.listdir("."), "home": os.listdir("{HOME}"),
            "repo": sorted(os.listdir("{repo}")) if os.path.isdir("{repo}") else [],
            "secret": os.path.exists("{secret}"), "sources": os.path.exists("{repo / 'assignments'}"),
        }}
    """)
    assert report["cwd"] == str(HOME / "assignment") and report["here"] == ["assignment.ipynb"]
    assert not report["secret"] and not report["sources"]
    assert set(report["repo"]) <= {".venv", "cxacademy", "datasets"}


def test_own_files_and_the_environment_are_read_only_and_scratch_space_is_capped(box, repo):
    report = inside(box, f"""
        import json, os
        def attempt(path, size=1):
            try:
                with open(path, "wb") as handle:
                    handle.write(b"x" * size)
                return "written"
            except OSError as error:
                return error.strerror
        report = {{"notebook": attempt("assignment.ipynb"), "package": attempt("{repo}/cxacademy/x.py"),
                  "scratch": attempt("/tmp/small"), "home": attempt("{HOME}/notes.txt"),
                  "over": attempt("/tmp/big", 24 << 20)}}
    """)
    assert report["notebook"] == report["package"] == "Read-only file system"
    assert report["scratch"] == report["home"] == "written"
    assert report["over"] in ("File too large", "No space left on device")


def test_the_host_environment_does_not_leak_in(box):
    report = inside(box, "import json, os\nreport = dict(os.environ)", env={**os.environ, "CXA_DB_URL": "postgresql://x:pw@db/"})
    assert "CXA_DB_URL" not in report and report["HOME"] == str(HOME)


def test_limits_are_in_force_and_privileges_are_gone(box):
    report = inside(box, """
        import json, os, resource
        status = dict(line.split(":", 1) for line in open("/proc/self/status"))
        report = {"as": resource.getrlimit(resource.RLIMIT_AS)[0], "nproc": resource.getrlimit(resource.RLIMIT_NPROC)[0],
                  "fsize": resource.getrlimit(resource.RLIMIT_FSIZE)[0], "uid": os.getuid(),
                  "caps": status["CapEff"].strip(), "pid": os.getpid()}
    """)
    assert (report["as"], report["nproc"], report["fsize"]) == (LIMITS.memory_bytes, LIMITS.processes,
                                                                LIMITS.file_bytes)
    assert int(report["caps"], 16) == 0 and report["pid"] < 10
    assert report["uid"] != 0 or not privileged()


def test_a_fork_bomb_stops_at_the_process_limit(box):
    report = inside(box, """
        import json, os, time
        children = 0
        try:
            while True:
                if os.fork() == 0:
                    time.sleep(30)
                    os._exit(0)
                children += 1
        except OSError as error:
            report = {"children": children, "error": error.strerror}
    """)
    assert report["children"] < LIMITS.processes and "temporarily unavailable" in report["error"]


def test_killing_the_sandbox_kills_everything_started_inside(tmp_path):
    require_bwrap()
    sandbox = Sandbox(1, LIMITS, tmp_path / "run")
    ready = tmp_path / "ready"
    os.chmod(tmp_path, 0o777)
    token = f"cx-kill-test-{os.getpid()}"
    code = (f"import os, time  # {token}\nfor _ in range(5):\n    os.fork() or time.sleep(300)\n"
            f"open('{ready}', 'w').write('up')\ntime.sleep(300)")
    command = sandbox.learner_command([sys.executable, "-c", code], sandbox.new_learner_uid(), [], HOME / "a",
                                      [tmp_path])
    process = subprocess.Popen(command)
    deadline = time.monotonic() + 30
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(_running(token)) >= 6
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 10
    while _running(token) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(token)


def _running(token: str) -> list[int]:
    """Live (not zombie) processes whose command line carries ``token``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            alive = "\nState:\tZ" not in (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if entry.name.isdigit() and alive and token in command and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found
