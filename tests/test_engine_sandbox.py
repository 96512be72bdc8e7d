"""The learner sandbox holds what the threat model says, and nothing else.

Each test runs a small Python program through the same bubblewrap command line a learner's
kernel gets, and checks from inside: no network, a filesystem with only the Python
environment, the course package, the datasets and the learner's own files (read-only), no
secrets in the environment, the resource limits in force, no privileges, the denied system
calls refused, no host path on the visible command lines, and nothing left running once the
sandbox is killed. The bounds on what a learner costs the grader outside the sandbox (sizes
checked before parsing, oversized kernel messages dropped unread) are checked here too.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pyseccomp
import pytest
import zmq
from nbformat.v4 import new_code_cell, new_notebook

from grader.engine import snapshot
from grader.engine.execute import LearnerBox, SandboxedKernelManager
from grader.engine.sandbox import (CGROUP_ENV, DENIED_SYSCALLS, HOME, KERNEL_DIR, Limits, Sandbox, delegated_cgroup,
                                   privileged, require_bwrap)
from grader.engine.values import read_snapshot
from grader.intake import MAX_CELLS, notebook_problem

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


SYSCALL_PROBE = """
import ctypes, errno, json, os
libc = ctypes.CDLL(None, use_errno=True)
def attempt(number, *args):
    result = libc.syscall(number, *[ctypes.c_long(arg) for arg in args])
    if result == 0 and number == {clone}:  # the child of a clone the filter let through
        os._exit(0)
    return "allowed" if result >= 0 else errno.errorcode.get(ctypes.get_errno(), "?")
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
report = {{"seccomp": status["Seccomp"].strip(),
          "denied": {{name: attempt(number) for name, number in {denied}.items()}},
          "probes": {{name: attempt(*call) for name, call in {probes}.items()}},
          "fork": os.waitpid(os.fork() or os._exit(0), 0)[1]}}
"""


def _number(name: str) -> int:
    return pyseccomp.resolve_syscall(pyseccomp.system_arch(), name)


def test_the_system_calls_a_notebook_never_needs_fail_inside_the_sandbox(box):
    new_user = 0x10000000
    probes = {  # what each denied family would do, with arguments that work without the filter
        "unshare a user namespace": (_number("unshare"), new_user),
        "clone into a user namespace": (_number("clone"), new_user | signal.SIGCHLD, 0, 0, 0, 0),
        "ptrace itself": (_number("ptrace"), 0, 0, 0, 0),
        "read the session keyring": (_number("keyctl"), 0, -3, 0),
        "load a BPF program": (_number("bpf"), 5, 0, 0),
        "mount a tmpfs": (_number("mount"), 0, 0, 0, 0, 0),
        "load a kernel module": (_number("finit_module"), 0, 0, 0),
    }
    denied = {name: _number(name) for calls in DENIED_SYSCALLS.values() for name in calls}
    code = SYSCALL_PROBE.format(clone=_number("clone"), denied=denied, probes=probes)
    report = inside(box, code)
    assert report["seccomp"] == "2"
    assert report["denied"] == {name: errno.errorcode[errno.EPERM] for name in denied}
    assert report["probes"] == {name: errno.errorcode[errno.EPERM] for name in probes}
    assert report["fork"] == 0


def test_clone3_says_not_implemented_so_threads_and_processes_fall_back_to_clone(box):
    report = inside(box, f"""
        import ctypes, json, threading, multiprocessing
        libc = ctypes.CDLL(None, use_errno=True)
        result = libc.syscall({_number("clone3")}, 0, 0)
        worker = threading.Thread(target=print)
        worker.start(); worker.join()
        with multiprocessing.get_context("fork").Pool(2) as pool:
            squares = pool.map(abs, [-1, -2])
        report = {{"clone3": ctypes.get_errno() if result < 0 else "allowed", "pool": squares}}
    """)
    assert report == {"clone3": errno.ENOSYS, "pool": [1, 2]}


def test_the_command_lines_inside_name_no_host_folder(tmp_path):
    require_bwrap()
    sandbox = Sandbox(2, LIMITS, tmp_path / "run")
    notebook, sockets = tmp_path / "work" / "assignment.ipynb", tmp_path / "ipc"
    notebook.parent.mkdir()
    notebook.write_text("{}")
    sockets.mkdir()
    uid = sandbox.new_learner_uid()
    sandbox.hand_over(sockets, uid)
    code = (f"import os; open('{KERNEL_DIR}/written', 'w').write('ok'); "
            "print(open('/proc/1/cmdline').read() + open('/proc/self/cmdline').read())")
    command = sandbox.learner_command([sys.executable, "-c", code], uid, [notebook], HOME / "assignment", [],
                                      kernel_dir=sockets)
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    visible = result.stdout
    # The grader's own folders; the Python environment is bound at its host path on purpose
    # (and may itself live under the temporary folder, as in a CI checkout).
    host_folders = [str(tmp_path), str(sandbox.root)]
    assert "bwrap" in visible and not [folder for folder in host_folders if folder in visible]
    assert (sockets / "written").read_text() == "ok"


def test_without_a_delegated_cgroup_the_first_kernel_log_says_memory_is_capped_per_process(box, tmp_path):
    if delegated_cgroup() is not None:
        pytest.skip("this machine has a delegated cgroup v2: the per-sandbox cap is tested instead")
    sandbox = Sandbox(3, LIMITS, tmp_path / "notes")
    first = subprocess.run(sandbox.learner_command(["true"], sandbox.new_learner_uid(), [], HOME / "a", []),
                           capture_output=True, text=True, timeout=60)
    second = subprocess.run(sandbox.learner_command(["true"], sandbox.new_learner_uid(), [], HOME / "a", []),
                            capture_output=True, text=True, timeout=60)
    assert first.returncode == second.returncode == 0
    assert f"{LIMITS.memory_bytes >> 20} MB per process, not per sandbox" in first.stderr
    assert CGROUP_ENV in first.stderr and second.stderr == ""


def test_with_a_delegated_cgroup_the_sandbox_as_a_whole_is_capped(tmp_path):
    if delegated_cgroup() is None:
        pytest.skip(f"no delegated cgroup v2 with memory and pids controllers here (set {CGROUP_ENV}): "
                    "memory is capped per process only, which the test above checks")
    sandbox = Sandbox(4, Limits(memory_bytes=512 << 20, processes=32), tmp_path / "run")
    code = ("import os\npids = []\nfor _ in range(4):\n    pid = os.fork()\n    if pid == 0:\n"
            "        block = bytearray(300 << 20)\n        os._exit(0)\n    pids.append(pid)\n"
            "print(sorted(os.waitpid(pid, 0)[1] & 0x7f for pid in pids))")
    result = subprocess.run(sandbox.learner_command([sys.executable, "-c", code], sandbox.new_learner_uid(), [],
                                                    HOME / "a", []), capture_output=True, text=True, timeout=120)
    sandbox.close()
    assert result.returncode == 0, result.stderr
    assert str(signal.SIGKILL.value) in result.stdout


def test_a_delegated_cgroup_is_one_whose_children_have_memory_and_pids_control(tmp_path, monkeypatch):
    monkeypatch.setenv(CGROUP_ENV, str(tmp_path))
    (tmp_path / "cgroup.subtree_control").write_text("cpu memory\n")
    assert delegated_cgroup() is None
    (tmp_path / "cgroup.subtree_control").write_text("cpu memory pids\n")
    assert delegated_cgroup() == tmp_path


def test_a_notebook_with_too_many_cells_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    path = tmp_path / "many.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(f"x = {i}") for i in range(MAX_CELLS + 1)]), str(path))
    parsed = []
    monkeypatch.setattr("grader.intake.json.loads", lambda *args, **kwargs: parsed.append(args))
    monkeypatch.setattr("grader.intake.nbformat.reads", lambda *args, **kwargs: parsed.append(args))
    problem = notebook_problem(path)
    assert f"has {MAX_CELLS + 1} cells, over the {MAX_CELLS}" in problem and not parsed


def test_answers_over_the_snapshot_cap_are_refused_in_the_kernel_with_their_size(monkeypatch):
    published = []
    monkeypatch.setattr("IPython.display.publish_display_data", lambda data, **kwargs: published.append(data))
    namespace = {"answer": "x" * (3 << 20), "small": 1}
    exec(snapshot.snippet(["answer", "small"], 1000, 2 << 20), namespace)
    taken = read_snapshot(published[0][snapshot.MIME], ["answer", "small"])
    assert taken.values == {} and set(taken.refused) == {"answer", "small"}
    assert "come to 3 MB, over 2 MB" in taken.refused["answer"]


def test_the_kernel_client_drops_an_oversized_message_unread(tmp_path):
    require_bwrap()
    limits = Limits(snapshot_bytes=1 << 20)
    sandbox = Sandbox(5, limits, tmp_path / "run")
    (tmp_path / "box" / "ipc").mkdir(parents=True)
    manager = SandboxedKernelManager(sandbox, LearnerBox(tmp_path / "box", [], HOME / "a", os.getuid()))
    manager.write_connection_file()
    client = manager.client()
    publisher = zmq.Context.instance().socket(zmq.PUB)
    publisher.bind(client._make_url("iopub"))
    iopub = client.connect_iopub()
    subscriber = zmq.Socket.shadow(iopub.underlying)
    time.sleep(0.3)
    small, oversized = b"small", b"x" * (manager.message_cap + 1)
    for message in (small, oversized):
        publisher.send(message)
    received = [subscriber.recv() for _ in range(1) if subscriber.poll(5000)]
    late = subscriber.poll(500)
    publisher.close()
    iopub.close()
    assert received == [small] and not late
    assert json.loads((tmp_path / "box" / "ipc" / "kernel.json").read_text())["ip"] == str(KERNEL_DIR / "kernel")


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
