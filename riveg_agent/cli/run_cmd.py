from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from riveg_agent.cli.common import CONFIG_HELP, errors_to_exit, print_json, quiet_native_logs


def run(text: str = typer.Option(..., "--text", help="the post text"),
        image: Optional[Path] = typer.Option(None, "--image", help="the post's image file"),
        id: str = typer.Option("post", "--id", help="id recorded in the output"),
        config: str = typer.Option("default", "--config", help=CONFIG_HELP),
        overlay: Optional[Path] = typer.Option(None, "--overlay", help="write boxes+masks over the image (PNG)")):
    """Run the whole chain on one post and print the result JSON."""
    quiet_native_logs()
    from riveg_agent.core.pipeline import Pipeline, make_post
    from riveg_agent.io.overlay import draw_overlay

    if overlay is not None and image is None:
        raise typer.BadParameter("--overlay needs --image")
    with errors_to_exit():
        post = make_post(id, text, image)
        result = Pipeline(config).run(post)
        print_json(result.model_dump_json(indent=2))
        if overlay is not None:
            draw_overlay(post.image.image, result, overlay)
            typer.echo(f"overlay written to {overlay}", err=True)
