"""The sandbox every learner kernel (and the clean room) runs in: bubblewrap plus resource limits.

Isolation is Debian's ``bwrap`` (bubblewrap), the maintained sandbox Flatpak uses. Each
sandboxed process gets new PID, network, IPC and UTS namespaces (no network at all, only
a private loopback), a filesystem built from nothing but read-only binds of the Python
environment, the course package, the datasets and their cache, plus private size-capped
``/tmp`` and home directories. The learner's work folder holds its own notebook and the
assignment's files, read-only. Nothing else of the host exists inside: not the gradebook,
not ``source/``, not other submissions, not the instructor's home.

Limits are set with ``prlimit`` inside the sandbox: address space (memory), number of
processes and threads, file size, no core dumps. RLIMIT_NPROC is not enforced for root,
so when the grader runs as root each sandbox also drops, with ``setpriv``, to an unused
uid of its own (and all capabilities): one per learner, one per clean room. As an ordinary
user, bwrap's user namespace gives the same effect. The whole-notebook wall clock is the caller's (a watchdog that kills the
sandbox); killing ``bwrap`` takes the sandbox's whole PID namespace with it.
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.course import GradingError

HOME = PurePosixPath("/home/learner")
UID_BASE = int(os.environ.get("CXA_SANDBOX_UID_BASE", "2900000"))
UIDS_PER_WORKER = 1024
INSTALL_HINT = "Install it with: sudo bash scripts/install_system_deps.sh"


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Defaults fit the course's assignments with room to spare."""

    wall_seconds: float = 300.0
    memory_bytes: int = 4 << 30
    processes: int = 128
    file_bytes: int = 64 << 20
    scratch_bytes: int = 256 << 20
    output_bytes: int = 10 << 20
    snapshot_bytes: int = 64 << 20
    snapshot_items: int = 20_000_000
    clean_seconds: float = 300.0
    clean_memory_bytes: int = 6 << 30


def privileged() -> bool:
    """Whether the grader runs as root (then sandboxes switch to uids of their own)."""
    return os.geteuid() == 0


def _exposed_paths() -> list[Path]:
    """Host paths every sandbox sees read-only: Python, the course package, datasets, their cache."""
    import cxacademy
    from cxacademy.data.loader import cache_dir, data_dir

    paths = [Path(sys.prefix), Path(sys.base_prefix), Path(cxacademy.__file__).parent, data_dir(), cache_dir()]
    return [path.resolve() for path in paths if path.exists()]


def _engine_paths() -> list[Path]:
    """The engine's own package, which only the clean room imports."""
    engine = Path(__file__).resolve().parent
    return [engine, engine.parent / "__init__.py"]


def _parents(paths: list[PurePosixPath]) -> list[PurePosixPath]:
    """Every directory above ``paths`` that bwrap must create, outermost first."""
    found: set[PurePosixPath] = set()
    for path in paths:
        found.update(parent for parent in path.parents if parent != PurePosixPath("/"))
    return sorted(found, key=lambda p: (len(p.parts), str(p)))


class Sandbox:
    """bwrap command lines for one worker: a clean-room uid, and a fresh uid for every learner.

    A fresh uid per learner means nothing a learner leaves behind (a process still dying
    after the kill, say) counts against the next learner's process limit or can signal it.
    """

    def __init__(self, slot: int, limits: Limits, root: Path) -> None:
        self.slot, self.limits, self.root = slot, limits, Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._base = UID_BASE + (os.getpid() % 4096) * UIDS_PER_WORKER
        self._learners = itertools.count()
        self.clean_uid = self._base if privileged() else os.getuid()

    def new_learner_uid(self) -> int:
        """The uid the next learner's kernel runs as (the caller's own when not root)."""
        if not privileged():
            return os.getuid()
        return self._base + 1 + next(self._learners) % (UIDS_PER_WORKER - 1)

    @staticmethod
    def hand_over(path: Path, uid: int) -> None:
        """Make a host directory or file writable by the sandboxed ``uid`` (and nobody else)."""
        if privileged():
            os.chown(path, uid, uid)

    def _identity(self, uid: int) -> tuple[Path, Path]:
        """/etc/passwd and /etc/group naming ``uid`` "learner", so user lookups inside work."""
        folder = self.root / f"etc-{uid}"
        folder.mkdir(exist_ok=True)
        passwd, group = folder / "passwd", folder / "group"
        passwd.write_text(f"root:x:0:0::/root:/bin/sh\nlearner:x:{uid}:{uid}::{HOME}:/bin/sh\n")
        group.write_text(f"root:x:0:\nlearner:x:{uid}:\n")
        return passwd, group

    def learner_command(self, argv: list[str], uid: int, files: list[Path], workdir: PurePosixPath,
                        writable: list[Path]) -> list[str]:
        """bwrap argv running a learner's kernel: its files read-only in ``workdir``, ``writable`` bound."""
        binds = [("--ro-bind", str(f), str(workdir / f.name)) for f in files]
        binds += [("--bind", str(p), str(p)) for p in writable]
        return self._command(uid, argv, binds, workdir, self.limits.memory_bytes)

    def clean_command(self, argv: list[str]) -> list[str]:
        """bwrap argv running the clean room, which also sees the engine's own code."""
        binds = [("--ro-bind", str(p), str(p)) for p in _engine_paths()]
        return self._command(self.clean_uid, argv, binds, HOME, self.limits.clean_memory_bytes)

    def _command(self, uid: int, argv: list[str], binds: list[tuple[str, str, str]], workdir: PurePosixPath,
                 memory: int) -> list[str]:
        exposed = [("--ro-bind", str(p), str(p)) for p in _exposed_paths()]
        all_binds = exposed + binds
        outside = [PurePosixPath(dest) for _, _, dest in all_binds if not PurePosixPath(dest).is_relative_to(HOME)]
        premade = {PurePosixPath("/tmp"), HOME}
        args = ["bwrap", *self._namespaces(), *self._system(uid)]
        args += ["--perms", "0777", "--size", str(self.limits.scratch_bytes), "--tmpfs", str(HOME)]
        args += ["--perms", "0777", "--dir", str(workdir)]
        for folder in _parents(outside):
            if folder not in premade:
                args += ["--perms", "0755", "--dir", str(folder)]
        for kind, source, dest in all_binds:
            args += [kind, source, dest]
        args += ["--chdir", str(workdir), *self._environment(), "--"]
        return args + self._drop(uid) + self._rlimits(memory) + argv

    @staticmethod
    def _namespaces() -> list[str]:
        args = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                "--die-with-parent", "--new-session", "--hostname", "sandbox", "--clearenv"]
        if privileged():
            return args
        nested = ["--disable-userns"] if "--disable-userns" in _bwrap_options() else []
        return ["--unshare-user", *nested, *args]

    def _system(self, uid: int) -> list[str]:
        passwd, group = self._identity(uid)
        args = ["--ro-bind", "/usr", "/usr"]
        for name in ("bin", "sbin", "lib", "lib64", "lib32"):
            path = Path("/") / name
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), f"/{name}"]
            elif path.is_dir():
                args += ["--ro-bind", str(path), f"/{name}"]
        args += ["--perms", "0755", "--dir", "/etc", "--perms", "0755", "--dir", str(HOME.parent),
                 "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
                 "--ro-bind-try", "/etc/localtime", "/etc/localtime",
                 "--ro-bind", str(passwd), "/etc/passwd", "--ro-bind", str(group), "/etc/group",
                 "--proc", "/proc", "--dev", "/dev",
                 "--perms", "1777", "--size", str(self.limits.scratch_bytes), "--tmpfs", "/tmp"]
        return args

    def _environment(self) -> list[str]:
        from cxacademy.data.loader import cache_dir

        env = {"HOME": str(HOME), "USER": "learner", "LOGNAME": "learner", "LANG": "C.UTF-8",
               "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "TMPDIR": "/tmp",
               "JUPYTER_PLATFORM_DIRS": "1", "PYTHONDONTWRITEBYTECODE": "1", "CXA_CACHE_DIR": str(cache_dir()),
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"}
        env.update({name: os.environ[name] for name in ("CXA_DATA_DIR", "CXA_LANG") if name in os.environ})
        return [item for name, value in env.items() for item in ("--setenv", name, value)]

    @staticmethod
    def _drop(uid: int) -> list[str]:
        if not privileged():
            return []
        return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
                "--inh-caps=-all", "--bounding-set=-all", "--"]

    def _rlimits(self, memory: int) -> list[str]:
        return ["prlimit", f"--as={memory}", f"--nproc={self.limits.processes}",
                f"--fsize={self.limits.file_bytes}", "--core=0", "--nofile=1024", "--"]


@functools.cache
def _bwrap_options() -> str:
    """bwrap's own list of options: older releases lack some (``--disable-userns`` came in 0.8)."""
    return subprocess.run(["bwrap", "--help"], capture_output=True, text=True).stdout


def require_bwrap() -> None:
    """Fail with what to do when bubblewrap is missing or cannot create a sandbox here."""
    if shutil.which("bwrap") is None:
        raise GradingError(f"Grading runs each submission in a bubblewrap sandbox, but `bwrap` is not installed. "
                           f"{INSTALL_HINT}")
    probe = Sandbox(0, Limits(), Path(os.environ.get("TMPDIR", "/tmp")) / f"cx-sandbox-probe-{os.getpid()}")
    try:
        result = subprocess.run(probe.clean_command(["true"]), capture_output=True, text=True, timeout=30)
    finally:
        shutil.rmtree(probe.root, ignore_errors=True)
    if result.returncode != 0:
        raise GradingError("bubblewrap is installed but cannot create a sandbox on this machine "
                           f"({result.stderr.strip() or 'exit status ' + str(result.returncode)}). Run the grader "
                           "as root, or allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; "
                           "on Ubuntu 24.04 also kernel.apparmor_restrict_unprivileged_userns=0).")
