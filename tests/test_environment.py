"""The pip path (pyproject.toml) and the conda path (environment.yml) must install the same pins."""

from __future__ import annotations

import tomllib

import yaml
from packaging.requirements import Requirement


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        requirement = Requirement(line)
        pins[requirement.name.lower()] = str(requirement.specifier)
    return pins


def test_pip_and_conda_pins_agree(repo):
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    pip_lines = project["dependencies"] + project["optional-dependencies"]["test"]
    conda = yaml.safe_load((repo / "environment.yml").read_text())
    pip_section = next(item["pip"] for item in conda["dependencies"] if isinstance(item, dict))
    conda_lines = [line for line in pip_section if not line.startswith("-e")]
    assert _pins(pip_lines) == _pins(conda_lines), "environment.yml and pyproject.toml pin different versions"


def test_every_dependency_is_pinned_exactly(repo):
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    for line in project["dependencies"] + project["optional-dependencies"]["test"]:
        assert "==" in line, f"{line!r} is not pinned to one version"


def test_python_version_agrees(repo):
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    conda = yaml.safe_load((repo / "environment.yml").read_text())
    assert "python=3.11" in conda["dependencies"]
    assert project["requires-python"] == ">=3.11,<3.12"
