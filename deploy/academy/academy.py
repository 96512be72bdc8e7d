"""The local company academy: one JupyterHub on this machine, one instructor, a roster of learners.

    python3 deploy/academy/academy.py start --roster ROSTER.csv --state DIR [--port P] [--db-url URL]
    python3 deploy/academy/academy.py stop --state DIR

``start`` builds the hub's environment once (a virtualenv at ``/opt/cx-academy/hub-env``, made from
``/usr/bin/python3`` because the default ``python3`` may live under a home other users cannot read),
creates a system user per roster row and one instructor, gives the instructor an nbgrader course
(``~/grading``) whose gradebook lists the roster, starts the hub on loopback and prints where to log
in. Run again on a running academy with a changed roster, it adds and removes users in the hub, the
system and the gradebook (a learner with submissions stays in the gradebook, so no grade is lost).
``stop`` ends the hub, its proxy and every single-user server, and removes the system users this
academy created: nothing is left running.

This script uses only the standard library, so any ``python3`` runs it; ``jupyterhub_config.py``
and the tests import it for the one definition of the academy's layout and users' environment.

User names: ``cx-`` (the prefix, ``--user-prefix``) + the e-mail's local part, lower-cased, every
character other than a-z, 0-9 and ``-`` turned into ``-`` (``Ada.Lovelace@example.com`` →
``cx-ada-lovelace``). System user names must be short and plain; the prefix keeps an academy's
users apart from the machine's own.
"""

from __future__ import annotations

import argparse
import csv
import fcntl
import hashlib
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
HUB_ENV = Path(os.environ.get("CXA_HUB_ENV", "/opt/cx-academy/hub-env"))
#: The hub runs the 6.x line FACTS.md measured; Zero to JupyterHub (deploy/kubernetes) pins its own.
HUB_REQUIREMENTS = ["jupyterhub==6.1.1", "jupyterhub-idle-culler==2.0.0"]
NBGRADER_EXTENSIONS = ["formgrader", "assignment_list", "course_list", "validate_assignment"]
BASE_PATH = "/usr/local/bin:/usr/bin:/bin"
INSTRUCTOR_COURSE = "grading"
LESSONS_LINK = "course"
IDLE_TIMEOUT_SECONDS = 3600
HUB_START_TIMEOUT = 120


class AcademyError(Exception):
    """Something the person starting the academy must fix; the message says what."""


@dataclass
class Member:
    """One hub account: a learner from the roster or the instructor."""

    user: str
    name: str
    email: str
    cohort: str


def user_name(email: str, prefix: str) -> str:
    """The system and hub user name of a roster row (see the module docstring)."""
    local = re.sub(r"[^a-z0-9-]", "-", email.split("@", 1)[0].strip().lower()).strip("-")
    if not local:
        raise AcademyError(f"Roster e-mail {email!r} has no usable local part for a user name.")
    return f"{prefix}{local}"[:32]


def read_roster(path: Path, prefix: str) -> list[Member]:
    """Learners in roster order; columns ``name,email,cohort``; lines starting with ``#`` are comments."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    missing = {"name", "email", "cohort"} - set(rows[0] if rows else {})
    if not rows or missing:
        raise AcademyError(f"{path} must be a CSV with columns name,email,cohort and one row per learner.")
    members = [Member(user_name(row["email"], prefix), row["name"].strip(), row["email"].strip(),
                      row["cohort"].strip()) for row in rows]
    seen: dict[str, str] = {}
    for member in members:
        if member.user in seen:
            raise AcademyError(f"{seen[member.user]} and {member.email} both become user {member.user}: "
                               "give them e-mails with different local parts.")
        seen[member.user] = member.email
    return members


# ----------------------------------------------------------------------------- layout

@dataclass
class Layout:
    """Where an academy keeps its parts; everything but ``hub/`` and ``academy.json`` is readable by all."""

    state: Path

    @property
    def settings(self) -> Path:
        return self.state / "academy.json"

    @property
    def hub(self) -> Path:
        return self.state / "hub"

    @property
    def shared(self) -> Path:
        return self.state / "shared"

    @property
    def lessons(self) -> Path:
        return self.shared / "course"

    @property
    def datasets(self) -> Path:
        return self.shared / "datasets"

    @property
    def exchange(self) -> Path:
        return self.state / "exchange"

    @property
    def learner_config(self) -> Path:
        return self.shared / "jupyter" / "learner"

    @property
    def instructor_config(self) -> Path:
        return self.shared / "jupyter" / "instructor"

    @property
    def log(self) -> Path:
        return self.hub / "jupyterhub.log"

    @property
    def pid_file(self) -> Path:
        return self.hub / "jupyterhub.pid"


def load_settings(state: Path) -> dict:
    """The academy's settings written by ``start`` (ports, password, token, members)."""
    path = Layout(state).settings
    if not path.is_file():
        raise AcademyError(f"No academy in {state}: start one with academy.py start --state {state}.")
    return json.loads(path.read_text())


def home(user: str) -> Path:
    return Path(os.path.expanduser(f"~{user}"))


def user_environment(settings: dict, user: str) -> dict[str, str]:
    """The environment of a user's single-user server and of commands run as that user.

    One definition for the hub (``jupyterhub_config.py``) and for ``run_as`` in the tests: the
    hub's environment first on PATH, the read-only datasets, and the role's Jupyter config
    (the instructor's has the formgrader; the learners' has it switched off).
    """
    layout = Layout(Path(settings["state"]))
    role = layout.instructor_config if user == settings["instructor"] else layout.learner_config
    return {
        "PATH": f"{settings['env']}/bin:{BASE_PATH}",
        "HOME": str(home(user)),
        "USER": user,
        "LANG": "C.UTF-8",
        "JUPYTER_CONFIG_PATH": str(role),
        "CXA_DATA_DIR": str(layout.datasets),
    }


def run_as(settings: dict, user: str, *argv: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    """Run a command as ``user`` in the academy's environment, in the user's home."""
    command = ["runuser", "-u", user, "--", "env", "-i",
               *[f"{key}={value}" for key, value in user_environment(settings, user).items()], *argv]
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("cwd", home(user))
    result = subprocess.run(command, **kwargs)
    if check and result.returncode != 0:
        raise AcademyError(f"{' '.join(argv)} failed as {user} (exit {result.returncode}):\n"
                           f"{result.stdout}\n{result.stderr}")
    return result


# ----------------------------------------------------------------------------- the hub's environment

def _digest(paths: list[Path], *extra: str) -> str:
    digest = hashlib.sha256(" ".join(extra).encode())
    for path in paths:
        digest.update(str(path.relative_to(REPO)).encode() + path.read_bytes())
    return digest.hexdigest()


def _dependencies_stamp() -> str:
    """Changes when the project's pins or the hub's change: then everything is installed again."""
    pins = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    return _digest([], *pins, *HUB_REQUIREMENTS)


def _code_stamp() -> str:
    """Changes when the course package or the grader changes: then only the project is reinstalled."""
    files = [path for folder in ("cxacademy", "grader") for path in sorted((REPO / folder).rglob("*"))
             if path.is_file() and "__pycache__" not in path.parts]
    return _digest([*files, REPO / "deploy" / "lab" / "settings" / "overrides.json"])


def ensure_hub_environment(env: Path = HUB_ENV) -> Path:
    """Build the hub's virtualenv once and keep it current; readable by every user.

    Built from ``/usr/bin/python3``; the project is installed as a copy (not editable), since the
    repository may sit where learners cannot read. A code change reinstalls only the project.
    """
    env.parent.mkdir(parents=True, exist_ok=True)
    with open(env.parent / f".{env.name}.lock", "w") as lock:
        # Academies started at the same time (parallel tests) must not run pip in one env at once.
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _refresh_hub_environment(env)


def _refresh_hub_environment(env: Path) -> Path:
    dependencies, code = env / ".academy-dependencies", env / ".academy-code"
    if dependencies.is_file() and dependencies.read_text() == _dependencies_stamp():
        if code.is_file() and code.read_text() == _code_stamp():
            return env
        _install_project(env, "--no-deps", "--force-reinstall")
    else:
        print(f"Building the academy's Python environment in {env} (once; a few minutes)...", flush=True)
        if not (env / "bin" / "python").exists():
            subprocess.run(["/usr/bin/python3", "-m", "venv", str(env)], check=True)
        _install_project(env, *HUB_REQUIREMENTS)
        for extension in NBGRADER_EXTENSIONS:
            subprocess.run([str(env / "bin" / "jupyter"), "server", "extension", "enable", "--sys-prefix",
                            f"nbgrader.server_extensions.{extension}"], check=True, capture_output=True)
    overrides = env / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    overrides.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "deploy" / "lab" / "settings" / "overrides.json", overrides)
    subprocess.run(["chmod", "-R", "a+rX", str(env)], check=True)
    dependencies.write_text(_dependencies_stamp())
    code.write_text(_code_stamp())
    return env


def _install_project(env: Path, *pip_arguments: str) -> None:
    with tempfile.TemporaryDirectory(prefix="cx-academy-src-") as build:
        # A copy of what the package needs, so pip's in-tree build never writes into the repository.
        source = Path(build) / "project"
        source.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(REPO / name, source / name)
        for folder in ("cxacademy", "grader"):
            shutil.copytree(REPO / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
        subprocess.run([str(env / "bin" / "pip"), "install", "--quiet", str(source), *pip_arguments], check=True)


def find_proxy() -> str:
    """configurable-http-proxy from npm; without it the hub exits 'Failed to find proxy'."""
    found = shutil.which("configurable-http-proxy")
    if not found:
        raise AcademyError("configurable-http-proxy is missing: run  bash scripts/install_system_deps.sh  "
                           "(it installs node, npm and configurable-http-proxy@5.3.0).")
    return found


# ----------------------------------------------------------------------------- shared, read-only files

def _check_traversable(path: Path) -> None:
    """Learners must reach the shared folders: every folder above the state must let others pass."""
    for folder in [path, *path.parents]:
        if not os.stat(folder).st_mode & 0o001:
            raise AcademyError(f"{folder} is closed to other users, so learners could not reach {path}: "
                               "choose a state folder outside it (e.g. /srv/cx-academy).")


def _copy_read_only(source: Path, target: Path) -> None:
    if target.exists():
        subprocess.run(["chmod", "-R", "u+w", str(target)], check=True)
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    subprocess.run(["chmod", "-R", "a+rX,a-w", str(target)], check=True)


def academy_nbgrader_block(settings: dict, db_url: str | None) -> str:
    """What the academy adds to the course's nbgrader config: the hub's exchange (and the gradebook)."""
    lines = ["", "# The company academy (deploy/academy/academy.py): the hub's shared exchange.",
             f"c.Exchange.root = {str(Layout(Path(settings['state'])).exchange)!r}"]
    if db_url:
        # The formgrader reads db_url only from a config file (FACTS.md), so it lives here.
        lines.append(f"c.CourseDirectory.db_url = {db_url!r}")
    return "\n".join(lines) + "\n"


def prepare_shared(settings: dict) -> None:
    """Lessons, datasets and the learners' Jupyter config (read-only), and the 1777 exchange."""
    layout = Layout(Path(settings["state"]))
    _check_traversable(layout.state)
    layout.shared.mkdir(parents=True, exist_ok=True)
    _copy_read_only(REPO / "course", layout.lessons)
    _copy_read_only(REPO / "datasets", layout.datasets)
    layout.exchange.mkdir(exist_ok=True)
    os.chmod(layout.exchange, 0o1777)
    config_root = layout.shared / "jupyter"
    if config_root.exists():
        subprocess.run(["chmod", "-R", "u+w", str(config_root)], check=True)
        shutil.rmtree(config_root)
    # The learner's server is `make lab`'s learner (deploy/lab/learner): no formgrader, no course list.
    shutil.copytree(REPO / "deploy" / "lab" / "learner", layout.learner_config,
                    ignore=shutil.ignore_patterns("nbgrader_config.py", "__pycache__"))
    course_config = (REPO / "assignments" / "nbgrader_config.py").read_text()
    (layout.learner_config / "nbgrader_config.py").write_text(course_config + academy_nbgrader_block(settings, None))
    layout.instructor_config.mkdir(parents=True)
    instructor_course = home(settings["instructor"]) / INSTRUCTOR_COURSE / "nbgrader_config.py"
    (layout.instructor_config / "nbgrader_config.py").write_text(
        f'"""The instructor\'s server: the formgrader works on the course in ~/{INSTRUCTOR_COURSE}."""\n'
        f"load_subconfig({str(instructor_course)!r})  # noqa: F821\n")
    # JupyterHub's single-user server forbids being framed (CSP frame-ancestors 'none'), but JupyterLab
    # shows the formgrader in an iframe of its own page: without this it shows "refused to connect".
    (layout.instructor_config / "jupyter_server_config.json").write_text(json.dumps({"ServerApp": {
        "tornado_settings": {"headers": {"Content-Security-Policy": "frame-ancestors 'self'"}}}}, indent=2))
    subprocess.run(["chmod", "-R", "a+rX,a-w", str(config_root)], check=True)


# ----------------------------------------------------------------------------- system users

def user_exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True


def add_system_user(settings: dict, member: Member) -> None:
    """A system user with a home, and the read-only lessons linked into it."""
    if member.user not in settings["created_users"]:
        if user_exists(member.user):
            raise AcademyError(f"System user {member.user} already exists and this academy did not create it: "
                               "choose another --user-prefix.")
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", "--comment",
                        re.sub(r"[:,\n]", " ", member.name), member.user], check=True, capture_output=True)
        settings["created_users"].append(member.user)
        save_settings(settings)
    link = home(member.user) / LESSONS_LINK
    if not link.is_symlink():
        link.symlink_to(Layout(Path(settings["state"])).lessons)


def remove_system_user(settings: dict, user: str) -> None:
    """End the user's processes and delete the user with their home."""
    _kill_processes(_processes_of(user))
    subprocess.run(["userdel", "--remove", user], capture_output=True)
    settings["created_users"].remove(user)
    save_settings(settings)


def _processes_of(user: str) -> list[int]:
    try:
        return processes_with_uid(pwd.getpwnam(user).pw_uid)
    except KeyError:
        return []


def processes_with_uid(uid: int) -> list[int]:
    """Process ids running as ``uid`` (read from /proc, so nothing is matched by name)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    found.append(int(entry.name))
            except FileNotFoundError:
                continue
    return found


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (read from /proc)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.parent.name))
    return found


def _kill_processes(pids: list[int], grace: float = 5.0) -> None:
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.1)
    for pid in pids:
        _signal(pid, signal.SIGKILL)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent counts as ended)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return status != "Z"


# ----------------------------------------------------------------------------- the instructor's course

def prepare_instructor_course(settings: dict) -> None:
    """~instructor/grading: the course's config (plus the academy's exchange and gradebook), sources,
    competency manifests and typical wrong answers."""
    instructor = settings["instructor"]
    course = home(instructor) / INSTRUCTOR_COURSE
    (course / "source").mkdir(parents=True, exist_ok=True)
    config = (REPO / "assignments" / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(config + academy_nbgrader_block(settings, settings["db_url"]))
    for folder in sorted((REPO / "assignments" / "source").iterdir()):
        if folder.is_dir() and not (course / "source" / folder.name).exists():
            shutil.copytree(folder, course / "source" / folder.name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    # what cx-grader competencies (the manifests) and cx-grader prove (the wrong answers) read
    for manifest in (REPO / "assignments").glob("*.toml"):
        shutil.copy2(manifest, course / manifest.name)
    shutil.copytree(REPO / "assignments" / "wrong_answers", course / "wrong_answers", dirs_exist_ok=True)
    subprocess.run(["chown", "-R", f"{instructor}:{instructor}", str(course)], check=True)
    os.chmod(course, 0o700)  # sources with solutions and the gradebook are the instructor's alone


def sync_gradebook(settings: dict) -> str:
    """Make the gradebook's students the roster's learners; returns what was done, in words."""
    roster = [asdict(member) for member in _learners(settings)]
    script = HERE / "roster_to_gradebook.py"
    result = run_as(settings, settings["instructor"], "python", "-", input=script.read_text()
                    + f"\nprint(sync({json.dumps(roster)!r}))\n",
                    cwd=home(settings["instructor"]) / INSTRUCTOR_COURSE)
    return result.stdout.strip()


# ----------------------------------------------------------------------------- the hub

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def save_settings(settings: dict) -> None:
    path = Layout(Path(settings["state"])).settings
    path.write_text(json.dumps(settings, indent=2))
    os.chmod(path, 0o600)  # holds the password and the admin token


def _learners(settings: dict) -> list[Member]:
    return [Member(**row) for row in settings["learners"]]


def hub_api(settings: dict, method: str, path: str, body: dict | None = None) -> dict | list | None:
    """Call the hub's REST API with the academy's admin token."""
    request = urllib.request.Request(f"{settings['url']}/hub/api{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"token {settings['api_token']}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = response.read()
    return json.loads(payload) if payload else None


def hub_running(settings: dict) -> bool:
    pid_file = Layout(Path(settings["state"])).pid_file
    return pid_file.is_file() and alive(int(pid_file.read_text()))


def start_hub(settings: dict) -> None:
    """Start JupyterHub (and through it the proxy) in its own session; wait until its API answers."""
    layout = Layout(Path(settings["state"]))
    layout.hub.mkdir(mode=0o700, exist_ok=True)
    env = {"PATH": f"{settings['env']}/bin:{BASE_PATH}", "LANG": "C.UTF-8", "HOME": str(layout.hub),
           "CXA_ACADEMY_STATE": str(layout.state)}
    with open(layout.log, "ab") as log:
        hub = subprocess.Popen([f"{settings['env']}/bin/jupyterhub", "-f", str(HERE / "jupyterhub_config.py")],
                               cwd=layout.hub, env=env, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    layout.pid_file.write_text(str(hub.pid))
    deadline = time.monotonic() + HUB_START_TIMEOUT
    while time.monotonic() < deadline:
        if hub.poll() is not None:
            raise AcademyError(f"JupyterHub exited (status {hub.returncode}); its log:\n{_tail(layout.log)}")
        try:
            hub_api(settings, "GET", "/")
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise AcademyError(f"JupyterHub did not answer within {HUB_START_TIMEOUT} s; its log:\n{_tail(layout.log)}")


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.is_file() else ""


def sync_hub(settings: dict) -> None:
    """The hub's users and cohort groups become the roster's (plus the instructor)."""
    members = {member.user: member for member in _learners(settings)}
    wanted = {*members, settings["instructor"]}
    present = {user["name"] for user in hub_api(settings, "GET", "/users") or []}
    for user in sorted(present - wanted):
        hub_api(settings, "DELETE", f"/users/{user}")
    missing = sorted(wanted - present)
    if missing:
        hub_api(settings, "POST", "/users", {"usernames": missing})
    cohorts: dict[str, list[str]] = {}
    for member in members.values():
        cohorts.setdefault(f"cohort-{re.sub(r'[^a-z0-9-]', '-', member.cohort.lower())}", []).append(member.user)
    for group in hub_api(settings, "GET", "/groups") or []:
        if group["name"].startswith("cohort-") and group["name"] not in cohorts:
            hub_api(settings, "DELETE", f"/groups/{group['name']}")
    existing = {group["name"]: set(group["users"]) for group in hub_api(settings, "GET", "/groups") or []}
    for group, users in cohorts.items():
        if group not in existing:
            hub_api(settings, "POST", f"/groups/{group}", {"users": users})
            continue
        stale = sorted(existing[group] - set(users))
        if stale:
            hub_api(settings, "DELETE", f"/groups/{group}/users", {"users": stale})
        hub_api(settings, "POST", f"/groups/{group}/users", {"users": users})


# ----------------------------------------------------------------------------- start / stop

def new_settings(state: Path, args: argparse.Namespace) -> dict:
    """First start: ports, a shared password and an admin token of this academy's own."""
    password = args.password or secrets.token_urlsafe(9)
    if len(password) < 8:
        raise AcademyError("The shared password must have at least 8 characters.")
    port = args.port or free_port()
    return {
        "state": str(state), "env": str(HUB_ENV), "port": port, "url": f"http://127.0.0.1:{port}",
        "hub_port": free_port(), "proxy_api_port": free_port(), "password": password,
        "api_token": secrets.token_hex(32), "instructor": f"{args.user_prefix}{args.instructor}",
        "user_prefix": args.user_prefix, "db_url": args.db_url, "learners_allowed": args.learners_allowed,
        "idle_timeout": args.idle_timeout, "learners": [], "created_users": [],
    }


def start(args: argparse.Namespace) -> dict:
    """Start the academy, or bring a running one's users in line with the roster."""
    state = Path(args.state).resolve()
    state.mkdir(parents=True, exist_ok=True)
    os.chmod(state, 0o755)
    layout = Layout(state)
    settings = json.loads(layout.settings.read_text()) if layout.settings.is_file() else new_settings(state, args)
    if not hub_running(settings):
        # A restart after stop: the internal ports of last time may have been taken since.
        port = args.port or settings["port"]
        settings.update(port=port, url=f"http://127.0.0.1:{port}", hub_port=free_port(), proxy_api_port=free_port())
    learners = read_roster(Path(args.roster), settings["user_prefix"])
    if settings["learners_allowed"] is not None and len(learners) > settings["learners_allowed"]:
        raise AcademyError(f"The roster lists {len(learners)} learners; this academy allows "
                           f"{settings['learners_allowed']}.")
    removed = [m for m in _learners(settings) if m.user not in {learner.user for learner in learners}]
    settings["learners"] = [asdict(member) for member in learners]
    save_settings(settings)
    ensure_hub_environment(Path(settings["env"]))
    find_proxy()
    instructor = Member(settings["instructor"], "Instructor", "", "staff")
    add_system_user(settings, instructor)
    prepare_shared(settings)
    for member in learners:
        add_system_user(settings, member)
    prepare_instructor_course(settings)
    gradebook = sync_gradebook(settings)
    if not hub_running(settings):
        start_hub(settings)
    sync_hub(settings)
    for member in removed:
        if member.user in settings["created_users"]:
            remove_system_user(settings, member.user)
    _print_welcome(settings, gradebook)
    return settings


def _print_welcome(settings: dict, gradebook: str) -> None:
    print(f"\nThe academy is running: log in at {settings['url']}/hub/login")
    print(f"  shared password: {settings['password']}")
    print(f"  instructor:      {settings['instructor']}  (formgrader; course in ~/{INSTRUCTOR_COURSE})")
    print(f"  learners:        {', '.join(m.user for m in _learners(settings))}")
    print(f"  gradebook:       {gradebook}")
    print(f"Stop it with: python3 {Path(__file__).relative_to(REPO)} stop --state {settings['state']}")


def stop(args: argparse.Namespace) -> None:
    """Stop the hub, its proxy and every single-user server; remove the academy's system users."""
    state = Path(args.state).resolve()
    settings = load_settings(state)
    layout = Layout(state)
    if layout.pid_file.is_file():
        pid = int(layout.pid_file.read_text())
        services = children_of(pid)  # the idle culler runs in its own session: a hub killed late orphans it
        _kill_processes([pid], grace=20)  # the hub stops the proxy and the servers on its way out
        _kill_processes([child for child in services if alive(child)])
        layout.pid_file.unlink()
    proxy_pid = layout.hub / "proxy.pid"
    if proxy_pid.is_file():
        _kill_processes([int(proxy_pid.read_text())])
        proxy_pid.unlink()
    for user in list(settings["created_users"]):
        remove_system_user(settings, user)
    print(f"The academy in {state} is stopped; its system users are removed.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    starting = commands.add_parser("start", help="start the academy (or apply a changed roster)")
    starting.add_argument("--roster", required=True, help="CSV with columns name,email,cohort")
    starting.add_argument("--state", required=True, help="folder for the academy's state (readable by all)")
    starting.add_argument("--port", type=int, default=0, help="the hub's port on 127.0.0.1 (default: a free one)")
    starting.add_argument("--db-url", default=None, help="gradebook URL (default: SQLite in the course)")
    starting.add_argument("--password", default=None, help="shared password (default: a new random one)")
    starting.add_argument("--instructor", default="instructor", help="the instructor's name (after the prefix)")
    starting.add_argument("--user-prefix", default="cx-", help="prefix of every academy user name")
    starting.add_argument("--learners-allowed", type=int, default=None, help="refuse rosters longer than this")
    starting.add_argument("--idle-timeout", type=int, default=IDLE_TIMEOUT_SECONDS,
                          help="seconds before an idle server is stopped (the idle culler)")
    stopping = commands.add_parser("stop", help="stop the academy and remove its users")
    stopping.add_argument("--state", required=True)
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("The academy creates system users and must run as root (sudo).", file=sys.stderr)
        return 1
    try:
        start(args) if args.command == "start" else stop(args)
    except AcademyError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
