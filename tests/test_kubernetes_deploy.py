"""The Zero to JupyterHub files (deploy/kubernetes/), checked without a cluster or an image build.

Neither can run here, so what can go wrong in them silently is checked statically:
- the values file uses only keys the chart's schema defines: helm merges it over the chart's
  defaults and validates the result against the chart's ``values.schema.json``, vendored with
  those defaults in ``deploy/kubernetes/vendor/z2jh-4.4.0/`` (a misspelt key would otherwise be
  found only by an instructor watching ``helm upgrade`` fail, or worse, be accepted where the
  schema is open and do nothing);
- the Dockerfile installs exactly pyproject.toml's pins plus the hub's JupyterHub, keeps the
  assignments' sources out of the learners' image and gives the grading image its sandbox;
- the exchange, the roles and the gradebook mean the same thing in every file that names them.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import jsonschema
import pytest
import yaml
from jupyter_core.paths import jupyter_config_path
from jupyter_server.serverapp import ServerApp
from jupyterlab_server.config import get_page_config
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

DEPLOY = Path("deploy/kubernetes")
CHART = DEPLOY / "vendor" / "z2jh-4.4.0"
INSTRUCTOR_GROUP_OVERRIDE = "01-instructors"
SANDBOX_PACKAGES = {"bubblewrap", "libseccomp2"}
SECRET_PATHS = ("assignments/source", "assignments/wrong_answers", "assignments/*.toml")
# All a learner's image takes from assignments/: the course id and limits, no answers.
LEARNER_COURSE_CONFIG = "assignments/nbgrader_config.py"


# --- helpers: what helm, docker and nbgrader would read ------------------------------------


def helm_merge(defaults: dict, overrides: dict) -> dict:
    """Values as helm computes them: maps merge recursively, a null removes the key, the rest replaces."""
    merged = dict(defaults)
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = helm_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def schema_errors(values: dict, repo: Path) -> list[str]:
    """Every way the chart's schema rejects these values, merged over the chart's defaults."""
    schema = json.loads((repo / CHART / "values.schema.json").read_text())
    defaults = yaml.safe_load((repo / CHART / "values.yaml").read_text())
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'.'.join(map(str, error.absolute_path)) or '<top>'}: {error.message}"
            for error in validator.iter_errors(helm_merge(defaults, values))]


def our_values(repo: Path) -> dict:
    return yaml.safe_load((repo / DEPLOY / "values.yaml").read_text())


def dockerfile_stages(repo: Path) -> dict[str, list[tuple[str, str]]]:
    """Each stage's instructions as (KEYWORD, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (repo / DEPLOY / "Dockerfile").read_text())
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, arguments = line.partition(" ")
        if keyword.upper() == "FROM":
            current = [(keyword.upper(), arguments)]
            stages[arguments.split(" AS ")[-1].strip()] = current
        else:
            current.append((keyword.upper(), arguments.strip()))
    return stages


def commands(stage: list[tuple[str, str]]) -> list[list[str]]:
    """The shell commands a stage's RUN instructions run, each split into words."""
    return [shlex.split(command) for keyword, arguments in stage if keyword == "RUN"
            for command in arguments.split("&&")]


def pip_pins(stages: dict[str, list[tuple[str, str]]]) -> dict[str, str]:
    """name -> version specifier of every requirement a ``pip install`` in any stage names."""
    pins = {}
    for stage in stages.values():
        for words in commands(stage):
            if words[:2] != ["pip", "install"]:
                continue
            for word in words[2:]:
                if word.startswith("-") or word == ".":
                    continue
                requirement = Requirement(word)
                pins[requirement.name.lower()] = str(requirement.specifier)
    return pins


def copied_sources(stage: list[tuple[str, str]]) -> list[str]:
    """The build-context paths a stage's COPY instructions take (not ``--from`` another stage)."""
    sources = []
    for keyword, arguments in stage:
        words = arguments.split()
        if keyword == "COPY" and not any(word.startswith("--from") for word in words):
            sources.extend(word.rstrip("/") for word in words[:-1] if not word.startswith("--"))
    return sources


def instructor_override(values: dict) -> dict:
    overrides = values["hub"]["config"]["KubeSpawner"]["group_overrides"]
    return overrides[INSTRUCTOR_GROUP_OVERRIDE]


def pyproject(repo: Path) -> dict:
    return tomllib.loads((repo / "pyproject.toml").read_text())


def nbgrader_config(path: Path) -> Config:
    """An nbgrader config file as nbgrader loads it (a missing subconfig is skipped, as there)."""
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


def build_config_dirs(repo: Path, stage: list[tuple[str, str]], image_dirs: list[str], root: Path) -> list[Path]:
    """Lay out the image's config folders under ``root`` as the stage's COPY instructions do."""
    workdir = "/"
    for keyword, arguments in stage:
        if keyword == "WORKDIR":
            workdir = arguments
        if keyword != "COPY":
            continue
        *sources, dest = arguments.split()
        target = dest if dest.startswith("/") else f"{workdir}/{dest}"
        if not any(target.startswith(folder) for folder in image_dirs):
            continue
        for source in sources:
            origin = repo / source
            if origin.is_dir():
                shutil.copytree(origin, root / target.lstrip("/"), dirs_exist_ok=True)
            else:
                destination = root / target.lstrip("/")
                destination = destination / origin.name if target.endswith("/") else destination
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(origin, destination)
    return [root / folder.lstrip("/") for folder in image_dirs]


# --- the values file --------------------------------------------------------------------------


def test_values_use_only_keys_the_chart_defines(repo):
    errors = schema_errors(our_values(repo), repo)
    assert not errors, "values.yaml does not fit chart 4.4.0's schema:\n" + "\n".join(errors)


@pytest.mark.parametrize("misspelt", [
    {"singleuser": {"imag": {"name": "x"}}},
    {"singleuser": {"storage": {"extraVolumeMount": {}}}},
    {"cull": {"timeOut": 60}},
])
def test_the_schema_check_rejects_a_misspelt_key(repo, misspelt):
    """Guards the vendored schema itself: one that lost ``additionalProperties`` would pass anything."""
    assert schema_errors(helm_merge(our_values(repo), misspelt), repo)


def test_idle_culler_and_resource_limits_are_set(repo):
    values = our_values(repo)
    assert values["cull"]["enabled"] and values["cull"]["timeout"] > 0
    assert values["singleuser"]["cpu"]["limit"] and values["singleuser"]["memory"]["limit"]
    spawner = instructor_override(values)["spawner_override"]
    assert spawner["cpu_limit"] and spawner["mem_limit"]


def test_instructors_are_a_group_the_hub_lets_in(repo):
    values = our_values(repo)
    allowed = set(values["hub"]["config"]["GenericOAuthenticator"]["allowed_groups"])
    assert set(instructor_override(values)["groups"]) <= allowed


# --- the Dockerfile ---------------------------------------------------------------------------


def test_dockerfile_installs_exactly_the_projects_pins_and_the_hubs_jupyterhub(repo):
    expected = {Requirement(line).name.lower(): str(Requirement(line).specifier)
                for line in pyproject(repo)["project"]["dependencies"]}
    hub_version = yaml.safe_load((repo / CHART / "Chart.yaml").read_text())["appVersion"]
    expected["jupyterhub"] = f"=={hub_version}"
    assert pip_pins(dockerfile_stages(repo)) == expected


def test_dockerfile_python_is_the_projects(repo):
    base = dockerfile_stages(repo)["singleuser"][0][1]
    python = re.match(r"python:(\d+\.\d+)", base).group(1)
    requires = SpecifierSet(pyproject(repo)["project"]["requires-python"])
    major, minor = map(int, python.split("."))
    assert f"{major}.{minor}.0" in requires and f"{major}.{minor + 1}.0" not in requires


def test_grading_image_has_the_sandbox_the_learners_image_lacks(repo):
    script = (repo / "scripts" / "install_system_deps.sh").read_text()
    assert SANDBOX_PACKAGES <= set(re.findall(r"missing\+=\(([\w.-]+)\)", script))
    stages = dockerfile_stages(repo)
    apt = {stage: {word for words in commands(instructions) if words[:2] == ["apt-get", "install"]
                   for word in words[2:] if not word.startswith("-")}
           for stage, instructions in stages.items()}
    assert SANDBOX_PACKAGES <= apt["grader"]
    assert stages["grader"][0][1].startswith("singleuser ")


def test_learners_image_holds_no_solutions(repo):
    stages = dockerfile_stages(repo)
    from_assignments = {source for source in copied_sources(stages["singleuser"]) if source.startswith("assignments")}
    assert from_assignments == {LEARNER_COURSE_CONFIG}
    assert set(SECRET_PATHS) <= set(copied_sources(stages["grader"]))


def test_every_file_the_dockerfile_copies_reaches_the_builder(repo):
    ignore_file = (repo / DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    ignored = [line for line in ignore_file if line and not line.startswith("#")]
    for stage in dockerfile_stages(repo).values():
        for source in copied_sources(stage):
            assert list(repo.glob(source)), f"the Dockerfile copies {source}, which is not in the repository"
            assert not [pattern for pattern in ignored if fnmatch(source, pattern) or fnmatch(source, f"{pattern}/*")], \
                f"the Dockerfile copies {source}, which Dockerfile.dockerignore leaves out of the build context"


# --- one exchange, one course, one gradebook across the files ---------------------------------


def test_every_pod_mounts_the_one_exchange_nbgrader_uses(repo):
    values = our_values(repo)
    claim, job = list(yaml.safe_load_all((repo / DEPLOY / "exchange.yaml").read_text()))
    assert "ReadWriteMany" in claim["spec"]["accessModes"]
    storage = values["singleuser"]["storage"]
    volume = storage["extraVolumes"]["exchange"]
    assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    mount_path = storage["extraVolumeMounts"]["exchange"]["mountPath"]
    pod = job["spec"]["template"]["spec"]
    assert pod["volumes"][0]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert pod["containers"][0]["volumeMounts"][0]["mountPath"] == mount_path
    assert nbgrader_config(repo / DEPLOY / "jupyter/learner/nbgrader_config.py").Exchange.root == mount_path
    assert f"link {mount_path} " in (repo / DEPLOY / "poststart.sh").read_text()


def test_exchange_is_prepared_for_the_course_and_its_instructor(repo):
    values = our_values(repo)
    job = list(yaml.safe_load_all((repo / DEPLOY / "exchange.yaml").read_text()))[1]
    env = {item["name"]: item["value"] for item in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    course_id = nbgrader_config(repo / "assignments" / "nbgrader_config.py").CourseDirectory.course_id
    assert env["COURSE_ID"] == course_id
    instructor_uid = instructor_override(values)["spawner_override"]["uid"]
    assert int(env["INSTRUCTOR_UID"]) == instructor_uid != values["singleuser"]["uid"]


def test_instructor_config_reopens_the_gradebook_cx_grader_uses(repo, monkeypatch):
    environment = instructor_override(our_values(repo))["spawner_override"]["environment"]
    assert environment["CXA_DB_URL"]["valueFrom"]["secretKeyRef"]["optional"] is True
    db_url = "postgresql+psycopg://grader@db.example:5432/gradebook"
    monkeypatch.setenv("CXA_COURSE_DIR", str(repo / "assignments"))
    monkeypatch.setenv("CXA_DB_URL", db_url)
    config = nbgrader_config(repo / DEPLOY / "jupyter/instructor/nbgrader_config.py")
    course = nbgrader_config(repo / "assignments" / "nbgrader_config.py")
    assert config.CourseDirectory.db_url == db_url
    assert Path(config.CourseDirectory.root) == repo / "assignments"
    assert config.CourseDirectory.course_id == course.CourseDirectory.course_id


@pytest.mark.parametrize("role, formgrader", [("learner", False), ("instructor", True)])
def test_only_instructors_get_the_formgrader(repo, tmp_path, monkeypatch, role, formgrader):
    """The image's learner config hides nbgrader's instructor tools; the instructors' path restores them."""
    stage = dockerfile_stages(repo)["singleuser"]
    image_env = dict(arguments.split("=", 1) for keyword, arguments in stage
                     if keyword == "ENV" and arguments.startswith("JUPYTER_CONFIG_PATH="))
    config_path = {"learner": image_env["JUPYTER_CONFIG_PATH"],
                   "instructor": instructor_override(our_values(repo))["spawner_override"]["environment"]
                   ["JUPYTER_CONFIG_PATH"]}[role]
    folders = build_config_dirs(repo, stage, config_path.split(":"), tmp_path / "image")
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "user"))
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", ":".join(map(str, folders)))
    server = ServerApp()
    server.load_config_file()
    assert server.jpserver_extensions["nbgrader.server_extensions.formgrader"] is formgrader
    page = get_page_config([str(Path(folder) / "labconfig") for folder in jupyter_config_path()], logger=None)
    assert ("@jupyter/nbgrader:formgrader" in page.get("disabledExtensions", [])) is not formgrader


def test_image_gets_the_course_lab_settings(repo):
    """Every course environment turns JupyterLab's news pop-up off (deploy/lab/settings); the image too."""
    settings = "deploy/lab/settings/overrides.json"
    stage = dockerfile_stages(repo)["singleuser"]
    copies = [arguments.split() for keyword, arguments in stage if keyword == "COPY"]
    python_prefix = "/usr/local"  # the official python images' sys.prefix
    assert [settings, f"{python_prefix}/share/jupyter/lab/settings/overrides.json"] in copies
