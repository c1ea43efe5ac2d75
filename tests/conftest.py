"""Shared fixtures. Unit tests never read ../shared: small fixtures ship here."""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GLOG_minloglevel", "2")
# One llama.cpp thread: with two, any other busy process on a 2-core machine
# slows decoding ~25x (spinning threads; see README "Performance notes").
os.environ.setdefault("RIVEG_THREADS", "1")
# A fresh LLM cache per test session, so the tests run the models for real.
if "RIVEG_CACHE_DIR" not in os.environ:
    import tempfile
    os.environ["RIVEG_CACHE_DIR"] = tempfile.mkdtemp(prefix="riveg-test-cache-")

FAST_LLM = "smollm2-135m-instruct-q4_1"


@pytest.fixture(scope="session")
def demo_image() -> Path:
    return Path(str(resources.files("riveg_agent.assets") / "astronaut.jpg"))


@pytest.fixture(scope="session")
def demo_text() -> str:
    import json
    return json.loads((resources.files("riveg_agent.assets") / "demo.json").read_text())["text"]


@pytest.fixture(scope="session")
def fast_pipeline():
    """The real chain with the small SmolLM2 model (the `fast` built-in config)."""
    from riveg_agent.pipeline import Pipeline
    return Pipeline("fast")
