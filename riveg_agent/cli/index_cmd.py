from __future__ import annotations

from pathlib import Path

import typer

from .common import errors_to_exit, quiet_native_logs

app = typer.Typer(help="MSEA exemplar indexes.", no_args_is_help=True)


@app.command("build")
def build(data_dir: Path = typer.Option(..., "--data-dir", help="folder holding twitter2015/, twitter2017/, captions/"),
          dataset: str = typer.Option("twitter2017", "--dataset", help="twitter2015 or twitter2017"),
          out: Path = typer.Option(..., "--out", help="index folder to write, e.g. indexes/twitter2017-minilm")):
    """Embed the hand-annotated exemplars (MiniLM text features) into an index folder."""
    quiet_native_logs()
    from ..exemplar_build import build_minilm_index

    with errors_to_exit():
        meta = build_minilm_index(data_dir, dataset, out)
        typer.echo(f"{out}: {meta['count']} exemplars, dim {meta['dim']}")
