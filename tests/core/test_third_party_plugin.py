"""A third-party plugin distribution (tests/third_party_plugin), installed
with pip, shows up in `riveg plugins list` and runs when a config selects it,
with no change to riveg-agent."""
from paths import PLUGIN_SRC
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from riveg_agent.core.config import load_config




@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(PLUGIN_SRC)], check=True, capture_output=True,
                   timeout=300)
    return target


def env_with(target):
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(target),
                                                                       os.environ.get("PYTHONPATH")]))}


def test_listed_with_its_distribution(installed):
    proc = subprocess.run([sys.executable, "-m", "riveg_agent", "plugins", "list", "--json"],
                          capture_output=True, text=True, env=env_with(installed), timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)["plugins"]}
    hello = rows["hello.colour_captioner.v1"]
    assert hello["role"] == "captioner" and hello["distribution"] == "riveg-hello-plugin"
    assert hello["status"] == "usable"


def test_runs_when_a_config_selects_it(installed, tmp_path, demo_image, demo_text):
    config = load_config("fast").resolved()
    config["name"] = "hello"
    config["pipeline"]["captioner"] = {"plugin": "hello.colour_captioner.v1", "prefix": "seen: "}
    path = tmp_path / "hello.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.run([sys.executable, "-m", "riveg_agent", "run", "--text", demo_text, "--image",
                           str(demo_image), "--config", str(path)],
                          capture_output=True, text=True, env=env_with(installed), timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["caption"] == "seen: a square picture, mostly red"
    assert result["provenance"]["plugins"]["captioner"] == "hello.colour_captioner.v1"


def test_without_it_the_config_names_the_missing_plugin(tmp_path):
    config = load_config("fast").resolved()
    config["pipeline"]["captioner"] = {"plugin": "hello.colour_captioner.v1"}
    path = tmp_path / "hello.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.run([sys.executable, "-m", "riveg_agent", "run", "--text", "hi", "--config", str(path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "pipeline.captioner.plugin" in proc.stderr
    assert "Traceback" not in proc.stderr
