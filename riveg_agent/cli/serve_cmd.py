"""`riveg serve`: the HTTP API and the web page (riveg_agent/serve) under uvicorn."""
from __future__ import annotations

import os

import typer

from riveg_agent.cli.common import CONFIG_HELP, err_console, errors_to_exit, quiet_native_logs


def serve(host: str = typer.Option("127.0.0.1", "--host", help="address to listen on (loopback by default)"),
          port: int = typer.Option(8000, "--port", help="TCP port"),
          config: str = typer.Option("default", "--config", help=CONFIG_HELP),
          workers: int = typer.Option(1, "--workers", min=1,
                                      help="server processes; each loads the models once and runs one chain"),
          queue: int = typer.Option(8, "--queue", min=0,
                                    help="requests per process that may wait for the chain; more get 429"),
          sessions: int = typer.Option(32, "--sessions", min=1, help="chat sessions kept per process (LRU)"),
          max_mb: int = typer.Option(20, "--max-mb", min=1, help="largest request body in MiB (else 413)")):
    """Serve the JSON API (/v1/ground, /v1/chat, /docs) and the web page (/)."""
    quiet_native_logs()
    try:
        import uvicorn

        import riveg_agent.serve.app  # noqa: F401  (fastapi, gradio)
    except ImportError as exc:
        err_console.print(f"[bold red]error:[/] riveg serve needs the serve extra "
                          f"(pip install 'riveg-agent[serve]'): {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    from riveg_agent.core.config import load_config
    from riveg_agent.serve.runner import ServeSettings

    settings = ServeSettings(config=config, queue=queue, max_sessions=sessions,
                             max_request_bytes=max_mb * 2**20)
    with errors_to_exit():
        load_config(config)  # a bad config is one line here, not a traceback in every worker
    os.environ.update(settings.to_env())  # the worker processes read their settings from here
    err_console.print(f"riveg serve: http://{host}:{port}/ (page), /docs (API); config {config}, "
                      f"{workers} worker(s); loading the models…")
    uvicorn.run("riveg_agent.serve.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level="info", timeout_graceful_shutdown=5)
