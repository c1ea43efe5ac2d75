from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from riveg_agent.cli.common import CONFIG_HELP, err_console, errors_to_exit, quiet_native_logs


def batch(inp: Path = typer.Argument(..., metavar="IN.jsonl", help='records {"id", "text", "image"}'),
          out: Path = typer.Argument(..., metavar="OUT.jsonl", help="results appended here"),
          config: str = typer.Option("default", "--config", help=CONFIG_HELP),
          retry_errors: bool = typer.Option(False, "--retry-errors", help="rerun ids whose record in OUT is an error"),
          image_root: Optional[Path] = typer.Option(None, "--image-root",
                                                    help="refuse image paths that resolve outside this folder"),
          engine: str = typer.Option("local", "--engine", help="local (this process) or ray (Ray Data workers)"),
          address: Optional[str] = typer.Option(None, "--address",
                                                help="--engine ray: a Ray cluster (auto, HOST:6379, ray://HOST:10001); "
                                                     "default: a local Ray"),
          num_workers: Optional[int] = typer.Option(None, "--num-workers", min=1,
                                                    help="--engine ray: workers, one Pipeline and one CPU each "
                                                         "(default: all CPUs)")):
    """Run many posts; resumable (ids already in OUT are skipped), one error record per bad input."""
    quiet_native_logs()
    from riveg_agent.core.pipeline import Pipeline

    if not inp.is_file():
        err_console.print(f"[bold red]error:[/] input file not found: {inp}")
        raise typer.Exit(2)
    if engine not in ("local", "ray"):
        err_console.print(f"[bold red]error:[/] --engine must be local or ray, not {engine!r}")
        raise typer.Exit(2)
    if engine == "local" and (address is not None or num_workers is not None):
        err_console.print("[bold red]error:[/] --address and --num-workers need --engine ray")
        raise typer.Exit(2)
    with errors_to_exit():
        pipeline = Pipeline(config)
        if engine == "ray":  # Ray Data draws its own progress bars
            from riveg_agent.io.ray_batch import run_ray_batch
            stats = run_ray_batch(pipeline.config, inp, out, retry_errors, image_root=image_root,
                                  address=address, num_workers=num_workers)
        else:
            stats = _run_local(pipeline, inp, out, retry_errors, image_root)
    err_console.print(f"{stats.results} results, {stats.errors} error records, "
                      f"{stats.skipped} already in {out}")


def _run_local(pipeline, inp: Path, out: Path, retry_errors: bool, image_root: Optional[Path]):
    from riveg_agent.io.batch import read_input, run_batch

    total = sum(1 for _ in read_input(inp))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err_console) as progress:
        task = progress.add_task("posts", total=total)

        def tick(rid: str, ok: bool) -> None:
            progress.advance(task)
            if not ok:
                progress.console.print(f"[yellow]error record[/] for {rid}")

        stats = run_batch(pipeline, inp, out, retry_errors, on_record=tick, image_root=image_root)
        progress.update(task, completed=total)
    return stats
