"""Start and stop a real local academy (deploy/academy/academy.py) from tests.

The contract the hub tests share (issue 12): ``start_academy`` runs ``academy.py start`` exactly as
an instructor would, with a user-name prefix of its own so that academies started by tests running
at the same time never share system users, and returns an ``Academy``; ``stop_academy`` runs
``academy.py stop``, which leaves nothing running and removes the users.

The state folder must be reachable by other users (learners read the lessons and the exchange
there): pytest's ``tmp_path`` is not, so use ``academy_state_dir()``.

``missing_parts()`` names what this machine lacks to run a hub (root, runuser, node, the proxy);
tests skip with that reason, never silently. ``scripts/install_system_deps.sh`` installs all of it.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
ACADEMY_SCRIPT = REPO / "deploy" / "academy" / "academy.py"

_spec = importlib.util.spec_from_file_location("academy", ACADEMY_SCRIPT)
academy = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("academy", academy)
_spec.loader.exec_module(academy)


def missing_parts() -> str | None:
    """Why a hub cannot run here, or None when everything is installed."""
    if os.geteuid() != 0:
        return "the academy creates system users: run the hub tests as root (CI does)"
    for command, package in [("runuser", "util-linux"), ("useradd", "passwd"), ("node", "nodejs"),
                             ("configurable-http-proxy", "configurable-http-proxy from npm")]:
        if not shutil.which(command):
            return f"{command} is missing ({package}): run  bash scripts/install_system_deps.sh"
    if not Path("/usr/bin/python3").is_file():
        return "/usr/bin/python3 is missing: the hub's environment is built from it"
    return None


#: State folders made by ``academy_state_dir``: ``stop_academy`` deletes them once the academy is stopped.
_TEMPORARY_STATES: set[Path] = set()


def academy_state_dir() -> Path:
    """A fresh state folder under /tmp that other users can reach (pytest's tmp_path is closed to them)."""
    folder = Path(tempfile.mkdtemp(prefix="cx-academy-"))
    folder.chmod(0o755)
    _TEMPORARY_STATES.add(folder)
    return folder


@dataclass
class Academy:
    """A running local academy, as a test sees it."""

    url: str
    state: Path
    password: str
    instructor: str
    learners: list[str]
    api_token: str
    settings: dict = field(repr=False)

    def run_as(self, user: str, *argv: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        """Run a command as that system user, in the academy's environment and the user's home."""
        return academy.run_as(self.settings, user, *argv, check=check, **kwargs)

    def login(self, user: str) -> requests.Session:
        """Log ``user`` in through the hub's login form; the session carries the hub's cookies and xsrf."""
        session = requests.Session()
        session.get(f"{self.url}/hub/login", timeout=30).raise_for_status()
        response = session.post(f"{self.url}/hub/login", timeout=120, data={
            "username": user, "password": self.password, "_xsrf": session.cookies.get("_xsrf", "")})
        response.raise_for_status()
        if "/hub/login" in response.url:
            raise RuntimeError(f"{user} could not log in: the hub showed its login page again")
        session.headers["X-XSRFToken"] = session.cookies.get("_xsrf", "")
        return session

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """The hub's REST API (``/hub/api`` + path) with the academy's admin token."""
        response = requests.request(method, f"{self.url}/hub/api{path}", timeout=180,
                                    headers={"Authorization": f"token {self.api_token}"}, **kwargs)
        response.raise_for_status()
        return response

    def start_server(self, user: str, timeout: float = 180) -> str:
        """Start ``user``'s single-user server through the hub and wait until it is ready; its URL."""
        self.api("POST", f"/users/{user}/server")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.api("GET", f"/users/{user}").json()["servers"].get("", {}).get("ready"):
                return f"{self.url}/user/{user}"
            time.sleep(0.5)
        raise TimeoutError(f"{user}'s server was not ready after {timeout:.0f} s; the hub's log: "
                           f"{academy.Layout(self.state).log}")

    def server(self, user: str, method: str, path: str, **kwargs) -> requests.Response:
        """A request to ``user``'s running server (``/user/<user>`` + path), with the admin token."""
        response = requests.request(method, f"{self.url}/user/{user}{path}", timeout=300,
                                    headers={"Authorization": f"token {self.api_token}"}, **kwargs)
        response.raise_for_status()
        return response


def start_academy(roster: Path, state: Path, *, port: int = 0, db_url: str | None = None,
                  learners_allowed: int | None = None) -> Academy:
    """Start an academy for ``roster`` (CSV: name,email,cohort) with its state in ``state``."""
    argv = [sys.executable, str(ACADEMY_SCRIPT), "start", "--roster", str(roster), "--state", str(state),
            "--port", str(port), "--user-prefix", f"cxt{secrets.token_hex(2)}-"]
    if db_url:
        argv += ["--db-url", db_url]
    if learners_allowed is not None:
        argv += ["--learners-allowed", str(learners_allowed)]
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        log = academy.Layout(Path(state)).log
        raise RuntimeError(f"academy.py start failed:\n{result.stdout}\n{result.stderr}\n"
                           f"{log.read_text(errors='replace')[-4000:] if log.is_file() else ''}")
    return _academy(Path(state))


def apply_roster(academy_: Academy, roster: Path) -> Academy:
    """Run ``academy.py start`` again with a changed roster; returns the academy as it is now."""
    subprocess.run([sys.executable, str(ACADEMY_SCRIPT), "start", "--roster", str(roster),
                    "--state", str(academy_.state)], check=True, capture_output=True, text=True)
    return _academy(academy_.state)


def _academy(state: Path) -> Academy:
    settings = academy.load_settings(state)
    return Academy(url=settings["url"], state=state, password=settings["password"],
                   instructor=settings["instructor"], learners=[row["user"] for row in settings["learners"]],
                   api_token=settings["api_token"], settings=settings)


def stop_academy(running: Academy) -> None:
    """Stop the hub, the proxy and every server; remove the academy's system users (and a temporary state)."""
    if not running.state.exists():
        return  # stopped and removed already
    subprocess.run([sys.executable, str(ACADEMY_SCRIPT), "stop", "--state", str(running.state)],
                   check=True, capture_output=True, text=True)
    if running.state in _TEMPORARY_STATES:
        shutil.rmtree(running.state)
        _TEMPORARY_STATES.discard(running.state)
