from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from riveg_agent.cli.common import CONFIG_HELP, err_console, errors_to_exit, print_json, quiet_native_logs


def demo_post() -> dict:
    assets = resources.files("riveg_agent.assets")
    data = json.loads((assets / "demo.json").read_text(encoding="utf-8"))
    data["image"] = str(assets / data["image"])
    return data


def demo(as_json: bool = typer.Option(False, "--json", help="print the result JSON only"),
         overlay: Path = typer.Option(Path("riveg-demo-overlay.png"), "--overlay", help="overlay PNG to write"),
         config: str = typer.Option("default", "--config", help=CONFIG_HELP)):
    """Run the whole chain offline on the shipped photo (NASA astronaut Eileen Collins)."""
    quiet_native_logs()
    from riveg_agent.io.overlay import draw_overlay
    from riveg_agent.core.pipeline import Pipeline, make_post

    post_data = demo_post()
    with errors_to_exit():
        post = make_post(post_data["id"], post_data["text"], post_data["image"])
        result = Pipeline(config).run(post)
        draw_overlay(post.image.image, result, overlay)
    if as_json:
        print_json(result.model_dump_json(indent=2))
        err_console.print(f"overlay written to {overlay}")
        return
    console = Console(width=140)
    console.print(f"[bold]Post:[/] {result.text}")
    console.print(f"[bold]Image:[/] {post_data['image']} ({result.image.width}x{result.image.height}); "
                  f"caption: {result.caption}")
    console.print(f"[bold]Exemplars (MSEA):[/] {', '.join(result.exemplars)}")
    console.print(f"[bold]Knowledge:[/] {result.knowledge}")
    table = Table(title="entities")
    for col in ("entity", "type", "referring expression", "groundable", "score", "box", "mask px"):
        table.add_column(col, overflow="fold")
    from riveg_agent.io.masks import decode
    for e in result.entities:
        table.add_row(e.text, e.type, e.expression, "yes" if e.groundable else "no",
                      f"{e.score:.2f}", str(list(e.box)) if e.box else "-",
                      str(int(decode(e.mask).sum())) if e.mask else "-")
    console.print(table)
    console.print("[bold]Timings (s):[/] " + ", ".join(f"{k} {v:.2f}" for k, v in result.timings.items()))
    console.print(f"[bold]Overlay:[/] {overlay}")
