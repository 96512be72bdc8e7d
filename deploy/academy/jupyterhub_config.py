"""JupyterHub for the local company academy (started by academy.py; read its docstring first).

Everything that varies between academies (ports, password, token, users, gradebook) comes from
the academy's ``academy.json``, named by ``CXA_ACADEMY_STATE``; the layout and the users'
environment come from academy.py, so the hub, the CLI and the tests share one definition.

- System users through the local-process spawner; one shared password (JupyterHub's
  ``shared-password`` authenticator), handed out by the instructor.
- The instructor role: sees the users and their servers; the instructor's server loads the
  formgrader on the course in ``~/grading``. Learners' servers have it switched off.
- Lessons and datasets are read-only copies every learner reaches (``~/course``).
- The idle culler stops servers idle for longer than the academy's ``idle_timeout``.
"""

import importlib.util
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821  (provided by JupyterHub when it loads this file)

_spec = importlib.util.spec_from_file_location("academy", Path(__file__).with_name("academy.py"))
academy = importlib.util.module_from_spec(_spec)
sys.modules["academy"] = academy
_spec.loader.exec_module(academy)

settings = academy.load_settings(Path(os.environ["CXA_ACADEMY_STATE"]))
layout = academy.Layout(Path(settings["state"]))
learners = [row["user"] for row in settings["learners"]]
instructor = settings["instructor"]

c.JupyterHub.bind_url = settings["url"]
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{settings['hub_port']}"
c.JupyterHub.db_url = f"sqlite:///{layout.hub / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(layout.hub / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['proxy_api_port']}"
c.ConfigurableHTTPProxy.command = [academy.find_proxy()]
c.ConfigurableHTTPProxy.pid_file = str(layout.hub / "proxy.pid")

c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = settings["password"]
c.Authenticator.allowed_users = {*learners, instructor}
c.Authenticator.allow_existing_users = True  # roster changes arrive through the REST API

c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [f"{settings['env']}/bin/jupyterhub-singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
# 30 learners starting at once on a 2-core machine waited 113–137 s for their servers
# (benchmarks/academy_load.py): at 90 s the hub gave up on some of them.
c.Spawner.http_timeout = 300
c.Spawner.start_timeout = 300


def _academy_environment(spawner) -> None:
    """The user's server gets the same environment as a command run as that user (academy.py)."""
    spawner.environment.update(academy.user_environment(settings, spawner.user.name))


c.Spawner.pre_spawn_hook = _academy_environment

c.JupyterHub.services = [
    {"name": "academy-admin", "api_token": settings["api_token"]},
    {"name": "idle-culler",
     "command": [f"{settings['env']}/bin/python", "-m", "jupyterhub_idle_culler",
                 f"--timeout={settings['idle_timeout']}"]},
]
c.JupyterHub.load_roles = [
    {"name": "admin", "services": ["academy-admin"]},
    {"name": "instructor", "description": "Runs the course: sees every learner and their server.",
     "scopes": ["list:users", "read:users", "read:servers", "read:groups"], "users": [instructor]},
    {"name": "idle-culler", "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
     "services": ["idle-culler"]},
]

