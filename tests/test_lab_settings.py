"""The JupyterLab settings every course environment installs (deploy/lab/settings/overrides.json).

JupyterLab ignores an override whose plugin or key it does not know, so a typo would bring
the news pop-up back silently: each override is checked against the installed schema.
"""

import json
import sys
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[1]
OVERRIDES = json.loads((ROOT / "deploy/lab/settings/overrides.json").read_text())
SCHEMAS = Path(sys.prefix) / "share/jupyter/lab/schemas"


@pytest.mark.parametrize("plugin", sorted(OVERRIDES))
def test_each_override_is_a_setting_jupyterlab_defines(plugin):
    package, name = plugin.rsplit(":", 1)
    schema = json.loads((SCHEMAS / package / f"{name}.json").read_text())
    for key, value in OVERRIDES[plugin].items():
        assert key in schema["properties"], f"{plugin} has no setting {key!r}"
        jsonschema.validate(value, schema["properties"][key])


def test_the_news_pop_up_is_off():
    assert OVERRIDES["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
