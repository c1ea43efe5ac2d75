"""Fixtures of the serve tests: the real `fast` chain behind a real uvicorn server."""
from __future__ import annotations

from typing import Iterator

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed (pip install -e '.[serve]')")
pytest.importorskip("gradio", reason="the serve extra is not installed (pip install -e '.[serve]')")


@pytest.fixture(scope="session")
def fast_server() -> Iterator[str]:
    """The real `fast` chain behind the API and the page, shared by the API and browser tests."""
    from riveg_agent.serve.app import create_app
    from riveg_agent.serve.runner import ServeSettings

    from serving import running, wait_ready

    with running(create_app(ServeSettings(config="fast", queue=4, max_sessions=8))) as base:
        wait_ready(base)  # the warm-up ran the demo post: every model is loaded
        yield base
