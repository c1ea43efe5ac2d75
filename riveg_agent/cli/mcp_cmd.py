from __future__ import annotations

import typer

from riveg_agent.cli.common import CONFIG_HELP, err_console, errors_to_exit, quiet_native_logs


def mcp(config: str = typer.Option("default", "--config", help=CONFIG_HELP),
        transport: str = typer.Option("stdio", "--transport", help="stdio (default) or streamable-http"),
        host: str = typer.Option("127.0.0.1", "--host", help="streamable-http: address to listen on"),
        port: int = typer.Option(8000, "--port", help="streamable-http: port (the endpoint is /mcp)")):
    """Serve the role tools (recognize, check, locate, segment, ...) as an MCP server; logs on stderr."""
    quiet_native_logs()
    if transport not in ("stdio", "streamable-http"):
        err_console.print(f"[bold red]error:[/] --transport must be stdio or streamable-http, not {transport!r}")
        raise typer.Exit(2)
    try:
        from riveg_agent.serve.mcp_server import serve
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in ("mcp", "mcp_types"):
            raise
        err_console.print("[bold red]error:[/] riveg mcp needs the MCP SDK: pip install 'riveg-agent[serve]'")
        raise typer.Exit(2) from None
    with errors_to_exit():
        serve(config, transport, host, port)
