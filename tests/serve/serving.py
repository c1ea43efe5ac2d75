"""A real uvicorn server on a free loopback port, started in a thread of the test process
(so a test can hand the app a Pipeline with injected plugins)."""
from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Iterator


@contextlib.contextmanager
def running(app) -> Iterator[str]:
    """Serve `app` on 127.0.0.1:<free port> until the block ends; yields the base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # the kernel picks a free port; uvicorn serves this very socket
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def wait_ready(base: str, timeout: float = 900) -> dict:
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        r = httpx.get(f"{base}/readyz", timeout=10)
        if r.status_code == 200:
            return r.json()
        assert r.json()["status"] == "loading", r.text  # "failed" would never become ready
        if time.monotonic() > deadline:
            raise TimeoutError("the server did not load its models in time")
        time.sleep(0.5)
