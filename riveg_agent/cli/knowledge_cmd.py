from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from riveg_agent.cli.common import CONFIG_HELP, err_console, errors_to_exit, quiet_native_logs

app = typer.Typer(help="Auxiliary knowledge from the local LLM (PLIM).", no_args_is_help=True)


def _over_split(run, role: str, data_dir: Path, dataset: str, split: str, out: Path,
                llm: Optional[str], config: str, limit: Optional[int]):
    """Run a whole-split generator (knowledge_gen) with the config's pipeline,
    `--llm` replacing the model of `role`, under a progress bar; returns its
    stats and a note of the cache hits. Errors -> exit 2."""
    quiet_native_logs()
    from riveg_agent.core.config import load_config
    from riveg_agent.core.pipeline import Pipeline

    with errors_to_exit():
        cfg = load_config(config)
        if llm:
            cfg.roles[role].params["model"] = llm
        pipeline = Pipeline(cfg)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=err_console) as progress:
            task = progress.add_task(f"{dataset}/{split}", total=None)

            def tick(n: int, total: int) -> None:
                progress.update(task, completed=n, total=total)

            stats = run(pipeline, data_dir, dataset, split, out, limit, tick)
        cache = pipeline.plugin(role).cache
    return stats, (f", {cache.hits} served from the cache" if cache is not None else "")


@app.command("generate")
def generate(data_dir: Path = typer.Option(..., "--data-dir", help="folder with twitter2015/, twitter2017/, twitter-gmner/, captions/"),
             dataset: str = typer.Option(..., "--dataset", help="twitter2015, twitter2017 or twitter-gmner"),
             split: str = typer.Option(..., "--split", help="train, dev (or valid) or test"),
             out: Path = typer.Option(..., "--out", help="knowledge file to write (appended; resumable)"),
             llm: Optional[str] = typer.Option(None, "--llm", help="GGUF id or path (default: the config's)"),
             config: str = typer.Option("default", "--config", help=CONFIG_HELP),
             limit: Optional[int] = typer.Option(None, "--limit", help="only the first N tweets")):
    """Knowledge for every tweet of a split, in the dataset's <EOS> format (cached, resumable)."""
    from riveg_agent.llm.splits import generate_split

    stats, hits = _over_split(generate_split, "knowledge", data_dir, dataset, split, out, llm, config, limit)
    err_console.print(f"{out}: {stats.generated} generated{hits}, {stats.skipped} already there, "
                      f"{stats.total} in the split")


@app.command("expansions")
def expansions(data_dir: Path = typer.Option(..., "--data-dir", help="folder with twitter2015/, twitter2017/, twitter-gmner/, captions/"),
               dataset: str = typer.Option("twitter-gmner", "--dataset", help="twitter-gmner, twitter2015 or twitter2017"),
               split: str = typer.Option(..., "--split", help="train, dev (or valid) or test"),
               out: Path = typer.Option(..., "--out", help="JSONL to write (appended; resumable), e.g. runs/expansions/train.jsonl"),
               llm: Optional[str] = typer.Option(None, "--llm", help="GGUF id or path (default: the config's)"),
               config: str = typer.Option("default", "--config", help=CONFIG_HELP),
               limit: Optional[int] = typer.Option(None, "--limit", help="only the first N tweets with entities")):
    """The referring-expression expansion of every gold entity of a split, for VE training (cached, resumable)."""
    from riveg_agent.llm.splits import generate_expansions

    stats, hits = _over_split(generate_expansions, "expander", data_dir, dataset, split, out, llm, config, limit)
    err_console.print(f"{out}: {stats.generated} tweets expanded{hits}, {stats.skipped} already there, "
                      f"{stats.total} tweets with entities in the split")
