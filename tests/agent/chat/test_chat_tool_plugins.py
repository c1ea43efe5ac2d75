"""Plugins extend the chat: the registry's role-agnostic `tools` catalogue,
and the example third-party distribution's `image_colour` tool reaching
`riveg chat` when installed with pip, with no change to the chat code."""
from paths import PLUGIN_SRC
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from riveg_agent.core.errors import RegistryError
from riveg_agent.core.registry import Registry




def tool_a(pipeline, ctx):
    return "a"


def tool_b(pipeline, ctx):
    return "b"


def test_tools_catalogue_records_the_contributing_module():
    reg = Registry(autoload=False)
    reg._current = ("dist-x", "mod.x")
    reg.add_tool("t", tool_a, description="d")
    reg.add_tool("t", tool_a)  # the same object again: fine
    spec = reg.tools()[0]
    assert (spec.name, spec.distribution, spec.module, spec.description) == ("t", "dist-x", "mod.x", "d")
    with pytest.raises(RegistryError, match="two plugins register tool 't'"):
        reg.add_tool("t", tool_b)


def test_builtin_plugins_contribute_no_chat_tools():
    # the role tools come from riveg_agent.agent.tools, not from the catalogue
    assert [t for t in Registry().tools() if t.distribution == "riveg-agent"] == []


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(PLUGIN_SRC)], check=True, capture_output=True, timeout=300)
    return target


def test_installed_plugin_tool_answers_in_chat(installed, demo_image, demo_text):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(installed), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-m", "riveg_agent", "chat", "--once", "What colour is the picture?",
                           "--image", str(demo_image), "--text", demo_text, "--config", "fast", "--json"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [c["name"] for c in out["tool_calls"]] == ["image_colour"]
    assert "mostly red" in out["answer"]
