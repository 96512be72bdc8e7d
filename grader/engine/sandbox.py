"""The sandbox every learner kernel (and the clean room) runs in: bubblewrap plus resource limits.

Isolation is Debian's ``bwrap`` (bubblewrap), the maintained sandbox Flatpak uses. Each
sandboxed process gets new PID, network, IPC and UTS namespaces (no network at all, only
a private loopback), a filesystem built from nothing but read-only binds of the Python
environment, the course package, the datasets and their cache, plus private size-capped
``/tmp``, ``/dev/shm`` (multiprocessing's locks live there) and home directories. The
learner's work folder holds its own notebook and the assignment's files, read-only. Nothing else of the host exists inside: not the gradebook,
not ``source/``, not other submissions, not the instructor's home.

Limits are set with ``prlimit`` inside the sandbox: address space (memory), number of
processes and threads, file size, no core dumps. RLIMIT_NPROC is not enforced for root,
so when the grader runs as root each sandbox also drops, with ``setpriv``, to an unused
uid of its own (and all capabilities): one per learner, one per clean room. As an ordinary
user, bwrap's user namespace gives the same effect. The whole-notebook wall clock is the
caller's (a watchdog that kills the sandbox); killing ``bwrap`` takes the sandbox's whole
PID namespace with it.

A seccomp filter, built with libseccomp (``pyseccomp``) once per worker, makes the system
calls a notebook never needs fail with EPERM: ``DENIED_SYSCALLS``, and ``clone`` with any
namespace flag. RLIMIT_AS caps each process; when the grader may create cgroup v2 children
with the memory controller (``delegated_cgroup``), every sandbox also gets a cgroup of its
own whose ``memory.max`` and ``pids.max`` cap the sandbox as a whole.

bwrap reads its options (which name host paths: the course, the temp folder) from a pipe
(``--args``), so ``/proc/1/cmdline`` inside shows only ``bwrap --args 3`` and the command,
and the kernel's socket folder is bound at the neutral ``KERNEL_DIR``.
"""

from __future__ import annotations

import errno
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
KERNEL_DIR = PurePosixPath("/run/kernel")
CGROUP_ENV = "CXA_SANDBOX_CGROUP"
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


DENIED_SYSCALLS: dict[str, tuple[str, ...]] = {
    "namespaces": ("unshare", "setns"),
    "tracing other processes": ("ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd"),
    "the kernel keyring": ("keyctl", "add_key", "request_key"),
    "mounting": ("mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig",
                 "fsmount", "fspick", "mount_setattr", "name_to_handle_at", "open_by_handle_at", "quotactl"),
    "kernel modules": ("init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load"),
    "BPF, perf, io_uring and userfaultfd": ("bpf", "perf_event_open", "userfaultfd", "io_uring_setup",
                                            "io_uring_enter", "io_uring_register", "lookup_dcookie"),
    "the machine": ("reboot", "swapon", "swapoff", "acct", "settimeofday", "clock_settime", "clock_adjtime",
                    "sethostname", "setdomainname", "syslog", "iopl", "ioperm", "vhangup"),
}
CLONE_NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)
"""CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET: ``clone`` with any of them is denied."""

# bash, because only it opens a pipe from a command (``<(…)``). $1: how many of the arguments after
# the first four are bwrap options (the rest is the command), $2: the seccomp program, $3: the
# cgroup.procs to join or "", $4: a line for the log or "". fds 3 and 4 are closed by bwrap.
_LAUNCH = ('n=$1 bpf=$2 procs=$3 note=$4; shift 4; [ -z "$note" ] || printf "%s\\n" "$note" >&2; '
           '[ -z "$procs" ] || echo $$ > "$procs" || exit 125; '
           'exec 3< <(printf "%s\\0" "${@:1:n}") 4< "$bpf" || exit 125; exec bwrap --args 3 "${@:n+1}"')


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


def write_seccomp_program(path: Path) -> None:
    """The BPF seccomp program bwrap loads into every sandbox: everything allowed but the denied calls.

    Denied calls fail with EPERM, as they would for a process without the privilege, so
    libraries that probe them carry on. ``clone3`` answers ENOSYS instead: its flags sit in
    memory a filter cannot read, and ENOSYS makes glibc fall back to ``clone``, whose flags
    it can. Other architectures' system calls (32-bit ones on x86-64) kill the process.
    """
    import pyseccomp

    program = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    for name in (call for calls in DENIED_SYSCALLS.values() for call in calls):
        program.add_rule(pyseccomp.ERRNO(errno.EPERM), name)
    for flag in CLONE_NAMESPACE_FLAGS:
        program.add_rule(pyseccomp.ERRNO(errno.EPERM), "clone", pyseccomp.Arg(0, pyseccomp.MASKED_EQ, flag, flag))
    program.add_rule(pyseccomp.ERRNO(errno.ENOSYS), "clone3")
    with path.open("wb") as handle:
        program.export_bpf(handle)


def delegated_cgroup() -> Path | None:
    """A cgroup v2 folder whose children get memory and pids control, if this process may create them.

    ``CXA_SANDBOX_CGROUP`` names one an administrator prepared (for instance a systemd unit
    with ``Delegate=yes``); otherwise the grader's own cgroup qualifies when its children
    already have the memory controller. Without one, memory is capped per process only.
    """
    folder = Path(os.environ[CGROUP_ENV]) if os.environ.get(CGROUP_ENV) else _own_cgroup()
    if folder is None:
        return None
    try:
        enabled = (folder / "cgroup.subtree_control").read_text().split()
    except OSError:
        return None
    return folder if {"memory", "pids"} <= set(enabled) and os.access(folder, os.W_OK) else None


def _own_cgroup() -> Path | None:
    """This process's cgroup v2 folder, or None on a machine without a unified cgroup v2 hierarchy."""
    mounts = [line.split() for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    unified = [fields[4] for fields in mounts if fields[fields.index("-") + 1] == "cgroup2"]
    own = [line[3:] for line in Path("/proc/self/cgroup").read_text().splitlines() if line.startswith("0::")]
    if not unified or not own:
        return None
    return Path(unified[0]) / own[0].lstrip("/")


def memory_note(limits: Limits) -> str:
    """How memory is capped on this machine, in one line for the grading log."""
    cgroup = delegated_cgroup()
    if cgroup is not None:
        return (f"memory: at most {limits.memory_bytes >> 20} MB for each sandbox as a whole (a cgroup under "
                f"{cgroup}) and per process")
    return (f"memory: at most {limits.memory_bytes >> 20} MB per process, not per sandbox: no delegated cgroup v2 "
            f"with the memory and pids controllers (set {CGROUP_ENV}; see the README)")


class Sandbox:
    """bwrap command lines for one worker: a clean-room uid, and a fresh uid for every learner.

    A fresh uid per learner means nothing a learner leaves behind (a process still dying
    after the kill, say) counts against the next learner's process limit or can signal it.
    The first learner's kernel log says how memory is capped (``memory_note``), once per worker.
    """

    def __init__(self, slot: int, limits: Limits, root: Path) -> None:
        self.slot, self.limits, self.root = slot, limits, Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._base = UID_BASE + (os.getpid() % 4096) * UIDS_PER_WORKER
        self._learners = itertools.count()
        self.clean_uid = self._base if privileged() else os.getuid()
        self.seccomp = self.root / "seccomp.bpf"
        write_seccomp_program(self.seccomp)
        self._cgroup_parent, self._cgroups = delegated_cgroup(), itertools.count()
        self._made: list[Path] = []
        self._note = memory_note(limits)

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
                        writable: list[Path], kernel_dir: Path | None = None) -> list[str]:
        """The command running a learner's kernel: its files read-only in ``workdir``, ``writable`` bound
        at their own paths, ``kernel_dir`` (the kernel's sockets) bound at ``KERNEL_DIR``."""
        binds = [("--ro-bind", str(f), str(workdir / f.name)) for f in files]
        binds += [("--bind", str(p), str(p)) for p in writable]
        binds += [("--bind", str(kernel_dir), str(KERNEL_DIR))] if kernel_dir is not None else []
        note, self._note = self._note, ""
        return self._command(uid, argv, binds, workdir, self.limits.memory_bytes, note)

    def clean_command(self, argv: list[str]) -> list[str]:
        """The command running the clean room, which also sees the engine's own code."""
        binds = [("--ro-bind", str(p), str(p)) for p in _engine_paths()]
        return self._command(self.clean_uid, argv, binds, HOME, self.limits.clean_memory_bytes)

    def close(self) -> None:
        """Remove the cgroups this worker made (each is empty once its sandbox was killed)."""
        for folder in self._made:
            try:
                folder.rmdir()
            except OSError:
                continue

    def _command(self, uid: int, argv: list[str], binds: list[tuple[str, str, str]], workdir: PurePosixPath,
                 memory: int, note: str = "") -> list[str]:
        """bash, which joins the sandbox's cgroup and hands bwrap its options and seccomp program on fds."""
        options = self._options(uid, binds, workdir)
        procs = self._new_cgroup(memory)
        return ["bash", "-c", _LAUNCH, "cx-sandbox", str(len(options)), str(self.seccomp), procs, note,
                *options, *self._drop(uid), *self._rlimits(memory), *argv]

    def _options(self, uid: int, binds: list[tuple[str, str, str]], workdir: PurePosixPath) -> list[str]:
        exposed = [("--ro-bind", str(p), str(p)) for p in _exposed_paths()]
        all_binds = exposed + binds
        outside = [PurePosixPath(dest) for _, _, dest in all_binds if not PurePosixPath(dest).is_relative_to(HOME)]
        premade = {PurePosixPath("/tmp"), HOME}
        args = [*self._namespaces(), "--seccomp", "4", *self._system(uid)]
        args += ["--perms", "0777", "--size", str(self.limits.scratch_bytes), "--tmpfs", str(HOME)]
        args += ["--perms", "0777", "--dir", str(workdir)]
        for folder in _parents(outside):
            if folder not in premade:
                args += ["--perms", "0755", "--dir", str(folder)]
        for kind, source, dest in all_binds:
            args += [kind, source, dest]
        return args + ["--chdir", str(workdir), *self._environment(), "--"]

    def _new_cgroup(self, memory: int) -> str:
        """A fresh cgroup capping one sandbox's memory and processes; its cgroup.procs, or "" without one."""
        if self._cgroup_parent is None:
            return ""
        self.close()
        folder = self._cgroup_parent / f"cx-sandbox-{os.getpid()}-{next(self._cgroups)}"
        folder.mkdir()
        self._made = [made for made in self._made if made.exists()] + [folder]
        (folder / "memory.max").write_text(str(memory))
        (folder / "pids.max").write_text(str(self.limits.processes))
        if (folder / "memory.swap.max").exists():
            (folder / "memory.swap.max").write_text("0")
        return str(folder / "cgroup.procs")

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
                 "--perms", "1777", "--size", str(self.limits.scratch_bytes), "--tmpfs", "/dev/shm",
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
    try:
        probe = Sandbox(0, Limits(), Path(os.environ.get("TMPDIR", "/tmp")) / f"cx-sandbox-probe-{os.getpid()}")
    except (ImportError, OSError, RuntimeError) as error:
        raise GradingError(f"The sandbox's seccomp filter needs libseccomp and pyseccomp ({error}). "
                           f"{INSTALL_HINT}") from error
    try:
        result = subprocess.run(probe.clean_command(["true"]), capture_output=True, text=True, timeout=30)
    finally:
        probe.close()
        shutil.rmtree(probe.root, ignore_errors=True)
    if result.returncode != 0:
        raise GradingError("bubblewrap is installed but cannot create a sandbox on this machine "
                           f"({result.stderr.strip() or 'exit status ' + str(result.returncode)}). Run the grader "
                           "as root, or allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; "
                           "on Ubuntu 24.04 also kernel.apparmor_restrict_unprivileged_userns=0).")
