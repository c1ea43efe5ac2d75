from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from riveg_agent.cli.common import quiet_native_logs

app = typer.Typer(help="Registered plugins (entry-point group riveg.plugins).", no_args_is_help=True)


@app.command("list")
def list_plugins(as_json: bool = typer.Option(False, "--json", help="machine-readable output")):
    """Every role, each plugin's name, its distribution, and whether it is usable now."""
    quiet_native_logs()
    from riveg_agent.core.registry import ROLE_TITLES, ROLES, default_registry

    reg = default_registry()
    rows = reg.describe()
    if as_json:
        typer.echo(json.dumps({"plugins": rows, "load_errors": reg.load_errors}, indent=2))
        return
    table = Table(title="riveg plugins")
    for col in ("role", "plugin", "distribution", "status"):
        table.add_column(col, overflow="fold")
    for role in ROLES:
        mine = [r for r in rows if r["role"] == role]
        if not mine:
            table.add_row(ROLE_TITLES[role], "(none)", "", "[red]no plugin[/]")
        for r in mine:
            colour = "green" if r["status"] == "usable" else "yellow"
            table.add_row(ROLE_TITLES[role], r["name"], r["distribution"], f"[{colour}]{r['status']}[/]")
    console = Console(width=160)
    console.print(table)
    for where, problem in reg.load_errors:
        console.print(f"[red]failed to load plugin {where}:[/] {problem}")
